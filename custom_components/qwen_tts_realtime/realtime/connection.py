"""One realtime WebSocket: the handshake, client events out, and one reader of server events.

A single reader task per socket owns `ws.receive()`, never with a timeout (aiohttp marks a socket
abnormally closed when a receive times out), and hands frames to a bounded queue; every timer
waits on that queue. Until `session.update` is sent the reader judges frames itself: an unused
socket may get `session.created` and nothing else, and nothing it got is ever yielded.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import AsyncGenerator, Callable, Mapping
import contextlib
import json
import logging
from typing import Any, Final
import uuid

import aiohttp

from .errors import (
    AccountError,
    AuthenticationError,
    ConnectionClosedError,
    IncompleteAudioError,
    ProtocolError,
    RealtimeError,
    ResponseTimeoutError,
    ServiceError,
    error_from_close,
    error_from_connect_failure,
    error_from_event,
    error_from_send_failure,
)
from .limits import (
    IDLE_FRAMES,
    MAX_BAD_FRAMES,
    MAX_FRAME_BYTES,
    READ_AHEAD_FRAMES,
    AudioMeter,
    Timeouts,
)

_LOGGER = logging.getLogger(__name__)
_CLOSE_TIMEOUT: Final = 1.0
_DATA_TYPES: Final = (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY)
type UsageCallback = Callable[[int | None], None]


class Connection:
    """An open realtime socket. Not reusable: one session, then closed."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, timeouts: Timeouts) -> None:
        self._ws = ws
        self._timeouts = timeouts
        self._loop = asyncio.get_running_loop()
        self._frames: asyncio.Queue[aiohttp.WSMessage] = asyncio.Queue(READ_AHEAD_FRAMES)
        self._failure: BaseException | None = None
        self._on_lost: Callable[[], None] | None = None
        self._started = False  # session.update sent: frames from now on belong to the session
        self._finish_sent = False
        self._waiter: asyncio.Timeout | None = None
        # Deadlines, and the seconds spent waiting since input was complete: since the last
        # audio (`_gap`) and since the first (`_starved`), against the seconds of audio heard.
        self._accept_by: float | None = None
        self._end_by: float | None = None
        self._input_done_at: float | None = None
        self._got_audio = False
        self._anchored = False
        self._gap = self._starved = self._heard = 0.0
        self.session_accepted = False
        self.bad_frames = 0  # undecodable frames skipped
        self._reader = self._loop.create_task(self._read(), name="qwen_tts_reader")

    @classmethod
    async def open(
        cls,
        session: aiohttp.ClientSession,
        url: str,
        headers: Mapping[str, str],
        timeouts: Timeouts,
    ) -> Connection:
        """Perform the WebSocket handshake, mapping every failure onto a typed error.

        The typed error is raised outside the `except` block: aiohttp's errors hold the request
        headers, which must not hang on to it as `__context__`.
        """
        try:
            async with asyncio.timeout(timeouts.connect):
                ws = await session.ws_connect(
                    url,
                    headers=headers,
                    autoping=True,
                    # Not aiohttp's heartbeat: it re-arms its timer for frames that arrive
                    # while closing, leaving it behind. Idle spares get `ping()` instead.
                    heartbeat=None,
                    max_msg_size=MAX_FRAME_BYTES,
                    timeout=aiohttp.ClientWSTimeout(ws_close=_CLOSE_TIMEOUT),
                )
        except Exception as err:  # noqa: BLE001 - every handshake failure becomes a typed error
            failure = error_from_connect_failure(err, timeouts.connect)
        else:
            return cls(ws, timeouts)
        raise failure

    @property
    def closed(self) -> bool:
        """Return True once the socket is closed, failed, or no longer read."""
        return self._ws.closed or self._failure is not None or self._reader.done()

    @property
    def close_code(self) -> int | None:
        """Return the WebSocket close code once closed (1006: closed without a handshake)."""
        return self._ws.close_code

    # --- spare sockets ---------------------------------------------------------------------

    def watch(self, on_lost: Callable[[], None]) -> None:
        """Call `on_lost` once if the socket ends or gets anything unexpected before `take()`."""
        self._on_lost = on_lost
        if self._failure is not None:
            self._lose(self._failure)

    def take(self) -> None:
        """Stop watching: a session starts."""
        self._on_lost = None

    async def ping(self) -> None:
        """Send a WebSocket ping (the service answers it); a failed send loses the socket."""
        try:
            async with asyncio.timeout(self._timeouts.send):
                await self._ws.ping()
        except (TimeoutError, aiohttp.ClientError, ConnectionError, RuntimeError) as err:
            reason = f"ping failed: {type(err).__name__}"
            self._lose(ConnectionClosedError(reason, session_accepted=False))

    # --- reading ---------------------------------------------------------------------------

    async def _read(self) -> None:
        """Move frames from the socket to the queue, judging those before the session."""
        idle = 0
        while True:
            msg = await self._ws.receive()
            if not self._started:
                idle += 1
                if (error := _idle_frame_error(msg, idle)) is None:
                    continue
                self._lose(error)
                return
            await self._frames.put(msg)
            if msg.type not in _DATA_TYPES:
                return

    def _lose(self, error: BaseException) -> None:
        if self._failure is None:
            self._failure = error
        self._wake()
        on_lost, self._on_lost = self._on_lost, None
        if on_lost is not None:
            on_lost()

    def _wake(self) -> None:
        """Make a waiting reader look at its deadlines (and the failure) again."""
        if self._waiter is not None:
            self._waiter.reschedule(self._loop.time())

    # --- sending ---------------------------------------------------------------------------

    async def send(self, event_type: str, **fields: Any) -> None:
        """Send one client event with a fresh `event_id`, within the send timeout."""
        event = {"event_id": f"event_{uuid.uuid4().hex}", "type": event_type, **fields}
        if event_type == "session.update":
            self._started = True
            self._accept_by = self._loop.time() + self._timeouts.connect
        elif event_type == "session.finish":
            self._finish_sent = True  # before it can be answered
        failure: RealtimeError | None = None
        try:
            async with asyncio.timeout(self._timeouts.send):
                await self._ws.send_str(json.dumps(event, ensure_ascii=False))
        except TimeoutError:
            failure = ResponseTimeoutError("send", self._timeouts.send)
        except (aiohttp.ClientError, ConnectionError, RuntimeError) as err:
            failure = error_from_send_failure(err, session_accepted=self.session_accepted)
        if failure is not None:
            raise failure

    def mark_input_done(self) -> None:
        """Start the audio timers: from now on the service owes us audio."""
        self._input_done_at = self._loop.time()
        self._wake()

    def end_by(self, deadline: float) -> None:
        """Fail the session with a `synthesize` timeout unless it ends by loop time `deadline`."""
        self._end_by = deadline
        self._wake()

    async def fail(self, error: BaseException) -> None:
        """Abort the session from another task; the reader of `audio()` raises `error`."""
        self._lose(error)

    async def close(self) -> None:
        """Close the socket; safe to call more than once, from `finally` blocks and on cancel."""
        self._on_lost = None
        try:
            if not self._ws.closed:
                # A service that stops reading would block the close frame forever: aiohttp
                # drops the connection when this ends it.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(_CLOSE_TIMEOUT):
                        await self._ws.close()
        finally:
            self._reader.cancel()  # only ever waiting for room in the queue by now
            await asyncio.wait((self._reader,))

    async def audio(
        self, meter: AudioMeter, *, align: bool = True, on_usage: UsageCallback | None = None
    ) -> AsyncGenerator[bytes]:
        """Yield audio as it arrives, until the session is proven complete.

        Complete means: every response that started ended `completed`, and `session.finished`
        came after our `session.finish`; anything else raises. With `align` (PCM), chunks hold
        whole 16-bit samples. `on_usage` gets each completed response's `usage.characters`.
        """
        carry = b""
        open_responses = completed = 0
        while True:
            event = self._decode(await self._next())
            if event is None:
                continue
            event_type = event.get("type")
            if event_type == "response.audio.delta":
                delta = _decode_delta(event)
                self._heard_audio(meter.add(len(delta)))
                data = carry + delta
                cut = len(data) - (len(data) % 2) if align else len(data)
                carry = data[cut:]
                if cut:
                    yield data[:cut]
            elif event_type == "session.updated":
                self.session_accepted = True
            elif event_type == "response.created":
                open_responses += 1
            elif event_type == "response.done":
                characters = _completed_usage(event)
                open_responses = max(0, open_responses - 1)
                completed += 1
                if on_usage is not None:
                    on_usage(characters)
            elif event_type == "error":
                raise error_from_event(event)
            elif event_type == "session.finished":
                _check_finished(self._finish_sent, open_responses, completed)
                if carry:
                    _LOGGER.debug("Dropping %d byte(s) of an incomplete sample", len(carry))
                return

    def _decode(self, msg: aiohttp.WSMessage) -> dict[str, Any] | None:
        """Return the event of a frame; None for an undecodable one, skipped up to a bound."""
        try:
            return _parse(msg)
        except ProtocolError as err:
            self.bad_frames += 1
            if self.bad_frames == 1:
                _LOGGER.warning("Skipping a frame the service sent: %s", err)
            if self.bad_frames > MAX_BAD_FRAMES:
                raise ProtocolError(f"more than {MAX_BAD_FRAMES} undecodable frames") from None
            return None

    def _heard_audio(self, seconds: float) -> None:
        self._got_audio = True
        if self._input_done_at is not None:
            self._anchored = True
            self._heard += seconds
            self._gap = 0.0

    async def _next(self) -> aiohttp.WSMessage:
        """Return the next data frame; raise for a failure, a close or an expired deadline."""
        while True:
            if self._failure is not None:
                raise self._failure
            msg: aiohttp.WSMessage | None
            try:
                msg = self._frames.get_nowait()
            except asyncio.QueueEmpty:
                msg = await self._wait()
            if msg is None:
                continue
            if msg.type in _DATA_TYPES:
                return msg
            if msg.type == aiohttp.WSMsgType.ERROR and _too_big(msg.data):
                raise ProtocolError(f"a frame larger than {MAX_FRAME_BYTES} bytes")
            raise error_from_close(msg, session_accepted=self.session_accepted)

    async def _wait(self) -> aiohttp.WSMessage | None:
        """Wait for a frame until the nearest deadline; None when woken up early."""
        start = self._loop.time()
        deadline, expired = self._nearest_deadline(start)
        if expired is not None and deadline is not None and deadline <= start:
            raise expired
        try:
            async with asyncio.timeout_at(deadline) as self._waiter:
                return await self._frames.get()
        except TimeoutError:
            return None
        finally:
            self._waiter = None
            if self._input_done_at is not None:
                waited = self._loop.time() - max(start, self._input_done_at)
                self._gap += waited
                if self._anchored:
                    self._starved += waited

    def _nearest_deadline(self, now: float) -> tuple[float | None, RealtimeError | None]:
        timeouts = self._timeouts
        options: list[tuple[float, RealtimeError]] = []
        if self._accept_by is not None and not self.session_accepted:
            closed = ConnectionClosedError("no session.updated in time", session_accepted=False)
            options.append((self._accept_by, closed))
        if self._end_by is not None:
            options.append((self._end_by, ResponseTimeoutError("synthesize", timeouts.synthesize)))
        if self._input_done_at is not None:
            if not self._got_audio:
                limit, stage = timeouts.first_audio, "first_audio"
                left = limit - self._gap
            else:
                limit, stage = timeouts.audio, "audio"
                left = limit - self._gap
                if self._anchored:  # audio must keep up with how long it plays
                    left = min(left, limit + self._heard - self._starved)
            options.append((now + left, ResponseTimeoutError(stage, limit)))
        if not options:
            return None, None
        return min(options, key=lambda option: option[0])


