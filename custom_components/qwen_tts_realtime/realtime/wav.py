"""The one place that writes WAV headers (16-bit PCM, mono)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable
import struct
from typing import Final

STREAMING_DATA_SIZE: Final = 0xFFFFFFFF
WAV_HEADER_SIZE: Final = 44
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
