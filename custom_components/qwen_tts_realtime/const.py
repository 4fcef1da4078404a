"""Constants of the Qwen TTS Realtime integration."""

from __future__ import annotations

import logging
from typing import Final

from .realtime import Timeouts

DOMAIN: Final = "qwen_tts_realtime"
LOGGER: Final = logging.getLogger(__package__)

CONF_REGION: Final = "region"
CONF_ENDPOINT: Final = "endpoint"
CONF_MODEL: Final = "model"
CONF_VOICE: Final = "voice"
CONF_SPEECH_RATE: Final = "speech_rate"
CONF_VOLUME: Final = "volume"
CONF_PITCH_RATE: Final = "pitch_rate"
CONF_SAMPLE_RATE: Final = "sample_rate"
CONF_INSTRUCTIONS: Final = "instructions"

SUBENTRY_TTS: Final = "tts"
DEFAULT_PROFILE_NAME: Final = "Qwen TTS"
DEFAULT_SAMPLE_RATE: Final = 24000
DEFAULT_SPEECH_RATE: Final = 1.0
DEFAULT_VOLUME: Final = 50
DEFAULT_PITCH_RATE: Final = 1.0
API_KEY_URL: Final = "https://www.alibabacloud.com/help/en/model-studio/get-api-key"
# The vendor's price list: creating a voice is billed, at a price shown there, never here.
VOICE_PRICING_URL: Final = "https://www.alibabacloud.com/help/en/model-studio/model-pricing"
# Seconds to wait for the handshake, for the first audio once all text is sent, and between chunks.
TIMEOUTS: Final = Timeouts(connect=10.0, first_audio=15.0, audio=10.0)
# Seconds an idle spare connection is kept after the last utterance; 0 keeps none.
SPARE_IDLE_TIMEOUT: Final = 60.0
