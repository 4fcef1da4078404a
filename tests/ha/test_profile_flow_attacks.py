"""The voice-profile flow under hostile names, double submits, a changing or failing account."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from homeassistant.config_entries import SubentryFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.qwen_tts_realtime.realtime import NAME_PATTERN
from qwen_tts_emulator import Emulator

from .helpers import make_entry, setup_entry, utterances
from .test_account_voices import options
from .test_new_voices import voice_field
from .test_voice_flows import (
    DESIGN,
    VC_MODEL,
    VD_MODEL,
    VOICE_STEP,
    assert_translated,
    custom_profile_entry,
    start,
    step,
)

SERVER_ERROR = (500, "InternalError", "Something went wrong.")


def preferred_names(emulator: Emulator) -> list[str]:
    return [create.body["input"]["preferred_name"] for create in emulator.voices.actions("create")]


# --- profile names the vendor's name is made from -------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["Ab" * 250, "🦜🎉👍", "שלום עולם", "مرحبا", "!?…—#", "Line\nbreak", "nul\x00byte"],
    ids=["500-chars", "emoji", "hebrew", "arabic", "punctuation", "newline", "nul"],
)
async def test_any_name_makes_a_voice_name_the_vendor_takes(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, name: str
) -> None:
    result = await step(await start(hass, entry, "design"), hass, **{**DESIGN, "name": name})

    assert result["step_id"] == "design_preview", result.get("errors")
    (preferred,) = preferred_names(emulator)
    assert NAME_PATTERN.fullmatch(preferred)


async def test_a_name_of_whitespace_only_is_asked_again_and_nothing_is_billed(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    result = await step(await start(hass, entry, "design"), hass, **{**DESIGN, "name": " \t\n "})

    assert result["errors"] == {"name": "name_required"}
    assert emulator.voices.requests == []


@pytest.mark.parametrize(
    ("first", "second"),
    [("Grandpa Joe!", "Grandpa-Joe"), ("x" * 20, "x" * 30), ("老船长 Joe", "Joe")],
    ids=["punctuation", "cut", "dropped-script"],
)
async def test_two_names_that_make_the_same_voice_name_are_confirmed_before_a_second_bill(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, first: str, second: str
) -> None:
    result = await step(await start(hass, entry, "design"), hass, **{**DESIGN, "name": first})
    assert result["step_id"] == "design_preview"

    result = await step(await start(hass, entry, "design"), hass, **{**DESIGN, "name": second})

    assert result["step_id"] == "name_taken"
    assert len(emulator.voices.actions("create")) == 1


# --- the create and its confirmation, submitted twice ---------------------------------------


async def test_a_design_submitted_twice_at_once_is_created_once(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    form = await start(hass, entry, "design")
    emulator.voices.create_delay = 0.2  # both submits arrive while the first creates

    results = await asyncio.gather(step(form, hass, **DESIGN), step(form, hass, **DESIGN))

    assert len(emulator.voices.actions("create")) == 1
    assert [result["step_id"] for result in results] == ["design_preview"] * 2


async def test_create_anyway_chosen_twice_at_once_is_created_once(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    emulator.voices.add("narrator", "vd")
    menu = await step(await start(hass, entry, "design"), hass, **DESIGN)
    assert menu["step_id"] == "name_taken"
    emulator.voices.create_delay = 0.2

    results = await asyncio.gather(
        step(menu, hass, next_step_id="create_anyway"),
        step(menu, hass, next_step_id="create_anyway"),
    )

    assert len(emulator.voices.actions("create")) == 1
    assert [result["step_id"] for result in results] == ["design_preview"] * 2


async def test_a_listing_that_fails_before_a_create_says_so_and_bills_nothing(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    emulator.voices.failures.append(SERVER_ERROR)

    result = await step(await start(hass, entry, "design"), hass, **DESIGN)

    assert result["step_id"] == "design"
    assert result["errors"]
    assert emulator.voices.actions("create") == []


# --- the account changing under the flow ----------------------------------------------------


async def test_a_picked_voice_deleted_from_the_account_meanwhile_is_said_to_be_gone(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    gone = emulator.voices.add("robot", "vd")
    emulator.voices.add("butler", "vd")
    result = await start(hass, entry, "account_voice")
    del emulator.voices.voices[gone]

    result = await step(result, hass, voice=gone)

    assert result["step_id"] == "account_voice"
    assert result["errors"] == {"voice": "voice_not_found"}
    await assert_translated(hass, "error", "voice_not_found")


async def reconfigured_onto(
    hass: HomeAssistant, entry: MockConfigEntry, model: str
) -> SubentryFlowResult:
    """The voice step of the entry's one profile, being changed to speak on `model`."""
    (subentry_id,) = entry.subentries
    result = cast(
        "SubentryFlowResult", await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    )
    result = await step(result, hass, next_step_id="system_voice")
    return await step(result, hass, name="Qwen TTS", model=model)


async def unlisted_custom_voice_step(
    hass: HomeAssistant, emulator: Emulator
) -> tuple[SubentryFlowResult, str]:
    """A custom-voice profile's voice step while the account's voices cannot be listed."""
    entry, voice = await custom_profile_entry(hass, emulator)
    # The entity refreshes its voice picker in the background too: every list fails.
    emulator.voices.failures.extend([SERVER_ERROR] * 2)
    result = await reconfigured_onto(hass, entry, VD_MODEL)
    assert result["step_id"] == "custom_voice"
    return result, voice


