"""The entry's options flow: settings that apply to every voice profile of a key."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.qwen_tts_realtime.const import PRICING_LINKS
from qwen_tts_emulator import Emulator

from .helpers import as_shown, first_link, utterances_closed


def price_field(result: ConfigFlowResult) -> Any:
    """The price field of the options form."""
    schema = result["data_schema"]
    assert schema is not None
    return next(key for key in schema.schema if key == "price_per_10k_characters")


async def test_keep_warm_defaults_to_when_a_voice_assistant_wakes(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()

    assert entry.options == {"keep_warm": "wake"}


async def test_keep_warm_can_be_turned_off(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    await hass.config_entries.options.async_configure(result["flow_id"], {"keep_warm": "off"})
    await hass.async_block_till_done()

    assert entry.options == {"keep_warm": "off"}
    await utterances_closed(emulator)
    await emulator.wait_idle()  # the reloaded entry keeps no socket open


async def test_form_links_the_vendors_price_list_and_names_the_currency(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(entry.entry_id)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert result["description_placeholders"] == {
        **PRICING_LINKS,
        "currency": hass.config.currency,
    }


@pytest.mark.parametrize(
    ("language", "page"),
    [
        ("en", "https://www.alibabacloud.com/help/en/model-studio/model-pricing"),
        ("zh-Hans", "https://www.alibabacloud.com/help/zh/model-studio/model-pricing"),
    ],
)
async def test_the_cost_text_links_the_price_list_in_its_own_language_beside_the_price_field(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, language: str, page: str
) -> None:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    given = result["description_placeholders"]
    step = "options.step.init"

    price_help = await as_shown(
        hass, language, f"{step}.data_description.price_per_10k_characters", given
    )
    assert first_link(price_help) == page
    assert hass.config.currency in price_help
    assert page not in await as_shown(hass, language, f"{step}.description", given)  # stated once


async def test_no_price_is_suggested(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(entry.entry_id)

    field = price_field(result)
    assert field.description is None or "suggested_value" not in field.description


async def test_a_price_is_saved_and_shown_next_time(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"price_per_10k_characters": 0.5}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options["price_per_10k_characters"] == 0.5
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert price_field(result).description == {"suggested_value": 0.5}


async def test_an_empty_price_turns_the_cost_off(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    hass.config_entries.async_update_entry(entry, options={"price_per_10k_characters": 0.5})
    await hass.async_block_till_done()

    result = await hass.config_entries.options.async_init(entry.entry_id)
    await hass.config_entries.options.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()

    assert "price_per_10k_characters" not in entry.options


async def test_a_negative_price_is_refused_with_a_translated_error(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    """The form says why in the reader's language (a selector's minimum answers in English)."""
    result = await hass.config_entries.options.async_init(entry.entry_id)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"keep_warm": "wake", "price_per_10k_characters": -1}
    )

    assert result["errors"] == {"price_per_10k_characters": "price_negative"}
    assert entry.options == {}
