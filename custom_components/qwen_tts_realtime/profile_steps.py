"""The profile and voice steps, shared by the first entry's flow and the voice-profile flow."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_LANGUAGE, CONF_NAME
from homeassistant.data_entry_flow import FlowHandler, FlowResult

from .const import (
    CONF_FALLBACK,
    CONF_INSTRUCTIONS,
    CONF_MODEL,
    CONF_SAMPLE_RATE,
    CONF_VOICE,
    CONF_VOLUME,
)
from .fallback import own_engines
from .flow_schemas import model_schema, voice_schema
from .form_error import FormError
from .profile import PROSODY_OPTIONS
from .realtime import ModelInfo, model_info
from .realtime.session_config import MAX_INSTRUCTIONS_CHARS
from .voice_check import check_voice


def carried_over(defaults: Mapping[str, Any], model: ModelInfo) -> dict[str, Any]:
    """Keep the settings of a profile's old model that its new model takes as they are."""
    kept = {key: defaults[key] for key in PROSODY_OPTIONS if key in defaults and model.prosody}
    # A custom voice is of no catalogue: it stays as long as the model it was made for does.
    if CONF_VOICE in defaults and (
        defaults[CONF_VOICE] in model.voices or defaults.get(CONF_MODEL) == model.name
    ):
        kept[CONF_VOICE] = defaults[CONF_VOICE]
    if defaults.get(CONF_LANGUAGE) in model.languages:
        kept[CONF_LANGUAGE] = defaults[CONF_LANGUAGE]
    if defaults.get(CONF_SAMPLE_RATE) in model.sample_rates:
        kept[CONF_SAMPLE_RATE] = defaults[CONF_SAMPLE_RATE]
    if model.instructions and defaults.get(CONF_INSTRUCTIONS):
        kept[CONF_INSTRUCTIONS] = defaults[CONF_INSTRUCTIONS]
    if defaults.get(CONF_FALLBACK):
        kept[CONF_FALLBACK] = defaults[CONF_FALLBACK]
    return kept


def profile_data(model_name: str, user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the profile's data; raise FormError when the input cannot be one."""
    data: dict[str, Any] = {CONF_MODEL: model_name, **user_input}
    data[CONF_VOICE] = str(data.get(CONF_VOICE, "")).strip()
    data[CONF_SAMPLE_RATE] = int(data[CONF_SAMPLE_RATE])
    if CONF_VOLUME in data:
        data[CONF_VOLUME] = int(data[CONF_VOLUME])
    if not data.get(CONF_INSTRUCTIONS):
        data.pop(CONF_INSTRUCTIONS, None)
    if not data[CONF_VOICE]:
        raise FormError(CONF_VOICE, "voice_required")
    # The selectors already bound every number; only the free text needs a check here.
    if len(data.get(CONF_INSTRUCTIONS, "")) > MAX_INSTRUCTIONS_CHARS:
        raise FormError(CONF_INSTRUCTIONS, "instructions_too_long")
    return data


class ProfileSteps[ResultT: FlowResult[Any, Any]](FlowHandler[Any, ResultT, Any]):
    """Name a profile and pick its model, then its voice; the flow saves what they make.

    A flow mixing this in says where the key is (`_credentials`) and what saving is
    (`_save_profile`): a new entry with its first profile, a new profile, or a changed one.
    """

    _profile: dict[str, Any]  # the name and model chosen
    _defaults: dict[str, Any]  # what the forms start from (an existing profile's settings)
    # A voice the flow created or found in the account: it exists, so the voice step does not
    # spend characters proving it (a different id typed over it is still checked).
    _proven_voice: str | None = None

    def _credentials(self) -> tuple[str, str]:
        """Return the API key and the endpoint the voice is checked with."""
        raise NotImplementedError

    async def _save_profile(self, data: dict[str, Any], title: str) -> ResultT:
        """Finish the flow with the profile's data."""
        raise NotImplementedError

    async def _profile_step(
        self, step_id: str, defaults: Mapping[str, Any], user_input: dict[str, Any] | None
    ) -> ResultT:
        """Show the profile's name and model (as `step_id`), then go on to its voice."""
        if user_input is not None:
            self._profile = user_input
            return await self.async_step_voice()
        return self.async_show_form(step_id=step_id, data_schema=model_schema(defaults))

    async def async_step_voice(self, user_input: dict[str, Any] | None = None) -> ResultT:
        """Choose the voice and how it speaks."""
        model = self._profile[CONF_MODEL]
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                data = profile_data(model, user_input)
            except FormError as err:
                errors = err.errors
            else:
                if data[CONF_VOICE] != self._proven_voice:
                    errors = await check_voice(self.hass, *self._credentials(), data)
                if not errors:
                    return await self._save_profile(data, self._profile[CONF_NAME])
        defaults = user_input or carried_over(self._defaults, model_info(model))
        return self.async_show_form(
            step_id="voice",
            data_schema=voice_schema(
                model, defaults, self.hass.config.language, own_engines(self.hass)
            ),
            errors=errors,
            description_placeholders={"model": model},
        )
