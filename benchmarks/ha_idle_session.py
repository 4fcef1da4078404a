"""First answer after a long idle, through Home Assistant's TTS path, with and without a wake.

Run by benchmarks/after_idle.py (`python -m pytest benchmarks/ha_idle_session.py`); settings in
QWEN_TTS_BENCH_* variables, JSON out to QWEN_TTS_BENCH_OUT. Ten quiet minutes are simulated by
firing Home Assistant's timers past the spare's idle timeout, not by waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
import json
import os
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.qwen_tts_realtime.realtime import SPARE_IDLE_TIMEOUT, RealtimeClient
from qwen_tts_emulator import Emulator
from tests.ha.helpers import ENTITY_ID, add_satellite, make_entry, setup_entry
from tests.helpers import has_spare

from .common import MODEL, wait_for
from .ha_session import TtsOptions, bench_scenario, first_audio, setting

IDLE = timedelta(minutes=10)
WAKE_LEAD = 1.5  # seconds from the wake word to the answer's text: speech-to-text and the agent


async def test_first_answer_after_idle(hass: HomeAssistant, socket_enabled: None) -> None:
    rounds = int(setting("ROUNDS", 15))
    scenario = bench_scenario(handshake_delay=0.3)
    async with Emulator(scenario) as emu:
        entry = make_entry(emu)  # keep-warm: when a voice assistant wakes (the default)
        await setup_entry(hass, entry)
        client: RealtimeClient = entry.runtime_data.client
        satellite = await add_satellite(hass, ENTITY_ID)
        wav: TtsOptions = {"preferred_format": "wav"}
        results: dict[str, list[float]] = {}
        counter = 0

        async def idle() -> None:
            """Ten quiet minutes: the spare times out and closes."""
            await wait_for(lambda: has_spare(client, MODEL))
            assert IDLE.total_seconds() > SPARE_IDLE_TIMEOUT
            async_fire_time_changed(hass, dt_util.utcnow() + IDLE)
            await wait_for(lambda: emu.open_connections == 0)

        async def run(label: str, before: Callable[[], Awaitable[None]]) -> None:
            nonlocal counter
            values = results.setdefault(label, [])
            for round_ in range(rounds + 1):  # round 0 warms code paths up, not counted
                await before()
                counter += 1
                value = await first_audio(hass, f"The lights are on, answer {counter}.", wav)
                if round_:
                    values.append(value)

        async def warm() -> None:
            await wait_for(lambda: has_spare(client, MODEL))

        async def woken() -> None:
            await idle()
            satellite.hear_wake_word()
            await asyncio.sleep(WAKE_LEAD)
            satellite.tts_response_finished()  # back to idle, ready to wake again

        await run("warm (a spare from the last answer)", warm)
        await run("after 10 min idle, a satellite woke 1.5 s before", woken)
        await run("after 10 min idle, no wake (cold)", idle)
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    out = Path(os.environ.get("QWEN_TTS_BENCH_OUT", "after_idle.json"))
    await asyncio.to_thread(out.write_text, json.dumps({"ttfa": results}))
