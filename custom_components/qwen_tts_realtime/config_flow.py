"""The config flow (API key and region, then the first voice profile) and the options flow.

The entry flow checks a key before anything keeps it, for a new entry, reauthentication and
reconfiguring alike, with a probe: a handshake and a session without text, which bills nothing and
tells a refused key from a model the region does not serve. A key works only in its own region and
one refused elsewhere looks exactly like a wrong one, so a key entered for a vendor region is
probed in every vendor region at once (for reauthentication, once the entry's own refused it).
Where it works only in the region entered the flow goes straight on, as there is nothing to
choose; where it also works elsewhere, or only elsewhere, the region step lists where it works
with each handshake's measured time, the fastest preselected. A key entered for a custom endpoint
goes there alone. Voice profiles are subentries (profile_flow.py), whose voice step the first
profile shares.
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
from homeassistant.helpers.selector import SelectOptionDict
from homeassistant.helpers.translation import async_get_translations
from yarl import URL

from .const import (
    API_KEY_LINKS,
    CONF_ENDPOINT,
    CONF_MODEL,
    CONF_PRICE,
    CONF_REGION,
    CONF_WORKSPACE,
    DOMAIN,
    ENTRY_MINOR_VERSION,
    ENTRY_VERSION,
    PRICING_LINKS,
    SUBENTRY_TTS,
)
from .errors import form_placeholders, key_check_errors, no_region_errors, probe_errors
from .flow_schemas import (
    api_key_schema,
    connection_schema,
    model_schema,
    options_schema,
    reconfigure_schema,
    region_choice_schema,
)
from .profile_flow import VoiceProfileFlow, checked_profile, profile_title, voice_form
from .realtime import (
    DEFAULT_MODEL,
    InvalidEndpointError,
    ProbeOutcome,
    Region,
    RegionProbe,
    endpoint_for,
    probe_endpoint,
    probe_regions,
    workspace_of,
)

# How an entry is titled: entry titles are stored text, not translated.
_REGION_TITLES = {
    Region.INTERNATIONAL: "International",
    Region.MAINLAND_CHINA: "Mainland China",
    Region.HONG_KONG: "Hong Kong",
    Region.US: "US",
    Region.GERMANY: "Germany",
    Region.JAPAN: "Japan",
}

# A form's errors and the placeholders they show.
type Problem = tuple[dict[str, str], dict[str, str]]


def _entry_title(region: str, endpoint: str) -> str:
    """Name the entry after its region, or the host of a custom endpoint."""
    return f"Qwen TTS ({_REGION_TITLES.get(Region(region)) or URL(endpoint).host})"


def _unique_id(endpoint: str, api_key: str) -> str:
    """Identify a key at an endpoint without storing the key (a one-way digest)."""
    return hashlib.sha256(f"{endpoint}\n{api_key}".encode()).hexdigest()[:32]


def _first_model(entry: ConfigEntry) -> str:
    """Return the model an entry's key check asks for: its first profile's, as its setup does."""
    models = [sub.data[CONF_MODEL] for sub in entry.subentries.values() if CONF_MODEL in sub.data]
    return models[0] if models else DEFAULT_MODEL


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """What the probes said of a key: at the endpoint entered, and in every other region asked."""

    region: Region  # as entered: the regions without a shared host share Singapore's
    endpoint: str  # as entered (or stored)
    model: str
    chosen: RegionProbe  # of `endpoint`
    others: list[RegionProbe] = field(default_factory=list)

    @property
    def working(self) -> list[RegionProbe]:
        """Return where the key and the model work, the fastest handshake first."""
        found = [probe for probe in (self.chosen, *self.others) if probe.works]
        return sorted(found, key=lambda probe: probe.handshake_ms or 0.0)

    def where(self, probe: RegionProbe) -> tuple[Region, str]:
        """Return the region and endpoint of an entry that connects where `probe` asked."""
        if probe is self.chosen:
            return self.region, self.endpoint
        return probe.region, probe.endpoint

    def failure(self) -> RegionProbe | None:
        """Return the probe whose problem the form shows when the key works nowhere.

        The endpoint entered says why it failed, unless it refused the key: then a region that
        took the key says what else is wrong there (a model it lacks, say). None: every vendor
        region refused the key.
        """
        if self.chosen.outcome is not ProbeOutcome.KEY_REFUSED:
            return self.chosen
        if accepted := [probe for probe in self.others if probe.key_accepted]:
            return accepted[0]
        # A region out of reach may be the key's own: keep the hint that keys are regional.
        unsure = any(probe.outcome is ProbeOutcome.UNREACHABLE for probe in self.others)
        return self.chosen if unsure or not self.others else None


async def check_key(
    hass: HomeAssistant,
    api_key: str,
    region: Region,
    endpoint: str,
    model: str,
    *,
    everywhere: bool = True,
) -> KeyCheck:
    """Probe `api_key` and `model` at `endpoint` and, for a vendor region, in all of them at once.

    A custom endpoint is asked alone: a key entered for it goes to no other host. So is any
    endpoint when `everywhere` is False.
    """
    session = async_get_clientsession(hass)
    if region is Region.CUSTOM or not everywhere:
        probe = await probe_endpoint(session, api_key, endpoint, model, region=region)
        return KeyCheck(region, endpoint, model, probe)
    probes = await probe_regions(session, api_key, model, workspace=workspace_of(endpoint))
    chosen = next((probe for probe in probes if probe.endpoint == endpoint), None)
    if chosen is None:  # stored before the region's address changed: asked as well
        chosen = await probe_endpoint(session, api_key, endpoint, model, region=region)
    others = [probe for probe in probes if probe is not chosen]
    return KeyCheck(region, endpoint, model, chosen, others)


@dataclass(frozen=True, slots=True)
class Offer:
    """What the region step offers: where the key works, and why the region entered is not it."""

    api_key: str
    check: KeyCheck
    choices: dict[str, RegionProbe]  # option value (a region) → its probe, fastest first
    errors: dict[str, str]  # of the region entered, when it does not work
    placeholders: dict[str, str]


class QwenTTSConfigFlow(ConfigFlow, domain=DOMAIN):
    """Ask for the key and region, find where the key works, then create the first profile."""

    VERSION = ENTRY_VERSION
    MINOR_VERSION = ENTRY_MINOR_VERSION

    def __init__(self) -> None:
        """Start with nothing entered."""
        self._connection: dict[str, Any] = {}  # the key, region and endpoint that work
        self._measured = ""  # where the key works and its handshake time, as the user saw it
        self._profile: dict[str, Any] = {}  # the first profile's name and model
        self._offer: Offer | None = None  # where the key works, when there is a choice
        self._labels: dict[str, str] = {}  # the selectors' labels, in Home Assistant's language

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
        """Ask for the API key, the region and a workspace ID."""
        errors: dict[str, str] = {}
        placeholders = dict(API_KEY_LINKS)
        if user_input is not None:
            outcome = await self._connect(user_input[CONF_API_KEY], user_input, DEFAULT_MODEL)
            if not isinstance(outcome, tuple):
                return outcome
            errors, shown = outcome
            placeholders |= shown
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                connection_schema(user_input or {}), user_input
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_profile(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Say where the key works, and how fast; choose the first profile's name and model."""
        if user_input is not None:
            self._profile = user_input
            return await self.async_step_voice()
        return self.async_show_form(
            step_id="profile",
            data_schema=model_schema({}),
            description_placeholders={"connection": self._measured},
        )

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
                    "title": profile_title(self._profile[CONF_NAME]),
                    "unique_id": None,
                }
            ],
        )

    # --- where the key works ------------------------------------------------------------------

    async def _connect(
        self, api_key: str, user_input: Mapping[str, Any], model: str
    ) -> ConfigFlowResult | Problem:
        """Probe the key where the form says, and everywhere else for a vendor region; go on.

        Return the form's errors and their placeholders when the key works nowhere.
        """
        region = Region(user_input[CONF_REGION])
        try:
            endpoint = endpoint_for(
                region, user_input.get(CONF_ENDPOINT), workspace=user_input.get(CONF_WORKSPACE)
            )
        except InvalidEndpointError as err:
            return key_check_errors(err), {}
        return await self._go_on(
            api_key, await check_key(self.hass, api_key, region, endpoint, model)
        )

    async def _go_on(self, api_key: str, check: KeyCheck) -> ConfigFlowResult | Problem:
        """Use the endpoint entered when it alone works; else offer where the key works.

        Return the form's errors and their placeholders when the key works nowhere.
        """
        working = check.working
        if working == [check.chosen]:
            return await self._use_key(api_key, check, check.chosen)
        if not working:
            failed = check.failure()
            if failed is None:
                return no_region_errors(), {}
            return probe_errors(failed), await self._problem(failed, check.model)
        self._offer = Offer(
            api_key,
            check,
            choices={check.where(probe)[0].value: probe for probe in working},
            errors={} if check.chosen.works else probe_errors(check.chosen),
            placeholders=await self._problem(check.chosen, check.model),
        )
        return await self.async_step_region()

    async def async_step_region(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Offer where the key works with each handshake's measured time, the fastest first.

        The last option goes back to the step that asked for the key.
        """
        assert self._offer is not None
        offer = self._offer
        back = {SOURCE_REAUTH: "reauth_confirm", SOURCE_RECONFIGURE: "reconfigure"}.get(
            self.source or "", "user"
        )
        if user_input is not None:
            if (probe := offer.choices.get(user_input[CONF_REGION])) is not None:
                return await self._use_key(offer.api_key, offer.check, probe)
            self._offer = None
            if back == "reauth_confirm":
                return await self.async_step_reauth_confirm()
            if back == "reconfigure":
                return await self.async_step_reconfigure()
            return await self.async_step_user()
        options = [
            SelectOptionDict(value=value, label=await self._measure(probe, Region(value)))
            for value, probe in offer.choices.items()
        ]
        options.append(
            SelectOptionDict(value=back, label=await self._label(f"region_choice.options.{back}"))
        )
        return self.async_show_form(
            step_id="region",
            data_schema=region_choice_schema(options),
            errors=offer.errors,
            description_placeholders=offer.placeholders,
        )

    async def _label(self, key: str) -> str:
        """Return the selector label `key` (below `selector.`) in Home Assistant's language."""
        if not self._labels:
            self._labels = await async_get_translations(
                self.hass, self.hass.config.language, "selector", [DOMAIN]
            )
        return self._labels[f"component.{DOMAIN}.selector.{key}"]

    async def _name(self, probe: RegionProbe, region: Region | None = None) -> str:
        """Return where `probe` asked: the name of its region (or `region`), or a custom host."""
        region = region or probe.region
        if region is Region.CUSTOM:
            return URL(probe.endpoint).host or probe.endpoint
        return await self._label(f"region.options.{region.value}")

    async def _measure(self, probe: RegionProbe, region: Region | None = None) -> str:
        """Return where `probe` asked and its measured handshake time, as the user sees it."""
        return f"{await self._name(probe, region)} — {probe.handshake_ms or 0.0:.0f} ms"

    async def _problem(self, probe: RegionProbe, model: str) -> dict[str, str]:
        """Return the placeholders of a problem where `probe` asked: the region and the model."""
        return {
            "region": await self._name(probe),
            "model": model,
            **form_placeholders(probe.endpoint),
        }

    async def _use_key(self, api_key: str, check: KeyCheck, probe: RegionProbe) -> ConfigFlowResult:
        """Go on with a key that works where `probe` asked, as the step that asked for it wants.

        A new entry goes on to its first profile; reauthentication and reconfiguring change the
        entry.
        """
        region, endpoint = check.where(probe)
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
        self._measured = await self._measure(probe, region)
        return await self.async_step_profile()

    # --- changing the entry -------------------------------------------------------------------

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication when the service refused the key."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for a new key for the same endpoint; one its region refuses is looked for in all."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        placeholders = {"endpoint": entry.data[CONF_ENDPOINT], **API_KEY_LINKS}
        if user_input is not None:
            api_key = user_input[CONF_API_KEY]
            region, endpoint = Region(entry.data[CONF_REGION]), entry.data[CONF_ENDPOINT]
            model = _first_model(entry)
            check = await check_key(self.hass, api_key, region, endpoint, model, everywhere=False)
            if check.chosen.outcome is ProbeOutcome.KEY_REFUSED and region is not Region.CUSTOM:
                check = await check_key(self.hass, api_key, region, endpoint, model)
            outcome = await self._go_on(api_key, check)
            if not isinstance(outcome, tuple):
                return outcome
            errors, shown = outcome
            placeholders |= shown
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=api_key_schema(),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the region, workspace, endpoint or key."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        placeholders = dict(API_KEY_LINKS)
        if user_input is not None:
            api_key = user_input.get(CONF_API_KEY) or entry.data[CONF_API_KEY]
            outcome = await self._connect(api_key, user_input, _first_model(entry))
            if not isinstance(outcome, tuple):
                return outcome
            errors, shown = outcome
            placeholders |= shown
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=reconfigure_schema(user_input or _entry_settings(entry)),
            errors=errors,
            description_placeholders=placeholders,
        )


def _entry_settings(entry: ConfigEntry) -> dict[str, Any]:
    """Return an entry's settings as the reconfigure form shows them: a gateway as its workspace."""
    settings = dict(entry.data)
    if entry.data[CONF_REGION] != Region.CUSTOM:
        settings[CONF_WORKSPACE] = workspace_of(entry.data[CONF_ENDPOINT])
    return settings


class QwenTTSOptionsFlow(OptionsFlow):
    """Edit the entry's options (all its profiles'); saving them reloads the entry.

    Each option is one field of `flow_schemas.options_schema`; an option left empty is not stored.
    """

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show every option with its current value."""
        errors: dict[str, str] = {}
        if user_input is not None:
            # Checked here, not by the selector's minimum: the schema's own message is English.
            if user_input.get(CONF_PRICE, 0) < 0:
                errors[CONF_PRICE] = "price_negative"
            else:
                return self.async_create_entry(
                    data={key: value for key, value in user_input.items() if value is not None}
                )
        currency = self.hass.config.currency
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                options_schema(currency), user_input or self.config_entry.options
            ),
            errors=errors,
            description_placeholders={**PRICING_LINKS, "currency": currency},
        )
