"""Recordings to clone voices from, made in memory: speech-like tones, silence, odd formats."""

from __future__ import annotations

import array
import io
import math
import wave


def recording(
    seconds: float = 12.0,
    *,
    rate: int = 24000,
    channels: int = 1,
    silent: bool = False,
    width: int = 2,
) -> bytes:
    """Return a WAV file: syllable-like tone bursts (or silence) of `seconds`."""
    second = array.array("h", bytes(2 * rate))
    if not silent:
        for k in range(rate):  # one second: four syllables, then a pause
            if k * 5 // rate != 4:
                second[k] = int(8000 * math.sin(2 * math.pi * 180 * k / rate))
    count = round(seconds * rate)
    frames = (second.tobytes() * math.ceil(seconds))[: 2 * count]
    if channels > 1:
        frames = b"".join(frames[i : i + 2] * channels for i in range(0, len(frames), 2))
    if width != 2:
        frames = bytes(b for i, b in enumerate(frames) if i % 2)  # keep the high byte: 8-bit
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(frames)
    return out.getvalue()
