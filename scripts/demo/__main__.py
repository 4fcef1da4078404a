"""Home Assistant with the integration, configured through its real onboarding and config flow.

`serve` runs Home Assistant (and the emulator unless DASHSCOPE_API_KEY is set) until interrupted;
`speak` asks a running instance, or a temporary one, for speech through Home Assistant's own
TTS path (`/api/tts_get_url`) and writes the WAV.

Run as `python -m scripts.demo serve|speak …` (scripts/develop and scripts/speak do).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
from pathlib import Path
import shutil
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


async def run(args: argparse.Namespace) -> None:
    api_key = os.environ.get("DASHSCOPE_API_KEY")
    emulator: asyncio.subprocess.Process | None = None
    endpoint: str | None = None
    temporary: Path | None = None
    config_dir = REPO / "config"
    port = 8123
    if args.command == "serve" and (stopped := take_over(config_dir)):
        print(f"Stopped what an earlier demo left running (pids {stopped}).", flush=True)
    async with aiohttp.ClientSession() as session:
        if args.command == "speak" and not await answers(session, port, config_dir):
            # No demo instance is running: use a temporary one without the web UI.
            temporary = Path(tempfile.mkdtemp(prefix="qwen-tts-speak-"))
            config_dir, port = temporary, 8124
            template = (REPO / "config" / "configuration.yaml").read_text()
            (temporary / "configuration.yaml").write_text(
                template.replace("8123", str(port)).replace("frontend:\n", "")
            )
        host = args.host if args.command == "serve" else DEFAULT_HOST
        pids = Pids(config_dir / PID_FILE if args.command == "serve" else None)
        ha = HomeAssistant(config_dir, port, pids)
        try:
            if args.command == "serve" and await answers(session, port, None):
                raise DemoError(f"Another program already answers on port {port}; stop it first.")
            if not await answers(session, port, config_dir):
                if not api_key:
                    emulator, endpoint = await start_emulator(pids, temporary is not None)
                write_http_config(config_dir, host, port)
                print(f"Starting Home Assistant on {ha.base} (config: {config_dir}) …", flush=True)
                await ha.start(session)
            elif not api_key:
                endpoint = (config_dir / TARGET_FILE).read_text()
            await ha.login(session, finish_onboarding=temporary is None)
            await ha.configure(session, api_key or EMULATOR_KEY, endpoint)
            if args.command == "speak":
                options = json.loads(args.options)
                audio = complete_wav(await ha.speak(session, args.text, options))
                if args.staging:
                    (Path(args.staging) / "speech.wav").write_bytes(audio)
                    (Path(args.staging) / "destination").write_text(args.output)
                else:
                    Path(args.output).write_bytes(audio)
                print(f"wrote {len(audio)} bytes of WAV to {args.output}")
                return
            _print_welcome(ha, endpoint)
            assert ha.process is not None
            await ha.process.wait()
        finally:
            await ha.stop()
            await stop(emulator)
            pids.remove()
            if temporary:
                shutil.rmtree(temporary, ignore_errors=True)


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
  Use the real service instead (Beijing keys also need DASHSCOPE_REGION=mainland_china):
    DASHSCOPE_API_KEY=sk-… scripts/develop
  Stop with Ctrl+C. Starting scripts/develop again stops this instance first.
""",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="address Home Assistant listens on (default 127.0.0.1; env QWEN_TTS_DEMO_HOST)",
    )
    speak = sub.add_parser("speak")
    speak.add_argument("text")
    speak.add_argument("-o", "--output", default="speech.wav", help="relative to --cwd")
    speak.add_argument(
        "--options", default="{}", help='per-call options as JSON, e.g. {"voice": "Ethan"}'
    )
    speak.add_argument("--cwd", default=os.getcwd(), help="the caller's working directory")
    speak.add_argument(
        "--staging",
        help="write the WAV to STAGING/speech.wav instead; the caller moves it to --output "
        "(scripts/speak does, outside the build root)",
    )
    args = parser.parse_args()
    if args.command == "speak":
        args.output = str(output_path(args.output, Path(args.cwd)))
        if not args.text.strip():  # Home Assistant would refuse it in its own words
            raise SystemExit(f"error: {integration_message('empty_message')}")
    with contextlib.suppress(KeyboardInterrupt):
        try:
            asyncio.run(until_signalled(run(args)))
        except DemoError as err:
            raise SystemExit(f"error: {err}") from None


if __name__ == "__main__":
    main()
