"""The account's voices in the profile flow: telling them apart, deleting unused ones, models."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from homeassistant.config_entries import SubentryFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.qwen_tts_realtime.const import DOMAIN
from qwen_tts_emulator import Emulator

from .helpers import make_entry, setup_entry
from .test_voice_flows import (
    VC_MODEL,
    VD_MODEL,
    VOICE_STEP,
    custom_profile_entry,
    designed_preview,
    start,
    step,
)

LANGUAGES = ["en", "zh-Hans"]


def options(result: Any, field: str = "voice") -> dict[str, str]:
    """A select field's options of a form, label by value."""
    schema = result["data_schema"]
    assert schema is not None
    return {option["value"]: option["label"] for option in schema.schema[field].config["options"]}


async def flow_strings(hass: HomeAssistant, language: str, category: str) -> dict[str, str]:
    strings = await async_get_translations(hass, language, category, [DOMAIN])
    prefix = f"component.{DOMAIN}."
    return {key.removeprefix(prefix): text for key, text in strings.items()}


# --- telling the account's voices apart -----------------------------------------------------


async def test_same_named_voices_differ_by_time_model_and_the_profile_that_uses_them(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    used = emulator.voices.add("alex_voice", "vc")
    spare = emulator.voices.add("alex_voice", "vc")
    emulator.voices.voices[spare].created += timedelta(seconds=7)  # the same minute
    entry = make_entry(emulator, model=VC_MODEL, voice=used)
    await setup_entry(hass, entry)

    result = await start(hass, entry, "account_voice")

    labels = options(result)
    stamp = emulator.voices.voices[used].created.strftime("%Y-%m-%d %H:%M:%S")
    assert labels[used] == f"🎙️ alex_voice · {stamp} · {VC_MODEL} → Qwen TTS"
    assert labels[spare].endswith(VC_MODEL)  # no profile speaks with it
    assert labels[used].split(" → ")[0] != labels[spare]


# --- naming the profile -----------------------------------------------------------------------


async def test_a_profile_of_an_account_voice_takes_the_name_given(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    voice = emulator.voices.add("narrator", "vd")
    result = await start(hass, entry, "account_voice")

    result = await step(result, hass, name="Bedtime stories", voice=voice)
    result = await step(result, hass, **VOICE_STEP)

    assert result["title"] == "Bedtime stories"


async def test_a_profile_of_an_account_voice_without_a_name_is_named_after_its_other_profile(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """That name is the one the user gave; the vendor's may be derived (voice_0e7edbb589)."""
    voice = emulator.voices.add("voice_0e7edbb589", "vd")
    entry = make_entry(emulator, model=VD_MODEL, voice=voice)
    await setup_entry(hass, entry)
    hass.config_entries.async_update_subentry(
        entry, next(iter(entry.subentries.values())), title="老船长"
    )
    result = await start(hass, entry, "account_voice")

    result = await step(result, hass, voice=voice)
    result = await step(result, hass, **VOICE_STEP)

    assert result["title"] == "老船长 2"  # a name no other profile has


async def test_a_profile_of_an_unused_account_voice_without_a_name_is_named_after_the_voice(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    voice = emulator.voices.add("narrator", "vd")
    result = await start(hass, entry, "account_voice")

    result = await step(result, hass, voice=voice)
    result = await step(result, hass, **VOICE_STEP)

    assert result["title"] == "narrator"


# --- deleting the voices no profile uses ----------------------------------------------------


async def unused_voices(hass: HomeAssistant, entry: MockConfigEntry) -> SubentryFlowResult:
    return await start(hass, entry, "unused_voices")


async def test_voices_no_profile_uses_are_offered_for_deletion(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    entry, used = await custom_profile_entry(hass, emulator)
    unused = emulator.voices.add("spare", "vd")
    cloned = emulator.voices.add("grandma", "vc")
    emulator.voices.add("offline", "vc", target_model="qwen3-tts-vc-2026-01-22")  # not ours

    result = await unused_voices(hass, entry)

    assert result["step_id"] == "unused_voices"
    assert set(options(result, "voices")) == {unused, cloned}  # not `used`
    assert used in emulator.voices.voices
    assert emulator.voices.actions("delete") == []


async def test_chosen_unused_voices_are_deleted_after_a_confirmation(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    entry, used = await custom_profile_entry(hass, emulator)
    unused = emulator.voices.add("spare", "vd")
    kept = emulator.voices.add("grandma", "vc")
    result = await unused_voices(hass, entry)

    result = await step(result, hass, voices=[unused])
    assert result["step_id"] == "delete_unused"
    assert "spare (" in (result["description_placeholders"] or {})["voices"]
    assert emulator.voices.actions("delete") == []  # nothing before the confirmation
    result = await step(result, hass)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "voices_deleted"
    assert emulator.voices.deleted == [unused]
    assert set(emulator.voices.voices) >= {used, kept}
    assert emulator.voices.actions("create") == []


async def test_no_voice_chosen_deletes_nothing(hass: HomeAssistant, emulator: Emulator) -> None:
    entry, _ = await custom_profile_entry(hass, emulator)
    emulator.voices.add("spare", "vd")
    result = await unused_voices(hass, entry)

    result = await step(result, hass, voices=[])

    assert result["errors"] == {"voices": "no_voice_chosen"}
    assert emulator.voices.actions("delete") == []


async def test_a_delete_that_fails_says_why_and_keeps_the_rest_to_confirm(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    entry, _ = await custom_profile_entry(hass, emulator)
    first = emulator.voices.add("first", "vd")
    second = emulator.voices.add("second", "vd")
    result = await step(await unused_voices(hass, entry), hass, voices=[first, second])
    emulator.voices.failures.append((429, "Throttling.RateQuota", "Too many requests."))

    result = await step(result, hass)

    assert result["step_id"] == "delete_unused"
    assert result["errors"] == {"base": "rate_limited"}
    result = await step(result, hass)  # confirmed again
    assert result["reason"] == "voices_deleted"
    assert sorted(emulator.voices.deleted) == sorted([first, second])


async def test_an_account_whose_voices_are_all_used_says_so(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    entry, _ = await custom_profile_entry(hass, emulator)

    result = await unused_voices(hass, entry)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_unused_voices"


# --- models that can serve the path ---------------------------------------------------------


async def test_a_system_voice_is_offered_only_models_with_system_voices(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    result = await start(hass, entry, "system_voice")

    models = result["data_schema"].schema["model"].config["options"]  # type: ignore[union-attr]
    assert "qwen3-tts-flash-realtime" in models
    assert VC_MODEL not in models
    assert VD_MODEL not in models


async def test_a_custom_voice_profile_being_changed_keeps_its_model_offered(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    entry, _ = await custom_profile_entry(hass, emulator)
    (subentry_id,) = entry.subentries
    result = cast(
        "SubentryFlowResult", await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    )

    result = await step(result, hass, next_step_id="system_voice")

    assert VD_MODEL in result["data_schema"].schema["model"].config["options"]  # type: ignore[union-attr]


# --- confirming a delete --------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_each_delete_is_confirmed_with_a_button_that_says_so(
    hass: HomeAssistant, language: str
) -> None:
    """Home Assistant (2026.3 on) labels a step's submit button with its `submit` string."""
    strings = await flow_strings(hass, language, "config_subentries")

    labels = {
        step_id: strings[f"config_subentries.tts.step.{step_id}.submit"]
        for step_id in ("delete_voice", "delete_unused", "design", "clone")
    }

    assert "Submit" not in labels.values()
    assert labels["delete_voice"] != labels["design"]


async def test_discarding_a_designed_voice_is_confirmed_first(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    result = await designed_preview(hass, entry)
    (voice_id,) = emulator.voices.voices

    result = await step(result, hass, next_step_id="design_discard")
    result = await step(result, hass, next_step_id="design_preview")  # changed my mind

    assert result["step_id"] == "design_preview"
    assert emulator.voices.deleted == []
    result = await step(result, hass, next_step_id="design_keep")
    assert result["step_id"] == "new_voice"
    assert voice_id in emulator.voices.voices
