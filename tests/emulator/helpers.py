"""A raw aiohttp client for the emulator's tests."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
import json
from typing import Any
import uuid

import aiohttp

from qwen_tts_emulator import Emulator

MODEL = "qwen3-tts-flash-realtime"
KEY = "sk-test-key"
RESPONSE_EVENTS = [
    "response.created",
    "response.output_item.added",
    "response.content_part.added",
    "response.audio.delta",
    "response.audio.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.done",
]
CLOSED = "<closed>"


class Client:
    """One WebSocket to the emulator; `events` holds every event read so far."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self.binary_frames: list[bytes] = []
        self.bad_text_frames: list[str] = []
        self.closed = False
        self.arrivals: list[float] = []

    async def send(self, event_type: str, **fields: Any) -> None:
        event = {"event_id": f"event_{uuid.uuid4().hex}", "type": event_type, **fields}
        await self.ws.send_str(json.dumps(event))

    async def update(self, **session: Any) -> None:
        await self.send("session.update", session=session)

    async def append(self, text: str) -> None:
        await self.send("input_text_buffer.append", text=text)

    async def next(self, limit: float = 5.0) -> dict[str, Any]:
        """Return the next event, or {"type": CLOSED} once the socket is closed."""
        while True:
            if self.closed:
                return {"type": CLOSED}
            msg = await self.ws.receive(timeout=limit)
            if msg.type is aiohttp.WSMsgType.TEXT:
                try:
                    event: dict[str, Any] = json.loads(msg.data)
                except ValueError:
                    self.bad_text_frames.append(msg.data)
                    continue
                self.events.append(event)
                self.arrivals.append(asyncio.get_running_loop().time())
                return event
            if msg.type is aiohttp.WSMsgType.BINARY:
                self.binary_frames.append(msg.data)
                continue
            self.closed = True

    async def until(self, event_type: str, limit: float = 5.0) -> list[dict[str, Any]]:
        """Read up to and including the next `event_type` event (or the close)."""
        start = len(self.events)
        while True:
            event = await self.next(limit)
            if event["type"] in (event_type, CLOSED):
                return self.events[start:]

    async def drain(self, limit: float = 5.0) -> list[dict[str, Any]]:
        """Read until the server closes the socket; return every event read on the way."""
        return await self.until(CLOSED, limit)

    async def quiet(self, seconds: float) -> bool:
        """Return True when nothing arrives for `seconds`."""
        try:
            await self.next(limit=seconds)
        except TimeoutError:
            return True
        return False

    def types(self) -> list[str]:
        return [event["type"] for event in self.events]

    def audio(self) -> bytes:
        return b"".join(
            base64.b64decode(e["delta"]) for e in self.events if e["type"] == "response.audio.delta"
        )


@asynccontextmanager
async def connect(
    emu: Emulator, model: str = MODEL, key: str | None = KEY, **headers: str
) -> AsyncIterator[Client]:
    """Open a WebSocket to `emu` for `model`, authenticated with `key`."""
    if key is not None:
        headers = {"Authorization": f"Bearer {key}", **headers}
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{emu.url}?model={model}", headers=headers) as ws,
    ):
        yield Client(ws)


def response_sequence(deltas: int) -> list[str]:
    """Return the event types of one response with `deltas` audio deltas."""
    return [*RESPONSE_EVENTS[:3], *["response.audio.delta"] * deltas, *RESPONSE_EVENTS[4:]]


def without_deltas(types: list[str]) -> list[str]:
    """Collapse runs of audio deltas to one, to compare event orders."""
    out: list[str] = []
    for event_type in types:
        if event_type == "response.audio.delta" and out and out[-1] == event_type:
            continue
        out.append(event_type)
    return out


ONE_RESPONSE = [*RESPONSE_EVENTS]
