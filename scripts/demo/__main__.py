"""The commands behind scripts/develop (`serve`) and scripts/speak (`speak`).

`serve` runs Home Assistant (and the emulator unless DASHSCOPE_API_KEY is set) until interrupted;
`speak` asks a running instance, or a temporary one, for speech through Home Assistant's own TTS
path (`/api/tts_get_url`), or with `--stream` through an Assist pipeline (stream.py).

scripts/speak runs `speak` twice: first with SPEAK_PLAN_VARIABLE set, which only reads the
arguments and writes where the audio goes to STAGING/destination (so that it can refuse a folder
that does not exist before anything is spoken: inside the build root the caller's folders cannot
be seen), then to speak, writing the audio to STAGING/audio and the line that reports it to
STAGING/report. The staging folder is inside the repository, which both sides see.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
import contextlib
import json
import os
from pathlib import Path
import shutil
import sys
import tempfile
from typing import Final

import aiohttp

from .home_assistant import (
    ENGINE,
    PASSWORD,
    TARGET_FILE,
    USERNAME,
    HomeAssistant,
    answers,
    complete_wav,
    ignore_core_install_repair,
    write_http_config,
)
from .lifecycle import (
    EMULATOR_KEY,
    PID_FILE,
    REPO,
    DemoError,
    Pids,
    start_emulator,
    stop,
    take_over,
    until_signalled,
)

# Only this machine can reach the demo: its password is published.
DEFAULT_HOST: Final = os.environ.get("QWEN_TTS_DEMO_HOST", "127.0.0.1")
# Set by scripts/speak (variables named QWEN_TTS_* reach the build root).
CWD_VARIABLE: Final = "QWEN_TTS_SPEAK_CWD"  # the caller's working directory
STAGING_VARIABLE: Final = "QWEN_TTS_SPEAK_STAGING"  # where the audio is left for scripts/speak
SPEAK_PLAN_VARIABLE: Final = "QWEN_TTS_SPEAK_PLAN"  # set: only read the arguments
SPEAK_DESCRIPTION: Final = """\
Speak TEXT through Home Assistant's own text-to-speech path and write the audio to a file. Uses
the Home Assistant of scripts/develop when it runs, otherwise a temporary one (a few seconds
more)."""
# Long enough (100 characters) that Home Assistant streams it with words still to come.
STREAM_EXAMPLE: Final = (
    "Sure. The kitchen lights are on, the heating is set to twenty degrees, "
    "and the front door is locked."
)
STREAM_HELP: Final = """\
run an Assist pipeline on TEXT instead: the demo's writer agent writes TEXT back a word at a time,
like a language model, and the report shows the speech starting before the agent has finished
(replies over about 60 characters). Writes MP3 (what the pipeline streams) only with -o"""


def output_path(output: str, cwd: Path) -> Path:
    """Resolve `-o` as any command does: relative to the caller's working directory.

    Only lexically: inside the build root the caller's folders do not exist to look up.
    """
    return Path(os.path.normpath(cwd / Path(output).expanduser()))


def integration_message(key: str, **placeholders: str) -> str:
    """Return one of the integration's own error messages (English, as Home Assistant logs them)."""
    translations = REPO / "custom_components" / "qwen_tts_realtime" / "translations" / "en.json"
    message: str = json.loads(translations.read_text())["exceptions"][key]["message"]
    return message.format(**placeholders)


def speak_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scripts/speak", description=SPEAK_DESCRIPTION)
    parser.add_argument("text", metavar="TEXT", help="what to say")
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="where to write the audio, relative to the current directory "
        "(default speech.wav; with --stream, none)",
    )
    parser.add_argument(
        "--options",
        metavar="JSON",
        default="{}",
        help='per-call options, e.g. \'{"voice": "Ethan", "speech_rate": 1.2}\'',
    )
    parser.add_argument("--stream", action="store_true", help=STREAM_HELP)
    return parser


def serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scripts/develop",
        description="Run Home Assistant on http://127.0.0.1:8123 with this integration set up.",
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="address Home Assistant listens on (default 127.0.0.1; env QWEN_TTS_DEMO_HOST)",
    )
    return parser


def parse_speak(argv: list[str], cwd: Path) -> argparse.Namespace:
    """Read scripts/speak's arguments; `output` becomes an absolute path, or None."""
    parser = speak_parser()
    args = parser.parse_args(argv)
    if args.stream:
        if args.options != "{}":
            parser.error("--options does not apply to --stream: the pipeline speaks as the profile")
        if args.output is not None and not args.output.endswith(".mp3"):
            parser.error("--stream writes the MP3 the pipeline streams: name the file *.mp3")
    elif args.output is None:
        args.output = "speech.wav"
    try:
        args.options = json.loads(args.options)
    except json.JSONDecodeError as err:
        parser.error(f"--options is not JSON: {err}")
    if not isinstance(args.options, dict):
        parser.error("--options must be a JSON object")
    if args.output is not None:
        args.output = str(output_path(args.output, cwd))
    if not args.text.strip():  # Home Assistant would refuse it in its own words
        raise SystemExit(f"error: {integration_message('empty_message')}")
    return args


