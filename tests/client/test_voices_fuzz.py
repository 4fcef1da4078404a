"""A thousand fuzzed answers of the voice customisation API (see tests/fuzz/voices.py).

A violation names its seed; `fuzz_voices(range(SEED, SEED + 1), response_bytes=RESPONSE_BYTES,
concurrency=1)`, with the client's bound patched as below, replays it.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from custom_components.qwen_tts_realtime.realtime import voices as voices_module

from ..fuzz.voices import CALLS, fuzz_voices

SEEDS = 1000
# The client's bound on an answer, shortened so that answers beyond it cost little to send.
RESPONSE_BYTES = 512 * 1024


def test_fuzzed_voice_answers_keep_every_invariant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(voices_module, "MAX_RESPONSE_BYTES", RESPONSE_BYTES)
    # A loop of its own in a thread of its own, as tests/client/test_fuzz.py runs its sessions.
    with ThreadPoolExecutor(1) as thread:
        report = thread.submit(
            asyncio.run, fuzz_voices(range(SEEDS), response_bytes=RESPONSE_BYTES), debug=False
        ).result()

    assert report.violations == []
    assert set(report.calls) == set(CALLS)
    assert report.outcomes["success"] > SEEDS // 5
    assert report.outcomes["typed error"] > SEEDS // 5
    # Enough answers stayed valid that the lists were compared voice for voice.
    assert report.expected["success"] > SEEDS // 5
