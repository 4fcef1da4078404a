"""Command line of scripts/live-check (python -m scripts.live_check --help)."""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path
import sys
from typing import Final

import aiohttp
from yarl import URL

from custom_components.qwen_tts_realtime.realtime import (
    InvalidEndpointError,
    RealtimeError,
    Region,
    endpoint_for,
)
from custom_components.qwen_tts_realtime.realtime.endpoints import (
    VENDOR_REGIONS,
    is_loopback,
    normalize_endpoint,
)
from qwen_tts_emulator import Emulator, Scenario

from . import probes, report
from .run import bill_cap, check, differences, voice_models
from .wire import HandshakeRefused, redact

IDLE_WAIT: Final = 120.0  # seconds an unused socket is watched; the service documents no limit
REFERENCE_KEY: Final = "sk-live-check-emulator"  # the real key only ever goes to the target
SAME, DIFFERENT, CANNOT_RUN = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/live-check",
        description=(
            "Check the real Qwen3-TTS Realtime service against the catalogue and the emulator, "
            "and which regions take the key. Needs DASHSCOPE_API_KEY; DASHSCOPE_REGION is "
            f"{', '.join(VENDOR_REGIONS)} (default {Region.INTERNATIONAL}); DASHSCOPE_WORKSPACE "
            "checks the workspace's gateway there. "
            "Exit status: 0 no differences, 1 differences, 2 could not run."
        ),
    )
    parser.add_argument("--endpoint", help="a ws(s):// endpoint instead of the region's")
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        help="check the voices of this model only (repeatable); default: every catalogue model",
    )
    parser.add_argument(
        "--idle-wait",
        type=float,
        default=IDLE_WAIT,
        metavar="SECONDS",
        help=f"how long to watch an unused socket (default {IDLE_WAIT:g}; 0 skips it)",
    )
    parser.add_argument("--json", type=Path, default=Path("live-check.json"), metavar="FILE")
    parser.add_argument("--markdown", type=Path, default=Path("live-check.md"), metavar="FILE")
    parser.add_argument("--plan", action="store_true", help="print the most it may bill, and exit")
    return parser


def _say(text: str, secret: str = "") -> None:
    print(f"live-check: {redact(text, secret)}", file=sys.stderr)


async def run(argv: list[str]) -> int:
    """Run the check; return the exit status."""
    args = _parser().parse_args(argv)
    models = voice_models(args.model)
    if args.model and len(models) != len(set(args.model)):
        _say(f"no catalogue voices for: {sorted(set(args.model) - set(models))}")
        return CANNOT_RUN
    cap = bill_cap(models)
    if args.plan:
        print(f"At most {cap} billed characters: voices of {', '.join(models)}.")
        return SAME
    api_key = os.environ.get("DASHSCOPE_API_KEY", "").strip()
    if not api_key:
        _say("set DASHSCOPE_API_KEY (and DASHSCOPE_REGION=mainland_china for a Beijing key)")
        return CANNOT_RUN
    workspace = os.environ.get("DASHSCOPE_WORKSPACE", "").strip() or None
    try:
        region = Region(os.environ.get("DASHSCOPE_REGION") or Region.INTERNATIONAL)
        endpoint = normalize_endpoint(args.endpoint or endpoint_for(region, workspace=workspace))
    except (ValueError, InvalidEndpointError) as err:
        _say(str(err))
        return CANNOT_RUN
    _say(f"{endpoint}: at most {cap} billed characters; about {args.idle_wait:g} s or more")
    async with (
        aiohttp.ClientSession() as http,
        Emulator(Scenario(api_keys=frozenset({REFERENCE_KEY}))) as emulator,
    ):
        reference_target = probes.Target(emulator.url, REFERENCE_KEY)
        reference = await check(
            http, reference_target, models=models, idle_wait=0, timed=False, paced=False
        )
        idle = (
            asyncio.create_task(probes.idle(http, reference_target, args.idle_wait))
            if args.idle_wait > 0
            else None
        )
        try:
            live = await check(
                http,
                probes.Target(endpoint, api_key),
                models=models,
                idle_wait=args.idle_wait,
                timed=True,
                paced=not is_loopback(URL(endpoint).host),
                # A vendor region's check asks the others too; an endpoint of one's own does not.
                regions=args.endpoint is None,
                workspace=workspace,
            )
        except HandshakeRefused as err:
            _say(f"the service refused the handshake: {err.code}", api_key)
            return CANNOT_RUN
        except (RealtimeError, TimeoutError) as err:  # a timing run, through the client
            _say(f"the service failed a timing run: {type(err).__name__}: {err}", api_key)
            return CANNOT_RUN
        finally:
            if idle is not None:
                if not idle.done():
                    idle.cancel()
                await asyncio.wait((idle,))
        if idle is not None:
            reference.idle = idle.result()
    found = differences(live, reference)
    if live.billed() > cap:
        found.append(f"billed {live.billed()} characters, more than the {cap} planned")
    data = report.record(live, reference, cap, found)
    markdown = redact(report.to_markdown(data), api_key)
    args.json.write_text(redact(report.to_json(data), api_key), encoding="utf-8")
    args.markdown.write_text(markdown, encoding="utf-8")
    print(markdown)
    _say(f"{len(found)} difference(s); wrote {args.json} and {args.markdown}", api_key)
    return DIFFERENT if found else SAME


def main() -> None:
    """Entry point."""
    sys.exit(asyncio.run(run(sys.argv[1:])))


if __name__ == "__main__":
    main()
