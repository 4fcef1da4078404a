"""Every fault of the service ends in a clear, translated error; nothing is cached or left open."""

from __future__ import annotations

import asyncio
import logging

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.qwen_tts_realtime.realtime.timing import MAX_BAD_FRAMES
from qwen_tts_emulator import Emulator, Fault, Scenario, render_pcm

from .helpers import (
    API_KEY,
    NO_SPARES,
    TWO_SENTENCES,
    interrupt_after_first_audio,
    make_entry,
    pcm_of,
    setup_entry,
    stream_audio,
    utterances,
    with_faults,
)


async def speak_error(emulator: Emulator, hass: HomeAssistant) -> HomeAssistantError:
    """Ask for speech that must fail; return the error once no socket is left open."""
    with pytest.raises(HomeAssistantError) as raised:
        await stream_audio(hass, TWO_SENTENCES)
    await emulator.wait_idle()  # the connection counter is back at zero
    return raised.value


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
        with_faults(Fault("error", "after_update", code="InternalError")),
        "service_error",
    ),
    "error_after_partial_audio": (
        with_faults(Fault("error", "mid_stream", code="InternalError")),
        "service_error",
    ),
    "error_between_responses": (
        with_faults(Fault("error", "after_response_done", response=0, code="InternalError")),
        "service_error",
    ),
    "throttling": (
        with_faults(
            Fault("error", "after_update", code="Throttling", message="Requests throttled")
        ),
        "rate_limited",
    ),
    "unknown_voice": (
        with_faults(
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
    "closed_before_audio": (with_faults(Fault("close", "before_audio")), "connection_closed"),
    "closed_mid_stream": (with_faults(Fault("close", "mid_stream")), "connection_closed"),
    "closed_after_response_done": (
        with_faults(Fault("close", "after_response_done", response=1)),
        "connection_closed",
    ),
    "malformed_burst": (
        with_faults(Fault("malformed", "mid_stream", repeat=MAX_BAD_FRAMES + 1)),
        "protocol_error",
    ),
}


@pytest.mark.parametrize(("scenario", "translation_key"), FAULTS.values(), ids=FAULTS.keys())
async def test_fault_gives_translated_error_and_leaks_nothing(
    hass: HomeAssistant,
    emulator: Emulator,
    cold_entry: MockConfigEntry,
    scenario: Scenario,
    translation_key: str,
) -> None:
    emulator.scenario = scenario

    error = await speak_error(emulator, hass)

    assert error.translation_key == translation_key
    assert str(error)


# Stalls are detected in a fraction of a second instead of the production 10-15 s.
@pytest.mark.usefixtures("short_timeouts")
@pytest.mark.parametrize(
    "fault",
    [Fault("stall", "before_audio"), Fault("stall", "mid_stream")],
    ids=["stall_before_audio", "stall_mid_stream"],
)
async def test_stall_gives_translated_error_and_leaks_nothing(
    hass: HomeAssistant, emulator: Emulator, cold_entry: MockConfigEntry, fault: Fault
) -> None:
    emulator.scenario = with_faults(fault)

    error = await speak_error(emulator, hass)

    assert error.translation_key == "audio_timeout"
    assert str(error)


async def test_failed_audio_is_not_cached(
    hass: HomeAssistant, emulator: Emulator, cold_entry: MockConfigEntry
) -> None:
    emulator.scenario = with_faults(Fault("close", "mid_stream", times=1))
    with pytest.raises(HomeAssistantError):
        await stream_audio(hass, TWO_SENTENCES, {"preferred_format": "wav"})

    audio = await stream_audio(hass, TWO_SENTENCES, {"preferred_format": "wav"})

    assert pcm_of(audio) == utterances(emulator)[-1].pcm
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
    hass: HomeAssistant, emulator: Emulator, cold_entry: MockConfigEntry
) -> None:
    emulator.scenario = Scenario(api_keys=frozenset({"sk-rotated"}))

    with pytest.raises(HomeAssistantError) as raised:
        await stream_audio(hass, "Hello.")

    assert raised.value.translation_key == "auth_failed"
    await hass.async_block_till_done()
    assert [f["context"]["source"] for f in hass.config_entries.flow.async_progress()] == ["reauth"]


