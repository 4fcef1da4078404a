"""Cleaning up an answer's formatting: its cost per delta, its effect on TTFA, what it saves.

`python -m benchmarks.speakable` runs this measurement alone and prints its section.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing
import time
from typing import Any

import aiohttp

from custom_components.qwen_tts_realtime.realtime import RealtimeClient
from custom_components.qwen_tts_realtime.realtime.speakable import (
    Speakable,
    speakable_chunks,
    speakable_text,
)
from custom_components.qwen_tts_realtime.realtime.text import billed_characters
from qwen_tts_emulator import Emulator, Scenario
from tests.helpers import has_spare

from .common import CONFIG, KEY, MODEL, REPO, Settings, median, ms, p95, progress, wait_for
from .table import table

CORPUS = REPO / "tests" / "data" / "speakable"
PLAIN = ("en_plain", "zh_plain")
# Answers streamed for the time to first audio: plain, markdown in English and in Chinese.
STREAMED = ("en_plain", "en_weather", "zh_recipe")
DELTA_GAP = 0.02  # seconds between an LLM's deltas
COST_ROUNDS = 200


def answers() -> dict[str, str]:
    return {
        path.stem: path.read_text(encoding="utf-8").removesuffix("\n")
        for path in sorted(CORPUS.glob("*.md"))
    }


def deltas(name: str, text: str) -> list[str]:
    """Cut an answer like an LLM's deltas: about a token each (4 characters, 2 of Chinese)."""
    size = 2 if name.startswith("zh") else 4
    return [text[i : i + size] for i in range(0, len(text), size)]


def cost(rounds: int) -> dict[str, Any]:
    """Time each `feed()` of every corpus answer cut into deltas, and `speakable_text()` of each."""
    per_delta: dict[str, list[float]] = {"plain": [], "markdown": []}
    whole: list[float] = []
    for name, text in answers().items():
        pieces = deltas(name, text)
        kind = "plain" if name in PLAIN else "markdown"
        for _ in range(rounds):
            cleaner = Speakable()
            for piece in pieces:
                started = time.perf_counter_ns()
                cleaner.feed(piece)
                per_delta[kind].append((time.perf_counter_ns() - started) / 1000)
            cleaner.finish()
            started = time.perf_counter_ns()
            speakable_text(text)
            whole.append((time.perf_counter_ns() - started) / 1000)
    return {"per_delta": per_delta, "whole": whole}


async def first_audio(client: RealtimeClient, pieces: list[str], *, clean: bool) -> float:
    """Stream `pieces` 20 ms apart; return seconds from the first delta to the first audio."""
    loop = asyncio.get_running_loop()
    started: list[float] = []

    async def llm() -> AsyncIterator[str]:
        for piece in pieces:
            started.append(loop.time())
            yield piece
            await asyncio.sleep(DELTA_GAP)

    text = speakable_chunks(llm()) if clean else llm()
    async with aclosing(client.stream(CONFIG, text)) as audio:
        async for _ in audio:
            return loop.time() - started[0]
    raise RuntimeError("no audio")


async def ttfa(s: Settings, rounds: int) -> dict[str, dict[str, list[float]]]:
    """Time to first audio of streamed answers, cleaned and as written, taking turns.

    On a warm spare, so that the first audio waits for the answer's first sentence rather than
    for the handshake: what the filter could delay.
    """
    scenario = Scenario(
        api_keys=frozenset({KEY}),
        handshake_delay=s.handshake_delay,
        first_audio_delay=s.first_audio_delay,
        realtime_factor=s.realtime_factor,
    )
    texts = answers()
    results: dict[str, dict[str, list[float]]] = {
        name: {"as written": [], "cleaned": []} for name in STREAMED
    }
    async with Emulator(scenario) as emu, aiohttp.ClientSession() as http:
        client = RealtimeClient(http, KEY, emu.url)
        client.keep_warm([MODEL])
        for round_ in range(rounds + 1):  # round 0 warms up and is not counted
            for name in STREAMED:
                pieces = deltas(name, texts[name])
                for variant in ("as written", "cleaned"):
                    await wait_for(lambda: has_spare(client, MODEL))
                    seconds = await first_audio(client, pieces, clean=variant == "cleaned")
                    if round_:
                        results[name][variant].append(seconds)
            progress(f"  speakable TTFA round {round_}/{rounds}", end="\r")
        await client.close()
    progress("")
    return results


