"""A service that misbehaves can never hang an utterance, grow memory or get truncated audio cached.

Each test teaches the emulator one hostile behaviour and asks Home Assistant for speech the way
users do; the fixtures' teardown then checks that no task or timer is left behind.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncGenerator, AsyncIterator
import json
import tracemalloc
from typing import Any

from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.components.tts.helper import get_engine_instance
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.qwen_tts_realtime.const import DOMAIN
from custom_components.qwen_tts_realtime.realtime.timing import MAX_FRAME_BYTES, Timeouts
from qwen_tts_emulator import Emulator, Fault, Scenario, render_pcm

from .helpers import (
    API_KEY,
    ENTITY_ID,
    NO_SPARES,
    TWO_SENTENCES,
    client_settings,
    fetch_url_audio,
    make_entry,
    pcm_of,
    setup_entry,
    stream_audio,
    utterances,
    with_faults,
)

HANG_GUARD = 20.0  # a guard against a hanging test, far above every bound under test
WHOLE = render_pcm("The first sentence is here.") + render_pcm("The second one follows.")
# Audio of the response that has just ended (the emulator names it), sent after its end.
STRAY_DELTA = {
    "type": "response.audio.delta",
    "response_id": "",
    "delta": base64.b64encode(b"STRAY!").decode(),
}
# What one utterance of "Hello." may hold in memory at its peak, endless audio or not: its audio
# budget (36 s of 24 kHz PCM, 1.7 MB) several times over for the copies on its way.
MEMORY_BOUND = 16 * 1024 * 1024


async def speak_error(hass: HomeAssistant, message: str = TWO_SENTENCES) -> HomeAssistantError:
    """Ask for speech that must fail; return the error Home Assistant got."""
    with pytest.raises(HomeAssistantError) as raised:
        await asyncio.wait_for(stream_audio(hass, message, {"preferred_format": "wav"}), HANG_GUARD)
    return raised.value


async def stream_error(hass: HomeAssistant, text: AsyncGenerator[str]) -> HomeAssistantError:
    """Stream `text` in as an Assist pipeline does; return the error Home Assistant got."""
    engine: Any = get_engine_instance(hass, ENTITY_ID)
    request = TTSAudioRequest("en", {**engine.default_options, "preferred_format": "wav"}, text)
    response = await engine.async_stream_tts_audio(request)
    with pytest.raises(HomeAssistantError) as raised:
        await asyncio.wait_for(drain(response.data_gen), HANG_GUARD)
    return raised.value


async def drain(audio: AsyncIterator[bytes]) -> None:
    async for _ in audio:
        pass


# Stalls are detected in a fraction of a second instead of the production 10-15 s.
@pytest.mark.usefixtures("short_timeouts")
@pytest.mark.parametrize(
    "fault",
    [
        Fault("noise", "after_update"),
        Fault("noise", "mid_stream"),
        Fault("trickle", "before_audio"),
        Fault("trickle", "mid_stream"),
    ],
    ids=["unknown-events-forever", "unknown-events-after-audio", "trickle", "trickle-after-audio"],
)
async def test_service_that_never_finishes_gets_a_translated_error(
    hass: HomeAssistant, emulator: Emulator, cold_entry: MockConfigEntry, fault: Fault
) -> None:
    emulator.scenario = with_faults(fault)

    error = await speak_error(hass)

    assert error.translation_key == "audio_timeout"
    await emulator.wait_idle()  # no socket left open


async def test_a_frame_over_the_bound_gets_a_translated_error(
    hass: HomeAssistant, emulator: Emulator, cold_entry: MockConfigEntry
) -> None:
    emulator.scenario = with_faults(Fault("huge", "before_audio", size=MAX_FRAME_BYTES + 1024))

    error = await speak_error(hass)

    assert error.translation_key == "protocol_error"
    await emulator.wait_idle()  # no socket left open


async def test_endless_audio_is_cut_at_the_budget_in_bounded_memory(
    hass: HomeAssistant, emulator: Emulator, cold_entry: MockConfigEntry
) -> None:
    emulator.scenario = with_faults(Fault("endless", "before_audio"))

    tracemalloc.start()
    try:
        error = await speak_error(hass, "Hello.")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert error.translation_key == "audio_limit"
    assert peak < MEMORY_BOUND
    await emulator.wait_idle()


@pytest.mark.usefixtures("short_timeouts")
async def test_service_that_stops_reading_gets_a_send_timeout(
    hass: HomeAssistant, emulator: Emulator, cold_entry: MockConfigEntry
) -> None:
    emulator.scenario = with_faults(Fault("stop_reading", "after_update"))

    async def agent_that_never_stops() -> AsyncGenerator[str]:
        while True:  # fills any socket buffer
            yield "Hi. " * 25_000
            await asyncio.sleep(0)

    error = await stream_error(hass, agent_that_never_stops())

    assert error.translation_key == "send_timeout"
    await emulator.wait_idle(timeout=5)


@pytest.mark.parametrize(
    "fault",
    [
        Fault("finish", "mid_stream"),
        Fault("incomplete", "mid_stream"),
        Fault("incomplete", "mid_stream", status="cancelled"),
        Fault("frame", "after_response_done", frame=STRAY_DELTA),
    ],
    ids=["finished-mid-response", "incomplete", "cancelled", "audio-after-its-response-done"],
)
async def test_truncated_speech_is_not_cached_and_is_synthesized_whole_next_time(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    cold_entry: MockConfigEntry,
    fault: Fault,
) -> None:
    fault.times = 1
    emulator.scenario = with_faults(fault)
    options = {"preferred_format": "wav"}
    cut_short = await fetch_url_audio(hass_client, TWO_SENTENCES, options)  # HTTP 200 was sent

    audio = await fetch_url_audio(hass_client, TWO_SENTENCES, options)

    assert len(pcm_of(cut_short)) < len(WHOLE)
    assert pcm_of(audio) == WHOLE
    assert len(utterances(emulator)) == 2  # asked afresh, not served from the cache


async def test_session_finished_before_the_end_of_the_text_is_an_error(
    hass: HomeAssistant, emulator: Emulator, cold_entry: MockConfigEntry
) -> None:
    emulator.scenario = with_faults(Fault("finish", "after_response_done", response=0))
    released = asyncio.Event()

    async def agent() -> AsyncGenerator[str]:
        yield "The first sentence is here. "
        await released.wait()  # the service finishes before this
        yield "The second one follows."

    error = await stream_error(hass, agent())

    assert error.translation_key == "incomplete_audio"
    await emulator.wait_idle()


async def test_a_response_completed_without_a_sound_is_an_error_not_an_empty_file(
    hass: HomeAssistant, emulator: Emulator, cold_entry: MockConfigEntry
) -> None:
    # Complete by every rule (the response ended "completed", then session.finished), yet silent.
    emulator.scenario = with_faults(Fault("incomplete", "before_audio", status="completed"))

    error = await speak_error(hass, "Hello.")

    assert error.translation_key == "no_audio"
    await emulator.wait_idle()


async def test_a_whole_message_that_takes_too_long_is_given_up(
    hass: HomeAssistant, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Audio arrives steadily (no silence bound fires) but the whole session outlasts its bound.
    client_settings(
        monkeypatch,
        timeouts=Timeouts(connect=2.0, first_audio=HANG_GUARD, audio=HANG_GUARD, synthesize=0.2),
    )
    emulator.scenario = Scenario(api_keys=frozenset({API_KEY}), realtime_factor=1.0)
    await setup_entry(hass, make_entry(emulator, options=NO_SPARES))
    engine: Any = get_engine_instance(hass, ENTITY_ID)

    with pytest.raises(HomeAssistantError) as raised:
        await asyncio.wait_for(
            engine.async_get_tts_audio(TWO_SENTENCES, "en", dict(engine.default_options)),
            HANG_GUARD,
        )

    assert raised.value.translation_key == "synthesize_timeout"
    await emulator.wait_idle()


@pytest.mark.parametrize(
    ("code", "translation_key"),
    [
        ("Arrearage", "account_arrearage"),
        ("AccessDenied", "account_access_denied"),
        ("Throttling.AllocationQuota", "account_quota"),
        ("AccessDenied.Unpurchased", "account_access_denied"),
    ],
)
async def test_account_error_raises_a_repair_not_reauth_and_clears_when_speech_works(
    hass: HomeAssistant,
    emulator: Emulator,
    cold_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    code: str,
    translation_key: str,
) -> None:
    emulator.scenario = with_faults(
        Fault("error", "after_update", code=code, message="No.", times=1)
    )

    error = await speak_error(hass)
    await hass.async_block_till_done()

    assert error.translation_key == translation_key
    assert not hass.config_entries.flow.async_progress()  # the key is fine: no reauth
    issue = issue_registry.async_get_issue(DOMAIN, f"account_{cold_entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == translation_key

    await stream_audio(hass, "Hello.")

    assert issue_registry.async_get_issue(DOMAIN, f"account_{cold_entry.entry_id}") is None


@pytest.mark.parametrize(
    ("status", "code", "translation_key"),
    [
        (400, "Arrearage", "account_arrearage"),
        (403, "AccessDenied.Unpurchased", "account_access_denied"),
    ],
)
async def test_handshake_refused_for_the_account_raises_its_repair_not_reauth(
    hass: HomeAssistant,
    emulator: Emulator,
    cold_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    status: int,
    code: str,
    translation_key: str,
) -> None:
    # The vendor lists Arrearage under HTTP 400: the body's code says what the status cannot.
    emulator.scenario = Scenario(handshake_status=status, handshake_code=code)

    error = await speak_error(hass)
    await hass.async_block_till_done()

    assert error.translation_key == translation_key
    assert not hass.config_entries.flow.async_progress()  # the key is fine: no reauth
    issue = issue_registry.async_get_issue(DOMAIN, f"account_{cold_entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == translation_key


async def test_frames_sent_to_an_idle_spare_never_reach_the_next_utterance(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    stray = {"type": "response.audio.delta", "delta": base64.b64encode(b"STRAY!").decode()}
    emulator.scenario = with_faults(Fault("frame", "after_created", connection=0, frame=stray))
    await setup_entry(hass, make_entry(emulator))  # connection 0: the check, kept as the spare

    audio = await stream_audio(hass, "Hello.", {"preferred_format": "wav"})

    assert pcm_of(audio) == render_pcm("Hello.")


async def test_undecodable_frame_is_skipped_and_counted_in_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    cold_entry: MockConfigEntry,
) -> None:
    emulator.scenario = Scenario(
        api_keys=frozenset({API_KEY}),
        delta_bytes=960,
        faults=[
            Fault("malformed", "mid_stream", deltas=2),
            Fault("malformed", "mid_stream", deltas=3, binary=True),
        ],
    )

    audio = await stream_audio(hass, TWO_SENTENCES, {"preferred_format": "wav"})
    diagnostics: Any = await get_diagnostics_for_config_entry(hass, hass_client, cold_entry)

    assert pcm_of(audio) == WHOLE
    assert diagnostics["runtime"]["skipped_frames"] == 2


def _chain(error: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while error is not None and error not in seen:
        seen.append(error)
        error = error.__cause__ or error.__context__
    return seen


def _holds(value: object, secret: str, depth: int = 0) -> bool:
    """Whether `value`, its repr or any attribute (recursively) shows `secret`."""
    if depth > 4:
        return False
    try:
        if secret in repr(value) or secret in str(value):
            return True
    except Exception:  # noqa: BLE001 - an odd repr cannot hide anything from us
        return False
    if isinstance(value, dict):
        items: list[Any] = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
    else:
        items = [getattr(value, name, None) for name in dir(value) if not name.startswith("__")]
    return any(
        _holds(item, secret, depth + 1) for item in items if not callable(item) or depth == 0
    )


@pytest.mark.parametrize("status", [401, 403, 500])
async def test_no_raised_error_chain_holds_the_key(
    hass: HomeAssistant, emulator: Emulator, cold_entry: MockConfigEntry, status: int
) -> None:
    emulator.scenario = Scenario(handshake_status=status)

    error = await speak_error(hass, "Hello.")
    await hass.async_block_till_done()

    for link in _chain(error):
        assert not _holds(link, API_KEY), f"{type(link).__name__} holds the key"


@pytest.mark.parametrize(
    ("options", "translation_key"),
    [
        ({"volume": 1e400}, "option_not_a_number"),
        ({"volume": "-inf"}, "option_not_a_number"),
        ({"speech_rate": float("nan")}, "option_not_a_number"),
        ({"speech_rate": True}, "option_not_a_number"),
        ({"volume": 10**400}, "option_out_of_range"),
        ({"voice": None}, "option_not_text"),
        ({"voice": ["Cherry"]}, "option_not_text"),
        ({"instructions": ["Whisper."]}, "option_not_text"),
    ],
    ids=[
        "huge",
        "minus-inf",
        "nan",
        "boolean",
        "huge-integer",
        "voice-null",
        "voice-list",
        "instructions-list",
    ],
)
async def test_odd_options_are_refused_before_any_socket_opens(
    hass: HomeAssistant,
    emulator: Emulator,
    cold_entry: MockConfigEntry,
    options: dict[str, Any],
    translation_key: str,
) -> None:
    handshakes = emulator.handshake_attempts

    with pytest.raises(ServiceValidationError) as raised:
        await stream_audio(hass, "Hello.", options)

    assert raised.value.translation_key == translation_key
    assert emulator.handshake_attempts == handshakes
    json.dumps(raised.value.translation_placeholders)  # fit for the frontend
