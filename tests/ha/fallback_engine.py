"""A second text-to-speech engine in the test Home Assistant: the fallback voice of the tests.

Shared by the tests and the benchmarks. It speaks like the emulator (one tone per character,
`render_pcm`) but in a voice of its own, reads its text as it arrives and answers each piece at
once, as a streaming engine (Wyoming's Piper, for one) does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any, Literal

from homeassistant.components import tts
from homeassistant.components.tts.const import DATA_COMPONENT
from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component

from custom_components.qwen_tts_realtime.realtime.audio import wav_header
from qwen_tts_emulator import render_pcm

BACKUP_ID = "tts.backup"
BACKUP_VOICE = "Ethan"  # a voice of the emulator's renderer that the profile does not use
BACKUP_RATE = 22050  # what it speaks at when it takes no preferred rate (Piper's rate)
PREFERRED = [
    tts.ATTR_PREFERRED_FORMAT,
    tts.ATTR_PREFERRED_SAMPLE_RATE,
    tts.ATTR_PREFERRED_SAMPLE_CHANNELS,
    tts.ATTR_PREFERRED_SAMPLE_BYTES,
]

type Failure = Literal["before_audio", "after_header", "at_the_end"]


@dataclass(slots=True)
class BackupRequest:
    """What one request asked of the engine, and the text it read."""

    language: str
    options: dict[str, Any]
    text: list[str] = field(default_factory=list)
    text_ended: bool = False


def backup_pcm(text: str, sample_rate: int) -> bytes:
    """Return what the backup engine says for `text`."""
    return render_pcm(text, voice=BACKUP_VOICE, sample_rate=sample_rate)


class BackupEngine(tts.TextToSpeechEntity):
    """Speaks every piece of text as it arrives, as a streaming WAV.

    With `follows_rate` it speaks at the preferred sample rate it is given (and says it takes
    the preferred options); otherwise at `BACKUP_RATE`, and Home Assistant converts. `fail`
    makes it raise before its first audio, after its WAV header alone, or after all its audio
    but before it ends; `gate`, while not set, holds its audio back (a slow engine).
    """

    _attr_has_entity_name = False
    _attr_name = "Backup"
    _attr_unique_id = "backup"
    _attr_default_language = "en"

    def __init__(self, *, follows_rate: bool = True) -> None:
        self._attr_supported_languages = ["en", "de"]
        self._follows_rate = follows_rate
        self._attr_supported_options = PREFERRED if follows_rate else []
        self.requests: list[BackupRequest] = []
        self.fail: Failure | None = None
        self.gate: asyncio.Event | None = None

    async def async_stream_tts_audio(self, request: TTSAudioRequest) -> tts.TTSAudioResponse:
        record = BackupRequest(request.language, dict(request.options))
        self.requests.append(record)
        rate = BACKUP_RATE
        if self._follows_rate:
            rate = int(request.options.get(tts.ATTR_PREFERRED_SAMPLE_RATE) or BACKUP_RATE)

        async def audio() -> AsyncGenerator[bytes]:
            if self.gate is not None:
                await self.gate.wait()
            if self.fail == "before_audio":
                raise HomeAssistantError("the backup engine broke")
            yield wav_header(rate)
            if self.fail == "after_header":
                raise HomeAssistantError("the backup engine broke")
            async for piece in request.message_gen:
                record.text.append(piece)
                yield backup_pcm(piece, rate)
            record.text_ended = True
            if self.fail == "at_the_end":
                raise HomeAssistantError("the backup engine broke")

        return tts.TTSAudioResponse("wav", audio())


async def add_backup_engine(hass: HomeAssistant, *, follows_rate: bool = True) -> BackupEngine:
    """Add the backup engine to Home Assistant's TTS entities as `tts.backup`."""
    assert await async_setup_component(hass, "tts", {})
    engine = BackupEngine(follows_rate=follows_rate)
    await hass.data[DATA_COMPONENT].async_add_entities([engine])
    assert engine.entity_id == BACKUP_ID
    return engine
