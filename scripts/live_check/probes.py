"""The probes: each one request to the service, answered as accepted or refused (and how)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp

from custom_components.qwen_tts_realtime.realtime import DEFAULT_MODEL, DEFAULT_VOICE
from custom_components.qwen_tts_realtime.realtime.session_config import MAX_INSTRUCTIONS_CHARS

from .wire import (
    HandshakeRefused,
    Wire,
    connect,
    delta_bytes,
    error_code,
    error_message,
    opened,
)

VOICE_TEXT: Final = "a"  # one billed character proves that a voice really speaks
FORMAT_TEXTS: Final = ("a", "b")  # two responses on one socket: does each start with a header?
FORMATS: Final = ("pcm", "mp3", "opus")
UNKNOWN_VOICE: Final = "Live Check No Such Voice"
UNKNOWN_MODEL: Final = "qwen3-tts-live-check-no-such-model"
INSTRUCT_MODEL: Final = "qwen3-tts-instruct-flash-realtime"
# One token per Han character: past the service's 1600 tokens and the integration's own bound.
LONG_INSTRUCTIONS: Final = "好" * (MAX_INSTRUCTIONS_CHARS + 100)
NOT_A_KEY: Final = "sk-live-check-not-a-key"


@dataclass(frozen=True, slots=True)
class Target:
    """Where the probes go, with which key."""

    endpoint: str
    api_key: str


@dataclass(slots=True)
class Response:
    """One response: what it said it billed, and how its audio begins."""

    text: str
    audio_bytes: int
    starts_with: str
    usage: dict[str, Any]


@dataclass(slots=True)
class Answer:
    """How the service answered one request."""

    accepted: bool
    code: str | None = None  # why not: an error code, an HTTP status, how the socket ended
    message: str | None = None
    responses: list[Response] = field(default_factory=list)

    @property
    def fact(self) -> str:
        """Return what is compared between the service, the emulator and the catalogue."""
        return "accepted" if self.accepted else f"refused ({self.code})"


@dataclass(slots=True)
class Idle:
    """What the service did with a socket that carried nothing."""

    waited_s: float
    closed_after_s: float | None = None
    close_code: int | None = None

    @property
    def fact(self) -> str:
        """Return whether the service closed it within the wait (the time is only reported)."""
        if self.closed_after_s is None:
            return "still open at the end of the wait"
        return f"closed by the service (code {self.close_code})"


def starts_with(audio: bytes) -> str:
    """Name how audio begins: a container's magic, an MPEG frame, or anything else."""
    for magic in (b"ID3", b"OggS", b"RIFF"):
        if audio.startswith(magic):
            return magic.decode()
    if len(audio) > 1 and audio[0] == 0xFF and audio[1] & 0xE0 == 0xE0:
        return "MPEG frame"
    return "other" if audio else "nothing"


async def _response(wire: Wire, text: str) -> Response | Answer:
    """Read one response to its `response.done`; an Answer when the service refuses instead."""
    audio = bytearray()
    while (event := await wire.until(("response.audio.delta", "response.done"))) is not None:
        if event["type"] == "response.audio.delta":
            audio += delta_bytes(event)
            continue
        if event["type"] == "error":
            break
        response = event.get("response") or {}
        if response.get("status") != "completed":
            return Answer(False, f"response {response.get('status')}", str(response))
        if not audio:
            return Answer(False, "no audio")
        return Response(
            text, len(audio), starts_with(bytes(audio)), dict(response.get("usage", {}))
        )
    return Answer(False, error_code(event, wire), error_message(event))


