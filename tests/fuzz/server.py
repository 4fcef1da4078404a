"""The fuzzing server: plays each connection's plan, records exactly what it sent and when.

One server serves many concurrent sessions; the API key names the session (`sk-fuzz-<id>`) and
each session hands out the plan of its next connection. The close happens in the reader, as in
the emulator, so that aiohttp waits for the client's close frame.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
import contextlib
from dataclasses import dataclass, field
import json
from typing import Any, Final, Literal

from aiohttp import WSMsgType, web

from qwen_tts_emulator import PATH

from .plans import Item, Plan

_MAX_CLIENT_FRAME: Final = 16 * 1024 * 1024
_KEY_PREFIX: Final = "Bearer sk-fuzz-"


@dataclass(slots=True)
class Sent:
    """A frame as it went out: its text (or binary data), or `repeat` deltas of `endless`."""

    kind: Literal["text", "binary", "endless"]
    text: str = ""
    data: bytes = b""
    response_id: object = None
    chunk: bytes = b""
    repeat: int = 0


@dataclass(slots=True)
class ConnectionRecord:
    """One connection of a session: its plan, what went out, and where the client's events fell.

    `update_at` and `finish_at` are how many frames had gone out when the server read the
    client's `session.update` and `session.finish` (None: never read).
    """

    plan: Plan
    sent: list[Sent] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    update_at: int | None = None
    finish_at: int | None = None
    pings: int = 0
    ended: bool = False


class FuzzSession:
    """The connections of one fuzzed utterance, each with the plan `plans(index)` gives."""

    def __init__(self, session_id: str, plans: Callable[[int], Plan]) -> None:
        self.id = session_id
        self.key = f"sk-fuzz-{session_id}"
        self._plans = plans
        self.connections: list[ConnectionRecord] = []

    def connect(self) -> ConnectionRecord:
        record = ConnectionRecord(self._plans(len(self.connections)))
        self.connections.append(record)
        return record

    @property
    def open_connections(self) -> int:
        return sum(not r.ended for r in self.connections if r.plan.refuse is None)


class FuzzServer:
    """Serves fuzzed sessions on 127.0.0.1 until `stop()`."""

    def __init__(self) -> None:
        self._sessions: dict[str, FuzzSession] = {}
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(PATH, self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"ws://127.0.0.1:{self._runner.addresses[0][1]}{PATH}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def add(self, session: FuzzSession) -> None:
        self._sessions[session.key] = session

    def remove(self, session: FuzzSession) -> None:
        self._sessions.pop(session.key, None)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        session = self._sessions.get(auth.removeprefix("Bearer "))
        if session is None or not auth.startswith(_KEY_PREFIX):
            return web.json_response({"code": "InvalidApiKey"}, status=401)
        record = session.connect()
        if (refuse := record.plan.refuse) is not None:
            status, code = refuse
            if code is None:
                return web.Response(status=status)
            return web.json_response({"code": code, "message": "Refused."}, status=status)
        ws = web.WebSocketResponse(autoping=False, max_msg_size=_MAX_CLIENT_FRAME, timeout=2.0)
        try:
            await ws.prepare(request)
            # A client that left during the handshake (cancelled) is gone before the socket's
            # reader was attached: aiohttp would never tell that reader, which would wait for ever.
            if request.transport is not None:
                await _Player(request, ws, record).run()
        finally:
            record.ended = True
        return ws


class _Player:
    """Plays one plan on one socket while reading the client's events."""

    def __init__(self, request: web.Request, ws: web.WebSocketResponse, record: ConnectionRecord):
        self._request = request
        self._ws = ws
        self._record = record
        self._seen: dict[str, asyncio.Event] = {}
        self._gone = asyncio.Event()
        self._close_code: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def _seen_event(self, event_type: str) -> asyncio.Event:
        return self._seen.setdefault(event_type, asyncio.Event())

    async def run(self) -> None:
        writer = asyncio.create_task(self._play())
        try:
            await self._read()
        finally:
            self._gone.set()
            writer.cancel()
            await asyncio.wait((writer,))
            if not self._ws.closed and (transport := self._request.transport) is not None:
                transport.abort()

    async def _read(self) -> None:
        record = self._record
        while True:
            receive = asyncio.ensure_future(self._ws.receive())
            waiters: set[asyncio.Future[Any]] = {receive, self._close_code}
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            if not receive.done():
                receive.cancel()
                await asyncio.wait({receive})
                with contextlib.suppress(ConnectionError):
                    await self._ws.close(code=self._close_code.result())
                return
            msg = receive.result()
            if msg.type == WSMsgType.PING:
                record.pings += 1
                if not record.plan.deaf:
                    with contextlib.suppress(ConnectionError):
                        await self._ws.pong(msg.data)
                continue
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                return
            event_type = _event_type(msg.data)
            record.received.append(event_type)
            if event_type == "session.update" and record.update_at is None:
                record.update_at = len(record.sent)
            elif event_type == "session.finish" and record.finish_at is None:
                record.finish_at = len(record.sent)
            self._seen_event(event_type).set()

    async def _play(self) -> None:
        try:
            for item in self._record.plan.items:
                if not await self._perform(item):
                    return
        except ConnectionError, RuntimeError:
            return
        await self._gone.wait()  # the plan is over: the client closes when it is done

    async def _perform(self, item: Item) -> bool:
        """Perform one item; False when nothing more is to be sent."""
        ws, sent = self._ws, self._record.sent
        match item.kind:
            case "event":
                text = json.dumps(item.event)
                await ws.send_str(text)
                sent.append(Sent("text", text=text))
            case "text":
                await ws.send_str(item.text)
                sent.append(Sent("text", text=item.text))
            case "binary":
                await ws.send_bytes(item.data)
                sent.append(Sent("binary", data=item.data))
            case "wait":
                await self._seen_event(item.wait_for).wait()
            case "pause":
                await asyncio.sleep(item.seconds)
            case "stall":
                await self._gone.wait()
                return False
            case "close":
                self._close(item.code)
                return False
            case "abort":
                if (transport := self._request.transport) is not None:
                    transport.abort()
                return False
            case "endless":
                await self._endless(item)
                return False
        return True

    async def _endless(self, item: Item) -> None:
        delta: dict[str, Any] = {"type": "response.audio.delta", "response_id": item.response_id}
        delta["delta"] = base64.b64encode(item.chunk).decode()
        text = json.dumps(delta)
        record = Sent("endless", response_id=item.response_id, chunk=item.chunk)
        self._record.sent.append(record)
        while True:
            await self._ws.send_str(text)
            record.repeat += 1
            await asyncio.sleep(0)

    def _close(self, code: int) -> None:
        if not self._close_code.done():
            self._close_code.set_result(code)


def _event_type(data: object) -> str:
    try:
        event = json.loads(data) if isinstance(data, str) else None
    except ValueError:
        return ""
    event_type = event.get("type") if isinstance(event, dict) else None
    return event_type if isinstance(event_type, str) else ""
