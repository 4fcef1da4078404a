"""Every session field of the protocol: sent as given, validated before anything is sent."""

from __future__ import annotations

import math
from typing import Any

import pytest

from custom_components.qwen_tts_realtime.realtime import (
    InvalidOptionError,
    RealtimeClient,
    SessionConfig,
    model_info,
)
from custom_components.qwen_tts_realtime.realtime.session_config import Mode
from qwen_tts_emulator import Emulator, Scenario

from .helpers import (
    INSTRUCT_MODEL,
    KEYS,
    LEGACY_MODEL,
    chunks,
    config,
    session_update,
    speak,
)


async def test_every_field_reaches_the_service(emulator: Emulator, client: RealtimeClient) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    settings = config(
        voice="Eldric Sage",
        language_type="German",
        sample_rate=16000,
        speech_rate=1.5,
        volume=80,
        pitch_rate=0.75,
    )

    await speak(client.synthesize(settings, "Hallo."))
    await emulator.wait_idle()

    assert session_update(emulator.sessions[0]) == {
        "voice": "Eldric Sage",
        "mode": "commit",
        "language_type": "German",
        "response_format": "pcm",
        "sample_rate": 16000,
        "speech_rate": 1.5,
        "volume": 80,
        "pitch_rate": 0.75,
    }
    assert emulator.sessions[0].config["sample_rate"] == 16000