async def speak(
    http: aiohttp.ClientSession,
    target: Target,
    model: str,
    session: dict[str, Any],
    texts: Sequence[str] = (),
) -> Answer:
    """Send `session`, then commit each of `texts` as its own response (none: settings only)."""
    try:
        async with opened(http, target.endpoint, target.api_key, model) as wire:
            await wire.send("session.update", session={"mode": "commit", **session})
            event = await wire.until(("session.updated",))
            if event is None or event["type"] == "error":
                return Answer(False, error_code(event, wire), error_message(event))
            answer = Answer(True)
            for text in texts:
                await wire.send("input_text_buffer.append", text=text)
                await wire.send("input_text_buffer.commit")
                response = await _response(wire, text)
                if isinstance(response, Answer):
                    response.responses = answer.responses
                    return response
                answer.responses.append(response)
            return answer
    except HandshakeRefused as err:
        return Answer(False, err.code)
    except TimeoutError:
        return Answer(False, "no answer in time")
    except (aiohttp.ClientError, ConnectionError) as err:
        return Answer(False, type(err).__name__)


async def voice(http: aiohttp.ClientSession, target: Target, model: str, name: str) -> Answer:
    """Does `model` speak with voice `name`? Bills VOICE_TEXT."""
    return await speak(http, target, model, {"voice": name}, [VOICE_TEXT])


async def audio_format(
    http: aiohttp.ClientSession, target: Target, response_format: str, sample_rate: int
) -> Answer:
    """Two responses in a format and rate, to see how each begins. Bills FORMAT_TEXTS."""
    session = {"voice": DEFAULT_VOICE, "response_format": response_format}
    return await speak(
        http, target, DEFAULT_MODEL, {**session, "sample_rate": sample_rate}, FORMAT_TEXTS
    )


async def unknown_voice(http: aiohttp.ClientSession, target: Target) -> Answer:
    """A voice no model has (settings only: nothing billed)."""
    return await speak(http, target, DEFAULT_MODEL, {"voice": UNKNOWN_VOICE})


async def long_instructions(http: aiohttp.ClientSession, target: Target) -> Answer:
    """Instructions longer than the documented 1600 tokens (settings only: nothing billed)."""
    session = {"voice": DEFAULT_VOICE, "instructions": LONG_INSTRUCTIONS}
    return await speak(http, target, INSTRUCT_MODEL, session)


async def unknown_model(http: aiohttp.ClientSession, target: Target) -> Answer:
    """A model that does not exist: what comes back, in order (`message` lists it)."""
    try:
        async with opened(http, target.endpoint, target.api_key, UNKNOWN_MODEL) as wire:
            try:
                if await wire.next_event() is not None:
                    await wire.send("session.update", session={"voice": DEFAULT_VOICE})
                    event = await wire.until(("session.updated",))
                    if event is not None and event["type"] == "session.updated":
                        return Answer(True, message=", ".join(wire.seen))
            except TimeoutError, aiohttp.ClientError, ConnectionError:
                wire.seen.append("no answer in time")
            return Answer(False, error_code(None, wire), ", ".join(wire.seen))
    except HandshakeRefused as err:
        return Answer(False, err.code)


async def wrong_key(http: aiohttp.ClientSession, target: Target) -> Answer:
    """A key the service never issued: how the handshake refuses it."""
    try:
        wire, _ = await connect(http, target.endpoint, NOT_A_KEY, DEFAULT_MODEL)
    except HandshakeRefused as err:
        return Answer(False, err.code)
    await wire.ws.close()
    return Answer(True)


async def idle(http: aiohttp.ClientSession, target: Target, wait: float) -> Idle:
    """Open a socket, send nothing, and see whether the service closes it within `wait` s."""
    result = Idle(waited_s=wait)
    loop = asyncio.get_running_loop()
    wire, _ = await connect(http, target.endpoint, target.api_key, DEFAULT_MODEL)
    opened_at = loop.time()
    try:
        while (left := opened_at + wait - loop.time()) > 0:
            if await wire.next_event(timeout=left) is None:
                result.closed_after_s = round(loop.time() - opened_at, 1)
                result.close_code = wire.close_code
                break
    except TimeoutError:
        pass
    finally:
        await wire.ws.close()
    return result
