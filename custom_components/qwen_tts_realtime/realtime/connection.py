"""One realtime WebSocket: handshake, sending client events, reading server events."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
import json
import logging
from typing import Any, Final
import uuid

import aiohttp

from .errors import (
    ConnectError,
    ConnectionClosedError,
    ProtocolError,
    RealtimeError,
    ResponseTimeoutError,
    error_from_event,
    error_from_handshake,
)

_LOGGER = logging.getLogger(__name__)
_CLOSE_TIMEOUT: Final = 1.0


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds to wait; `first_audio` and `audio` count only once the input is complete."""

    connect: float = 10.0
    first_audio: float = 15.0
    audio: float = 10.0


class Connection:
    """An open realtime socket. Not reusable: one session, then closed."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, timeouts: Timeouts) -> None:
        self._ws = ws
        self._timeouts = timeouts
        self._loop = asyncio.get_running_loop()
        self._input_done_at: float | None = None
        self._failure: BaseException | None = None
        self.session_accepted = False

    @classmethod
    async def open(
        cls,
        session: aiohttp.ClientSession,
        url: str,
        headers: Mapping[str, str],
        timeouts: Timeouts,
    ) -> Connection:
        """Perform the WebSocket handshake, mapping every failure onto a typed error."""
        try:
            async with asyncio.timeout(timeouts.connect):
                ws = await session.ws_connect(
                    url,
                    headers=headers,
                    autoping=True,
                    heartbeat=None,
                    max_msg_size=0,
                    timeout=aiohttp.ClientWSTimeout(ws_close=_CLOSE_TIMEOUT),
                )
        except aiohttp.WSServerHandshakeError as err:
            raise error_from_handshake(err.status, err.message) from None
        except TimeoutError:
            raise ResponseTimeoutError("connect", timeouts.connect) from None
        except (aiohttp.ClientError, OSError) as err:
            raise ConnectError(f"cannot connect: {type(err).__name__}: {err}") from None
        return cls(ws, timeouts)

    @property
    def closed(self) -> bool:
        """Return True once the socket is closed."""
        return self._ws.closed

    async def send(self, event_type: str, **fields: Any) -> None:
        """Send one client event with a fresh `event_id`."""
        event = {"event_id": f"event_{uuid.uuid4().hex}", "type": event_type, **fields}
        try:
            await self._ws.send_str(json.dumps(event, ensure_ascii=False))
        except (aiohttp.ClientError, ConnectionError, RuntimeError) as err:
            raise ConnectionClosedError(
                f"socket closed while sending: {err}", session_accepted=self.session_accepted
            ) from None

    def mark_input_done(self) -> None:
        """Start the audio timeouts: from now on the service owes us audio."""
        self._input_done_at = self._loop.time()

    async def fail(self, error: BaseException) -> None:
        """Abort the session from another task; the reader raises `error`."""
        self._failure = error
        await self.close()

    async def close(self) -> None:
        """Close the socket; safe to call more than once and from `finally` blocks."""
        if not self._ws.closed:
            await self._ws.close()

    async def audio(self) -> AsyncIterator[bytes]:
        """Yield PCM as it arrives, until `session.finished`.

        Chunks always hold whole 16-bit samples: a byte that splits a sample waits for the next
        delta.
        """
        carry = b""
        got_audio = False
        last_frame_at = self._loop.time()
        while True:
            msg = await self._receive(last_frame_at, got_audio)
            last_frame_at = self._loop.time()
            event = _parse(msg)
            event_type = event.get("type")
            if event_type == "response.audio.delta":
                pcm = carry + _decode_delta(event)
                cut = len(pcm) - (len(pcm) % 2)
                carry = pcm[cut:]
                if cut:
                    got_audio = True
                    yield pcm[:cut]
            elif event_type == "session.updated":
                self.session_accepted = True
            elif event_type == "session.finished":
                return
            elif event_type == "error":
                raise error_from_event(event)
            elif event_type == "response.done":
                _check_response(event)

    async def _receive(self, last_frame_at: float, got_audio: bool) -> aiohttp.WSMessage:
        limit = self._timeouts.audio if got_audio else self._timeouts.first_audio
        while True:
            timeout: float | None = None
            if self._input_done_at is not None:
                timeout = max(last_frame_at, self._input_done_at) + limit - self._loop.time()
                if timeout <= 0:
                    raise ResponseTimeoutError("audio" if got_audio else "first_audio", limit)
            else:
                # The service owes nothing until the input is complete; wake up now and then to
                # notice when it is.
                timeout = limit
            try:
                msg = await self._ws.receive(timeout=timeout)
            except TimeoutError:
                continue
            if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                return msg
            if self._failure is not None:
                raise self._failure
            if msg.type == aiohttp.WSMsgType.ERROR:
                raise ConnectionClosedError(
                    f"socket error: {msg.data}", session_accepted=self.session_accepted
                )
            raise ConnectionClosedError(
                "the service closed the connection before session.finished",
                session_accepted=self.session_accepted,
            )


def _parse(msg: aiohttp.WSMessage) -> dict[str, Any]:
    if msg.type != aiohttp.WSMsgType.TEXT:
        raise ProtocolError("unexpected binary frame")
    try:
        event = json.loads(msg.data)
    except ValueError:
        raise ProtocolError("frame is not JSON") from None
    if not isinstance(event, dict):
        raise ProtocolError("frame is not a JSON object")
    return event


def _decode_delta(event: Mapping[str, Any]) -> bytes:
    delta = event.get("delta")
    if not isinstance(delta, str):
        raise ProtocolError("audio delta without data")
    try:
        return base64.b64decode(delta, validate=True)
    except binascii.Error, ValueError:
        raise ProtocolError("audio delta is not base64") from None


def _check_response(event: Mapping[str, Any]) -> None:
    response = event.get("response")
    status = response.get("status") if isinstance(response, Mapping) else None
    if status == "failed":
        details = response.get("status_details") if isinstance(response, Mapping) else None
        error = details.get("error") if isinstance(details, Mapping) else None
        if isinstance(error, Mapping):
            raise error_from_event({"error": error})
        raise RealtimeError("the service reported a failed response")
