"""Audio rendering of the emulator: tones or espeak-ng speech, WAV, and ffmpeg encoding."""

from __future__ import annotations

import array
import asyncio
from collections.abc import Iterator
from functools import lru_cache
import math
from pathlib import Path
import shutil
import struct
import sys
import tempfile
from typing import Final, TypedDict, Unpack
import zlib

from custom_components.qwen_tts_realtime.realtime.text import is_han

from .segments import CJK_ENDS

WAV_HEADER_BYTES: Final = 44


class PcmSettings(TypedDict, total=False):
    """The session settings that shape rendered speech (defaults: the service's)."""

    sample_rate: int
    speech_rate: float
    volume: int
    pitch_rate: float
    voice: str


_CHAR_SECONDS = 0.06
_SYLLABLE_SECONDS = 0.12
_SPACE_SECONDS = 0.03
_PAUSE_SECONDS = 0.09
_RAMP_SECONDS = 0.004


def _voice_base(voice: str) -> float:
    return 110.0 + zlib.crc32(voice.encode()) % 160


@lru_cache(maxsize=4096)
def _tone(freq: float, samples: int, amplitude: int, sample_rate: int) -> bytes:
    ramp = max(1, int(sample_rate * _RAMP_SECONDS))
    step = 2.0 * math.pi * freq / sample_rate
    out = array.array(
        "h",
        (
            int(amplitude * min(1.0, (k + 1) / ramp, (samples - k) / ramp) * math.sin(step * k))
            for k in range(samples)
        ),
    )
    if sys.byteorder == "big":
        out.byteswap()
    return out.tobytes()


@lru_cache(maxsize=256)
def _silence(samples: int) -> bytes:
    return bytes(2 * samples)


def iter_pcm(text: str, **settings: Unpack[PcmSettings]) -> Iterator[bytes]:
    """Yield the PCM of `render_pcm` piece by piece (one piece per character)."""
    sample_rate = settings.get("sample_rate", 24000)
    base = _voice_base(settings.get("voice", "Cherry")) * settings.get("pitch_rate", 1.0)
    amplitude = round(max(0, min(100, settings.get("volume", 50))) * 200)
    per_second = sample_rate / settings.get("speech_rate", 1.0)
    char_samples = round(per_second * _CHAR_SECONDS)
    syllable_samples = round(per_second * _SYLLABLE_SECONDS)
    space = _silence(round(per_second * _SPACE_SECONDS))
    pause = _silence(round(per_second * _PAUSE_SECONDS))
    for char in text:
        if char.isspace():
            yield pause if char == "\n" else space
        elif char.isalnum() or (ord(char) >= 0x2E80 and not _is_cjk_punct(char)):
            cp = ord(char)
            freq = base * 2.0 ** ((cp * 7 % 19) / 24.0)
            samples = syllable_samples if cp >= 0x2E80 else char_samples
            yield _tone(round(freq, 3), samples, amplitude, sample_rate)
        else:
            yield pause


def _is_cjk_punct(char: str) -> bool:
    cp = ord(char)
    return 0x3000 <= cp <= 0x303F or 0xFF00 <= cp <= 0xFF0F or char in CJK_ENDS


def render_pcm(text: str, **settings: Unpack[PcmSettings]) -> bytes:
    """Render `text` as deterministic s16le mono PCM: one short tone per character.

    Each setting changes the bytes: the voice and pitch_rate the frequencies, speech_rate the
    durations, volume the amplitude, sample_rate everything.
    """
    return b"".join(iter_pcm(text, **settings))


def wav_header(pcm_length: int, sample_rate: int) -> bytes:
    """Return a WAV_HEADER_BYTES RIFF header for s16le mono PCM of `pcm_length` bytes."""
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + pcm_length,
        b"WAVE",
        b"fmt ",
        16,
        1,
        1,
        sample_rate,
        sample_rate * 2,
        2,
        16,
        b"data",
        pcm_length,
    )


def ffmpeg_available() -> bool:
    """Return whether mp3/opus output can be encoded."""
    return shutil.which("ffmpeg") is not None


