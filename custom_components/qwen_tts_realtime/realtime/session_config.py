"""Session settings, validated once (types, then ranges and the model) before anything is sent.

`is_number` is the one check that a value read from options or the service's JSON is a number.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
import math
from typing import Any, Final, TypeGuard

from .catalog import AUTO_LANGUAGE_TYPE, LANGUAGE_TYPES, Format, ModelInfo
from .errors import InvalidOptionError
from .text import is_sendable

SPEECH_RATE_RANGE: Final = (0.5, 2.0)
PITCH_RATE_RANGE: Final = (0.5, 2.0)
VOLUME_RANGE: Final = (0, 100)
BIT_RATE_RANGE: Final = (6, 510)  # kbit/s of mp3/opus; left to the service, bounds its audio
MAX_INSTRUCTIONS_CHARS: Final = 1600  # the service counts tokens; a character bound is stricter
# The service's defaults, which a field left at None keeps; the profile form starts from them.
DEFAULT_SAMPLE_RATE: Final = 24000
DEFAULT_SPEECH_RATE: Final = 1.0
DEFAULT_VOLUME: Final = 50
DEFAULT_PITCH_RATE: Final = 1.0
# The prosody fields: their bounds, and the type the protocol takes.
_PROSODY: Final[dict[str, tuple[tuple[float, float], type[float]]]] = {
    "speech_rate": (SPEECH_RATE_RANGE, float),
    "volume": (VOLUME_RANGE, int),
    "pitch_rate": (PITCH_RATE_RANGE, float),
}


class Mode(StrEnum):
    """How text becomes responses."""

    SERVER_COMMIT = "server_commit"  # the server segments streaming text itself
    COMMIT = "commit"  # nothing is synthesized until the client commits


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """The `session.update` of one utterance (its model goes in the URL).

    `None` leaves the service default in place.
    """

    model: ModelInfo
    voice: str
    mode: Mode = Mode.COMMIT
    language_type: str = AUTO_LANGUAGE_TYPE
    response_format: Format = Format.PCM
    sample_rate: int = DEFAULT_SAMPLE_RATE
    speech_rate: float | None = None
    volume: int | None = None
    pitch_rate: float | None = None
    instructions: str | None = None

    def with_mode(self, mode: Mode) -> SessionConfig:
        """Return a copy in another mode."""
        return replace(self, mode=mode)

    def validate(self) -> None:
        """Raise `InvalidOptionError` for any value the protocol or the model rejects.

        This is the one check of every option: callers only convert types (a number given as
        text). Types come first, so that a value of the wrong type is reported as such.
        """
        self._check_types()
        model = self.model
        if not self.voice.strip():
            raise InvalidOptionError("voice", self.voice, "empty")
        if self.language_type not in (*LANGUAGE_TYPES.values(), AUTO_LANGUAGE_TYPE):
            raise InvalidOptionError("language_type", self.language_type, "unknown language")
        if self.response_format not in model.formats:
            raise InvalidOptionError(
                "response_format", self.response_format, "not supported", supported=False
            )
        if self.sample_rate not in model.accepted_sample_rates:
            raise InvalidOptionError(
                "sample_rate",
                self.sample_rate,
                f"one of {model.accepted_sample_rates}",
                supported=False,
            )
        for name, (bounds, _) in _PROSODY.items():
            if (value := getattr(self, name)) is None:
                continue
            if not model.prosody:
                raise InvalidOptionError(
                    name, value, "not supported by this model", supported=False
                )
            low, high = bounds
            if not low <= value <= high:
                raise InvalidOptionError(
                    name, value, f"must be between {low:g} and {high:g}", bounds=bounds
                )
        if self.instructions is not None:
            if not model.instructions:
                raise InvalidOptionError(
                    "instructions", "…", "the model takes no instructions", supported=False
                )
            if len(self.instructions) > MAX_INSTRUCTIONS_CHARS:
                raise InvalidOptionError(
                    "instructions", "…", f"longer than {MAX_INSTRUCTIONS_CHARS} characters"
                )

    def _check_types(self) -> None:
        """Raise `InvalidOptionError` for text that cannot be sent, or a number that is not one."""
        for name in ("voice", "instructions"):
            value = getattr(self, name)
            if not is_sendable(value) and (value is not None or name == "voice"):
                # The value is not echoed: it may be anything, and is not fit for a message.
                raise InvalidOptionError(name, "…", "not text that can be sent", expected="text")
        for name, (_, kind) in _PROSODY.items():
            value = getattr(self, name)
            if value is not None and not _is_finite(value, kind):
                reason = "an integer" if kind is int else "a number"
                raise InvalidOptionError(name, value, reason, expected="number")

    def to_session(self) -> dict[str, Any]:
        """Return the `session` object of `session.update`, without fields the model lacks."""
        model = self.model
        session: dict[str, Any] = {
            "voice": self.voice,
            "mode": self.mode.value,
            "language_type": self.language_type,
            "response_format": self.response_format,
            "sample_rate": self.sample_rate,
        }
        if model.prosody:
            for key, (_, kind) in _PROSODY.items():
                if (value := getattr(self, key)) is not None:
                    session[key] = kind(value)  # the protocol's type: 50.0 goes as 50
        if model.instructions and self.instructions:
            session["instructions"] = self.instructions
        return session


def is_number[T: (int, float)](value: object, kind: type[T]) -> TypeGuard[T]:
    """Return True for a number of `kind` (an int is a float too); never for a bool.

    A bool is an int to Python, yet JSON's `true` is no number: every value read from options or
    from the service's JSON is checked here.
    """
    return not isinstance(value, bool) and isinstance(value, int if kind is int else int | float)


def _is_finite(value: object, kind: type[float]) -> bool:
    """Return True for a finite number of `kind`; an integral float counts as an int."""
    if not is_number(value, float):
        return False
    if isinstance(value, int):
        return True  # math.isfinite cannot take an int too large for a float
    return math.isfinite(value) and (kind is float or value.is_integer())
