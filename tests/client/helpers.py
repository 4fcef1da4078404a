"""Constants and small helpers shared by the client's tests (their fixtures are in conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

from custom_components.qwen_tts_realtime.realtime import (
    RealtimeClient,
    SessionConfig,
    model_info,
)
from custom_components.qwen_tts_realtime.realtime.session_config import Mode
from qwen_tts_emulator import SessionRecord

KEY = "sk-client-test-0123456789"
KEYS = frozenset({KEY})
MODEL = "qwen3-tts-flash-realtime"
INSTRUCT_MODEL = "qwen3-tts-instruct-flash-realtime"
LEGACY_MODEL = "qwen-tts-realtime"
CONFIG = SessionConfig(model=model_info(MODEL), voice="Cherry")
TWO_SENTENCES = "The first sentence. The second sentence."

# What the `make_client` fixture gives: build a client of the emulator (closed after the test).
type ClientFactory = Callable[..., RealtimeClient]


async def collect(audio: AsyncGenerator[bytes]) -> list[bytes]:
    """Read an audio generator to its end; return its chunks."""
    return [chunk async for chunk in audio]


async def speak(audio: AsyncGenerator[bytes]) -> bytes:
    """Read an audio generator to its end; return all its audio."""
    return b"".join(await collect(audio))


async def chunks(*pieces: str) -> AsyncIterator[str]:
    """A text source that yields `pieces` one by one."""
    for piece in pieces:
        yield piece


def appends(record: SessionRecord) -> list[str]:
    """Return the texts of the session's `input_text_buffer.append` events, in order."""
    return [e.payload["text"] for e in record.received if e.type == "input_text_buffer.append"]


def session_update(record: SessionRecord) -> dict[str, Any]:
    """Return the `session` object of the session's (first) `session.update`."""
    return next(e.payload["session"] for e in record.received if e.type == "session.update")


def config(**changes: Any) -> SessionConfig:
    """Return the default test config with `changes` (a `model` by name)."""
    values: dict[str, Any] = {"model": MODEL, "voice": "Cherry", **changes}
    model = model_info(values.pop("model"))
    mode = values.pop("mode", Mode.COMMIT)
    return SessionConfig(model=model, mode=mode, **values)


async def collect_into(audio: AsyncGenerator[bytes], received: list[bytes]) -> None:
    """Read an audio generator into `received`, keeping what came before an error."""
    async for chunk in audio:
        received.append(chunk)
