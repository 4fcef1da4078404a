"""The audio a session yields, cut from the service's deltas.

PCM in whole 16-bit samples, the mp3 of every response joined into one MPEG stream, other
formats as they come.
"""

from __future__ import annotations

from .audio import Mp3Joiner
from .catalog import Format


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
