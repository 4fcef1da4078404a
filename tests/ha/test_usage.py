"""Usage sensors: billed characters per voice profile and per entry, and the estimated cost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
import json
import logging
from typing import Any

from homeassistant.components import tts
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.qwen_tts_realtime.const import DOMAIN
from custom_components.qwen_tts_realtime.realtime.timing import MAX_USAGE_COUNT
from qwen_tts_emulator import Emulator, Fault, Scenario, billed_characters

from .helpers import (
    API_KEY,
    ENTITY_ID,
    eventually,
    make_entry,
    setup_entry,
    speak_on_player,
    stream_audio,
    utterances,
)
from .test_assist_streaming import DELTAS, run_streaming_pipeline

PRICE = 0.13  # what a user types; the integration knows no price of its own


def sensor(hass: HomeAssistant, unique_id: str) -> str | None:
    """Return the entity id of one of the integration's sensors, None when there is none."""
    return er.async_get(hass).async_get_entity_id(Platform.SENSOR, DOMAIN, unique_id)


def value(hass: HomeAssistant, unique_id: str) -> float:
    """Return a sensor's state as a number."""
    entity_id = sensor(hass, unique_id)
    assert entity_id is not None, unique_id
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return float(state.state)


def profile_characters(hass: HomeAssistant, entry: MockConfigEntry) -> float:
    (subentry_id,) = entry.subentries
    return value(hass, f"{subentry_id}_billed_characters")


def entry_characters(hass: HomeAssistant, entry: MockConfigEntry) -> float:
    return value(hass, f"{entry.entry_id}_billed_characters")


def cost_id(entry: MockConfigEntry) -> str:
    return f"{entry.entry_id}_estimated_cost"


def stored(hass_storage: dict[str, Any], entry: MockConfigEntry) -> dict[str, Any]:
    """Return what is on disk for the entry's usage (what a crash would leave)."""
    data: dict[str, Any] = hass_storage[f"{DOMAIN}.usage.{entry.entry_id}"]["data"]
    return data


def store_usage(hass_storage: dict[str, Any], entry: MockConfigEntry, data: Any) -> None:
    """Put `data` on disk as the entry's usage counts, before it is set up."""
    key = f"{DOMAIN}.usage.{entry.entry_id}"
    hass_storage[key] = {"version": 1, "minor_version": 1, "key": key, "data": data}


def billed(emulator: Emulator) -> int:
    """Return every character the emulator billed for speech."""
    return sum(record.usage_characters for record in utterances(emulator))


async def usage_diagnostics(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry
) -> dict[str, Any]:
    """Return the usage part of the entry's diagnostics."""
    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    usage: dict[str, Any] = diagnostics["usage"]
    return usage


