"""The entry flow asks every vendor region whether it takes the key, and offers the nearest.

The vendor regions are emulators behind their real host names (the `regions` fixture); each test
says which regions take which key, which lack the model and which are slow. "Slow" is a handshake
delay of a second, far beyond the noise of a loaded machine: the order it gives is behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping
import json
import re
from typing import Any

from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntryState,
    ConfigFlowResult,
    ConfigSubentryData,
)
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.qwen_tts_realtime.const import (
    API_KEY_LINKS,
    CONF_ENDPOINT,
    CONF_KEEP_WARM,
    CONF_REGION,
    DOMAIN,
    SUBENTRY_TTS,
    KeepWarm,
)
from custom_components.qwen_tts_realtime.realtime import DEFAULT_MODEL, Region, endpoint_for
from custom_components.qwen_tts_realtime.realtime.endpoints import UNDEPLOYED_CODE, VENDOR_REGIONS
from qwen_tts_emulator import Fault, Scenario, VendorRegions, default_models

from .helpers import PROFILE, setup_entry
from .test_config_flow import VOICE_STEP

WORKSPACE = "llm-0123abcd"
SLOW = 1.0  # seconds of handshake delay
KEYS = {region: f"sk-{region.value.replace('_', '-')}-0123456789" for region in VENDOR_REGIONS}
# Where a key of each region is entered by mistake.
MISTAKEN = {
    region: Region.MAINLAND_CHINA if region is Region.INTERNATIONAL else Region.INTERNATIONAL
    for region in VENDOR_REGIONS
}
# The regions with a shared host of their own: without a workspace ID, the others are Singapore's.
SHARED_HOSTS = [Region.INTERNATIONAL, Region.MAINLAND_CHINA, Region.HONG_KONG]
MEASURED = re.compile(r"^(?P<name>.+) — (?P<ms>\d+) ms$")
TITLES = {
    Region.INTERNATIONAL: "Qwen TTS (International)",
    Region.MAINLAND_CHINA: "Qwen TTS (Mainland China)",
    Region.HONG_KONG: "Qwen TTS (Hong Kong)",
    Region.US: "Qwen TTS (US)",
    Region.GERMANY: "Qwen TTS (Germany)",
    Region.JAPAN: "Qwen TTS (Japan)",
}


def own_keys(regions: VendorRegions, **scenario: Any) -> None:
    """Let each region take only the key created in it."""
    for region, emulator in regions.emulators.items():
        emulator.scenario = Scenario(api_keys=frozenset({KEYS[region]}), **scenario)


def taking(regions: VendorRegions, key: str, *where: Region, slow: Region | None = None) -> None:
    """Let `where` take `key` (`slow` after a slow handshake); every other region refuses it."""
    for region, emulator in regions.emulators.items():
        emulator.scenario = Scenario(
            api_keys=frozenset({key}) if region in where else frozenset({"sk-someone-else"}),
            handshake_delay=SLOW if region is slow else 0.0,
        )


def without_model(key: str, model: str = DEFAULT_MODEL) -> Scenario:
    """A region that takes `key` but does not serve `model`."""
    models = default_models()
    del models[model]
    return Scenario(api_keys=frozenset({key}), models=models)


def region_entry(region: Region, api_key: str, workspace: str | None = None) -> MockConfigEntry:
    """Return an entry of a vendor region, with one profile and no spare connection."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=TITLES[region],
        data={
            CONF_API_KEY: api_key,
            CONF_REGION: region.value,
            CONF_ENDPOINT: endpoint_for(region, workspace=workspace),
        },
        options={CONF_KEEP_WARM: KeepWarm.OFF},
        subentries_data=[
            ConfigSubentryData(
                subentry_type=SUBENTRY_TTS, title="Qwen TTS", data=PROFILE, unique_id=None
            )
        ],
    )


def connection_in(region: Region, api_key: str, workspace: str | None = None) -> dict[str, str]:
    """The entry data of `api_key` used in `region`."""
    endpoint = endpoint_for(region, workspace=workspace)
    return {"api_key": api_key, "region": region.value, "endpoint": endpoint}


async def submit_user_step(
    hass: HomeAssistant, api_key: str, region: Region | str, **more: str
) -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": api_key, "region": str(region), **more}
    )


