"""The config entry's type and what it holds while loaded.

Kept apart from __init__ so that any module can name the entry type without importing upward.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from homeassistant.config_entries import ConfigEntry

from .fallback import FallbackStats
from .realtime import RealtimeClient
from .usage import UsageTracker
from .voice_library import VoiceLibrary


@dataclass(slots=True)
class QwenTTSData:
    """The entry's client (shared by its voice profiles), its usage and its custom voices.

    `voices` is None where the entry's endpoint gives no customisation API. `errors` counts
    failed utterances by client error type since the entry was set up; `fallback` the answers
    its profiles' fallback voices gave instead.
    """

    client: RealtimeClient
    usage: UsageTracker
    voices: VoiceLibrary | None
    errors: Counter[str] = field(default_factory=Counter)
    fallback: FallbackStats = field(default_factory=FallbackStats)


type QwenTTSConfigEntry = ConfigEntry[QwenTTSData]