async def set_price(hass: HomeAssistant, entry: MockConfigEntry, price: float | None) -> None:
    """Walk the entry's options flow, as a user does; saving it reloads the entry."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    answer = {} if price is None else {"price_per_10k_characters": price}
    await hass.config_entries.options.async_configure(result["flow_id"], answer)
    await hass.async_block_till_done()


async def test_tts_speak_counts_what_the_service_reported(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    await speak_on_player(hass, hass_client, "The washing machine has finished.")

    assert billed(emulator) == len("The washing machine has finished.")
    assert profile_characters(hass, entry) == billed(emulator)
    assert entry_characters(hass, entry) == billed(emulator)


async def test_chinese_characters_count_twice(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    await speak_on_player(hass, hass_client, "你好, ok")

    assert profile_characters(hass, entry) == 2 * 2 + 4 == billed(emulator)


async def test_assist_streaming_counts_every_response(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    await run_streaming_pipeline(hass)

    (record,) = utterances(emulator)
    assert len(record.segments) > 1  # the service split the reply into several responses
    assert record.usage_characters == sum(billed_characters(s) for s in record.segments)
    assert profile_characters(hass, entry) == record.usage_characters
    assert entry_characters(hass, entry) == record.usage_characters
    assert record.usage_characters <= len("".join(DELTAS))


async def test_a_cached_replay_counts_nothing(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    await speak_on_player(hass, hass_client, "Dinner is ready.")
    counted = profile_characters(hass, entry)

    await speak_on_player(hass, hass_client, "Dinner is ready.")

    assert len(utterances(emulator)) == 1  # served by Home Assistant's TTS cache
    assert profile_characters(hass, entry) == counted == len("Dinner is ready.")


async def test_profiles_count_apart_and_the_entry_counts_all(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    await stream_audio(hass, "Hello.")

    # The profile's device carries its counter as a diagnostic; the entry's total is primary.
    (subentry_id,) = entry.subentries
    registry = er.async_get(hass)
    profile = registry.async_get(sensor(hass, f"{subentry_id}_billed_characters") or "")
    total = registry.async_get(sensor(hass, f"{entry.entry_id}_billed_characters") or "")
    assert profile is not None
    assert total is not None
    assert profile.entity_category == "diagnostic"
    assert total.entity_category is None
    assert profile.device_id != total.device_id
    state = hass.states.get(profile.entity_id)
    assert state is not None
    assert state.attributes["state_class"] == "total_increasing"
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == "characters"


async def test_removing_a_profile_keeps_its_characters_in_the_entry_total(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    await stream_audio(hass, "Hello.")
    (subentry_id,) = entry.subentries

    hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()

    assert sensor(hass, f"{subentry_id}_billed_characters") is None
    assert entry_characters(hass, entry) == len("Hello.")


async def test_every_utterance_is_on_disk_when_it_ends(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    await stream_audio(hass, "Hello.")
    await hass.async_block_till_done()

    (subentry_id,) = entry.subentries
    assert stored(hass_storage, entry)["total"]["characters"] == len("Hello.")
    assert stored(hass_storage, entry)["profiles"][subentry_id]["characters"] == len("Hello.")


async def test_a_reload_keeps_the_totals(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    await stream_audio(hass, "Hello.")

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await stream_audio(hass, "Again.")

    assert profile_characters(hass, entry) == len("Hello.") + len("Again.")
    assert entry_characters(hass, entry) == len("Hello.") + len("Again.")


async def test_a_restart_starts_from_the_stored_totals(
    hass: HomeAssistant, hass_storage: dict[str, Any], emulator: Emulator
) -> None:
    entry = make_entry(emulator)
    (subentry_id,) = entry.subentries
    store_usage(
        hass_storage,
        entry,
        {
            "total": {"characters": 1000, "utterances": 20, "estimated_utterances": 0},
            "cost": 0.0,
            "profiles": {subentry_id: {"characters": 600, "utterances": 12}},
        },
    )
    await setup_entry(hass, entry)

    assert profile_characters(hass, entry) == 600
    assert entry_characters(hass, entry) == 1000
    await stream_audio(hass, "Hello.")
    assert profile_characters(hass, entry) == 606
    assert entry_characters(hass, entry) == 1006


class HeldUtterance:
    """A streamed utterance whose first sentence is spoken and whose text ends on `finish()`."""

    def __init__(self, hass: HomeAssistant) -> None:
        self._more = asyncio.Event()
        stream = tts.async_create_stream(hass, ENTITY_ID, options={})
        stream.async_set_message_stream(self._text())
        self._audio = asyncio.create_task(self._collect(stream))

    async def _text(self) -> AsyncGenerator[str]:
        yield "Hello there. "
        await self._more.wait()
        yield "Goodbye."

    @staticmethod
    async def _collect(stream: tts.ResultStream) -> bytes:
        return b"".join([chunk async for chunk in stream.async_stream_result()])

    async def finish(self) -> bytes:
        """Send the rest of the text; return the whole audio, or raise what the stream raised."""
        self._more.set()
        return await self._audio


async def first_sentence_spoken(emulator: Emulator) -> None:
    await eventually(lambda: any(r.usage_characters for r in utterances(emulator)))


async def test_an_utterance_spanning_a_reload_completes_and_is_counted(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    utterance = HeldUtterance(hass)
    await first_sentence_spoken(emulator)

    assert await hass.config_entries.async_reload(entry.entry_id)
    audio = await utterance.finish()

    (record,) = utterances(emulator)
    assert audio.endswith(record.pcm)  # every sample, after the WAV header
    assert record.usage_characters == len("Hello there.") + len("Goodbye.")
    assert entry_characters(hass, entry) == record.usage_characters
    assert profile_characters(hass, entry) == record.usage_characters


async def test_an_utterance_ending_while_its_entry_is_unloaded_ends_cleanly(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    """The reload cannot set the entry up again (the service refuses): the utterance is not cut."""
    utterance = HeldUtterance(hass)
    await first_sentence_spoken(emulator)
    emulator.scenario = Scenario(api_keys=frozenset({API_KEY}), handshake_status=503)

    assert not await hass.config_entries.async_reload(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    audio = await utterance.finish()

    (record,) = utterances(emulator)
    assert audio.endswith(record.pcm)
    assert record.closed_at is not None
    await hass.async_block_till_done()
    assert stored(hass_storage, entry)["total"]["utterances"] == 0  # nothing left to count it in


@pytest.mark.parametrize(
    "unreadable",
    [
        lambda _: [1, 2, 3],
        lambda _: "counts",
        lambda _: 42,
        lambda _: {"total": [], "cost": "free", "profiles": "all"},
        lambda profile: {
            "total": {"characters": "many", "utterances": -1, "estimated_utterances": True},
            "profiles": {profile: 7},
        },
        lambda profile: {
            "total": {"characters": 10**20},
            "cost": 10**400,
            "profiles": {profile: {"characters": 1.5}},
        },
    ],
    ids=["list", "string", "number", "wrong-types", "wrong-counts", "out-of-range"],
)
async def test_unreadable_stored_counts_start_afresh(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
    unreadable: Callable[[str], Any],
) -> None:
    entry = make_entry(emulator, options={"price_per_10k_characters": PRICE})
    (subentry_id,) = entry.subentries
    store_usage(hass_storage, entry, unreadable(subentry_id))

    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert (entry_characters(hass, entry), profile_characters(hass, entry)) == (0, 0)
    assert value(hass, cost_id(entry)) == 0
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "usage" in r.message]
    assert len(warnings) == 1
    await stream_audio(hass, "Hello.")
    await hass.async_block_till_done()
    assert stored(hass_storage, entry)["total"]["characters"] == len("Hello.")
    assert stored(hass_storage, entry)["profiles"][subentry_id]["characters"] == len("Hello.")


@pytest.mark.parametrize("reported", [10**12, 10**20, 10**400], ids=["1e12", "1e20", "1e400"])
async def test_a_report_beyond_the_text_counts_at_most_twice_its_characters(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    reported: int,
) -> None:
    emulator.scenario = Scenario(api_keys=frozenset({API_KEY}), reported_characters=reported)
    entry = make_entry(emulator, options={"price_per_10k_characters": PRICE})
    await setup_entry(hass, entry)

    audio = await stream_audio(hass, "Hello.")

    assert len(audio) > 44  # the utterance succeeded, with its audio
    assert entry_characters(hass, entry) == profile_characters(hass, entry) == 2 * len("Hello.")
    assert value(hass, cost_id(entry)) == pytest.approx(2 * len("Hello.") * PRICE / 10_000)
    usage = await usage_diagnostics(hass, hass_client, entry)
    assert usage["misreported_utterances"] == 1
    await hass.async_block_till_done()
    assert stored(hass_storage, entry)["total"]["characters"] == 2 * len("Hello.")
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_totals_stop_at_the_largest_count_a_state_holds_exactly(
    hass: HomeAssistant, hass_storage: dict[str, Any], emulator: Emulator
) -> None:
    entry = make_entry(emulator, options={"price_per_10k_characters": PRICE})
    (subentry_id,) = entry.subentries
    near = {"characters": MAX_USAGE_COUNT - 1, "utterances": MAX_USAGE_COUNT}
    store_usage(
        hass_storage,
        entry,
        {"total": near, "cost": float(MAX_USAGE_COUNT), "profiles": {subentry_id: near}},
    )
    await setup_entry(hass, entry)

    await stream_audio(hass, "Hello.")
    await hass.async_block_till_done()

    assert entry_characters(hass, entry) == profile_characters(hass, entry) == MAX_USAGE_COUNT
    assert value(hass, cost_id(entry)) == pytest.approx(MAX_USAGE_COUNT)
    assert stored(hass_storage, entry)["cost"] == MAX_USAGE_COUNT
    total = stored(hass_storage, entry)["total"]
    assert (total["characters"], total["utterances"]) == (MAX_USAGE_COUNT, MAX_USAGE_COUNT)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_no_cost_sensor_without_a_price(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    assert sensor(hass, cost_id(entry)) is None


async def test_cost_is_characters_times_the_price(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    await set_price(hass, entry, PRICE)
    await stream_audio(hass, "The washing machine has finished.")

    assert value(hass, cost_id(entry)) == pytest.approx(billed(emulator) * PRICE / 10_000)
    state = hass.states.get(sensor(hass, cost_id(entry)) or "")
    assert state is not None
    assert state.attributes["device_class"] == "monetary"
    assert state.attributes["state_class"] == "total"
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == hass.config.currency


async def test_a_new_price_applies_from_then_on(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    await set_price(hass, entry, PRICE)
    await stream_audio(hass, "Hello.")
    await set_price(hass, entry, 1.0)
    await stream_audio(hass, "Goodbye.")

    expected = len("Hello.") * PRICE / 10_000 + len("Goodbye.") * 1.0 / 10_000
    assert value(hass, cost_id(entry)) == pytest.approx(expected)


async def test_clearing_the_price_removes_the_cost_sensor(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    await set_price(hass, entry, PRICE)
    assert sensor(hass, cost_id(entry)) is not None

    await set_price(hass, entry, None)

    assert entry.state is ConfigEntryState.LOADED
    assert sensor(hass, cost_id(entry)) is None


async def test_without_usage_the_text_is_counted_by_the_vendors_rule(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
) -> None:
    emulator.scenario = Scenario(api_keys=frozenset({API_KEY}), usage_reported=False)
    entry = make_entry(emulator)
    await setup_entry(hass, entry)

    await stream_audio(hass, "Hi 你好.")

    assert profile_characters(hass, entry) == billed_characters("Hi 你好.") == 8
    usage = await usage_diagnostics(hass, hass_client, entry)
    assert usage["total"]["estimated_utterances"] == 1


async def test_one_response_without_usage_makes_the_utterance_estimated(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
) -> None:
    # The first response ends "completed" after all its audio, but its response.done has no usage.
    last_delta = 10**6
    bare_done = Fault("incomplete", "mid_stream", deltas=last_delta, status="completed")
    emulator.scenario = Scenario(api_keys=frozenset({API_KEY}), faults=[bare_done])
    entry = make_entry(emulator)
    await setup_entry(hass, entry)

    await stream_audio(hass, "One. Two.")

    assert profile_characters(hass, entry) == len("One. Two.")  # the whole text, not "One.Two."
    usage = await usage_diagnostics(hass, hass_client, entry)
    assert usage["total"]["estimated_utterances"] == 1


async def test_a_failed_utterance_counts_the_responses_it_completed(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    emulator.scenario = Scenario(
        api_keys=frozenset({API_KEY}),
        faults=[Fault("error", "after_response_done", response=0, then="close", close_code=1011)],
    )
    entry = make_entry(emulator)
    await setup_entry(hass, entry)

    with pytest.raises(HomeAssistantError):
        await stream_audio(hass, "The first sentence is here. The second one follows.")

    assert profile_characters(hass, entry) == len("The first sentence is here.") == billed(emulator)


async def test_diagnostics_show_the_counters(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    await set_price(hass, entry, PRICE)
    await stream_audio(hass, "Hello.")

    diagnostics: dict[str, Any] = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    (subentry_id,) = entry.subentries
    usage = diagnostics["usage"]
    assert usage["total"] == {"characters": 6, "utterances": 1, "estimated_utterances": 0}
    assert usage["profiles"][subentry_id]["characters"] == 6
    assert usage["price_per_10k_characters"] == PRICE
    assert usage["currency"] == hass.config.currency
    assert API_KEY not in json.dumps(diagnostics)


async def test_sensor_names_are_translated(hass: HomeAssistant, emulator: Emulator) -> None:
    hass.config.language = "zh-Hans"
    entry = make_entry(emulator, language="zh")
    assert await async_setup_component(hass, "tts", {})
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={"price_per_10k_characters": PRICE})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    (subentry_id,) = entry.subentries
    profile = hass.states.get(sensor(hass, f"{subentry_id}_billed_characters") or "")
    cost = hass.states.get(sensor(hass, cost_id(entry)) or "")
    assert profile is not None
    assert cost is not None
    assert profile.attributes["friendly_name"] == "Qwen TTS 计费字符数"
    # Home Assistant takes units from the English strings, whatever the language: statistics
    # keep one unit when the language changes.
    assert profile.attributes[ATTR_UNIT_OF_MEASUREMENT] == "characters"
    assert cost.attributes["friendly_name"] == "Qwen TTS (custom) 估算费用"


async def test_a_removed_entry_leaves_no_stored_counts(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    await stream_audio(hass, "Hello.")
    await hass.async_block_till_done()
    assert f"{DOMAIN}.usage.{entry.entry_id}" in hass_storage

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    assert f"{DOMAIN}.usage.{entry.entry_id}" not in hass_storage
