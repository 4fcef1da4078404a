"""The protocol's rules for `session.update`: what each model accepts, and the errors it gives."""

from __future__ import annotations

from collections.abc import Callable, Mapping
import math
from typing import Any, Final

from custom_components.qwen_tts_realtime.realtime.text import is_han

from .audio import ffmpeg_available
from .scenario import LANGUAGE_TYPES, TUNABLE_SETTINGS, ModelSpec

SECOND_UPDATE_MESSAGE: Final = (
    "Session update error: session already started or finished or failed."
)
_INSTRUCTION_TOKENS: Final = 1600  # the longest instructions the service accepts

type _Rule = tuple[str, Callable[[Any], bool], Callable[[Any], Any], str]


class UpdateError(Exception):
    """A `session.update` the service refuses: `param` names the field, as its error does."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


def _number_in(low: float, high: float) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int | float) and not isinstance(v, bool) and low <= v <= high


def _integer_in(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: _number_in(low, high)(v) and v == int(v)


def _instruction_tokens(text: str) -> int:
    han = sum(1 for c in text if is_han(c))
    return han + math.ceil((len(text) - han) / 4)


def _rules(spec: ModelSpec) -> list[_Rule]:
    """Return (field, check, normalize, expectation) for the settings `spec` accepts."""
    same: Callable[[Any], Any] = lambda v: v  # noqa: E731
    formats = [f for f in spec.formats if f in ("pcm", "wav") or ffmpeg_available()]
    rules: list[_Rule] = [
        ("mode", lambda v: v in ("server_commit", "commit"), same, "server_commit or commit"),
        (
            "language_type",
            lambda v: v in LANGUAGE_TYPES,
            same,
            "one of " + ", ".join(LANGUAGE_TYPES),
        ),
        ("response_format", lambda v: v in formats, same, "one of " + ", ".join(formats)),
        (
            "sample_rate",
            lambda v: _integer_in(0, 10**6)(v) and v in spec.sample_rates,
            int,
            "one of " + ", ".join(map(str, spec.sample_rates)),
        ),
    ]
    if spec.tunable:
        rules += [
            ("speech_rate", _number_in(0.5, 2.0), float, "a number from 0.5 to 2.0"),
            ("pitch_rate", _number_in(0.5, 2.0), float, "a number from 0.5 to 2.0"),
            ("volume", _integer_in(0, 100), int, "an integer from 0 to 100"),
            ("bit_rate", _integer_in(6, 510), int, "an integer from 6 to 510"),
        ]
    if spec.instructions:
        rules += [
            (
                "instructions",
                lambda v: isinstance(v, str) and _instruction_tokens(v) <= _INSTRUCTION_TOKENS,
                same,
                f"text of at most {_INSTRUCTION_TOKENS} tokens",
            ),
            ("optimize_instructions", lambda v: isinstance(v, bool), same, "a boolean"),
        ]
    return rules


def apply_update(
    model: str,
    spec: ModelSpec,
    current: dict[str, Any],
    session: Any,
    created: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Return `current` updated by a `session.update`'s session object, or raise UpdateError.

    Settings the model does not support (speech_rate... on qwen-tts-realtime, instructions on
    non-instruct models) and unknown fields are ignored, not rejected.
    """
    if not isinstance(session, dict):
        raise UpdateError("session", "Invalid value: session must be an object.")
    new = dict(current)
    if "voice" in session:
        voice = session["voice"]
        if not isinstance(voice, str) or not spec.accepts_voice(voice, model, created or {}):
            raise UpdateError(
                "session.voice", f"Voice {voice!r} is not supported by model {model}."
            )
        new["voice"] = voice
    if not spec.tunable:
        for name in TUNABLE_SETTINGS:
            new.pop(name, None)
    for name, check, normalize, expected in _rules(spec):
        if name in session:
            value = session[name]
            if not check(value):
                raise UpdateError(
                    f"session.{name}",
                    f"Invalid value for session.{name}: {value!r}; expected {expected}.",
                )
            new[name] = normalize(value)
    if new.get("optimize_instructions") and not new.get("instructions"):
        raise UpdateError(
            "session.optimize_instructions",
            "Invalid value for session.optimize_instructions: it needs instructions.",
        )
    return new
