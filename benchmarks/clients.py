"""The clients the benchmark compares, each measured the same way.

Every function runs one utterance in `server_commit` mode (one append, then `session.finish`,
as Home Assistant's `tts.speak` produces it), reads the audio to the end, and returns the time
to first audio (TTFA) in seconds, from the moment the utterance is asked for to the moment the
first PCM bytes are in the caller's hands on the event loop.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from concurrent.futures import Executor
import contextlib
import importlib.util
import io
import json
import threading
import time
from types import ModuleType
from typing import Any
import uuid

import aiohttp
import dashscope
from dashscope.audio.qwen_tts_realtime import (
    AudioFormat,
    QwenTtsRealtime,
    QwenTtsRealtimeCallback,
)

from custom_components.qwen_tts_realtime.realtime import RealtimeClient, SessionConfig

from .common import REPO, VOICE


async def one_chunk(text: str) -> AsyncIterator[str]:
    yield text


# --- ours -----------------------------------------------------------------------------------


async def ours(client: RealtimeClient, config: SessionConfig, text: str) -> float:
    """Our client, as the entity drives it (`stream`, server_commit)."""
    start = time.perf_counter()
    first: float | None = None
    async for _pcm in client.stream(config, one_chunk(text)):
        if first is None:
            first = time.perf_counter() - start
    assert first is not None
    return first


# --- raw aiohttp baseline: only the minimum on the wire -------------------------------------


def _event(event_type: str, **fields: Any) -> str:
    return json.dumps({"event_id": f"event_{uuid.uuid4().hex}", "type": event_type, **fields})


async def baseline(http: aiohttp.ClientSession, url: str, key: str, model: str, text: str) -> float:
    """Handshake, three events, read deltas until `session.finished`: nothing else."""
    start = time.perf_counter()
    first: float | None = None
    session = {"voice": VOICE, "mode": "server_commit", "response_format": "pcm"}
    async with http.ws_connect(
        f"{url}?model={model}", headers={"Authorization": f"Bearer {key}"}
    ) as ws:
        await ws.send_str(_event("session.update", session=session))
        await ws.send_str(_event("input_text_buffer.append", text=text))
        await ws.send_str(_event("session.finish"))
        async for msg in ws:
            event = json.loads(msg.data)
            if event["type"] == "response.audio.delta":
                base64.b64decode(event["delta"])
                if first is None:
                    first = time.perf_counter() - start
            elif event["type"] == "session.finished":
                break
    assert first is not None
    return first


# --- the official SDK, run as a Home Assistant integration must run it: in an executor -------


class _SdkCallback(QwenTtsRealtimeCallback):
    """Hands audio from the SDK's thread to the event loop, as an integration would."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[bytes | None]):
        self._loop = loop
        self._queue = queue
        self.done = threading.Event()

    def _put(self, item: bytes | None) -> None:
        self._loop.call_soon_threadsafe(self._queue.put_nowait, item)

    def on_event(self, message: Any) -> None:
        if message["type"] == "response.audio.delta":
            self._put(base64.b64decode(message["delta"]))
        elif message["type"] in ("session.finished", "error"):
            self.done.set()
            self._put(None)

    def on_close(self, close_status_code: Any, close_msg: Any) -> None:
        self.done.set()
        self._put(None)


def _sdk_session(url: str, key: str, model: str, text: str, callback: _SdkCallback) -> None:
    """One utterance with `QwenTtsRealtime`; blocks its (executor) thread throughout."""
    dashscope.api_key = key
    tts = QwenTtsRealtime(model=model, callback=callback, url=url)
    try:
        tts.connect()
        tts.update_session(
            voice=VOICE, response_format=AudioFormat.PCM_24000HZ_MONO_16BIT, mode="server_commit"
        )
        tts.append_text(text)
        tts.finish()
        callback.done.wait(60)
    finally:
        tts.close()
        tts.thread.join(5)


async def sdk(executor: Executor | None, url: str, key: str, model: str, text: str) -> float:
    """The dashscope SDK in an executor thread; audio comes back through the event loop."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue()
    callback = _SdkCallback(loop, queue)
    start = time.perf_counter()
    first: float | None = None
    job = loop.run_in_executor(executor, _sdk_session, url, key, model, text, callback)
    while (chunk := await queue.get()) is not None:
        if first is None and chunk:
            first = time.perf_counter() - start
    await job
    assert first is not None
    return first


# --- a client written like the vendor's sample (websockets, fixed sleeps) --------------------


def _vendor_module() -> ModuleType:
    path = REPO / "tests" / "vendor" / "tts_realtime_client.py"
    spec = importlib.util.spec_from_file_location("tts_realtime_client", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_VENDOR: ModuleType | None = None


async def vendor_sample(url: str, key: str, model: str, text: str) -> float:
    """The guide's TTSRealtimeClient driven like its server_commit.py (pauses included)."""
    global _VENDOR  # noqa: PLW0603 - load the vendored file once
    _VENDOR = _VENDOR or _vendor_module()
    first: float | None = None
    start = 0.0

    def on_audio(_pcm: bytes) -> None:
        nonlocal first
        if first is None:
            first = time.perf_counter() - start

    with contextlib.redirect_stdout(io.StringIO()):  # the sample prints every event
        client = _VENDOR.TTSRealtimeClient(
            base_url=f"{url}?model={model}",
            api_key=key,
            voice=VOICE,
            mode=_VENDOR.SessionMode.SERVER_COMMIT,
            audio_callback=on_audio,
            language_type="English",
        )
        start = time.perf_counter()
        await client.connect()
        consumer = asyncio.create_task(client.handle_messages())
        await client.append_text(text)
        await asyncio.sleep(0.1)  # the guide: "Slight delay between fragments"
        await asyncio.sleep(1.0)  # the guide: "Waits for the server to complete ..."
        await client.finish_session()
        await consumer  # ends when the server closes after session.finished
        await client.close()
    assert first is not None
    return first
