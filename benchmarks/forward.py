"""Streaming forward latency: a chunk leaves `message_gen`, its append reaches the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from custom_components.qwen_tts_realtime.realtime import RealtimeClient
from qwen_tts_emulator import Emulator, Scenario

from .common import CONFIG, KEY, Settings, median, ms, p95
from .table import table

LLM_TEXT = (
    "Sure. I have turned off the lights in the kitchen and the hallway, and the living room "
    "lamps are now at forty percent. The front door is locked, the garage door is closed, and "
    "the thermostat is set to twenty one degrees for the night. Tomorrow starts dry and cool, "
    "with sunshine after ten and a high of eighteen. Your first meeting is at nine thirty. "
)


def llm_pieces(text: str, words: int = 3) -> list[str]:
    """Split text like an LLM's deltas: a few words each, spaces attached."""
    tokens = text.split(" ")
    return [" ".join(tokens[i : i + words]) + " " for i in range(0, len(tokens), words)]


async def measure(s: Settings) -> dict[str, Any]:
    """Chunk leaves message_gen -> its append frame arrives at the (in-process) emulator."""
    scenario = Scenario(
        api_keys=frozenset({KEY}), first_audio_delay=s.first_audio_delay, realtime_factor=0.02
    )
    pieces = llm_pieces(LLM_TEXT * 2)
    latencies: list[float] = []
    early = 0
    async with Emulator(scenario) as emu, aiohttp.ClientSession() as http:
        client = RealtimeClient(http, KEY, emu.url)
        loop = asyncio.get_running_loop()
        for _ in range(s.forward_sessions):
            stamps: list[float] = []

            async def llm(stamps: list[float]) -> AsyncIterator[str]:
                await asyncio.sleep(0.05)  # the model's own time to first token
                for piece in pieces:
                    stamps.append(loop.time())
                    yield piece
                    await asyncio.sleep(0.02)

            async for _pcm in client.stream(CONFIG, llm(stamps)):
                pass
            record = emu.sessions[-1]
            opened = next(e.at for e in record.received if e.type == "session.update")
            arrivals = [e.at for e in record.received if e.type == "input_text_buffer.append"]
            assert len(arrivals) == len(stamps)
            for stamp, arrival in zip(stamps, arrivals, strict=True):
                if stamp < opened:
                    early += 1  # produced while the socket was still opening: not our latency
                else:
                    latencies.append(arrival - stamp)
    return {"latencies": latencies, "early": early, "chunks": len(pieces)}


def section(s: Settings, f: dict[str, Any]) -> list[str]:
    lat = f["latencies"]
    return [
        "## Streaming forward latency",
        f"Chunk leaves `message_gen` → its `input_text_buffer.append` reaches the emulator "
        f"(in-process, same clock). {s.forward_sessions} sessions × {f['chunks']} LLM-like "
        f"chunks of three words, 20 ms apart, while audio streams back; {f['early']} chunks "
        f"produced before the socket was open are left out.",
        table(
            ("chunks", "median ms", "p95 ms", "max ms"),
            [(len(lat), ms(median(lat)), ms(p95(lat)), ms(max(lat)))],
            "rrrr",
        ),
    ]
