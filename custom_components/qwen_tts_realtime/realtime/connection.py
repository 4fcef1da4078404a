"""One realtime WebSocket: the handshake, client events out, and one reader of server events.

A single reader task per socket owns `ws.receive()`, never with a timeout (aiohttp marks a socket
abnormally closed when a receive times out), answers pings and counts pongs. Until the session
starts the reader judges frames itself: an unused socket may get `session.created` and nothing
else, and nothing it got is ever yielded. Once the session starts, it turns each frame into an
event as it arrives: undecodable frames are skipped up to a bound, audio is decoded and counted
against the utterance's budget, and the events wait for the consumer in a read-ahead bounded in
bytes. Every timer waits on that read-ahead; the consumer judges the session's events.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, Callable, Mapping
import contextlib
from dataclasses import dataclass, field
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
    refusal_code,
    without_secret,
)
from .frames import DATA_TYPES, Responses, decode_delta, idle_frame_error, parse, too_big
from .timing import (
    CLOSE_TIMEOUT,
    MAX_BAD_FRAMES,
    MAX_FRAME_BYTES,
    MAX_FRAMES_PER_AUDIO_SECOND,
    MAX_REFUSAL_BYTES,
    READ_AHEAD_BYTES,
    AudioMeter,
    SessionDeadlines,
    Timeouts,
)

_LOGGER = logging.getLogger(__name__)
# Events after which the service sends nothing that matters to the session.
_LAST_EVENTS: Final = frozenset({"session.finished", "error"})
type UsageCallback = Callable[[int | None], None]


@dataclass(slots=True)
class _Event:
    """A server event as the reader took it; the audio of a delta decoded, and how long it is."""

    event: dict[str, Any]
    audio: bytes = field(default=b"", repr=False)
    seconds: float = 0.0  # at most

    @property
    def event_type(self) -> str | None:
        """Return the event's type; None when it has none, or one that is not a string."""
        event_type = self.event.get("type")
        return event_type if isinstance(event_type, str) else None


class _ReadAhead:
    """Events read ahead of the consumer, at most `READ_AHEAD_BYTES` of frame text at a time.

    The end of the socket (an error to raise) comes last, in order. One reader puts, one
    consumer gets.
    """

    def __init__(self) -> None:
        self._items: deque[tuple[_Event | RealtimeError, int]] = deque()
        self._bytes = 0
        self._ready = asyncio.Event()
        self._room = asyncio.Event()

    async def put(self, item: _Event | RealtimeError, size: int) -> None:
        """Queue `item` of `size` bytes once there is room (at once when nothing waits)."""
        while self._items and self._bytes + size > READ_AHEAD_BYTES:
            self._room.clear()
            await self._room.wait()
        self._items.append((item, size))
        self._bytes += size
        self._ready.set()

    def get_nowait(self) -> _Event | RealtimeError | None:
        """Return the next item, or None when nothing waits."""
        if not self._items:
            return None
        item, size = self._items.popleft()
        self._bytes -= size
        self._room.set()
        return item

    async def get(self) -> _Event | RealtimeError:
        """Wait for the next item."""
        while (item := self.get_nowait()) is None:
            self._ready.clear()
            await self._ready.wait()
        return item


