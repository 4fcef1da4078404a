"""A profile on a retired model is fixed from the repairs dashboard in one click."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.qwen_tts_realtime.const import DOMAIN
from qwen_tts_emulator import Emulator

from .helpers import make_entry, setup_entry, stream_audio

RETIRED = "qwen-tts-realtime"
REPLACEMENT = "qwen3-tts-flash-realtime"


async def _retired_profile(hass: HomeAssistant, emulator: Emulator) -> tuple[MockConfigEntry, str]:
    """Set up an entry whose profile is on a retired model; return it and the issue id."""
    assert await async_setup_component(hass, "repairs", {})
    entry = make_entry(emulator, model=RETIRED, voice="Cherry")
    await setup_entry(hass, entry)
    (subentry_id,) = entry.subentries
    return entry, f"retired_model_{subentry_id}"


async def _fix(
    hass_client: ClientSessionGenerator, issue_id: str, *answers: dict[str, Any]
) -> list[dict[str, Any]]:
    """Start the issue's fix flow through the repairs API, answer each step; return the results."""
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert response.status == HTTPStatus.OK
    results: list[dict[str, Any]] = [await response.json()]
    for answer in answers:
        flow_id = results[-1]["flow_id"]
        response = await client.post(f"/api/repairs/issues/fix/{flow_id}", json=answer)
        assert response.status == HTTPStatus.OK
        results.append(await response.json())
    return results


async def test_fix_flow_names_the_retired_model_and_its_replacement(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, emulator: Emulator
) -> None:
    _, issue_id = await _retired_profile(hass, emulator)

    (form,) = await _fix(hass_client, issue_id)

    assert form["type"] == "form"
    assert form["step_id"] == "confirm"
    assert form["description_placeholders"] == {
        "profile": "Qwen TTS",
        "model": RETIRED,
        "retired_on": "2026-10-10",
        "replacement": REPLACEMENT,
    }


async def test_one_click_switches_the_profile_to_the_replacement(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, emulator: Emulator
) -> None:
    entry, issue_id = await _retired_profile(hass, emulator)

    _, done = await _fix(hass_client, issue_id, {})
    await hass.async_block_till_done()

    assert done["type"] == "create_entry"
    (subentry,) = entry.subentries.values()
    assert (subentry.data["model"], subentry.data["voice"]) == (REPLACEMENT, "Cherry")
    assert entry.state is ConfigEntryState.LOADED
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    await stream_audio(hass, "Hello.")
    assert emulator.sessions[-1].model == REPLACEMENT


async def test_fix_of_a_removed_profile_aborts(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, emulator: Emulator
) -> None:
    entry, issue_id = await _retired_profile(hass, emulator)
    (subentry_id,) = entry.subentries
    hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()

    (result,) = await _fix(hass_client, issue_id)

    assert result["type"] == "abort"
    assert result["reason"] == "profile_removed"
