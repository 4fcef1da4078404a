"""Helpers shared by the client and the Home Assistant tests.

What the emulator recorded and waiting for it; what ffmpeg makes of an mp3 stream. The recordings
to clone voices from are in recordings.py, which needs nothing but the standard library (the
screenshot walks load it too).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
import shutil
import tempfile

import pytest

from custom_components.qwen_tts_realtime.realtime import RealtimeClient
from qwen_tts_emulator import Emulator, SessionRecord

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
ID3V2_4 = b"ID3\x04\x00"  # the start of the tags ffmpeg writes
_RATE = 24000  # mp3 is decoded at this rate, whatever the stream's


async def eventually(condition: Callable[[], bool], limit: float = 5.0) -> None:
    """Wait until `condition()` holds (a guard against hanging, not a timing assertion)."""
    async with asyncio.timeout(limit):
        while not condition():  # noqa: ASYNC110 - the emulator's records have no events to await
            await asyncio.sleep(0.005)


def utterances(emulator: Emulator) -> list[SessionRecord]:
    """Sessions that were asked to speak: given settings.

    The setup check and idle spares only shake hands; a key check sends no settings.
    """
    return [
        r
        for r in emulator.sessions
        if any(e.type == "session.update" and e.payload.get("session") for e in r.received)
    ]


def all_closed(records: Iterable[SessionRecord]) -> bool:
    """Return True when every session is closed."""
    return all(r.closed_at is not None for r in records)


# --- mp3, as ffmpeg sees it ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Probe:
    """ffmpeg's complaints while decoding all of it, and the durations it finds."""

    errors: str
    decoded_seconds: float  # samples decoded, frame by frame
    probed_seconds: float  # what ffprobe says the file lasts (players show this)


async def _run(*command: str) -> tuple[bytes, str]:
    proc = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out, err.decode().strip()


async def probe_mp3(data: bytes) -> Probe:
    """Decode `data` with `ffmpeg -v error` and ask ffprobe for its duration."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "speech.mp3"
        path.write_bytes(data)
        pcm, errors = await _run(
            "ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(_RATE),
            "pipe:1",
        )  # fmt: skip
        duration, _ = await _run(
            "ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
            str(path),
        )  # fmt: skip
    return Probe(errors, len(pcm) / 2 / _RATE, float(duration))


def has_spare(client: RealtimeClient, model: str) -> bool:
    """Return True when a connected spare of `model` waits (what diagnostics show)."""
    return bool(client.spares_state().get(model, {}).get("spare_connected"))


def chain(err: BaseException | None) -> list[BaseException]:
    """`err` and every exception it carries as its cause or context."""
    seen: list[BaseException] = []
    while err is not None and err not in seen:
        seen.append(err)
        err = err.__cause__ or err.__context__
    return seen


def shows(err: BaseException, text: str) -> bool:
    """Return whether `text` is anywhere in `err` or what it carries (args, attributes, chain)."""
    return any(
        text in f"{e!r} {e} {e.args} {vars(e) if hasattr(e, '__dict__') else ''}"
        for e in chain(err)
    )
