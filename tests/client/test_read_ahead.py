"""What the client holds while its reader is slow: a bounded read-ahead, the budget at arrival."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import contextlib
import tracemalloc

import pytest

from custom_components.qwen_tts_realtime.realtime import AudioLimitError, RealtimeClient
from qwen_tts_emulator import Emulator, Fault, Scenario

from .helpers import CONFIG, KEYS

FRAME = 1024 * 1024  # each endless delta: a quarter of the largest frame the client takes
STALL = 1.0  # how long the consumer stops reading: ample time to fill any read-ahead
# Far below the 64 MiB that 64 read-ahead frames of this size would hold.
MEMORY_BOUND = 16 * 1024 * 1024


def endless_large_deltas() -> Scenario:
    """Audio that never ends, in deltas of `FRAME` bytes."""
    return Scenario(api_keys=KEYS, faults=[Fault("endless", "before_audio", size=FRAME)])


async def stalled_peak(audio: AsyncGenerator[bytes]) -> int:
    """Take the first chunk, stop reading for `STALL` seconds; return the peak memory meanwhile."""
    tracemalloc.start()
    try:
        await anext(audio)
        await asyncio.sleep(STALL)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


async def test_read_ahead_of_a_stalled_consumer_is_bounded_in_bytes(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = endless_large_deltas()
    # 1,000 characters may bring 900 s of audio (43 MB): the budget is not what stops the reader.
    audio = client.synthesize(CONFIG, "word " * 200)

    async with contextlib.aclosing(audio):
        peak = await stalled_peak(audio)

    assert peak < MEMORY_BOUND
    await emulator.wait_idle()


async def test_audio_beyond_the_budget_fails_as_it_arrives_not_when_it_is_read(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = endless_large_deltas()
    audio = client.synthesize(CONFIG, "Hello.")  # a budget of 36 s: 1.7 MB

    async with contextlib.aclosing(audio):
        peak = await stalled_peak(audio)
        with pytest.raises(AudioLimitError):
            await anext(audio)  # not the audio read ahead meanwhile: the session is over

    assert peak < MEMORY_BOUND
    await emulator.wait_idle()
