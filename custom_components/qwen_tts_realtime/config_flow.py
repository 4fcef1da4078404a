"""Config flow: API key and region, voice profiles as subentries, reauth and reconfigure."""

from __future__ import annotations

from collections.abc import Mapping
import hashlib
from typing import TYPE_CHECKING, Any, override

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_API_KEY, CONF_LANGUAGE, CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    LanguageSelector,
    LanguageSelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from yarl import URL

if TYPE_CHECKING:  # Home Assistant 2026.x installs probatio as voluptuous: type against it.
    import probatio as vol
else:
    import voluptuous as vol

from .const import (
    API_KEY_URLS,
    CONF_ENDPOINT,
    CONF_INSTRUCTIONS,
    CONF_MODEL,
    CONF_PITCH_RATE,
    CONF_REGION,
    CONF_SAMPLE_RATE,
    CONF_SPEECH_RATE,
    CONF_VOICE,
    CONF_VOLUME,
    DEFAULT_PITCH_RATE,
    DEFAULT_PROFILE_NAME,
    DEFAULT_SAMPLE_RATE,
    DEFAULT_SPEECH_RATE,
    DEFAULT_VOLUME,
    DOMAIN,
    SUBENTRY_TTS,
)
from .errors import CONNECT_ERROR_KEYS as _CONNECT_ERRORS  # the one table, shared
from .options_flow import QwenTTSOptionsFlow
from .realtime import (
    DEFAULT_MODEL,
    DEFAULT_VOICE,
    SELECTABLE_MODELS,
    AuthenticationError,
    ConnectError,
    InvalidEndpointError,
    ModelInfo,
    RealtimeClient,
    RealtimeError,
    Region,
    ResponseTimeoutError,
    endpoint_for,
    model_info,
    voices_for,
)
from .realtime.endpoints import other_region
from .realtime.session_config import MAX_INSTRUCTIONS_CHARS
from .voice_check import check_voice
from .voice_flows import VoiceFlows, is_custom_voice

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


async def _handshake_error(hass: HomeAssistant, api_key: str, endpoint: str) -> str | None:
    """Return the form error of a handshake with `endpoint`, or None when it accepts the key."""
    try:
        await RealtimeClient(async_get_clientsession(hass), api_key, endpoint).check()
    except AuthenticationError:
        return "invalid_auth"
    except ResponseTimeoutError:
        return "connect_timeout"
    except ConnectError as err:
        return _CONNECT_ERRORS.get(err.reason, "cannot_connect")
    except RealtimeError:
        return "cannot_connect"
    return None


async def _validate_connection(
    hass: HomeAssistant, api_key: str, region: str, custom_endpoint: str | None
) -> tuple[str | None, dict[str, str], Region | None]:
    """Return the endpoint URL and the form errors (none when the key works there).

    A key is refused outside its region exactly like a wrong key, so a key a vendor region
    refuses is tried in the other one: the third value is that region when it accepts the key.
    """
    try:
        endpoint = endpoint_for(Region(region), custom_endpoint)
    except InvalidEndpointError:
        return None, {CONF_ENDPOINT: "invalid_url"}, None
    error = await _handshake_error(hass, api_key, endpoint)
    other = other_region(Region(region))
    if error != "invalid_auth" or other is None:
        return endpoint, {"base": error} if error else {}, None
    match await _handshake_error(hass, api_key, endpoint_for(other)):
        case None:
            return endpoint, {"base": "invalid_auth"}, other
        case "invalid_auth":
            return endpoint, {"base": "invalid_key"}, None
        case _:  # the other region cannot say: keep the hint that keys are bound to a region
            return endpoint, {"base": "invalid_auth"}, None


def _connection_schema(defaults: Mapping[str, Any], *, with_key: bool = True) -> vol.Schema:
    fields: dict[Any, Any] = {}
    if with_key:
        fields[vol.Required(CONF_API_KEY)] = TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        )
    fields[vol.Required(CONF_REGION, default=defaults.get(CONF_REGION, Region.INTERNATIONAL))] = (
        SelectSelector(
            SelectSelectorConfig(
                options=[region.value for region in Region],
                translation_key=CONF_REGION,
                mode=SelectSelectorMode.LIST,
            )
        )
    )
    endpoint_default = (
        defaults.get(CONF_ENDPOINT) if defaults.get(CONF_REGION) == Region.CUSTOM else None
    )
    fields[vol.Optional(CONF_ENDPOINT, description={"suggested_value": endpoint_default})] = (
        TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
    )
    return vol.Schema(fields)


def _model_schema(defaults: Mapping[str, Any]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_NAME, default=defaults.get(CONF_NAME, DEFAULT_PROFILE_NAME)): str,
            vol.Required(CONF_MODEL, default=defaults.get(CONF_MODEL, DEFAULT_MODEL)): (
                SelectSelector(
                    SelectSelectorConfig(
                        options=[model.name for model in SELECTABLE_MODELS],
                        translation_key=CONF_MODEL,
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                )
            ),
        }
    )


