"""The emulated Qwen-TTS Realtime WebSocket service."""

from __future__ import annotations

import asyncio
from asyncio import FIRST_COMPLETED
import base64
from collections import deque
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator, Mapping
import contextlib
from dataclasses import dataclass, field
import json
import logging
import math
import re
from types import TracebackType
from typing import Any, Literal, Self
import uuid

from aiohttp import WSMsgType, web

from custom_components.qwen_tts_realtime.realtime.billing import billed_characters, is_han

from .audio import (
    encode,
    ffmpeg_available,
    iter_pcm,
    render_espeak,
    split_segments,
    take_complete,
)
from .hostile import frames
from .scenario import LANGUAGE_TYPES, Fault, FaultPoint, ModelSpec, Scenario
from .voices import VOICE_STORE, VoiceStore, add_voice_routes

_LOGGER = logging.getLogger("qwen_tts_emulator")

PATH = "/api-ws/v1/realtime"
SECOND_UPDATE_MESSAGE = "Session update error: session already started or finished or failed."
_BEARER = re.compile(r"^bearer\s+(\S+)\s*$", re.IGNORECASE)
_REJECTIONS = {
    400: ("InvalidParameter", "Expected a WebSocket upgrade."),
    401: ("InvalidApiKey", "Invalid API-key provided."),
    403: ("AccessDenied", "Access denied."),
    429: ("Throttling.RateQuota", "Requests rate limit exceeded, please try again later."),
    500: ("InternalError", "An internal error has occured, please try again later."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable."),
}
_ALIASES: dict[str, str] = {
    "after_partial_audio": "mid_stream",
    "between_responses": "after_response_done",
}
_HIGH_WATER = 64
_CLOSE_TIMEOUT = 2.0
_INSTRUCTION_TOKENS = 1600


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


@dataclass(slots=True)
class ReceivedEvent:
    """One client event as the server read it; `at` is the event loop's time on arrival."""

    type: str
    payload: dict[str, Any]
    at: float


@dataclass(slots=True)
class SessionRecord:
    """Everything one accepted WebSocket did; `pcm` is what the client received, decoded."""

    index: int
    model: str
    headers: dict[str, str]
    opened_at: float
    session_id: str
    config: dict[str, Any]
    received: list[ReceivedEvent] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    closed_by_client: bool = False
    closed_idle: bool = False  # closed by the server for getting no client event in time
    closed_at: float | None = None
    close_code: int | None = None
    usage_characters: int = 0
    faults_fired: list[Fault] = field(default_factory=list)
    _pcm: bytearray = field(default_factory=bytearray, repr=False)
    _audio: bytearray = field(default_factory=bytearray, repr=False)

    @property
    def pcm(self) -> bytes:
        """Return the PCM sent in this session: wav headers excluded, empty for mp3/opus."""
        return bytes(self._pcm)

    @property
    def audio(self) -> bytes:
        """Return every audio delta's bytes as sent, in the session's response format."""
        return bytes(self._audio)

    def header(self, name: str) -> str | None:
        """Return a request header, matching its name case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)

    def received_types(self) -> list[str]:
        """Return the types of the client events, in arrival order."""
        return [event.type for event in self.received]


def default_config(model: str, spec: ModelSpec | None = None) -> dict[str, Any]:
    """Return the session settings in force before any `session.update`."""
    config: dict[str, Any] = {
        "model": model,
        "mode": "server_commit",
        "voice": "Cherry",
        "language_type": "Auto",
        "response_format": "pcm",
        "sample_rate": 24000,
        "speech_rate": 1.0,
        "volume": 50,
        "pitch_rate": 1.0,
        "bit_rate": 128,
    }
    if spec is not None and not spec.tunable:
        for name in ("speech_rate", "volume", "pitch_rate", "bit_rate"):
            del config[name]
    return config


class _UpdateError(Exception):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


type _Rule = tuple[str, Callable[[Any], bool], Callable[[Any], Any], str]


def _number_in(low: float, high: float) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int | float) and not isinstance(v, bool) and low <= v <= high


def _integer_in(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: _number_in(low, high)(v) and v == int(v)


def _instruction_tokens(text: str) -> int:
    han = sum(1 for c in text if is_han(c))
    return han + math.ceil((len(text) - han) / 4)


def _rules(spec: ModelSpec) -> list[_Rule]:
    """Return (field, check, normalize, expectation) for the settings `spec` accepts."""
    same: Callable[[Any], Any] = lambda v: v  # noqa: E731
    formats = [f for f in spec.formats if f in ("pcm", "wav") or ffmpeg_available()]
    rules: list[_Rule] = [
        ("mode", lambda v: v in ("server_commit", "commit"), same, "server_commit or commit"),
        (
            "language_type",
            lambda v: v in LANGUAGE_TYPES,
            same,
            "one of " + ", ".join(LANGUAGE_TYPES),
        ),
        ("response_format", lambda v: v in formats, same, "one of " + ", ".join(formats)),
        (
            "sample_rate",
            lambda v: _integer_in(0, 10**6)(v) and v in spec.sample_rates,
            int,
            "one of " + ", ".join(map(str, spec.sample_rates)),
        ),
    ]
    if spec.tunable:
        rules += [
            ("speech_rate", _number_in(0.5, 2.0), float, "a number from 0.5 to 2.0"),
            ("pitch_rate", _number_in(0.5, 2.0), float, "a number from 0.5 to 2.0"),
            ("volume", _integer_in(0, 100), int, "an integer from 0 to 100"),
            ("bit_rate", _integer_in(6, 510), int, "an integer from 6 to 510"),
        ]
    if spec.instructions:
        rules += [
            (
                "instructions",
                lambda v: isinstance(v, str) and _instruction_tokens(v) <= _INSTRUCTION_TOKENS,
                same,
                f"text of at most {_INSTRUCTION_TOKENS} tokens",
            ),
            ("optimize_instructions", lambda v: isinstance(v, bool), same, "a boolean"),
        ]
    return rules


def apply_update(
    model: str,
    spec: ModelSpec,
    current: dict[str, Any],
    session: Any,
    created: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Return `current` updated by a `session.update`'s session object, or raise _UpdateError.

    Settings the model does not support (speech_rate... on qwen-tts-realtime, instructions on
    non-instruct models) and unknown fields are ignored, not rejected.
    """
    if not isinstance(session, dict):
        raise _UpdateError("session", "Invalid value: session must be an object.")
    new = dict(current)
    if "voice" in session:
        voice = session["voice"]
        if not isinstance(voice, str) or not spec.accepts_voice(voice, model, created or {}):
            raise _UpdateError(
                "session.voice", f"Voice {voice!r} is not supported by model {model}."
            )
        new["voice"] = voice
    if not spec.tunable:
        for name in ("speech_rate", "volume", "pitch_rate", "bit_rate"):
            new.pop(name, None)
    for name, check, normalize, expected in _rules(spec):
        if name in session:
            value = session[name]
            if not check(value):
                raise _UpdateError(
                    f"session.{name}",
                    f"Invalid value for session.{name}: {value!r}; expected {expected}.",
                )
            new[name] = normalize(value)
    if new.get("optimize_instructions") and not new.get("instructions"):
        raise _UpdateError(
            "session.optimize_instructions",
            "Invalid value for session.optimize_instructions: it needs instructions.",
        )
    return new


@dataclass(slots=True)
class _Job:
    text: str
    triggered_at: float


@dataclass(slots=True)
class _Action:
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


def _chunks(pieces: Iterable[bytes], size: int) -> Iterator[tuple[bytes, bool]]:
    """Yield (chunk, is_last) with chunks of exactly `size` bytes except the last one."""
    buf = bytearray()
    pending: bytes | None = None
    for piece in pieces:
        buf += piece
        while len(buf) > size:
            if pending is not None:
                yield pending, False
            pending = bytes(buf[:size])
            del buf[:size]
    if buf:
        if pending is not None:
            yield pending, False
        pending = bytes(buf)
    if pending is not None:
        yield pending, True


class _Connection:
    """One accepted WebSocket: a reader (this task), a response producer and a writer task."""

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
        self._config = dict(record.config)
        self._update_state: Literal["none", "applied", "failed"] = "none"
        self._started = False
        self._finished = False
        self._buffer = ""
        self._resume = 0
        self._jobs: asyncio.Queue[_Job | None] = asyncio.Queue()
        self._outbox: deque[_Action] = deque()
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._fired: set[int] = set()
        self._responses = 0
        self._halted = False
        self._cut: str | None = None  # the status that ends the current response early
        self._reading = asyncio.Event()
        self._reading.set()
        self.server_closing = False
        self._close_request: asyncio.Future[int] = self._loop.create_future()
        self._producer: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None

    # --- outbound -------------------------------------------------------------------------

    def _push(self, action: _Action) -> None:
        self._outbox.append(action)
        self._wake.set()
        if len(self._outbox) >= _HIGH_WATER:
            self._room.clear()

    def _emit(self, event_type: str, /, **fields: Any) -> None:
        if self._halted:
            return
        event = {"event_id": _new_id("event"), "type": event_type, **fields}
        self._push(_Action("json", event=event))

    def _emit_error(
        self,
        code: str,
        message: str,
        param: str | None = None,
        client_event_id: str | None = None,
    ) -> None:
        error: dict[str, Any] = {"type": "invalid_request_error", "code": code, "message": message}
        if param is not None:
            error["param"] = param
        if client_event_id is not None:
            error["event_id"] = client_event_id
        self._emit("error", error=error)

    async def _write_loop(self) -> None:
        ws = self._ws
        record = self.record
        try:
            while True:
                while not self._outbox:
                    self._wake.clear()
                    await self._wake.wait()
                action = self._outbox.popleft()
                if len(self._outbox) < _HIGH_WATER // 2:
                    self._room.set()
                match action.kind:
                    case "json":
                        assert action.event is not None
                        await ws.send_str(json.dumps(action.event, ensure_ascii=False))
                        record.sent.append(action.event["type"])
                        record._pcm += action.pcm
                        record._audio += action.audio
                        record.usage_characters += action.usage
                    case "text":
                        await ws.send_str(action.text)
                    case "frames":
                        assert action.frames is not None
                        async with contextlib.aclosing(action.frames) as texts:
                            async for text in texts:
                                await ws.send_str(text)
                    case "binary":
                        await ws.send_bytes(action.data)
                    case "stall":
                        if action.seconds is None:
                            await self._loop.create_future()
                        else:
                            await asyncio.sleep(action.seconds)
                    case "halt":
                        await self._loop.create_future()
                    case "close":
                        self.request_close(action.code)
                        return
                    case "abort":
                        self.server_closing = True
                        if (transport := self._request.transport) is not None:
                            transport.abort()
                        return
        except ConnectionError:
            return

    # --- faults ---------------------------------------------------------------------------

    def _fire(self, point: FaultPoint, response: int | None = None, *, deltas: int = 0) -> None:
        """Fire the faults due at `point`; for mid_stream, `deltas` sent so far (negated: last)."""
        for index, fault in enumerate(self._scenario.faults):
            if index in self._fired or self._halted:
                continue
            if fault.connection is not None and fault.connection != self.record.index:
                continue
            if fault.times is not None and fault.fired >= fault.times:
                continue
            if _ALIASES.get(fault.at, fault.at) != _ALIASES.get(point, point):
                continue
            if response is not None and fault.response != response:
                continue
            if point in ("mid_stream", "after_partial_audio") and not (
                deltas == fault.deltas or (deltas < 0 and fault.deltas > -deltas)
            ):
                continue
            self._fired.add(index)
            fault.fired += 1
            self.record.faults_fired.append(fault)
            self._apply(fault)

    def _apply(self, fault: Fault) -> None:
        match fault.kind:
            case "error":
                self._emit_error(fault.code, fault.message, fault.param)
                if fault.then == "stop":
                    self._push(_Action("halt"))
                    self._halted = True
                elif fault.then == "close":
                    self._push(_Action("close", code=fault.close_code or 1000))
                    self._halted = True
            case "close":
                if fault.close_code is None:
                    self._push(_Action("abort"))
                else:
                    self._push(_Action("close", code=fault.close_code))
                self._halted = True
            case "stall":
                self._push(_Action("stall", seconds=fault.seconds))
            case "malformed" if fault.binary:
                self._push(_Action("binary", data=b"\x00\x01\x02\x03qwen"))
            case "malformed":
                self._push(_Action("frames", frames=frames(fault)))
            case "noise" | "trickle" | "endless" | "huge":
                self._push(_Action("frames", frames=frames(fault)))
                self._halted = True
            case "finish":
                self._emit("session.finished")
                self._push(_Action("close", code=1000))
                self._halted = True
            case "incomplete":
                self._cut = fault.status
            case "stop_reading":  # aiohttp's flow control then stops reading the socket
                self._reading.clear()
                self._loop.call_later(fault.seconds or 1.0, self._reading.set)
            case "frame":
                frame = fault.frame
                text = frame if isinstance(frame, str) else json.dumps(frame)
                self._push(_Action("text", text=text))

    # --- reader ---------------------------------------------------------------------------

    async def run(self) -> None:
        record = self.record
        idle_close: asyncio.TimerHandle | None = None
        self._writer = asyncio.create_task(self._write_loop())
        try:
            self._emit(
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
            self._fire("after_created")
            if (idle := self._scenario.idle_close_after) is not None:
                idle_close = self._loop.call_later(idle, self._close_if_unused)
            if self._spec is None:
                self._push(_Action("close", code=1000))
                self._halted = True
            else:
                self._producer = asyncio.create_task(self._produce())
            await self._read_loop()
        finally:
            if idle_close is not None:
                idle_close.cancel()
            tasks = [t for t in (self._producer, self._writer) if t is not None and not t.done()]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks)
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
        self._halted = True
        if not self._close_request.done():
            self._close_request.set_result(code)

    async def _read_loop(self) -> None:
        """Read client events until the socket closes or the server asks to close it.

        The close happens here, not in the writer, so that aiohttp waits for the client's
        close frame instead of dropping the connection right after its own.
        """
        while True:
            await self._reading.wait()
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
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                return
            self._on_message(msg.type, msg.data, self._loop.time())

    def _on_message(self, kind: WSMsgType, raw: Any, now: float) -> None:
        if kind is WSMsgType.BINARY:
            self.record.received.append(ReceivedEvent("", {"binary": len(raw)}, now))
            self._emit_error("invalid_value", "Invalid event: binary frames are not supported.")
            return
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self.record.received.append(ReceivedEvent("", {"raw": raw}, now))
            self._emit_error("invalid_value", "Invalid event: expected a JSON object.")
            return
        event_type = data.get("type")
        event_type = event_type if isinstance(event_type, str) else ""
        self.record.received.append(ReceivedEvent(event_type, data, now))
        self._handle(event_type, data, now)

    def _handle(self, event_type: str, data: dict[str, Any], now: float) -> None:
        if self._spec is None or self._finished:
            return
        event_id = data.get("event_id") if isinstance(data.get("event_id"), str) else None
        match event_type:
            case "session.update":
                self._on_update(data, event_id)
            case "input_text_buffer.append":
                text = data.get("text")
                if not isinstance(text, str):
                    self._emit_error(
                        "invalid_value", "Invalid value: text must be a string.", "text", event_id
                    )
                    return
                self._started = True
                self._buffer += text
                if self._config["mode"] == "server_commit":
                    segments, self._buffer, self._resume = take_complete(self._buffer, self._resume)
                    self._queue(segments, now)
            case "input_text_buffer.commit":
                self._started = True
                if not self._buffer.strip():
                    self._emit_error(
                        "invalid_value",
                        "Error committing input text buffer: the buffer is empty.",
                        None,
                        event_id,
                    )
                    return
                text, self._buffer, self._resume = self._buffer, "", 0
                self._emit("input_text_buffer.committed", item_id="")
                self._queue([text], now)
            case "input_text_buffer.clear":
                self._buffer, self._resume = "", 0
                self._emit("input_text_buffer.cleared")
            case "session.finish":
                self._started = True
                self._finished = True
                if self._config["mode"] == "server_commit":
                    self._queue(split_segments(self._buffer), now)
                elif self._scenario.commit_finish_flushes and self._buffer.strip():
                    self._queue([self._buffer], now)
                self._buffer, self._resume = "", 0
                self._jobs.put_nowait(None)
            case _:
                self._emit_error(
                    "invalid_value", f"Unsupported event type: {event_type!r}.", "type", event_id
                )

    def _queue(self, texts: list[str], now: float) -> None:
        for text in texts:
            self._jobs.put_nowait(_Job(text, now))

    def _on_update(self, data: dict[str, Any], event_id: str | None) -> None:
        assert self._spec is not None
        if self._update_state != "none" or self._started:
            self._emit_error("invalid_value", SECOND_UPDATE_MESSAGE, None, event_id)
            return
        try:
            created = self._request.app[VOICE_STORE].target_models()
            session = data.get("session")
            config = apply_update(self.record.model, self._spec, self._config, session, created)
        except _UpdateError as err:
            self._update_state = "failed"
            self._emit_error("invalid_value", err.message, err.param, event_id)
        else:
            self._update_state = "applied"
            self._config = config
            self.record.config = dict(config)
            self._emit(
                "session.updated",
                session={"id": self.record.session_id, "object": "realtime.session", **config},
            )
        self._fire("after_update")

    # --- producer -------------------------------------------------------------------------

    async def _produce(self) -> None:
        while True:
            job = await self._jobs.get()
            if self._halted:
                return
            if job is None:
                self._emit("session.finished")
                self._push(_Action("close", code=1000))
                self._halted = True
                return
            await self._respond(job)

    async def _respond(self, job: _Job) -> None:
        index = self._responses
        self._responses += 1
        self.record.segments.append(job.text)
        response: dict[str, Any] = {
            "id": _new_id("resp"),
            "object": "realtime.response",
            "conversation_id": "",
            "status": "in_progress",
            "modalities": ["audio"],
            "voice": self._config["voice"],
            "output": [],
        }
        item: dict[str, Any] = {
            "id": _new_id("item"),
            "object": "realtime.item",
            "type": "message",
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        }
        where: dict[str, Any] = {
            "response_id": response["id"],
            "item_id": item["id"],
            "output_index": 0,
        }
        part = {"type": "audio", "text": ""}
        self._emit("response.created", response=response)
        self._emit(
            "response.output_item.added", response_id=response["id"], output_index=0, item=item
        )
        self._emit("response.content_part.added", **where, content_index=0, part=part)
        self._fire("before_audio", index)
        audio_seconds = await self._stream_audio(job, where, index)
        if self._halted:
            return
        if self._cut is not None:
            status, self._cut = self._cut, None
            self._emit("response.done", response={**response, "status": status})
            return
        self._emit("response.audio.done", **where, content_index=0)
        self._emit("response.content_part.done", **where, content_index=0, part=part)
        item = {**item, "status": "completed", "content": [part]}
        self._emit(
            "response.output_item.done", response_id=response["id"], output_index=0, item=item
        )
        characters = billed_characters(job.text)
        usage: dict[str, int] = {"characters": characters}
        if self._spec is not None and self._spec.usage == "tokens":
            audio_tokens = max(50, math.ceil(audio_seconds * 50))
            usage = {
                "total_tokens": characters + audio_tokens,
                "input_tokens": characters,
                "output_tokens": audio_tokens,
            }
        response |= {"status": "completed", "output": [item]}
        if self._scenario.usage_reported:
            response["usage"] = usage
        event = {"event_id": _new_id("event"), "type": "response.done", "response": response}
        self._push(_Action("json", event=event, usage=characters))
        self._fire("after_response_done", index)

    async def _stream_audio(self, job: _Job, where: dict[str, Any], index: int) -> float:
        """Send the deltas of one response, paced; return the audio's duration in seconds."""
        scenario = self._scenario
        rate: int = self._config["sample_rate"]
        fmt: str = self._config["response_format"]
        pieces, pcm_length = await self._render(job.text)
        size = max(1, scenario.delta_bytes)
        if fmt == "pcm":
            encoded_length = pcm_length
            chunks = _chunks(pieces, size)
        else:
            audio = await encode(b"".join(pieces), fmt, rate, self._config.get("bit_rate", 128))
            encoded_length = len(audio)
            chunks = _chunks([audio], size)
        audio_seconds = pcm_length / 2 / rate
        wall_per_byte = scenario.realtime_factor * audio_seconds / max(1, encoded_length)
        first_at = max(self._loop.time(), job.triggered_at + scenario.first_audio_delay)
        await self._sleep_until(first_at)
        sent = 0
        for deltas, (chunk, last) in enumerate(chunks, start=1):
            if wall_per_byte > 0:
                await self._sleep_until(first_at + sent * wall_per_byte)
            else:
                await asyncio.sleep(0)
            while not self._room.is_set():
                await self._room.wait()
            if self._halted or self._cut is not None:
                break
            self._emit_delta(where, chunk, fmt, sent)
            sent += len(chunk)
            self._fire("mid_stream", index, deltas=deltas)
            if last:
                self._fire("mid_stream", index, deltas=-deltas)
        return audio_seconds

    def _emit_delta(self, where: dict[str, Any], chunk: bytes, fmt: str, offset: int) -> None:
        pcm = chunk
        if fmt == "wav":
            pcm = chunk[max(0, 44 - offset) :]
        elif fmt != "pcm":
            pcm = b""
        event = {
            "event_id": _new_id("event"),
            "type": "response.audio.delta",
            **where,
            "content_index": 0,
            "delta": base64.b64encode(chunk).decode("ascii"),
        }
        self._push(_Action("json", event=event, pcm=pcm, audio=chunk))

    async def _render(self, text: str) -> tuple[Iterable[bytes], int]:
        """Return the PCM of `text` in pieces, and its total length."""
        config = self._config
        settings: dict[str, Any] = {
            "sample_rate": config["sample_rate"],
            "speech_rate": config.get("speech_rate", 1.0),
            "volume": config.get("volume", 50),
            "pitch_rate": config.get("pitch_rate", 1.0),
            "voice": config["voice"],
        }
        if self._scenario.voice_engine == "espeak":
            pcm = await render_espeak(text, language_type=config["language_type"], **settings)
            if pcm is not None:
                return [pcm], len(pcm)
        length = sum(len(piece) for piece in iter_pcm(text, **settings))
        return iter_pcm(text, **settings), length

    async def _sleep_until(self, when: float) -> None:
        delay = when - self._loop.time()
        if delay > 0:
            await asyncio.sleep(delay)


def _parse_key(request: web.Request) -> str | None:
    match = _BEARER.match(request.headers.get("Authorization", ""))
    return match.group(1) if match else None


class Emulator:
    """A local Qwen-TTS Realtime server; `scenario` may be replaced between connections."""

    def __init__(self, scenario: Scenario | None = None) -> None:
        self.scenario = scenario if scenario is not None else Scenario()
        self.voices = VoiceStore()  # the account's designed and cloned voices
        self.sessions: list[SessionRecord] = []
        self.open_connections = 0
        self.connections_total = 0
        self.handshake_attempts = 0
        self.handshakes_rejected = 0
        self.host = "127.0.0.1"
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._connections: set[_Connection] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def url(self) -> str:
        """Return the endpoint URL without query (clients add `?model=`)."""
        return f"ws://{self.host}:{self.port}{PATH}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on `host`:`port` (0 picks a free port, see `port`)."""
        if self._runner is not None:
            raise RuntimeError("Emulator already started")
        app = web.Application()
        app.router.add_get(PATH, self._handle)
        add_voice_routes(app, self.voices, lambda: self.scenario)
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.host = host
        self.port = runner.addresses[0][1]

    async def stop(self) -> None:
        """Close every open WebSocket (code 1001), then stop listening."""
        runner = self._runner
        if runner is None:
            return
        self._runner = None
        for site in list(runner.sites):
            await site.stop()
        for connection in list(self._connections):
            connection.request_close(1001)
        try:
            await self.wait_idle(_CLOSE_TIMEOUT + 1.0)
        except TimeoutError:
            _LOGGER.warning("%d connection(s) did not close in time", self.open_connections)
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def wait_idle(self, timeout: float = 2.0) -> None:  # noqa: ASYNC109
        """Wait until no WebSocket is open; raise TimeoutError after `timeout` seconds."""
        async with asyncio.timeout(timeout):
            await self._idle.wait()

    def _reject(self, status: int) -> web.Response:
        self.handshakes_rejected += 1
        code, message = _REJECTIONS.get(status, ("InternalError", "Request failed."))
        body = {"code": code, "message": message, "request_id": str(uuid.uuid4())}
        return web.json_response(body, status=status)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.handshake_attempts += 1
        scenario = self.scenario
        if scenario.handshake_delay > 0:
            await asyncio.sleep(scenario.handshake_delay)
        if scenario.handshake_status is not None:
            return self._reject(scenario.handshake_status)
        key = _parse_key(request)
        if key is None or (scenario.api_keys is not None and key not in scenario.api_keys):
            return self._reject(401)
        ws = web.WebSocketResponse(timeout=_CLOSE_TIMEOUT, max_msg_size=16 * 1024 * 1024)
        if not ws.can_prepare(request):
            return self._reject(400)
        await ws.prepare(request)
        loop = asyncio.get_running_loop()
        model = request.query.get("model", "")
        record = SessionRecord(
            index=len(self.sessions),
            model=model,
            headers=dict(request.headers),
            opened_at=loop.time(),
            session_id=_new_id("sess"),
            config=default_config(model, scenario.models.get(model)),
        )
        self.sessions.append(record)
        self.open_connections += 1
        self.connections_total += 1
        self._idle.clear()
        connection = _Connection(request, ws, record, scenario)
        self._connections.add(connection)
        try:
            await connection.run()
        finally:
            self._connections.discard(connection)
            self.open_connections -= 1
            if self.open_connections == 0:
                self._idle.set()
            _LOGGER.info(
                "session %d: model=%s voice=%s responses=%d characters=%d closed_by=%s",
                record.index,
                record.model,
                record.config.get("voice"),
                len(record.segments),
                record.usage_characters,
                "client" if record.closed_by_client else "server",
            )
        return ws