def offered(result: ConfigFlowResult) -> list[tuple[str, str]]:
    """The region step's options as (value, label), in the order shown."""
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "region"
    assert result["data_schema"] is not None
    selector = result["data_schema"].schema["region"]
    return [(option["value"], option["label"]) for option in selector.config["options"]]


def shown(result: ConfigFlowResult) -> Mapping[str, str]:
    """The placeholders the step's texts (and errors) show."""
    return result.get("description_placeholders") or {}


def measured(label: str) -> tuple[str, int]:
    """A region's name and its handshake time in milliseconds, from its label."""
    found = MEASURED.match(label)
    assert found is not None, label
    return found["name"], int(found["ms"])


def preselected(result: ConfigFlowResult) -> str:
    assert result["data_schema"] is not None
    value: str = result["data_schema"]({})["region"]
    return value


async def choose(hass: HomeAssistant, result: ConfigFlowResult, value: str) -> ConfigFlowResult:
    assert value in dict(offered(result))
    return await hass.config_entries.flow.async_configure(result["flow_id"], {"region": value})


async def create_entry(hass: HomeAssistant, result: ConfigFlowResult) -> ConfigFlowResult:
    """Walk the first profile's steps from the profile step; return the created entry's result."""
    assert result["step_id"] == "profile"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": "Kitchen", "model": DEFAULT_MODEL}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], VOICE_STEP)
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    return result


def asked(regions: VendorRegions) -> dict[Region, int]:
    """How many handshakes each region was asked for."""
    return {region: e.handshake_attempts for region, e in regions.emulators.items()}


# --- what the form asks -------------------------------------------------------------------------


