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
from .entity import QwenTTSRealtimeEntity
from .errors import no_audio_error, translate_error
from .fallback import UtteranceFallback
from .profile import (
    CALL_OPTIONS,
    PREFERRED_OPTIONS,
    cleans_formatting,
    default_options,
    utterance_config,
)
from .realtime import (
    AccountError,
    AuthenticationError,
    Format,
    RealtimeError,
    SessionConfig,
    VoiceInfo,
    kind_of_model,
    model_info,
    speakable_chunks,
    speakable_text,
    voices_for,
    wav_bytes,
    wav_stream,
)
from .repairs import async_clear_account_error, async_report_account_error
from .types import QwenTTSConfigEntry, QwenTTSData
from .usage import UtteranceUsage
from .voice_library import VoiceLibrary, custom_voices

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


class QwenTTSEntity(QwenTTSRealtimeEntity, TextToSpeechEntity):
    """Speaks with one voice profile; streams text in and audio out."""

    # Named after its profile, like core's subentry TTS engines (openai_conversation): the TTS
    # manager refuses an engine whose name is None, and "tts.<profile>" is the id users expect.
    _attr_has_entity_name = False
    _attr_translation_key = "voice_profile"  # its icon

    def __init__(self, entry: QwenTTSConfigEntry, subentry: ConfigSubentry) -> None:
        """Set the entity up from its profile."""
        super().__init__(entry, subentry)
        self._model = model_info(subentry.data[CONF_MODEL])
        self._profile_voice: str = subentry.data[CONF_VOICE]
        self._fallback_engine: str | None = subentry.data.get(CONF_FALLBACK)
        self._profile_id = subentry.subentry_id
        self._attr_name = subentry.title
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
        the language beyond it being one the model speaks. Labels are in the language asked for
        (a Chinese pipeline gets Chinese labels in an English Home Assistant); one they do not come
        in (French, say) gets Home Assistant's language. A voice cloning or design model speaks
        the account's voices made for it, as last listed (refreshed in the background).
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
        return [
            Voice(voice.voice_id, voice.label(language, self.hass.config.language))
            for voice in (own, *(voice for voice in voices if voice is not own))
        ]

    def _custom_library(self) -> VoiceLibrary | None:
        return self._entry.runtime_data.voices  # None: the endpoint has no customisation API

    @callback
    def _refresh_custom_voices(self) -> None:
        kind = kind_of_model(self._model.name)
        if kind is not None and (library := self._custom_library()) is not None:
            library.async_refresh_if_stale(self.hass, kind)

    @override
    async def async_stream_tts_audio(self, request: TTSAudioRequest) -> TTSAudioResponse:
        """Stream text in as it arrives and audio out as soon as the first of it comes back.

        Unless the profile says not, the text's formatting is cleaned up on its way in.
        """
        config = utterance_config(self._model, request.language, request.options, encoded=True)
        usage = UtteranceUsage()
        loaded = self._entry.runtime_data
        clean = cleans_formatting(request.options)
        fallback = self._fallback(loaded, request.language, request.options, clean=clean)
        text = request.message_gen if fallback is None else fallback.tap(request.message_gen)
        if clean:
            text = speakable_chunks(text)
        try:
            audio = loaded.client.stream(config, usage.follow(text), on_usage=usage.on_usage)
        except RealtimeError as err:
            raise self._failed(loaded, err, config) from None
        extension: Literal["mp3", "wav"] = "mp3" if config.response_format is Format.MP3 else "wav"
        chunks = self._audio(loaded, config, audio, usage)
        if fallback is not None:
            chunks = fallback.answer(chunks, extension, config.sample_rate)
        return TTSAudioResponse(extension, chunks)

    @override
    async def async_get_tts_audio(
        self, message: str, language: str, options: dict[str, Any]
    ) -> TtsAudioType:
        """Synthesize a whole message (cleaned up likewise) in one commit; return a complete WAV."""
        config = utterance_config(self._model, language, options, encoded=False)
        usage = UtteranceUsage()
        written = message
        clean = cleans_formatting(options)
        if clean:
            message = speakable_text(message)
        usage.add_text(message)
        loaded = self._entry.runtime_data
        try:
            audio = loaded.client.synthesize(config, message, on_usage=usage.on_usage)
        except RealtimeError as err:
            raise self._failed(loaded, err, config) from None
        chunks = self._audio(loaded, config, audio, usage, streaming_wav=False)
        fallback = self._fallback(loaded, language, options, clean=clean)
        if fallback is not None:
            fallback.tap(written)  # as Home Assistant keys its cache
            chunks = fallback.answer(chunks, "pcm", config.sample_rate)
        pcm = b"".join([chunk async for chunk in chunks])
        return "wav", wav_bytes(pcm, config.sample_rate)

    async def _audio(
        self,
        loaded: QwenTTSData,
        config: SessionConfig,
        audio: AsyncGenerator[bytes],
        usage: UtteranceUsage,
        *,
        streaming_wav: bool = True,
    ) -> AsyncGenerator[bytes]:
        """Yield what Home Assistant receives, and count what the utterance was billed.

        A failed or cancelled utterance counts the responses it completed: the service bills those.
        An utterance may outlive the load of its entry that started it (a reload, which adding a
        profile or changing an option does, leaves it running): it holds that load's data, and
        counts in the entry's tracker as loaded when it ends (none while the entry is unloaded).
        """
        try:
            translated = self._translated(loaded, config, audio, streaming_wav=streaming_wav)
            async with aclosing(translated) as chunks:
                async for chunk in chunks:
                    yield chunk
        finally:
            current: QwenTTSData = getattr(self._entry, "runtime_data", loaded)
            current.usage.async_record(self._profile_id, usage)

    async def _translated(
        self,
        loaded: QwenTTSData,
        config: SessionConfig,
        audio: AsyncGenerator[bytes],
        *,
        streaming_wav: bool,
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
            raise self._failed(loaded, failure, config)
        if not produced:
            raise no_audio_error()
        async_clear_account_error(self.hass, self._entry.entry_id)

    def _fallback(
        self, loaded: QwenTTSData, language: str, options: dict[str, Any], *, clean: bool
    ) -> UtteranceFallback | None:
        """Return the profile's fallback voice for one utterance; None when it has none."""
        if self._fallback_engine is None:
            return None
        return UtteranceFallback(
            self.hass,
            self._fallback_engine,
            owner=self.entity_id,
            stats=loaded.fallback,
            known_down=loaded.client.known_down(self._model.name),
            language=language,
            options=options,
            clean=clean,
        )

    def _failed(
        self, loaded: QwenTTSData, err: RealtimeError, config: SessionConfig
    ) -> HomeAssistantError:
        """Count a failed utterance for diagnostics; return the error the user gets."""
        loaded.errors[type(err).__name__] += 1
        return translate_error(err, model=self._model.name, voice=config.voice)
