"""Check an uploaded recording before it is sent to be cloned (a refused clone costs a round trip).

Runs in the executor: it reads the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final
import wave

from mutagen import MutagenError
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4

from .realtime.voices import MAX_AUDIO_REQUEST_BYTES

# The file as sent must stay under the service's bound once base64-encoded (4 bytes per 3) in
# a data URL; 64 bytes cover the URL's prefix.
MAX_RECORDING_BYTES: Final = (MAX_AUDIO_REQUEST_BYTES - 64) * 3 // 4
MIN_SAMPLE_RATE: Final = 24000  # the service refuses lower rates
MAX_SECONDS: Final = 60.0  # the service refuses longer recordings
MIN_SECONDS: Final = 3.0  # the service needs 3 s of continuous speech; 10-20 s works best
MIME_TYPES: Final = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4"}
ACCEPT: Final = ",".join([*MIME_TYPES, *MIME_TYPES.values()])  # the file selector's filter


@dataclass(frozen=True, slots=True)
class Recording:
    """A recording that passed the checks."""

    audio: bytes
    mime_type: str


class RecordingProblem(Exception):
    """What is wrong with a recording; `problem` is the form error's suffix (audio_<problem>)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def check_recording(path: Path) -> Recording:
    """Return the recording at `path`, or raise RecordingProblem."""
    mime_type = MIME_TYPES.get(path.suffix.lower())
    if mime_type is None:
        raise RecordingProblem("format")
    if path.stat().st_size > MAX_RECORDING_BYTES:
        raise RecordingProblem("too_large")
    seconds, sample_rate, channels = _probe(path, mime_type)
    if sample_rate < MIN_SAMPLE_RATE:
        raise RecordingProblem("sample_rate")
    if channels != 1:
        raise RecordingProblem("not_mono")
    if seconds > MAX_SECONDS:
        raise RecordingProblem("too_long")
    if seconds < MIN_SECONDS:
        raise RecordingProblem("too_short")
    return Recording(path.read_bytes(), mime_type)


def _probe(path: Path, mime_type: str) -> tuple[float, int, int]:
    """Return (seconds, sample rate, channels) from the file's headers."""
    if mime_type == "audio/wav":
        try:
            with wave.open(str(path)) as wav:
                if wav.getsampwidth() != 2:
                    raise RecordingProblem("format")  # the service takes 16-bit WAV only
                rate, channels = wav.getframerate(), wav.getnchannels()
                if rate <= 0:
                    raise RecordingProblem("unreadable")
                return wav.getnframes() / rate, rate, channels
        except wave.Error, EOFError:
            raise RecordingProblem("unreadable") from None
    try:
        kind = MP3 if mime_type == "audio/mpeg" else MP4
        audio = kind(path)
    except MutagenError, OSError:
        raise RecordingProblem("unreadable") from None
    info = audio.info
    if info is None or not info.sample_rate:
        raise RecordingProblem("unreadable")
    return float(info.length), int(info.sample_rate), int(info.channels)
