"""The config flow, voice profile subentries, reauth and reconfigure, against the emulator."""

from __future__ import annotations

from typing import cast

from homeassistant.config_entries import (
    SOURCE_USER,
    ConfigEntryState,
    ConfigFlowResult,
    SubentryFlowResult,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.qwen_tts_realtime.config_flow import _unique_id
from custom_components.qwen_tts_realtime.const import DOMAIN, SUBENTRY_TTS
from custom_components.qwen_tts_realtime.realtime import endpoints
from qwen_tts_emulator import Emulator, Scenario

from .helpers import API_KEY, make_entry, setup_entry

VOICE_STEP = {
    "voice": "Ethan",
    "language": "en",
    "sample_rate": "16000",
    "speech_rate": 1.2,
    "volume": 60,
    "pitch_rate": 0.9,
}


async def start_flow(hass: HomeAssistant) -> ConfigFlowResult:
    return await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})


async def voice_step(hass: HomeAssistant, emulator: Emulator, model: str) -> ConfigFlowResult:
    """Walk the user and profile steps with valid answers; return the voice step's form."""
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": API_KEY, "region": "custom", "endpoint": emulator.url}
    )
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": "Profile", "model": model}
    )


async def test_the_first_profile_is_offered_only_models_with_system_voices(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """The cloning and design models have no voice yet, and this flow cannot create one."""
    result = await start_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": API_KEY, "region": "custom", "endpoint": emulator.url}
    )

    assert result["step_id"] == "profile"
    models = result["data_schema"].schema["model"].config["options"]  # type: ignore[union-attr]
    assert "qwen3-tts-flash-realtime" in models
    assert not [model for model in models if "-vc-" in model or "-vd-" in model]


async def test_full_flow_creates_entry_with_first_voice_profile(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    result = await start_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": API_KEY, "region": "custom", "endpoint": emulator.url}
    )
    assert result["step_id"] == "profile"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"name": "Living room", "model": "qwen3-tts-flash-realtime"}
    )
    assert result["step_id"] == "voice"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], VOICE_STEP)
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.data == {"api_key": API_KEY, "region": "custom", "endpoint": emulator.url}
    assert API_KEY not in (entry.unique_id or "")
    (profile,) = entry.subentries.values()
    assert profile.subentry_type == SUBENTRY_TTS
    assert profile.title == "Living room"
    assert profile.data == {
        "model": "qwen3-tts-flash-realtime",
        "voice": "Ethan",
        "language": "en",
        "sample_rate": 16000,
        "speech_rate": 1.2,
        "volume": 60,
        "pitch_rate": 0.9,
        "clean_formatting": True,
    }
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("tts.living_room") is not None


async def test_wrong_key_shows_region_hint(hass: HomeAssistant, emulator: Emulator) -> None:
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"api_key": "sk-other-region", "region": "custom", "endpoint": emulator.url},
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    await emulator.wait_idle()  # raises TimeoutError while a socket stays open


async def test_refused_connection_says_so(hass: HomeAssistant, emulator: Emulator) -> None:
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"api_key": API_KEY, "region": "custom", "endpoint": "ws://127.0.0.1:1/api-ws/v1/realtime"},
    )

    assert result["errors"] == {"base": "connect_refused"}


async def test_server_error_at_handshake_cannot_connect(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    emulator.scenario = Scenario(handshake_status=503)
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": API_KEY, "region": "custom", "endpoint": emulator.url}
    )

    assert result["errors"] == {"base": "cannot_connect"}


async def test_a_throttled_key_check_says_so(hass: HomeAssistant, emulator: Emulator) -> None:
    emulator.scenario = Scenario(handshake_status=429)
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": API_KEY, "region": "custom", "endpoint": emulator.url}
    )

    assert result["errors"] == {"base": "rate_limited"}


async def test_a_key_check_the_service_does_not_answer_says_so(
    hass: HomeAssistant, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(endpoints, "PROBE_TIMEOUT", 0.1)
    emulator.scenario = Scenario(api_keys=frozenset({API_KEY}), handshake_delay=0.5)
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": API_KEY, "region": "custom", "endpoint": emulator.url}
    )

    assert result["errors"] == {"base": "timeout"}


