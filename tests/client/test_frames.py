"""Frames the emulator cannot send yet, read by a Connection over a scripted socket.

The emulator has no way to inject an arbitrary event (an unknown type, a failed response, a
broken delta); until it has, these few cases feed `Connection.audio()` scripted frames. Everything
else is tested against the emulator.
"""

from __future__ import annotations

import base64
from collections import deque
import json
from typing import Any

import aiohttp
import pytest

from custom_components.qwen_tts_realtime.realtime import (
    ConnectionClosedError,
    ProtocolError,
    ServiceError,
    Timeouts,
)
from custom_components.qwen_tts_realtime.realtime.connection import Connection
from custom_components.qwen_tts_realtime.realtime.errors import error_from_close, error_from_event
from qwen_tts_emulator import Emulator, Scenario

from .common import KEY, KEYS, MODEL


class ScriptedSocket:
    """Just enough of aiohttp's ClientWebSocketResponse: replays frames, then reports a close."""

    def __init__(self, *events: Any) -> None:
        self.frames: deque[aiohttp.WSMessage] = deque(
            aiohttp.WSMessage(
                aiohttp.WSMsgType.TEXT, e if isinstance(e, str) else json.dumps(e), None
            )
            for e in events
        )
        self.closed = False

    async def receive(self, timeout: float | None = None) -> aiohttp.WSMessage:  # noqa: ASYNC109
        if self.frames:
            return self.frames.popleft()
        return aiohttp.WSMessage(aiohttp.WSMsgType.CLOSED, None, None)

    async def close(self) -> bool:
        self.closed = True
        return True


def delta(data: bytes) -> dict[str, Any]:
    return {"type": "response.audio.delta", "delta": base64.b64encode(data).decode()}


FINISHED = {"type": "session.finished"}


async def read(*events: Any) -> list[bytes]:
    conn = Connection(ScriptedSocket(*events), Timeouts())  # type: ignore[arg-type]
    return [chunk async for chunk in conn.audio()]


async def test_unknown_event_types_are_ignored() -> None:
    audio = await read(
        {"type": "response.text.delta", "delta": "hi"},
        {"type": "something.new", "payload": [1, 2]},
        {"no_type": True},
        delta(b"\x01\x02"),
        FINISHED,
    )

    assert audio == [b"\x01\x02"]


async def test_trailing_half_sample_is_dropped_at_the_end() -> None:
    assert await read(delta(b"\x01\x02\x03"), FINISHED) == [b"\x01\x02"]


async def test_completed_and_incomplete_responses_are_not_errors() -> None:
    audio = await read(
        {"type": "response.done", "response": {"status": "completed"}},
        {"type": "response.done", "response": {"status": "incomplete"}},
        {"type": "response.done", "response": "odd"},
        delta(b"\x01\x02"),
        FINISHED,
    )

    assert audio == [b"\x01\x02"]


async def test_failed_response_with_details_is_a_service_error() -> None:
    failed = {
        "type": "response.done",
        "response": {
            "status": "failed",
            "status_details": {"error": {"code": "DataInspectionFailed", "message": "No."}},
        },
    }

    with pytest.raises(ServiceError) as err:
        await read(failed)

    assert (err.value.code, err.value.message) == ("DataInspectionFailed", "No.")


async def test_failed_response_without_details_is_a_service_error() -> None:
    with pytest.raises(ServiceError) as err:
        await read({"type": "response.done", "response": {"status": "failed"}})

    assert err.value.code == "response_failed"


@pytest.mark.parametrize(
    "frame",
    [
        "[1, 2, 3]",
        '"text"',
        {"type": "response.audio.delta"},
        {"type": "response.audio.delta", "delta": 42},
        {"type": "response.audio.delta", "delta": "not base64!"},
    ],
)
async def test_malformed_event_is_a_protocol_error(frame: Any) -> None:
    with pytest.raises(ProtocolError):
        await read(frame)


def test_error_event_without_details_is_a_service_error() -> None:
    error = error_from_event({"type": "error", "error": "broken"})

    assert isinstance(error, ServiceError)
    assert error.code == "unknown_error"


def test_error_event_type_stands_in_for_a_missing_code() -> None:
    error = error_from_event({"type": "error", "error": {"type": "server_error", "message": "x"}})

    assert isinstance(error, ServiceError)
    assert error.code == "server_error"


def test_socket_error_is_a_connection_error() -> None:
    msg = aiohttp.WSMessage(aiohttp.WSMsgType.ERROR, ValueError("bad frame"), None)

    error = error_from_close(msg, session_accepted=True)

    assert isinstance(error, ConnectionClosedError)
    assert "bad frame" in str(error)


async def test_sending_on_a_closed_socket_is_a_connection_error(emulator: Emulator) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    async with aiohttp.ClientSession() as http:
        conn = await Connection.open(
            http, f"{emulator.url}?model={MODEL}", {"Authorization": f"Bearer {KEY}"}, Timeouts()
        )
        await conn.close()

        with pytest.raises(ConnectionClosedError):
            await conn.send("session.update", session={})
    await emulator.wait_idle()

    assert emulator.sessions[0].received == []
