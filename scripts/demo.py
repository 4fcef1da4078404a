"""Home Assistant with the integration, configured through its real onboarding and config flow.

`serve` runs Home Assistant (and the emulator unless DASHSCOPE_API_KEY is set) until interrupted;
`speak` asks a running instance, or a temporary one, for speech through Home Assistant's own
TTS path (`/api/tts_get_url`) and writes the WAV.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import struct
import sys
import tempfile
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parent.parent
CLIENT_ID = "http://127.0.0.1:8123/"
USERNAME = "demo"
PASSWORD = "demo-password"
EMULATOR_KEY = "sk-emulator-demo"
ENGINE = "tts.qwen_tts"
AUTH_FILE = ".qwen-tts-demo-auth.json"
TARGET_FILE = ".qwen-tts-demo-target"


class HomeAssistant:
    """A Home Assistant instance reached over its HTTP API."""

    def __init__(self, config_dir: Path, port: int) -> None:
        self.config_dir = config_dir
        self.base = f"http://127.0.0.1:{port}"
        self.port = port
        self.process: asyncio.subprocess.Process | None = None
        self.token = ""

    async def start(self, session: aiohttp.ClientSession) -> None:
        (self.config_dir / "custom_components").mkdir(parents=True, exist_ok=True)
        link = self.config_dir / "custom_components" / "qwen_tts_realtime"
        if not link.exists():
            link.symlink_to(REPO / "custom_components" / "qwen_tts_realtime")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "homeassistant", "--config", str(self.config_dir),
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
        if self.process and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await self.process.wait()

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
        url = await self.call(
            session,
            "post",
            "/api/tts_get_url",
            {
                "engine_id": ENGINE,
                "message": message,
                "options": {"preferred_format": "wav", **options},
            },
        )
        audio: bytes = await self.call(session, "get", url["path"])
        return audio


async def start_emulator(any_port: bool) -> tuple[asyncio.subprocess.Process, str]:
    port = _free_port() if any_port else int(os.environ.get("QWEN_TTS_EMULATOR_PORT", "8765"))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "qwen_tts_emulator", "--host", "127.0.0.1", "--port", str(port),
        cwd=REPO,
    )  # fmt: skip
    for _ in range(100):
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
    async with aiohttp.ClientSession() as session:
        if args.command == "speak" and not await _answers(session, port, config_dir):
            # No demo instance is running: use a temporary one without the web UI.
            temporary = Path(tempfile.mkdtemp(prefix="qwen-tts-speak-"))
            config_dir, port = temporary, 8124
            template = (REPO / "config" / "configuration.yaml").read_text()
            (temporary / "configuration.yaml").write_text(
                template.replace("8123", str(port)).replace("frontend:\n", "")
                + f"\nhttp:\n  server_port: {port}\n"
            )
        ha = HomeAssistant(config_dir, port)
        started = False
        try:
            if not await _answers(session, port, config_dir):
                if not api_key:
                    emulator, endpoint = await start_emulator(temporary is not None)
                print(f"Starting Home Assistant on {ha.base} (config: {config_dir}) …", flush=True)
                await ha.start(session)
                started = True
            elif not api_key:
                endpoint = (config_dir / TARGET_FILE).read_text()
            await ha.login(session, finish_onboarding=temporary is None)
            await ha.configure(session, api_key or EMULATOR_KEY, endpoint)
            if args.command == "speak":
                audio = _complete_wav(await ha.speak(session, args.text, json.loads(args.options)))
                Path(args.output).write_bytes(audio)
                print(f"wrote {len(audio)} bytes of WAV to {args.output}")
                return
            _print_welcome(ha, endpoint)
            assert ha.process is not None
            await ha.process.wait()
        finally:
            if started:
                await ha.stop()
            if emulator and emulator.returncode is None:
                emulator.terminate()
                await emulator.wait()
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


async def _answers(session: aiohttp.ClientSession, port: int, config_dir: Path) -> bool:
    with contextlib.suppress(aiohttp.ClientError):
        async with session.get(f"http://127.0.0.1:{port}/manifest.json") as response:
            return response.status == 200 and (config_dir / AUTH_FILE).exists()
    return False


def _print_welcome(ha: HomeAssistant, endpoint: str | None) -> None:
    target = (
        f"the local emulator at {endpoint}" if endpoint else "the real Qwen TTS Realtime service"
    )
    print(
        f"""
Home Assistant is running at {ha.base}  (login: {USERNAME} / {PASSWORD})
The engine {ENGINE} speaks through {target}.

  Speak to a file, through Home Assistant's TTS path:
    scripts/speak "Hello from Home Assistant" -o hello.wav
  Or in Developer tools → Actions:
    action: tts.speak
    target: {{entity_id: {ENGINE}}}
    data: {{media_player_entity_id: media_player.YOUR_PLAYER, message: "Hello"}}
  Use the real service instead (Beijing keys also need DASHSCOPE_REGION=mainland_china):
    DASHSCOPE_API_KEY=sk-… scripts/develop
  Stop with Ctrl+C.
""",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve")
    speak = sub.add_parser("speak")
    speak.add_argument("text")
    speak.add_argument("-o", "--output", default="speech.wav")
    speak.add_argument(
        "--options", default="{}", help='per-call options as JSON, e.g. {"voice": "Ethan"}'
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
