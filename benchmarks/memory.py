"""Peak memory and CPU time for long audio on the streaming path, in a fresh interpreter.

`python -m benchmarks.memory OUT MINUTES` is that interpreter: it writes its rows to OUT as JSON.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import gc
import json
import math
from pathlib import Path
import subprocess
import sys
import tempfile
import time
import tracemalloc
from typing import Any

import aiohttp
import psutil

from custom_components.qwen_tts_realtime.realtime import RealtimeClient
from qwen_tts_emulator.audio import iter_pcm

from .common import CONFIG, KEY, REPO, EmulatorProcess, progress
from .table import table

SENTENCE = "The quick brown fox jumps over the lazy dog while the radio plays softly. "


def text_for_minutes(minutes: float) -> str:
    per_sentence = sum(len(p) for p in iter_pcm(SENTENCE)) / 48000
    return SENTENCE * math.ceil(minutes * 60 / per_sentence)


async def stream_long(client: RealtimeClient, text: str) -> int:
    async def source() -> AsyncIterator[str]:
        for i in range(0, len(text), 24):
            yield text[i : i + 24]

    total = 0
    async for pcm in client.stream(CONFIG, source()):
        total += len(pcm)
    return total


class RssSampler:
    """The peak resident set size while something runs, above where it started."""

    def __init__(self, process: psutil.Process) -> None:
        self._process = process
        self._before: int = process.memory_info().rss
        self._peak: int = self._before
        self._running = True
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        while self._running:
            self._peak = max(self._peak, self._process.memory_info().rss)
            await asyncio.sleep(0.01)

    async def stop(self) -> int:
        self._running = False
        assert self._task is not None
        await self._task
        return self._peak - self._before


async def measure_here(minutes: tuple[int, ...]) -> list[dict[str, Any]]:
    process = psutil.Process()
    rows: list[dict[str, Any]] = []
    emulator = EmulatorProcess(handshake_delay=0, first_audio_delay=0, realtime_factor=0)
    async with emulator as emu, aiohttp.ClientSession() as http:
        client = RealtimeClient(http, KEY, emu.url)
        await stream_long(client, SENTENCE)  # warm code paths up
        for length in minutes:
            text = text_for_minutes(length)
            # Pass 1, untraced: CPU time, wall time and resident memory (sampled).
            gc.collect()
            sampler = RssSampler(process)
            sampler.start()
            cpu, wall = time.process_time(), time.perf_counter()
            audio_bytes = await stream_long(client, text)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            rss_growth = await sampler.stop()
            # Pass 2, traced: the peak of Python allocations while streaming.
            gc.collect()
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            await stream_long(client, text)
            traced_peak = tracemalloc.get_traced_memory()[1] - base
            tracemalloc.stop()
            rows.append(
                {
                    "minutes": length,
                    "audio_seconds": audio_bytes / 48000,
                    "characters": len(text),
                    "cpu_seconds": cpu,
                    "wall_seconds": wall,
                    "rss_growth": rss_growth,
                    "traced_peak": traced_peak,
                }
            )
            progress(f"  memory: {length} min done")
    return rows


def measure(minutes: tuple[int, ...]) -> list[dict[str, Any]]:
    """Run the measurement in a fresh interpreter, so that nothing else inflates its RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "memory.json"
        command = [sys.executable, "-m", __name__, str(out), ",".join(map(str, minutes))]
        subprocess.run(command, cwd=REPO, check=True)
        rows: list[dict[str, Any]] = json.loads(out.read_text())
        return rows


def section(rows: list[dict[str, Any]]) -> list[str]:
    return [
        "## Memory and CPU, streaming path",
        "`client.stream()` of a long text in 24-character chunks; emulator without delays and "
        "real-time factor 0 (audio as fast as the sockets go); the PCM is counted and dropped. "
        "A fresh interpreter; RSS sampled every 10 ms; Python allocations traced in a second, "
        "identical pass (tracemalloc).",
        table(
            (
                "audio", "characters", "wall s", "CPU s", "CPU s per audio hour",
                "RSS growth MiB", "traced peak MiB",
            ),
            [
                (
                    f"{row['audio_seconds'] / 60:.1f} min",
                    row["characters"],
                    f"{row['wall_seconds']:.2f}",
                    f"{row['cpu_seconds']:.2f}",
                    f"{row['cpu_seconds'] / row['audio_seconds'] * 3600:.1f}",
                    f"{row['rss_growth'] / 2**20:.1f}",
                    f"{row['traced_peak'] / 2**20:.2f}",
                )
                for row in rows
            ],
            "rrrrrrr",
        ),
    ]  # fmt: skip


if __name__ == "__main__":
    out, lengths = sys.argv[1:]
    rows = asyncio.run(measure_here(tuple(int(m) for m in lengths.split(","))))
    Path(out).write_text(json.dumps(rows))
