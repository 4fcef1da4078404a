"""A voice the model's catalogue lacks is proven by the service before the profile is saved."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import cast

from homeassistant.config_entries import SOURCE_USER, SubentryFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.qwen_tts_realtime.const import DOMAIN, SUBENTRY_TTS
from custom_components.qwen_tts_realtime.profile_flow import VOICE_CHECK_TEXT
from custom_components.qwen_tts_realtime.realtime import RealtimeClient
from custom_components.qwen_tts_realtime.realtime.timing import Timeouts
from qwen_tts_emulator import Emulator, Fault, Scenario

from .helpers import API_KEY, utterances, utterances_closed
from .test_config_flow import VOICE_STEP, voice_step

INSTRUCT = "qwen3-tts-instruct-flash-realtime"
VC_MODEL = "qwen3-tts-vc-realtime-2026-01-15"


# A system voice the vendor added after this release: the catalogue lacks it, the service has it.
NEW_VOICE = "Nova"


def cloned_voice(emulator: Emulator) -> str:
    """A voice the account cloned earlier (in the vendor's console, say)."""
    return emulator.voices.add("my_voice", "vc")


def with_new_voice(scenario: Scenario) -> Scenario:
    """`scenario`, where the service speaks NEW_VOICE on the instruct model."""
    spec = scenario.models[INSTRUCT]
    scenario.models[INSTRUCT] = replace(spec, voices=(*spec.voices, NEW_VOICE))
    return scenario


@pytest.mark.parametrize(
    "voice",
    [
        "made-up-voice",
        "Dylan",  # a system voice, but not one of this model's
        "qwen-tts-vc-cloned",  # a cloned id: it needs the cloning model
    ],
)
async def test_a_voice_the_model_cannot_use_is_refused(
    hass: HomeAssistant, emulator: Emulator, voice: str
) -> None:
    model = INSTRUCT
    result = await voice_step(hass, emulator, model)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**VOICE_STEP, "voice": voice}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"voice": "unknown_voice"}
    assert hass.config_entries.async_entries(DOMAIN) == []
    await utterances_closed(emulator)


async def test_a_voice_the_catalogue_lacks_is_proven_with_a_few_characters(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    with_new_voice(emulator.scenario)
    result = await voice_step(hass, emulator, INSTRUCT)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**VOICE_STEP, "voice": NEW_VOICE}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    (check,) = utterances(emulator)
    assert check.config["voice"] == NEW_VOICE
    assert check.config["model"] == INSTRUCT
    spoken = [e.payload["text"] for e in check.received if e.type == "input_text_buffer.append"]
    assert spoken == [VOICE_CHECK_TEXT]
    await utterances_closed(emulator)


async def test_a_voice_of_the_models_catalogue_needs_no_check(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    result = await voice_step(hass, emulator, INSTRUCT)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**VOICE_STEP, "voice": "Vivian"}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert utterances(emulator) == []


async def test_a_check_that_cannot_reach_the_service_says_so(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    result = await voice_step(hass, emulator, INSTRUCT)
    emulator.scenario = with_new_voice(
        Scenario(api_keys=frozenset({API_KEY}), handshake_status=503)
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**VOICE_STEP, "voice": NEW_VOICE}
    )

    assert result["errors"] == {"base": "cannot_connect"}


async def test_a_session_that_ends_without_audio_does_not_prove_the_voice(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    result = await voice_step(hass, emulator, INSTRUCT)
    emulator.scenario = with_new_voice(
        Scenario(
            api_keys=frozenset({API_KEY}),
            faults=[Fault("close", "before_audio", close_code=1000)],
        )
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**VOICE_STEP, "voice": NEW_VOICE}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


async def test_a_check_the_service_does_not_answer_in_time_says_so(
    hass: HomeAssistant, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "custom_components.qwen_tts_realtime.profile_flow.RealtimeClient",
        partial(RealtimeClient, timeouts=Timeouts(first_audio=0.3, audio=0.3)),
    )
    result = await voice_step(hass, emulator, INSTRUCT)
    emulator.scenario = with_new_voice(
        Scenario(api_keys=frozenset({API_KEY}), faults=[Fault("stall", "before_audio")])
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**VOICE_STEP, "voice": NEW_VOICE}
    )

    assert result["errors"] == {"base": "timeout"}  # reached, but silent: not "cannot connect"
    await utterances_closed(emulator)


async def test_adding_a_profile_checks_its_voice(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TTS), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "system_voice"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Storyteller", "model": INSTRUCT}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**VOICE_STEP, "voice": "Ethn"}
    )

    assert result["errors"] == {"voice": "unknown_voice"}
    assert len(entry.subentries) == 1


async def profile_to_voice(
    hass: HomeAssistant, entry: MockConfigEntry, voice: str
) -> SubentryFlowResult:
    """Move the entry's profile to the voice cloning model, typing `voice` in."""
    (subentry_id,) = entry.subentries
    result = cast(
        "SubentryFlowResult", await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Grandma", "model": VC_MODEL}
    )
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**VOICE_STEP, "voice": voice}
    )


async def test_a_check_that_is_refused_a_connection_says_so(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    voice = cloned_voice(emulator)
    await emulator.stop()  # nothing listens at the entry's endpoint any more

    result = await profile_to_voice(hass, entry, voice)

    assert result["errors"] == {"base": "connect_refused"}
    assert [s.data["voice"] for s in entry.subentries.values()] == ["Cherry"]  # nothing saved


async def test_a_check_for_an_account_that_may_not_use_the_model_says_so(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    voice = cloned_voice(emulator)
    emulator.scenario = Scenario(
        api_keys=frozenset({API_KEY}),
        faults=[Fault("error", "after_update", code="AccessDenied", message="Model not opened.")],
    )

    result = await profile_to_voice(hass, entry, voice)

    assert result["errors"] == {"base": "account_refused"}
    assert [s.data["voice"] for s in entry.subentries.values()] == ["Cherry"]  # nothing saved
    await utterances_closed(emulator)


async def test_reconfiguring_a_profile_checks_its_voice(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    (subentry_id,) = entry.subentries
    result = cast(
        "SubentryFlowResult", await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Qwen TTS", "model": INSTRUCT}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**VOICE_STEP, "voice": "Jennifer"}
    )

    assert result["errors"] == {"voice": "unknown_voice"}
    assert entry.subentries[subentry_id].data["voice"] == "Cherry"


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
async def test_the_voice_error_is_translated(hass: HomeAssistant, language: str) -> None:
    for category in ("config", "config_subentries"):
        strings = await async_get_translations(hass, language, category, [DOMAIN])
        key = (
            f"component.{DOMAIN}.config.error.unknown_voice"
            if category == "config"
            else f"component.{DOMAIN}.config_subentries.tts.error.unknown_voice"
        )
        assert strings[key]
