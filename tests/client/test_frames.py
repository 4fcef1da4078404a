"""Frames outside the documented happy path: unknown events, failed responses, broken frames."""

from __future__ import annotations

import base64
from typing import Any

import aiohttp
import pytest

from custom_components.qwen_tts_realtime.realtime import (
    ConnectionClosedError,
    IncompleteAudioError,
    ProtocolError,
    RealtimeClient,
    ServiceError,
)
from custom_components.qwen_tts_realtime.realtime.connection import Connection
from custom_components.qwen_tts_realtime.realtime.errors import error_from_close, error_from_event
from custom_components.qwen_tts_realtime.realtime.timing import Timeouts
from qwen_tts_emulator import Emulator, Fault, Scenario, render_pcm

from .helpers import CONFIG, KEY, KEYS, MODEL, speak


def frames_before_audio(*frames: dict[str, Any] | str) -> Scenario:
    """A scenario that sends `frames` right after `session.updated`, before any audio."""
    return Scenario(api_keys=KEYS, faults=[Fault("frame", "after_update", frame=f) for f in frames])


async def test_unknown_event_types_are_ignored(client: RealtimeClient, emulator: Emulator) -> None:
    emulator.scenario = frames_before_audio(
        {"type": "response.text.delta", "delta": "hi"},
        {"type": "something.new", "payload": [1, 2]},
        {"no_type": True},
    )

    audio = await speak(client.synthesize(CONFIG, "Hello."))

    assert audio == render_pcm("Hello.")
    await emulator.wait_idle()


@pytest.mark.parametrize("status", ["incomplete", "cancelled", None])
async def test_response_that_did_not_complete_is_an_error(
    client: RealtimeClient, emulator: Emulator, status: str | None
) -> None:
    emulator.scenario = Scenario(
        api_keys=KEYS, faults=[Fault("incomplete", "mid_stream", status=str(status))]
    )
    if status is None:
        emulator.scenario = frames_before_audio({"type": "response.done", "response": "odd"})

    with pytest.raises(IncompleteAudioError):
        await speak(client.synthesize(CONFIG, "Hello."))
    await emulator.wait_idle()


@pytest.mark.parametrize("frame", ["[1, 2, 3]", '"text"'], ids=["json-array", "json-string"])
async def test_json_that_is_not_an_event_is_skipped(
    client: RealtimeClient, emulator: Emulator, frame: str
) -> None:
    emulator.scenario = frames_before_audio(frame)

    assert await speak(client.synthesize(CONFIG, "Hello.")) == render_pcm("Hello.")
    assert client.skipped_frames == 1


def delta(audio: bytes, response_id: str | None = "") -> dict[str, Any]:
    """An audio delta; `response_id` "" names the response the emulator's fault fires in."""
    event = {"type": "response.audio.delta", "delta": base64.b64encode(audio).decode()}
    return event if response_id is None else {**event, "response_id": response_id}


LAST_DELTA = 10**6  # a mid_stream fault with this many deltas fires after the last one


async def test_trailing_half_sample_is_dropped_at_the_end(
    client: RealtimeClient, emulator: Emulator
) -> None:
    odd = delta(b"\x01\x02\x03")
    emulator.scenario = Scenario(
        api_keys=KEYS, faults=[Fault("frame", "mid_stream", deltas=LAST_DELTA, frame=odd)]
    )

    audio = await speak(client.synthesize(CONFIG, "Hello."))

    assert audio == render_pcm("Hello.") + b"\x01\x02"


async def test_failed_response_with_details_is_a_service_error(
    client: RealtimeClient, emulator: Emulator
) -> None:
    emulator.scenario = frames_before_audio(
        {
            "type": "response.done",
            "response": {
                "status": "failed",
                "status_details": {"error": {"code": "DataInspectionFailed", "message": "No."}},
            },
        }
    )

    with pytest.raises(ServiceError) as err:
        await speak(client.synthesize(CONFIG, "Hello."))

    assert (err.value.code, err.value.message) == ("DataInspectionFailed", "No.")
    await emulator.wait_idle()


