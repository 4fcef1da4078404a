"""A key refused in the chosen region is tried in the other one, which the form then offers.

The vendor regions are emulators behind their real host names (the `regions` fixture); the two
offered here each take only their own key.
"""

from __future__ import annotations

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
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.qwen_tts_realtime.const import (
    CONF_ENDPOINT,
    CONF_REGION,
    DOMAIN,
    SUBENTRY_TTS,
)
from custom_components.qwen_tts_realtime.realtime import Region, endpoint_for
from qwen_tts_emulator import Scenario, VendorRegions

from .helpers import PROFILE, setup_entry
from .test_config_flow import VOICE_STEP

KEYS = {Region.INTERNATIONAL: "sk-intl-0123456789", Region.MAINLAND_CHINA: "sk-cn-0123456789"}
OTHER = {Region.INTERNATIONAL: Region.MAINLAND_CHINA, Region.MAINLAND_CHINA: Region.INTERNATIONAL}
BOTH_WAYS = pytest.mark.parametrize(
    "home", [Region.INTERNATIONAL, Region.MAINLAND_CHINA], ids=["intl-key", "china-key"]
)


@pytest.fixture(autouse=True)
def own_keys(regions: VendorRegions) -> None:
    """Each of the two regions takes only the key created in it."""
    for region, key in KEYS.items():
        regions.emulators[region].scenario = Scenario(api_keys=frozenset({key}))


def region_entry(region: Region, api_key: str) -> MockConfigEntry:
    """Return an entry of a vendor region, with one profile."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Qwen TTS ({region})",
        data={
            CONF_API_KEY: api_key,
            CONF_REGION: region.value,
            CONF_ENDPOINT: endpoint_for(region),
        },
        subentries_data=[
            ConfigSubentryData(
                subentry_type=SUBENTRY_TTS, title="Qwen TTS", data=PROFILE, unique_id=None
            )
        ],
    )


def connection_in(region: Region) -> dict[str, str]:
    """The entry data of the key created in `region`, used there."""
    return {"api_key": KEYS[region], "region": region.value, "endpoint": endpoint_for(region)}


async def submit_user_step(hass: HomeAssistant, api_key: str, region: Region) -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": api_key, "region": region.value}
    )


async def choose(hass: HomeAssistant, result: ConfigFlowResult, option: str) -> ConfigFlowResult:
    assert result["type"] is FlowResultType.MENU
    assert option in result["menu_options"]
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": option}
    )


@BOTH_WAYS
async def test_setup_offers_the_region_that_accepts_the_key(
    hass: HomeAssistant, regions: VendorRegions, home: Region
) -> None:
    result = await submit_user_step(hass, KEYS[home], OTHER[home])

    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == f"key_in_{home}"
    assert result["menu_options"] == [f"use_{home}", "user"]


@BOTH_WAYS
async def test_one_click_creates_the_entry_in_the_keys_region(
    hass: HomeAssistant, regions: VendorRegions, home: Region
) -> None:
    result = await submit_user_step(hass, KEYS[home], OTHER[home])
    result = await choose(hass, result, f"use_{home}")
    assert result["step_id"] == "profile"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": "Kitchen", "model": "qwen3-tts-flash-realtime"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], VOICE_STEP)
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].data == connection_in(home)
    assert result["result"].state is ConfigEntryState.LOADED


async def test_going_back_shows_the_form_again(hass: HomeAssistant, regions: VendorRegions) -> None:
    result = await submit_user_step(hass, KEYS[Region.MAINLAND_CHINA], Region.INTERNATIONAL)
    result = await choose(hass, result, "user")

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert not result["errors"]


async def test_a_key_no_region_accepts_is_called_invalid(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    result = await submit_user_step(hass, "sk-deleted-key", Region.INTERNATIONAL)

    assert result["errors"] == {"base": "invalid_key"}
    assert [regions.emulators[region].handshakes_rejected for region in KEYS] == [1, 1]


async def test_an_unreachable_other_region_keeps_the_region_hint(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    regions.emulators[Region.MAINLAND_CHINA].scenario = Scenario(handshake_status=503)
    result = await submit_user_step(hass, "sk-some-key", Region.INTERNATIONAL)

    assert result["errors"] == {"base": "invalid_auth"}


async def test_a_custom_endpoint_tries_no_other_region(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "api_key": KEYS[Region.MAINLAND_CHINA],
            "region": "custom",
            "endpoint": endpoint_for(Region.INTERNATIONAL),
        },
    )

    assert result["errors"] == {"base": "invalid_auth"}
    assert regions.emulators[Region.MAINLAND_CHINA].handshake_attempts == 0


@BOTH_WAYS
async def test_reauth_moves_the_entry_to_the_new_keys_region(
    hass: HomeAssistant, regions: VendorRegions, home: Region
) -> None:
    entry = region_entry(OTHER[home], KEYS[OTHER[home]])
    await setup_entry(hass, entry)

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": KEYS[home]}
    )
    assert result["step_id"] == f"key_in_{home}"
    assert result["menu_options"] == [f"use_{home}", "reauth_confirm"]
    result = await choose(hass, result, f"use_{home}")
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data == connection_in(home)
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize(
    "new_key", [False, True], ids=["region-changed", "key-of-the-other-region-entered"]
)
@BOTH_WAYS
async def test_reconfigure_refused_in_a_region_offers_the_keys_region(
    hass: HomeAssistant, regions: VendorRegions, home: Region, new_key: bool
) -> None:
    """The key stays and the region changes to the wrong one, or a key of the other is entered."""
    entry = (
        region_entry(OTHER[home], KEYS[OTHER[home]]) if new_key else region_entry(home, KEYS[home])
    )
    await setup_entry(hass, entry)

    result = await entry.start_reconfigure_flow(hass)
    user_input = {"region": OTHER[home].value} | ({"api_key": KEYS[home]} if new_key else {})
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["step_id"] == f"key_in_{home}"
    assert result["menu_options"] == [f"use_{home}", "reconfigure"]
    result = await choose(hass, result, f"use_{home}")
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == connection_in(home)
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
@BOTH_WAYS
async def test_the_offer_is_translated(
    hass: HomeAssistant, regions: VendorRegions, home: Region, language: str
) -> None:
    result = await submit_user_step(hass, KEYS[home], OTHER[home])
    strings = await async_get_translations(hass, language, "config", [DOMAIN])
    step = f"component.{DOMAIN}.config.step.{result['step_id']}"

    assert strings[f"{step}.title"]
    assert strings[f"{step}.description"]
    for option in (f"use_{home}", "user", "reauth_confirm", "reconfigure"):
        assert strings[f"{step}.menu_options.{option}"]
    assert strings[f"component.{DOMAIN}.config.error.invalid_key"]
