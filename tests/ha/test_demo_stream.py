"""`scripts/speak --stream`: a real Assist pipeline with the demo's writer agent, over the API."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from qwen_tts_emulator import Emulator
from scripts.demo import writer
from scripts.demo.home_assistant import Socket
from scripts.demo.stream import StreamRun, ensure_pipeline, report, run_pipeline

from .helpers import utterances, utterances_closed

# Long enough for Home Assistant to stream it (past 60 characters) with words still to come.
REPLY = (
    "Sure. The kitchen lights are on, the heating is set to twenty degrees, "
    "the front door is locked and the garden lights will switch off at eleven tonight."
)
SECONDS_PER_WORD = 0.15  # slow enough that speech clearly starts before the last words


@pytest.fixture
async def socket(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, entry: MockConfigEntry
) -> Socket:
    """The demo's Home Assistant: the integration, Assist, and the writer as the demo sets it up."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "assist_pipeline", {})
    config = {writer.DOMAIN: {"seconds_per_word": SECONDS_PER_WORD}}
    assert await writer.async_setup(hass, config)
    return Socket(await hass_ws_client(hass))


async def test_the_pipeline_is_created_once(socket: Socket) -> None:
    first = await ensure_pipeline(socket)

    assert await ensure_pipeline(socket) == first


async def test_speech_starts_while_the_writer_is_still_writing(
    socket: Socket, hass_ws_client: WebSocketGenerator, emulator: Emulator
) -> None:
    pipeline_id = await ensure_pipeline(socket)
    client = (await hass_ws_client()).client

    run = await run_pipeline(socket, client.get, pipeline_id, REPLY)

    assert run.characters == len(REPLY)
    assert run.streaming_at is not None
    assert run.streaming_at < run.written[-1]  # Home Assistant streamed before the last words
    assert run.audio_at[0] < run.written[-1]  # and the first audio came before them too
    (session,) = utterances(emulator)
    appends = [e.payload["text"] for e in session.received if e.type == "input_text_buffer.append"]
    assert len(appends) > 1  # the reply went out in pieces, as it was written
    assert "".join(appends) == REPLY
    assert session.config["response_format"] == "mp3"  # encoded by the service, as Assist asks
    assert run.mime_type == "audio/mpeg"
    assert run.audio.startswith(b"ID3")
    await utterances_closed(emulator)


def test_the_report_puts_each_moment_beside_the_last_words() -> None:
    run = StreamRun(
        written=[10.0, 11.0, 12.0], characters=80, streaming_at=11.0, audio_at=[11.5, 13.25]
    )

    assert report(run)[1:] == [
        "Speech began 0.50 s before the agent finished writing.",
        "Relative to the agent's last words:",
        "   -2.00 s  the agent writes its first words",
        "   -1.00 s  Home Assistant starts streaming the reply to speech",
        "   -0.50 s  first audio arrives",
        "   +0.00 s  the agent writes its last words",
        "   +1.25 s  last audio arrives",
    ]


def test_the_report_says_when_a_reply_was_not_streamed() -> None:
    run = StreamRun(written=[10.0, 10.5], characters=20, audio_at=[10.75, 11.0])

    lines = report(run)

    assert lines[1] == "Speech began 0.25 s after the agent finished writing."
    assert lines[-1].startswith("Home Assistant did not stream this reply")
