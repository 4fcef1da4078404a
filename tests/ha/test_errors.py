"""Each failure of the client reaches users as one translated Home Assistant error."""

from __future__ import annotations

from homeassistant.components import tts
from homeassistant.components.tts.helper import get_engine_instance
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.qwen_tts_realtime.errors import translate_error
from custom_components.qwen_tts_realtime.realtime import (
    AuthenticationError,
    ConnectError,
    ConnectionClosedError,
    EmptyTextError,
    InvalidOptionError,
    ProtocolError,
    RateLimitError,
    RealtimeError,
    ResponseTimeoutError,
    ServiceError,
    TimeoutStage,
)
from qwen_tts_emulator import Emulator, Fault, Scenario

from .helpers import API_KEY, ENTITY_ID, stream_audio

ERRORS: dict[str, tuple[RealtimeError, str, type[HomeAssistantError]]] = {
    "out_of_range": (
        InvalidOptionError("volume", 101, "too loud", bounds=(0, 100)),
        "option_out_of_range",
        ServiceValidationError,
    ),
    "unsupported": (
        InvalidOptionError("instructions", "…", "no", supported=False),
        "option_not_supported",
        ServiceValidationError,
    ),
    "malformed_option": (
        InvalidOptionError("voice", "", "empty"),
        "invalid_option",
        ServiceValidationError,
    ),
    "empty": (EmptyTextError("nothing"), "empty_message", ServiceValidationError),
    "auth": (AuthenticationError("401"), "auth_failed", HomeAssistantError),
    "throttled": (RateLimitError("Throttling", "slow down"), "rate_limited", HomeAssistantError),
    "unknown_voice": (
        ServiceError("invalid_value", "no such voice", param="session.voice"),
        "unknown_voice",
        HomeAssistantError,
    ),
    "service": (ServiceError("InternalError", "oops"), "service_error", HomeAssistantError),
    "connect_timeout": (
        ResponseTimeoutError(TimeoutStage.CONNECT, 10),
        "connect_timeout",
        HomeAssistantError,
    ),
    "audio_timeout": (
        ResponseTimeoutError(TimeoutStage.AUDIO, 10),
        "audio_timeout",
        HomeAssistantError,
    ),
    "rejected": (
        ConnectionClosedError("closed", session_accepted=False),
        "session_rejected",
        HomeAssistantError,
    ),
    "closed": (
        ConnectionClosedError("closed", session_accepted=True),
        "connection_closed",
        HomeAssistantError,
    ),
    "cannot_connect": (ConnectError("refused"), "cannot_connect", HomeAssistantError),
    "protocol": (ProtocolError("binary frame"), "protocol_error", HomeAssistantError),
    "other": (RealtimeError("anything else"), "service_error", HomeAssistantError),
}


@pytest.mark.parametrize(("error", "key", "kind"), ERRORS.values(), ids=ERRORS.keys())
def test_client_error_becomes_translated_error(
    error: RealtimeError, key: str, kind: type[HomeAssistantError]
) -> None:
    translated = translate_error(error, model="qwen3-tts-flash-realtime", voice="Cherry")

    assert type(translated) is kind
    assert translated.translation_domain == "qwen_tts_realtime"
    assert translated.translation_key == key


async def test_session_finished_without_any_response_is_an_error_not_an_empty_file(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    emulator.scenario = Scenario(
        api_keys=frozenset({API_KEY}),
        faults=[Fault("frame", "after_update", frame={"type": "session.finished"})],
    )
    await hass.config_entries.async_reload(entry.entry_id)  # the spare gets the new scenario

    with pytest.raises(HomeAssistantError) as raised:
        await stream_audio(hass, "Hello.")

    assert raised.value.translation_key == "incomplete_audio"


async def test_whole_message_path_refuses_empty_text(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    engine = get_engine_instance(hass, ENTITY_ID)
    assert isinstance(engine, tts.TextToSpeechEntity)

    with pytest.raises(ServiceValidationError) as raised:
        await engine.async_get_tts_audio(" \n", "en", dict(engine.default_options or {}))

    assert raised.value.translation_key == "empty_message"
