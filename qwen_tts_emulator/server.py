"""The emulated Qwen-TTS Realtime service: the handshake, the routes and the open connections."""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from typing import Final, Self
import uuid

from aiohttp import web

from custom_components.qwen_tts_realtime.realtime.endpoints import (
    UNDEPLOYED_CODE,
    gateway_workspace,
)

from .connection import Connection
from .scenario import Scenario
from .session_records import SessionRecord, default_config, new_id
from .voice_store import VoiceStore
from .voices import add_voice_routes

_LOGGER = logging.getLogger("qwen_tts_emulator")

PATH: Final = "/api-ws/v1/realtime"
_BEARER = re.compile(r"^bearer\s+(\S+)\s*$", re.IGNORECASE)
_REJECTIONS = {
    400: ("InvalidParameter", "Expected a WebSocket upgrade."),
    401: ("InvalidApiKey", "Invalid API-key provided."),
    403: ("AccessDenied", "Access denied."),
    429: ("Throttling.RateQuota", "Requests rate limit exceeded, please try again later."),
    500: ("InternalError", "An internal error has occured, please try again later."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable."),
}
_CLOSE_TIMEOUT: Final = 2.0  # how long a close handshake may take
_MAX_MESSAGE_BYTES: Final = 16 * 1024 * 1024  # the largest client frame read


def _parse_key(request: web.Request) -> str | None:
    match = _BEARER.match(request.headers.get("Authorization", ""))
    return match.group(1) if match else None


class Emulator:
    """A local Qwen-TTS Realtime server; `scenario` may be replaced between connections."""

    def __init__(self, scenario: Scenario | None = None) -> None:
        self.scenario = scenario if scenario is not None else Scenario()
        self.voices = VoiceStore()  # the account's designed and cloned voices
        self.sessions: list[SessionRecord] = []
        self.open_connections = 0
        self.connections_total = 0
        self.handshake_attempts = 0
        self.handshakes_rejected = 0
        self.host = "127.0.0.1"
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._tls = False
        self._connections: set[Connection] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def url(self) -> str:
        """Return the endpoint URL without query (clients add `?model=`)."""
        scheme = "wss" if self._tls else "ws"
        return f"{scheme}://{self.host}:{self.port}{PATH}"

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, *, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        """Listen on `host`:`port` (0 picks a free port, see `port`); over TLS with a context."""
        if self._runner is not None:
            raise RuntimeError("Emulator already started")
        app = web.Application()
        app.router.add_get(PATH, self._handle)
        add_voice_routes(app, self.voices, lambda: self.scenario)
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._tls = ssl_context is not None
        self.host = host
        self.port = runner.addresses[0][1]

    async def stop(self) -> None:
        """Close every open WebSocket (code 1001), then stop listening."""
        runner = self._runner
        if runner is None:
            return
        self._runner = None
        for site in list(runner.sites):
            await site.stop()
        self.close_connections()
        try:
            await self.wait_idle(_CLOSE_TIMEOUT + 1.0)
        except TimeoutError:
            _LOGGER.warning("%d connection(s) did not close in time", self.open_connections)
        await runner.cleanup()

    def close_connections(self, code: int = 1001) -> None:
        """Close every open WebSocket with `code`, as a service going away does; keep listening."""
        for connection in list(self._connections):
            connection.request_close(code)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def wait_idle(self, timeout: float = 2.0) -> None:  # noqa: ASYNC109
        """Wait until no WebSocket is open; raise TimeoutError after `timeout` seconds."""
        async with asyncio.timeout(timeout):
            await self._idle.wait()

    def _reject(self, status: int, code: str | None = None) -> web.Response:
        self.handshakes_rejected += 1
        if code == "":
            return web.Response(status=status)
        usual, message = _REJECTIONS.get(status, ("InternalError", "Request failed."))
        if code is not None and code != usual:
            message = f"Request refused: {code}."
        code = code or usual
        body = {"code": code, "message": message, "request_id": str(uuid.uuid4())}
        return web.json_response(body, status=status)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.handshake_attempts += 1
        scenario = self.scenario
        if scenario.handshake_delay > 0:
            await asyncio.sleep(scenario.handshake_delay)
        if scenario.handshake_status is not None:
            return self._reject(scenario.handshake_status, scenario.handshake_code)
        key = _parse_key(request)
        if key is None or (scenario.api_keys is not None and key not in scenario.api_keys):
            return self._reject(401)
        model = request.query.get("model", "")
        if model in scenario.undeployed_models and gateway_workspace(request.url.host or ""):
            return self._reject(403, UNDEPLOYED_CODE)
        # Pings are answered by the connection, which a `no_pong` fault can stop.
        ws = web.WebSocketResponse(
            timeout=_CLOSE_TIMEOUT, max_msg_size=_MAX_MESSAGE_BYTES, autoping=False
        )
        if not ws.can_prepare(request):
            return self._reject(400)
        await ws.prepare(request)
        loop = asyncio.get_running_loop()
        record = SessionRecord(
            index=len(self.sessions),
            model=model,
            headers=dict(request.headers),
            opened_at=loop.time(),
            session_id=new_id("sess"),
            config=default_config(model, scenario.models.get(model)),
        )
        self.sessions.append(record)
        self.open_connections += 1
        self.connections_total += 1
        self._idle.clear()
        connection = Connection(request, ws, record, scenario)
        self._connections.add(connection)
        try:
            await connection.run()
        finally:
            self._connections.discard(connection)
            self.open_connections -= 1
            if self.open_connections == 0:
                self._idle.set()
            _LOGGER.info(
                "session %d: model=%s voice=%s responses=%d characters=%d closed_by=%s",
                record.index,
                record.model,
                record.config.get("voice"),
                len(record.segments),
                record.usage_characters,
                "client" if record.closed_by_client else "server",
            )
        return ws