@pytest.mark.parametrize("rate", [22050, 44100])
async def test_an_undocumented_rate_reaches_the_service(
    emulator: Emulator, client: RealtimeClient, rate: int
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    await speak(client.synthesize(config(sample_rate=rate), "Hello."))
    await emulator.wait_idle()

    assert session_update(emulator.sessions[0])["sample_rate"] == rate


async def test_instructions_reach_an_instruct_model(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    settings = config(model=INSTRUCT_MODEL, instructions="Speak slowly and warmly.")

    await speak(client.synthesize(settings, "Good night."))
    await emulator.wait_idle()

    sent = session_update(emulator.sessions[0])
    assert sent["instructions"] == "Speak slowly and warmly."
    assert emulator.sessions[0].config["instructions"] == "Speak slowly and warmly."


async def test_unset_fields_are_not_sent(emulator: Emulator, client: RealtimeClient) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    await speak(client.synthesize(config(), "Hi."))
    await emulator.wait_idle()

    assert set(session_update(emulator.sessions[0])) == {
        "voice",
        "mode",
        "language_type",
        "response_format",
        "sample_rate",
    }


def test_fields_a_model_lacks_are_left_out_of_the_session() -> None:
    settings = SessionConfig(
        model=model_info(LEGACY_MODEL), voice="Cherry", speech_rate=1.2, instructions="Whisper."
    )

    session = settings.to_session()

    assert "speech_rate" not in session
    assert "instructions" not in session


def test_instructions_are_left_out_for_a_model_without_them() -> None:
    session = config(instructions="Whisper.").to_session()

    assert "instructions" not in session


@pytest.mark.parametrize(
    ("changes", "option"),
    [
        ({"speech_rate": 1.2}, "speech_rate"),
        ({"volume": 60}, "volume"),
        ({"pitch_rate": 0.9}, "pitch_rate"),
        ({"sample_rate": 16000}, "sample_rate"),
        ({"response_format": "mp3"}, "response_format"),
    ],
)
async def test_option_the_model_lacks_is_refused_before_connecting(
    emulator: Emulator, client: RealtimeClient, changes: dict[str, Any], option: str
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    with pytest.raises(InvalidOptionError) as err:
        await speak(client.synthesize(config(model=LEGACY_MODEL, **changes), "Hi."))

    assert err.value.option == option
    assert err.value.supported is False
    assert emulator.handshake_attempts == 0


async def test_instructions_refused_for_a_model_without_them(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    with pytest.raises(InvalidOptionError) as err:
        await speak(client.synthesize(config(instructions="Whisper."), "Hi."))

    assert err.value.option == "instructions"
    assert err.value.supported is False
    assert emulator.handshake_attempts == 0


@pytest.mark.parametrize(
    ("changes", "option", "bounds"),
    [
        ({"speech_rate": 0.49}, "speech_rate", (0.5, 2.0)),
        ({"speech_rate": 2.01}, "speech_rate", (0.5, 2.0)),
        ({"pitch_rate": 0.4}, "pitch_rate", (0.5, 2.0)),
        ({"pitch_rate": 2.5}, "pitch_rate", (0.5, 2.0)),
        ({"volume": -1}, "volume", (0, 100)),
        ({"volume": 101}, "volume", (0, 100)),
    ],
)
async def test_value_out_of_range_is_refused_before_connecting(
    emulator: Emulator,
    client: RealtimeClient,
    changes: dict[str, Any],
    option: str,
    bounds: tuple[float, float],
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    with pytest.raises(InvalidOptionError) as err:
        await speak(client.stream(config(**changes), chunks("Hi.")))

    assert (err.value.option, err.value.bounds) == (option, bounds)
    assert emulator.handshake_attempts == 0


@pytest.mark.parametrize(
    ("changes", "option"),
    [
        ({"voice": "  "}, "voice"),
        ({"language_type": "Klingon"}, "language_type"),
        ({"language_type": "en"}, "language_type"),
        ({"response_format": "flac"}, "response_format"),
        ({"sample_rate": 11025}, "sample_rate"),
        ({"volume": 50.5}, "volume"),
        ({"speech_rate": math.nan}, "speech_rate"),
        ({"speech_rate": True}, "speech_rate"),
        ({"pitch_rate": "fast"}, "pitch_rate"),
        ({"model": INSTRUCT_MODEL, "instructions": "x" * 1601}, "instructions"),
    ],
)
async def test_malformed_value_is_refused_before_connecting(
    emulator: Emulator, client: RealtimeClient, changes: dict[str, Any], option: str
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    with pytest.raises(InvalidOptionError) as err:
        await speak(client.synthesize(config(**changes), "Hi."))

    assert err.value.option == option
    assert emulator.handshake_attempts == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"speech_rate": 0.5, "pitch_rate": 2.0, "volume": 0},
        {"speech_rate": 2.0, "pitch_rate": 0.5, "volume": 100},
        {"language_type": "Auto"},
        {"model": INSTRUCT_MODEL, "instructions": "x" * 1600},
    ],
)
def test_bounds_themselves_are_accepted(changes: dict[str, Any]) -> None:
    settings = config(**changes)

    settings.validate()


def test_with_mode_returns_a_copy() -> None:
    settings = config()

    assert settings.with_mode(Mode.SERVER_COMMIT).mode is Mode.SERVER_COMMIT
    assert settings.mode is Mode.COMMIT


@pytest.mark.parametrize(
    ("changes", "option", "expected"),
    [
        ({"voice": None}, "voice", "text"),
        ({"voice": ["Cherry"]}, "voice", "text"),
        ({"voice": "Cherry\ud800"}, "voice", "text"),
        ({"model": INSTRUCT_MODEL, "instructions": 42}, "instructions", "text"),
        ({"speech_rate": True}, "speech_rate", "number"),
        ({"speech_rate": "fast"}, "speech_rate", "number"),
        ({"pitch_rate": math.inf}, "pitch_rate", "number"),
        ({"volume": math.nan}, "volume", "number"),
        ({"volume": 50.5}, "volume", "number"),
    ],
)
def test_value_of_the_wrong_type_says_what_was_expected(
    changes: dict[str, Any], option: str, expected: str
) -> None:
    with pytest.raises(InvalidOptionError) as err:
        config(**changes).validate()

    assert (err.value.option, err.value.expected) == (option, expected)


def test_wrong_type_is_reported_before_what_the_model_lacks() -> None:
    with pytest.raises(InvalidOptionError) as err:
        config(model=LEGACY_MODEL, speech_rate="fast").validate()

    assert (err.value.expected, err.value.supported) == ("number", True)


def test_integer_too_large_for_a_float_is_out_of_range() -> None:
    with pytest.raises(InvalidOptionError) as err:
        config(volume=10**400).validate()

    assert err.value.bounds == (0, 100)


def test_numbers_go_out_as_the_protocol_types() -> None:
    session = config(speech_rate=1, volume=50.0, pitch_rate=2).to_session()

    sent = [session["speech_rate"], session["volume"], session["pitch_rate"]]
    assert sent == [1.0, 50, 2.0]
    assert [type(value) for value in sent] == [float, int, float]
