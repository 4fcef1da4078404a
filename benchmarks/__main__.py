"""`python -m benchmarks`: run every measurement, print the report, optionally write it."""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
import shlex
import sys
import time
from typing import Any

from . import (
    __doc__ as about,
    after_idle,
    concurrency,
    fallback_path,
    forward,
    fuzz,
    ha_path,
    memory,
    speakable,
    ttfa,
)
from .common import Settings, progress
from .report import report


def settings(args: argparse.Namespace) -> Settings:
    quick = args.quick
    return Settings(
        rounds=args.rounds or (5 if quick else 40),
        vendor_rounds=3 if quick else 10,
        handshake_delay=args.handshake_delay,
        first_audio_delay=args.first_audio_delay,
        realtime_factor=args.realtime_factor,
        ha_rounds=3 if quick else 15,
        forward_sessions=1 if quick else 3,
        minutes=tuple(int(m) for m in args.minutes.split(",")),
        concurrency=args.concurrency,
    )


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=str(about).split("\n\n")[0],
        epilog="python -m benchmarks fuzz --help: the protocol fuzzer's long run instead",
    )
    parser.add_argument("--rounds", type=int, default=0, help="utterances per client (40)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--handshake-delay", type=float, default=0.15, metavar="SECONDS")
    parser.add_argument("--first-audio-delay", type=float, default=0.1, metavar="SECONDS")
    parser.add_argument("--realtime-factor", type=float, default=0.1)
    # The client refuses more than MAX_AUDIO_SECONDS (15 min) of audio for one utterance.
    parser.add_argument("--minutes", default="3,10", help="audio lengths for memory")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--skip-ha", action="store_true", help="leave out the HA path")
    parser.add_argument("--write", type=Path, metavar="PATH", help="also write the report")
    return parser.parse_args()


def main() -> None:
    if sys.argv[1:2] == ["fuzz"]:
        sys.exit(fuzz.main(sys.argv[2:]))
    args = parse()
    # The SDK and the vendor sample honour proxy variables; the emulator is reached directly.
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(name, None)
        os.environ.pop(name.upper(), None)
    s = settings(args)
    started = time.perf_counter()
    results: dict[str, Any] = {}
    progress("time to first audio…")
    results["ttfa"] = asyncio.run(ttfa.measure(s))
    progress("streaming forward latency…")
    results["forward"] = asyncio.run(forward.measure(s))
    if not args.skip_ha:
        progress("Home Assistant path…")
        results["ha"] = ha_path.measure(s)
        progress("first answer after idle…")
        results["after_idle"] = after_idle.measure(s)
        progress("first audio when the service fails…")
        results["fallback"] = fallback_path.measure(s)
    progress("cleaning up formatting…")
    results["speakable"] = asyncio.run(speakable.measure(s))
    progress("memory and CPU…")
    results["memory"] = memory.measure(s.minutes)
    progress("concurrency…")
    results["concurrency"] = asyncio.run(concurrency.measure(s))
    arguments = shlex.join(sys.argv[1:]) or "(defaults)"
    text = report(s, results, arguments, time.perf_counter() - started)
    print(text)
    if args.write:  # the fuzzer's section of an earlier run stays
        kept = fuzz.section(args.write.read_text()) if args.write.exists() else ""
        args.write.write_text(text + ("\n" + kept if kept else ""))


if __name__ == "__main__":
    main()
