"""One realtime WebSocket: the handshake, client events out, and one reader of server events.

A single reader task per socket owns `ws.receive()`, never with a timeout (aiohttp marks a socket
abnormally closed when a receive times out), and hands frames to a bounded queue; every timer
waits on that queue. Until `session.update` is sent the reader judges frames itself: an unused
socket may get `session.created` and nothing else, and nothing it got is ever yielded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Mapping
import contextlib
import json
import logging
from typing import Any, Final
import uuid

import aiohttp

from .audio import AudioChunks
from .catalog import Format
from .errors import (
    ConnectionClosedError,
    ProtocolError,
    RealtimeError,
    ResponseTimeoutError,
    TimeoutStage,
    error_from_close,
    error_from_connect_failure,
    error_from_event,
    error_from_send_failure,
)
from .frames import (
    DATA_TYPES,
    check_finished,
    completed_usage,
    decode_delta,
    idle_frame_error,
    parse,
    too_big,
)
from .timing import (
    MAX_BAD_FRAMES,
    MAX_FRAME_BYTES,
    READ_AHEAD_FRAMES,
    AudioMeter,
    SessionDeadlines,
    Timeouts,
)

_LOGGER = logging.getLogger(__name__)
_CLOSE_TIMEOUT: Final = 1.0
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
        self._deadlines = SessionDeadlines(timeouts)
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
                if (error := idle_frame_error(msg, idle)) is None:
                    continue
                self._lose(error)
                return
            await self._frames.put(msg)
            if msg.type not in DATA_TYPES:
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
            self._deadlines.session_update_sent(self._loop.time())
        elif event_type == "session.finish":
            self._finish_sent = True  # before it can be answered
        failure: RealtimeError | None = None
        try:
            async with asyncio.timeout(self._timeouts.send):
                await self._ws.send_str(json.dumps(event, ensure_ascii=False))
        except TimeoutError:
            failure = ResponseTimeoutError(TimeoutStage.SEND, self._timeouts.send)
        except (aiohttp.ClientError, ConnectionError, RuntimeError) as err:
            failure = error_from_send_failure(err, session_accepted=self.session_accepted)
        if failure is not None:
            raise failure

    def mark_input_done(self) -> None:
        """Start the audio timers: from now on the service owes us audio."""
        self._deadlines.input_done(self._loop.time())
        self._wake()

    def end_by(self, deadline: float) -> None:
        """Fail the session with a `synthesize` timeout unless it ends by loop time `deadline`."""
        self._deadlines.end_by(deadline)
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
        self,
        meter: AudioMeter,
        response_format: Format = Format.PCM,
        *,
        on_usage: UsageCallback | None = None,
    ) -> AsyncGenerator[bytes]:
        """Yield audio as it arrives, until the session is proven complete.

        Complete means: every response that started ended `completed`, and `session.finished`
        came after our `session.finish`; anything else raises. PCM chunks hold whole 16-bit
        samples; mp3 responses are joined into one MPEG stream. `on_usage` gets each completed
        response's `usage.characters`.
        """
        chunks = AudioChunks(response_format)
        open_responses = completed = 0
        while True:
            event = self._decode(await self._next())
            if event is None:
                continue
            event_type = event.get("type")
            if event_type == "response.audio.delta":
                delta = decode_delta(event)
                self._deadlines.heard_audio(meter.add(len(delta)))
                if chunk := chunks.feed(delta):
                    yield chunk
            elif event_type == "session.updated":
                self.session_accepted = True
            elif event_type == "response.created":
                open_responses += 1
            elif event_type == "response.done":
                characters = completed_usage(event)
                open_responses = max(0, open_responses - 1)
                completed += 1
                if on_usage is not None:
                    on_usage(characters)
                if rest := chunks.end_response():
                    yield rest
            elif event_type == "error":
                raise error_from_event(event)
            elif event_type == "session.finished":
                check_finished(self._finish_sent, open_responses, completed)
                if chunks.held_back:
                    _LOGGER.debug("Dropping %d byte(s) of an incomplete sample", chunks.held_back)
                return

    def _decode(self, msg: aiohttp.WSMessage) -> dict[str, Any] | None:
        """Return the event of a frame; None for an undecodable one, skipped up to a bound."""
        try:
            return parse(msg)
        except ProtocolError as err:
            self.bad_frames += 1
            if self.bad_frames == 1:
                _LOGGER.warning("Skipping a frame the service sent: %s", err)
            if self.bad_frames > MAX_BAD_FRAMES:
                raise ProtocolError(f"more than {MAX_BAD_FRAMES} undecodable frames") from None
            return None

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
            if msg.type in DATA_TYPES:
                return msg
            if msg.type == aiohttp.WSMsgType.ERROR and too_big(msg.data):
                raise ProtocolError(f"a frame larger than {MAX_FRAME_BYTES} bytes")
            raise error_from_close(msg, session_accepted=self.session_accepted)

    async def _wait(self) -> aiohttp.WSMessage | None:
        """Wait for a frame until the nearest deadline; None when woken up early."""
        start = self._loop.time()
        deadline, expired = self._deadlines.nearest(start, session_accepted=self.session_accepted)
        if expired is not None and deadline is not None and deadline <= start:
            raise expired
        try:
            async with asyncio.timeout_at(deadline) as self._waiter:
                return await self._frames.get()
        except TimeoutError:
            return None
        finally:
            self._waiter = None
            self._deadlines.waited(start, self._loop.time())
