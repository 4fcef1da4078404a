"""What a new user does first, on every Home Assistant release CI tests (the minimum included).

Home Assistant loads the integration from custom_components/ as it would from a copied folder or a
HACS download; the entry is made only through the config flow, and speaking goes through tts.speak.
"""

from __future__ import annotations

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.qwen_tts_realtime.const import DOMAIN
from qwen_tts_emulator import Emulator

from .helpers import API_KEY, ENTITY_ID, pcm_of, speak_on_player, utterances, utterances_closed


async def test_an_entry_added_through_the_config_flow_speaks(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, emulator: Emulator
) -> None:
    flow = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    flow_id = flow["flow_id"]
    await hass.config_entries.flow.async_configure(
        flow_id, {"api_key": API_KEY, "region": "custom", "endpoint": emulator.url}
    )
    await hass.config_entries.flow.async_configure(
        flow_id, {"name": "Qwen TTS", "model": "qwen3-tts-flash-realtime"}
    )
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"voice": "Cherry", "language": "en", "sample_rate": "24000"}
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].state is ConfigEntryState.LOADED
    assert hass.states.get(ENTITY_ID) is not None

    audio = await speak_on_player(
        hass, hass_client, "Hello from a new installation.", {"preferred_format": "wav"}
    )

    assert pcm_of(audio) == utterances(emulator)[-1].pcm
    await utterances_closed(emulator)
