"""`python -m benchmarks fuzz`: the protocol fuzzer's long run (tests/fuzz), and its report.

`--write benchmarks/RESULTS.md` puts the report in that file as its last section, replacing the
one of an earlier run; the other benchmarks' `--write` keeps it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
import shlex
import sys

from tests.fuzz import FuzzSettings, Report, fuzz
from tests.fuzz.runner import SCHEDULING_SLACK, STATED_BOUND, TIMEOUTS

from .common import progress
from .table import table

HEADING = "## Protocol fuzzer"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks fuzz", description=__doc__)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=8, help="sessions at once (8)")
    parser.add_argument("--no-memory", action="store_true", help="do not trace memory (faster)")
    parser.add_argument("--write", type=Path, metavar="PATH", help="also write the report there")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    settings = FuzzSettings(
        sessions=args.sessions,
        first_seed=args.first_seed,
        concurrency=args.concurrency,
        trace_memory=not args.no_memory,
    )
    # The client warns about every broken frame it skips: thousands, all on purpose here.
    logging.getLogger("custom_components.qwen_tts_realtime").setLevel(logging.ERROR)
    progress(f"fuzzing {settings.sessions} sessions…")
    report = asyncio.run(fuzz(settings))
    text = render(report, settings, shlex.join(["fuzz", *argv]))
    print(text)
    if args.write:
        args.write.write_text(without_section(_read(args.write)).rstrip() + "\n\n" + text)
    return 1 if report.violations else 0


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def without_section(text: str) -> str:
    """Return a results file without its fuzzer section."""
    start = text.find(HEADING)
    return text if start < 0 else text[:start]


def section(text: str) -> str:
    """Return the fuzzer section of a results file ("" when it has none)."""
    start = text.find(HEADING)
    return "" if start < 0 else text[start:]


def render(report: Report, settings: FuzzSettings, arguments: str) -> str:
    seeds = f"{settings.first_seed}–{settings.first_seed + settings.sessions - 1}"
    lines = [
        HEADING,
        "",
        f"Command: `python -m benchmarks {arguments}` (seeds {seeds}, {settings.concurrency} "
        f"sessions at once{', memory traced' if settings.trace_memory else ''}). A seeded server "
        "mutates correct sessions (tests/fuzz); every session is checked against every invariant. "
        f"The client's bounds, shortened: {_bounds()}; a session must end within "
        f"{STATED_BOUND:.1f} s (every attempt's bounds summed), with {SCHEDULING_SLACK:g} s more "
        "for a loaded machine's event loop.",
        "",
        table(
            ["", "value"],
            [
                ["sessions", str(report.sessions)],
                ["connections", str(report.connections)],
                ["**violations**", f"**{len(report.violations)}**"],
                ["longest session", f"{report.longest:.2f} s"],
                ["peak memory of a block (traced)", f"{report.peak_block_memory / 2**20:.1f} MiB"],
                ["whole run", f"{report.seconds:.0f} s"],
            ],
            "lr",
        ),
        "",
        table(["path", "sessions"], _rows(report.paths), "lr"),
        "",
        table(["outcome", "sessions"], _rows(report.outcomes), "lr"),
        "",
        table(["what the oracle allowed", "sessions"], _rows(report.judgements), "lr"),
        "",
        table(["typed error", "sessions"], _rows(report.errors), "lr"),
        "",
        table(["mutation", "connections"], _rows(report.mutations), "lr"),
    ]
    if report.violations:
        lines += ["", "Violations:", "", *(f"- {v}" for v in report.violations[:50])]
    return "\n".join(lines) + "\n"


def _bounds() -> str:
    t = TIMEOUTS
    return (
        f"connect {t.connect:g} s, first audio {t.first_audio:g} s, silence {t.audio:g} s, "
        f"send {t.send:g} s, whole message {t.synthesize:g} s"
    )


def _rows(counts: dict[str, int]) -> list[list[str]]:
    return [[name, str(count)] for name, count in sorted(counts.items())]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
