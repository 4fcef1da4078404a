"""A consumer that stops, or a task that is cancelled, closes the socket at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib

import pytest

from custom_components.qwen_tts_realtime.realtime import RealtimeClient
from custom_components.qwen_tts_realtime.realtime.connection import Connection
from qwen_tts_emulator import Emulator, Scenario

from ..helpers import eventually
from .helpers import CONFIG, KEYS, TWO_SENTENCES, chunks

# Paced in real time, so the session is far from over when the consumer stops.
PACED = Scenario(api_keys=KEYS, realtime_factor=1.0, delta_bytes=960)


@pytest.fixture
def closed_sockets(monkeypatch: pytest.MonkeyPatch) -> list[Connection]:
    """Record every Connection whose close() has completed."""
    closed: list[Connection] = []
    original = Connection.close

    async def close(self: Connection) -> None:
        await original(self)
        closed.append(self)

    monkeypatch.setattr(Connection, "close", close)
    return closed


async def test_consumer_that_stops_early_closes_the_socket(
    emulator: Emulator, client: RealtimeClient, closed_sockets: list[Connection]
) -> None:
    emulator.scenario = PACED

    audio = client.synthesize(CONFIG, TWO_SENTENCES)
    first = await anext(audio)
    await audio.aclose()
    assert len(closed_sockets) == 1  # closed within aclose(), not later by garbage collection
    assert closed_sockets[0].closed
    await emulator.wait_idle()

    record = emulator.sessions[0]
    assert first
    assert record.closed_by_client is True
    assert "session.finished" not in record.sent  # closed long before the paced audio ended
    assert emulator.open_connections == 0


async def test_consumer_that_stops_early_on_a_stream_closes_the_socket(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = PACED

    async with contextlib.aclosing(client.stream(CONFIG, chunks(TWO_SENTENCES))) as audio:
        async for _ in audio:
            break
    await emulator.wait_idle()

    assert emulator.sessions[0].closed_by_client is True
    assert "session.finished" not in emulator.sessions[0].sent


async def test_task_cancelled_mid_stream_closes_the_socket(
    emulator: Emulator, client: RealtimeClient, closed_sockets: list[Connection]
) -> None:
    emulator.scenario = PACED
    got_audio = asyncio.Event()

    async def consume() -> None:
        async for _ in client.synthesize(CONFIG, TWO_SENTENCES):
            got_audio.set()

    task = asyncio.create_task(consume())
    await got_audio.wait()
    task.cancel()
    await asyncio.wait((task,))
    assert len(closed_sockets) == 1  # closed by the time the task is done
    await emulator.wait_idle()

    record = emulator.sessions[0]
    assert task.cancelled()
    assert record.closed_by_client is True
    assert "session.finished" not in record.sent
    assert emulator.open_connections == 0


async def test_task_cancelled_while_waiting_for_first_audio_closes_the_socket(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, first_audio_delay=30.0)

    task = asyncio.create_task(anext(client.synthesize(CONFIG, "Hi.")))
    await eventually(lambda: bool(emulator.sessions) and emulator.sessions[0].segments == ["Hi."])
    task.cancel()
    await asyncio.wait((task,))
    await emulator.wait_idle()

    assert task.cancelled()
    assert emulator.sessions[0].closed_by_client is True
    assert emulator.sessions[0].pcm == b""


async def test_task_cancelled_while_the_text_source_waits_closes_the_socket(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    source_closed = asyncio.Event()

    async def endless_source() -> AsyncIterator[str]:
        try:
            yield "Hello. "
            await asyncio.Event().wait()
            yield "never"
        finally:
            source_closed.set()

    async def consume() -> None:
        async for _ in client.stream(CONFIG, endless_source()):
            pass

    task = asyncio.create_task(consume())
    await eventually(lambda: bool(emulator.sessions) and bool(emulator.sessions[0].pcm))
    task.cancel()
    await asyncio.wait((task,))
    await emulator.wait_idle()

    assert emulator.sessions[0].closed_by_client is True
    assert source_closed.is_set()


async def test_task_cancelled_during_the_handshake_leaves_nothing_open(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, handshake_delay=0.2)

    task = asyncio.create_task(anext(client.synthesize(CONFIG, "Hi.")))
    await eventually(lambda: emulator.handshake_attempts == 1)
    task.cancel()
    await asyncio.wait((task,))
    # The emulator finishes its handshake delay, then finds the client gone.
    await asyncio.sleep(0.25)
    await emulator.wait_idle()

    assert task.cancelled()
    assert all(record.closed_at is not None for record in emulator.sessions)
