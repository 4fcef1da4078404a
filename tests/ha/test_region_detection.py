"""A key refused in the chosen region is tried in the other one, which the form then offers.

Two emulators play the two vendor regions, each accepting only its own key; the region endpoints
point at them for the length of a test.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from unittest.mock import patch

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
from custom_components.qwen_tts_realtime.realtime import Region
from custom_components.qwen_tts_realtime.realtime.endpoints import REGION_ENDPOINTS
from qwen_tts_emulator import Emulator, Scenario

from .helpers import PROFILE, setup_entry
from .test_config_flow import VOICE_STEP

KEYS = {Region.INTERNATIONAL: "sk-intl-0123456789", Region.MAINLAND_CHINA: "sk-cn-0123456789"}
OTHER = {Region.INTERNATIONAL: Region.MAINLAND_CHINA, Region.MAINLAND_CHINA: Region.INTERNATIONAL}
BOTH_WAYS = pytest.mark.parametrize(
    "home", [Region.INTERNATIONAL, Region.MAINLAND_CHINA], ids=["intl-key", "china-key"]
)


@pytest.fixture
async def regions(
    hass: HomeAssistant, socket_enabled: None
) -> AsyncGenerator[dict[Region, Emulator]]:
    """One emulator per vendor region, each accepting only the key created in it."""
    emulators = {
        region: Emulator(Scenario(api_keys=frozenset({key}))) for region, key in KEYS.items()
    }
    for emulator in emulators.values():
        await emulator.start(host="127.0.0.1", port=0)
    try:
        with patch.dict(REGION_ENDPOINTS, {r: e.url for r, e in emulators.items()}):
            yield emulators
    finally:
        for emulator in emulators.values():
            await emulator.stop()


def region_entry(region: Region, api_key: str) -> MockConfigEntry:
    """Return an entry of a vendor region (whose endpoint is an emulator), with one profile."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Qwen TTS ({region})",
        data={
            CONF_API_KEY: api_key,
            CONF_REGION: region.value,
            CONF_ENDPOINT: REGION_ENDPOINTS[region],
        },
        subentries_data=[
            ConfigSubentryData(
                subentry_type=SUBENTRY_TTS, title="Qwen TTS", data=PROFILE, unique_id=None
            )
        ],
    )


def connection_in(region: Region, regions: dict[Region, Emulator]) -> dict[str, str]:
    """The entry data of the key created in `region`, used there."""
    return {"api_key": KEYS[region], "region": region.value, "endpoint": regions[region].url}


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
    hass: HomeAssistant, regions: dict[Region, Emulator], home: Region
) -> None:
    result = await submit_user_step(hass, KEYS[home], OTHER[home])

    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == f"key_in_{home}"
    assert result["menu_options"] == [f"use_{home}", "user"]


@BOTH_WAYS
async def test_one_click_creates_the_entry_in_the_keys_region(
    hass: HomeAssistant, regions: dict[Region, Emulator], home: Region
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
    assert result["result"].data == connection_in(home, regions)
    assert result["result"].state is ConfigEntryState.LOADED


async def test_going_back_shows_the_form_again(
    hass: HomeAssistant, regions: dict[Region, Emulator]
) -> None:
    result = await submit_user_step(hass, KEYS[Region.MAINLAND_CHINA], Region.INTERNATIONAL)
    result = await choose(hass, result, "user")

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert not result["errors"]


async def test_a_key_no_region_accepts_is_called_invalid(
    hass: HomeAssistant, regions: dict[Region, Emulator]
) -> None:
    result = await submit_user_step(hass, "sk-deleted-key", Region.INTERNATIONAL)

    assert result["errors"] == {"base": "invalid_key"}
    assert [emulator.handshakes_rejected for emulator in regions.values()] == [1, 1]


async def test_an_unreachable_other_region_keeps_the_region_hint(
    hass: HomeAssistant, regions: dict[Region, Emulator]
) -> None:
    regions[Region.MAINLAND_CHINA].scenario = Scenario(handshake_status=503)
    result = await submit_user_step(hass, "sk-some-key", Region.INTERNATIONAL)

    assert result["errors"] == {"base": "invalid_auth"}


async def test_a_custom_endpoint_tries_no_other_region(
    hass: HomeAssistant, regions: dict[Region, Emulator]
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "api_key": KEYS[Region.MAINLAND_CHINA],
            "region": "custom",
            "endpoint": regions[Region.INTERNATIONAL].url,
        },
    )

    assert result["errors"] == {"base": "invalid_auth"}
    assert regions[Region.MAINLAND_CHINA].handshake_attempts == 0


@BOTH_WAYS
async def test_reauth_moves_the_entry_to_the_new_keys_region(
    hass: HomeAssistant, regions: dict[Region, Emulator], home: Region
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
    assert entry.data == connection_in(home, regions)
    assert entry.state is ConfigEntryState.LOADED


@BOTH_WAYS
async def test_reconfigure_to_the_wrong_region_offers_the_keys_region(
    hass: HomeAssistant, regions: dict[Region, Emulator], home: Region
) -> None:
    entry = region_entry(home, KEYS[home])
    await setup_entry(hass, entry)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"region": OTHER[home].value}
    )
    assert result["step_id"] == f"key_in_{home}"
    assert result["menu_options"] == [f"use_{home}", "reconfigure"]
    result = await choose(hass, result, f"use_{home}")
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == connection_in(home, regions)
    assert entry.state is ConfigEntryState.LOADED


@BOTH_WAYS
async def test_reconfigure_with_a_new_key_from_the_other_region(
    hass: HomeAssistant, regions: dict[Region, Emulator], home: Region
) -> None:
    entry = region_entry(OTHER[home], KEYS[OTHER[home]])
    await setup_entry(hass, entry)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"region": OTHER[home].value, "api_key": KEYS[home]}
    )
    result = await choose(hass, result, f"use_{home}")
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert entry.data == connection_in(home, regions)


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
@BOTH_WAYS
async def test_the_offer_is_translated(
    hass: HomeAssistant, regions: dict[Region, Emulator], home: Region, language: str
) -> None:
    result = await submit_user_step(hass, KEYS[home], OTHER[home])
    strings = await async_get_translations(hass, language, "config", [DOMAIN])
    step = f"component.{DOMAIN}.config.step.{result['step_id']}"

    assert strings[f"{step}.title"]
    assert strings[f"{step}.description"]
    for option in (f"use_{home}", "user", "reauth_confirm", "reconfigure"):
        assert strings[f"{step}.menu_options.{option}"]
    assert strings[f"component.{DOMAIN}.config.error.invalid_key"]
