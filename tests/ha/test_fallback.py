"""A profile with a fallback voice is never silent: another engine answers for the service."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
import logging
from pathlib import Path
from typing import Any, cast

from homeassistant.components import tts
from homeassistant.components.tts.helper import get_engine_instance
from homeassistant.config_entries import SOURCE_USER, SubentryFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.qwen_tts_realtime import fallback as fallback_module
from custom_components.qwen_tts_realtime.const import CONF_FALLBACK, DOMAIN, LOGGER, SUBENTRY_TTS
from qwen_tts_emulator import Emulator, Fault, Scenario

from ..helpers import ID3V2_4, needs_ffmpeg
from .fallback_engine import (
    BACKUP_ID,
    BACKUP_RATE,
    BackupEngine,
    add_backup_engine,
    backup_pcm,
)
from .helpers import (
    API_KEY,
    ENTITY_ID,
    NO_SPARES,
    eventually,
    has_spare,
    interrupt_after_first_audio,
    make_entry,
    pcm_of,
    setup_entry,
    speak_on_player,
    stream_audio,
    utterances,
    utterances_closed,
)
from .test_assist_streaming import DELTAS, SATELLITE_FORMAT, run_streaming_pipeline

MESSAGE = "The front door is open. Close it before you leave."
WAV = {"preferred_format": "wav"}
MODEL = "qwen3-tts-flash-realtime"
# Shorter than in use, and still longer than any failure the emulator reports takes (the client
# retries a lost connection once, 0.25 s later): those must switch for their own reason.
LATE_AFTER = 1.0
VOICE_FORM = {"voice": "Cherry", "language": "en", "sample_rate": "24000"}


def faults(*injected: Fault) -> Scenario:
    """A scenario whose faults hit every connection."""
    return Scenario(api_keys=frozenset({API_KEY}), faults=list(injected))


async def unreachable(emulator: Emulator) -> None:
    """Nothing listens at the endpoint any more: connections are refused."""
    await emulator.stop()


# Every way the service fails before its first audio, and the reason the fallback records.
type Failure = Scenario | Callable[[Emulator], Awaitable[None]]
FAILURES: dict[str, tuple[Failure, str]] = {
    "refused_key": (Scenario(api_keys=frozenset({"sk-rotated"})), "auth_failed"),
    "account": (
        faults(Fault("error", "after_update", code="Arrearage", message="Overdue payment.")),
        "account_arrearage",
    ),
    "rate_limited": (Scenario(handshake_status=429), "rate_limited"),
    "service_error_event": (faults(Fault("error", "after_update")), "service_error"),
    "stalled": (faults(Fault("stall", "before_audio")), "service_late"),
    "silent_close": (faults(Fault("close", "before_audio")), "connection_closed"),
    "handshake_refused": (Scenario(handshake_status=503), "cannot_connect"),
    "session_unanswered": (faults(Fault("stall", "after_created")), "service_late"),
    "unreachable": (unreachable, "connect_refused"),
}


async def fail(emulator: Emulator, failure: Failure) -> None:
    if isinstance(failure, Scenario):
        emulator.scenario = failure
    else:
        await failure(emulator)


@pytest.fixture(autouse=True)
def late_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """A silent service is replaced after `LATE_AFTER` instead of 1.5 s."""
    monkeypatch.setattr(fallback_module, "FALLBACK_AFTER", LATE_AFTER)


@pytest.fixture
async def backup(hass: HomeAssistant) -> BackupEngine:
    return await add_backup_engine(hass)


@pytest.fixture(name="entry")
async def entry_with_fallback(
    hass: HomeAssistant, emulator: Emulator, backup: BackupEngine
) -> MockConfigEntry:
    """A profile whose fallback is the backup engine; every utterance connects afresh."""
    assert await async_setup_component(hass, "diagnostics", {})  # before any HTTP client
    config_entry = make_entry(emulator, options=NO_SPARES, fallback=BACKUP_ID)
    await setup_entry(hass, config_entry)
    return config_entry


async def stream_deltas(
    hass: HomeAssistant, deltas: AsyncGenerator[str], options: dict[str, Any]
) -> bytes:
    """Stream text into this engine as Assist does, and read the whole answer."""
    stream = tts.async_create_stream(hass, ENTITY_ID, "en", options)
    stream.async_set_message_stream(deltas)
    return b"".join([chunk async for chunk in stream.async_stream_result()])


async def agent_writing(backup: BackupEngine) -> AsyncGenerator[str]:
    """An agent's deltas: some before the fallback is asked, the rest only after."""
    yield DELTAS[0]
    yield DELTAS[1]
    await eventually(lambda: bool(backup.requests))
    for delta in DELTAS[2:]:
        yield delta


