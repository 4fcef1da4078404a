"""The WAV writer: a header for a stream of unknown length, then the PCM unchanged."""

from __future__ import annotations

from collections.abc import AsyncIterator
import io
import struct
import wave

from custom_components.qwen_tts_realtime.realtime import wav_bytes, wav_stream
from custom_components.qwen_tts_realtime.realtime.audio import STREAMING_DATA_SIZE, wav_header


def fields(header: bytes) -> tuple[object, ...]:
    return struct.unpack("<4sI4s4sIHHIIHH4sI", header)


def test_streaming_header_has_unknown_length() -> None:
    header = wav_header(24000)

    assert len(header) == 44
    (
        riff,
        riff_size,
        wave_,
        fmt,
        fmt_size,
        pcm,
        channels,
        rate,
        byte_rate,
        align,
        bits,
        data,
        size,
    ) = fields(header)
    assert (riff, wave_, fmt, data) == (b"RIFF", b"WAVE", b"fmt ", b"data")
    assert (fmt_size, pcm, channels, rate, byte_rate, align, bits) == (
        16,
        1,
        1,
        24000,
        48000,
        2,
        16,
    )
    assert riff_size == size == STREAMING_DATA_SIZE


def test_sized_header_counts_the_data() -> None:
    riff_size, size = fields(wav_header(16000, 1000))[1::11]

    assert (riff_size, size) == (1036, 1000)


def test_complete_file_reads_back() -> None:
    pcm = bytes(range(256)) * 8

    with wave.open(io.BytesIO(wav_bytes(pcm, 8000))) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 8000)
        assert wav.readframes(wav.getnframes()) == pcm


async def pcm_chunks(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def test_stream_is_header_then_pcm_passthrough() -> None:
    out = [chunk async for chunk in wav_stream(pcm_chunks(b"\x01\x02", b"", b"\x03\x04"), 24000)]

    assert out == [wav_header(24000), b"\x01\x02", b"\x03\x04"]


async def test_stream_without_audio_yields_nothing() -> None:
    assert [chunk async for chunk in wav_stream(pcm_chunks(b""), 24000)] == []
