"""The timers of one session: which deadline comes next, and which error it raises.

Only progress that matters restarts a timer: `session.updated` ends the wait for acceptance, and
only audio restarts the audio timers, which start once the input is complete.
"""

from __future__ import annotations

from .errors import ConnectionClosedError, RealtimeError, ResponseTimeoutError, TimeoutStage
from .timing import Timeouts


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
