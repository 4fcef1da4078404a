"""The custom-voice steps of the voice-profile flow: the menu, and designing a voice.

A new profile starts with a menu: a system voice (the profile form), a designed voice, a cloned
voice (clone_steps.py), or a voice already in the account (account_steps.py). Each custom path
ends in the common voice step (profile_steps.py), on the realtime model the voice was made for.
Creating a voice is billed by the vendor: each creating step says so before it is submitted, and
nothing here retries a create.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.config_entries import ConfigSubentryFlow, SubentryFlowResult
from homeassistant.const import CONF_LANGUAGE, CONF_NAME

from .const import CONF_MODEL, CONF_VOICE, PRICING_URL
from .errors import voice_form_error
from .flow_schemas import CONF_DESCRIPTION, CONF_PREVIEW_TEXT, design_schema
from .preview import async_discard_preview, async_publish_preview, preview_link
from .profile_steps import ProfileSteps
from .realtime import (
    CustomVoice,
    RealtimeError,
    VoiceNotFoundError,
    kind_of_voice,
)
from .realtime.voices import MAX_DESCRIPTION_CHARS, MAX_PREVIEW_TEXT_CHARS, NAME_PATTERN
from .voice_library import VoiceLibrary, voice_library

VOICE_SOURCES: Final = ["system_voice", "design", "clone", "account_voice"]


def name_error(name: str) -> dict[str, str]:
    """Return the form error of a new voice's name, if the service would refuse it."""
    return {} if NAME_PATTERN.fullmatch(name) else {CONF_NAME: "voice_name_invalid"}


class VoiceFlows(ProfileSteps[SubentryFlowResult], ConfigSubentryFlow):
    """The custom-voice steps of the voice-profile flow (a base of VoiceProfileFlow)."""

    _design_input: dict[str, Any] | None = None
    _pending: CustomVoice | None = None  # designed, waiting to be kept or discarded
    _preview_token: str | None = None
    _preview_path: str = ""

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
            errors = name_error(user_input[CONF_NAME])
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
        schema = design_schema(self.hass.config.language)
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


def is_custom_voice(voice_id: str) -> bool:
    """Return True for a designed or cloned voice id."""
    return kind_of_voice(voice_id) is not None
