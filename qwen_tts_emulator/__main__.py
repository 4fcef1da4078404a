"""Run the emulator: python -m qwen_tts_emulator [--port 8765] [...]."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from .audio import espeak_available
from .scenario import Scenario
from .server import Emulator

_LOGGER = logging.getLogger("qwen_tts_emulator")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m qwen_tts_emulator",
        description="Local emulator of the Qwen-TTS Realtime WebSocket service.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--voice-engine",
        choices=("tone", "espeak"),
        default="espeak" if espeak_available() else "tone",
        help="espeak needs espeak-ng on PATH (default: espeak when available)",
    )
    parser.add_argument("--first-audio-delay", type=float, default=0.25, metavar="SECONDS")
    parser.add_argument("--handshake-delay", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument(
        "--realtime-factor",
        type=float,
        default=0.5,
        help="wall seconds per audio second; 0 sends as fast as possible (default: 0.5)",
    )
    parser.add_argument(
        "--delta-bytes", type=int, default=4800, help="audio bytes per response.audio.delta"
    )
    parser.add_argument(
        "--idle-close-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="close a socket that sent nothing for this long, as the service does (default: never)",
    )
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accept only this key (repeatable); default: any non-empty key",
    )
    return parser


async def _serve(args: argparse.Namespace) -> None:
    scenario = Scenario(
        api_keys=frozenset(args.api_keys) if args.api_keys else None,
        handshake_delay=args.handshake_delay,
        first_audio_delay=args.first_audio_delay,
        realtime_factor=args.realtime_factor,
        delta_bytes=args.delta_bytes,
        voice_engine=args.voice_engine,
        idle_close_after=args.idle_close_after,
    )
    emulator = Emulator(scenario)
    await emulator.start(args.host, args.port)
    try:
        _LOGGER.info(
            "listening on %s (voice engine %s, keys %s)",
            emulator.url,
            scenario.voice_engine,
            "restricted" if scenario.api_keys else "any",
        )
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def main() -> None:
    """Parse the command line and serve until interrupted."""
    args = _parser().parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