async def encode(pcm: bytes, response_format: str, sample_rate: int, bit_rate: int) -> bytes:
    """Wrap or encode PCM in `response_format` (pcm, wav, or mp3/opus through ffmpeg).

    Each call makes a whole file, as the service does for each response: an mp3 starts with an
    ID3v2 tag and a Xing/Info frame (ffmpeg writes that frame only into a seekable file).
    """
    if response_format == "pcm":
        return pcm
    if response_format == "wav":
        return wav_header(len(pcm), sample_rate) + pcm
    codec = ["-c:a", "libmp3lame", "-f", "mp3"]
    if response_format == "opus":
        codec = ["-c:a", "libopus", "-f", "ogg"]
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "audio"
        proc = await asyncio.create_subprocess_exec(
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "s16le", "-ar", str(sample_rate),
            "-ac", "1", "-i", "pipe:0", *codec, "-b:a", f"{bit_rate}k", str(target),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            await proc.communicate(pcm)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        return target.read_bytes() if target.exists() else b""


_ESPEAK_LANGUAGES = {
    "Chinese": "cmn",
    "English": "en",
    "German": "de",
    "Italian": "it",
    "Portuguese": "pt",
    "Spanish": "es",
    "Japanese": "ja",
    "Korean": "ko",
    "French": "fr",
    "Russian": "ru",
}
_MALE_VOICES = frozenset(
    (
        "Ethan",
        "Ryan",
        "Elias",
        "Dylan",
        "Marcus",
        "Roy",
        "Peter",
        "Rocky",
        "Eric",
        "Kai",
        "Aiden",
        "Vincent",
        "Neil",
        "Arthur",
        "Alek",
        "Andre",
        "Lenn",
        "Emilien",
        "Bodega",
        "Li",
        "Moon",
        "Eldric Sage",
        "Radio Gol",
    )
)


def _espeak_language(text: str, language_type: str) -> str:
    if language_type in _ESPEAK_LANGUAGES:
        return _ESPEAK_LANGUAGES[language_type]
    for char in text:
        cp = ord(char)
        if 0x3040 <= cp <= 0x30FF:
            return "ja"
        if 0xAC00 <= cp <= 0xD7AF:
            return "ko"
        if 0x0400 <= cp <= 0x04FF:
            return "ru"
    return "cmn" if any(is_han(c) for c in text) else "en"


def espeak_available() -> bool:
    """Return whether the espeak voice engine can be used."""
    return shutil.which("espeak-ng") is not None


def _parse_wav(data: bytes) -> tuple[bytes, int]:
    """Return (s16le PCM, sample rate) of espeak's WAV output, whose sizes may be bogus."""
    pos = 12
    rate = 22050
    while pos + 8 <= len(data):
        chunk, size = struct.unpack_from("<4sI", data, pos)
        pos += 8
        if chunk == b"fmt ":
            rate = struct.unpack_from("<I", data, pos + 4)[0]
        elif chunk == b"data":
            pcm = data[pos:]
            return pcm[: len(pcm) - len(pcm) % 2], rate
        pos += size + (size & 1)
    return b"", rate


def resample(pcm: bytes, rate_in: int, rate_out: int) -> bytes:
    """Resample s16le mono PCM by linear interpolation."""
    if rate_in == rate_out or not pcm:
        return pcm
    src = array.array("h")
    src.frombytes(pcm)
    if sys.byteorder == "big":
        src.byteswap()
    last = len(src) - 1
    count = max(1, round(len(src) * rate_out / rate_in))
    ratio = rate_in / rate_out
    out = array.array("h", bytes(2 * count))
    for k in range(count):
        x = k * ratio
        i = min(int(x), last)
        j = min(i + 1, last)
        frac = x - i
        out[k] = int(src[i] + (src[j] - src[i]) * frac)
    if sys.byteorder == "big":
        out.byteswap()
    return out.tobytes()


async def render_espeak(
    text: str,
    *,
    sample_rate: int,
    speech_rate: float,
    volume: int,
    pitch_rate: float,
    voice: str,
    language_type: str,
) -> bytes | None:
    """Render `text` with espeak-ng; None when espeak-ng is missing or fails."""
    if not espeak_available():
        return None
    variant = ("m" if voice in _MALE_VOICES else "f") + str(1 + zlib.crc32(voice.encode()) % 4)
    args = [
        "espeak-ng", "--stdout", "-b", "1",
        "-v", f"{_espeak_language(text, language_type)}+{variant}",
        "-s", str(round(175 * speech_rate)),
        "-p", str(max(0, min(99, round(50 * pitch_rate)))),
        "-a", str(max(0, min(200, volume * 2))),
    ]  # fmt: skip
    try:
        proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
    except OSError:
        return None
    try:
        out, _ = await proc.communicate(text.encode())
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    if proc.returncode != 0:
        return None
    pcm, rate = _parse_wav(out)
    if not pcm:
        return None
    return await asyncio.to_thread(resample, pcm, rate, sample_rate)