async def test_the_form_offers_the_six_regions_a_custom_endpoint_and_a_workspace_id(
    hass: HomeAssistant,
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    assert result["data_schema"] is not None
    schema = result["data_schema"].schema
    assert schema["region"].config["options"] == [
        "international",
        "mainland_china",
        "hong_kong",
        "us",
        "germany",
        "japan",
        "custom",
    ]
    assert result["data_schema"]({"api_key": "sk-x"})["region"] == "international"
    assert "workspace" in schema
    assert "workspace" not in result["data_schema"]({"api_key": "sk-x"})  # optional, no default


# --- the region entered takes the key -----------------------------------------------------------


async def test_a_key_of_the_region_entered_goes_straight_on_with_its_time_shown(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    own_keys(regions)

    result = await submit_user_step(hass, KEYS[Region.HONG_KONG], Region.HONG_KONG)

    assert result["step_id"] == "profile"
    assert measured(shown(result)["connection"])[0] == "China (Hong Kong)"
    # Every region with a shared host of its own was asked, each once.
    assert asked(regions) == {r: int(r in SHARED_HOSTS) for r in VENDOR_REGIONS}
    result = await create_entry(hass, result)
    assert result["result"].data == connection_in(Region.HONG_KONG, KEYS[Region.HONG_KONG])
    assert result["title"] == TITLES[Region.HONG_KONG]


@pytest.mark.parametrize("region", VENDOR_REGIONS)
async def test_a_workspace_entry_connects_to_its_gateway_with_the_workspace_header(
    hass: HomeAssistant, regions: VendorRegions, region: Region
) -> None:
    own_keys(regions)

    result = await submit_user_step(hass, KEYS[region], region, workspace=WORKSPACE)
    result = await create_entry(hass, result)

    assert result["title"] == TITLES[region]
    assert result["result"].data == connection_in(region, KEYS[region], WORKSPACE)
    assert result["result"].state is ConfigEntryState.LOADED
    # The probe and the entry's own connections all went to the gateway, naming the workspace.
    sessions = regions.emulators[region].sessions
    assert len(sessions) >= 2
    assert {s.header("X-DashScope-WorkSpace") for s in sessions} == {WORKSPACE}


async def test_a_malformed_workspace_id_is_refused_on_its_field_before_any_socket(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    result = await submit_user_step(hass, "sk-x", Region.GERMANY, workspace="ws.evil.example")

    assert result["errors"] == {"workspace": "invalid_workspace"}
    assert not regions.asked


# --- the key works elsewhere --------------------------------------------------------------------


@pytest.mark.parametrize("home", VENDOR_REGIONS)
async def test_a_key_is_found_in_its_region_among_all_six(
    hass: HomeAssistant, regions: VendorRegions, home: Region
) -> None:
    own_keys(regions)

    result = await submit_user_step(hass, KEYS[home], MISTAKEN[home], workspace=WORKSPACE)

    assert [value for value, _ in offered(result)] == [home.value, "user"]
    assert result["errors"] == {"base": "invalid_auth"}  # why the region entered is not listed
    result = await create_entry(hass, await choose(hass, result, home.value))
    assert result["result"].data == connection_in(home, KEYS[home], WORKSPACE)
    assert result["result"].state is ConfigEntryState.LOADED


@pytest.mark.parametrize("home", SHARED_HOSTS)
async def test_without_a_workspace_the_key_is_found_at_its_regions_shared_host(
    hass: HomeAssistant, regions: VendorRegions, home: Region
) -> None:
    own_keys(regions)

    result = await submit_user_step(hass, KEYS[home], MISTAKEN[home])

    assert [value for value, _ in offered(result)] == [home.value, "user"]
    result = await create_entry(hass, await choose(hass, result, home.value))
    assert result["result"].data == connection_in(home, KEYS[home])


async def test_the_fastest_region_is_preselected_with_the_measured_times_shown(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    key = "sk-everywhere-0123456789"
    taking(regions, key, Region.INTERNATIONAL, Region.GERMANY, Region.JAPAN, slow=Region.JAPAN)

    result = await submit_user_step(hass, key, Region.JAPAN, workspace=WORKSPACE)

    *regions_offered, back = offered(result)
    assert back[0] == "user"
    assert {value for value, _ in regions_offered} == {"international", "germany", "japan"}
    assert regions_offered[-1][0] == "japan"  # the region entered, and the slow one
    assert preselected(result) == regions_offered[0][0]
    shown_times = {value: measured(label) for value, label in regions_offered}
    assert {value: name for value, (name, _) in shown_times.items()} == {
        "international": "International (Singapore)",
        "germany": "Germany (Frankfurt)",
        "japan": "Japan (Tokyo)",
    }
    times = [ms for _, ms in shown_times.values()]
    assert times == sorted(times)
    assert not result["errors"]  # the region entered works too


async def test_the_nearest_region_chosen_becomes_the_entrys(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    key = "sk-everywhere-0123456789"
    taking(regions, key, Region.GERMANY, Region.JAPAN, slow=Region.JAPAN)

    result = await submit_user_step(hass, key, Region.JAPAN, workspace=WORKSPACE)
    result = await create_entry(hass, await choose(hass, result, preselected(result)))

    assert result["result"].data == connection_in(Region.GERMANY, key, WORKSPACE)
    assert result["title"] == TITLES[Region.GERMANY]


async def test_the_times_are_shown_in_home_assistants_language(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    hass.config.language = "zh-Hans"
    key = "sk-everywhere-0123456789"
    taking(regions, key, Region.GERMANY, Region.JAPAN)

    result = await submit_user_step(hass, key, Region.JAPAN, workspace=WORKSPACE)

    labels = dict(offered(result))
    assert measured(labels["germany"])[0] == "德国（法兰克福）"
    assert labels["user"] == "都不选：输入其他密钥或地域"


async def test_going_back_shows_the_form_again(hass: HomeAssistant, regions: VendorRegions) -> None:
    own_keys(regions)
    result = await submit_user_step(hass, KEYS[Region.MAINLAND_CHINA], Region.INTERNATIONAL)

    result = await choose(hass, result, "user")

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert not result["errors"]


# --- the key works nowhere ----------------------------------------------------------------------


async def test_a_key_no_region_accepts_is_called_invalid(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    own_keys(regions)

    result = await submit_user_step(hass, "sk-deleted-key", Region.GERMANY, workspace=WORKSPACE)

    assert result["errors"] == {"base": "invalid_key"}
    assert asked(regions) == dict.fromkeys(VENDOR_REGIONS, 1)


async def test_a_region_out_of_reach_keeps_the_hint_that_keys_are_regional(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    own_keys(regions)
    regions.emulators[Region.MAINLAND_CHINA].scenario = Scenario(handshake_status=503)

    result = await submit_user_step(hass, "sk-some-key", Region.INTERNATIONAL)

    assert result["errors"] == {"base": "invalid_auth"}


async def test_a_region_without_the_model_says_so_instead_of_refusing_the_key(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    own_keys(regions)
    regions.emulators[Region.HONG_KONG].scenario = without_model(KEYS[Region.HONG_KONG])

    result = await submit_user_step(hass, KEYS[Region.HONG_KONG], Region.HONG_KONG)

    assert result["errors"] == {"base": "model_missing"}
    assert shown(result) == {
        **API_KEY_LINKS,
        "region": "China (Hong Kong)",
        "model": DEFAULT_MODEL,
        "host": "cn-hongkong.dashscope.aliyuncs.com",
    }


async def test_the_keys_region_without_the_model_is_named_when_another_was_entered(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    own_keys(regions)
    regions.emulators[Region.HONG_KONG].scenario = without_model(KEYS[Region.HONG_KONG])

    result = await submit_user_step(hass, KEYS[Region.HONG_KONG], Region.INTERNATIONAL)

    assert result["errors"] == {"base": "model_missing"}
    assert shown(result)["region"] == "China (Hong Kong)"


async def test_a_gateway_refusing_a_model_the_workspace_lacks_says_so(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    own_keys(regions)
    key = KEYS[Region.GERMANY]
    undeployed = Fault(kind="error", at="after_created", code=UNDEPLOYED_CODE, then="close")
    regions.emulators[Region.GERMANY].scenario = Scenario(
        api_keys=frozenset({key}), faults=[undeployed]
    )

    result = await submit_user_step(hass, key, Region.GERMANY, workspace=WORKSPACE)

    assert result["errors"] == {"base": "model_not_deployed"}
    assert shown(result)["region"] == "Germany (Frankfurt)"


async def test_the_shared_host_serves_what_the_gateway_refuses(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    own_keys(regions)
    key = KEYS[Region.INTERNATIONAL]
    regions.emulators[Region.INTERNATIONAL].scenario = Scenario(
        api_keys=frozenset({key}), undeployed_models=frozenset({DEFAULT_MODEL})
    )

    result = await submit_user_step(hass, key, Region.INTERNATIONAL)

    assert result["step_id"] == "profile"


async def test_a_custom_endpoint_is_asked_alone(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    own_keys(regions)
    endpoint = endpoint_for(Region.INTERNATIONAL)

    result = await submit_user_step(hass, KEYS[Region.MAINLAND_CHINA], "custom", endpoint=endpoint)

    assert result["errors"] == {"base": "invalid_auth"}
    assert set(regions.asked) == {"dashscope-intl.aliyuncs.com"}
    assert asked(regions)[Region.MAINLAND_CHINA] == 0


# --- reauthentication and reconfiguring ---------------------------------------------------------


async def test_reauth_with_a_key_of_the_entrys_region_asks_no_other(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    own_keys(regions)
    entry = region_entry(Region.MAINLAND_CHINA, "sk-revoked")
    entry.add_to_hass(hass)

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": KEYS[Region.MAINLAND_CHINA]}
    )

    assert result["reason"] == "reauth_successful"
    assert entry.data == connection_in(Region.MAINLAND_CHINA, KEYS[Region.MAINLAND_CHINA])
    assert asked(regions) == {r: int(r is Region.MAINLAND_CHINA) for r in VENDOR_REGIONS}


async def test_reauth_moves_the_entry_to_the_new_keys_region(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    own_keys(regions)
    entry = region_entry(Region.INTERNATIONAL, KEYS[Region.INTERNATIONAL], WORKSPACE)
    await setup_entry(hass, entry)

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": KEYS[Region.GERMANY]}
    )
    assert [value for value, _ in offered(result)] == ["germany", "reauth_confirm"]
    result = await choose(hass, result, "germany")
    await hass.async_block_till_done()

    assert result["reason"] == "reauth_successful"
    assert entry.data == connection_in(Region.GERMANY, KEYS[Region.GERMANY], WORKSPACE)
    assert entry.state is ConfigEntryState.LOADED


async def test_reauth_can_go_back_to_enter_another_key(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    own_keys(regions)
    entry = region_entry(Region.INTERNATIONAL, KEYS[Region.INTERNATIONAL])
    entry.add_to_hass(hass)

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": KEYS[Region.MAINLAND_CHINA]}
    )
    result = await choose(hass, result, "reauth_confirm")

    assert result["step_id"] == "reauth_confirm"
    assert not result["errors"]


async def test_reconfigure_shows_the_entrys_workspace(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    entry = region_entry(Region.JAPAN, KEYS[Region.JAPAN], WORKSPACE)
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)

    assert result["data_schema"] is not None
    shown = {str(key): key.description for key in result["data_schema"].schema}
    assert result["data_schema"]({})["region"] == "japan"
    assert shown["workspace"] == {"suggested_value": WORKSPACE}


async def test_reconfigure_to_a_workspace_moves_the_entry_to_its_gateway(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    entry = region_entry(Region.GERMANY, "sk-test-0123456789abcdef")
    await setup_entry(hass, entry)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"region": "germany", "workspace": WORKSPACE}
    )
    # Every gateway takes the fixture's key: the region step lists them all.
    assert len(offered(result)) == len(VENDOR_REGIONS) + 1
    result = await choose(hass, result, "germany")
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_ENDPOINT] == endpoint_for(Region.GERMANY, workspace=WORKSPACE)
    assert entry.state is ConfigEntryState.LOADED
    last = regions.emulators[Region.GERMANY].sessions[-1]
    assert last.header("X-DashScope-WorkSpace") == WORKSPACE


@pytest.mark.parametrize("new_key", [False, True], ids=["region-changed", "key-of-another-region"])
async def test_reconfigure_refused_in_a_region_offers_the_keys_region(
    hass: HomeAssistant, regions: VendorRegions, new_key: bool
) -> None:
    """The key stays and the region changes to a wrong one, or a key of another is entered."""
    own_keys(regions)
    home, other = Region.MAINLAND_CHINA, Region.INTERNATIONAL
    entry = region_entry(other, KEYS[other]) if new_key else region_entry(home, KEYS[home])
    await setup_entry(hass, entry)

    result = await entry.start_reconfigure_flow(hass)
    user_input = {"region": other.value} | ({"api_key": KEYS[home]} if new_key else {})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert [value for value, _ in offered(result)] == [home.value, "reconfigure"]
    result = await choose(hass, result, home.value)
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert entry.data == connection_in(home, KEYS[home])
    assert entry.title == TITLES[home]  # the generated title follows the region
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_asks_for_the_model_the_entrys_profile_speaks(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    own_keys(regions)
    key = KEYS[Region.HONG_KONG]
    regions.emulators[Region.HONG_KONG].scenario = without_model(key, PROFILE["model"])
    entry = region_entry(Region.INTERNATIONAL, key)
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"region": "hong_kong"}
    )

    assert result["errors"] == {"base": "model_missing"}
    assert shown(result)["model"] == PROFILE["model"]


# --- what the offer says ------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
async def test_the_offer_is_translated(
    hass: HomeAssistant, regions: VendorRegions, language: str
) -> None:
    own_keys(regions)
    result = await submit_user_step(hass, KEYS[Region.US], Region.JAPAN, workspace=WORKSPACE)
    strings = await async_get_translations(hass, language, "config", [DOMAIN])
    labels = await async_get_translations(hass, language, "selector", [DOMAIN])
    step = f"component.{DOMAIN}.config.step.{result['step_id']}"

    for part in ("title", "description", "data.region", "data_description.region"):
        assert strings[f"{step}.{part}"]
    for back in ("user", "reauth_confirm", "reconfigure"):
        assert labels[f"component.{DOMAIN}.selector.region_choice.options.{back}"]
    for error in ("invalid_key", "model_missing", "model_not_deployed"):
        assert strings[f"component.{DOMAIN}.config.error.{error}"]


async def test_diagnostics_hide_the_workspace_id_of_a_gateway_entry(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, regions: VendorRegions
) -> None:
    assert await async_setup_component(hass, "diagnostics", {})
    own_keys(regions)
    entry = region_entry(Region.GERMANY, KEYS[Region.GERMANY], WORKSPACE)
    await setup_entry(hass, entry)

    diagnostics: Any = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert WORKSPACE not in json.dumps(diagnostics)
    assert diagnostics["entry"]["data"]["endpoint"] == endpoint_for(
        Region.GERMANY, workspace=WORKSPACE
    ).replace(WORKSPACE, "**REDACTED**")
