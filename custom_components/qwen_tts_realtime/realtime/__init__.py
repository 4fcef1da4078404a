"""Async client for Alibaba Cloud Model Studio's Qwen-TTS Realtime WebSocket API.

A layer of the integration, not a library: it holds what the integration (and its scripts,
benchmarks and emulator) use, and nothing else; it is not published, so no requirement or
version of its own. It is kept free of Home Assistant imports (it needs only aiohttp and yarl)
so that the protocol can be read, tested and benchmarked apart from Home Assistant's glue;
tests/client/test_independence.py enforces that.

The names below are exactly those the Home Assistant layer uses, and it takes realtime names
from here only. Tests, the emulator, benchmarks and scripts reach anything else through the
submodules.
"""

from .audio import wav_bytes, wav_stream
from .catalog import (
    ALL_LANGUAGES,
    DEFAULT_MODEL,
    DEFAULT_VOICE,
    SELECTABLE_MODELS,
    Format,
    ModelInfo,
    VoiceInfo,
    language_type,
    model_info,
    voices_for,
)
from .client import RealtimeClient
from .endpoints import Region, endpoint_for, other_region, vendor_region
from .errors import (
    AccountError,
    AudioLimitError,
    AuthenticationError,
    BadAudioError,
    ConnectError,
    ConnectionClosedError,
    ConnectReason,
    EmptyTextError,
    IncompleteAudioError,
    InvalidEndpointError,
    InvalidOptionError,
    InvalidWorkspaceError,
    ProtocolError,
    RateLimitError,
    RealtimeError,
    ResponseTimeoutError,
    ServiceError,
    TimeoutStage,
    VoiceApiResponseError,
    VoiceApiUnavailableError,
    VoiceNotFoundError,
    VoiceServiceError,
    VoiceStorageFullError,
)
from .session_config import (
    DEFAULT_PITCH_RATE,
    DEFAULT_SAMPLE_RATE,
    DEFAULT_SPEECH_RATE,
    DEFAULT_VOLUME,
    MAX_INSTRUCTIONS_CHARS,
    SessionConfig,
    is_number,
)
from .speakable import speakable_chunks, speakable_text
from .text import billed_characters, clean_text
from .timing import MAX_BILLED_PER_CHARACTER, MAX_USAGE_COUNT, SPARE_IDLE_TIMEOUT
from .voices import (
    MAX_AUDIO_REQUEST_BYTES,
    MAX_DESCRIPTION_CHARS,
    MAX_PREVIEW_TEXT_CHARS,
    NAME_PATTERN,
    ClonedVoice,
    CustomVoice,
    DesignedVoice,
    VoiceKind,
    VoicesClient,
    kind_of_model,
    kind_of_voice,
)

__all__ = [
    "ALL_LANGUAGES",
    "DEFAULT_MODEL",
    "DEFAULT_PITCH_RATE",
    "DEFAULT_SAMPLE_RATE",
    "DEFAULT_SPEECH_RATE",
    "DEFAULT_VOICE",
    "DEFAULT_VOLUME",
    "MAX_AUDIO_REQUEST_BYTES",
    "MAX_BILLED_PER_CHARACTER",
    "MAX_DESCRIPTION_CHARS",
    "MAX_INSTRUCTIONS_CHARS",
    "MAX_PREVIEW_TEXT_CHARS",
    "MAX_USAGE_COUNT",
    "NAME_PATTERN",
    "SELECTABLE_MODELS",
    "SPARE_IDLE_TIMEOUT",
    "AccountError",
    "AudioLimitError",
    "AuthenticationError",
    "BadAudioError",
    "ClonedVoice",
    "ConnectError",
    "ConnectReason",
    "ConnectionClosedError",
    "CustomVoice",
    "DesignedVoice",
    "EmptyTextError",
    "Format",
    "IncompleteAudioError",
    "InvalidEndpointError",
    "InvalidOptionError",
    "InvalidWorkspaceError",
    "ModelInfo",
    "ProtocolError",
    "RateLimitError",
    "RealtimeClient",
    "RealtimeError",
    "Region",
    "ResponseTimeoutError",
    "ServiceError",
    "SessionConfig",
    "TimeoutStage",
    "VoiceApiResponseError",
    "VoiceApiUnavailableError",
    "VoiceInfo",
    "VoiceKind",
    "VoiceNotFoundError",
    "VoiceServiceError",
    "VoiceStorageFullError",
    "VoicesClient",
    "billed_characters",
    "clean_text",
    "endpoint_for",
    "is_number",
    "kind_of_model",
    "kind_of_voice",
    "language_type",
    "model_info",
    "other_region",
    "speakable_chunks",
    "speakable_text",
    "vendor_region",
    "voices_for",
    "wav_bytes",
    "wav_stream",
]