async def cached_files(cache_dir: Path) -> list[Path]:
    """This engine's files in Home Assistant's TTS cache folder (the test's temporary one)."""
    return await asyncio.to_thread(lambda: list(cache_dir.glob(f"*_{ENTITY_ID}.*")))


async def fallback_count(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> dict[str, Any]:
    diagnostics: Any = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    return cast("dict[str, Any]", diagnostics["runtime"]["fallback"])


@pytest.mark.parametrize(("failure", "reason"), FAILURES.values(), ids=FAILURES.keys())
async def test_tts_speak_gets_the_whole_message_in_the_fallback_voice(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    backup: BackupEngine,
    failure: Failure,
    reason: str,
) -> None:
    await fail(emulator, failure)

    audio = await speak_on_player(hass, hass_client, MESSAGE, WAV)

    assert int.from_bytes(audio[24:28], "little") == 24000  # the profile's rate, as promised
    assert pcm_of(audio) == backup_pcm(MESSAGE, 24000)
    (request,) = backup.requests
    assert "".join(request.text) == MESSAGE
    assert request.language == "en"
    assert (await fallback_count(hass, hass_client, entry))["last_reason"] == reason
    await emulator.wait_idle()  # the service's socket, if any, is closed


@pytest.mark.parametrize(("failure", "reason"), FAILURES.values(), ids=FAILURES.keys())
async def test_streamed_text_is_answered_whole_by_the_fallback_as_it_arrives(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    backup: BackupEngine,
    failure: Failure,
    reason: str,
) -> None:
    await fail(emulator, failure)

    audio = await stream_deltas(hass, agent_writing(backup), SATELLITE_FORMAT)

    assert int.from_bytes(audio[24:28], "little") == 16000  # the satellite's rate
    assert pcm_of(audio) == backup_pcm("".join(DELTAS), 16000)
    (request,) = backup.requests
    assert request.text_ended
    assert "".join(request.text) == "".join(DELTAS)  # the text read before, then the rest
    assert (await fallback_count(hass, hass_client, entry))["last_reason"] == reason
    await emulator.wait_idle()


async def test_the_fallback_speaks_the_answer_cleaned_up_as_the_service_would(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    backup: BackupEngine,
) -> None:
    emulator.scenario = Scenario(api_keys=frozenset({"sk-rotated"}))

    audio = await speak_on_player(
        hass, hass_client, "**Close** the [door](https://x.example).", WAV
    )

    (request,) = backup.requests
    assert "".join(request.text) == "Close the door."
    assert pcm_of(audio) == backup_pcm("Close the door.", 24000)


async def test_an_assist_pipeline_speaks_with_the_fallback_voice(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, backup: BackupEngine
) -> None:
    emulator.scenario = Scenario(api_keys=frozenset({"sk-rotated"}))

    _, audio = await run_streaming_pipeline(hass)

    wav = b"".join(chunk for _, chunk in audio)
    assert pcm_of(wav) == backup_pcm("".join(DELTAS), 16000)
    assert not utterances(emulator)  # the service never got as far as a session


@pytest.mark.parametrize("options", [{}, WAV], ids=["mp3 (tts.speak's default)", "wav"])
async def test_a_fallback_answer_is_not_replayed_once_the_service_is_back(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    tmp_path: Path,
    options: dict[str, Any],
) -> None:
    emulator.scenario = faults(Fault("error", "after_update"))
    fallback_answer = await speak_on_player(hass, hass_client, MESSAGE, options)
    await hass.async_block_till_done(wait_background_tasks=True)  # the cache written (or not)
    assert not await cached_files(tmp_path)  # nothing on disk as this engine's

    emulator.scenario = Scenario(api_keys=frozenset({API_KEY}))
    answer = await speak_on_player(hass, hass_client, MESSAGE, options)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert len(utterances(emulator)) == 2  # asked again, not served from the cache
    assert answer != fallback_answer
    if options == WAV:
        assert pcm_of(answer) == utterances(emulator)[-1].pcm  # this engine's voice
    # This engine's own answers are cached as before, in memory and on disk.
    assert await speak_on_player(hass, hass_client, MESSAGE, options) == answer
    assert len(utterances(emulator)) == 2
    assert len(await cached_files(tmp_path)) == 1


async def test_a_request_right_after_a_fallback_answer_asks_the_service_again(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    emulator.scenario = faults(Fault("error", "after_update"))
    await speak_on_player(hass, hass_client, MESSAGE, WAV)
    emulator.scenario = Scenario(api_keys=frozenset({API_KEY}))

    answer = await speak_on_player(hass, hass_client, MESSAGE, WAV)  # no waiting in between

    assert pcm_of(answer) == utterances(emulator)[-1].pcm
    assert len(utterances(emulator)) == 2


@needs_ffmpeg
async def test_mp3_promised_is_mp3_delivered(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    backup: BackupEngine,
) -> None:
    emulator.scenario = Scenario(handshake_status=503)

    audio = await speak_on_player(hass, hass_client, MESSAGE)  # mp3, encoded by the service

    assert backup.requests[0].options["preferred_format"] == "mp3"
    assert audio.startswith(ID3V2_4)


async def test_a_fallback_at_another_rate_is_converted_by_home_assistant(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, emulator: Emulator
) -> None:
    backup = await add_backup_engine(hass, follows_rate=False)  # speaks at 22050 Hz only
    entry = make_entry(emulator, options=NO_SPARES, fallback=BACKUP_ID)
    await setup_entry(hass, entry)
    emulator.scenario = Scenario(handshake_status=503)

    audio = await speak_on_player(hass, hass_client, MESSAGE, WAV)

    assert BACKUP_RATE != 24000
    assert "preferred_sample_rate" not in backup.requests[0].options  # it takes no such option
    assert int.from_bytes(audio[24:28], "little") == 24000
    assert audio[22:24] == b"\x01\x00"  # mono
    expected = len(backup_pcm(MESSAGE, BACKUP_RATE)) * 24000 / BACKUP_RATE
    assert abs(len(pcm_of(audio)) - expected) < 0.01 * expected


async def test_the_whole_message_method_answers_with_a_complete_wav(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    emulator.scenario = Scenario(handshake_status=503)
    engine = get_engine_instance(hass, ENTITY_ID)
    assert isinstance(engine, tts.TextToSpeechEntity)

    extension, data = await engine.async_get_tts_audio(
        MESSAGE, "en", dict(engine.default_options or {})
    )

    pcm = backup_pcm(MESSAGE, 24000)
    assert extension == "wav"
    assert data is not None
    assert int.from_bytes(data[40:44], "little") == len(pcm)  # its length, not a stream's
    assert data[44:] == pcm


async def test_a_late_service_that_speaks_first_keeps_its_voice(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, backup: BackupEngine
) -> None:
    backup.gate = asyncio.Event()  # a fallback slower than the service
    emulator.scenario = Scenario(api_keys=frozenset({API_KEY}), first_audio_delay=LATE_AFTER + 0.5)

    audio = await stream_audio(hass, MESSAGE, WAV)

    assert pcm_of(audio) == utterances(emulator)[-1].pcm  # the service's voice alone
    (request,) = backup.requests  # started alongside the late service, then stopped
    backup.gate.set()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert request.text_ended  # its text was ended for it: it finished on its own
    assert not request.text or "".join(request.text) == MESSAGE
    await utterances_closed(emulator)


async def test_the_fallback_starts_at_once_while_the_pool_knows_the_service_is_down(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    backup: BackupEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert await async_setup_component(hass, "diagnostics", {})
    entry = make_entry(emulator, fallback=BACKUP_ID)  # keeps a spare (the default)
    await setup_entry(hass, entry)
    client = entry.runtime_data.client
    await eventually(lambda: has_spare(client, MODEL))
    emulator.scenario = Scenario(handshake_status=503)
    await stream_audio(hass, "Spoken on the spare opened before.", WAV)
    await eventually(lambda: client.known_down(MODEL))  # its replacement was refused
    monkeypatch.setattr(fallback_module, "FALLBACK_AFTER", 3600)  # no waiting for lateness
    emulator.scenario = faults(Fault("stall", "before_audio"))

    audio = await stream_audio(hass, MESSAGE, WAV)

    assert pcm_of(audio) == backup_pcm(MESSAGE, 24000)
    assert (await fallback_count(hass, hass_client, entry))["last_reason"] == "service_down"
    await utterances_closed(emulator)


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (Scenario(handshake_status=503), "cannot_connect"),
        (faults(Fault("error", "after_update")), "service_error"),
    ],
    ids=["handshake_refused", "service_error_event"],
)
async def test_a_fallback_that_fails_too_ends_with_this_engines_error(
    hass: HomeAssistant,
    emulator: Emulator,
    entry: MockConfigEntry,
    backup: BackupEngine,
    failure: Scenario,
    error: str,
) -> None:
    backup.fail = "before_audio"
    emulator.scenario = failure

    with pytest.raises(HomeAssistantError) as raised:
        await stream_audio(hass, MESSAGE, WAV)

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == error
    await emulator.wait_idle()


async def test_a_fallback_that_sends_only_a_header_has_not_spoken(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, backup: BackupEngine
) -> None:
    backup.fail = "after_header"
    emulator.scenario = Scenario(api_keys=frozenset({API_KEY}), first_audio_delay=LATE_AFTER + 0.5)

    audio = await stream_audio(hass, MESSAGE, WAV)  # the late service still speaks

    assert backup.requests
    assert pcm_of(audio) == utterances(emulator)[-1].pcm


async def test_a_fallback_that_breaks_off_ends_the_answer_with_a_translated_error(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, backup: BackupEngine
) -> None:
    backup.fail = "at_the_end"
    emulator.scenario = faults(Fault("stall", "before_audio"))  # late, not failed

    with pytest.raises(HomeAssistantError) as raised:
        await stream_deltas(hass, agent_writing(backup), WAV)

    assert raised.value.translation_key == "fallback_failed"
    assert raised.value.translation_placeholders == {"engine": BACKUP_ID}
    await emulator.wait_idle()


async def test_a_failure_after_the_service_spoke_ends_the_answer_as_without_a_fallback(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, backup: BackupEngine
) -> None:
    emulator.scenario = faults(Fault("close", "mid_stream"))

    with pytest.raises(HomeAssistantError) as raised:
        await stream_audio(hass, MESSAGE, WAV)

    assert raised.value.translation_key == "connection_closed"
    assert not backup.requests  # never two voices in one answer
    await emulator.wait_idle()


async def test_an_interrupted_answer_closes_the_socket_and_stops_reading_text(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, backup: BackupEngine
) -> None:
    first, text_closed = await interrupt_after_first_audio(hass)

    assert first[:4] == b"RIFF"
    assert text_closed.is_set()
    assert not backup.requests
    await emulator.wait_idle()


async def test_a_profile_never_falls_back_on_this_integrations_own_voice(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    entry = make_entry(emulator, options=NO_SPARES, fallback=ENTITY_ID)  # set by hand: itself
    await setup_entry(hass, entry)
    emulator.scenario = Scenario(handshake_status=503)

    with pytest.raises(HomeAssistantError) as raised:
        await stream_audio(hass, MESSAGE, WAV)

    assert raised.value.translation_key == "cannot_connect"  # as without a fallback
    await emulator.wait_idle()


async def test_a_callers_mistake_is_not_covered_by_the_fallback(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, backup: BackupEngine
) -> None:
    with pytest.raises(HomeAssistantError) as raised:
        await stream_audio(hass, "   ", WAV)

    assert raised.value.translation_key == "empty_message"
    assert not backup.requests


@pytest.mark.parametrize(
    ("language", "asked"), [("en-US", "en"), ("zh", "en")], ids=["matched", "its_default"]
)
async def test_the_fallback_speaks_the_utterances_language_when_it_can(
    hass: HomeAssistant,
    emulator: Emulator,
    entry: MockConfigEntry,
    backup: BackupEngine,
    language: str,
    asked: str,
) -> None:
    emulator.scenario = Scenario(handshake_status=503)
    stream = tts.async_create_stream(hass, ENTITY_ID, language, WAV)
    stream.async_set_message(MESSAGE)

    _ = [chunk async for chunk in stream.async_stream_result()]

    assert backup.requests[0].language == asked


async def test_one_warning_per_failure_streak_and_the_count_in_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def warnings() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == LOGGER.name and r.levelno == logging.WARNING
        ]

    caplog.set_level(logging.INFO, logger=LOGGER.name)
    emulator.scenario = Scenario(handshake_status=503)
    for number in range(3):
        await stream_audio(hass, f"Failing answer {number}.", WAV)
    assert len(warnings()) == 1
    assert BACKUP_ID in warnings()[0]

    emulator.scenario = Scenario(api_keys=frozenset({API_KEY}))
    await stream_audio(hass, "The service is back.", WAV)
    emulator.scenario = faults(Fault("error", "after_update"))
    await stream_audio(hass, "Failing again.", WAV)

    assert len(warnings()) == 2
    assert await fallback_count(hass, hass_client, entry) == {
        "answers": 4,
        "last_reason": "service_error",
        "in_streak": True,
    }


async def test_account_problems_still_raise_their_repair_issue_and_nothing_is_billed(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    emulator.scenario = faults(Fault("error", "after_update", code="Arrearage", message="Overdue."))

    await stream_audio(hass, MESSAGE, WAV)

    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"account_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "account_arrearage"
    assert entry.runtime_data.usage.total.characters == 0  # only what the service billed


def fallback_field(result: SubentryFlowResult) -> Any:
    """The fallback field of the voice form."""
    schema = result["data_schema"]
    assert schema is not None
    return next(key for key in schema.schema if key == CONF_FALLBACK)


async def add_profile_voice_form(hass: HomeAssistant, entry: MockConfigEntry) -> SubentryFlowResult:
    """Start adding a profile with a system voice; return its voice form."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TTS), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "system_voice"}
    )
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Kitchen", "model": MODEL}
    )


async def test_a_profile_takes_another_engine_as_its_fallback(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    result = await add_profile_voice_form(hass, entry)

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**VOICE_FORM, CONF_FALLBACK: BACKUP_ID}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    added = next(s for s in entry.subentries.values() if s.title == "Kitchen")
    assert added.data[CONF_FALLBACK] == BACKUP_ID


async def test_a_profile_cannot_fall_back_on_this_integrations_own_voices(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    result = await add_profile_voice_form(hass, entry)

    with pytest.raises(InvalidData):
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {**VOICE_FORM, CONF_FALLBACK: ENTITY_ID}
        )


async def test_reconfiguring_a_profile_keeps_its_fallback(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    (subentry_id,) = entry.subentries
    result = cast(
        "SubentryFlowResult", await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Qwen TTS", "model": MODEL}
    )

    assert fallback_field(result).description == {"suggested_value": BACKUP_ID}
