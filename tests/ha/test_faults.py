"""Every fault of the service ends in a clear, translated error; nothing is cached or left open."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import logging

from homeassistant.components import tts
from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.components.tts.helper import get_engine_instance
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.qwen_tts_realtime.realtime import Timeouts
from custom_components.qwen_tts_realtime.realtime.limits import MAX_BAD_FRAMES
from qwen_tts_emulator import Emulator, Fault, Scenario, render_pcm

from .conftest import API_KEY, make_entry, setup_entry
from .ha_fixtures import NO_SPARES, client_settings
from .helpers import ENTITY_ID, stream_audio, utterances

TWO_SENTENCES = "The first sentence is here. The second one follows."
SHORT_TIMEOUTS = Timeouts(connect=2.0, first_audio=0.3, audio=0.3)


@pytest.fixture(autouse=True)
def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stalls are detected in a fraction of a second instead of the production 10-15 s."""
    client_settings(monkeypatch, timeouts=SHORT_TIMEOUTS)


@pytest.fixture(name="entry")
def cold(cold_entry: MockConfigEntry) -> MockConfigEntry:
    """Every utterance connects under the test's scenario (no spare)."""
    return cold_entry


def utterance_faults(*faults: Fault) -> Scenario:
    """A scenario whose faults hit every connection but the setup check (connection 0)."""
    return Scenario(api_keys=frozenset({API_KEY}), faults=list(faults))


FAULTS: dict[str, tuple[Scenario, str]] = {
    "handshake_403": (Scenario(handshake_status=403, handshake_code=""), "auth_failed"),
    "handshake_403_access_denied": (
        Scenario(handshake_status=403, handshake_code="AccessDenied"),
        "account_access_denied",
    ),
    "handshake_429": (Scenario(handshake_status=429), "rate_limited"),
    "handshake_500": (Scenario(handshake_status=500), "cannot_connect"),
    "handshake_503": (Scenario(handshake_status=503), "cannot_connect"),
    "error_before_audio": (
        utterance_faults(Fault("error", "after_update", code="InternalError")),
        "service_error",
    ),
    "error_after_partial_audio": (
        utterance_faults(Fault("error", "mid_stream", code="InternalError")),
        "service_error",
    ),
    "error_between_responses": (
        utterance_faults(Fault("error", "after_response_done", response=0, code="InternalError")),
        "service_error",
    ),
    "throttling": (
        utterance_faults(
            Fault("error", "after_update", code="Throttling", message="Requests throttled")
        ),
        "rate_limited",
    ),
    "unknown_voice": (
        utterance_faults(
            Fault(
                "error",
                "after_update",
                code="invalid_value",
                param="session.voice",
                message="Voice 'Nobody' is not supported.",
            )
        ),
        "unknown_voice",
    ),
    "closed_before_audio": (utterance_faults(Fault("close", "before_audio")), "connection_closed"),
    "closed_mid_stream": (utterance_faults(Fault("close", "mid_stream")), "connection_closed"),
    "closed_after_response_done": (
        utterance_faults(Fault("close", "after_response_done", response=1)),
        "connection_closed",
    ),
    "stall_before_audio": (utterance_faults(Fault("stall", "before_audio")), "audio_timeout"),
    "stall_mid_stream": (utterance_faults(Fault("stall", "mid_stream")), "audio_timeout"),
    "malformed_burst": (
        utterance_faults(Fault("malformed", "mid_stream", repeat=MAX_BAD_FRAMES + 1)),
        "protocol_error",
    ),
}


@pytest.mark.parametrize(("scenario", "translation_key"), FAULTS.values(), ids=FAULTS.keys())
async def test_fault_gives_translated_error_and_leaks_nothing(
    hass: HomeAssistant,
    emulator: Emulator,
    entry: MockConfigEntry,
    scenario: Scenario,
    translation_key: str,
) -> None:
    emulator.scenario = scenario

    with pytest.raises(HomeAssistantError) as raised:
        await stream_audio(hass, TWO_SENTENCES)

    assert raised.value.translation_key == translation_key
    assert str(raised.value)
    await emulator.wait_idle()  # the connection counter is back at zero


