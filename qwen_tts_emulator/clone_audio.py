"""Reading the recordings sent to the emulated voice cloning: decoding and finding speech."""

from __future__ import annotations

import array
import asyncio
import base64
import binascii
import io
from pathlib import Path
import re
import sys
import tempfile
from typing import Final
import wave

from .audio import _parse_wav, ffmpeg_available

MIME_TYPES: Final = ("audio/wav", "audio/x-wav", "audio/wave", "audio/mpeg", "audio/mp4")
_SPEECH_WINDOW: Final = 0.02  # seconds per loudness window
_SPEECH_RMS: Final = 300  # a window louder than this (s16 RMS) counts as speech


class UndecodableAudio(Exception):
    """The recording is not WAV, MP3 or M4A the emulator can decode."""


async def decode_data_url(data_url: str, max_seconds: float) -> tuple[bytes, int]:
    """Return (mono s16le PCM, sample rate) of a `data:` URL, cut a second after `max_seconds`.

    Decoding stops there, so a longer recording still shows as too long, and 31 minutes of
    silent MP3 (7.5 MB) are not decoded into 89 MB of PCM first.
    """
    limit = max_seconds + 1
    match = re.fullmatch(r"data:([\w/.+-]+);base64,(.*)", data_url, re.S)
    if match is None or match.group(1) not in MIME_TYPES:
        raise UndecodableAudio("Expected a data URL of WAV, MP3 or M4A.")
    try:
        raw = base64.b64decode(match.group(2), validate=True)
    except binascii.Error, ValueError:
        raw = b""
    try:
        with wave.open(io.BytesIO(raw)) as wav:
            width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
            frames = wav.readframes(min(wav.getnframes(), round(limit * rate)))
    except wave.Error, EOFError:
        pass
    else:
        if width != 2:
            raise UndecodableAudio("WAV must be 16-bit PCM.")
        return _first_channel(frames, channels), rate
    if raw and ffmpeg_available():
        # A file, not a pipe: an M4A's index may come last, and ffmpeg must seek to it.
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "upload"
            source.write_bytes(raw)
            proc = await asyncio.create_subprocess_exec(
                "ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(source), "-ac", "1",
                "-t", f"{limit:g}", "-f", "wav", "pipe:1",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            out, _ = await proc.communicate()
        pcm, rate = _parse_wav(out)
        if proc.returncode == 0 and pcm:
            return pcm, rate
    raise UndecodableAudio("The audio cannot be decoded.")


def _first_channel(frames: bytes, channels: int) -> bytes:
    if channels == 1:
        return frames
    return b"".join(frames[i : i + 2] for i in range(0, len(frames), 2 * channels))


def speech_seconds(pcm: bytes, rate: int) -> float:
    """Return how many seconds of `pcm` are loud enough to be speech (silence does not count)."""
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    window = max(1, int(rate * _SPEECH_WINDOW))
    loud = 0
    for start in range(0, len(samples), window):
        chunk = samples[start : start + window]
        if sum(s * s for s in chunk) / len(chunk) > _SPEECH_RMS**2:
            loud += 1
    return loud * _SPEECH_WINDOW
