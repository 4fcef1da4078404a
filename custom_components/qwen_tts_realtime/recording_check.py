"""Check an uploaded recording before it is sent to be cloned (a refused clone costs a round trip).

Runs in the executor: it reads the file. Lengths are the ones the file's headers declare, once
the file is found to hold that much audio: a file cut short (an interrupted copy or download)
still declares its whole length, and the vendor bills its clone and then fails, or clones noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
import struct
from typing import Any, BinaryIO, Final
import wave

from mutagen import MutagenError
from mutagen.mp3 import MP3, HeaderNotFoundError, MPEGFrame
from mutagen.mp4 import MP4

from .realtime import MAX_AUDIO_REQUEST_BYTES

# The file as sent must stay under the service's bound once base64-encoded (4 bytes per 3) in
# a data URL; 64 bytes cover the URL's prefix.
MAX_RECORDING_BYTES: Final = (MAX_AUDIO_REQUEST_BYTES - 64) * 3 // 4
MIN_SAMPLE_RATE: Final = 24000  # the service refuses lower rates
MAX_SECONDS: Final = 60.0  # the service refuses longer recordings
MIN_SECONDS: Final = 3.0  # the service needs 3 s of continuous speech; 10-20 s works best
MIME_TYPES: Final = {".wav": "audio/wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4"}
# Audio a whole file may lack against its header (an encoder's last, partial MP3 frame); a file
# lacking more was cut short.
TRUNCATION_TOLERANCE_SECONDS: Final = 0.1
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
    """Return (seconds, sample rate, channels) from the file's headers.

    Raise RecordingProblem("truncated") when the file holds less audio than they declare.
    """
    if mime_type == "audio/wav":
        return _probe_wav(path)
    try:
        kind = MP3 if mime_type == "audio/mpeg" else MP4
        audio = kind(path)
    except MutagenError, OSError:
        raise RecordingProblem("unreadable") from None
    info = audio.info
    if info is None or not info.sample_rate:
        raise RecordingProblem("unreadable")
    seconds = float(info.length)
    if mime_type == "audio/mpeg":
        present = _mp3_seconds_present(path, getattr(info, "frame_offset", 0))
        if present < seconds - TRUNCATION_TOLERANCE_SECONDS:
            raise RecordingProblem("truncated")
    elif not _mp4_boxes_whole(path):
        raise RecordingProblem("truncated")
    return seconds, int(info.sample_rate), int(info.channels)


def _probe_wav(path: Path) -> tuple[float, int, int]:
    """Return what `_probe` does for a WAV: the frames declared, once they are all there."""
    try:
        with wave.open(str(path)) as wav:
            if wav.getsampwidth() != 2:
                raise RecordingProblem("format")  # the service takes 16-bit WAV only
            rate, channels, declared = wav.getframerate(), wav.getnchannels(), wav.getnframes()
            if rate <= 0 or channels <= 0:
                raise RecordingProblem("unreadable")
            present = len(wav.readframes(declared)) // (2 * channels)
    except wave.Error, EOFError:
        raise RecordingProblem("unreadable") from None
    if present < declared - TRUNCATION_TOLERANCE_SECONDS * rate:
        raise RecordingProblem("truncated")
    return declared / rate, rate, channels


def _mp3_seconds_present(path: Path, first_frame: int) -> float:
    """Return the seconds of the whole MPEG audio frames in the file, from its first frame on.

    The Xing/Info frame that declares the length carries no audio of its own (mutagen reads it as
    the one frame that is not "sketchy") and is not counted; the walk ends at the first byte that
    is not a frame (an ID3v1 tag, or the cut).
    """
    read_frame: Callable[[BinaryIO], Any] = MPEGFrame  # mutagen's class is not annotated
    size = path.stat().st_size
    seconds = 0.0
    with path.open("rb") as file:
        file.seek(first_frame)
        while True:
            try:
                frame = read_frame(file)
            except HeaderNotFoundError:
                break
            if file.tell() > size:
                break  # the frame is cut
            if frame.sketchy:
                seconds += _samples_per_frame(frame.layer, frame.version) / frame.sample_rate
    return seconds


def _samples_per_frame(layer: int, version: float) -> int:
    """Return the samples one MPEG audio frame holds (layer 1, 2 or 3; MPEG version 1, 2, 2.5)."""
    if layer == 1:
        return 384
    return 576 if layer == 3 and version >= 2 else 1152


def _mp4_boxes_whole(path: Path) -> bool:
    """Return whether every top-level box of an MP4 file is all there.

    The audio (`mdat`) is the box a cut file loses, and it must be present: the index (`moov`)
    declares the durations, before the audio in a "faststart" file and after it otherwise.
    """
    size = path.stat().st_size
    position, audio = 0, False
    with path.open("rb") as file:
        while position < size:
            file.seek(position)
            header = file.read(16)
            if len(header) < 8:
                return False
            box_size, box_type = struct.unpack(">I4s", header[:8])
            if box_size == 1 and len(header) == 16:
                box_size = struct.unpack(">Q", header[8:])[0]
            elif box_size == 0:  # the box runs to the end of the file
                box_size = size - position
            if box_size < 8 or position + box_size > size:
                return False
            audio |= box_type == b"mdat"
            position += box_size
    return audio
