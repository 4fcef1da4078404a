"""Every bound the client puts on what the service controls: time, bytes and frames.

Each bound is stated here once, with why it has the value it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .catalog import Format
from .errors import AudioLimitError
from .session_config import BIT_RATE_RANGE

# Real audio deltas are a few kB; a frame this large is an attack or a bug, never speech.
MAX_FRAME_BYTES: Final = 4 * 1024 * 1024
# An unused socket gets `session.created` and nothing else; a few more frames mean it is not ours.
IDLE_FRAMES: Final = 3
# Undecodable frames skipped in one session (the vendor's SDK skips them too); more is a broken
# service, and the session ends.
MAX_BAD_FRAMES: Final = 10
# Audio an utterance may bring, relative to its text: speech takes ~0.07 s per Latin and ~0.25 s
# per CJK character at normal speed, twice that at speech_rate 0.5; 1 s per character is generous.
AUDIO_SECONDS_PER_CHARACTER: Final = 1.0
# ...plus this much, so that "OK" or a number still has room for a slow voice and its pauses.
AUDIO_SECONDS_FLOOR: Final = 30.0
# Whatever the text: Home Assistant keeps a whole TTS result in memory (15 min at 24 kHz: 43 MB).
MAX_AUDIO_SECONDS: Final = 900.0
# Seconds an unused spare socket is kept open: long enough to cover a conversation's next reply,
# short enough not to hold a socket (and the service's idle allowance) all day.
SPARE_IDLE_TIMEOUT: Final = 60.0
# Encoded audio (mp3, opus) has no fixed byte rate: the protocol's bit rate bounds give the most
# and the least audio a number of bytes can hold.
_MIN_ENCODED_BYTES_PER_SECOND: Final = BIT_RATE_RANGE[0] * 1000 // 8
_MAX_ENCODED_BYTES_PER_SECOND: Final = BIT_RATE_RANGE[1] * 1000 // 8


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds to wait.

    `connect` bounds the handshake and the answer to `session.update`; `send` each client event
    (a service that stops reading). `first_audio` and `audio` count only once the input is
    complete, and only audio restarts them: `audio` is the longest silence, and also how far
    audio may fall behind real time (so a trickle of tiny deltas cannot keep a session alive).
    `synthesize` bounds a whole `synthesize()` session, whose text is all known up front.
    """

    connect: float = 10.0
    first_audio: float = 15.0
    audio: float = 10.0
    send: float = 10.0
    synthesize: float = 600.0


@dataclass(frozen=True, slots=True)
class KeepAlive:
    """How spare sockets are kept, and reopened when kept for ever (keep-warm "always").

    Every idle spare is pinged each `ping` seconds, so that routers keep the socket and one that
    was reset shows before an utterance needs it: a spare whose ping is not answered within `pong`
    seconds is discarded (a failure, as below) and never offered. A spare kept for ever that the
    service closes after at least `min_lifetime` seconds met the service's idle timeout: that
    lifetime is recorded and no spare of the model is opened again sooner than that after the
    last one. A refused or failed handshake, a spare lost to a refusal or a missed pong, or one
    kept for ever but closed sooner, is a failure: no spare of the model opens for `retry`
    seconds, doubled after each failure in a row up to `max_retry`, however often satellites
    wake. After `max_failures` in a row a spare kept for ever is no longer reopened by itself
    (a service that will not keep one is not pestered), and nothing opens one for `max_retry`
    seconds. A handshake that works, a spare's or an utterance's, ends the streak.
    """

    ping: float = 20.0
    pong: float = 5.0
    min_lifetime: float = 10.0
    retry: float = 5.0
    max_retry: float = 300.0
    max_failures: int = 5


class AudioMeter:
    """Counts the audio of one utterance against a budget that grows with its text."""

    def __init__(self, response_format: Format, sample_rate: int) -> None:
        pcm = response_format in (Format.PCM, Format.WAV)
        # Both estimates are lenient: for the real-time check a byte holds as much audio as it
        # can, for the budget as little.
        self._seconds_per_byte = 1 / (sample_rate * 2 if pcm else _MIN_ENCODED_BYTES_PER_SECOND)
        self._budget_bytes_per_second = sample_rate * 2 if pcm else _MAX_ENCODED_BYTES_PER_SECOND
        self.characters = 0  # of text sent so far
        self.received = 0  # bytes of audio

    @property
    def budget_seconds(self) -> float:
        """Return how many seconds of audio the text sent so far may bring."""
        return min(
            MAX_AUDIO_SECONDS,
            AUDIO_SECONDS_FLOOR + AUDIO_SECONDS_PER_CHARACTER * self.characters,
        )

    def add(self, size: int) -> float:
        """Count `size` bytes of audio; return at most how many seconds they hold.

        Raise `AudioLimitError` once the audio exceeds the budget.
        """
        self.received += size
        budget = self.budget_seconds
        if self.received > budget * self._budget_bytes_per_second:
            raise AudioLimitError(budget)
        return size * self._seconds_per_byte


# --- The reader's read-ahead and frame count, the handshake's refusal ---------------------------
# Frames read ahead of the session's consumer, in bytes of frame text (the audio they carry is 3/4
# of that): about 20 s of 24 kHz PCM, ample to ride out a slow consumer. Beyond it the socket is
# left unread (TCP back-pressure); a single frame larger than this is taken when nothing waits.
READ_AHEAD_BYTES: Final = 1024 * 1024
# The body of a refused handshake read for the error code it names (the service's are ~200 bytes).
MAX_REFUSAL_BYTES: Final = 16 * 1024
# Frames a session may bring per second of its audio budget. A real service sends about ten (0.1 s
# deltas) plus ten per response; tiny deltas as fast as the socket goes stay under the audio
# budget while holding the client's CPU for many seconds (a million 2-byte deltas for 48 s of
# audio), so beyond this many the session ends.
MAX_FRAMES_PER_AUDIO_SECOND: Final = 100