async def serve(args: argparse.Namespace) -> None:
    """Run the demo until interrupted."""
    config_dir = REPO / "config"
    if stopped := take_over(config_dir):
        print(f"Stopped what an earlier demo left running (pids {stopped}).", flush=True)
    async with aiohttp.ClientSession() as session:
        if await answers(session, 8123, None):
            raise DemoError("Another program already answers on port 8123; stop it first.")
        pids = Pids(config_dir / PID_FILE)
        async with _instance(session, config_dir, 8123, pids, args.host) as (ha, endpoint):
            _print_welcome(ha, endpoint)
            assert ha.process is not None
            async with ha.websocket(session) as socket:
                repairs = asyncio.create_task(ignore_core_install_repair(socket))
                try:
                    await ha.process.wait()
                except asyncio.CancelledError:  # Ctrl+C, SIGTERM or SIGHUP
                    print("Stopping Home Assistant and the emulator …", flush=True)
                    raise
                finally:
                    repairs.cancel()
                    with contextlib.suppress(asyncio.CancelledError, aiohttp.ClientError):
                        await repairs


async def speak(args: argparse.Namespace, staging: Path) -> None:
    """Speak once through the demo's Home Assistant, or a temporary one."""
    config_dir, port = REPO / "config", 8123
    temporary: Path | None = None
    async with aiohttp.ClientSession() as session:
        if not await answers(session, port, config_dir):
            # No demo instance is running: use a temporary one without the web UI.
            temporary = Path(tempfile.mkdtemp(prefix="qwen-tts-speak-"))
            config_dir, port = temporary, 8124
            template = (REPO / "config" / "configuration.yaml").read_text()
            (temporary / "configuration.yaml").write_text(
                template.replace("8123", str(port)).replace("frontend:\n", "")
            )
        try:
            async with _instance(session, config_dir, port, Pids(None), DEFAULT_HOST) as (ha, _):
                if args.stream:
                    audio, kind, lines = await _stream(session, ha, args.text)
                    print("\n".join(lines))
                else:
                    audio = complete_wav(await ha.speak(session, args.text, args.options))
                    kind = "WAV"
        finally:
            if temporary:
                shutil.rmtree(temporary, ignore_errors=True)
    if args.output is not None:
        (staging / "audio").write_bytes(audio)
        (staging / "report").write_text(f"wrote {len(audio)} bytes of {kind} to {args.output}\n")


async def _stream(
    session: aiohttp.ClientSession, ha: HomeAssistant, text: str
) -> tuple[bytes, str, list[str]]:
    from .stream import ensure_pipeline, report, run_pipeline  # noqa: PLC0415 - see ensure_pipeline

    async with ha.websocket(session) as socket:
        pipeline_id = await ensure_pipeline(socket)
        run = await run_pipeline(
            socket, lambda url: session.get(f"{ha.base}{url}"), pipeline_id, text
        )
    return bytes(run.audio), "MP3", report(run)


@contextlib.asynccontextmanager
async def _instance(
    session: aiohttp.ClientSession, config_dir: Path, port: int, pids: Pids, host: str
) -> AsyncIterator[tuple[HomeAssistant, str | None]]:
    """Yield the demo's Home Assistant, started (with the emulator) unless it already runs.

    What this started is stopped on the way out: first Home Assistant, then the emulator.
    """
    api_key = os.environ.get("DASHSCOPE_API_KEY")
    emulator: asyncio.subprocess.Process | None = None
    endpoint: str | None = None
    ha = HomeAssistant(config_dir, port, pids)
    try:
        if not await answers(session, port, config_dir):
            if not api_key:
                emulator, endpoint = await start_emulator(pids, port != 8123)
            write_http_config(config_dir, host, port)
            print(f"Starting Home Assistant on {ha.base} (config: {config_dir}) …", flush=True)
            await ha.start(session)
        elif not api_key:
            endpoint = (config_dir / TARGET_FILE).read_text()
        await ha.login(session, finish_onboarding=port == 8123)
        await ha.configure(session, api_key or EMULATOR_KEY, endpoint)
        yield ha, endpoint
    finally:
        await ha.stop()
        await stop(emulator)
        pids.remove()


def _print_welcome(ha: HomeAssistant, endpoint: str | None) -> None:
    target = (
        f"the local emulator at {endpoint} (it accepts only the key {EMULATOR_KEY})"
        if endpoint
        else "the real Qwen TTS Realtime service"
    )
    print(
        f"""
Home Assistant is running at {ha.base}  (login: {USERNAME} / {PASSWORD})
The engine {ENGINE} speaks through {target}.

  Listen in the browser: sidebar → Media → Text-to-speech → Qwen TTS, type a message, Say.
  Speak to a file, through Home Assistant's TTS path:
    scripts/speak "Hello from Home Assistant" -o hello.wav
  See speech start while an agent is still writing (an Assist pipeline, timed):
    scripts/speak --stream "{STREAM_EXAMPLE}"
  Use the real service instead (Beijing keys also need DASHSCOPE_REGION=mainland_china):
    DASHSCOPE_API_KEY=sk-… scripts/develop
  Stop with Ctrl+C. Starting scripts/develop again stops this instance first.

Home Assistant calls an installation in a Python virtual environment unsupported; the demo is
one on purpose and ignores that repair (Settings → Repairs → ⋮ → Show ignored).
""",
        flush=True,
    )


def main() -> None:
    command, argv = sys.argv[1], sys.argv[2:]
    if command == "serve":
        work = serve(serve_parser().parse_args(argv))
    else:
        cwd = Path(os.environ.get(CWD_VARIABLE) or os.getcwd())
        args = parse_speak(argv, cwd)
        staging = Path(os.environ[STAGING_VARIABLE])
        if os.environ.get(SPEAK_PLAN_VARIABLE):
            (staging / "destination").write_text(args.output or "")
            return
        work = speak(args, staging)
    with contextlib.suppress(KeyboardInterrupt):
        try:
            asyncio.run(until_signalled(work))
        except DemoError as err:
            raise SystemExit(f"error: {err}") from None


if __name__ == "__main__":
    main()
