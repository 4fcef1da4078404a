"""First answer after 10 minutes idle, woken or cold: ha_idle_session.py in HA's test harness."""

from __future__ import annotations

from typing import Any

from .common import Settings, median, ms, p95
from .ha_path import run_session
from .table import table

# A remote region's TCP + TLS + upgrade, the cost a wake hides.
HANDSHAKE_DELAY = 0.3


def measure(s: Settings) -> dict[str, Any]:
    return run_session("benchmarks/ha_idle_session.py", s, handshake_delay=HANDSHAKE_DELAY)


def section(result: dict[str, Any] | None) -> list[str]:
    blocks = ["## First answer after 10 minutes idle"]
    if result is None:
        return [*blocks, "Skipped (`--skip-ha`)."]
    if "error" in result:
        return [*blocks, f"Failed: {result['error']}."]
    return [
        *blocks,
        f"Through Home Assistant's TTS path as above (WAV), with the emulator's handshake at "
        f"{ms(HANDSHAKE_DELAY)} ms. Keep-warm is the default, *when a voice assistant wakes*. "
        "Ten quiet minutes are simulated by firing Home Assistant's timers past the spare's "
        "idle timeout (it closes). In the woken rows a real `assist_satellite` entity, whose "
        "pipeline speaks with this engine, goes to `listening` 1.5 s before the text arrives.",
        table(
            ("first answer", "utterances", "median ms", "p95 ms"),
            [
                (name, len(values), ms(median(values)), ms(p95(values)))
                for name, values in result["ttfa"].items()
            ],
            "lrrr",
        ),
    ]
