"""Keep-warm: a spare socket opened when a voice satellite wakes, kept always, or never."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import timedelta
from itertools import pairwise
import logging
from types import MappingProxyType
from typing import Any

from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.components.tts.helper import get_engine_instance
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.qwen_tts_realtime.realtime import SPARE_IDLE_TIMEOUT
from custom_components.qwen_tts_realtime.realtime.timing import KeepAlive, Timeouts
from qwen_tts_emulator import Emulator, Fault, Scenario

from .helpers import (
    API_KEY,
    ENTITY_ID,
    NO_SPARES,
    add_satellite,
    client_settings,
    eventually,
    has_spare,
    make_entry,
    setup_entry,
    stream_audio,
    utterances,
)

MODEL = "qwen3-tts-flash-realtime"
INSTRUCT = "qwen3-tts-instruct-flash-realtime"
ALWAYS = {"keep_warm": "always"}


def expire_spares(hass: HomeAssistant) -> None:
    """Let the idle spares time out, as ten quiet minutes would."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=SPARE_IDLE_TIMEOUT + 1))


async def test_a_waking_satellite_opens_the_spare_its_answer_uses(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    satellite = await add_satellite(hass, ENTITY_ID)
    expire_spares(hass)
    await emulator.wait_idle()

    satellite.hear_wake_word()
    await eventually(lambda: emulator.open_connections == 1)
    woken = emulator.sessions[-1]
    await eventually(lambda: has_spare(entry.runtime_data.client, MODEL))
    await stream_audio(hass, "The lights are on.")

    assert utterances(emulator) == [woken]  # the answer skipped the handshake


async def test_a_satellite_speaking_with_another_engine_opens_nothing(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    satellite = await add_satellite(hass, "tts.another_engine")
    expire_spares(hass)
    await emulator.wait_idle()
    handshakes = emulator.handshake_attempts

    satellite.hear_wake_word()
    await hass.async_block_till_done()

    assert emulator.handshake_attempts == handshakes


async def test_many_satellites_waking_at_once_open_one_spare_per_model(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    entry = make_entry(emulator)
    await setup_entry(hass, entry)
    hass.config_entries.async_add_subentry(entry, second_profile(entry, INSTRUCT))
    await hass.async_block_till_done()  # reloaded with two models
    expire_spares(hass)
    await emulator.wait_idle()
    handshakes = emulator.handshake_attempts

    # Satellites Home Assistant knows only by their state: every model of the entry is warmed.
    for index in range(20):
        hass.states.async_set(f"assist_satellite.room_{index}", "listening")
    await hass.async_block_till_done()
    await eventually(lambda: emulator.open_connections == 2)

    assert emulator.handshake_attempts == handshakes + 2
    assert sorted(r.model for r in emulator.sessions[-2:]) == [MODEL, INSTRUCT]


async def test_keep_warm_off_opens_no_socket(hass: HomeAssistant, emulator: Emulator) -> None:
    await setup_entry(hass, make_entry(emulator, options=NO_SPARES))
    await emulator.wait_idle()

    hass.states.async_set("assist_satellite.kitchen", "listening")
    await hass.async_block_till_done()
    audio = await stream_audio(hass, "Hello.")

    assert audio
    assert emulator.handshake_attempts == 2  # the setup check, then the answer's own
    await emulator.wait_idle()


@pytest.fixture
def quick_keep_alive(monkeypatch: pytest.MonkeyPatch) -> KeepAlive:
    """Keep-alive rules scaled down from minutes to tenths of a second."""
    rules = KeepAlive(
        ping=0.05, pong=0.05, min_lifetime=0.05, retry=0.02, max_retry=0.2, max_failures=3
    )
    client_settings(monkeypatch, keep_alive=rules)
    return rules


async def test_always_reopens_what_the_service_closes_without_a_storm(
    hass: HomeAssistant, emulator: Emulator, quick_keep_alive: KeepAlive
) -> None:
    emulator.scenario = Scenario(api_keys=frozenset({API_KEY}), idle_close_after=0.1)
    entry = make_entry(emulator, options=ALWAYS)
    await setup_entry(hass, entry)

    await eventually(lambda: sum(r.closed_idle for r in emulator.sessions) >= 5)
    opened = [r.opened_at for r in emulator.sessions[:5]]

    # One socket at a time, each reopened once the service closed the last: no storm.
    assert all(r.closed_idle for r in emulator.sessions[:5])
    assert all(later - earlier >= 0.1 for earlier, later in pairwise(opened))
    # The service stops closing idle sockets: the next spare stays, and the answer takes it.
    emulator.scenario = Scenario(api_keys=frozenset({API_KEY}))
    count = len(emulator.sessions)
    await eventually(lambda: len(emulator.sessions) > count)
    await asyncio.sleep(0.15)  # a spare accepted just before the change has gone by now
    await eventually(lambda: has_spare(entry.runtime_data.client, MODEL))
    spare = emulator.sessions[-1]
    await stream_audio(hass, "Still warm.")
    assert utterances(emulator) == [spare]


async def test_always_gives_up_after_repeated_failures_and_says_so(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rules = KeepAlive(ping=10, min_lifetime=10, retry=0.01, max_retry=0.05, max_failures=3)
    client_settings(monkeypatch, keep_alive=rules)
    # Closed long before the 10 s a service's idle timeout is taken to be: each is a failure.
    emulator.scenario = Scenario(api_keys=frozenset({API_KEY}), idle_close_after=0.01)
    entry = make_entry(emulator, options=ALWAYS)
    await setup_entry(hass, entry)

    await eventually(lambda: spares(entry)[MODEL]["gave_up"] is not None)
    await emulator.wait_idle()

    assert emulator.handshake_attempts == rules.max_failures
    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["runtime"]["keep_warm"] == "always"
    state = diagnostics["runtime"]["spares"][MODEL]
    assert state["failures_in_a_row"] == rules.max_failures
    assert state["spare_connected"] is False
    assert "3 failures in a row" in state["gave_up"]


async def test_diagnostics_show_the_default_keep_warm_and_its_spare(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    await eventually(lambda: has_spare(entry.runtime_data.client, MODEL))

    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    assert diagnostics["runtime"]["keep_warm"] == "wake"
    assert diagnostics["runtime"]["spares"] == {
        MODEL: {
            "spare_connected": True,
            "failures_in_a_row": 0,
            "service_idle_timeout": None,
            "gave_up": None,
        }
    }
    assert emulator.handshake_attempts == 1  # the setup check is the spare


def spares(entry: MockConfigEntry) -> dict[str, dict[str, Any]]:
    state: dict[str, dict[str, Any]] = entry.runtime_data.client.spares_state()
    return state


def second_profile(entry: MockConfigEntry, model: str) -> ConfigSubentry:
    """A second voice profile of `entry`, speaking with `model`."""
    (first,) = entry.subentries.values()
    return ConfigSubentry(
        data=MappingProxyType({**first.data, "model": model}),
        subentry_type=first.subentry_type,
        title="Instruct",
        unique_id=None,
    )


NESTED = "[" * 200_000 + "]" * 200_000  # 400 kB of nesting, far deeper than any parser recurses


async def test_a_spare_sent_nested_json_while_idle_gives_way_to_a_fresh_socket(
    hass: HomeAssistant, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_settings(monkeypatch, timeouts=Timeouts(connect=2.0))
    emulator.scenario = Scenario(
        api_keys=frozenset({API_KEY}),
        faults=[Fault("frame", "after_created", connection=0, frame=NESTED)],
    )
    await setup_entry(hass, make_entry(emulator))  # connection 0: the check, kept as the spare
    await eventually(lambda: emulator.sessions[0].closed_at is not None)  # the spare is dropped

    audio = await stream_audio(hass, "Hello.")

    (used,) = utterances(emulator)
    assert used.index != 0  # at once: the spare whose reader ended is never offered
    assert emulator.sessions[0].received == []
    assert audio


async def test_always_replaces_a_spare_that_misses_its_pong(
    hass: HomeAssistant, emulator: Emulator, quick_keep_alive: KeepAlive
) -> None:
    emulator.scenario = Scenario(
        api_keys=frozenset({API_KEY}), faults=[Fault("no_pong", "after_created", connection=0)]
    )
    entry = make_entry(emulator, options=ALWAYS)
    await setup_entry(hass, entry)

    await eventually(lambda: emulator.sessions[0].closed_at is not None)
    await eventually(lambda: has_spare(entry.runtime_data.client, MODEL))
    spare = emulator.sessions[-1]
    await stream_audio(hass, "Still warm.")

    assert emulator.sessions[0].closed_by_client is True
    assert spare.index != 0
    assert utterances(emulator) == [spare]


async def revoke_key(emulator: Emulator) -> None:
    """The key is revoked: the service closes every socket and refuses every handshake."""
    emulator.scenario = Scenario(api_keys=frozenset({"sk-another-key"}))
    emulator.close_connections()
    await eventually(lambda: emulator.open_connections == 0)


def wake(hass: HomeAssistant) -> None:
    """A satellite Home Assistant knows only by its state hears its wake word."""
    hass.states.async_set("assist_satellite.kitchen", "listening")
    hass.states.async_set("assist_satellite.kitchen", "idle")


def integration_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.levelno >= logging.WARNING and record.name.startswith("custom_components.")
    ]


@pytest.mark.parametrize("options", [{}, ALWAYS], ids=["wake", "always"])
async def test_wakes_while_the_service_refuses_open_nothing_and_warn_once(
    hass: HomeAssistant,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    options: dict[str, str],
) -> None:
    # min_lifetime 0: "always" reopens a spare the service closed at once.
    client_settings(monkeypatch, keep_alive=KeepAlive(min_lifetime=0, retry=60, max_retry=60))
    entry = make_entry(emulator, options=options)
    await setup_entry(hass, entry)
    await revoke_key(emulator)

    wake(hass)
    await eventually(lambda: emulator.handshakes_rejected == 1)
    for _ in range(19):
        wake(hass)
        await hass.async_block_till_done()
    await asyncio.sleep(0.05)  # any handshake a wake started is under way by now

    assert emulator.handshakes_rejected == 1  # the service said no a moment ago: back off
    (warning,) = integration_warnings(caplog)
    assert MODEL in warning.getMessage()


async def test_wakes_after_keeping_open_gave_up_open_nothing(
    hass: HomeAssistant,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    rules = KeepAlive(ping=10, min_lifetime=10, retry=0.01, max_retry=60, max_failures=3)
    client_settings(monkeypatch, keep_alive=rules)
    entry = make_entry(emulator, options=ALWAYS)
    await setup_entry(hass, entry)
    await revoke_key(emulator)
    await eventually(lambda: spares(entry)[MODEL]["gave_up"] is not None)
    handshakes = emulator.handshake_attempts

    for _ in range(20):
        wake(hass)
        await hass.async_block_till_done()
    await asyncio.sleep(0.05)

    assert emulator.handshake_attempts == handshakes
    assert len(integration_warnings(caplog)) == 1


async def test_a_long_answer_leaves_the_next_one_a_whole_warm_window(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    client = entry.runtime_data.client
    answer_ends = asyncio.Event()

    async def agent() -> AsyncGenerator[str]:
        yield "The first sentence is here. "
        await answer_ends.wait()
        yield "The second one follows."

    engine: Any = get_engine_instance(hass, ENTITY_ID)
    request = TTSAudioRequest("en", dict(engine.default_options), agent())
    answer = (await engine.async_stream_tts_audio(request)).data_gen
    await anext(answer)  # the answer took the spare; its replacement opens
    await eventually(lambda: has_spare(client, MODEL))
    expire_spares(hass)  # the answer lasts longer than a spare's idle timeout
    answer_ends.set()
    async for _ in answer:
        pass

    assert has_spare(client, MODEL)  # idle since the answer ended, not since it opened
    spare = emulator.sessions[-1]
    await stream_audio(hass, "And the next one.")
    assert utterances(emulator)[-1] is spare
