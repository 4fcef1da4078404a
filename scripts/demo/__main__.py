"""Home Assistant with the integration, configured through its real onboarding and config flow.

`serve` runs Home Assistant (and the emulator unless DASHSCOPE_API_KEY is set) until interrupted;
`speak` asks a running instance, or a temporary one, for speech through Home Assistant's own
TTS path (`/api/tts_get_url`) and writes the WAV.

Home Assistant and the emulator run in process groups of their own, die with this process (even
when it is killed outright), and are listed in a pid file: a new `serve` stops whatever an earlier
one left running before it starts.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Coroutine
import contextlib
import ctypes
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import struct
import sys
import tempfile
import time
from typing import Any, Final

import aiohttp

REPO = Path(__file__).resolve().parent.parent
CLIENT_ID = "http://127.0.0.1:8123/"
USERNAME = "demo"
PASSWORD = "demo-password"
EMULATOR_KEY = "sk-emulator-demo"
ENGINE = "tts.qwen_tts"
AUTH_FILE = ".qwen-tts-demo-auth.json"
TARGET_FILE = ".qwen-tts-demo-target"
PID_FILE = ".qwen-tts-demo-pids.json"
LOG_FILE = "home-assistant.log"
# Only this machine can reach the demo: its password is published.
DEFAULT_HOST: Final = os.environ.get("QWEN_TTS_DEMO_HOST", "127.0.0.1")
# What each process of a demo runs: a pid in the pid file is signalled only while it still runs one.
OUR_COMMANDS: Final = ("homeassistant", "qwen_tts_emulator", "demo.py")
STOP_TIMEOUT: Final = 30.0  # seconds Home Assistant gets to shut down before it is killed
LOG_WAIT: Final = 5.0  # seconds to wait for Home Assistant to log why a synthesis failed
TTS_ERROR_PREFIX: Final = "Error streaming tts: "  # how Home Assistant logs a failed synthesis
_PR_SET_PDEATHSIG: Final = 1


class DemoError(Exception):
    """A failure to report in one line, without a traceback."""


def _die_with_parent() -> None:
    """Run in each child before exec: when this script dies, even by SIGKILL, so does the child."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Pids:
    """The pid file of a `serve`: this script and its children, for the next one to stop."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.pids = [os.getpid()]

    def add(self, pid: int) -> None:
        self.pids.append(pid)
        if self.path:
            self.path.write_text(json.dumps(self.pids))

    def remove(self) -> None:
        if self.path:
            self.path.unlink(missing_ok=True)


async def spawn(pids: Pids, *command: str, **kwargs: Any) -> asyncio.subprocess.Process:
    """Start a child in a process group of its own (so Ctrl+C reaches only this script)."""
    process = await asyncio.create_subprocess_exec(
        *command, process_group=0, preexec_fn=_die_with_parent, **kwargs
    )
    pids.add(process.pid)
    return process


def _ours(pid: int) -> bool:
    """Return whether `pid` still runs a process of a demo (pids are reused)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return any(name in cmdline for name in OUR_COMMANDS)


