"""Creating a voice (billed): its name, its language, and what the flow says once it exists."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
import voluptuous as vol

from custom_components.qwen_tts_realtime.const import DOMAIN
from custom_components.qwen_tts_realtime.profile_flow import vendor_name
from custom_components.qwen_tts_realtime.realtime import NAME_PATTERN
from qwen_tts_emulator import Emulator

from ..recordings import recording
from .test_voice_flows import DESIGN, VC_MODEL, VD_MODEL, VOICE_STEP, start, step, upload

LANGUAGES = ["en", "zh-Hans"]


async def step_text(hass: HomeAssistant, language: str, step_id: str, key: str) -> str:
    """A text of a step of the voice-profile flow, as the frontend loads it."""
    strings = await async_get_translations(hass, language, "config_subentries", [DOMAIN])
    return strings[f"component.{DOMAIN}.config_subentries.tts.step.{step_id}.{key}"]


def voice_field(result: Any) -> tuple[Any, str]:
    """The voice selector's settings of a voice step, and the voice it starts with."""
    schema = result["data_schema"]
    assert schema is not None
    return schema.schema["voice"].config, schema({})["voice"]


async def clone(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry, name: str
) -> Any:
    file_id = await upload(hass_client, recording(12), "voice.wav")
    result = await start(hass, entry, "clone")
    return await step(result, hass, name=name, audio=file_id, language="en")


# --- the step after a create says that the voice exists -------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_design_preview_says_that_the_voice_now_exists_and_was_billed(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, language: str
) -> None:
    result = await step(await start(hass, entry, "design"), hass, **DESIGN)

    assert result["step_id"] == "design_preview"
    assert (result["description_placeholders"] or {})["voice"] == "narrator"
    assert len(emulator.voices.voices) == 1
    assert "{voice}" in await step_text(hass, language, "design_preview", "description")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_voice_step_after_a_clone_says_that_the_voice_now_exists(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    language: str,
) -> None:
    result = await clone(hass, hass_client, entry, "grandma")

    assert result["step_id"] == "new_voice", result.get("errors")
    assert (result["description_placeholders"] or {})["voice"] == "grandma"
    assert "{voice}" in await step_text(hass, language, "new_voice", "description")


