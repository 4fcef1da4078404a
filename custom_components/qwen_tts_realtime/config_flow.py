"""Config flow: API key and region, then the first voice profile; reauth and reconfigure.

Voice profiles are subentries (profile_flow.py); the profile and voice steps are shared with
them (profile_steps.py); a key refused in its region is offered the other one (region_offer.py).
"""

from __future__ import annotations

from collections.abc import Mapping
import hashlib
from typing import Any, override

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant, callback
from yarl import URL

from .connection_check import KeyInOtherRegion, check_connection
from .const import (
    API_KEY_URLS,
    CONF_ENDPOINT,
    CONF_REGION,
    DOMAIN,
    ENTRY_MINOR_VERSION,
    ENTRY_VERSION,
    SUBENTRY_TTS,
)
from .flow_schemas import api_key_schema, connection_schema, reconfigure_schema
from .form_error import FormError
from .options_flow import QwenTTSOptionsFlow
from .profile_flow import VoiceProfileFlow
from .profile_steps import ProfileSteps
from .realtime import Region
from .region_offer import RegionOffer

# How an entry is titled: entry titles are stored text, not translated.
_REGION_TITLES = {Region.INTERNATIONAL: "International", Region.MAINLAND_CHINA: "Mainland China"}


def _entry_title(region: str, endpoint: str) -> str:
    """Name the entry after its region, or the host of a custom endpoint."""
    return f"Qwen TTS ({_REGION_TITLES.get(Region(region)) or URL(endpoint).host})"


def _api_key_url(hass: HomeAssistant) -> str:
    """Return the help page on API keys in Home Assistant's language (English otherwise)."""
    return API_KEY_URLS.get(hass.config.language.split("-", maxsplit=1)[0], API_KEY_URLS["en"])


def _unique_id(endpoint: str, api_key: str) -> str:
    """Identify a key at an endpoint without storing the key (a one-way digest)."""
    return hashlib.sha256(f"{endpoint}\n{api_key}".encode()).hexdigest()[:32]


class QwenTTSConfigFlow(ProfileSteps[ConfigFlowResult], RegionOffer, domain=DOMAIN):
    """Ask for the key and region, check them with a handshake, then create the first profile."""

    VERSION = ENTRY_VERSION
    MINOR_VERSION = ENTRY_MINOR_VERSION

    def __init__(self) -> None:
        """Start with nothing entered."""
        self._connection: dict[str, Any] = {}
        self._profile: dict[str, Any] = {}
        self._defaults: dict[str, Any] = {}

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Voice profiles are subentries."""
        return {SUBENTRY_TTS: VoiceProfileFlow}

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        """Options of the whole entry (the price for the estimated cost)."""
        return QwenTTSOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the API key and the region."""
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                return await self._connect(
                    user_input[CONF_API_KEY], user_input[CONF_REGION], user_input.get(CONF_ENDPOINT)
                )
            except FormError as err:
                errors = err.errors
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                connection_schema(user_input or {}), user_input
            ),
            errors=errors,
            description_placeholders={"api_key_url": _api_key_url(self.hass)},
        )

    async def async_step_profile(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the first voice profile's name and model."""
        return await self._profile_step("profile", {}, user_input)

    @override
    def _credentials(self) -> tuple[str, str]:
        return self._connection[CONF_API_KEY], self._connection[CONF_ENDPOINT]

    @override
    async def _save_profile(self, data: dict[str, Any], title: str) -> ConfigFlowResult:
        """Create the entry with its first profile."""
        region = Region(self._connection[CONF_REGION])
        return self.async_create_entry(
            title=_entry_title(region, self._connection[CONF_ENDPOINT]),
            data={
                CONF_API_KEY: self._connection[CONF_API_KEY],
                CONF_REGION: region.value,
                CONF_ENDPOINT: self._connection[CONF_ENDPOINT],
            },
            subentries=[
                {"subentry_type": SUBENTRY_TTS, "data": data, "title": title, "unique_id": None}
            ],
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication when the service refused the key."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new key for the same endpoint."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            api_key = user_input[CONF_API_KEY]
            try:
                await check_connection(
                    self.hass, api_key, entry.data[CONF_REGION], entry.data[CONF_ENDPOINT]
                )
            except KeyInOtherRegion as found:
                return self._offer_region(api_key, found.region)
            except FormError as err:
                errors = err.errors
            else:
                return self.async_update_and_abort(
                    entry,
                    unique_id=_unique_id(entry.data[CONF_ENDPOINT], api_key),
                    data_updates={CONF_API_KEY: api_key},
                    reason="reauth_successful",
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=api_key_schema(),
            errors=errors,
            description_placeholders={
                "endpoint": entry.data[CONF_ENDPOINT],
                "api_key_url": _api_key_url(self.hass),
            },
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the region, endpoint or key."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                return await self._connect(
                    user_input.get(CONF_API_KEY) or entry.data[CONF_API_KEY],
                    user_input[CONF_REGION],
                    user_input.get(CONF_ENDPOINT),
                )
            except FormError as err:
                errors = err.errors
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=reconfigure_schema(user_input or entry.data),
            errors=errors,
        )

    async def _connect(
        self, api_key: str, region: str, custom_endpoint: str | None
    ) -> ConfigFlowResult:
        """Go on with a key that works in `region`, or offer the region it works in.

        Raise FormError when it works in neither.
        """
        try:
            endpoint = await check_connection(self.hass, api_key, region, custom_endpoint)
        except KeyInOtherRegion as found:
            return self._offer_region(api_key, found.region)
        return await self._use_key(api_key, Region(region), endpoint)

    @override
    async def _use_key(self, api_key: str, region: Region, endpoint: str) -> ConfigFlowResult:
        """Reconfigure or reauthenticate the entry with the key, or go on to the first profile."""
        if self.source == SOURCE_RECONFIGURE:
            return await self._reconfigure_to(api_key, region, endpoint)
        if self.source == SOURCE_REAUTH:
            return self.async_update_and_abort(
                self._get_reauth_entry(),
                unique_id=_unique_id(endpoint, api_key),
                data_updates={
                    CONF_API_KEY: api_key,
                    CONF_REGION: region.value,
                    CONF_ENDPOINT: endpoint,
                },
                reason="reauth_successful",
            )
        await self.async_set_unique_id(_unique_id(endpoint, api_key))
        self._abort_if_unique_id_configured()
        self._connection = {
            CONF_API_KEY: api_key,
            CONF_REGION: region.value,
            CONF_ENDPOINT: endpoint,
        }
        return await self.async_step_profile()

    async def _reconfigure_to(
        self, api_key: str, region: Region, endpoint: str
    ) -> ConfigFlowResult:
        entry = self._get_reconfigure_entry()
        unique_id = _unique_id(endpoint, api_key)
        if unique_id != entry.unique_id:
            await self.async_set_unique_id(unique_id)
            self._abort_if_unique_id_configured()
        # A title the user never renamed follows the region; a renamed one stays.
        old_title = _entry_title(entry.data[CONF_REGION], entry.data[CONF_ENDPOINT])
        return self.async_update_and_abort(
            entry,
            unique_id=unique_id,
            title=_entry_title(region, endpoint) if entry.title == old_title else entry.title,
            data={CONF_API_KEY: api_key, CONF_REGION: region.value, CONF_ENDPOINT: endpoint},
            reason="reconfigure_successful",
        )