def take_over(config_dir: Path) -> list[int]:
    """Stop the processes an earlier demo left running; return their pids."""
    pid_file = config_dir / PID_FILE
    try:
        pids = [int(pid) for pid in json.loads(pid_file.read_text())]
    except FileNotFoundError, ValueError, TypeError:
        return []
    running = [pid for pid in pids if pid != os.getpid() and _ours(pid)]
    for pid in running:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while any(_ours(pid) for pid in running) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in running:
        if _ours(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return running


def write_http_config(config_dir: Path, host: str, port: int) -> None:
    """Set where Home Assistant listens: it keeps this in storage and ignores `http:` in YAML."""
    stable = {
        "server_host": [host], "server_port": port,
        "cors_allowed_origins": ["https://cast.home-assistant.io"], "login_attempts_threshold": -1,
        "ip_ban_enabled": True, "ssl_profile": "modern", "use_x_frame_options": True,
        "created_at": "2026-01-01T00:00:00+00:00", "error": None, "error_message": None,
    }  # fmt: skip
    store = {
        "version": 2, "minor_version": 2, "key": "http",
        "data": {"stable": stable, "pending": None, "yaml_migration_done": True},
    }  # fmt: skip
    (config_dir / ".storage").mkdir(parents=True, exist_ok=True)
    (config_dir / ".storage" / "http").write_text(json.dumps(store, indent=2))


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


def logged_tts_error(log: Path, start: int) -> str | None:
    """Return the last synthesis error Home Assistant logged after byte `start` of its log."""
    try:
        with log.open("rb") as file:
            file.seek(start)
            lines = file.read().decode(errors="replace").splitlines()
    except OSError:
        return None
    errors = [line.split(TTS_ERROR_PREFIX, 1)[1] for line in lines if TTS_ERROR_PREFIX in line]
    return errors[-1] if errors else None


class HomeAssistant:
    """A Home Assistant instance reached over its HTTP API."""

    def __init__(self, config_dir: Path, port: int, pids: Pids) -> None:
        self.config_dir = config_dir
        self.pids = pids
        self.base = f"http://127.0.0.1:{port}"
        self.port = port
        self.process: asyncio.subprocess.Process | None = None
        self.token = ""

    async def start(self, session: aiohttp.ClientSession) -> None:
        (self.config_dir / "custom_components").mkdir(parents=True, exist_ok=True)
        link = self.config_dir / "custom_components" / "qwen_tts_realtime"
        if not link.exists():
            link.symlink_to(REPO / "custom_components" / "qwen_tts_realtime")
        self.process = await spawn(
            self.pids, sys.executable, "-m", "homeassistant", "--config", str(self.config_dir),
            "--skip-pip-packages", "home-assistant-frontend",
        )  # fmt: skip
        for _ in range(600):
            if self.process.returncode is not None:
                raise SystemExit(f"Home Assistant exited with {self.process.returncode}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{self.base}/manifest.json") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.5)
        raise SystemExit("Home Assistant did not start within 5 minutes")

    async def stop(self) -> None:
        await stop(self.process)

    async def login(self, session: aiohttp.ClientSession, *, finish_onboarding: bool) -> None:
        """Onboard (first run) or log in with the stored refresh token.

        Finishing onboarding makes the UI usable but also sets up Home Assistant's default
        integrations, which install packages in the background: a temporary instance skips it.
        """
        auth_file = self.config_dir / AUTH_FILE
        if auth_file.exists():
            refresh = json.loads(auth_file.read_text())["refresh_token"]
            tokens = await self._token(session, grant_type="refresh_token", refresh_token=refresh)
            self.token = tokens["access_token"]
            return
        async with session.post(
            f"{self.base}/api/onboarding/users",
            json={"client_id": CLIENT_ID, "name": "Demo", "username": USERNAME,
                  "password": PASSWORD, "language": "en"},
        ) as response:  # fmt: skip
            code = (await response.json())["auth_code"]
        tokens = await self._token(session, grant_type="authorization_code", code=code)
        self.token = tokens["access_token"]
        auth_file.write_text(json.dumps({"refresh_token": tokens["refresh_token"]}))
        if not finish_onboarding:
            return
        for step, body in (
            ("core_config", {}),
            ("analytics", {}),
            ("integration", {"client_id": CLIENT_ID, "redirect_uri": CLIENT_ID}),
        ):
            await self.call(session, "post", f"/api/onboarding/{step}", body)

    async def _token(self, session: aiohttp.ClientSession, **form: str) -> dict[str, Any]:
        async with session.post(
            f"{self.base}/auth/token", data={"client_id": CLIENT_ID, **form}
        ) as response:
            response.raise_for_status()
            result: dict[str, Any] = await response.json()
            return result

    async def call(
        self, session: aiohttp.ClientSession, method: str, path: str, body: Any = None
    ) -> Any:
        async with session.request(
            method,
            f"{self.base}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
        ) as response:
            if response.status >= 400:
                raise SystemExit(
                    f"{method.upper()} {path}: {response.status} {await response.text()}"
                )
            if response.content_type == "application/json":
                return await response.json()
            return await response.read()

    async def configure(
        self, session: aiohttp.ClientSession, api_key: str, endpoint: str | None
    ) -> None:
        """Create the entry through the integration's config flow (once per target)."""
        region = "custom" if endpoint else os.environ.get("DASHSCOPE_REGION", "international")
        target = endpoint or region
        state_file = self.config_dir / TARGET_FILE
        entries = [
            entry
            for entry in await self.call(session, "get", "/api/config/config_entries/entry")
            if entry["domain"] == "qwen_tts_realtime"
        ]
        if entries and state_file.exists() and state_file.read_text() == target:
            return
        for entry in entries:
            await self.call(
                session, "delete", f"/api/config/config_entries/entry/{entry['entry_id']}"
            )
        flow = await self.call(
            session, "post", "/api/config/config_entries/flow", {"handler": "qwen_tts_realtime"}
        )
        user: dict[str, Any] = {"api_key": api_key, "region": region}
        if endpoint:
            user["endpoint"] = endpoint
        for data in (
            user,
            {"name": "Qwen TTS", "model": "qwen3-tts-flash-realtime"},
            {"voice": "Cherry", "language": "en", "sample_rate": "24000",
             "speech_rate": 1.0, "volume": 50, "pitch_rate": 1.0},
        ):  # fmt: skip
            flow = await self.call(
                session, "post", f"/api/config/config_entries/flow/{flow['flow_id']}", data
            )
            if flow.get("errors"):
                raise SystemExit(f"config flow step {flow['step_id']}: {flow['errors']}")
        state_file.write_text(target)

    async def speak(
        self, session: aiohttp.ClientSession, message: str, options: dict[str, Any]
    ) -> bytes:
        """Return the WAV, or raise DemoError with the integration's message for a failure."""
        headers = {"Authorization": f"Bearer {self.token}"}
        body = {
            "engine_id": ENGINE,
            "message": message,
            "options": {"preferred_format": "wav", **options},
        }
        async with session.post(
            f"{self.base}/api/tts_get_url", json=body, headers=headers
        ) as response:
            reply = await response.json(content_type=None)
            if response.status != 200:
                raise DemoError(str(reply.get("error") or reply.get("message") or reply))
        log = self.config_dir / LOG_FILE
        start = log.stat().st_size if log.exists() else 0
        async with session.get(f"{self.base}{reply['path']}", headers=headers) as response:
            if response.status == 200:
                return await response.read()
        deadline = time.monotonic() + LOG_WAIT
        while (reason := logged_tts_error(log, start)) is None and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        raise DemoError(reason or f"Home Assistant answered {response.status}; see {log}")


