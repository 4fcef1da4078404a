"""What one connection sends, in order: queued actions and the writer task that performs them."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator
import contextlib
from dataclasses import dataclass
import json
from typing import Any, Final, Literal, Protocol

from aiohttp import web

from .session_records import SessionRecord, new_id

# Queued actions at which audio production waits for the client to read (a slow reader).
HIGH_WATER: Final = 64


@dataclass(slots=True)
class Action:
    """One thing to send; `pcm`, `audio` and `usage` are what a json event carries, recorded."""

    kind: Literal["json", "text", "binary", "stall", "halt", "close", "abort", "frames"]
    event: dict[str, Any] | None = None
    text: str = ""
    data: bytes = b""
    seconds: float | None = None
    code: int = 1000
    pcm: bytes = b""
    audio: bytes = b""
    usage: int = 0
    frames: AsyncGenerator[str] | None = None


def event(event_type: str, /, **fields: Any) -> dict[str, Any]:
    """Return a server event with a fresh `event_id`."""
    return {"event_id": new_id("event"), "type": event_type, **fields}


class Closer(Protocol):
    """What ends a connection: a close handshake (by the reader), or a dropped connection."""

    def request_close(self, code: int) -> None:
        """Close with a close frame of `code`."""

    def abort(self) -> None:
        """Drop the connection without a close frame."""


class Outbox:
    """The actions waiting to be sent. Once halted, no more events are emitted."""

    def __init__(self, ws: web.WebSocketResponse, record: SessionRecord, closer: Closer) -> None:
        self._ws = ws
        self._record = record
        self._closer = closer
        self._queue: deque[Action] = deque()
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self.halted = False

    def push(self, action: Action) -> None:
        """Queue `action`, whether halted or not (the last actions of a fault)."""
        self._queue.append(action)
        self._wake.set()
        if len(self._queue) >= HIGH_WATER:
            self._room.clear()

    def halt(self, action: Action | None = None) -> None:
        """Send nothing more after `action`."""
        if action is not None:
            self.push(action)
        self.halted = True

    def send(self, server_event: dict[str, Any], **carried: Any) -> None:
        """Queue a built event unless halted; `carried`: the Action's pcm, audio or usage."""
        if not self.halted:
            self.push(Action("json", event=server_event, **carried))

    def emit(self, event_type: str, /, **fields: Any) -> None:
        """Queue a server event unless halted."""
        self.send(event(event_type, **fields))

    def emit_error(
        self,
        code: str,
        message: str,
        param: str | None = None,
        client_event_id: str | None = None,
    ) -> None:
        """Queue an `error` event, as the service words it."""
        error: dict[str, Any] = {"type": "invalid_request_error", "code": code, "message": message}
        if param is not None:
            error["param"] = param
        if client_event_id is not None:
            error["event_id"] = client_event_id
        self.emit("error", error=error)

    async def wait_room(self) -> None:
        """Wait until the client has read enough of what is queued."""
        while not self._room.is_set():
            await self._room.wait()

    async def run(self) -> None:
        """Perform the queued actions in order, until a close or the socket fails."""
        try:
            while True:
                while not self._queue:
                    self._wake.clear()
                    await self._wake.wait()
                action = self._queue.popleft()
                if len(self._queue) < HIGH_WATER // 2:
                    self._room.set()
                if not await self._perform(action):
                    return
        except ConnectionError:
            return

    async def _perform(self, action: Action) -> bool:
        """Perform one action; False when it ends the writing."""
        ws = self._ws
        match action.kind:
            case "json":
                assert action.event is not None
                await ws.send_str(json.dumps(action.event, ensure_ascii=False))
                self._record.add_sent(
                    action.event["type"], pcm=action.pcm, audio=action.audio, usage=action.usage
                )
            case "text":
                await ws.send_str(action.text)
            case "frames":
                assert action.frames is not None
                async with contextlib.aclosing(action.frames) as texts:
                    async for text in texts:
                        await ws.send_str(text)
            case "binary":
                await ws.send_bytes(action.data)
            case "stall" if action.seconds is not None:
                await asyncio.sleep(action.seconds)
            case "stall" | "halt":
                await asyncio.get_running_loop().create_future()
            case "close":
                self._closer.request_close(action.code)
                return False
            case "abort":
                self._closer.abort()
                return False
        return True
