"""The voices already in the account: pick one for a profile, or delete a profile's voice."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SubentryFlowResult
from homeassistant.helpers.selector import SelectOptionDict

from .const import CONF_VOICE
from .errors import voice_form_error
from .flow_schemas import NO_FIELDS, account_voice_schema
from .realtime import CustomVoice, RealtimeError, VoiceNotFoundError
from .voice_flows import VoiceFlows


class AccountSteps(VoiceFlows):
    """Steps on the account's designed and cloned voices."""

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
            data_schema=account_voice_schema(options),
            errors=errors,
        )

    # --- deleting a profile's voice ---------------------------------------------------------------

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
            data_schema=NO_FIELDS,
            errors=errors,
            description_placeholders={"voice": voice_id, "profile": subentry.title},
        )


def _label(voice: CustomVoice) -> str:
    created = voice.created.strftime("%Y-%m-%d %H:%M") if voice.created else "?"
    kind = "designed" if voice.kind == "design" else "cloned"
    return f"{voice.name} · {kind} · {created}"