async def test_failed_audio_is_not_cached(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    emulator.scenario = utterance_faults(Fault("close", "mid_stream", times=1))
    with pytest.raises(HomeAssistantError):
        await stream_audio(hass, TWO_SENTENCES, {"preferred_format": "wav"})

    audio = await stream_audio(hass, TWO_SENTENCES, {"preferred_format": "wav"})

    assert audio[audio.index(b"data") + 8 :] == utterances(emulator)[-1].pcm
    assert len(utterances(emulator)) == 2  # synthesized again, not served from a partial cache


async def test_unknown_model_is_reported_as_rejected_session(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    entry = make_entry(emulator, options=NO_SPARES, model="qwen3-tts-flash-realtime-2099-01-01")
    await setup_entry(hass, entry)

    with pytest.raises(HomeAssistantError) as raised:
        await stream_audio(hass, "Hello.")

    assert raised.value.translation_key == "session_rejected"
    await emulator.wait_idle()  # the connection counter is back at zero


async def test_auth_failure_while_speaking_starts_reauth(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    emulator.scenario = Scenario(api_keys=frozenset({"sk-rotated"}))

    with pytest.raises(HomeAssistantError) as raised:
        await stream_audio(hass, "Hello.")

    assert raised.value.translation_key == "auth_failed"
    await hass.async_block_till_done()
    assert [f["context"]["source"] for f in hass.config_entries.flow.async_progress()] == ["reauth"]


async def test_connection_lost_before_audio_is_recovered_without_duplicate_audio(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    emulator.scenario = Scenario(
        api_keys=frozenset({API_KEY}), faults=[Fault("close", "before_audio", times=1)]
    )

    audio = await stream_audio(hass, TWO_SENTENCES, {"preferred_format": "wav"})

    assert audio[audio.index(b"data") + 8 :] == b"".join(
        render_pcm(sentence, voice="Cherry")
        for sentence in ("The first sentence is here.", "The second one follows.")
    )  # once, not duplicated
    assert [len(record.faults_fired) for record in utterances(emulator)] == [1, 0]


async def test_auth_errors_are_not_retried(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    attempts = emulator.connections_total
    emulator.scenario = Scenario(handshake_status=401)

    with pytest.raises(HomeAssistantError):
        await stream_audio(hass, "Hello.")

    assert emulator.handshake_attempts - attempts == 1


@pytest.mark.parametrize("message", ["", "   \n\t "])
async def test_nothing_to_speak_is_a_clear_error(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, message: str
) -> None:
    with pytest.raises(HomeAssistantError) as raised:
        await stream_audio(hass, message)

    assert raised.value.translation_key == "empty_message"
    await emulator.wait_idle()  # the connection counter is back at zero


async def test_control_characters_are_not_sent(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    await stream_audio(hass, "Hello\x00\x07 world.\x1b")

    appends = [
        e.payload["text"]
        for e in utterances(emulator)[-1].received
        if e.type == "input_text_buffer.append"
    ]
    assert "".join(appends) == "Hello world."


@pytest.mark.parametrize(
    "message",
    ["🙂🎉", "<speak>Hello <break time='1s'/> world</speak>", "Ünïcödé — 你好，世界！"],
    ids=["emoji", "markup", "unicode"],
)
async def test_unusual_text_is_sent_verbatim(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, message: str
) -> None:
    await stream_audio(hass, message)

    appends = [
        e.payload["text"]
        for e in utterances(emulator)[-1].received
        if e.type == "input_text_buffer.append"
    ]
    assert "".join(appends) == message


async def test_long_message_goes_out_in_bounded_appends(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    message = "Word " * 4000  # 20,000 characters

    await stream_audio(hass, message, {"speech_rate": 2.0, "preferred_format": "wav"})

    appends = [
        e.payload["text"]
        for e in utterances(emulator)[-1].received
        if e.type == "input_text_buffer.append"
    ]
    assert "".join(appends) == message
    assert max(len(text) for text in appends) <= 1000


async def test_fifty_concurrent_utterances_get_their_own_audio(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    messages = [f"Message number {index}." for index in range(50)]

    results = await asyncio.gather(
        *(stream_audio(hass, message, {"preferred_format": "wav"}) for message in messages)
    )

    for message, audio in zip(messages, results, strict=True):
        assert audio[audio.index(b"data") + 8 :] == render_pcm(message, voice="Cherry")
    await emulator.wait_idle()  # the connection counter is back at zero


async def test_api_key_never_appears_in_logs_or_errors(
    hass: HomeAssistant,
    emulator: Emulator,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []
    for scenario in (
        Scenario(api_keys=frozenset({API_KEY})),
        Scenario(handshake_status=401),
        utterance_faults(Fault("error", "after_update", code="InternalError")),
        utterance_faults(Fault("close", "mid_stream")),
    ):
        emulator.scenario = scenario
        try:
            await stream_audio(hass, f"Scenario {len(messages)}.")
        except HomeAssistantError as err:
            messages.append(f"{err!s} {err!r} {err.__cause__!r}")
        await hass.async_block_till_done()

    assert API_KEY not in caplog.text
    assert all(API_KEY not in message for message in messages)


async def test_interrupted_stream_closes_the_socket_and_stops_reading_text(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    engine = get_engine_instance(hass, ENTITY_ID)
    assert isinstance(engine, tts.TextToSpeechEntity)
    text_closed = asyncio.Event()

    async def agent_still_writing() -> AsyncGenerator[str]:
        try:
            yield "Here is the first sentence of a long answer. "
            await asyncio.Event().wait()  # the language model never finishes
        finally:
            text_closed.set()

    response = await engine.async_stream_tts_audio(
        TTSAudioRequest("en", {**dict(engine.default_options or {}), "preferred_format": "wav"},
                        agent_still_writing())
    )  # fmt: skip
    first = await anext(response.data_gen)
    await response.data_gen.aclose()  # the user interrupts Assist

    assert first[:4] == b"RIFF"
    assert text_closed.is_set()
    await emulator.wait_idle()  # the connection counter is back at zero
    assert utterances(emulator)[-1].closed_by_client
