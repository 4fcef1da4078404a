"""Many utterances at once: ours against the SDK in an executor."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
import math
import time
from typing import Any

import aiohttp

from custom_components.qwen_tts_realtime.realtime import RealtimeClient

from . import clients
from .common import (
    CONFIG,
    HA_EXECUTOR_WORKERS,
    KEY,
    MODEL,
    EmulatorProcess,
    Settings,
    median,
    ms,
    p95,
    progress,
)
from .table import table


async def measure(s: Settings) -> dict[str, Any]:
    emulator = EmulatorProcess(
        handshake_delay=s.handshake_delay,
        first_audio_delay=s.first_audio_delay,
        realtime_factor=1.0,
    )
    text = "Reminder {}: the dishwasher has finished and the kitchen lights are off."
    texts = [text.format(i) for i in range(s.concurrency)]
    out: dict[str, Any] = {}
    async with emulator as emu, aiohttp.ClientSession() as http:
        client = RealtimeClient(http, KEY, emu.url)
        executor = ThreadPoolExecutor(HA_EXECUTOR_WORKERS, thread_name_prefix="SyncWorker")
        runs: dict[str, Callable[[str], Awaitable[float]]] = {
            "ours": lambda text: clients.ours(client, CONFIG, text),
            "sdk": lambda text: clients.sdk(executor, emu.url, KEY, MODEL, text),
        }
        for name, run in runs.items():
            await run("Warm up.")
            cpu, wall = time.process_time(), time.perf_counter()
            results = await asyncio.gather(*(run(t) for t in texts), return_exceptions=True)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            ttfa = [r for r in results if isinstance(r, float)]
            errors = [repr(r) for r in results if isinstance(r, BaseException)]
            out[name] = {"ttfa": ttfa, "errors": errors, "wall": wall, "cpu": cpu}
            progress(f"  concurrency: {name} done")
        executor.shutdown(wait=True)
    return out


def section(s: Settings, c: dict[str, Any]) -> list[str]:
    rows = []
    for name, label in (("ours", "ours (cold)"), ("sdk", "SDK in executor")):
        row = c[name]
        ttfa = row["ttfa"] or [math.nan]
        rows.append(
            (
                label,
                len(row["ttfa"]),
                len(row["errors"]),
                f"{row['wall']:.2f}",
                f"{row['cpu']:.2f}",
                ms(median(ttfa)),
                ms(p95(ttfa)),
            )
        )
    return [
        f"## {s.concurrency} concurrent utterances",
        "All started at once (`asyncio.gather`); emulator at real-time factor 1 with the same "
        "delays. CPU time is this process's (all threads).",
        table(
            (
                "client", "ok", "errors", "wall s", "CPU s", "TTFA median ms", "TTFA p95 ms",
            ),
            rows,
            "lrrrrrr",
        ),
    ]  # fmt: skip
