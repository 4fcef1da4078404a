"""Turns a voice profile and per-call options into the realtime session settings."""

from __future__ import annotations

from collections.abc import Mapping
import contextlib
from typing import Any

from homeassistant.components.tts import (
    ATTR_PREFERRED_FORMAT,
    ATTR_PREFERRED_SAMPLE_BYTES,
    ATTR_PREFERRED_SAMPLE_CHANNELS,
    ATTR_PREFERRED_SAMPLE_RATE,
    ATTR_VOICE,
)

from .const import (
    CONF_CLEAN_FORMATTING,
    CONF_INSTRUCTIONS,
    CONF_MODEL,
    CONF_PITCH_RATE,
    CONF_SAMPLE_RATE,
    CONF_SPEECH_RATE,
    CONF_VOICE,
    CONF_VOLUME,
    DEFAULT_CLEAN_FORMATTING,
)
from .realtime import DEFAULT_SAMPLE_RATE, Format, ModelInfo, SessionConfig, language_type

# Home Assistant's name for the option (homeassistant.components.tts has the constant only from
# 2026.9; this integration supports 2026.3, and a caller on an older release never sends it).
ATTR_PREFERRED_BITRATE = "preferred_bitrate"
# Per-call options a user may give to tts.speak or an Assist pipeline.
CALL_OPTIONS = [ATTR_VOICE, CONF_SPEECH_RATE, CONF_VOLUME, CONF_PITCH_RATE, CONF_INSTRUCTIONS]
PROSODY_OPTIONS = (CONF_SPEECH_RATE, CONF_VOLUME, CONF_PITCH_RATE)
# Listed as supported so that Home Assistant hands them to the entity; it still converts with
# ffmpeg whenever the entity's output does not match them.
PREFERRED_OPTIONS = [
    ATTR_PREFERRED_FORMAT,
    ATTR_PREFERRED_SAMPLE_RATE,
    ATTR_PREFERRED_SAMPLE_CHANNELS,
    ATTR_PREFERRED_SAMPLE_BYTES,
    ATTR_PREFERRED_BITRATE,
]
_CONVERSION_OPTIONS = PREFERRED_OPTIONS[1:]
_HA_DEFAULT_FORMAT = "mp3"  # what Home Assistant produces when a caller names no format


def default_options(model: ModelInfo, profile: Mapping[str, Any]) -> dict[str, Any]:
    """Return every profile setting that changes the audio, so it is part of the cache key."""
    options: dict[str, Any] = {
        CONF_MODEL: model.name,
        ATTR_VOICE: profile[CONF_VOICE],
        CONF_SAMPLE_RATE: profile.get(CONF_SAMPLE_RATE, DEFAULT_SAMPLE_RATE),
        CONF_CLEAN_FORMATTING: cleans_formatting(profile),
    }
    if model.prosody:
        options.update({key: profile[key] for key in PROSODY_OPTIONS if key in profile})
    if model.instructions and profile.get(CONF_INSTRUCTIONS):
        options[CONF_INSTRUCTIONS] = profile[CONF_INSTRUCTIONS]
    return options


def cleans_formatting(options: Mapping[str, Any]) -> bool:
    """Return whether text is cleaned up before it is spoken (a profile without the key: yes)."""
    return bool(options.get(CONF_CLEAN_FORMATTING, DEFAULT_CLEAN_FORMATTING))


def utterance_config(
    model: ModelInfo, language: str, options: Mapping[str, Any], *, encoded: bool = True
) -> SessionConfig:
    """Build the session settings of one utterance of the profile's `model` from merged options.

    A `preferred_sample_rate` the model can produce (its undocumented rates too) is asked of the
    service directly, so Home Assistant never resamples. When the caller wants mp3 (Home
    Assistant's default) and nothing else that would make Home Assistant run ffmpeg anyway, the
    service encodes the mp3 itself: Home Assistant's ffmpeg step delays the first audio by
    hundreds of milliseconds.

    Options are only converted here; `SessionConfig.validate` checks them all, once.
    """
    sample_rate = _sample_rate(model, options)
    wants_mp3 = options.get(ATTR_PREFERRED_FORMAT, _HA_DEFAULT_FORMAT) == "mp3" and not any(
        options.get(key) is not None for key in _CONVERSION_OPTIONS
    )
    mp3 = encoded and wants_mp3 and Format.MP3 in model.formats
    # Whatever they hold: SessionConfig.validate refuses what is not text.
    voice: Any = options.get(ATTR_VOICE)
    instructions = options.get(CONF_INSTRUCTIONS)
    return SessionConfig(
        model=model,
        response_format=Format.MP3 if mp3 else Format.PCM,
        voice=voice,
        language_type=language_type(language),
        sample_rate=sample_rate,
        speech_rate=_number(options.get(CONF_SPEECH_RATE)),
        volume=_number(options.get(CONF_VOLUME)),
        pitch_rate=_number(options.get(CONF_PITCH_RATE)),
        instructions=None if instructions == "" else instructions,  # empty: none
    )


def _sample_rate(model: ModelInfo, options: Mapping[str, Any]) -> int:
    preferred = options.get(ATTR_PREFERRED_SAMPLE_RATE)
    if preferred is not None:
        try:
            if int(preferred) in model.accepted_sample_rates:
                return int(preferred)
        except TypeError, ValueError, OverflowError:
            pass
    configured = int(options.get(CONF_SAMPLE_RATE, DEFAULT_SAMPLE_RATE))
    return configured if configured in model.sample_rates else model.sample_rates[-1]


def _number(value: Any) -> Any:
    """Return a number given as text (YAML, a form) as a float; anything else as it is.

    `SessionConfig.validate` refuses what is still not a number.
    """
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return float(value)
    return value
