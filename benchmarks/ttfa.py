"""Time to first audio: our client cold and warm, a raw aiohttp baseline, the SDK, the sample."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

import aiohttp

from custom_components.qwen_tts_realtime.realtime import RealtimeClient
from tests.helpers import has_spare

from . import clients
from .common import (
    CONFIG,
    HA_EXECUTOR_WORKERS,
    KEY,
    MODEL,
    UTTERANCE,
    EmulatorProcess,
    Settings,
    median,
    ms,
    p95,
    progress,
    wait_for,
)
from .table import table

type Ttfa = dict[str, list[float]]  # client: seconds, one per utterance

LABELS = {
    "ours_cold": "ours, cold (handshake per utterance)",
    "ours_warm": "ours, warm spare (`keep_warm`)",
    "baseline": "raw aiohttp baseline (minimum on the wire)",
    "sdk": "dashscope SDK `QwenTtsRealtime` in an executor (64 threads, like HA)",
    "vendor": "vendor's sample client (websockets) driven like its guide (fixed sleeps)",
}


async def measure(s: Settings) -> Ttfa:
    emulator = EmulatorProcess(
        handshake_delay=s.handshake_delay,
        first_audio_delay=s.first_audio_delay,
        realtime_factor=s.realtime_factor,
    )
    executor = ThreadPoolExecutor(HA_EXECUTOR_WORKERS, thread_name_prefix="SyncWorker")
    async with emulator as emu, aiohttp.ClientSession() as http:
        cold = RealtimeClient(http, KEY, emu.url)
        warm = RealtimeClient(http, KEY, emu.url)
        warm.keep_warm([MODEL])

        async def ours_warm() -> float:
            await wait_for(lambda: has_spare(warm, MODEL))
            return await clients.ours(warm, CONFIG, UTTERANCE)

        runs: dict[str, Callable[[], Awaitable[float]]] = {
            "ours_cold": lambda: clients.ours(cold, CONFIG, UTTERANCE),
            "ours_warm": ours_warm,
            "baseline": lambda: clients.baseline(http, emu.url, KEY, MODEL, UTTERANCE),
            "sdk": lambda: clients.sdk(executor, emu.url, KEY, MODEL, UTTERANCE),
            "vendor": lambda: clients.vendor_sample(emu.url, KEY, MODEL, UTTERANCE),
        }
        results: Ttfa = {name: [] for name in runs}
        # Round 0 warms imports and code paths up and is not counted; then the clients take
        # turns, so that any drift of the machine touches them all alike.
        for round_ in range(s.rounds + 1):
            for name, run in runs.items():
                if name == "vendor" and round_ > s.vendor_rounds:
                    continue
                value = await run()
                if round_:
                    results[name].append(value)
            progress(f"  TTFA round {round_}/{s.rounds}", end="\r")
        await warm.close()
    executor.shutdown(wait=True)
    progress("")
    return results


def section(s: Settings, t: Ttfa) -> list[str]:
    meds = {name: median(values) for name, values in t.items()}
    ratios = [
        ("ours cold / baseline", f"{meds['ours_cold'] / meds['baseline']:.3f}"),
        ("ours cold − baseline", f"{ms(meds['ours_cold'] - meds['baseline'])} ms"),
        ("ours cold / SDK", f"{meds['ours_cold'] / meds['sdk']:.3f}"),
        ("ours warm / SDK", f"{meds['ours_warm'] / meds['sdk']:.3f}"),
        ("ours warm / baseline", f"{meds['ours_warm'] / meds['baseline']:.3f}"),
        ("ours cold / vendor sample", f"{meds['ours_cold'] / meds['vendor']:.3f}"),
        (
            f"warm − first-audio delay (handshake hidden: {ms(s.handshake_delay)} ms)",
            f"{ms(meds['ours_warm'] - s.first_audio_delay)} ms",
        ),
    ]
    return [
        "## Time to first audio",
        table(
            ("client", "utterances", "median ms", "p95 ms"),
            [
                (label, len(t[name]), ms(meds[name]), ms(p95(t[name])))
                for name, label in LABELS.items()
            ],
            "lrrr",
        ),
        table(("ratio (medians)", "value"), ratios, "lr"),
    ]
