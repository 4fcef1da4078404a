"""First audio when the service fails, with and without a fallback: ha_fallback_session.py."""

from __future__ import annotations

from typing import Any

from .common import Settings, median, ms
from .ha_path import run_session
from .table import table


def measure(s: Settings) -> dict[str, Any]:
    return run_session("benchmarks/ha_fallback_session.py", s)


def _cell(side: dict[str, Any] | None) -> str:
    """A median in ms; where no audio came, the time until the error, said as such."""
    if side is None:
        return "—"
    value = ms(median(side["seconds"]))
    if side["audio"]:
        return value
    rounds = len(side["seconds"])
    return f"silent: error after {value}" + (" (1 try)" if rounds == 1 else "")


def section(result: dict[str, Any] | None) -> list[str]:
    blocks = ["## When the service fails: the fallback voice"]
    if result is None:
        return [*blocks, "Skipped (`--skip-ha`)."]
    if "error" in result:
        return [*blocks, f"Failed: {result['error']}."]
    rows = [
        (label, _cell(sides.get("without")), _cell(sides.get("with")))
        for label, sides in result["rows"].items()
    ]
    return [
        *blocks,
        "Through Home Assistant's TTS path as above (WAV), handshake 150 ms: time to the first "
        "audio, or to the error when none comes. The fallback is a second TTS entity in the "
        "same Home Assistant that answers at once (a real one adds its own first audio: Piper "
        "on a small machine some 100 ms, a cloud a few hundred). The service is given "
        f"{result['fallback_after']:g} s of silence, once it owes audio, before the fallback "
        "starts alongside it; an error it reports or a refused connection switches at once "
        "(after the client's one retry of a failed connection); while the keep-warm pool "
        "knows that the service cannot be reached, the fallback starts at once. The cold "
        "rows connect per utterance; slow errors without a fallback were timed once.",
        table(
            ("service", "without a fallback, ms", "with a fallback, ms"),
            rows,
            "lrr",
        ),
    ]
