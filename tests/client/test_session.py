"""A session end to end: both modes, the events the client reads, and the text it sends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from functools import partial

import pytest

from custom_components.qwen_tts_realtime.realtime import EmptyTextError, RealtimeClient
from custom_components.qwen_tts_realtime.realtime.text import MAX_APPEND_CHARS
from qwen_tts_emulator import Emulator, Scenario, render_pcm

from ..helpers import eventually
from .helpers import (
    CONFIG,
    KEYS,
    TWO_SENTENCES,
    appends,
    chunks,
    collect,
    config,
    speak,
)


async def test_synthesize_sends_the_message_in_commit_mode(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    audio = await speak(client.synthesize(CONFIG, TWO_SENTENCES))
    await emulator.wait_idle()

    record = emulator.sessions[0]
    assert record.received_types() == [
        "session.update",
        "input_text_buffer.append",
        "input_text_buffer.commit",
        "session.finish",
    ]
    assert record.config["mode"] == "commit"
    assert record.segments == [TWO_SENTENCES]
    assert audio == record.pcm == render_pcm(TWO_SENTENCES)
    assert emulator.open_connections == 0


async def test_stream_sends_chunks_in_server_commit_mode(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    audio = await speak(client.stream(CONFIG, chunks("The first sen", "tence. The sec", "ond.")))
    await emulator.wait_idle()

    record = emulator.sessions[0]
    assert record.received_types() == [
        "session.update",
        *["input_text_buffer.append"] * 3,
        "session.finish",
    ]
    assert record.config["mode"] == "server_commit"
    assert appends(record) == ["The first sen", "tence. The sec", "ond."]
    assert record.segments == ["The first sentence.", "The second."]
    assert audio == record.pcm
    assert emulator.open_connections == 0


async def test_each_chunk_goes_on_the_wire_as_it_arrives(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    async def source() -> AsyncIterator[str]:
        for piece in ("One, ", "two, ", "three."):
            yield piece
            # The next chunk comes only once the service has this one: a client that buffered
            # text would never get here.
            await eventually(partial(arrived, piece))

    def arrived(piece: str) -> bool:
        return bool(emulator.sessions) and piece in appends(emulator.sessions[0])

    await speak(client.stream(CONFIG, source()))
    await emulator.wait_idle()

    assert appends(emulator.sessions[0]) == ["One, ", "two, ", "three."]


async def test_audio_flows_while_the_text_is_still_streaming(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    first_audio = asyncio.Event()

    async def source() -> AsyncIterator[str]:
        yield "A complete sentence. "
        await first_audio.wait()  # the rest waits for audio of the first sentence
        yield "Another one."

    received = []
    async for pcm in client.stream(CONFIG, source()):
        received.append(pcm)
        first_audio.set()
    await emulator.wait_idle()

    assert emulator.sessions[0].segments == ["A complete sentence.", "Another one."]
    assert b"".join(received) == emulator.sessions[0].pcm


async def test_text_after_the_first_audio_is_sent_once_and_in_order(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    first_audio = asyncio.Event()
    pieces = [f"word{i} " for i in range(300)]

    async def source() -> AsyncIterator[str]:
        yield "A complete sentence. "
        await first_audio.wait()  # from here on no retry is possible: sent text is forgotten
        for piece in pieces:
            yield piece

    async for _ in client.stream(config(sample_rate=8000), source()):
        first_audio.set()
    await emulator.wait_idle()

    assert appends(emulator.sessions[0]) == ["A complete sentence. ", *pieces]


async def test_several_responses_in_one_session(emulator: Emulator, client: RealtimeClient) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    audio = await speak(client.stream(CONFIG, chunks("One. Two. Three.")))
    await emulator.wait_idle()

    record = emulator.sessions[0]
    assert record.sent.count("response.done") == 3
    assert record.sent.count("response.audio.done") == 3
    assert audio == record.pcm == b"".join(render_pcm(s) for s in ("One.", "Two.", "Three."))


async def test_iteration_ends_on_session_finished(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    await speak(client.synthesize(CONFIG, "Hello."))
    await emulator.wait_idle()

    record = emulator.sessions[0]
    assert record.sent[-1] == "session.finished"
    assert record.close_code == 1000
    assert emulator.open_connections == 0


async def test_events_without_audio_are_ignored(emulator: Emulator, client: RealtimeClient) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    audio = await speak(client.synthesize(CONFIG, "Hello."))
    await emulator.wait_idle()

    others = set(emulator.sessions[0].sent) - {"response.audio.delta"}
    assert others >= {
        "session.created",
        "session.updated",
        "input_text_buffer.committed",
        "response.created",
        "response.output_item.added",
        "response.content_part.added",
        "response.audio.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.done",
    }
    assert audio == emulator.sessions[0].pcm


@pytest.mark.parametrize("delta_bytes", [4801, 7, 1])
async def test_deltas_that_split_a_sample(
    emulator: Emulator, client: RealtimeClient, delta_bytes: int
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, delta_bytes=delta_bytes)

    received = await collect(client.synthesize(config(sample_rate=8000), "I"))
    await emulator.wait_idle()

    assert all(len(chunk) % 2 == 0 and chunk for chunk in received)
    assert b"".join(received) == emulator.sessions[0].pcm


async def test_compressed_formats_pass_through_unaligned(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, delta_bytes=4801)

    audio = await speak(client.synthesize(config(response_format="wav"), "Hi."))
    await emulator.wait_idle()

    assert audio == emulator.sessions[0].audio
    assert audio[:4] == b"RIFF"


async def test_long_message_goes_in_bounded_appends(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    message = ("word " * 20_000)[:100_000]

    async with contextlib.aclosing(client.synthesize(config(sample_rate=8000), message)) as audio:
        await anext(audio)  # every append precedes the commit, so all of them are out by now
    await emulator.wait_idle()

    record = emulator.sessions[0]
    sent = appends(record)
    assert len(sent) == 100
    assert all(len(text) <= MAX_APPEND_CHARS for text in sent)
    assert "".join(sent) == message
    assert record.received_types().count("input_text_buffer.commit") == 1


async def test_long_chunk_of_a_stream_goes_in_bounded_appends(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    chunk = "x" * (2 * MAX_APPEND_CHARS + 1)

    await speak(client.stream(config(sample_rate=8000), chunks("Hi. ", chunk, ".")))
    await emulator.wait_idle()

    assert [len(text) for text in appends(emulator.sessions[0])] == [4, 1000, 1000, 1, 1]


async def test_control_characters_are_dropped(emulator: Emulator, client: RealtimeClient) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    await speak(client.synthesize(CONFIG, "Hel\x00lo\x07 wor\x1bld\ud800.\x7f\x9b"))
    await emulator.wait_idle()

    assert appends(emulator.sessions[0]) == ["Hello world."]


async def test_line_and_word_separators_become_whitespace(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    await speak(client.synthesize(CONFIG, "One\rtwo\x0cthree\x1ffour\tfive\nsix."))
    await emulator.wait_idle()

    assert appends(emulator.sessions[0]) == ["One\ntwo\nthree four\tfive\nsix."]


@pytest.mark.parametrize("message", ["", "   ", "\n\t ", "\x00\x01\x02", "\ud800"])
async def test_empty_message_is_refused_before_connecting(
    emulator: Emulator, client: RealtimeClient, message: str
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    with pytest.raises(EmptyTextError):
        await speak(client.synthesize(CONFIG, message))

    assert emulator.handshake_attempts == 0


@pytest.mark.parametrize("pieces", [(), ("",), (" ", "\n", "\x00")])
async def test_empty_stream_ends_with_empty_text_error(
    emulator: Emulator, client: RealtimeClient, pieces: tuple[str, ...]
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    with pytest.raises(EmptyTextError):
        await speak(client.stream(CONFIG, chunks(*pieces)))
    await emulator.wait_idle()

    assert emulator.connections_total == 1  # not retried
    assert "session.finish" not in emulator.sessions[0].received_types()
    assert emulator.sessions[0].closed_by_client is True
