"""Constants of the Qwen TTS Realtime integration."""

from __future__ import annotations

from enum import StrEnum
import logging
from typing import Final

DOMAIN: Final = "qwen_tts_realtime"
LOGGER: Final = logging.getLogger(__package__)
# The version of the entries the config flow writes; async_migrate_entry brings older ones up.
ENTRY_VERSION: Final = 1
ENTRY_MINOR_VERSION: Final = 2

CONF_REGION: Final = "region"
CONF_ENDPOINT: Final = "endpoint"
CONF_WORKSPACE: Final = "workspace"
CONF_MODEL: Final = "model"
CONF_VOICE: Final = "voice"
CONF_SPEECH_RATE: Final = "speech_rate"
CONF_VOLUME: Final = "volume"
CONF_PITCH_RATE: Final = "pitch_rate"
CONF_SAMPLE_RATE: Final = "sample_rate"
CONF_INSTRUCTIONS: Final = "instructions"
# Whether an answer's markdown, links and emoji are cleaned up before it is spoken.
CONF_CLEAN_FORMATTING: Final = "clean_formatting"
DEFAULT_CLEAN_FORMATTING: Final = True
# Another TTS entity that answers when the service cannot (a voice profile's, optional).
CONF_FALLBACK: Final = "fallback"
# Entry options.
CONF_PRICE: Final = "price_per_10k_characters"
CONF_KEEP_WARM: Final = "keep_warm"


class KeepWarm(StrEnum):
    """When a spare connection waits for the next utterance (the keep-warm option)."""

    OFF = "off"  # never: each utterance shakes hands
    WAKE = "wake"  # after setup and each utterance for a minute, and when a satellite wakes
    ALWAYS = "always"  # all the time, pinged and reopened when the service closes it


DEFAULT_KEEP_WARM: Final = KeepWarm.WAKE

SUBENTRY_TTS: Final = "tts"
DEFAULT_PROFILE_NAME: Final = "Qwen TTS"
# The vendor's documentation site serves each page in English and Chinese under its own path
# segment. A flow's placeholders are one set for every language its viewers read it in, so a form
# gives each page in both, and each translation links its own: `{<name>}` in English,
# `{<name>_zh}` in Chinese.
_DOCS: Final = "https://www.alibabacloud.com/help/{language}/model-studio/{page}"


def _docs_links(name: str, page: str) -> dict[str, str]:
    return {
        f"{name}{suffix}": _DOCS.format(language=language, page=page)
        for language, suffix in (("en", ""), ("zh", "_zh"))
    }


# The vendor's help on API keys (the guide links its English version).
API_KEY_LINKS: Final = _docs_links("api_key_url", "get-api-key")
# Where an account's balance, model activation and quotas are managed.
API_CONSOLE_URL: Final = "https://modelstudio.console.alibabacloud.com/"
# The vendor's price list (synthesis and creating voices); prices change, so none is written here.
PRICING_LINKS: Final = _docs_links("pricing_url", "model-pricing")
# The vendor quotes prices per this many billed characters.
PRICE_UNIT_CHARACTERS: Final = 10_000
