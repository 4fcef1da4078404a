"""Handshake and first-audio times, the second through the integration's own client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Final

import aiohttp

from custom_components.qwen_tts_realtime.realtime import (
    DEFAULT_MODEL,
    DEFAULT_VOICE,
    RealtimeClient,
    SessionConfig,
    model_info,
)

from .probes import Target
from .wire import ANSWER_TIMEOUT, connect

TIMING_TEXT: Final = "Hi."
HANDSHAKES: Final = 3  # free: no text is sent
FIRST_AUDIO_RUNS: Final = 2  # cold, then as many warm; each bills TIMING_TEXT


@dataclass(slots=True)
class Timing:
    """Milliseconds, one value per run; the first handshake includes the DNS lookup."""

    handshake_ms: list[float] = field(default_factory=list)
    session_created_ms: list[float] = field(default_factory=list)
    cold_first_audio_ms: list[float] = field(default_factory=list)
    warm_first_audio_ms: list[float] = field(default_factory=list)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def handshakes(http: aiohttp.ClientSession, target: Target, timing: Timing) -> None:
    """Open and close sockets: upgrade time, and time until `session.created`."""
    loop = asyncio.get_running_loop()
    for _ in range(HANDSHAKES):
        started = loop.time()
        wire, took = await connect(http, target.endpoint, target.api_key, DEFAULT_MODEL)
        try:
            await wire.until(("session.created",))
            timing.session_created_ms.append(_ms(loop.time() - started))
        finally:
            await wire.ws.close()
        timing.handshake_ms.append(_ms(took))


async def _first_audio(client: RealtimeClient) -> float:
    """Seconds from asking for speech to its first audio; the rest is read to the end."""
    loop = asyncio.get_running_loop()
    config = SessionConfig(model=model_info(DEFAULT_MODEL), voice=DEFAULT_VOICE)
    started = loop.time()
    first: float | None = None
    async for _ in client.synthesize(config, TIMING_TEXT):
        if first is None:
            first = loop.time() - started
    if first is None:
        raise RuntimeError("the service returned no audio")
    return first


async def first_audio(
    http: aiohttp.ClientSession,
    target: Target,
    timing: Timing,
    pace: Callable[[str], Awaitable[None]],
) -> None:
    """Cold: a fresh socket per utterance. Warm: the client's spare socket, open in advance."""
    for _ in range(FIRST_AUDIO_RUNS):
        await pace(DEFAULT_MODEL)
        cold = RealtimeClient(http, target.api_key, target.endpoint)
        try:
            timing.cold_first_audio_ms.append(_ms(await _first_audio(cold)))
        finally:
            await cold.close()
    warm = RealtimeClient(http, target.api_key, target.endpoint)
    try:
        warm.keep_warm([DEFAULT_MODEL])
        for _ in range(FIRST_AUDIO_RUNS):
            await pace(DEFAULT_MODEL)
            async with asyncio.timeout(ANSWER_TIMEOUT):
                while not warm.spares_state()[DEFAULT_MODEL]["spare_connected"]:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            timing.warm_first_audio_ms.append(_ms(await _first_audio(warm)))
    finally:
        await warm.close()