def _voice_schema(model_name: str, defaults: Mapping[str, Any], language: str) -> vol.Schema:
    model = model_info(model_name)
    voice_options = [
        SelectOptionDict(value=voice.voice_id, label=voice.label(language))
        for voice in voices_for(model, model.languages[0])
    ]
    default_voice = defaults.get(CONF_VOICE) or ("" if model.custom_voices_only else DEFAULT_VOICE)
    base_language = language.split("-", maxsplit=1)[0]
    fields: dict[Any, Any] = {
        vol.Required(CONF_VOICE, default=default_voice): SelectSelector(
            SelectSelectorConfig(
                options=voice_options, custom_value=True, mode=SelectSelectorMode.DROPDOWN
            )
        ),
        vol.Required(
            CONF_LANGUAGE,
            default=defaults.get(
                CONF_LANGUAGE,
                base_language
                if base_language in model.languages
                else model.languages[1 % len(model.languages)],
            ),
        ): LanguageSelector(LanguageSelectorConfig(languages=list(model.languages))),
        vol.Required(
            CONF_SAMPLE_RATE, default=str(defaults.get(CONF_SAMPLE_RATE, DEFAULT_SAMPLE_RATE))
        ): SelectSelector(
            SelectSelectorConfig(
                options=[str(rate) for rate in model.sample_rates],
                translation_key=CONF_SAMPLE_RATE,
                mode=SelectSelectorMode.DROPDOWN,
            )
        ),
    }
    if model.prosody:
        for key, default, low, high, step in (
            (CONF_SPEECH_RATE, DEFAULT_SPEECH_RATE, 0.5, 2.0, 0.05),
            (CONF_VOLUME, DEFAULT_VOLUME, 0, 100, 1),
            (CONF_PITCH_RATE, DEFAULT_PITCH_RATE, 0.5, 2.0, 0.05),
        ):
            fields[vol.Required(key, default=defaults.get(key, default))] = NumberSelector(
                NumberSelectorConfig(min=low, max=high, step=step, mode=NumberSelectorMode.SLIDER)
            )
    if model.instructions:
        fields[
            vol.Optional(
                CONF_INSTRUCTIONS, description={"suggested_value": defaults.get(CONF_INSTRUCTIONS)}
            )
        ] = TextSelector(TextSelectorConfig(multiline=True))
    return vol.Schema(fields)


def _carried_over(defaults: Mapping[str, Any], model: ModelInfo) -> dict[str, Any]:
    """Keep the settings of a profile's old model that its new model takes as they are."""
    kept = {key: defaults[key] for key in (CONF_SPEECH_RATE, CONF_VOLUME, CONF_PITCH_RATE)
            if key in defaults and model.prosody}  # fmt: skip
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
    return kept


