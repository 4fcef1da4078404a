"""Text-to-speech entities: one per voice profile."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any, Literal, override

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
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_FALLBACK, CONF_MODEL, CONF_VOICE, SUBENTRY_TTS
from .devices import profile_device
from .errors import raise_no_audio, translate_error
from .fallback import UtteranceFallback
from .profile import CALL_OPTIONS, PREFERRED_OPTIONS, default_options, utterance_config
from .realtime import (
    AccountError,
    AuthenticationError,
    Format,
    RealtimeError,
    SessionConfig,
    VoiceInfo,
    kind_of_model,
    model_info,
    voices_for,
    wav_bytes,
)
from .realtime.wav import wav_stream
from .repairs import async_clear_account_error, async_report_account_error
from .types import QwenTTSConfigEntry
from .usage import UtteranceUsage
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
        self._fallback_engine: str | None = subentry.data.get(CONF_FALLBACK)
        self._profile_id = subentry.subentry_id
        self._attr_unique_id = subentry.subentry_id
        self._attr_name = subentry.title
        self._attr_device_info = profile_device(subentry)
        self._attr_supported_languages = [
            code for base in self._model.languages for code in (base, *_REGIONAL.get(base, ()))
        ]
        language = subentry.data.get(CONF_LANGUAGE)
        self._attr_default_language = (
            language if language in self._attr_supported_languages else self._model.languages[0]
        )
        self._attr_supported_options = [*CALL_OPTIONS, *PREFERRED_OPTIONS]
        self._attr_default_options = default_options(self._model, subentry.data)

    @override
    async def async_added_to_hass(self) -> None:
        """Fetch the account's voices of a custom-voice model, for the voice pickers."""
        await super().async_added_to_hass()
        self._refresh_custom_voices()

    @callback
    @override
    def async_get_supported_voices(self, language: str) -> list[Voice] | None:
        """Return the profile's own voice first, then the model's other voices.

        Every system voice speaks all of the model's languages, so the list does not depend on
        the language beyond it being one the model speaks. Labels follow Home Assistant's language.
        A voice cloning or design model speaks the account's voices made for it, as last listed
        (refreshed in the background).
        """
        if self._model.custom_voices_only:
            self._refresh_custom_voices()
            return custom_voices(self._custom_library(), self._model.name, self._profile_voice)
        voices = voices_for(self._model, language)
        if not voices:
            return []
        own = next(
            (voice for voice in voices if voice.voice_id == self._profile_voice),
            VoiceInfo(self._profile_voice),
        )
        ui_language = self.hass.config.language
        return [
            Voice(voice.voice_id, voice.label(ui_language))
            for voice in (own, *(voice for voice in voices if voice is not own))
        ]

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
        config = utterance_config(self._model, request.language, request.options, encoded=True)
        usage = UtteranceUsage()
        fallback = self._fallback(request.language, request.options)
        text = request.message_gen if fallback is None else fallback.tap(request.message_gen)
        try:
            audio = self._entry.runtime_data.client.stream(
                config, usage.follow(text), on_usage=usage.on_usage
            )
        except RealtimeError as err:
            raise self._failed(err, config) from None
        extension: Literal["mp3", "wav"] = "mp3" if config.response_format is Format.MP3 else "wav"
        chunks = self._audio(config, audio, usage)
        if fallback is not None:
            chunks = fallback.answer(chunks, extension, config.sample_rate)
        return TTSAudioResponse(extension, chunks)

    @override
    async def async_get_tts_audio(
        self, message: str, language: str, options: dict[str, Any]
    ) -> TtsAudioType:
        """Synthesize a whole message in one commit and return a complete WAV."""
        config = utterance_config(self._model, language, options, encoded=False)
        usage = UtteranceUsage()
        usage.add_text(message)
        try:
            audio = self._entry.runtime_data.client.synthesize(
                config, message, on_usage=usage.on_usage
            )
        except RealtimeError as err:
            raise self._failed(err, config) from None
        chunks = self._audio(config, audio, usage, streaming_wav=False)
        if (fallback := self._fallback(language, options)) is not None:
            fallback.tap(message)
            chunks = fallback.answer(chunks, "pcm", config.sample_rate)
        pcm = b"".join([chunk async for chunk in chunks])
        return "wav", wav_bytes(pcm, config.sample_rate)

    async def _audio(
        self,
        config: SessionConfig,
        audio: AsyncGenerator[bytes],
        usage: UtteranceUsage,
        *,
        streaming_wav: bool = True,
    ) -> AsyncGenerator[bytes]:
        """Yield what Home Assistant receives, and count what the utterance was billed.

        A failed or cancelled utterance counts the responses it completed: the service bills those.
        """
        try:
            translated = self._translated(config, audio, streaming_wav=streaming_wav)
            async with aclosing(translated) as chunks:
                async for chunk in chunks:
                    yield chunk
        finally:
            self._entry.runtime_data.usage.async_record(self._profile_id, usage)

    async def _translated(
        self, config: SessionConfig, audio: AsyncGenerator[bytes], *, streaming_wav: bool
    ) -> AsyncGenerator[bytes]:
        """Yield PCM (as a streaming WAV when `streaming_wav`), encoded audio as is.

        Client errors become translated ones (a refused key also starts reauthentication, an
        account error raises a repair issue, cleared by the next utterance that works), and a
        session that ends without any audio is an error rather than an empty file in the cache.
        Closing this generator closes the socket at once.
        """
        produced = False
        failure: RealtimeError | None = None
        async with aclosing(audio):
            output = (
                wav_stream(audio, config.sample_rate)
                if streaming_wav and config.response_format is Format.PCM
                else audio
            )
            async with aclosing(output):
                try:
                    async for chunk in output:
                        produced = True
                        yield chunk
                except RealtimeError as err:
                    failure = err
        if failure is not None:
            if isinstance(failure, AuthenticationError):
                self._entry.async_start_reauth(self.hass)
            elif isinstance(failure, AccountError):
                async_report_account_error(self.hass, self._entry.entry_id, failure)
            raise self._failed(failure, config)
        if not produced:
            raise_no_audio()
        async_clear_account_error(self.hass, self._entry.entry_id)

    def _fallback(self, language: str, options: dict[str, Any]) -> UtteranceFallback | None:
        """Return the profile's fallback voice for one utterance; None when it has none."""
        if self._fallback_engine is None:
            return None
        data = self._entry.runtime_data
        return UtteranceFallback(
            self.hass,
            self._fallback_engine,
            owner=self.entity_id,
            stats=data.fallback,
            known_down=data.client.known_down(self._model.name),
            language=language,
            options=options,
        )

    def _failed(self, err: RealtimeError, config: SessionConfig) -> HomeAssistantError:
        """Count a failed utterance for diagnostics; return the error the user gets."""
        self._entry.runtime_data.errors[type(err).__name__] += 1
        return translate_error(err, model=self._model.name, voice=config.voice)
