"""The audio a session yields, and the one place that writes WAV headers (16-bit PCM, mono).

PCM is cut in whole 16-bit samples, the mp3 of every response joined into one MPEG stream, other
formats pass as they come.

In `server_commit` mode every sentence is a response of its own, and each response's mp3 is a
file of its own: an ID3v2 tag, perhaps a Xing/Info frame, then audio frames. Glued together,
decoders report "Header missing" at every seam and some players stop there. `Mp3Joiner` keeps
the first response's ID3v2 tag, drops the tags of the others, and drops every Xing/Info frame:
its frame and byte counts describe one sentence, so a player would take that for the whole.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable
import struct
from typing import Final

from .catalog import Format

ID3_HEADER_BYTES: Final = 10  # "ID3", version, flags, syncsafe size; a footer repeats it
_ID3_FOOTER_FLAG: Final = 0x10
# What must be seen of a response's audio to tell a Xing/Info frame: the frame header, its CRC,
# the longest side information (MPEG-1 stereo) and the tag.
PEEK_BYTES: Final = 4 + 2 + 32 + 4
_XING_TAGS: Final = (b"Xing", b"Info")
# Layer III bitrates (kbit/s) by bitrate index: MPEG-1, then MPEG-2 and 2.5.
_BITRATES: Final = (
    (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
)
# Sample rates by the header's version bits (0: MPEG-2.5, 2: MPEG-2, 3: MPEG-1), then rate index.
_SAMPLE_RATES: Final = {0: (11025, 12000, 8000), 2: (22050, 24000, 16000), 3: (44100, 48000, 32000)}


def id3_size(head: bytes) -> int | None:
    """Return the size of the ID3v2 tag `head` starts with (footer included), or None."""
    if len(head) < ID3_HEADER_BYTES or head[:3] != b"ID3":
        return None
    size = 0
    for byte in head[6:10]:
        if byte & 0x80:
            return None  # not syncsafe: not a tag
        size = size << 7 | byte
    footer = ID3_HEADER_BYTES if head[5] & _ID3_FOOTER_FLAG else 0
    return ID3_HEADER_BYTES + size + footer


def xing_frame_size(head: bytes) -> int | None:
    """Return the length of the Layer III frame `head` starts with when it is a Xing/Info frame."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    version, layer = head[1] >> 3 & 3, head[1] >> 1 & 3
    bitrate_index, rate_index = head[2] >> 4, head[2] >> 2 & 3
    if version not in _SAMPLE_RATES or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    mpeg1, mono = version == 3, head[3] >> 6 == 3
    side_info = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    offset = 4 + (0 if head[1] & 1 else 2) + side_info
    if head[offset : offset + 4] not in _XING_TAGS:
        return None
    bitrate = _BITRATES[0 if mpeg1 else 1][bitrate_index] * 1000
    padding = head[2] >> 1 & 1
    return (144 if mpeg1 else 72) * bitrate // _SAMPLE_RATES[version][rate_index] + padding


class Mp3Joiner:
    """Joins the mp3 of one session's responses, delta by delta, holding at most PEEK_BYTES."""

    def __init__(self) -> None:
        self._first = True
        self._start_response()

    def _start_response(self) -> None:
        self._head = b""  # the start of the response, until it can be judged
        self._judging = True  # still at the start: an ID3 tag or a Xing frame may come
        self._tag_judged = False
        self._keep = 0  # bytes of the first response's tag still to pass on
        self._skip = 0  # bytes of a tag or Xing frame still to drop

    def feed(self, data: bytes) -> bytes:
        """Return what of `data` (the next bytes of the current response) goes on."""
        out = bytearray()
        while data:
            if self._keep or self._skip:
                size = min(self._keep or self._skip, len(data))
                if self._keep:
                    out += data[:size]
                    self._keep -= size
                else:
                    self._skip -= size
                data = data[size:]
            elif not self._judging:
                out += data
                break
            else:
                room = PEEK_BYTES - len(self._head)
                self._head += data[:room]
                data = data[room:]
                if not self._judge():
                    break  # all of `data` is in the head, waiting for more
                data, self._head = self._head + data, b""
        return bytes(out)

    def end_response(self) -> bytes:
        """End the current response; return what it left unjudged (a very short response)."""
        rest = self._head if self._judging else b""
        self._first = False
        self._start_response()
        return rest

    def _judge(self) -> bool:
        """Decide what the head starts with; False while it is too short to tell."""
        head = self._head
        if not self._tag_judged:
            if len(head) < ID3_HEADER_BYTES and b"ID3".startswith(head[:3]):
                return False
            self._tag_judged = True
            if (size := id3_size(head)) is not None:
                if self._first:
                    self._keep = size
                else:
                    self._skip = size
                return True
        if len(head) < PEEK_BYTES:
            return False
        self._judging = False
        self._skip = xing_frame_size(head) or 0
        return True


class AudioChunks:
    """Turns one session's audio deltas into the chunks its reader gets."""

    def __init__(self, response_format: Format) -> None:
        self._align = response_format == Format.PCM
        self._joiner = Mp3Joiner() if response_format == Format.MP3 else None
        self._carry = b""

    def feed(self, delta: bytes) -> bytes:
        """Return what of a delta (and what was held back) can be passed on now."""
        data = self._carry + (delta if self._joiner is None else self._joiner.feed(delta))
        cut = len(data) - (len(data) % 2) if self._align else len(data)
        self._carry = data[cut:]
        return data[:cut]

    def end_response(self) -> bytes:
        """Return what a finished response still holds back (the tail of its mp3)."""
        return self._joiner.end_response() if self._joiner is not None else b""

    @property
    def held_back(self) -> int:
        """Return how many bytes of an incomplete sample are held back."""
        return len(self._carry)


# WAV: 16-bit mono PCM; a data size of all ones stands for a stream of unknown length.
STREAMING_DATA_SIZE: Final = 0xFFFFFFFF
SAMPLE_WIDTH: Final = 2
CHANNELS: Final = 1


def wav_header(sample_rate: int, data_size: int | None = None) -> bytes:
    """Return a 44-byte header; without `data_size`, one for a stream of unknown length.

    Home Assistant (2026.11+) and ffmpeg read a data size of 0xFFFFFFFF as "until the end".
    """
    byte_rate = sample_rate * CHANNELS * SAMPLE_WIDTH
    if data_size is None:
        data_size = riff_size = STREAMING_DATA_SIZE
    else:
        riff_size = 36 + data_size
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        riff_size,
        b"WAVE",
        b"fmt ",
        16,
        1,
        CHANNELS,
        sample_rate,
        byte_rate,
        CHANNELS * SAMPLE_WIDTH,
        SAMPLE_WIDTH * 8,
        b"data",
        data_size,
    )


def wav_bytes(pcm: bytes, sample_rate: int) -> bytes:
    """Return a complete WAV file holding `pcm`."""
    return wav_header(sample_rate, len(pcm)) + pcm


async def wav_stream(pcm: AsyncIterable[bytes], sample_rate: int) -> AsyncGenerator[bytes]:
    """Yield a streaming WAV: a header for unknown length, then the PCM chunks unchanged.

    The header goes out with the first chunk, so a stream without any audio yields nothing and
    the caller can tell "no audio" from "empty audio".
    """
    started = False
    async for chunk in pcm:
        if not chunk:
            continue
        if not started:
            started = True
            yield wav_header(sample_rate)
        yield chunk
