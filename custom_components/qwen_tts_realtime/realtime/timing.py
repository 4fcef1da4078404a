"""Every bound the client puts on what the service controls, and the timers that enforce them.

Bounds on time, bytes and frames are each stated here once, with why they have their value.
Only progress that matters restarts a timer: `session.updated` ends the wait for acceptance, and
only audio restarts the audio timers, which start once the input is complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .catalog import Format
from .errors import (
    AudioLimitError,
    ConnectionClosedError,
    RealtimeError,
    ResponseTimeoutError,
    TimeoutStage,
)
from .session_config import BIT_RATE_RANGE

# Real audio deltas are a few kB; a frame this large is an attack or a bug, never speech.
MAX_FRAME_BYTES: Final = 4 * 1024 * 1024
# Seconds a close waits for the service's close frame: one that stops reading is dropped after it.
CLOSE_TIMEOUT: Final = 1.0
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


class SessionDeadlines:
    """Deadlines in loop time, and the seconds spent waiting since the input was complete.

    Waiting is counted since the last audio (`_gap`) and since the first (`_starved`), against
    the seconds of audio heard: audio must keep up with how long it plays.
    """

    def __init__(self, timeouts: Timeouts) -> None:
        self._timeouts = timeouts
        self._accept_by: float | None = None
        self._end_by: float | None = None
        self._input_done_at: float | None = None
        self._got_audio = False
        self._anchored = False
        self._gap = self._starved = self._heard = 0.0

    def session_update_sent(self, now: float) -> None:
        """Expect `session.updated` within the connect timeout."""
        self._accept_by = now + self._timeouts.connect

    def input_done(self, now: float) -> None:
        """Start the audio timers: from now on the service owes us audio."""
        self._input_done_at = now

    def end_by(self, deadline: float) -> None:
        """Fail the session with a `synthesize` timeout unless it ends by `deadline`."""
        self._end_by = deadline

    def heard_audio(self, seconds: float) -> None:
        """Count audio that arrived, holding at most `seconds` of sound."""
        self._got_audio = True
        if self._input_done_at is not None:
            self._anchored = True
            self._heard += seconds
            self._gap = 0.0

    def waited(self, start: float, end: float) -> None:
        """Count a wait for frames from loop time `start` to `end`."""
        if self._input_done_at is not None:
            waited = end - max(start, self._input_done_at)
            self._gap += waited
            if self._anchored:
                self._starved += waited

    def nearest(
        self, now: float, *, session_accepted: bool
    ) -> tuple[float | None, RealtimeError | None]:
        """Return the nearest deadline and the error it raises; (None, None) when there is none."""
        timeouts = self._timeouts
        options: list[tuple[float, RealtimeError]] = []
        if self._accept_by is not None and not session_accepted:
            closed = ConnectionClosedError("no session.updated in time", session_accepted=False)
            options.append((self._accept_by, closed))
        if self._end_by is not None:
            expired = ResponseTimeoutError(TimeoutStage.SYNTHESIZE, timeouts.synthesize)
            options.append((self._end_by, expired))
        if self._input_done_at is not None:
            if not self._got_audio:
                limit, stage = timeouts.first_audio, TimeoutStage.FIRST_AUDIO
                left = limit - self._gap
            else:
                limit, stage = timeouts.audio, TimeoutStage.AUDIO
                left = limit - self._gap
                if self._anchored:  # audio must keep up with how long it plays
                    left = min(left, limit + self._heard - self._starved)
            options.append((now + left, ResponseTimeoutError(stage, limit)))
        if not options:
            return None, None
        return min(options, key=lambda option: option[0])


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


# Finding the regions that take a key: they are asked in parallel, at most this many sockets at
# once, and each answer (handshake and `session.updated`) must come within this many seconds. Three
# round trips across the planet take about a second; a region slower than this is no candidate.
PROBES_AT_ONCE: Final = 4
PROBE_TIMEOUT: Final = 5.0

# --- What the service reports of usage, and what the customisation API lists --------------------
# Characters one utterance is counted, relative to its text by the vendor's rule (which is what
# the service bills): twice that leaves room for a count this client does not know; a report
# beyond it is a misreport, counted at this bound instead (and shown in diagnostics).
MAX_BILLED_PER_CHARACTER: Final = 2
# Every usage count kept (characters, utterances) and the cost stay at most this: the largest
# integer a float holds exactly, so JSON, Home Assistant's states and the frontend hold it as is.
MAX_USAGE_COUNT: Final = 2**53 - 1
# The longest voice id (or model name) taken from the customisation API: the vendor's ids are at
# most 57 characters ("qwen-tts-vc-", a name of up to 16, "-voice-", 17 digits, "-", 4 hex).
MAX_VOICE_ID_CHARS: Final = 128
# Custom voices kept from one listing, whatever the service pages: an account holds at most 1000.
MAX_LISTED_VOICES: Final = 1000
# An answer of the customisation API: a preview as long as the longest preview text at 24 kHz
# WAV, base64, fits with room to spare.
MAX_RESPONSE_BYTES: Final = 32 * 1024 * 1024
# Seconds for one request to the customisation API: a design synthesizes its preview before
# answering.
REQUEST_TIMEOUT: Final = 90.0


# Text the formatting filter (speakable.py) may hold back from a streamed answer while it decides
# whether a marker is markup. The markup it waits for is short (a list marker, `https://`, a
# citation, an HTML tag, a table's separator row); whatever is still undecided after this many
# characters is decided from them, so a stray marker never stalls speech for long.
MAX_HELD_CHARS: Final = 64


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
