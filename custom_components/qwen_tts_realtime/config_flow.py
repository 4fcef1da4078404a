"""The config flow (API key and region, then the first voice profile) and the options flow.

The entry flow checks a key with a real handshake before anything keeps it, for a new entry,
reauthentication and reconfiguring alike. Keys are bound to their vendor region and a key refused
outside its region looks exactly like a wrong key: so a key one vendor region refuses is tried in
the other, which is then offered in one click. Voice profiles are subentries (profile_flow.py),
whose voice step the first profile shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import hashlib
from typing import Any, override

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.const import CONF_API_KEY, CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from yarl import URL

from .const import (
    API_KEY_URLS,
    CONF_ENDPOINT,
    CONF_MODEL,
    CONF_REGION,
    DOMAIN,
    ENTRY_MINOR_VERSION,
    ENTRY_VERSION,
    PRICING_URL,
    SUBENTRY_TTS,
)
from .errors import form_placeholders, key_check_errors
from .flow_schemas import (
    api_key_schema,
    connection_schema,
    model_schema,
    options_schema,
    reconfigure_schema,
)
from .profile_flow import VoiceProfileFlow, checked_profile, voice_form
from .realtime import (
    AuthenticationError,
    InvalidEndpointError,
    RealtimeClient,
    RealtimeError,
    Region,
    endpoint_for,
    other_region,
)

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


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """What the handshakes said of a key: where it works, or where instead, or the errors."""

    endpoint: str = ""  # the key works here
    other_region: Region | None = None  # refused in the region chosen, accepted in this one
    errors: dict[str, str] = field(default_factory=dict)
    placeholders: dict[str, str] = field(default_factory=dict)  # what the errors name


async def _handshake(hass: HomeAssistant, api_key: str, endpoint: str) -> RealtimeError | None:
    """Shake hands with `endpoint`; return why that failed, or None when it accepts the key."""
    try:
        await RealtimeClient(async_get_clientsession(hass), api_key, endpoint).check()
    except RealtimeError as err:
        return err
    return None


async def check_key(
    hass: HomeAssistant, api_key: str, region: str, custom_endpoint: str | None
) -> KeyCheck:
    """Check `api_key` in `region` (or at `custom_endpoint`) before an entry keeps it.

    A key one vendor region refuses is tried in the other: a key works only in its own region.
    """
    try:
        endpoint = endpoint_for(Region(region), custom_endpoint)
    except InvalidEndpointError as err:
        return KeyCheck(errors=key_check_errors(err))
    failure = await _handshake(hass, api_key, endpoint)
    if failure is None:
        return KeyCheck(endpoint)
    other = other_region(Region(region))
    if isinstance(failure, AuthenticationError) and other is not None:
        match await _handshake(hass, api_key, endpoint_for(other)):
            case None:
                return KeyCheck(other_region=other)
            case AuthenticationError():
                return KeyCheck(errors={"base": "invalid_key"})  # no region accepts it
        # The other region cannot say: keep the hint that keys are bound to a region.
    return KeyCheck(errors=key_check_errors(failure), placeholders=form_placeholders(endpoint))


class QwenTTSConfigFlow(ConfigFlow, domain=DOMAIN):
    """Ask for the key and region, check them with a handshake, then create the first profile."""

    VERSION = ENTRY_VERSION
    MINOR_VERSION = ENTRY_MINOR_VERSION

    def __init__(self) -> None:
        """Start with nothing entered."""
        self._connection: dict[str, Any] = {}  # the key, region and endpoint that work
        self._profile: dict[str, Any] = {}  # the first profile's name and model
        self._key_elsewhere = ""  # a key refused in the region chosen, accepted in the other

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
        """Options of the whole entry (keeping warm, the price for the estimated cost)."""
        return QwenTTSOptionsFlow()

    # --- a new entry --------------------------------------------------------------------------

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the API key and the region."""
        check = KeyCheck()
        if user_input is not None:
            outcome = await self._connect(user_input[CONF_API_KEY], user_input)
            if not isinstance(outcome, KeyCheck):
                return outcome
            check = outcome
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                connection_schema(user_input or {}), user_input
            ),
            errors=check.errors,
            description_placeholders={"api_key_url": _api_key_url(self.hass), **check.placeholders},
        )

    async def async_step_profile(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the first voice profile's name and model."""
        if user_input is not None:
            self._profile = user_input
            return await self.async_step_voice()
        return self.async_show_form(step_id="profile", data_schema=model_schema({}))

    async def async_step_voice(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the first profile's voice and how it speaks, then create the entry."""
        model = self._profile[CONF_MODEL]
        errors: dict[str, str] = {}
        if user_input is not None:
            credentials = self._connection[CONF_API_KEY], self._connection[CONF_ENDPOINT]
            data, errors = await checked_profile(self.hass, credentials, model, user_input)
            if not errors:
                return self._create_entry(data)
        placeholders = form_placeholders(self._connection[CONF_ENDPOINT])
        return voice_form(self, model, user_input, {}, errors, placeholders=placeholders)

    def _create_entry(self, profile: dict[str, Any]) -> ConfigFlowResult:
        """Create the entry with its first profile."""
        return self.async_create_entry(
            title=_entry_title(self._connection[CONF_REGION], self._connection[CONF_ENDPOINT]),
            data=self._connection,
            subentries=[
                {
                    "subentry_type": SUBENTRY_TTS,
                    "data": profile,
                    "title": self._profile[CONF_NAME],
                    "unique_id": None,
                }
            ],
        )

    # --- a key refused in its region ----------------------------------------------------------

    def _offer_region(self, api_key: str, region: Region) -> ConfigFlowResult:
        """Offer `region`, which accepts `api_key`, or going back to the step that asked."""
        self._key_elsewhere = api_key
        back = {SOURCE_REAUTH: "reauth_confirm", SOURCE_RECONFIGURE: "reconfigure"}
        return self.async_show_menu(
            step_id=f"key_in_{region.value}",
            menu_options=[f"use_{region.value}", back.get(self.source or "", "user")],
        )

    async def async_step_key_in_international(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the International region, which accepts the key the chosen one refused."""
        return self._offer_region(self._key_elsewhere, Region.INTERNATIONAL)

    async def async_step_key_in_mainland_china(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the Mainland China region, which accepts the key the chosen one refused."""
        return self._offer_region(self._key_elsewhere, Region.MAINLAND_CHINA)

    async def async_step_use_international(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Use the key in the International region, which accepted it."""
        return await self._use_key(
            self._key_elsewhere, Region.INTERNATIONAL, endpoint_for(Region.INTERNATIONAL)
        )

    async def async_step_use_mainland_china(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Use the key in the Mainland China region, which accepted it."""
        return await self._use_key(
            self._key_elsewhere, Region.MAINLAND_CHINA, endpoint_for(Region.MAINLAND_CHINA)
        )

    async def _connect(
        self, api_key: str, user_input: Mapping[str, Any]
    ) -> ConfigFlowResult | KeyCheck:
        """Go on with a key that works in the region entered, or offer the region it works in.

        Return the check when the key works in neither, for the form to show its errors.
        """
        region = user_input[CONF_REGION]
        check = await check_key(self.hass, api_key, region, user_input.get(CONF_ENDPOINT))
        if check.other_region is not None:
            return self._offer_region(api_key, check.other_region)
        if check.errors:
            return check
        return await self._use_key(api_key, Region(region), check.endpoint)

    async def _use_key(self, api_key: str, region: Region, endpoint: str) -> ConfigFlowResult:
        """Go on with a key that works at `endpoint`, as the step that asked for it wants.

        A new entry goes on to its first profile; reauthentication and reconfiguring change the
        entry.
        """
        connection = {CONF_API_KEY: api_key, CONF_REGION: region.value, CONF_ENDPOINT: endpoint}
        unique_id = _unique_id(endpoint, api_key)
        if self.source == SOURCE_REAUTH:
            return self.async_update_and_abort(
                self._get_reauth_entry(),
                unique_id=unique_id,
                data_updates=connection,
                reason="reauth_successful",
            )
        if self.source == SOURCE_RECONFIGURE:
            entry = self._get_reconfigure_entry()
            if unique_id != entry.unique_id:
                await self.async_set_unique_id(unique_id)
                self._abort_if_unique_id_configured()
            # A title the user never renamed follows the region; a renamed one stays.
            old_title = _entry_title(entry.data[CONF_REGION], entry.data[CONF_ENDPOINT])
            return self.async_update_and_abort(
                entry,
                unique_id=unique_id,
                title=_entry_title(region, endpoint) if entry.title == old_title else entry.title,
                data=connection,
                reason="reconfigure_successful",
            )
        await self.async_set_unique_id(unique_id)
        self._abort_if_unique_id_configured()
        self._connection = connection
        return await self.async_step_profile()

    # --- changing the entry -------------------------------------------------------------------

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication when the service refused the key."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new key for the same endpoint."""
        entry = self._get_reauth_entry()
        check = KeyCheck()
        if user_input is not None:
            api_key = user_input[CONF_API_KEY]
            check = await check_key(
                self.hass, api_key, entry.data[CONF_REGION], entry.data[CONF_ENDPOINT]
            )
            if check.other_region is not None:
                return self._offer_region(api_key, check.other_region)
            if not check.errors:
                return self.async_update_and_abort(
                    entry,
                    unique_id=_unique_id(entry.data[CONF_ENDPOINT], api_key),
                    data_updates={CONF_API_KEY: api_key},
                    reason="reauth_successful",
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=api_key_schema(),
            errors=check.errors,
            description_placeholders={
                "endpoint": entry.data[CONF_ENDPOINT],
                "api_key_url": _api_key_url(self.hass),
                **check.placeholders,
            },
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the region, endpoint or key."""
        entry = self._get_reconfigure_entry()
        check = KeyCheck()
        if user_input is not None:
            api_key = user_input.get(CONF_API_KEY) or entry.data[CONF_API_KEY]
            outcome = await self._connect(api_key, user_input)
            if not isinstance(outcome, KeyCheck):
                return outcome
            check = outcome
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=reconfigure_schema(user_input or entry.data),
            errors=check.errors,
            description_placeholders=check.placeholders,
        )


class QwenTTSOptionsFlow(OptionsFlow):
    """Edit the entry's options (all its profiles'); saving them reloads the entry.

    Each option is one field of `flow_schemas.options_schema`; an option left empty is not stored.
    """

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show every option with its current value."""
        if user_input is not None:
            return self.async_create_entry(
                data={key: value for key, value in user_input.items() if value is not None}
            )
        currency = self.hass.config.currency
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                options_schema(currency), self.config_entry.options
            ),
            description_placeholders={"pricing_url": PRICING_URL, "currency": currency},
        )