@pytest.mark.parametrize(
    "endpoint",
    [
        "ws://dashscope.example.com/api-ws/v1/realtime",  # key would travel in clear text
        "https://dashscope.example.com/api-ws/v1/realtime",
        "",
        "wss://",
    ],
)
async def test_bad_custom_endpoint_is_invalid_url(
    hass: HomeAssistant, emulator: Emulator, endpoint: str
) -> None:
    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": API_KEY, "region": "custom", "endpoint": endpoint}
    )

    assert result["errors"] == {"endpoint": "invalid_url"}
    assert emulator.connections_total == 0


async def test_same_key_and_endpoint_cannot_be_added_twice(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    result = await voice_step(hass, emulator, "qwen3-tts-flash-realtime")
    await hass.config_entries.flow.async_configure(result["flow_id"], VOICE_STEP)
    await hass.async_block_till_done()

    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": API_KEY, "region": "custom", "endpoint": emulator.url}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_the_same_key_in_a_second_dialog_says_the_first_is_still_open(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    await voice_step(hass, emulator, "qwen3-tts-flash-realtime")  # the first dialog, left open

    result = await start_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": API_KEY, "region": "custom", "endpoint": emulator.url}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_in_progress"


async def test_empty_voice_is_refused(hass: HomeAssistant, emulator: Emulator) -> None:
    result = await voice_step(hass, emulator, "qwen3-tts-flash-realtime")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**VOICE_STEP, "voice": "  "}
    )

    assert result["errors"] == {"voice": "voice_required"}


@pytest.mark.parametrize(
    ("model", "offered"),
    [("qwen3-tts-flash-realtime", False), ("qwen3-tts-instruct-flash-realtime", True)],
)
async def test_instructions_are_offered_only_for_instruct_models(
    hass: HomeAssistant, emulator: Emulator, model: str, offered: bool
) -> None:
    result = await voice_step(hass, emulator, model)

    assert result["data_schema"] is not None
    assert ("instructions" in result["data_schema"].schema) is offered


async def test_too_long_instructions_are_refused(hass: HomeAssistant, emulator: Emulator) -> None:
    result = await voice_step(hass, emulator, "qwen3-tts-instruct-flash-realtime")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**VOICE_STEP, "voice": "Cherry", "instructions": "x" * 1601}
    )

    assert result["errors"] == {"instructions": "instructions_too_long"}


async def test_add_voice_profile_subentry_adds_an_entity(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TTS), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "system_voice"}
    )
    assert result["step_id"] == "system_voice"
    assert result["data_schema"] is not None
    assert result["data_schema"]({"model": "qwen3-tts-flash-realtime"})["name"] == "Qwen TTS 2"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Mandarin", "model": "qwen3-tts-flash-realtime"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**VOICE_STEP, "voice": "Dylan", "language": "zh"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(entry.subentries) == 2
    assert hass.states.get("tts.mandarin") is not None


async def test_a_profile_name_is_kept_on_one_line_without_control_characters(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TTS), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "system_voice"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": " Kitchen\nspeaker\x00 2 ", "model": "qwen3-tts-flash-realtime"}
    )
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], VOICE_STEP)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Kitchen speaker 2"


