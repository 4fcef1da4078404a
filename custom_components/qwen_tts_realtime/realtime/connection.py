"""One realtime WebSocket: handshake, sending client events, reading server events."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections import deque
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass
import json
import logging
from typing import Any, Final
import uuid

import aiohttp

from .errors import (
    ConnectionClosedError,
    ProtocolError,
    RealtimeError,
    ResponseTimeoutError,
    ServiceError,
    error_from_close,
    error_from_connect_failure,
    error_from_event,
    error_from_send_failure,
)

_LOGGER = logging.getLogger(__name__)
_CLOSE_TIMEOUT: Final = 1.0
_DATA_TYPES: Final = (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY)
_CLOSED: Final = aiohttp.WSMessage(aiohttp.WSMsgType.CLOSED, None, None)

# Called once per completed response with its `usage.characters`, or None when it reports none.
type UsageCallback = Callable[[int | None], None]


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds to wait.

    `connect` bounds the handshake (and, for a spare socket, its first answer); `first_audio` and
    `audio` (silence between chunks) count only once the input is complete.
    """

    connect: float = 10.0
    first_audio: float = 15.0
    audio: float = 10.0


class Connection:
    """An open realtime socket. Not reusable: one session, then closed."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, timeouts: Timeouts) -> None:
        self._ws = ws
        self._timeouts = timeouts
        self._loop = asyncio.get_running_loop()
        self._input_done_at: float | None = None
        self._failure: BaseException | None = None
        # Spare sockets: frames read while waiting unused, the one receive left pending, who to
        # tell when the service closes the socket, and when a taken spare must have answered.
        self._backlog: deque[aiohttp.WSMessage] = deque()
        self._pending: asyncio.Task[aiohttp.WSMessage] | None = None
        self._on_lost: Callable[[], None] | None = None
        self._answer_by: float | None = None
        self.session_accepted = False

    @classmethod
    async def open(
        cls,
        session: aiohttp.ClientSession,
        url: str,
        headers: Mapping[str, str],
        timeouts: Timeouts,
    ) -> Connection:
        """Perform the WebSocket handshake, mapping every failure onto a typed error."""
        try:
            async with asyncio.timeout(timeouts.connect):
                ws = await session.ws_connect(
                    url,
                    headers=headers,
                    autoping=True,
                    heartbeat=None,
                    max_msg_size=0,
                    timeout=aiohttp.ClientWSTimeout(ws_close=_CLOSE_TIMEOUT),
                )
        except (aiohttp.ClientError, OSError, TimeoutError) as err:
            raise error_from_connect_failure(err, timeouts.connect) from None
        return cls(ws, timeouts)

    @property
    def closed(self) -> bool:
        """Return True once the socket is closed (or known to be closing)."""
        return self._ws.closed or any(m.type not in _DATA_TYPES for m in self._backlog)

    # --- spare sockets ---------------------------------------------------------------------

    def watch(self, on_lost: Callable[[], None]) -> None:
        """Keep one receive pending while the socket waits unused, to notice a server close.

        Frames that arrive meanwhile (`session.created`) are kept for `audio()`; `on_lost` is
        called once if the socket ends before `take()`.
        """
        self._on_lost = on_lost
        self._watch_next()

    def _watch_next(self) -> None:
        task = self._loop.create_task(self._ws.receive(), name="qwen_tts_spare_watch")
        self._pending = task
        task.add_done_callback(self._watched)

    def _watched(self, task: asyncio.Task[aiohttp.WSMessage]) -> None:
        if self._on_lost is None:  # taken or closing: whoever reads next picks the result up
            return
        self._pending = None
        msg = _result(task)
        self._backlog.append(msg)
        if msg.type in _DATA_TYPES and not _is_error(msg):
            self._watch_next()
        else:  # closed, or an error about a socket that carries no session yet: unusable
            on_lost, self._on_lost = self._on_lost, None
            on_lost()

    def take(self) -> None:
        """Stop watching: a session starts. The service must answer within `connect` seconds."""
        self._on_lost = None
        self._answer_by = self._loop.time() + self._timeouts.connect

    # --- sending ---------------------------------------------------------------------------

    async def send(self, event_type: str, **fields: Any) -> None:
        """Send one client event with a fresh `event_id`."""
        event = {"event_id": f"event_{uuid.uuid4().hex}", "type": event_type, **fields}
        try:
            await self._ws.send_str(json.dumps(event, ensure_ascii=False))
        except (aiohttp.ClientError, ConnectionError, RuntimeError) as err:
            raise error_from_send_failure(err, session_accepted=self.session_accepted) from None

    def mark_input_done(self) -> None:
        """Start the audio timeouts: from now on the service owes us audio."""
        self._input_done_at = self._loop.time()

    async def fail(self, error: BaseException) -> None:
        """Abort the session from another task; the reader raises `error`."""
        if self._failure is None:
            self._failure = error
        await self.close()

    async def close(self) -> None:
        """Close the socket; safe to call more than once, from `finally` blocks and on cancel."""
        self._on_lost = None
        try:
            if not self._ws.closed:
                await self._ws.close()
        finally:
            pending, self._pending = self._pending, None
            if pending is not None and not pending.done():  # pragma: no cover - a narrow race
                # The service's own close can still be finishing in the watcher's receive.
                pending.cancel()
                await asyncio.wait((pending,))

    # --- reading ---------------------------------------------------------------------------

    async def audio(
        self, *, align: bool = True, on_usage: UsageCallback | None = None
    ) -> AsyncGenerator[bytes]:
        """Yield audio as it arrives, until `session.finished`.

        With `align` (PCM), chunks always hold whole 16-bit samples: a byte that splits a sample
        waits for the next delta. `on_usage` hears of every completed response.
        """
        carry = b""
        got_audio = False
        last_frame_at = self._loop.time()
        while True:
            msg = await self._receive(last_frame_at, got_audio)
            last_frame_at = self._loop.time()
            event = _parse(msg)
            event_type = event.get("type")
            if event_type == "response.audio.delta":
                data = carry + _decode_delta(event)
                cut = len(data) - (len(data) % 2) if align else len(data)
                carry = data[cut:]
                if cut:
                    got_audio = True
                    yield data[:cut]
            elif event_type == "session.updated":
                self.session_accepted = True
            elif event_type == "session.finished":
                if carry:
                    _LOGGER.debug("Dropping %d byte(s) of an incomplete sample", len(carry))
                return
            elif event_type == "error":
                raise error_from_event(event)
            elif event_type == "response.done":
                _check_response(event)
                if on_usage is not None and _completed(event):
                    on_usage(_usage_characters(event))

    async def _receive(self, last_frame_at: float, got_audio: bool) -> aiohttp.WSMessage:
        """Return the next data frame; raise a typed error for a close or an expired timeout."""
        limit = self._timeouts.audio if got_audio else self._timeouts.first_audio
        while True:
            if self._backlog:
                msg = self._backlog.popleft()
            else:
                deadline: float | None = None
                expired: RealtimeError | None = None
                if self._input_done_at is not None:
                    deadline = max(last_frame_at, self._input_done_at) + limit
                    expired = ResponseTimeoutError("audio" if got_audio else "first_audio", limit)
                if self._answer_by is not None and (deadline is None or self._answer_by < deadline):
                    deadline = self._answer_by
                    expired = ConnectionClosedError(
                        "the spare connection did not answer", session_accepted=False
                    )
                if deadline is None:
                    # Nothing is owed until the input is complete; wake up now and then to notice
                    # when it is.
                    timeout = limit
                else:
                    timeout = deadline - self._loop.time()
                    if timeout <= 0:
                        assert expired is not None
                        raise expired
                try:
                    msg = await self._next_frame(wait=timeout)
                except TimeoutError:
                    continue
                self._answer_by = None
            if msg.type in _DATA_TYPES:
                return msg
            if self._failure is not None:
                raise self._failure
            raise error_from_close(msg, session_accepted=self.session_accepted)

    async def _next_frame(self, *, wait: float) -> aiohttp.WSMessage:
        """Return the next frame within `wait` seconds (TimeoutError otherwise)."""
        pending = self._pending
        if pending is None:
            return await self._ws.receive(timeout=wait)
        if not pending.done():
            await asyncio.wait((pending,), timeout=wait)
            if not pending.done():
                raise TimeoutError
        self._pending = None
        return _result(pending)


def _result(task: asyncio.Task[aiohttp.WSMessage]) -> aiohttp.WSMessage:
    if task.cancelled():  # pragma: no cover - only close() cancels it, in a narrow race
        return _CLOSED
    return task.result()


def _is_error(msg: aiohttp.WSMessage) -> bool:
    try:
        return _parse(msg).get("type") == "error"
    except ProtocolError:
        return True


def _parse(msg: aiohttp.WSMessage) -> dict[str, Any]:
    if msg.type != aiohttp.WSMsgType.TEXT:
        raise ProtocolError("unexpected binary frame")
    try:
        event = json.loads(msg.data)
    except ValueError:
        raise ProtocolError("frame is not JSON") from None
    if not isinstance(event, dict):
        raise ProtocolError("frame is not a JSON object")
    return event


def _decode_delta(event: Mapping[str, Any]) -> bytes:
    delta = event.get("delta")
    if not isinstance(delta, str):
        raise ProtocolError("audio delta without data")
    try:
        return base64.b64decode(delta, validate=True)
    except binascii.Error, ValueError:
        raise ProtocolError("audio delta is not base64") from None


def _check_response(event: Mapping[str, Any]) -> None:
    response = event.get("response")
    status = response.get("status") if isinstance(response, Mapping) else None
    if status == "failed":
        details = response.get("status_details") if isinstance(response, Mapping) else None
        error = details.get("error") if isinstance(details, Mapping) else None
        if isinstance(error, Mapping):
            raise error_from_event({"error": error})
        raise ServiceError("response_failed", "the service reported a failed response")


def _completed(event: Mapping[str, Any]) -> bool:
    response = event.get("response")
    return isinstance(response, Mapping) and response.get("status") == "completed"


def _usage_characters(event: Mapping[str, Any]) -> int | None:
    """Return the billed characters of a response, None when it does not say."""
    response = event["response"]
    usage = response.get("usage")
    characters = usage.get("characters") if isinstance(usage, Mapping) else None
    if isinstance(characters, int) and not isinstance(characters, bool) and characters >= 0:
        return characters
    return None
