"""A few hundred fuzzed sessions: every invariant holds on every one (see tests/fuzz).

The long run is `python -m benchmarks fuzz --sessions 10000`; a violation names its seed, which
`fuzz(FuzzSettings(sessions=1, first_seed=SEED, concurrency=1))` replays.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
import logging

import pytest

from ..fuzz import FuzzSettings, fuzz

SEEDS = 300


def test_fuzzed_sessions_keep_every_invariant(caplog: pytest.LogCaptureFixture) -> None:
    # A loop of its own, without the test harness's debug mode and log capture at every level:
    # the sessions run at the speed the client runs at in Home Assistant, as its timers assume.
    # It runs in a thread of its own: asyncio.run() here would leave this thread without a
    # current loop, which older test harnesses (Home Assistant 2026.3's) ask for afterwards.
    caplog.set_level(logging.WARNING)
    with ThreadPoolExecutor(1) as thread:
        run = thread.submit(asyncio.run, fuzz(FuzzSettings(sessions=SEEDS)), debug=False)
        report = run.result()

    assert [str(v) for v in report.violations] == []
    # Both paths, with and without a spare, ending both ways, were all tried.
    assert len(report.paths) == 4
    assert report.outcomes["success"] > SEEDS // 5
    assert report.outcomes["typed error"] > SEEDS // 5