async def stop(process: asyncio.subprocess.Process | None) -> None:
    """Stop a child and everything in its process group, gracefully first."""
    if process is None or process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        async with asyncio.timeout(STOP_TIMEOUT):
            await process.wait()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()


async def start_emulator(pids: Pids, any_port: bool) -> tuple[asyncio.subprocess.Process, str]:
    """Start the emulator; it accepts only the demo's key, so a wrong key shows invalid_auth."""
    port = _free_port() if any_port else int(os.environ.get("QWEN_TTS_EMULATOR_PORT", "8765"))
    process = await spawn(
        pids, sys.executable, "-m", "qwen_tts_emulator", "--host", "127.0.0.1", "--port", str(port),
        "--api-key", EMULATOR_KEY, cwd=REPO,
    )  # fmt: skip
    for _ in range(100):
        if process.returncode is not None:
            raise DemoError(f"the emulator exited with {process.returncode} (port {port} in use?)")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return process, f"ws://127.0.0.1:{port}/api-ws/v1/realtime"
        await asyncio.sleep(0.1)
    raise SystemExit(f"the emulator did not start on port {port}")


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
        if args.command == "speak" and not await _answers(session, port, config_dir):
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
            if args.command == "serve" and await _answers(session, port, None):
                raise DemoError(f"Another program already answers on port {port}; stop it first.")
            if not await _answers(session, port, config_dir):
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
                audio = _complete_wav(await ha.speak(session, args.text, options))
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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _complete_wav(audio: bytes) -> bytes:
    """Write the real sizes into a streamed WAV header (Home Assistant passes it on as streamed)."""
    if audio[:4] != b"RIFF" or audio[36:40] != b"data":
        return audio
    size = len(audio) - 44
    return b"".join(
        (audio[:4], struct.pack("<I", size + 36), audio[8:40], struct.pack("<I", size), audio[44:])
    )


async def _answers(session: aiohttp.ClientSession, port: int, config_dir: Path | None) -> bool:
    """Return whether Home Assistant answers on `port` (and is the demo of `config_dir`)."""
    with contextlib.suppress(aiohttp.ClientError):
        async with session.get(f"http://127.0.0.1:{port}/manifest.json") as response:
            return response.status == 200 and (
                config_dir is None or (config_dir / AUTH_FILE).exists()
            )
    return False


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
            asyncio.run(_until_signalled(run(args)))
        except DemoError as err:
            raise SystemExit(f"error: {err}") from None


async def _until_signalled(main: Coroutine[Any, Any, None]) -> None:
    """Run `main`, cancelling it (so it cleans up) on SIGTERM or SIGHUP as on Ctrl+C."""
    task = asyncio.ensure_future(main)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


if __name__ == "__main__":
    main()
