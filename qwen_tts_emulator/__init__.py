"""A local emulator of Alibaba Cloud Model Studio's Qwen-TTS Realtime WebSocket service."""

from custom_components.qwen_tts_realtime.realtime.text import billed_characters

from .audio import render_pcm
from .regions import VendorRegions
from .scenario import Fault, ModelSpec, Scenario, default_models
from .segments import split_segments
from .server import PATH, Emulator
from .session_records import ReceivedEvent, SessionRecord, default_config
from .voice_store import CannedReply, StoredVoice, VoiceRequest, VoiceStore
from .voices import CUSTOMIZATION_PATH

__all__ = [
    "CUSTOMIZATION_PATH",
    "PATH",
    "CannedReply",
    "Emulator",
    "Fault",
    "ModelSpec",
    "ReceivedEvent",
    "Scenario",
    "SessionRecord",
    "StoredVoice",
    "VendorRegions",
    "VoiceRequest",
    "VoiceStore",
    "billed_characters",
    "default_config",
    "default_models",
    "render_pcm",
    "split_segments",
]