async def test_the_voice_step_of_a_custom_voice_model_says_when_the_account_cannot_be_listed(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    result, voice = await unlisted_custom_voice_step(hass, emulator)

    assert result["errors"]  # the list is empty for a reason, which is said
    assert voice_field(result)[0]["custom_value"] is True
    result = await step(result, hass, **VOICE_STEP, voice=voice)
    assert result["type"] is FlowResultType.ABORT  # the voice typed in is still taken
    assert result["reason"] == "reconfigure_successful"


async def test_an_id_typed_in_while_the_account_cannot_be_listed_is_checked_by_speaking(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    result, _ = await unlisted_custom_voice_step(hass, emulator)

    result = await step(result, hass, **VOICE_STEP, voice="qwen-tts-vd-never-made")

    assert (result["errors"] or {}).get("voice") == "unknown_voice"
    check = utterances(emulator)[-1]  # asked for, and refused
    assert check.received[0].payload["session"]["voice"] == "qwen-tts-vd-never-made"


async def test_a_profiles_voice_gone_from_the_account_is_shown_and_said_to_be_gone_on_saving(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    entry, voice = await custom_profile_entry(hass, emulator)
    other = emulator.voices.add("butler", "vd")
    del emulator.voices.voices[voice]  # deleted in the vendor's console

    result = await reconfigured_onto(hass, entry, VD_MODEL)

    field, _ = voice_field(result)
    assert field["custom_value"] is False  # the list is complete
    assert [option["value"] for option in field["options"]] == [other, voice]
    result = await step(result, hass, **VOICE_STEP, voice=voice)
    assert result["errors"] == {"voice": "voice_not_found"}  # said to be gone, not refused
    assert utterances(emulator) == []  # the account's list said so: nothing spoken, nothing billed


async def test_a_profile_moved_to_the_other_custom_voice_model_starts_with_no_voice_chosen(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """Its designed voice cannot speak on the cloning model; no empty option stands in for it."""
    entry, _ = await custom_profile_entry(hass, emulator, "vd")
    cloned = emulator.voices.add("grandma", "vc")

    result = await reconfigured_onto(hass, entry, VC_MODEL)

    schema = result["data_schema"]
    assert schema is not None
    (voice,) = (key for key in schema.schema if key == "voice")
    assert voice.default() == ""  # the frontend then asks for a choice before it submits
    assert [option["value"] for option in schema.schema[voice].config["options"]] == [cloned]


async def test_a_custom_voice_model_the_account_has_no_voices_for_says_so(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """The list is complete and empty: nothing to choose, and typing cannot help."""
    entry, _ = await custom_profile_entry(hass, emulator, "vd")

    result = await reconfigured_onto(hass, entry, VC_MODEL)

    assert result["step_id"] == "custom_voice"
    assert voice_field(result)[0]["options"] == []
    assert result["errors"] == {"voice": "no_model_voices"}
    await assert_translated(hass, "error", "no_model_voices")


async def test_a_voice_made_for_an_older_snapshot_is_offered_with_that_models_voices_only(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    voice = emulator.voices.add("grandpa", "vc", target_model="qwen3-tts-vc-realtime-2025-11-27")
    result = await start(hass, entry, "account_voice")

    result = await step(result, hass, voice=voice)

    assert result["step_id"] == "custom_voice"  # no system voice, such as Cherry, to pick
    field, default = voice_field(result)
    assert [option["value"] for option in field["options"]] == [voice]
    assert default == voice


# --- deleting the voices no profile uses ----------------------------------------------------


async def test_a_voice_of_another_entrys_profile_is_never_offered_for_deletion(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    entry, _ = await custom_profile_entry(hass, emulator)
    theirs = emulator.voices.add("theirs", "vd")
    spare = emulator.voices.add("spare", "vd")
    await setup_entry(hass, make_entry(emulator, model=VD_MODEL, voice=theirs))

    result = await start(hass, entry, "unused_voices")

    assert set(options(result, "voices")) == {spare}


async def test_a_voice_listed_twice_is_offered_and_deleted_once(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    entry, _ = await custom_profile_entry(hass, emulator)
    spare = emulator.voices.add("spare", "vd")
    emulator.voices.listed_twice.add(spare)

    result = await start(hass, entry, "unused_voices")
    values = [option["value"] for option in _select(result, "voices")]
    assert values == [spare]
    result = await step(result, hass, voices=[spare])
    result = await step(result, hass)

    assert result["reason"] == "voices_deleted"
    assert (result["description_placeholders"] or {})["voices"].count("spare") == 1
    assert len(emulator.voices.actions("delete")) == 1


async def test_a_delete_failing_half_way_leaves_only_the_rest_to_confirm(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    entry, _ = await custom_profile_entry(hass, emulator)
    first = emulator.voices.add("first", "vd")
    second = emulator.voices.add("second", "vd")
    result = await step(await start(hass, entry, "unused_voices"), hass, voices=[first, second])
    emulator.voices.delete_failures[first] = SERVER_ERROR  # the older: listed, deleted last

    result = await step(result, hass)

    assert result["step_id"] == "delete_unused"
    assert result["errors"] == {"base": "voice_service_error"}
    assert emulator.voices.deleted == [second]
    assert (result["description_placeholders"] or {})["voices"].startswith("first (")
    del emulator.voices.delete_failures[first]
    result = await step(result, hass)
    assert result["reason"] == "voices_deleted"
    assert sorted(emulator.voices.deleted) == sorted([first, second])


def _select(result: SubentryFlowResult, field: str) -> list[Any]:
    schema = result["data_schema"]
    assert schema is not None
    return list(schema.schema[field].config["options"])
