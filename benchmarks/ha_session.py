"""TTFA through Home Assistant's own TTS path: TTS manager → our entity → first audio bytes.

Run by benchmarks/ha_path.py (`python -m pytest benchmarks/ha_session.py`), which passes the
settings in QWEN_TTS_BENCH_* variables and reads the JSON written to QWEN_TTS_BENCH_OUT.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
import time

from homeassistant.components import tts
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from custom_components.qwen_tts_realtime.realtime import RealtimeClient
from qwen_tts_emulator import Emulator, Scenario
from tests.ha.helpers import API_KEY, ENTITY_ID as ENGINE, make_entry, setup_entry
from tests.helpers import has_spare

from .common import MODEL

type TtsOptions = dict[str, str | int]


def setting(name: str, default: float) -> float:
    return float(os.environ.get(f"QWEN_TTS_BENCH_{name}", default))


def bench_scenario(*, handshake_delay: float) -> Scenario:
    """The emulator as the benchmark's settings describe it (defaults when a variable is unset)."""
    return Scenario(
        api_keys=frozenset({API_KEY}),
        handshake_delay=setting("HANDSHAKE_DELAY", handshake_delay),
        first_audio_delay=setting("FIRST_AUDIO_DELAY", 0.1),
        realtime_factor=setting("REALTIME_FACTOR", 0.1),
    )


async def first_audio(hass: HomeAssistant, message: str, options: TtsOptions) -> float:
    """Ask the TTS manager for a stream, as tts.speak and Assist do; return its TTFA."""
    start = time.perf_counter()
    stream = tts.async_create_stream(hass, ENGINE, "en", options)
    stream.async_set_message(message)
    first: float | None = None
    async for chunk in stream.async_stream_result():
        if first is None and chunk:
            first = time.perf_counter() - start
    assert first is not None
    return first


async def test_ha_path_ttfa(hass: HomeAssistant, socket_enabled: None) -> None:
    rounds = int(setting("ROUNDS", 15))
    scenario = bench_scenario(handshake_delay=0.15)
    async with Emulator(scenario) as emu:
        entry = make_entry(emu)  # the tests' entry: the profile of the first config flow
        await setup_entry(hass, entry)
        assert entry.state is ConfigEntryState.LOADED
        client: RealtimeClient = entry.runtime_data.client
        await asyncio.sleep(0.5)  # a spare, if the integration keeps one, is connected by now
        warm_by_integration = has_spare(client, MODEL)

        results: dict[str, list[float]] = {}
        counter = 0

        async def run(label: str, options: TtsOptions, warm: bool) -> None:
            nonlocal counter
            values = results.setdefault(label, [])
            for round_ in range(rounds + 1):  # round 0 warms code paths up, not counted
                if warm:
                    async with asyncio.timeout(10):
                        while not has_spare(client, MODEL):  # noqa: ASYNC110
                            await asyncio.sleep(0.002)
                counter += 1
                message = f"Turning on the living room lights, request {counter}."
                value = await first_audio(hass, message, options)
                if round_:
                    values.append(value)

        wav: TtsOptions = {"preferred_format": "wav"}
        mp3: TtsOptions = {"preferred_format": "mp3"}  # what tts.speak gets when it names no format
        # A bitrate makes Home Assistant run ffmpeg whatever the entity returns: the entity then
        # asks for PCM and Home Assistant encodes the mp3, which is what it did before the
        # service-encoded path existed.
        mp3_ffmpeg: TtsOptions = {"preferred_format": "mp3", "preferred_bitrate": 128}
        rows = (
            ("WAV (no conversion)", wav),
            ("MP3 encoded by the service (passed through)", mp3),
            ("MP3 encoded by Home Assistant's ffmpeg", mp3_ffmpeg),
        )
        if not warm_by_integration:
            client.keep_warm([MODEL])
        for label, options in rows:
            await run(f"warm, {label}", options, warm=True)
        await client.close()  # no spare from here on: every utterance shakes hands
        for label, options in rows:
            await run(f"cold, {label}", options, warm=False)

        note = (
            "The integration keeps a warm spare by default (the warm rows); the cold rows were "
            "measured after closing the spares."
            if warm_by_integration
            else "The integration kept no spare: the benchmark called `keep_warm` for warm rows."
        )
        await client.close()
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()
    out = Path(os.environ.get("QWEN_TTS_BENCH_OUT", "ha_path.json"))
    await asyncio.to_thread(out.write_text, json.dumps({"ttfa": results, "note": note}))