def _profile_data(
    model_name: str, user_input: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the profile's data, or form errors."""
    data: dict[str, Any] = {CONF_MODEL: model_name, **user_input}
    data[CONF_VOICE] = str(data.get(CONF_VOICE, "")).strip()
    data[CONF_SAMPLE_RATE] = int(data[CONF_SAMPLE_RATE])
    if CONF_VOLUME in data:
        data[CONF_VOLUME] = int(data[CONF_VOLUME])
    if not data.get(CONF_INSTRUCTIONS):
        data.pop(CONF_INSTRUCTIONS, None)
    if not data[CONF_VOICE]:
        return data, {CONF_VOICE: "voice_required"}
    # The selectors already bound every number; only the free text needs a check here.
    if len(data.get(CONF_INSTRUCTIONS, "")) > MAX_INSTRUCTIONS_CHARS:
        return data, {CONF_INSTRUCTIONS: "instructions_too_long"}
    return data, {}


class QwenTTSConfigFlow(ConfigFlow, domain=DOMAIN):
    """Ask for the key and region, check them with a handshake, then create the first profile."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing entered."""
        self._connection: dict[str, Any] = {}
        self._profile: dict[str, Any] = {}
        self._key_elsewhere = ""  # a key refused in the chosen region but accepted in the other

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
            endpoint, errors, key_region = await _validate_connection(
                self.hass,
                user_input[CONF_API_KEY],
                user_input[CONF_REGION],
                user_input.get(CONF_ENDPOINT),
            )
            if key_region is not None:
                self._key_elsewhere = user_input[CONF_API_KEY]
                return self._offer_region(key_region)
            if not errors and endpoint:
                await self.async_set_unique_id(_unique_id(endpoint, user_input[CONF_API_KEY]))
                self._abort_if_unique_id_configured()
                self._connection = {**user_input, CONF_ENDPOINT: endpoint}
                return await self.async_step_profile()
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _connection_schema(user_input or {}), user_input
            ),
            errors=errors,
            description_placeholders={"api_key_url": _api_key_url(self.hass)},
        )

    async def async_step_profile(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the first voice profile's name and model."""
        if user_input is not None:
            self._profile = user_input
            return await self.async_step_voice()
        return self.async_show_form(step_id="profile", data_schema=_model_schema({}))

    async def async_step_voice(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the first profile's voice and how it speaks."""
        model = self._profile[CONF_MODEL]
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = _profile_data(model, user_input)
            if not errors:
                errors = await check_voice(
                    self.hass,
                    self._connection[CONF_API_KEY],
                    self._connection[CONF_ENDPOINT],
                    data,
                )
            if not errors:
                region = Region(self._connection[CONF_REGION])
                return self.async_create_entry(
                    title=_entry_title(region, self._connection[CONF_ENDPOINT]),
                    data={
                        CONF_API_KEY: self._connection[CONF_API_KEY],
                        CONF_REGION: region.value,
                        CONF_ENDPOINT: self._connection[CONF_ENDPOINT],
                    },
                    subentries=[
                        {
                            "subentry_type": SUBENTRY_TTS,
                            "data": data,
                            "title": self._profile[CONF_NAME],
                            "unique_id": None,
                        }
                    ],
                )
        return self.async_show_form(
            step_id="voice",
            data_schema=_voice_schema(model, user_input or {}, self.hass.config.language),
            errors=errors,
            description_placeholders={"model": model},
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
            _, errors, key_region = await _validate_connection(
                self.hass,
                user_input[CONF_API_KEY],
                entry.data[CONF_REGION],
                entry.data[CONF_ENDPOINT],
            )
            if key_region is not None:
                self._key_elsewhere = user_input[CONF_API_KEY]
                return self._offer_region(key_region)
            if not errors:
                return self.async_update_and_abort(
                    entry,
                    unique_id=_unique_id(entry.data[CONF_ENDPOINT], user_input[CONF_API_KEY]),
                    data_updates={CONF_API_KEY: user_input[CONF_API_KEY]},
                    reason="reauth_successful",
                )
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_API_KEY): TextSelector(
                        TextSelectorConfig(type=TextSelectorType.PASSWORD)
                    )
                }
            ),
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
            api_key = user_input.get(CONF_API_KEY) or entry.data[CONF_API_KEY]
            endpoint, errors, key_region = await _validate_connection(
                self.hass, api_key, user_input[CONF_REGION], user_input.get(CONF_ENDPOINT)
            )
            if key_region is not None:
                self._key_elsewhere = api_key
                return self._offer_region(key_region)
            if not errors and endpoint:
                return await self._reconfigure_to(
                    api_key, Region(user_input[CONF_REGION]), endpoint
                )
        schema = _connection_schema(user_input or entry.data, with_key=False).extend(
            {
                vol.Optional(CONF_API_KEY): TextSelector(
                    TextSelectorConfig(type=TextSelectorType.PASSWORD)
                )
            }
        )
        return self.async_show_form(step_id="reconfigure", data_schema=schema, errors=errors)

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

    def _offer_region(self, region: Region) -> ConfigFlowResult:
        """Say which region accepts the key and offer it in one click, or going back."""
        back = {SOURCE_REAUTH: "reauth_confirm", SOURCE_RECONFIGURE: "reconfigure"}
        return self.async_show_menu(
            step_id=f"key_in_{region.value}",
            menu_options=[f"use_{region.value}", back.get(self.source or "", "user")],
        )

    async def async_step_key_in_international(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the International region, which accepts the key the chosen one refused."""
        return self._offer_region(Region.INTERNATIONAL)

    async def async_step_key_in_mainland_china(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the Mainland China region, which accepts the key the chosen one refused."""
        return self._offer_region(Region.MAINLAND_CHINA)

    async def async_step_use_international(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Use the key in the International region, which accepted it."""
        return await self._use_region(Region.INTERNATIONAL)

    async def async_step_use_mainland_china(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Use the key in the Mainland China region, which accepted it."""
        return await self._use_region(Region.MAINLAND_CHINA)

    async def _use_region(self, region: Region) -> ConfigFlowResult:
        api_key, endpoint = self._key_elsewhere, endpoint_for(region)
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


class VoiceProfileFlow(VoiceFlows, ConfigSubentryFlow):
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
        if user_input is not None:
            self._profile = user_input
            return await self.async_step_voice()
        defaults = self._defaults or {CONF_NAME: self._unused_name()}
        return self.async_show_form(step_id="system_voice", data_schema=_model_schema(defaults))

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

    async def async_step_voice(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Choose the voice and how it speaks."""
        model = self._profile[CONF_MODEL]
        errors: dict[str, str] = {}
        if user_input is not None:
            entry = self._get_entry()
            data, errors = _profile_data(model, user_input)
            if not errors and data[CONF_VOICE] != self._proven_voice:
                errors = await check_voice(
                    self.hass, entry.data[CONF_API_KEY], entry.data[CONF_ENDPOINT], data
                )
            if not errors:
                title = self._profile[CONF_NAME]
                if self.source == "reconfigure":
                    return self.async_update_and_abort(
                        entry,
                        self._get_reconfigure_subentry(),
                        data=data,
                        title=title,
                        reason="reconfigure_successful",  # this integration's string, translated
                    )
                return self.async_create_entry(title=title, data=data)
        defaults = user_input or _carried_over(self._defaults, model_info(model))
        return self.async_show_form(
            step_id="voice",
            data_schema=_voice_schema(model, defaults, self.hass.config.language),
            errors=errors,
            description_placeholders={"model": model},
        )