async def test_reconfigure_voice_profile(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    (subentry_id,) = entry.subentries
    # MockConfigEntry annotates this ConfigFlowResult, but it starts (and returns) a subentry flow.
    result = cast(
        "SubentryFlowResult", await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    )
    assert result["step_id"] == "system_voice"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Qwen TTS", "model": "qwen3-tts-flash-realtime"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**VOICE_STEP, "voice": "Serena"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[subentry_id].data["voice"] == "Serena"


async def test_changing_a_profiles_model_keeps_its_prosody(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    entry = make_entry(emulator, speech_rate=1.3, volume=70, pitch_rate=0.8)
    await setup_entry(hass, entry)
    (subentry_id,) = entry.subentries
    result = cast(
        "SubentryFlowResult", await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Qwen TTS", "model": "qwen3-tts-instruct-flash-realtime"}
    )

    assert result["step_id"] == "voice"
    assert result["data_schema"] is not None
    shown = result["data_schema"]({})
    assert (shown["speech_rate"], shown["volume"], shown["pitch_rate"]) == (1.3, 70, 0.8)
    assert (shown["voice"], shown["language"]) == ("Cherry", "en")


async def test_reauth_with_a_valid_key(hass: HomeAssistant, emulator: Emulator) -> None:
    entry = make_entry(emulator)
    await setup_entry(hass, entry)
    emulator.scenario = Scenario(api_keys=frozenset({"sk-new-key"}))

    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": "sk-bad"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": "sk-new-key"}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["api_key"] == "sk-new-key"
    assert entry.state is ConfigEntryState.LOADED


async def test_setup_with_refused_key_starts_reauth(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    emulator.scenario = Scenario(api_keys=frozenset({"sk-someone-else"}))
    entry = make_entry(emulator)
    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


async def test_setup_with_unreachable_endpoint_retries(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    emulator.scenario = Scenario(handshake_status=503)
    entry = make_entry(emulator)
    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_reconfigure_endpoint_keeps_key(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    other = Emulator(Scenario(api_keys=frozenset({API_KEY})))
    await other.start(host="127.0.0.1", port=0)
    try:
        result = await entry.start_reconfigure_flow(hass)
        assert result["step_id"] == "reconfigure"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"region": "custom", "endpoint": other.url}
        )
        await hass.async_block_till_done()

        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        assert entry.data == {"api_key": API_KEY, "region": "custom", "endpoint": other.url}
        assert entry.state is ConfigEntryState.LOADED
    finally:
        await hass.config_entries.async_unload(entry.entry_id)
        await other.stop()


async def test_unload(hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_unload(entry.entry_id)

    assert entry.state is ConfigEntryState.NOT_LOADED
    await emulator.wait_idle()  # the spare connection is closed too


async def test_reauth_when_the_endpoint_is_down(hass: HomeAssistant, emulator: Emulator) -> None:
    entry = make_entry(emulator)
    await setup_entry(hass, entry)
    emulator.scenario = Scenario(handshake_status=503)

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {"api_key": "sk-x"})

    assert result["errors"] == {"base": "cannot_connect"}
    assert entry.data["api_key"] == API_KEY
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        (
            {"region": "custom", "endpoint": "ws://example.com/api-ws/v1/realtime"},
            {"endpoint": "invalid_url"},
        ),
        (
            {"region": "custom", "endpoint": "ws://127.0.0.1:1/api-ws/v1/realtime"},
            {"base": "connect_refused"},
        ),
        (
            {"region": "custom", "endpoint": "ws://user:secret@127.0.0.1:1/api-ws/v1/realtime"},
            {"endpoint": "invalid_url"},
        ),
        ({"region": "custom", "api_key": "sk-wrong"}, {"base": "invalid_auth"}),
    ],
    ids=["clear-text-remote", "unreachable", "userinfo", "wrong-key"],
)
async def test_reconfigure_errors_keep_the_entry(
    hass: HomeAssistant,
    emulator: Emulator,
    entry: MockConfigEntry,
    user_input: dict[str, str],
    errors: dict[str, str],
) -> None:
    user_input = {"endpoint": emulator.url, **user_input}
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)

    assert result["errors"] == errors
    assert entry.data["endpoint"] == emulator.url
    assert entry.data["api_key"] == API_KEY


async def test_reconfigure_onto_another_entrys_key_and_endpoint_aborts(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    other = make_entry(emulator)
    other.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        other, data={**other.data, "api_key": "sk-second"}, unique_id="another"
    )
    emulator.scenario = Scenario(api_keys=frozenset({API_KEY, "sk-second"}))
    hass.config_entries.async_update_entry(entry, unique_id=_unique_id(emulator.url, API_KEY))

    result = await other.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"region": "custom", "endpoint": emulator.url, "api_key": API_KEY}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
