"""A real Assist pipeline with a streaming agent speaks while the agent is still writing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import contextlib
from contextlib import AbstractContextManager
from typing import Any, Literal

from homeassistant.components import conversation, tts
from homeassistant.components.assist_pipeline import PipelineEvent, PipelineEventType

# pipeline.py has these in every supported release (since 2026.10 as aliases of models.py/run.py).
from homeassistant.components.assist_pipeline.pipeline import (
    PipelineInput,
    PipelineRun,
    PipelineStage,
    async_get_pipeline,
    async_update_pipeline,
)
from homeassistant.components.conversation.const import DATA_COMPONENT
from homeassistant.const import MAJOR_VERSION, MATCH_ALL, MINOR_VERSION
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import chat_session
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from qwen_tts_emulator import Emulator

from .helpers import utterances, utterances_closed

# An LLM reply in deltas that split words; the pipeline starts TTS after 60 characters.
DELTAS = [
    "Sure! The kitchen lights are now on, ",
    "and the living room is dimmed to thirty percent. ",
    "The front door is loc",
    "ked. ",
    "Anything else?",
]


# What voice satellites (ESPHome, Wyoming) ask for.
SATELLITE_FORMAT = {
    "preferred_format": "wav",
    "preferred_sample_rate": 16000,
    "preferred_sample_channels": 1,
    "preferred_sample_bytes": 2,
}


class StreamingAgent(conversation.ConversationEntity):
    """Writes its answer in deltas, pausing before the last one until audio has been heard."""

    _attr_supports_streaming = True
    _attr_name = "Streaming agent"
    _attr_unique_id = "streaming_agent"

    @property
    def supported_languages(self) -> list[str] | Literal["*"]:
        return MATCH_ALL

    def __init__(self, first_audio: asyncio.Event) -> None:
        self.first_audio = first_audio
        self.produced_at: list[float] = []

    async def _deltas(self) -> AsyncGenerator[conversation.AssistantContentDeltaDict]:
        loop = asyncio.get_running_loop()
        yield {"role": "assistant"}
        for index, delta in enumerate(DELTAS):
            if index == len(DELTAS) - 1:
                # A slow model: the last words come only after a long pause. A streaming TTS has
                # spoken by then; one that waits for the whole text has not.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.first_audio.wait(), timeout=5)
            await asyncio.sleep(0.05)  # the model thinks between deltas
            self.produced_at.append(loop.time())
            yield {"content": delta}

    async def _async_handle_message(
        self, user_input: conversation.ConversationInput, chat_log: conversation.ChatLog
    ) -> conversation.ConversationResult:
        async for _ in chat_log.async_add_delta_content_stream(self.entity_id, self._deltas()):
            pass
        return conversation.async_get_result_from_chat_log(user_input, chat_log)


def satellite_chat_session(hass: HomeAssistant) -> AbstractContextManager[chat_session.ChatSession]:
    """Open a chat session as a voice satellite does: for no user.

    From 2026.11 the caller must say so (`context=None`); earlier releases have no such argument.
    """
    since_2026_11 = (MAJOR_VERSION, MINOR_VERSION) >= (2026, 11)
    kwargs: dict[str, Any] = {"context": None} if since_2026_11 else {}
    return chat_session.async_get_chat_session(hass, **kwargs)


async def setup_agent(hass: HomeAssistant, agent: StreamingAgent) -> None:
    """Add the agent to the conversation component, as an integration's platform would."""
    await hass.data[DATA_COMPONENT].async_add_entities([agent])


async def run_streaming_pipeline(
    hass: HomeAssistant,
) -> tuple[StreamingAgent, list[tuple[float, bytes]]]:
    """Run Assist from the intent to speech with the streaming agent and `tts.qwen_tts`.

    Return the agent and the audio chunks the pipeline's listener received, with their times.
    """
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "assist_pipeline", {})
    first_audio = asyncio.Event()
    agent = StreamingAgent(first_audio)
    await setup_agent(hass, agent)
    pipeline = async_get_pipeline(hass)
    await async_update_pipeline(
        hass,
        pipeline,
        conversation_engine=agent.entity_id,
        tts_engine="tts.qwen_tts",
        tts_language="en",
        tts_voice="Cherry",
    )
    loop = asyncio.get_running_loop()
    audio: list[tuple[float, bytes]] = []
    listeners: list[asyncio.Task[None]] = []

    async def listen(token: str) -> None:
        stream = tts.async_get_stream(hass, token)
        assert stream is not None
        async for chunk in stream.async_stream_result():
            audio.append((loop.time(), chunk))
            first_audio.set()

    def on_event(event: PipelineEvent) -> None:
        if event.type is PipelineEventType.RUN_START:
            assert event.data is not None
            token = event.data["tts_output"]["token"]
            listeners.append(hass.async_create_task(listen(token)))

    with satellite_chat_session(hass) as session:
        pipeline_input = PipelineInput(
            session=session,
            intent_input="Turn on the kitchen lights",
            run=PipelineRun(
                hass,
                context=Context(),
                pipeline=async_get_pipeline(hass),
                start_stage=PipelineStage.INTENT,
                end_stage=PipelineStage.TTS,
                event_callback=on_event,
                tts_audio_output=SATELLITE_FORMAT,
            ),
        )
        await pipeline_input.validate()  # prepares the TTS stream, as a satellite's run does
        await pipeline_input.execute()
    await asyncio.gather(*listeners)
    return agent, audio


async def test_audio_starts_before_the_agent_finishes_writing(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    agent, audio = await run_streaming_pipeline(hass)

    last_delta_at = agent.produced_at[-1]
    assert audio, "no audio reached the pipeline"
    assert audio[0][0] < last_delta_at  # spoken before the agent wrote its last words
    session_record = utterances(emulator)[-1]
    assert session_record.config["mode"] == "server_commit"
    assert session_record.config["sample_rate"] == 16000  # asked of the service, not resampled
    appends = [e for e in session_record.received if e.type == "input_text_buffer.append"]
    # Every delta after streaming started went out on its own, before the next was written.
    assert [e.payload["text"] for e in appends[-3:]] == DELTAS[-3:]
    for append, next_delta_at in zip(appends[-3:-1], agent.produced_at[-2:], strict=True):
        assert append.at < next_delta_at
    wav = b"".join(chunk for _, chunk in audio)
    assert wav[:4] == b"RIFF"
    assert wav[wav.index(b"data") + 8 :] == session_record.pcm
    await utterances_closed(emulator)
