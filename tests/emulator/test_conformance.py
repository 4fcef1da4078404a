"""The vendor's own clients complete sessions against the emulator.

The official dashscope SDK (thread-based, websocket-client) and the sample client of the vendor's
guide (websockets) each run a session in server_commit and in commit mode, and must receive
exactly the PCM the emulator sent.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
import importlib.util
from pathlib import Path
import threading
from types import ModuleType
from typing import Any

import dashscope
from dashscope.audio.qwen_tts_realtime import (
    AudioFormat,
    QwenTtsRealtime,
    QwenTtsRealtimeCallback,
)
import pytest

from qwen_tts_emulator import Emulator, Scenario, render_pcm

from .helpers import KEY, MODEL

# The text fragments of the guide's server_commit.py.
GUIDE_FRAGMENTS = [
    "Alibaba Cloud's Model Studio is a one-stop platform for large model development and "
    "application building.",
    "Both developers and business personnel can be deeply involved in the design and "
    "construction of large model applications.",
    "You can develop a large model application in 5 minutes through simple interface operations,",
    "or train an exclusive model in a few hours, so you can focus more on application innovation.",
]


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both clients honour proxy variables; the emulator is reached directly."""
    for name in (
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)


def expected_pcm(emu: Emulator, voice: str = "Cherry") -> bytes:
    return b"".join(render_pcm(text, voice=voice) for text in emu.sessions[0].segments)


class Recorder(QwenTtsRealtimeCallback):
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.audio = bytearray()
        self.closed = threading.Event()
        self.close_code: int | None = None

    def on_event(self, message: Any) -> None:
        self.events.append(message)
        if message["type"] == "response.audio.delta":
            self.audio += base64.b64decode(message["delta"])

    def on_close(self, close_status_code: Any, close_msg: Any) -> None:
        self.close_code = close_status_code
        self.closed.set()


def run_sdk(url: str, mode: str, send: Callable[[QwenTtsRealtime], None]) -> Recorder:
    recorder = Recorder()
    tts = QwenTtsRealtime(model=MODEL, callback=recorder, url=url)
    tts.connect()
    try:
        tts.update_session(
            voice="Ethan", response_format=AudioFormat.PCM_24000HZ_MONO_16BIT, mode=mode
        )
        send(tts)
        tts.finish()
        assert recorder.closed.wait(10)
    finally:
        tts.close()
        tts.thread.join(5)
    return recorder


async def test_dashscope_sdk_server_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashscope, "api_key", KEY)

    def send(tts: QwenTtsRealtime) -> None:
        for fragment in GUIDE_FRAGMENTS:
            tts.append_text(fragment)

    async with Emulator(Scenario(delta_bytes=4801)) as emu:
        recorder = await asyncio.to_thread(run_sdk, emu.url, "server_commit", send)
        await emu.wait_idle()

    record = emu.sessions[0]
    types = [event["type"] for event in recorder.events]
    assert types[:2] == ["session.created", "session.updated"]
    assert types[-1] == "session.finished"
    assert types.count("response.done") == len(record.segments) == 3
    assert recorder.close_code == 1000
    assert bytes(recorder.audio) == record.pcm == expected_pcm(emu, "Ethan")
    assert record.headers["Authorization"] == f"Bearer {KEY}"
    assert (record.header("user-agent") or "").startswith("dashscope/")
    assert emu.open_connections == 0


async def test_dashscope_sdk_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashscope, "api_key", KEY)

    def send(tts: QwenTtsRealtime) -> None:
        for text in ("First commit.", "Second commit, 第二次。"):
            tts.append_text(text)
            tts.commit()

    async with Emulator(Scenario()) as emu:
        recorder = await asyncio.to_thread(run_sdk, emu.url, "commit", send)
        await emu.wait_idle()

    types = [event["type"] for event in recorder.events]
    assert types.count("input_text_buffer.committed") == 2
    assert types.count("response.done") == 2
    assert types[-1] == "session.finished"
    assert emu.sessions[0].segments == ["First commit.", "Second commit, 第二次。"]
    assert bytes(recorder.audio) == emu.sessions[0].pcm == expected_pcm(emu, "Ethan")


def load_vendor_client() -> ModuleType:
    path = Path(__file__).parents[1] / "vendor" / "tts_realtime_client.py"
    spec = importlib.util.spec_from_file_location("tts_realtime_client", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def run_vendor_client(emu: Emulator, commit: bool) -> bytes:
    """Drive the guide's client the way its server_commit.py / commit.py do."""
    vendor = load_vendor_client()
    chunks: list[bytes] = []
    client = vendor.TTSRealtimeClient(
        base_url=f"{emu.url}?model={MODEL}",
        api_key=KEY,
        voice="Cherry",
        language_type="English",
        mode=vendor.SessionMode.COMMIT if commit else vendor.SessionMode.SERVER_COMMIT,
        audio_callback=chunks.append,
    )
    await client.connect()
    consumer = asyncio.create_task(client.handle_messages())
    try:
        for fragment in GUIDE_FRAGMENTS:
            await client.append_text(fragment)
            await asyncio.sleep(0.01)
        if commit:
            await client.commit_text_buffer()
        await client.finish_session()
        async with asyncio.timeout(10):
            await consumer
    finally:
        await client.close()
        consumer.cancel()
    return b"".join(chunks)


async def test_vendor_sample_client_server_commit() -> None:
    async with Emulator(Scenario()) as emu:
        audio = await run_vendor_client(emu, commit=False)
        await emu.wait_idle()

    record = emu.sessions[0]
    assert len(record.segments) == 3
    assert "session.finished" in record.sent
    assert audio == record.pcm == expected_pcm(emu)


async def test_vendor_sample_client_commit() -> None:
    async with Emulator(Scenario()) as emu:
        audio = await run_vendor_client(emu, commit=True)
        await emu.wait_idle()

    record = emu.sessions[0]
    assert record.segments == ["".join(GUIDE_FRAGMENTS)]
    assert record.config["mode"] == "commit"
    assert record.config["language_type"] == "English"
    assert audio == record.pcm == expected_pcm(emu)