def billed() -> list[tuple[str, int, int]]:
    """Billed characters (the vendor's rule) of each corpus answer, as written and cleaned."""
    return [
        (name, billed_characters(text), billed_characters(speakable_text(text)))
        for name, text in answers().items()
    ]


async def measure(s: Settings) -> dict[str, Any]:
    return {
        "cost": cost(COST_ROUNDS if s.rounds >= 10 else 20),
        "ttfa": await ttfa(s, s.ha_rounds),
        "billed": billed(),
    }


def slowest_delta(r: dict[str, Any]) -> float:
    """Return the p95 µs of a delta, the slower of plain and markdown answers."""
    return max(p95(values) for values in r["cost"]["per_delta"].values())


def ttfa_added(r: dict[str, Any]) -> float:
    """Return the most the clean-up added to a median time to first audio, in seconds."""
    return max(
        median(variants["cleaned"]) - median(variants["as written"])
        for variants in r["ttfa"].values()
    )


def saved(r: dict[str, Any]) -> float:
    """Return the share of billed characters the clean-up saved on the whole corpus."""
    raw: int = sum(row[1] for row in r["billed"])
    spoken: int = sum(row[2] for row in r["billed"])
    return (raw - spoken) / raw


def us(value: float) -> str:
    return f"{value:.1f}"


def section(s: Settings, r: dict[str, Any]) -> list[str]:
    per_delta, whole = r["cost"]["per_delta"], r["cost"]["whole"]
    cost_rows = [
        (f"{kind} answers, per delta", len(values), us(median(values)), us(p95(values)))
        for kind, values in per_delta.items()
    ]
    cost_rows.append(
        ("a whole answer (`tts.speak`)", len(whole), us(median(whole)), us(p95(whole)))
    )
    ttfa_rows = []
    for name, variants in r["ttfa"].items():
        written, cleaned = variants["as written"], variants["cleaned"]
        ttfa_rows.append(
            (f"`{name}`", len(written), ms(median(written)), ms(median(cleaned)),
             ms(median(cleaned) - median(written)), ms(p95(cleaned)))
        )  # fmt: skip
    totals: dict[str, list[int]] = {}
    billed_rows = []
    for name, raw, spoken in r["billed"]:
        language = name.split("_", 1)[0]
        total = totals.setdefault(language, [0, 0])
        total[0] += raw
        total[1] += spoken
        billed_rows.append((f"`{name}`", raw, spoken, f"{100 * (raw - spoken) / raw:.0f}%"))
    for language, (raw, spoken) in totals.items():
        billed_rows.append(
            (f"**all {language}**", raw, spoken, f"**{100 * (raw - spoken) / raw:.0f}%**")
        )
    return [
        "## Cleaning up formatting",
        "The profile option *Clean up formatting before speaking* (on by default) passes the "
        "text through `realtime/speakable.py`. Cost: every answer of the corpus "
        "(`tests/data/speakable/`, English and Chinese) cut into LLM-like deltas of 4 characters "
        f"(2 for Chinese), each `feed()` timed, {COST_ROUNDS} times; and `speakable_text()` of "
        "each whole answer, as `tts.speak` cleans it. In µs:",
        table(("what", "samples", "median µs", "p95 µs"), cost_rows, "lrrr"),
        "Time to first audio of a streamed answer, cleaned and as written, taking turns on a "
        "warm spare (so that the first audio waits for the first sentence, not the handshake): "
        "the in-process emulator with the first-audio delay and real-time factor above, deltas "
        "20 ms apart, from the first delta to the first audio. The filter holds nothing of a "
        "plain answer and decides markup within the delta that ends it, before the sentence "
        "ends, so the first audio comes as soon as without it:",
        table(
            ("answer", "utterances", "as written ms", "cleaned ms", "difference ms", "cleaned p95"),
            ttfa_rows,
            "lrrrrr",
        ),
        "Billed characters by the vendor's rule (a Chinese character counts 2), as written and "
        "as spoken:",
        table(("answer", "as written", "cleaned", "saved"), billed_rows, "lrrr"),
    ]


def main() -> None:
    from .__main__ import parse, settings  # noqa: PLC0415 - the runner imports this module

    s = settings(parse())
    results = asyncio.run(measure(s))
    print("\n\n".join(section(s, results)))


if __name__ == "__main__":
    main()
