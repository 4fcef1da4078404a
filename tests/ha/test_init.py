"""Entry lifecycle, diagnostics and repair issues."""

from __future__ import annotations

from dataclasses import asdict
import json
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.qwen_tts_realtime.const import DOMAIN
from custom_components.qwen_tts_realtime.realtime.timing import Timeouts
from qwen_tts_emulator import Emulator, Fault, Scenario

from .helpers import API_KEY, eventually, has_spare, make_entry, setup_entry, stream_audio


async def test_diagnostics_redact_the_key(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert API_KEY not in json.dumps(diagnostics)
    assert diagnostics["entry"]["data"]["api_key"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["endpoint"] == emulator.url
    assert diagnostics["profiles"][0]["data"]["voice"] == "Cherry"


async def test_diagnostics_show_spares_timeouts_and_errors_by_type(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, emulator: Emulator
) -> None:
    emulator.scenario = Scenario(
        api_keys=frozenset({API_KEY}), faults=[Fault("error", "after_update", code="InternalError")]
    )
    entry = make_entry(emulator)
    await setup_entry(hass, entry)
    with pytest.raises(HomeAssistantError):
        await stream_audio(hass, "Hello.")
    await eventually(lambda: has_spare(entry.runtime_data.client, "qwen3-tts-flash-realtime"))

    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics["runtime"] == {
        "keep_warm": "wake",
        "spares": {
            "qwen3-tts-flash-realtime": {
                "spare_connected": True,
                "failures_in_a_row": 0,
                "service_idle_timeout": None,
                "gave_up": None,
            }
        },
        "timeouts": asdict(Timeouts()),
        "errors": {"ServiceError": 1},
        "skipped_frames": 0,
        "fallback": {"answers": 0, "last_reason": None, "in_streak": False},
    }
    assert API_KEY not in json.dumps(diagnostics)


async def test_retired_model_raises_a_repair_issue(hass: HomeAssistant, emulator: Emulator) -> None:
    entry = make_entry(emulator, model="qwen-tts-realtime", voice="Cherry")
    await setup_entry(hass, entry)
    (subentry_id,) = entry.subentries

    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"retired_model_{subentry_id}")

    assert issue is not None
    assert issue.translation_key == "retired_model"
    assert issue.is_fixable  # its fix flow names the replacement: tests/ha/test_repairs.py


async def test_repair_issue_goes_away_once_the_profile_is_fixed(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    entry = make_entry(emulator, model="qwen-tts-realtime", voice="Cherry")
    await setup_entry(hass, entry)
    (subentry,) = entry.subentries.values()

    hass.config_entries.async_update_subentry(
        entry, subentry, data={**subentry.data, "model": "qwen3-tts-flash-realtime"}
    )
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"retired_model_{subentry.subentry_id}") is None
    )


async def test_one_entity_per_voice_profile(hass: HomeAssistant, emulator: Emulator) -> None:
    entry = make_entry(emulator)
    await setup_entry(hass, entry)

    assert hass.states.async_entity_ids("tts") == ["tts.qwen_tts"]


async def test_removing_a_profile_removes_its_entity_and_device(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    (subentry_id,) = entry.subentries

    def profile_devices() -> list[dr.DeviceEntry]:
        devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        return [device for device in devices if (DOMAIN, subentry_id) in device.identifiers]

    assert len(profile_devices()) == 1

    hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()

    assert profile_devices() == []
    assert er.async_get(hass).async_get_entity_id("tts", DOMAIN, subentry_id) is None
    assert hass.states.get("tts.qwen_tts") is None
