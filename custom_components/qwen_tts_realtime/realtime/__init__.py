"""Async client for Alibaba Cloud Model Studio's Qwen-TTS Realtime WebSocket API.

A layer of the integration, not a library: it holds what the integration (and its scripts,
benchmarks and emulator) use, and nothing else; it is not published, so no requirement or
version of its own. It is kept free of Home Assistant imports (it needs only aiohttp and yarl)
so that the protocol can be read, tested and benchmarked apart from Home Assistant's glue;
tests/client/test_independence.py enforces that. The names below are what the integration
imports; tests reach anything else through the submodules.
"""

from .catalog import (
    DEFAULT_MODEL,
    DEFAULT_VOICE,
    LANGUAGE_TYPES,
    MODELS,
    SELECTABLE_MODELS,
    Format,
    ModelInfo,
    VoiceInfo,
    language_type,
    model_info,
    voices_for,
)
from .client import RealtimeClient
from .endpoints import Region, endpoint_for, is_loopback, normalize_endpoint
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
    ProtocolError,
    RateLimitError,
    RealtimeError,
    ResponseTimeoutError,
    ServiceError,
    TimeoutStage,
    VoiceApiUnavailableError,
    VoiceNotFoundError,
    VoiceStorageFullError,
)
from .limits import (
    MAX_BILLED_PER_CHARACTER,
    MAX_USAGE_COUNT,
    SPARE_IDLE_TIMEOUT,
    KeepAlive,
    Timeouts,
)
from .session_config import Mode, SessionConfig
from .voices import (
    MAX_AUDIO_REQUEST_BYTES,
    ClonedVoice,
    CustomVoice,
    DesignedVoice,
    VoiceKind,
    VoicesClient,
    kind_of_model,
    kind_of_voice,
)
from .wav import wav_bytes, wav_header, wav_stream

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_VOICE",
    "LANGUAGE_TYPES",
    "MAX_AUDIO_REQUEST_BYTES",
    "MAX_BILLED_PER_CHARACTER",
    "MAX_USAGE_COUNT",
    "MODELS",
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
    "KeepAlive",
    "Mode",
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
    "Timeouts",
    "VoiceApiUnavailableError",
    "VoiceInfo",
    "VoiceKind",
    "VoiceNotFoundError",
    "VoiceStorageFullError",
    "VoicesClient",
    "endpoint_for",
    "is_loopback",
    "kind_of_model",
    "kind_of_voice",
    "language_type",
    "model_info",
    "normalize_endpoint",
    "voices_for",
    "wav_bytes",
    "wav_header",
    "wav_stream",
]