async def test_a_clone_made_from_poor_audio_also_says_that_the_voice_exists(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    emulator.voices.fallback_reason = "Background noise"

    result = await clone(hass, hass_client, entry, "noisy")

    assert result["step_id"] == "clone_degraded"
    assert (result["description_placeholders"] or {})["voice"] == "noisy"


# --- a name the account already has ---------------------------------------------------------


async def test_a_name_the_account_has_is_confirmed_before_anything_is_billed(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    emulator.voices.add("narrator", "vd")
    (created,) = (voice.created for voice in emulator.voices.voices.values())

    result = await step(await start(hass, entry, "design"), hass, **DESIGN)

    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "name_taken"
    assert result["description_placeholders"] == {
        "voice": "narrator",
        "voices": created.strftime("%Y-%m-%d %H:%M:%S"),
    }
    assert emulator.voices.actions("create") == []


async def test_a_second_voice_of_the_same_name_is_created_when_confirmed(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    emulator.voices.add("narrator", "vd")
    result = await step(await start(hass, entry, "design"), hass, **DESIGN)

    result = await step(result, hass, next_step_id="create_anyway")

    assert result["step_id"] == "design_preview"
    assert len(emulator.voices.actions("create")) == 1
    assert len(emulator.voices.voices) == 2


async def test_another_name_can_be_chosen_instead(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    emulator.voices.add("narrator", "vd")
    result = await step(await start(hass, entry, "design"), hass, **DESIGN)

    result = await step(result, hass, next_step_id="design")

    assert result["step_id"] == "design"
    assert result["data_schema"] is not None
    suggested = {
        str(key): (key.description or {}).get("suggested_value")
        for key in result["data_schema"].schema
    }
    assert suggested["description"] == DESIGN["description"]  # what was entered stays
    assert emulator.voices.actions("create") == []


async def test_the_voice_the_account_has_can_be_used_instead(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    existing = emulator.voices.add(vendor_name("老船长"), "vd")
    result = await step(await start(hass, entry, "design"), hass, **{**DESIGN, "name": "老船长"})

    result = await step(result, hass, next_step_id="account_voice")
    result = await step(result, hass, voice=existing)
    result = await step(result, hass, **VOICE_STEP)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert (result["title"], result["data"]["voice"]) == ("老船长", existing)
    assert emulator.voices.actions("create") == []


async def test_a_clone_of_a_name_the_account_has_keeps_its_recording_for_the_confirmation(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    emulator.voices.add("grandma", "vc")
    result = await clone(hass, hass_client, entry, "grandma")
    assert result["step_id"] == "name_taken"
    assert "clone" in result["menu_options"]  # back to the form that asked

    result = await step(result, hass, next_step_id="create_anyway")

    assert result["step_id"] == "new_voice", result.get("errors")
    assert len(emulator.voices.actions("create")) == 1


# --- the vendor's name is made from the profile's -------------------------------------------


@pytest.mark.parametrize(
    ("profile", "vendor"),
    [
        ("Grandpa Joe!", "Grandpa_Joe"),
        ("x" * 20, "x" * 16),
        ("老船长 Joe", "Joe"),
    ],
    ids=["punctuation", "length", "mixed"],
)
async def test_any_profile_name_is_taken_and_the_vendors_name_made_from_it(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, profile: str, vendor: str
) -> None:
    result = await step(await start(hass, entry, "design"), hass, **{**DESIGN, "name": profile})
    assert result["step_id"] == "design_preview", result.get("errors")
    result = await step(result, hass, next_step_id="design_keep")
    result = await step(result, hass, **VOICE_STEP)

    assert result["title"] == profile
    (create,) = emulator.voices.actions("create")
    assert create.body["input"]["preferred_name"] == vendor


async def test_a_chinese_profile_name_gets_a_vendor_name_of_its_own(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    names = []
    for profile in ("老船长", "老奶奶", "老船长"):
        result = await step(await start(hass, entry, "design"), hass, **{**DESIGN, "name": profile})
        if result["step_id"] == "name_taken":  # the same name again: the same vendor name
            result = await step(result, hass, next_step_id="create_anyway")
        assert result["step_id"] == "design_preview", result.get("errors")
        names.append(emulator.voices.actions("create")[-1].body["input"]["preferred_name"])

    assert all(NAME_PATTERN.fullmatch(name) for name in names)
    assert names[0] != names[1]
    assert names[0] == names[2]


# --- the preview's language -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("ha_language", "sentence", "chosen", "sent"),
    [
        ("en", "很久以前，在海边一个安静的小村庄里。", None, "zh"),
        ("en", "むかしむかし、あるところに。", None, "ja"),
        ("de", "Es war einmal ein kleines Haus.", None, "de"),
        ("zh-Hans", "Once upon a time.", None, "en"),
        ("en", "很久以前。", "en", "en"),
    ],
    ids=["chinese", "japanese", "home-assistants", "latin-in-chinese-ha", "chosen"],
)
async def test_the_preview_language_is_taken_from_the_sentence_unless_chosen(
    hass: HomeAssistant,
    emulator: Emulator,
    entry: MockConfigEntry,
    ha_language: str,
    sentence: str,
    chosen: str | None,
    sent: str,
) -> None:
    hass.config.language = ha_language
    design = {key: value for key, value in DESIGN.items() if key != "language"}
    design["preview_text"] = sentence
    if chosen:
        design["language"] = chosen

    result = await step(await start(hass, entry, "design"), hass, **design)

    assert result["step_id"] == "design_preview", result.get("errors")
    (create,) = emulator.voices.actions("create")
    assert create.body["input"]["language"] == sent


async def test_the_recordings_language_is_asked_not_assumed(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    """Cloning is billed, and Home Assistant's language is often not the recording's."""
    result = await start(hass, entry, "clone")

    schema = result["data_schema"]
    assert schema is not None
    (language,) = (key for key in schema.schema if key == "language")
    assert language.default is vol.UNDEFINED
    assert isinstance(language, vol.Required)


async def design_chinese_voice(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    """Design a voice for a profile named 老船长, without saying the preview's language."""
    design = {key: value for key, value in DESIGN.items() if key != "language"}
    return await step(
        await start(hass, entry, "design"),
        hass,
        **{**design, "name": "老船长", "preview_text": "很久以前，在海边一个安静的小村庄里。"},
    )


async def test_a_chinese_voice_makes_a_chinese_profile(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    result = await design_chinese_voice(hass, entry)
    result = await step(result, hass, next_step_id="design_keep")

    assert result["data_schema"] is not None
    assert result["data_schema"]({"sample_rate": "24000"})["language"] == "zh"


async def test_a_voice_is_named_as_the_user_named_it_with_the_vendors_name_beside(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    result = await design_chinese_voice(hass, entry)

    assert result["step_id"] == "design_preview"
    shown = (result["description_placeholders"] or {})["voice"]
    (made,) = emulator.voices.voices.values()
    assert shown.startswith("老船长 (voice_")
    assert made.voice.startswith(f"qwen-tts-vd-{shown.removeprefix('老船长 (').rstrip(')')}")


async def test_the_voice_step_names_the_new_voice_as_the_user_did(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    """In the title ("Voice … created") and in the list, where it is selected."""
    result = await design_chinese_voice(hass, entry)
    shown = (result["description_placeholders"] or {})["voice"]

    result = await step(result, hass, next_step_id="design_keep")

    assert (result["description_placeholders"] or {})["voice"] == shown
    config, default = voice_field(result)
    labels = {option["value"]: option["label"] for option in config["options"]}
    assert labels[default].startswith(f"✏️ {shown} · ")


# --- the voice step after a create ----------------------------------------------------------


async def test_the_new_voice_is_listed_by_name_and_selected_among_the_models_voices(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    older = emulator.voices.add("older", "vc")
    emulator.voices.add("robot", "vd")  # another model's
    emulator.voices.add("snapshot", "vc", target_model="qwen3-tts-vc-realtime-2025-11-27")

    result = await clone(hass, hass_client, entry, "grandma")

    new = next(
        voice for voice in emulator.voices.voices if voice not in {older} and "grandma" in voice
    )
    config, default = voice_field(result)
    labels = {option["value"]: option["label"] for option in config["options"]}
    assert default == new
    assert list(labels) == [new, older]  # the new voice first, then the model's others
    assert labels[new].startswith("🎙️ grandma · ")
    assert config["custom_value"] is False  # a plain select, which shows the name, not the id
    assert (result["description_placeholders"] or {})["model"] == VC_MODEL


async def test_a_voice_picked_from_the_account_is_listed_with_the_models_voices(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    picked = emulator.voices.add("robot", "vd")
    other = emulator.voices.add("butler", "vd")
    result = await start(hass, entry, "account_voice")

    result = await step(result, hass, voice=picked)

    assert result["step_id"] == "custom_voice"
    config, default = voice_field(result)
    assert default == picked
    assert [option["value"] for option in config["options"]] == [picked, other]
    assert (result["description_placeholders"] or {})["model"] == VD_MODEL


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_voice_help_of_a_custom_voice_model_says_what_the_list_holds(
    hass: HomeAssistant, language: str
) -> None:
    for step_id in ("custom_voice", "new_voice"):
        help_text = await step_text(hass, language, step_id, "data_description.voice")
        assert help_text != await step_text(hass, language, "voice", "data_description.voice")
