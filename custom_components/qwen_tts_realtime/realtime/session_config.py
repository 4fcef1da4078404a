"""Session settings, validated against the protocol's ranges before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
import math
from typing import Any, Final

from .catalog import AUTO_LANGUAGE_TYPE, LANGUAGE_TYPES, Format, ModelInfo
from .errors import InvalidOptionError

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
        """Raise `InvalidOptionError` for any value the protocol or the model rejects."""
        model = self.model
        for name in ("voice", "instructions"):
            value = getattr(self, name)
            if value is not None and not _is_sendable_text(value):
                raise InvalidOptionError(name, "…", "not text that can be sent")
        if not self.voice.strip():
            raise InvalidOptionError("voice", self.voice, "empty")
        if self.language_type not in (*LANGUAGE_TYPES.values(), AUTO_LANGUAGE_TYPE):
            raise InvalidOptionError("language_type", self.language_type, "unknown language")
        if self.response_format not in model.formats:
            raise InvalidOptionError(
                "response_format", self.response_format, "not supported", supported=False
            )
        if self.sample_rate not in model.sample_rates:
            raise InvalidOptionError(
                "sample_rate", self.sample_rate, f"one of {model.sample_rates}", supported=False
            )
        _check_range("speech_rate", self.speech_rate, SPEECH_RATE_RANGE, model.prosody)
        _check_range("pitch_rate", self.pitch_rate, PITCH_RATE_RANGE, model.prosody)
        _check_range("volume", self.volume, VOLUME_RANGE, model.prosody, integer=True)
        if self.instructions is not None:
            if not model.instructions:
                raise InvalidOptionError(
                    "instructions", "…", "the model takes no instructions", supported=False
                )
            if len(self.instructions) > MAX_INSTRUCTIONS_CHARS:
                raise InvalidOptionError(
                    "instructions", "…", f"longer than {MAX_INSTRUCTIONS_CHARS} characters"
                )

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
            for key in ("speech_rate", "volume", "pitch_rate"):
                if (value := getattr(self, key)) is not None:
                    session[key] = value
        if model.instructions and self.instructions:
            session["instructions"] = self.instructions
        return session


def _is_sendable_text(value: object) -> bool:
    """Return True for a string JSON can carry as UTF-8 (no lone surrogates)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _check_range(
    name: str,
    value: float | None,
    bounds: tuple[float, float],
    supported: bool,
    *,
    integer: bool = False,
) -> None:
    if value is None:
        return
    if not supported:
        raise InvalidOptionError(name, value, "not supported by this model", supported=False)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or (integer and value != int(value))
    ):
        raise InvalidOptionError(name, value, "an integer" if integer else "a number")
    low, high = bounds
    if not low <= value <= high:
        raise InvalidOptionError(
            name, value, f"must be between {low:g} and {high:g}", bounds=bounds
        )
