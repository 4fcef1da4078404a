"""Voice-profile flow steps that make or pick a custom voice, and delete one.

A new profile starts with a menu: a system voice (the profile form), a designed voice, a cloned
voice, or a voice already in the account. Each custom path ends in the common voice step, on the
realtime model the voice was made for. Creating a voice is billed by the vendor: each creating
step says so before it is submitted, and nothing here retries a create.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.file_upload import process_uploaded_file
from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.const import CONF_LANGUAGE, CONF_NAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    FileSelector,
    FileSelectorConfig,
    LanguageSelector,
    LanguageSelectorConfig,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
)

if TYPE_CHECKING:  # Home Assistant 2026.x installs probatio as voluptuous: type against it.
    import probatio as vol
else:
    import voluptuous as vol

from .const import CONF_MODEL, CONF_VOICE, PRICING_URL
from .errors import voice_form_error
from .preview import async_discard_preview, async_publish_preview, preview_link
from .realtime import (
    CustomVoice,
    RealtimeError,
    VoiceNotFoundError,
    kind_of_voice,
)
from .realtime.catalog import ALL_LANGUAGES
from .realtime.voices_api import MAX_DESCRIPTION_CHARS, MAX_PREVIEW_TEXT_CHARS, NAME_PATTERN
from .recording_check import ACCEPT, Recording, RecordingProblem, check_recording
from .voice_library import VoiceLibrary, voice_library

CONF_DESCRIPTION: Final = "description"
CONF_PREVIEW_TEXT: Final = "preview_text"
CONF_AUDIO: Final = "audio"
CONF_TRANSCRIPT: Final = "transcript"
VOICE_SOURCES: Final = ["system_voice", "design", "clone", "account_voice"]


def _read_upload(hass: HomeAssistant, file_id: str) -> Recording:
    """Check and read an uploaded file (executor); the upload is deleted afterwards."""
    try:
        with process_uploaded_file(hass, file_id) as path:
            return check_recording(Path(path))
    except ValueError:  # no such upload (already used, or expired)
        raise RecordingProblem("missing") from None


def _language_selector() -> LanguageSelector:
    return LanguageSelector(LanguageSelectorConfig(languages=list(ALL_LANGUAGES)))


def _name_error(name: str) -> dict[str, str]:
    return {} if NAME_PATTERN.fullmatch(name) else {CONF_NAME: "voice_name_invalid"}


class VoiceFlows(ConfigSubentryFlow):
    """The custom-voice steps of the voice-profile flow (mixed into VoiceProfileFlow)."""

    if TYPE_CHECKING:
        _profile: dict[str, Any]
        _defaults: dict[str, Any]

        async def async_step_voice(  # noqa: D102 - VoiceProfileFlow's
            self, user_input: dict[str, Any] | None = None
        ) -> SubentryFlowResult: ...

    _design_input: dict[str, Any] | None = None
    _pending: CustomVoice | None = None  # designed, waiting to be kept or discarded
    _preview_token: str | None = None
    _preview_path: str = ""
    _fallback_reason: str = ""
    # The voice this flow created or found in the account: it exists, so the voice step does not
    # spend characters proving it (a different id typed over it is still checked).
    _proven_voice: str | None = None

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Choose where the new profile's voice comes from."""
        return self.async_show_menu(step_id="user", menu_options=VOICE_SOURCES)

    def _library(self) -> VoiceLibrary:
        return voice_library(self.hass, self._get_entry())

    def _use_voice(self, voice: CustomVoice, name: str) -> None:
        """Continue with the common voice step, on the model the voice was made for."""
        self._profile = {CONF_NAME: name, CONF_MODEL: voice.target_model}
        self._defaults = {CONF_MODEL: voice.target_model, CONF_VOICE: voice.voice_id}
        self._proven_voice = voice.voice_id
        if voice.language:
            self._defaults[CONF_LANGUAGE] = voice.language

    # --- design ----------------------------------------------------------------------------

    async def async_step_design(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Describe a voice and a sentence to hear it say; creating it is billed."""
        errors: dict[str, str] = {}
        if user_input is not None:
            self._design_input = user_input
            errors = _name_error(user_input[CONF_NAME])
            if len(user_input[CONF_DESCRIPTION]) > MAX_DESCRIPTION_CHARS:
                errors[CONF_DESCRIPTION] = "description_too_long"
            if len(user_input[CONF_PREVIEW_TEXT]) > MAX_PREVIEW_TEXT_CHARS:
                errors[CONF_PREVIEW_TEXT] = "preview_text_too_long"
            if not errors:
                try:
                    designed = await self._library().design(
                        user_input[CONF_NAME],
                        user_input[CONF_DESCRIPTION],
                        user_input[CONF_PREVIEW_TEXT],
                        user_input[CONF_LANGUAGE],
                    )
                except RealtimeError as err:
                    errors["base"] = voice_form_error(err)
                else:
                    self._pending = designed.voice
                    self._preview_token, self._preview_path = async_publish_preview(
                        self.hass, designed.preview.data, designed.preview.response_format
                    )
                    return await self.async_step_design_preview()
        return self._design_form(errors)

    def _design_form(self, errors: dict[str, str]) -> SubentryFlowResult:
        base = self.hass.config.language.split("-", maxsplit=1)[0]
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME): str,
                vol.Required(CONF_DESCRIPTION): TextSelector(TextSelectorConfig(multiline=True)),
                vol.Required(CONF_PREVIEW_TEXT): TextSelector(TextSelectorConfig(multiline=True)),
                vol.Required(
                    CONF_LANGUAGE, default=base if base in ALL_LANGUAGES else "en"
                ): _language_selector(),
            }
        )
        return self.async_show_form(
            step_id="design",
            data_schema=self.add_suggested_values_to_schema(schema, self._design_input or {}),
            errors=errors,
            description_placeholders={"pricing_url": PRICING_URL},
        )

    async def async_step_design_preview(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Listen to the designed voice (a link to its preview), then keep or discard it."""
        assert self._pending is not None
        return self.async_show_menu(
            step_id="design_preview",
            menu_options=["design_keep", "design_discard"],
            description_placeholders={
                "voice": self._pending.name,
                "preview_link": preview_link(self._preview_path, f"▶ {self._pending.name}"),
            },
        )

    async def async_step_design_keep(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Make the profile speak with the designed voice."""
        assert self._pending is not None
        self._forget_preview()
        self._use_voice(self._pending, self._pending.name)
        return await self.async_step_voice()

    async def async_step_design_discard(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Delete the designed voice from the account and describe another one."""
        assert self._pending is not None
        self._forget_preview()
        try:
            await self._library().delete(self._pending.voice_id)
        except VoiceNotFoundError:
            pass  # already gone: what discarding wants
        except RealtimeError:
            return self._design_form({"base": "discard_failed"})
        self._pending = None
        return self._design_form({})

    def _forget_preview(self) -> None:
        if self._preview_token is not None:
            async_discard_preview(self.hass, self._preview_token)
            self._preview_token = None

    # --- clone -----------------------------------------------------------------------------

    async def async_step_clone(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Upload a recording of the voice to clone; creating it is billed."""
        errors: dict[str, str] = {}
        suggested: dict[str, Any] = {}
        if user_input is not None:
            suggested = {k: v for k, v in user_input.items() if k != CONF_AUDIO}
            errors = _name_error(user_input[CONF_NAME])
            recording: Recording | None = None
            try:
                recording = await self.hass.async_add_executor_job(
                    _read_upload, self.hass, user_input[CONF_AUDIO]
                )
            except RecordingProblem as problem:
                errors[CONF_AUDIO] = f"audio_{problem.problem}"
            if recording is not None and not errors:
                try:
                    cloned = await self._library().clone(
                        user_input[CONF_NAME],
                        recording.audio,
                        recording.mime_type,
                        language=user_input[CONF_LANGUAGE],
                        transcript=user_input.get(CONF_TRANSCRIPT) or None,
                    )
                except RealtimeError as err:
                    key = voice_form_error(err)
                    errors[CONF_AUDIO if key.startswith("audio_") else "base"] = key
                else:
                    self._use_voice(cloned.voice, cloned.voice.name)
                    if cloned.fallback_mode:
                        self._fallback_reason = cloned.fallback_reason or ""
                        return await self.async_step_clone_degraded()
                    return await self.async_step_voice()
        base = self.hass.config.language.split("-", maxsplit=1)[0]
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME): str,
                vol.Required(CONF_AUDIO): FileSelector(FileSelectorConfig(accept=ACCEPT)),
                vol.Optional(CONF_TRANSCRIPT): TextSelector(TextSelectorConfig(multiline=True)),
                vol.Required(
                    CONF_LANGUAGE, default=base if base in ALL_LANGUAGES else "en"
                ): _language_selector(),
            }
        )
        return self.async_show_form(
            step_id="clone",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders={"pricing_url": PRICING_URL},
        )

    async def async_step_clone_degraded(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Tell that the service made the voice in its degraded mode, and why."""
        if user_input is not None:
            return await self.async_step_voice()
        return self.async_show_form(
            step_id="clone_degraded",
            data_schema=vol.Schema({}),
            description_placeholders={"reason": self._fallback_reason or "-"},
        )

    # --- a voice of the account ------------------------------------------------------------

    async def async_step_account_voice(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Pick a designed or cloned voice the account already has."""
        errors: dict[str, str] = {}
        voices: list[CustomVoice] = []
        try:
            library = self._library()
            voices = [
                voice
                for kind in ("design", "clone")
                for voice in await library.voices(kind)
                if "realtime" in voice.target_model  # the others cannot speak on a socket
            ]
        except RealtimeError as err:
            errors["base"] = voice_form_error(err)
        by_id = {voice.voice_id: voice for voice in voices}
        if user_input is not None and (voice := by_id.get(user_input[CONF_VOICE])):
            self._use_voice(voice, voice.name)
            return await self.async_step_voice()
        if not voices and not errors:
            return self.async_abort(reason="no_account_voices")
        options = [SelectOptionDict(value=voice.voice_id, label=_label(voice)) for voice in voices]
        return self.async_show_form(
            step_id="account_voice",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_VOICE): SelectSelector(
                        SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
                    )
                }
            )
            if voices
            else vol.Schema({}),
            errors=errors,
        )

    # --- deleting --------------------------------------------------------------------------

    async def async_step_reconfigure_custom(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Offer to change a custom-voice profile's settings, or to delete its voice."""
        return self.async_show_menu(
            step_id="reconfigure_custom",
            menu_options=["system_voice", "delete_voice"],
            description_placeholders={"voice": self._defaults[CONF_VOICE]},
        )

    async def async_step_delete_voice(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Confirm, then delete the profile's voice from the account and remove the profile."""
        subentry = self._get_reconfigure_subentry()
        voice_id = subentry.data[CONF_VOICE]
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                await self._library().delete(voice_id)
            except VoiceNotFoundError:
                pass  # already gone
            except RealtimeError as err:
                errors["base"] = voice_form_error(err)
            if not errors:
                entry = self._get_entry()
                self.hass.config_entries.async_remove_subentry(entry, subentry.subentry_id)
                return self.async_abort(reason="voice_deleted")
        return self.async_show_form(
            step_id="delete_voice",
            data_schema=vol.Schema({}),
            errors=errors,
            description_placeholders={"voice": voice_id, "profile": subentry.title},
        )


def is_custom_voice(voice_id: str) -> bool:
    """Return True for a designed or cloned voice id."""
    return kind_of_voice(voice_id) is not None


def _label(voice: CustomVoice) -> str:
    created = voice.created.strftime("%Y-%m-%d %H:%M") if voice.created else "?"
    kind = "designed" if voice.kind == "design" else "cloned"
    return f"{voice.name} · {kind} · {created}"