def _idle_frame_error(msg: aiohttp.WSMessage, count: int) -> RealtimeError | None:
    """Return why a frame received before the session makes the socket unusable, if it does."""
    if msg.type not in _DATA_TYPES:
        return error_from_close(msg, session_accepted=False)
    try:
        event = _parse(msg)
    except ProtocolError:
        event = {}
    if event.get("type") == "error":
        error = error_from_event(event)
        if isinstance(error, AuthenticationError | AccountError):
            return error  # a fresh socket would get it too
    elif event.get("type") == "session.created" and count <= IDLE_FRAMES:
        return None
    return ConnectionClosedError(
        f"unexpected frame before the session: {event.get('type')!r}", session_accepted=False
    )


def _too_big(data: object) -> bool:
    return (
        isinstance(data, aiohttp.WebSocketError)
        and data.code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    )


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
    """Return the audio of a delta; a broken one is an error, as the audio would have a hole."""
    delta = event.get("delta")
    if not isinstance(delta, str):
        raise ProtocolError("audio delta without data")
    try:
        return base64.b64decode(delta, validate=True)
    except binascii.Error, ValueError:
        raise ProtocolError("audio delta is not base64") from None


def _completed_usage(event: Mapping[str, Any]) -> int | None:
    """Return `usage.characters` of a completed response; raise for any other status."""
    response = event.get("response")
    response = response if isinstance(response, Mapping) else {}
    status = response.get("status")
    if status == "failed":
        details = response.get("status_details")
        error = details.get("error") if isinstance(details, Mapping) else None
        if isinstance(error, Mapping):
            raise error_from_event({"error": error})
        raise ServiceError("response_failed", "the service reported a failed response")
    if status != "completed":
        raise IncompleteAudioError(f"a response ended {status!r}")
    usage = response.get("usage")
    characters = usage.get("characters") if isinstance(usage, Mapping) else None
    if isinstance(characters, int) and not isinstance(characters, bool) and characters >= 0:
        return characters
    return None


def _check_finished(finish_sent: bool, open_responses: int, completed: int) -> None:
    """Raise unless `session.finished` proves that the speech is complete."""
    if not finish_sent:
        raise IncompleteAudioError("session.finished before the end of the text")
    if open_responses:
        raise IncompleteAudioError("session.finished in the middle of a response")
    if not completed:
        raise IncompleteAudioError("session.finished without any response")
