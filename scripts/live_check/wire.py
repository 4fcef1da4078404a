"""The raw protocol, for what the integration's client deliberately hides.

Event order, error codes, `usage`, the first bytes of each response and idle closes are not part of
the client's API, so the probes speak the protocol themselves here.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Collection
import contextlib
from dataclasses import dataclass, field
import json
from typing import Any, Final
import uuid

import aiohttp
from yarl import URL

from custom_components.qwen_tts_realtime.realtime.endpoints import request_headers

# Seconds the service may take for any one answer (a handshake, an event) before a probe gives up.
ANSWER_TIMEOUT: Final = 15.0
MESSAGE_CHARS: Final = 160  # an error message is kept up to this length
REDACTED: Final = "[API key]"  # where the service's words held the key


def redact[T](value: T, secret: str) -> T:
    """Return `value` (text, or JSON made of it) with every occurrence of `secret` replaced.

    What the service says is redacted as it arrives, before anything cuts it short: a message
    cut in the middle of an echoed key would keep the part of it no later replace finds.
    """
    if not secret:
        return value
    if isinstance(value, str):
        return value.replace(secret, REDACTED)  # type: ignore[return-value]
    if isinstance(value, list):
        return [redact(item, secret) for item in value]  # type: ignore[return-value]
    if isinstance(value, dict):
        return {redact(k, secret): redact(v, secret) for k, v in value.items()}  # type: ignore[return-value]
    return value


class HandshakeRefused(Exception):
    """The WebSocket upgrade was refused (HTTP status) or did not complete."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(slots=True)
class Wire:
    """One open socket: send client events, read server events, remember what came."""

    ws: aiohttp.ClientWebSocketResponse
    secret: str = field(default="", repr=False)  # redacted from every event read
    seen: list[str] = field(default_factory=list)
    close_code: int | None = None

    async def send(self, event_type: str, **fields: Any) -> None:
        """Send one client event with a fresh `event_id`."""
        event = {"event_id": f"event_{uuid.uuid4().hex}", "type": event_type, **fields}
        await self.ws.send_str(json.dumps(event, ensure_ascii=False))

    async def next_event(self, timeout: float = ANSWER_TIMEOUT) -> dict[str, Any] | None:  # noqa: ASYNC109
        """Return the next event, None once the socket is closed; TimeoutError after `timeout`."""
        msg = await self.ws.receive(timeout=timeout)
        if msg.type is not aiohttp.WSMsgType.TEXT:
            self.close_code = self.ws.close_code
            self.seen.append(f"closed {self.close_code}")
            return None
        event = redact(json.loads(msg.data), self.secret)
        if not isinstance(event, dict):
            raise TypeError("a server event is not a JSON object")
        self.seen.append(str(event.get("type")))
        return event

    async def until(self, types: Collection[str]) -> dict[str, Any] | None:
        """Return the first event of `types` or an `error` event; None once the socket is closed."""
        while (event := await self.next_event()) is not None:
            if event.get("type") in (*types, "error"):
                return event
        return None


async def connect(
    http: aiohttp.ClientSession, endpoint: str, api_key: str, model: str
) -> tuple[Wire, float]:
    """Open a socket for `model`; return it and the seconds the handshake took."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        async with asyncio.timeout(ANSWER_TIMEOUT):
            ws = await http.ws_connect(
                URL(endpoint).with_query(model=model),
                headers=request_headers(api_key, endpoint),
                autoping=True,
                max_msg_size=0,
            )
    except aiohttp.WSServerHandshakeError as err:
        raise HandshakeRefused(f"HTTP {err.status}") from None
    except (aiohttp.ClientError, OSError, TimeoutError) as err:
        raise HandshakeRefused(type(err).__name__) from None
    return Wire(ws, secret=api_key), loop.time() - started


@contextlib.asynccontextmanager
async def opened(
    http: aiohttp.ClientSession, endpoint: str, api_key: str, model: str
) -> AsyncIterator[Wire]:
    """Open a socket for the length of a block; it is closed however the block ends."""
    wire, _ = await connect(http, endpoint, api_key, model)
    try:
        yield wire
    finally:
        await wire.ws.close()


def error_code(event: dict[str, Any] | None, wire: Wire) -> str:
    """Name a refusal: the `error` event's code, or how the socket ended."""
    if event is None:
        return f"closed {wire.close_code}" if wire.close_code is not None else "closed"
    error = event.get("error")
    if isinstance(error, dict):
        return str(error.get("code"))
    return str(event.get("type"))


def error_message(event: dict[str, Any] | None) -> str | None:
    """Return the message of an `error` event, if it is one, cut short (it may echo the value)."""
    error = (event or {}).get("error")
    if not isinstance(error, dict):
        return None
    message = str(error.get("message"))
    return message if len(message) <= MESSAGE_CHARS else f"{message[:MESSAGE_CHARS]}…"


def delta_bytes(event: dict[str, Any]) -> bytes:
    """Decode the audio of a `response.audio.delta`."""
    return base64.b64decode(str(event.get("delta", "")))
