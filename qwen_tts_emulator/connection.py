"""One accepted WebSocket: reading client events and applying the protocol to them.

Three tasks: this reader, a `Producer` answering each text with a response, and the `Outbox`
writer sending what both queue (and what the faults inject).
"""

from __future__ import annotations

import asyncio
from asyncio import FIRST_COMPLETED
import contextlib
import json
from typing import Any, Literal

from aiohttp import WSMsgType, web

from .faults import Faults
from .outbox import Action, Outbox
from .producer import Producer
from .rules import SECOND_UPDATE_MESSAGE, UpdateError, apply_update
from .scenario import Scenario
from .segments import split_segments, take_complete
from .session_records import ReceivedEvent, SessionRecord
from .voice_store import VOICE_STORE


class Connection:
    """One accepted WebSocket, from `session.created` to the close."""

    def __init__(
        self,
        request: web.Request,
        ws: web.WebSocketResponse,
        record: SessionRecord,
        scenario: Scenario,
    ) -> None:
        self._request = request
        self._ws = ws
        self.record = record
        self._scenario = scenario
        self._spec = scenario.models.get(record.model)
        self._loop = asyncio.get_running_loop()
        self._update_state: Literal["none", "applied", "failed"] = "none"
        self._started = False
        self._finished = False
        self._buffer = ""
        self._resume = 0
        self.server_closing = False
        self._close_request: asyncio.Future[int] = self._loop.create_future()
        self._outbox = Outbox(ws, record, self)
        self._faults = Faults(scenario.faults, record, self._outbox)
        self._producer = Producer(record, scenario, self._outbox, self._faults)

    async def run(self) -> None:
        """Serve the socket until it closes; the record then says how."""
        record = self.record
        tasks = [asyncio.create_task(self._outbox.run())]
        idle_close: asyncio.TimerHandle | None = None
        try:
            self._outbox.emit(
                "session.created",
                session={
                    "object": "realtime.session",
                    "mode": "server_commit",
                    "model": record.model,
                    "voice": "Cherry",
                    "response_format": "pcm",
                    "sample_rate": 24000,
                    "id": record.session_id,
                },
            )
            self._faults.fire("after_created")
            if (idle := self._scenario.idle_close_after) is not None:
                idle_close = self._loop.call_later(idle, self._close_if_unused)
            if self._spec is None:
                self._outbox.halt(Action("close", code=1000))
            else:
                tasks.append(asyncio.create_task(self._producer.run()))
            await self._read_loop()
        finally:
            if idle_close is not None:
                idle_close.cancel()
            running = [task for task in tasks if not task.done()]
            for task in running:
                task.cancel()
            if running:
                await asyncio.wait(running)
            if not self._ws.closed and (transport := self._request.transport) is not None:
                transport.abort()
            record.closed_at = self._loop.time()
            record.closed_by_client = not self.server_closing
            record.close_code = self._ws.close_code

    def _close_if_unused(self) -> None:
        if not self.record.received:
            self.record.closed_idle = True
            self.request_close(1000)

    def request_close(self, code: int) -> None:
        """Ask the reader to close with a close handshake (it waits for the client's reply)."""
        self.server_closing = True
        self._outbox.halt()
        if not self._close_request.done():
            self._close_request.set_result(code)

    def abort(self) -> None:
        """Drop the connection without a close frame."""
        self.server_closing = True
        if (transport := self._request.transport) is not None:
            transport.abort()

    async def _read_loop(self) -> None:
        """Read client events until the socket closes or the server asks to close it.

        The close happens here, not in the writer, so that aiohttp waits for the client's
        close frame instead of dropping the connection right after its own.
        """
        while True:
            await self._faults.reading.wait()
            receive = asyncio.ensure_future(self._ws.receive())
            waiters: set[asyncio.Future[Any]] = {receive, self._close_request}
            try:
                await asyncio.wait(waiters, return_when=FIRST_COMPLETED)
            finally:
                if not receive.done():
                    receive.cancel()
                    await asyncio.wait({receive})
            if receive.cancelled():
                with contextlib.suppress(ConnectionError):
                    await self._ws.close(code=self._close_request.result())
                return
            msg = receive.result()
            if msg.type is WSMsgType.PING:
                if self._faults.answering_pings:
                    with contextlib.suppress(ConnectionError):
                        await self._ws.pong(msg.data)
                continue
            if msg.type is WSMsgType.PONG:
                continue
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                return
            self._on_message(msg.type, msg.data, self._loop.time())

    def _on_message(self, kind: WSMsgType, raw: Any, now: float) -> None:
        outbox = self._outbox
        if kind is WSMsgType.BINARY:
            self.record.received.append(ReceivedEvent("", {"binary": len(raw)}, now))
            outbox.emit_error("invalid_value", "Invalid event: binary frames are not supported.")
            return
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self.record.received.append(ReceivedEvent("", {"raw": raw}, now))
            outbox.emit_error("invalid_value", "Invalid event: expected a JSON object.")
            return
        event_type = data.get("type")
        event_type = event_type if isinstance(event_type, str) else ""
        self.record.received.append(ReceivedEvent(event_type, data, now))
        self._handle(event_type, data, now)

    def _handle(self, event_type: str, data: dict[str, Any], now: float) -> None:
        if self._spec is None or self._finished:
            return
        outbox, producer = self._outbox, self._producer
        event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
        server_commit = producer.config["mode"] == "server_commit"
        match event_type:
            case "session.update":
                self._on_update(data, event_id)
            case "input_text_buffer.append":
                text = data.get("text")
                if not isinstance(text, str):
                    outbox.emit_error(
                        "invalid_value", "Invalid value: text must be a string.", "text", event_id
                    )
                    return
                self._started = True
                self._buffer += text
                if server_commit:
                    segments, self._buffer, self._resume = take_complete(self._buffer, self._resume)
                    producer.queue(segments, now)
            case "input_text_buffer.commit":
                self._started = True
                if not self._buffer.strip():
                    outbox.emit_error(
                        "invalid_value",
                        "Error committing input text buffer: the buffer is empty.",
                        None,
                        event_id,
                    )
                    return
                text, self._buffer, self._resume = self._buffer, "", 0
                outbox.emit("input_text_buffer.committed", item_id="")
                producer.queue([text], now)
            case "input_text_buffer.clear":
                self._buffer, self._resume = "", 0
                outbox.emit("input_text_buffer.cleared")
            case "session.finish":
                self._started = True
                self._finished = True
                if server_commit:
                    producer.queue(split_segments(self._buffer), now)
                elif self._scenario.commit_finish_flushes and self._buffer.strip():
                    producer.queue([self._buffer], now)
                self._buffer, self._resume = "", 0
                producer.finish()
            case _:
                outbox.emit_error(
                    "invalid_value", f"Unsupported event type: {event_type!r}.", "type", event_id
                )

    def _on_update(self, data: dict[str, Any], event_id: str | None) -> None:
        assert self._spec is not None
        if self._update_state != "none" or self._started:
            self._outbox.emit_error("invalid_value", SECOND_UPDATE_MESSAGE, None, event_id)
            return
        try:
            created = self._request.app[VOICE_STORE].target_models()
            config = apply_update(
                self.record.model, self._spec, self._producer.config, data.get("session"), created
            )
        except UpdateError as err:
            self._update_state = "failed"
            self._outbox.emit_error("invalid_value", err.message, err.param, event_id)
        else:
            self._update_state = "applied"
            self._producer.config = config
            self.record.config = dict(config)
            self._outbox.emit(
                "session.updated",
                session={"id": self.record.session_id, "object": "realtime.session", **config},
            )
        self._faults.fire("after_update")
