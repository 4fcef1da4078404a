"""What every measurement shares: the settings, the utterance, the emulator process, statistics."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import math
from pathlib import Path
import socket
import statistics
import subprocess
import sys
from types import TracebackType
from typing import Self

from custom_components.qwen_tts_realtime.realtime import SessionConfig, model_info
from custom_components.qwen_tts_realtime.realtime.session_config import Mode

REPO = Path(__file__).resolve().parents[1]
KEY = "sk-benchmark-0123456789"
VOICE = "Cherry"
MODEL = "qwen3-tts-flash-realtime"
CONFIG = SessionConfig(model=model_info(MODEL), voice=VOICE, mode=Mode.SERVER_COMMIT)
UTTERANCE = "Turning on the living room lights and setting them to a warm white."
HA_EXECUTOR_WORKERS = 64  # homeassistant.runner.MAX_EXECUTOR_WORKERS


@dataclass(slots=True)
class Settings:
    rounds: int
    vendor_rounds: int
    handshake_delay: float
    first_audio_delay: float
    realtime_factor: float
    ha_rounds: int
    forward_sessions: int
    minutes: tuple[int, ...]
    concurrency: int


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def progress(text: str, end: str = "\n") -> None:
    print(text, file=sys.stderr, end=end)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_for(condition: Callable[[], bool], limit: float = 10.0) -> None:
    async with asyncio.timeout(limit):
        while not condition():  # noqa: ASYNC110 - polling a plain attribute
            await asyncio.sleep(0.002)


class EmulatorProcess:
    """`python -m qwen_tts_emulator` on a free loopback port, as a separate process."""

    def __init__(
        self, *, handshake_delay: float, first_audio_delay: float, realtime_factor: float
    ) -> None:
        self.args = [
            "--handshake-delay", str(handshake_delay),
            "--first-audio-delay", str(first_audio_delay),
            "--realtime-factor", str(realtime_factor),
        ]  # fmt: skip
        self.url = ""
        self._proc: subprocess.Popen[bytes] | None = None

    async def __aenter__(self) -> Self:
        port = free_port()
        command = [sys.executable, "-m", "qwen_tts_emulator", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--voice-engine", "tone", "--api-key", KEY, *self.args]
        self._proc = subprocess.Popen(  # noqa: ASYNC220 - started once, not awaited
            command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        async with asyncio.timeout(20):
            while True:
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    await asyncio.sleep(0.05)
                    continue
                writer.close()
                await writer.wait_closed()
                break
        self.url = f"ws://127.0.0.1:{port}/api-ws/v1/realtime"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._proc is not None:
            self._proc.terminate()
            await asyncio.to_thread(self._proc.wait, 10)