async def test_failed_response_without_details_is_a_service_error(
    client: RealtimeClient, emulator: Emulator
) -> None:
    emulator.scenario = frames_before_audio(
        {"type": "response.done", "response": {"status": "failed"}}
    )

    with pytest.raises(ServiceError) as err:
        await speak(client.synthesize(CONFIG, "Hello."))

    assert err.value.code == "response_failed"


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "response.audio.delta"},
        {"type": "response.audio.delta", "delta": 42},
        {"type": "response.audio.delta", "delta": "not base64!"},
    ],
    ids=["delta-without-data", "delta-number", "delta-not-base64"],
)
async def test_broken_audio_delta_is_a_protocol_error(
    client: RealtimeClient, emulator: Emulator, frame: dict[str, Any] | str
) -> None:
    emulator.scenario = frames_before_audio(frame)

    with pytest.raises(ProtocolError):
        await speak(client.synthesize(CONFIG, "Hello."))
    await emulator.wait_idle()


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


NESTED = "[" * 200_000 + "]" * 200_000  # 400 kB of nesting, far deeper than any parser recurses


async def test_deeply_nested_json_is_an_undecodable_frame_and_skipped(
    client: RealtimeClient, emulator: Emulator
) -> None:
    emulator.scenario = frames_before_audio(NESTED)

    audio = await speak(client.synthesize(CONFIG, "Hello."))

    assert audio == render_pcm("Hello.")
    assert client.skipped_frames == 1


# --- every delta belongs to a response that was created and then completed -----------------


@pytest.mark.parametrize(
    "fault",
    [
        Fault("frame", "after_update", frame=delta(b"STRAY!", None)),
        Fault("frame", "after_update", frame=delta(b"STRAY!", "resp_never_created")),
        Fault("frame", "mid_stream", deltas=2, frame=delta(b"STRAY!", "resp_never_created")),
        Fault("frame", "after_response_done", frame=delta(b"STRAY!")),
    ],
    ids=["before-any-response", "unknown-response", "beside-another-response", "after-its-done"],
)
async def test_audio_outside_its_response_is_a_protocol_error(
    client: RealtimeClient, emulator: Emulator, fault: Fault
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, faults=[fault])

    with pytest.raises(ProtocolError):
        await speak(client.synthesize(CONFIG, "Hello."))
    await emulator.wait_idle()


async def test_completion_of_a_response_never_created_is_a_protocol_error(
    client: RealtimeClient, emulator: Emulator
) -> None:
    done = {"type": "response.done", "response": {"id": "resp_unknown", "status": "completed"}}
    emulator.scenario = frames_before_audio(done)

    with pytest.raises(ProtocolError):
        await speak(client.synthesize(CONFIG, "Hello."))
    await emulator.wait_idle()


async def test_events_with_unhashable_values_are_judged_not_a_crash(
    client: RealtimeClient, emulator: Emulator
) -> None:
    # Found by the fuzzer: a list as an event's type ended the reader with a TypeError.
    emulator.scenario = frames_before_audio(
        {"type": ["session.finished"]},
        {"type": {"nested": True}},
        {"type": "response.output_item.added", "response_id": []},
    )

    audio = await speak(client.synthesize(CONFIG, "Hello."))

    assert audio == render_pcm("Hello.")


async def test_audio_naming_its_response_with_a_list_is_a_protocol_error(
    client: RealtimeClient, emulator: Emulator
) -> None:
    stray = {**delta(b"STRAY!", None), "response_id": ["resp_0"]}
    emulator.scenario = Scenario(api_keys=KEYS, faults=[Fault("frame", "mid_stream", frame=stray)])

    with pytest.raises(ProtocolError, match="not under way"):
        await speak(client.synthesize(CONFIG, "Hello."))
    await emulator.wait_idle()
