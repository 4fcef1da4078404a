"""Async client for Alibaba Cloud Model Studio's Qwen-TTS Realtime WebSocket API.

Free of Home Assistant imports: it needs only aiohttp and yarl.
"""

from .catalog import (
    DEFAULT_MODEL,
    DEFAULT_VOICE,
    LANGUAGE_TYPES,
    MODELS,
    SELECTABLE_MODELS,
    VOICES,
    ModelInfo,
    VoiceInfo,
    language_type,
    model_info,
    voices_for,
)
from .client import RealtimeClient
from .endpoints import REGION_ENDPOINTS, Region, endpoint_for, is_loopback, normalize_endpoint
from .errors import (
    AccountError,
    AudioLimitError,
    AuthenticationError,
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
)
from .limits import Timeouts
from .session_config import Mode, SessionConfig
from .wav import wav_bytes, wav_header, wav_stream

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_VOICE",
    "LANGUAGE_TYPES",
    "MODELS",
    "REGION_ENDPOINTS",
    "SELECTABLE_MODELS",
    "VOICES",
    "AccountError",
    "AudioLimitError",
    "AuthenticationError",
    "ConnectError",
    "ConnectReason",
    "ConnectionClosedError",
    "EmptyTextError",
    "IncompleteAudioError",
    "InvalidEndpointError",
    "InvalidOptionError",
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
    "Timeouts",
    "VoiceInfo",
    "endpoint_for",
    "is_loopback",
    "language_type",
    "model_info",
    "normalize_endpoint",
    "voices_for",
    "wav_bytes",
    "wav_header",
    "wav_stream",
]
