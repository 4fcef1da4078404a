"""The demo's Home Assistant, driven over its HTTP and websocket APIs as a user would: onboarding,
the integration's config flow over REST, speech through Home Assistant's own TTS path, and the
repairs a browser would show.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import AsyncGenerator, AsyncIterator
import contextlib
import json
import os
from pathlib import Path
import struct
import sys
import time
from typing import Any, Final

import aiohttp

from .lifecycle import REPO, DemoError, Pids, spawn, stop

CLIENT_ID: Final = "http://127.0.0.1:8123/"
USERNAME: Final = "demo"
PASSWORD: Final = "demo-password"
ENGINE: Final = "tts.qwen_tts"
LANGUAGE: Final = "en"  # of the demo's voice profile
AUTH_FILE: Final = ".qwen-tts-demo-auth.json"
TARGET_FILE: Final = ".qwen-tts-demo-target"
LOG_FILE: Final = "home-assistant.log"
LOG_WAIT: Final = 5.0  # seconds to wait for Home Assistant to log why a synthesis failed
TTS_ERROR_PREFIX: Final = "Error streaming tts: "  # how Home Assistant logs a failed synthesis
# The demo's streaming conversation agent (scripts/demo/writer), installed beside the integration.
WRITER_DOMAIN: Final = "qwen_tts_demo_writer"
WRITER_DIR: Final = Path(__file__).resolve().parent / "writer"
# Home Assistant flags every installation in a Python virtual environment ("Core") as unsupported
# since 2025.12 (homeassistant/components/homeassistant: _async_check_deprecation). The demo is
# one, knowingly: that repair is ignored for it, as a user would.
CORE_INSTALL_ISSUE: Final = ("homeassistant", "deprecated_method")


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


def write_onboarding_state(config_dir: Path) -> None:
    """Mark onboarding's core-config step done before the first start: configuration.yaml has it.

    That step (the "location, units" page of a browser's onboarding) would also set up Google
    Translate, Met, Radio Browser and Shopping List: internet services that the demo has no use
    for, that fail offline, and whose entries greet the user with a setup failure and an engine
    listed before this one. The other steps run over the API as a browser would run them.
    """
    path = config_dir / ".storage" / "onboarding"
    if path.exists():
        return
    done = {"done": ["core_config"]}
    store = {"version": 4, "minor_version": 1, "key": "onboarding", "data": done}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(store, indent=2))


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
        custom_components = self.config_dir / "custom_components"
        custom_components.mkdir(parents=True, exist_ok=True)
        for name, target in (
            ("qwen_tts_realtime", REPO / "custom_components" / "qwen_tts_realtime"),
            (WRITER_DOMAIN, WRITER_DIR),
        ):
            if not (custom_components / name).exists():
                (custom_components / name).symlink_to(target)
        write_onboarding_state(self.config_dir)
        # A temporary folder of its own: every Home Assistant that sets up file_upload (a test
        # run in the same build root, say) empties the shared /tmp/home-assistant-file_upload,
        # and a recording uploaded to this demo then fails with a 500.
        temporary = self.config_dir / ".tmp"
        temporary.mkdir(exist_ok=True)
        # Started in the config folder: `python -m` puts the working directory on sys.path, and the
        # repository's own custom_components would hide the config folder's (with the writer).
        self.process = await spawn(
            self.pids, sys.executable, "-m", "homeassistant", "--config", str(self.config_dir),
            "--skip-pip-packages", "home-assistant-frontend",
            env={**os.environ, "TMPDIR": str(temporary)}, cwd=self.config_dir,
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

        Finishing onboarding makes the UI usable; a temporary instance, which has no UI, leaves it
        at the user step. Its core-config step is already done (`write_onboarding_state`).
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
        """Create the entry through the integration's config flow (once per target).

        Entries that onboarding's core-config step made in a demo started before
        `write_onboarding_state` existed are removed (see there).
        """
        region = "custom" if endpoint else os.environ.get("DASHSCOPE_REGION", "international")
        workspace = "" if endpoint else os.environ.get("DASHSCOPE_WORKSPACE", "")
        target = endpoint or f"{region} {workspace}".strip()
        state_file = self.config_dir / TARGET_FILE
        all_entries = await self.call(session, "get", "/api/config/config_entries/entry")
        for entry in all_entries:
            if entry["source"] == "onboarding":
                await self.call(
                    session, "delete", f"/api/config/config_entries/entry/{entry['entry_id']}"
                )
        entries = [entry for entry in all_entries if entry["domain"] == "qwen_tts_realtime"]
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
        if workspace:
            user["workspace"] = workspace
        for data in (
            user,
            {"name": "Qwen TTS", "model": "qwen3-tts-flash-realtime"},
            {"voice": "Cherry", "language": LANGUAGE, "sample_rate": "24000",
             "speech_rate": 1.0, "volume": 50, "pitch_rate": 1.0},
        ):  # fmt: skip
            flow = await self.call(
                session, "post", f"/api/config/config_entries/flow/{flow['flow_id']}", data
            )
            if flow.get("step_id") == "region" and not flow.get("errors"):
                # The key works in several regions: take the preselected, nearest one.
                flow = await self.call(
                    session, "post", f"/api/config/config_entries/flow/{flow['flow_id']}", {}
                )
            if flow.get("errors"):
                raise SystemExit(f"config flow step {flow['step_id']}: {flow['errors']}")
        state_file.write_text(target)

    @contextlib.asynccontextmanager
    async def websocket(self, session: aiohttp.ClientSession) -> AsyncIterator[Socket]:
        """Open Home Assistant's websocket API, authenticated as the demo user."""
        async with session.ws_connect(f"{self.base}/api/websocket") as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": self.token})
            if (reply := await ws.receive_json())["type"] != "auth_ok":
                raise DemoError(f"Home Assistant refused the websocket login: {reply}")
            yield Socket(ws)

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


class SocketClosedError(DemoError):
    """Home Assistant closed its websocket (it stops) before answering a command."""


class Socket:
    """Home Assistant's websocket API after login: numbered commands, their results and events.

    One reader: messages for another command than the one awaited are kept for it, so a
    subscription's events that arrive while a command waits for its result are not lost.
    """

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._next_id = 1000  # above the ids a test's client may have used on the same socket
        self._held: defaultdict[int, deque[dict[str, Any]]] = defaultdict(deque)

    async def command(self, kind: str, **fields: Any) -> Any:
        """Send a command and return its result; raise DemoError with Home Assistant's message."""
        self._next_id += 1
        number = self._next_id
        await self._ws.send_json({"id": number, "type": kind, **fields})
        reply = await self._next(number)
        if reply is None:
            raise SocketClosedError(f"Home Assistant closed the websocket before answering {kind}")
        if not reply.get("success"):
            error = reply.get("error") or {}
            raise DemoError(f"{kind}: {error.get('message') or error or reply}")
        return reply.get("result")

    async def subscribe(self, kind: str, **fields: Any) -> int:
        """Send a subscribing command; return its number, for `events`."""
        await self.command(kind, **fields)
        return self._next_id

    async def events(self, number: int) -> AsyncGenerator[dict[str, Any]]:
        """Yield the events of subscription `number` until the socket closes."""
        while (message := await self._next(number)) is not None:
            yield message["event"]

    async def _next(self, number: int) -> dict[str, Any] | None:
        """Return the next message for command `number`, or None once the socket is closed."""
        if self._held[number]:
            return self._held[number].popleft()
        while True:
            message = await self._ws.receive()
            if message.type is not aiohttp.WSMsgType.TEXT:
                return None  # closed (Home Assistant stops), or an error
            data: dict[str, Any] = json.loads(message.data)
            if data.get("id") == number:
                return data
            self._held[data.get("id", 0)].append(data)


async def ignore_core_install_repair(socket: Socket) -> None:
    """Ignore the repair that calls this installation method unsupported, now and when it comes.

    Home Assistant raises it shortly after it has started, so the demo listens for it rather than
    guessing when; an ignored issue stays ignored across restarts (Settings → Repairs → ⋮ → Show
    ignored lists it). Returns when Home Assistant closes the socket.
    """
    try:
        updates = await socket.subscribe(
            "subscribe_events", event_type="repairs_issue_registry_updated"
        )
        await _ignore_if_shown(socket)
        async for event in socket.events(updates):
            if (event["data"]["domain"], event["data"]["issue_id"]) == CORE_INSTALL_ISSUE:
                await _ignore_if_shown(socket)
    except SocketClosedError:
        return


async def _ignore_if_shown(socket: Socket) -> None:
    domain, issue_id = CORE_INSTALL_ISSUE
    issues = (await socket.command("repairs/list_issues"))["issues"]
    if any((i["domain"], i["issue_id"], i["ignored"]) == (domain, issue_id, False) for i in issues):
        await socket.command("repairs/ignore_issue", domain=domain, issue_id=issue_id, ignore=True)


def complete_wav(audio: bytes) -> bytes:
    """Write the real sizes into a streamed WAV header (Home Assistant passes it on as streamed)."""
    if audio[:4] != b"RIFF" or audio[36:40] != b"data":
        return audio
    size = len(audio) - 44
    return b"".join(
        (audio[:4], struct.pack("<I", size + 36), audio[8:40], struct.pack("<I", size), audio[44:])
    )


async def answers(session: aiohttp.ClientSession, port: int, config_dir: Path | None) -> bool:
    """Return whether Home Assistant answers on `port` (and is the demo of `config_dir`)."""
    with contextlib.suppress(aiohttp.ClientError):
        async with session.get(f"http://127.0.0.1:{port}/manifest.json") as response:
            return response.status == 200 and (
                config_dir is None or (config_dir / AUTH_FILE).exists()
            )
    return False