async def test_connection_lost_before_audio_is_recovered_without_duplicate_audio(
    hass: HomeAssistant, emulator: Emulator, cold_entry: MockConfigEntry
) -> None:
    emulator.scenario = with_faults(Fault("close", "before_audio", times=1))

    audio = await stream_audio(hass, TWO_SENTENCES, {"preferred_format": "wav"})

    assert pcm_of(audio) == b"".join(
        render_pcm(sentence, voice="Cherry")
        for sentence in ("The first sentence is here.", "The second one follows.")
    )  # once, not duplicated
    assert [len(record.faults_fired) for record in utterances(emulator)] == [1, 0]


async def test_auth_errors_are_not_retried(
    hass: HomeAssistant, emulator: Emulator, cold_entry: MockConfigEntry
) -> None:
    attempts = emulator.connections_total
    emulator.scenario = Scenario(handshake_status=401)

    with pytest.raises(HomeAssistantError):
        await stream_audio(hass, "Hello.")

    assert emulator.handshake_attempts - attempts == 1


@pytest.mark.parametrize("message", ["", "   \n\t "])
async def test_nothing_to_speak_is_a_clear_error(
    hass: HomeAssistant, emulator: Emulator, cold_entry: MockConfigEntry, message: str
) -> None:
    with pytest.raises(HomeAssistantError) as raised:
        await stream_audio(hass, message)

    assert raised.value.translation_key == "empty_message"
    await emulator.wait_idle()  # the connection counter is back at zero


async def test_control_characters_are_not_sent(
    hass: HomeAssistant, emulator: Emulator, cold_entry: MockConfigEntry
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
    ["<speak>Hello <break time='1s'/> world</speak>", "Ünïcödé — 你好，世界！"],
    ids=["markup", "unicode"],
)
async def test_unusual_text_is_sent_verbatim(
    hass: HomeAssistant, emulator: Emulator, cold_entry: MockConfigEntry, message: str
) -> None:
    await stream_audio(hass, message)

    appends = [
        e.payload["text"]
        for e in utterances(emulator)[-1].received
        if e.type == "input_text_buffer.append"
    ]
    assert "".join(appends) == message


async def test_long_message_goes_out_in_bounded_appends(
    hass: HomeAssistant, emulator: Emulator, cold_entry: MockConfigEntry
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
    hass: HomeAssistant, emulator: Emulator, cold_entry: MockConfigEntry
) -> None:
    messages = [f"Message number {index}." for index in range(50)]

    results = await asyncio.gather(
        *(stream_audio(hass, message, {"preferred_format": "wav"}) for message in messages)
    )

    for message, audio in zip(messages, results, strict=True):
        assert pcm_of(audio) == render_pcm(message, voice="Cherry")
    await emulator.wait_idle()  # the connection counter is back at zero


async def test_api_key_never_appears_in_logs_or_errors(
    hass: HomeAssistant,
    emulator: Emulator,
    cold_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []
    for scenario in (
        Scenario(api_keys=frozenset({API_KEY})),
        Scenario(handshake_status=401),
        with_faults(Fault("error", "after_update", code="InternalError")),
        # A service or proxy that echoes the request's key in an error.
        with_faults(Fault("error", "after_update", code="InvalidApiKey", message=API_KEY)),
        with_faults(Fault("error", "before_audio", code="InternalError", message=API_KEY)),
        with_faults(Fault("close", "mid_stream")),
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
    hass: HomeAssistant, emulator: Emulator, cold_entry: MockConfigEntry
) -> None:
    first, text_closed = await interrupt_after_first_audio(hass)  # the user interrupts Assist

    assert first[:4] == b"RIFF"
    assert text_closed.is_set()
    await emulator.wait_idle()  # the connection counter is back at zero
    assert utterances(emulator)[-1].closed_by_client
