"""The client's side of a hostile service: eager checks, usage reports, a clean close."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import logging

import aiohttp
import pytest

from custom_components.qwen_tts_realtime.realtime import (
    AuthenticationError,
    EmptyTextError,
    Format,
    IncompleteAudioError,
    InvalidOptionError,
    ProtocolError,
    RealtimeClient,
    RealtimeError,
    ResponseTimeoutError,
    TimeoutStage,
)
from custom_components.qwen_tts_realtime.realtime.connection import Connection
from custom_components.qwen_tts_realtime.realtime.timing import AudioMeter, Timeouts
from qwen_tts_emulator import Emulator, Fault, Scenario, billed_characters
from qwen_tts_emulator.scenario import FaultPoint

from ..helpers import shows
from .helpers import CONFIG, KEY, KEYS, MODEL, TWO_SENTENCES, ClientFactory, chunks, config, speak


async def test_usage_is_reported_once_per_completed_response(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    usage: list[int | None] = []

    await speak(client.stream(CONFIG, chunks(TWO_SENTENCES), on_usage=usage.append))

    sentences = ["The first sentence.", "The second sentence."]
    assert usage == [billed_characters(sentence) for sentence in sentences]


async def test_usage_without_characters_is_reported_as_none(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    usage: list[int | None] = []

    await speak(client.synthesize(config(model="qwen-tts-realtime"), "Hi.", on_usage=usage.append))

    assert usage == [None]  # this model reports tokens


@pytest.mark.parametrize(
    "bad",
    [config(voice="Cherry\ud800"), config(volume=float("inf")), config(speech_rate=True)],
    ids=["lone-surrogate", "infinite", "boolean"],
)
async def test_bad_options_fail_before_any_socket_opens(
    emulator: Emulator, client: RealtimeClient, bad: object
) -> None:
    with pytest.raises(InvalidOptionError):
        client.synthesize(bad, "Hi.")  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError):
        client.stream(bad, chunks("Hi."))  # type: ignore[arg-type]
    with pytest.raises(EmptyTextError):
        client.synthesize(CONFIG, " \n")

    assert emulator.handshake_attempts == 0


async def test_session_finished_before_the_text_is_complete_is_an_error(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(
        api_keys=KEYS, faults=[Fault("finish", "after_response_done", response=0)]
    )
    held = asyncio.Event()

    async def text() -> AsyncIterator[str]:
        yield "The first sentence. "
        await held.wait()
        yield "The second sentence."

    with pytest.raises(IncompleteAudioError):
        await speak(client.stream(CONFIG, text()))
    await emulator.wait_idle()


async def test_slow_text_source_still_ends_with_a_clean_close(emulator: Emulator) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    timeouts = Timeouts(first_audio=0.05, audio=0.05)
    async with aiohttp.ClientSession() as http:
        conn = await Connection.open(
            http, f"{emulator.url}?model={MODEL}", {"Authorization": f"Bearer {KEY}"}, timeouts
        )
        meter = AudioMeter(Format.PCM, 24000)

        async def send_slowly() -> None:
            await conn.start({"mode": "commit"}, meter)
            await asyncio.sleep(0.3)  # longer than every timer: the text source is slow
            await conn.send("input_text_buffer.append", text="Hi.")
            await conn.send("input_text_buffer.commit")
            await conn.send("session.finish")
            conn.mark_input_done()

        sender = asyncio.create_task(send_slowly())
        await speak(conn.audio())
        await sender
        await conn.close()

    assert conn.close_code == 1000  # not 1006: the closing handshake completed


async def test_handshake_error_chain_holds_no_key(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    emulator.scenario = Scenario(api_keys=frozenset({"sk-other"}))
    client = make_client()

    with pytest.raises(AuthenticationError) as raised:
        await speak(client.synthesize(CONFIG, "Hi."))

    error: BaseException | None = raised.value
    while error is not None:
        assert KEY not in repr(vars(error)) + repr(error)
        assert error.__cause__ is None
        error = error.__context__


HANG_GUARD = 20.0  # far above every bound under test: a guard against a hanging test


async def test_a_flood_of_tiny_deltas_ends_at_the_frame_bound(
    emulator: Emulator, client: RealtimeClient
) -> None:
    # Found by the fuzzer: one-byte deltas as fast as the socket goes stay under the audio
    # budget for a million frames, holding the client's CPU for half a minute.
    emulator.scenario = Scenario(api_keys=KEYS, faults=[Fault("endless", "before_audio", size=2)])

    with pytest.raises(ProtocolError, match="more frames"):
        async with asyncio.timeout(HANG_GUARD):
            await speak(client.stream(CONFIG, chunks("Hello.")))
    await emulator.wait_idle()


async def test_the_whole_message_deadline_holds_while_frames_keep_coming(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    # Found by the fuzzer: the deadline was only looked at when the reader ran out of frames.
    emulator.scenario = Scenario(api_keys=KEYS, faults=[Fault("endless", "before_audio")])
    client = make_client(timeouts=Timeouts(synthesize=0.5))

    async def read_slowly() -> None:  # frames are always waiting for this reader
        async for _ in client.synthesize(CONFIG, "word " * 200):  # a 900 s audio budget
            await asyncio.sleep(0.01)

    with pytest.raises(ResponseTimeoutError) as raised:
        await asyncio.wait_for(read_slowly(), HANG_GUARD)
    await emulator.wait_idle()

    assert raised.value.stage is TimeoutStage.SYNTHESIZE


@pytest.mark.parametrize("at", ["after_created", "after_update", "before_audio"])
async def test_an_error_event_that_echoes_the_key_does_not_carry_it(
    emulator: Emulator, client: RealtimeClient, caplog: pytest.LogCaptureFixture, at: FaultPoint
) -> None:
    """A service or proxy echoing the request's key must not put it into an exception or a log."""
    caplog.set_level(logging.DEBUG)
    echo = Fault("error", at, code=f"InvalidParameter {KEY}", message=f"Bearer {KEY} refused")
    emulator.scenario = Scenario(api_keys=KEYS, faults=[echo])

    with pytest.raises(RealtimeError) as caught:
        await speak(client.synthesize(CONFIG, "Hello."))

    assert not shows(caught.value, KEY)
    assert KEY not in caplog.text
