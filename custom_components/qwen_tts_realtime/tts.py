"""Text-to-speech entities: one per voice profile."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any, override

from homeassistant.components.tts import (
    TextToSpeechEntity,
    TTSAudioResponse,
    TtsAudioType,
    Voice,
)
from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import CONF_LANGUAGE
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import QwenTTSConfigEntry
from .const import CONF_MODEL, CONF_VOICE, DOMAIN, SUBENTRY_TTS
from .errors import raise_empty_message, raise_no_audio, translate_error
from .profile import CALL_OPTIONS, PREFERRED_OPTIONS, default_options, session_config
from .realtime import (
    AuthenticationError,
    RealtimeError,
    SessionConfig,
    kind_of_model,
    model_info,
    voices_for,
    wav_bytes,
)
from .realtime.text_feed import clean_text
from .realtime.wav import WAV_HEADER_SIZE, wav_stream
from .voice_library import VoiceLibrary, custom_voices, voice_library

PARALLEL_UPDATES = 0
# Regional variants are listed so that pipelines in e.g. zh-HK or en-GB find the engine.
_REGIONAL = {"zh": ("zh-CN", "zh-HK", "zh-TW"), "en": ("en-US", "en-GB"), "pt": ("pt-BR",)}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: QwenTTSConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one entity per voice profile."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type == SUBENTRY_TTS:
            async_add_entities(
                [QwenTTSEntity(entry, subentry)], config_subentry_id=subentry.subentry_id
            )


class QwenTTSEntity(TextToSpeechEntity):
    """Speaks with one voice profile; streams text in and audio out."""

    # Named after its profile, like core's subentry TTS engines (openai_conversation): the TTS
    # manager refuses an engine whose name is None, and "tts.<profile>" is the id users expect.
    _attr_has_entity_name = False
    _attr_translation_key = "voice_profile"  # its icon

    def __init__(self, entry: QwenTTSConfigEntry, subentry: ConfigSubentry) -> None:
        """Set the entity up from its profile."""
        self._entry = entry
        self._model = model_info(subentry.data[CONF_MODEL])
        self._profile_voice: str = subentry.data[CONF_VOICE]
        self._attr_unique_id = subentry.subentry_id
        self._attr_name = subentry.title
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, subentry.subentry_id)},
            name=subentry.title,
            manufacturer="Alibaba Cloud Model Studio",
            model=self._model.name,
            entry_type=DeviceEntryType.SERVICE,
        )
        self._attr_supported_languages = [
            code for base in self._model.languages for code in (base, *_REGIONAL.get(base, ()))
        ]
        language = subentry.data.get(CONF_LANGUAGE)
        self._attr_default_language = (
            language if language in self._attr_supported_languages else self._model.languages[0]
        )
        self._attr_supported_options = [*CALL_OPTIONS, *PREFERRED_OPTIONS]
        self._attr_default_options = default_options(subentry.data)

    @override
    async def async_added_to_hass(self) -> None:
        """Fetch the account's voices of a custom-voice model, for the voice pickers."""
        await super().async_added_to_hass()
        self._refresh_custom_voices()

    @callback
    @override
    def async_get_supported_voices(self, language: str) -> list[Voice] | None:
        """Return the voices of the profile's model, dialect voices under Chinese.

        A voice cloning or design model speaks the account's voices made for it: the profile's
        own voice first, then the others as last listed (refreshed in the background).
        """
        if self._model.custom_voices_only:
            self._refresh_custom_voices()
            return custom_voices(self._custom_library(), self._model.name, self._profile_voice)
        return [Voice(voice.voice_id, voice.label) for voice in voices_for(self._model, language)]

    def _custom_library(self) -> VoiceLibrary | None:
        try:
            return voice_library(self.hass, self._entry)
        except RealtimeError:  # a custom endpoint without a customisation API
            return None

    @callback
    def _refresh_custom_voices(self) -> None:
        kind = kind_of_model(self._model.name)
        if kind is not None and (library := self._custom_library()) is not None:
            library.async_refresh_if_stale(self.hass, kind)

    @override
    async def async_stream_tts_audio(self, request: TTSAudioRequest) -> TTSAudioResponse:
        """Stream text in as it arrives and audio out as soon as the first of it comes back."""
        config = self._config(request.language, request.options, encoded=True)
        audio = self._entry.runtime_data.stream(config, request.message_gen)
        extension = "mp3" if config.response_format == "mp3" else "wav"
        return TTSAudioResponse(extension, self._audio(config, audio))

    @override
    async def async_get_tts_audio(
        self, message: str, language: str, options: dict[str, Any]
    ) -> TtsAudioType:
        """Synthesize a whole message in one commit and return a complete WAV."""
        if not clean_text(message).strip():
            raise_empty_message()
        config = self._config(language, options, encoded=False)
        audio = self._entry.runtime_data.synthesize(config, message)
        wav = b"".join([chunk async for chunk in self._audio(config, audio)])
        return "wav", wav_bytes(wav[WAV_HEADER_SIZE:], config.sample_rate)

    def _config(self, language: str, options: dict[str, Any], *, encoded: bool) -> SessionConfig:
        config = session_config(language, options, encoded=encoded)
        try:
            config.validate(model_info(config.model))
        except RealtimeError as err:
            raise translate_error(err, model=config.model, voice=config.voice) from None
        return config

    async def _audio(
        self, config: SessionConfig, audio: AsyncGenerator[bytes]
    ) -> AsyncGenerator[bytes]:
        """Yield what Home Assistant receives: PCM as a streaming WAV, encoded audio as is.

        Client errors become translated ones (a refused key also starts reauthentication), and a
        session that ends without any audio is an error rather than an empty file in the cache.
        Closing this generator closes the socket at once.
        """
        produced = False
        async with aclosing(audio):
            output = (
                wav_stream(audio, config.sample_rate) if config.response_format == "pcm" else audio
            )
            async with aclosing(output):
                try:
                    async for chunk in output:
                        produced = True
                        yield chunk
                except RealtimeError as err:
                    if isinstance(err, AuthenticationError):
                        self._entry.async_start_reauth(self.hass)
                    raise translate_error(err, model=config.model, voice=config.voice) from None
        if not produced:
            raise_no_audio()
