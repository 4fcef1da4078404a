"""The voice-profile subentry flow: add or change a profile, one text-to-speech entity."""

from __future__ import annotations

from typing import Any, override

from homeassistant.config_entries import SubentryFlowResult
from homeassistant.const import CONF_API_KEY, CONF_NAME

from .account_steps import AccountSteps
from .clone_steps import CloneSteps
from .const import CONF_ENDPOINT, CONF_VOICE, DEFAULT_PROFILE_NAME
from .voice_flows import is_custom_voice


class VoiceProfileFlow(CloneSteps, AccountSteps):
    """Add or change a voice profile: one text-to-speech entity.

    A new profile starts at the menu of VoiceFlows (system, designed, cloned or account voice).
    """

    def __init__(self) -> None:
        """Start with nothing entered."""
        self._profile: dict[str, Any] = {}
        self._defaults: dict[str, Any] = {}

    async def async_step_system_voice(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose the profile's name and model."""
        defaults = self._defaults or {CONF_NAME: self._unused_name()}
        return await self._profile_step("system_voice", defaults, user_input)

    def _unused_name(self) -> str:
        """Suggest a name no other profile of the entry has (they become entity ids)."""
        taken = {subentry.title for subentry in self._get_entry().subentries.values()}
        return next(
            name
            for number in range(1, len(taken) + 2)
            if (name := DEFAULT_PROFILE_NAME if number == 1 else f"{DEFAULT_PROFILE_NAME} {number}")
            not in taken
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change an existing profile, starting from its current settings."""
        subentry = self._get_reconfigure_subentry()
        self._defaults = {**subentry.data, CONF_NAME: subentry.title}
        if is_custom_voice(subentry.data[CONF_VOICE]):
            return await self.async_step_reconfigure_custom()
        return await self.async_step_system_voice()

    @override
    def _credentials(self) -> tuple[str, str]:
        entry = self._get_entry()
        return entry.data[CONF_API_KEY], entry.data[CONF_ENDPOINT]

    @override
    async def _save_profile(self, data: dict[str, Any], title: str) -> SubentryFlowResult:
        """Add the profile, or change the one being reconfigured."""
        if self.source == "reconfigure":
            # Updated, then aborted by this flow: the reason is then this integration's translated
            # string on every release (2026.3's async_update_and_abort takes no reason).
            self.hass.config_entries.async_update_subentry(
                self._get_entry(), self._get_reconfigure_subentry(), data=data, title=title
            )
            return self.async_abort(reason="reconfigure_successful")
        return self.async_create_entry(title=title, data=data)
