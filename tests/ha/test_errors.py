"""Each failure of the client reaches users as one translated error, named in one table."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from homeassistant.components import tts
from homeassistant.components.tts.helper import get_engine_instance
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.qwen_tts_realtime import errors as table
from custom_components.qwen_tts_realtime.const import DOMAIN
from custom_components.qwen_tts_realtime.errors import error_keys, translate_error
from custom_components.qwen_tts_realtime.realtime import (
    AccountError,
    AudioLimitError,
    AuthenticationError,
    BadAudioError,
    ConnectError,
    ConnectionClosedError,
    ConnectReason,
    EmptyTextError,
    IncompleteAudioError,
    InvalidEndpointError,
    InvalidOptionError,
    ProtocolError,
    RateLimitError,
    RealtimeError,
    ResponseTimeoutError,
    ServiceError,
    TimeoutStage,
    VoiceApiUnavailableError,
    VoiceNotFoundError,
    VoiceStorageFullError,
)
from custom_components.qwen_tts_realtime.realtime.errors import (
    AUDIO_PROBLEMS,
    InvalidWorkspaceError,
    VoiceApiResponseError,
    VoiceServiceError,
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


# Every kind of client error, in every variant the table tells apart.
VD_MODEL = "qwen3-tts-vd-realtime-2026-01-15"
SAMPLES: list[RealtimeError] = [
    RealtimeError("anything else"),
    InvalidEndpointError("the key would travel in clear text"),
    InvalidWorkspaceError("not a host label"),
    VoiceApiUnavailableError("no customisation API beside this endpoint"),
    InvalidOptionError("volume", 101, "too loud", bounds=(0, 100)),
    InvalidOptionError("instructions", "…", "no", supported=False),
    InvalidOptionError("voice", "", "empty"),
    EmptyTextError("nothing"),
    AuthenticationError("401"),
    AccountError("Arrearage", "Unpaid."),
    AccountError("Throttling.AllocationQuota", "Quota used up."),
    AccountError("AccessDenied", "Not activated."),
    *(ConnectError(f"cannot connect ({reason})", reason=reason) for reason in ConnectReason),
    ConnectError("handshake refused with HTTP 503", status=503),
    ServiceError("InternalError", "Oops."),
    ServiceError("invalid_value", "No such voice.", param="session.voice"),
    RateLimitError("Throttling", "Slow down."),
    ConnectionClosedError("closed", session_accepted=False),
    ConnectionClosedError("closed", session_accepted=True),
    ProtocolError("binary frame"),
    *(ResponseTimeoutError(stage, 10) for stage in TimeoutStage),
    AudioLimitError(30),
    IncompleteAudioError("no response.done"),
    VoiceServiceError("InternalError", "Oops.", status=500),
    VoiceServiceError("InvalidParameter", "Bad.", status=400),
    *(
        BadAudioError(code, "Bad audio.", status=400, problem=problem)
        for code, problem in AUDIO_PROBLEMS.items()
    ),
    BadAudioError("TooLarge", "the recording is too large", status=0, problem="too_large"),
    VoiceStorageFullError("Throttling.AllocationQuota", "Full.", status=400),
    VoiceNotFoundError("VoiceNotFound", "No such voice.", status=400),
    VoiceApiResponseError("the answer is not a JSON object"),
]
# An utterance's model and voice, as translate_error gets them: each sample is also tried with a
# cloned voice on the voice design model (a voice of another model).
UTTERANCES = [("qwen3-tts-flash-realtime", "Cherry"), (VD_MODEL, "qwen-tts-vc-grandma-voice-1")]
INTEGRATION = Path(table.__file__).parent


def client_error_types() -> set[type[RealtimeError]]:
    """Every error class the realtime client defines (a new one is found here by itself)."""
    found: set[type[RealtimeError]] = {RealtimeError}
    todo = [RealtimeError]
    while todo:
        for subclass in todo.pop().__subclasses__():
            if subclass.__module__.startswith(RealtimeError.__module__.rpartition(".")[0]):
                found.add(subclass)
                todo.append(subclass)
    return found


def translation_files() -> dict[str, dict[str, object]]:
    """strings.json and every translations/*.json, by file name."""
    paths = [INTEGRATION / "strings.json", *sorted((INTEGRATION / "translations").glob("*.json"))]
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in paths}


def has(tree: object, dotted: str) -> bool:
    for part in dotted.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return False
        tree = tree[part]
    return isinstance(tree, str)


def test_every_client_error_type_is_walked() -> None:
    assert {type(error) for error in SAMPLES} == client_error_types()


def places(error: RealtimeError, model: str, voice: str) -> dict[str, list[str]]:
    """The translation key of `error` in each place, with where strings.json holds it."""
    keys = error_keys(error, model=model, voice=voice)
    found = {
        "service": [f"exceptions.{keys.service}.message"],
        "setup": [f"exceptions.{keys.setup}.message"],
        "key_check": [f"config.error.{keys.key_check}"],
        "voice_check": [
            f"config.error.{keys.voice_check}",
            f"config_subentries.tts.error.{keys.voice_check}",
        ],
        "voices": [f"config_subentries.tts.error.{keys.voices}"],
    }
    if keys.unconfirmed is not None:  # a create that may have made its voice
        found["unconfirmed"] = [f"config_subentries.tts.error.{keys.unconfirmed}"]
    return found


@pytest.mark.parametrize("error", SAMPLES, ids=lambda error: f"{type(error).__name__}:{error}")
@pytest.mark.parametrize(("model", "voice"), UTTERANCES, ids=["system-voice", "other-model"])
def test_every_client_error_has_one_translated_key_in_each_place(
    error: RealtimeError, model: str, voice: str
) -> None:
    keys = error_keys(error, model=model, voice=voice)
    files = translation_files()

    for place, keys_there in places(error, model, voice).items():
        for key in keys_there:
            for name, tree in files.items():
                assert has(tree, key), f"{name}: {key} ({place} of {error!r})"
    # One key a place: a form shows exactly one error for it, on one field.
    assert len(table.key_check_errors(error)) == 1
    assert len(table.voice_check_errors(error)) == 1
    assert len(table.voice_errors(error)) == 1
    # Built as the code builds them, the translation check sees their placeholders (exactly).
    assert translate_error(error, model=model, voice=voice).translation_key == keys.service
    assert table.setup_error(error, "wss://example.com").translation_key == keys.setup


@pytest.mark.parametrize("language", ["en", "zh-Hans"])
async def test_every_key_of_the_table_is_loaded_at_run_time(
    hass: HomeAssistant, language: str
) -> None:
    strings: dict[str, str] = {}
    for category in ("exceptions", "config", "config_subentries"):
        strings |= await async_get_translations(hass, language, category, [DOMAIN])

    for error in SAMPLES:
        for model, voice in UTTERANCES:
            for place, keys in places(error, model, voice).items():
                for key in keys:
                    assert f"component.{DOMAIN}.{key}" in strings, (place, error)


def test_a_refused_key_fails_setup_with_reauthentication_anything_else_retries() -> None:
    for error in SAMPLES:
        expected = (
            ConfigEntryAuthFailed if isinstance(error, AuthenticationError) else ConfigEntryNotReady
        )
        assert type(table.setup_error(error, "wss://example.com")) is expected


def test_no_other_module_turns_a_client_error_into_a_key() -> None:
    """No other module of the Home Assistant layer writes a key of the table itself."""
    keys = {
        key.split(".")[-2 if key.endswith(".message") else -1]
        for error in SAMPLES
        for model, voice in UTTERANCES
        for found in places(error, model, voice).values()
        for key in found
    }
    for path in sorted(INTEGRATION.glob("*.py")):
        if path.name == "errors.py":
            continue
        literals = {
            node.value
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
        assert not literals & keys, path.name