class _RefusalReader:
    """Keeps the code a refused handshake's body names: its HTTP status alone does not say it.

    A redirect is a refusal too, never followed: a websocket endpoint does not move, and the
    headers that carry the key go nowhere but to the endpoint configured.

    An aiohttp client middleware of the handshake; aiohttp itself discards that body.
    """

    def __init__(self) -> None:
        self.code: str | None = None

    async def __call__(
        self, request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        response = await handler(request)
        if 300 <= response.status < 400:  # never followed: the key goes to the endpoint alone
            response.release()
            raise aiohttp.WSServerHandshakeError(
                response.request_info, response.history, status=response.status, message="redirect"
            )
        if response.status >= 400:
            body = b""
            while len(body) < MAX_REFUSAL_BYTES and (
                piece := await response.content.read(MAX_REFUSAL_BYTES - len(body))
            ):
                body += piece
            self.code = refusal_code(body)
        return response


class Connection:
    """An open realtime socket. Not reusable: one session, then closed."""

    def __init__(
        self, ws: aiohttp.ClientWebSocketResponse, timeouts: Timeouts, secret: str = ""
    ) -> None:
        self._ws = ws
        self._secret = secret  # the API key, cut out of every text frame the service sends
        self._timeouts = timeouts
        self._loop = asyncio.get_running_loop()
        self._read_ahead = _ReadAhead()
        self._failure: BaseException | None = None
        self._on_lost: Callable[[RealtimeError], None] | None = None
        self._meter: AudioMeter | None = None  # set when the session starts
        self._finish_sent = False
        self._waiter: asyncio.Timeout | None = None
        self._deadlines = SessionDeadlines(timeouts)
        self.session_accepted = False
        self.frames = 0  # of the session
        self.bad_frames = 0  # undecodable frames skipped
        self.pongs = 0  # answers to our pings
        self._reader = self._loop.create_task(self._read(), name="qwen_tts_reader")
        self._reader.add_done_callback(self._reader_ended)

    @classmethod
    async def open(
        cls,
        session: aiohttp.ClientSession,
        url: str,
        headers: Mapping[str, str],
        timeouts: Timeouts,
        secret: str = "",
    ) -> Connection:
        """Perform the WebSocket handshake, mapping every failure onto a typed error.

        `secret` (the API key the headers carry) is cut out of whatever the service sends back.

        The handshake runs on `session`'s connection pool, headers and proxy settings, with a
        middleware that reads the body of a refusal. The typed error is raised outside the
        `except` block: aiohttp's errors hold the request headers, which must not hang on to it
        as `__context__`.
        """
        refusal = _RefusalReader()
        try:
            async with (
                asyncio.timeout(timeouts.connect),
                aiohttp.ClientSession(
                    connector=session.connector,
                    connector_owner=False,
                    headers=session.headers,
                    cookie_jar=aiohttp.DummyCookieJar(),
                    trust_env=session.trust_env,
                    middlewares=(refusal,),
                ) as handshake,
            ):
                ws = await handshake.ws_connect(
                    url,
                    headers=headers,
                    # Pings are answered and pongs counted by the reader.
                    autoping=False,
                    # Not aiohttp's heartbeat: it re-arms its timer for frames that arrive
                    # while closing, leaving it behind. Idle spares get `ping()` instead.
                    heartbeat=None,
                    max_msg_size=MAX_FRAME_BYTES,
                    timeout=aiohttp.ClientWSTimeout(ws_close=CLOSE_TIMEOUT),
                )
        except Exception as err:  # noqa: BLE001 - every handshake failure becomes a typed error
            code = refusal.code and without_secret(refusal.code, secret)
            failure = error_from_connect_failure(err, timeouts.connect, code)
        else:
            return cls(ws, timeouts, secret)
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

    def watch(self, on_lost: Callable[[RealtimeError], None]) -> None:
        """Call `on_lost` once, with why, if the socket ends or gets anything unexpected first.

        Watching ends with `take()`.
        """
        self._on_lost = on_lost
        if self._failure is not None:
            self._lose(self._failure)

    def take(self) -> None:
        """Stop watching: a session starts."""
        self._on_lost = None

    async def ping(self) -> None:
        """Send a WebSocket ping; its answer counts in `pongs`. A failed send loses the socket."""
        try:
            async with asyncio.timeout(self._timeouts.send):
                await self._ws.ping()
        except (TimeoutError, aiohttp.ClientError, ConnectionError, RuntimeError) as err:
            reason = f"ping failed: {type(err).__name__}"
            self._lose(ConnectionClosedError(reason, session_accepted=False))

    # --- reading ---------------------------------------------------------------------------

    async def _read(self) -> None:
        """Read the socket until it ends, the session fails, or its last event came."""
        idle = 0
        while True:
            msg = await self._ws.receive()
            if msg.type == aiohttp.WSMsgType.TEXT and self._secret and self._secret in msg.data:
                msg = msg._replace(data=without_secret(msg.data, self._secret))
            if msg.type == aiohttp.WSMsgType.PING:
                await self._answer_ping(msg.data)
                continue
            if msg.type == aiohttp.WSMsgType.PONG:
                self.pongs += 1
                continue
            if self._meter is None:
                idle += 1
                if (error := idle_frame_error(msg, idle)) is None:
                    continue
                self._lose(error)
                return
            if msg.type not in DATA_TYPES:
                await self._read_ahead.put(self._end_of_socket(msg), 0)
                return
            try:
                taken = self._take(msg, self._meter)
            except RealtimeError as err:
                self._lose(err)  # now, not when the consumer gets there: nothing more is read
                return
            if taken is None:
                continue
            await self._read_ahead.put(taken, len(msg.data))
            if taken.event_type in _LAST_EVENTS:
                return

    def _take(self, msg: aiohttp.WSMessage, meter: AudioMeter) -> _Event | None:
        """Return the event of a session frame; None for an undecodable one, skipped up to a bound.

        An audio delta is decoded and counted against the budget as it arrives (the timers count
        it when the consumer takes it: they measure how long the consumer waited).
        """
        self.frames += 1
        if self.frames > meter.budget_seconds * MAX_FRAMES_PER_AUDIO_SECOND:
            raise ProtocolError("more frames than the audio of this text can need")
        try:
            event = parse(msg)
        except ProtocolError as err:
            self.bad_frames += 1
            if self.bad_frames == 1:
                _LOGGER.warning("Skipping a frame the service sent: %s", err)
            if self.bad_frames > MAX_BAD_FRAMES:
                raise ProtocolError(f"more than {MAX_BAD_FRAMES} undecodable frames") from None
            return None
        if event.get("type") != "response.audio.delta":
            return _Event(event)
        audio = decode_delta(event)
        del event["delta"]  # held once, decoded
        return _Event(event, audio, meter.add(len(audio)))

    def _end_of_socket(self, msg: aiohttp.WSMessage) -> RealtimeError:
        if msg.type == aiohttp.WSMsgType.ERROR and too_big(msg.data):
            return ProtocolError(f"a frame larger than {MAX_FRAME_BYTES} bytes")
        return error_from_close(msg, session_accepted=self.session_accepted)

    async def _answer_ping(self, data: bytes) -> None:
        """Answer a ping of the service; one that cannot be sent shows in the next receive."""
        with contextlib.suppress(TimeoutError, aiohttp.ClientError, ConnectionError, RuntimeError):
            async with asyncio.timeout(self._timeouts.send):
                await self._ws.pong(data)

    def _reader_ended(self, task: asyncio.Task[None]) -> None:
        """Make sure that a reader that ended by surprise fails the socket, never hides."""
        if task.cancelled() or (err := task.exception()) is None:
            return
        self._lose(ProtocolError(f"reading the service's frames failed: {type(err).__name__}"))

    def _lose(self, error: BaseException) -> None:
        if self._failure is None:
            self._failure = error
        self._wake()
        on_lost, self._on_lost = self._on_lost, None
        if on_lost is not None:
            on_lost(error if isinstance(error, RealtimeError) else ProtocolError(str(error)))

    def _wake(self) -> None:
        """Make a waiting consumer look at its deadlines (and the failure) again."""
        if self._waiter is not None:
            self._waiter.reschedule(self._loop.time())

    # --- sending ---------------------------------------------------------------------------

    async def start(self, session: Mapping[str, Any], meter: AudioMeter) -> None:
        """Start the session: send `session.update`; its audio counts against `meter`.

        From now on every frame belongs to the session.
        """
        self._meter = meter
        self._deadlines.session_update_sent(self._loop.time())
        await self.send("session.update", session=session)

    async def send(self, event_type: str, **fields: Any) -> None:
        """Send one client event with a fresh `event_id`, within the send timeout."""
        event = {"event_id": f"event_{uuid.uuid4().hex}", "type": event_type, **fields}
        if event_type == "session.finish":
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
                    async with asyncio.timeout(CLOSE_TIMEOUT):
                        await self._ws.close()
        finally:
            self._reader.cancel()  # only ever waiting for room in the read-ahead by now
            await asyncio.wait((self._reader,))

    async def audio(
        self, response_format: Format = Format.PCM, *, on_usage: UsageCallback | None = None
    ) -> AsyncGenerator[bytes]:
        """Yield audio as it arrives, until the session is proven complete.

        Complete means: every delta belonged to a response that was created and then ended
        `completed`, and `session.finished` came after our `session.finish`; anything else
        raises. PCM chunks hold whole 16-bit samples; mp3 responses are joined into one MPEG
        stream. `on_usage` gets each completed response's `usage.characters`.
        """
        chunks = AudioChunks(response_format)
        responses = Responses()
        while True:
            taken = await self._next()
            event = taken.event
            event_type = taken.event_type
            if event_type == "response.audio.delta":
                responses.check_delta(event)
                self._deadlines.heard_audio(taken.seconds)  # the timers count what we waited
                if chunk := chunks.feed(taken.audio):
                    yield chunk
            elif event_type == "session.updated":
                self.session_accepted = True
            elif event_type == "response.created":
                responses.created(event)
            elif event_type == "response.done":
                characters = responses.done(event)
                if on_usage is not None:
                    on_usage(characters)
                if rest := chunks.end_response():
                    yield rest
            elif event_type == "error":
                raise error_from_event(event)
            elif event_type == "session.finished":
                responses.check_finished(self._finish_sent)
                if chunks.held_back:
                    _LOGGER.debug("Dropping %d byte(s) of an incomplete sample", chunks.held_back)
                return

    async def _next(self) -> _Event:
        """Return the next event; raise for a failure, the end of the socket or a deadline.

        The deadlines hold while events keep coming too: no flood of frames outlasts them.
        """
        while True:
            if self._failure is not None:
                raise self._failure
            now = self._loop.time()
            deadline, expired = self._deadlines.nearest(now, session_accepted=self.session_accepted)
            if expired is not None and deadline is not None and deadline <= now:
                raise expired
            item = self._read_ahead.get_nowait()
            if item is None:
                item = await self._wait(now, deadline)
            if isinstance(item, RealtimeError):
                raise item
            if item is not None:
                return item

    async def _wait(self, start: float, deadline: float | None) -> _Event | RealtimeError | None:
        """Wait for an event until `deadline`; None when woken up early or at the deadline."""
        try:
            async with asyncio.timeout_at(deadline) as self._waiter:
                return await self._read_ahead.get()
        except TimeoutError:
            return None
        finally:
            self._waiter = None
            self._deadlines.waited(start, self._loop.time())
