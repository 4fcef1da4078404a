"""First audio when the service fails, with and without a fallback voice, through Home Assistant.

Run by benchmarks/fallback_path.py (`python -m pytest benchmarks/ha_fallback_session.py`);
settings in QWEN_TTS_BENCH_* variables, JSON out to QWEN_TTS_BENCH_OUT. The fallback is the
tests' backup engine, which answers at once: a real one (Piper, a cloud) adds its own first audio.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
import json
import os
from pathlib import Path
import time
from typing import Any

from homeassistant.components import tts
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.qwen_tts_realtime.fallback import FALLBACK_AFTER
from custom_components.qwen_tts_realtime.realtime import RealtimeClient
from qwen_tts_emulator import Emulator, Fault, Scenario
from tests.ha.fallback_engine import BACKUP_ID, add_backup_engine
from tests.ha.helpers import API_KEY, NO_SPARES, make_entry, setup_entry
from tests.helpers import has_spare

from .common import MODEL, wait_for
from .ha_session import TtsOptions, bench_scenario, setting

WAV: TtsOptions = {"preferred_format": "wav"}
type Outcome = dict[str, Any]  # seconds to first audio (or to the error), and whether audio came


async def outcome(hass: HomeAssistant, engine: str, message: str) -> tuple[float, bool]:
    """Ask for `message` as tts.speak and Assist do; return the seconds to audio or error."""
    start = time.perf_counter()
    stream = tts.async_create_stream(hass, engine, "en", WAV)
    stream.async_set_message(message)
    first: float | None = None
    try:
        async for chunk in stream.async_stream_result():
            if first is None and chunk:
                first = time.perf_counter() - start
    except HomeAssistantError:
        return time.perf_counter() - start, False
    assert first is not None
    return first, True


@contextlib.asynccontextmanager
async def not_answering(emu: Emulator) -> AsyncIterator[None]:
    """Put a host that accepts TCP but never answers the upgrade in the emulator's place."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up
        writer.close()

    port = emu.port
    await emu.stop()
    server = await asyncio.start_server(hold, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()
        await emu.start(port=port)


def faults(*injected: Fault, status: int | None = None) -> Scenario:
    """The benchmark's emulator answering the handshake with `status`, or with `injected`."""
    return Scenario(
        api_keys=frozenset({API_KEY}),
        handshake_status=status,
        handshake_delay=setting("HANDSHAKE_DELAY", 0.15),
        faults=list(injected),
    )


# The service's failures measured on the cold entries: label, scenario, slow to fail without.
FAILURES: list[tuple[str, Scenario, bool]] = [
    ("refusing the key (HTTP 401)", faults(status=401), False),
    ("refusing (HTTP 503, retried once)", faults(status=503), False),
    ("an error event after `session.update`", faults(Fault("error", "after_update")), False),
    ("stalled: no first audio", faults(Fault("stall", "before_audio")), True),
]


class Bench:
    """The entries measured, and what they measured."""

    def __init__(self, hass: HomeAssistant, entries: dict[str, MockConfigEntry]) -> None:
        self.hass = hass
        self.engines = {name: engine_of(hass, entry) for name, entry in entries.items()}
        self.clients: dict[str, RealtimeClient] = {
            name: entry.runtime_data.client for name, entry in entries.items()
        }
        self.results: dict[str, dict[str, Outcome]] = {}
        self.rounds = int(setting("ROUNDS", 15))
        self._counter = 0

    async def run(self, label: str, side: str, name: str, count: int | None = None) -> None:
        """Measure `count` utterances (the rounds) of entry `name` as the row's `side`."""
        client = self.clients[name]
        values: list[float] = []
        spoke = True
        for round_ in range((self.rounds if count is None else count) + 1):
            if name in ("bare_warm", "warm") and not client.known_down(MODEL):
                await wait_for(lambda: has_spare(client, MODEL))
            self._counter += 1
            message = f"Answer {self._counter}. It is on."
            value, audio = await outcome(self.hass, self.engines[name], message)
            spoke = spoke and audio
            if round_:  # round 0 warms code paths up, not counted
                values.append(value)
        self.results.setdefault(label, {})[side] = {"seconds": values, "audio": spoke}

    async def both(self, label: str, *, slow_without: bool = False) -> None:
        """Measure the cold entries with and without a fallback (a slow error only once)."""
        await self.run(label, "with", "cold")
        await self.run(label, "without", "bare", 1 if slow_without else None)


async def test_fallback_ttfa(hass: HomeAssistant, socket_enabled: None) -> None:
    healthy = bench_scenario(handshake_delay=0.15)
    async with Emulator(healthy) as emu:
        await add_backup_engine(hass)
        entries = {
            "bare_warm": make_entry(emu),
            "bare": make_entry(emu, options=NO_SPARES),
            "warm": make_entry(emu, fallback=BACKUP_ID),
            "cold": make_entry(emu, options=NO_SPARES, fallback=BACKUP_ID),
        }
        for entry in entries.values():
            await setup_entry(hass, entry)
        bench = Bench(hass, entries)
        await bench.run("healthy, warm spare", "with", "warm")
        await bench.run("healthy, warm spare", "without", "bare_warm")
        await bench.both("healthy, cold")
        for label, scenario, slow in FAILURES:
            emu.scenario = scenario
            await bench.both(label, slow_without=slow)
        emu.scenario = healthy
        port = emu.port
        await emu.stop()
        await bench.both("unreachable (connection refused, retried once)")
        await emu.start(port=port)
        async with not_answering(emu):
            await bench.both("not answering the handshake", slow_without=True)
        # The keep-warm pool learns that the service refuses, then the service stops answering.
        warm = bench.clients["warm"]
        warm.ensure_spare(MODEL)
        await wait_for(lambda: has_spare(warm, MODEL))
        emu.scenario = Scenario(handshake_status=503)
        await outcome(hass, bench.engines["warm"], "The spare answers; its replacement is not.")
        await wait_for(lambda: warm.known_down(MODEL))
        async with not_answering(emu):
            known = "not answering, while the keep-warm pool knows it is down"
            await bench.run(known, "with", "warm")
        emu.scenario = healthy
        for entry in entries.values():
            assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    out = Path(os.environ.get("QWEN_TTS_BENCH_OUT", "fallback.json"))
    document = {"rows": bench.results, "fallback_after": FALLBACK_AFTER}
    await asyncio.to_thread(out.write_text, json.dumps(document))


def engine_of(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Return the TTS entity of `entry`'s (only) voice profile."""
    (tts_entity,) = [
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.domain == "tts"
    ]
    return tts_entity
