"""`scripts/speak --stream`: a real Assist pipeline on typed text, timed while it streams.

The demo's writer agent (scripts/demo/writer) writes the text back a word at a time, as a language
model streams its reply. Home Assistant starts the engine's TTS stream once the reply is long
enough and forwards every further word; the audio is read from the pipeline's TTS URL as it
arrives, as a voice satellite or the browser would. The report puts the first and last audio
beside the moment the agent wrote its last words: audio before that moment is speech that began
while the agent was still writing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, aclosing
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp

from .home_assistant import ENGINE, LANGUAGE, Socket
from .lifecycle import DemoError

PIPELINE_NAME: Final = "Qwen TTS streaming demo"
WAV_HEADER_BYTES: Final = 44  # a streamed WAV starts with its header, before any audio

type Fetch = Callable[[str], AbstractAsyncContextManager[aiohttp.ClientResponse]]


@dataclass
class StreamRun:
    """What one pipeline run showed, in seconds of the event loop's clock."""

    written: list[float] = field(default_factory=list)  # each piece of the reply
    characters: int = 0
    streaming_at: float | None = None  # Home Assistant started feeding the TTS stream
    audio_at: list[float] = field(default_factory=list)  # each chunk of audio after the header
    audio: bytearray = field(default_factory=bytearray)
    mime_type: str = ""


async def ensure_pipeline(socket: Socket) -> str:
    """Return the id of the demo's streaming pipeline, creating it the first time.

    The writer agent, then this engine in the demo profile's language and voice; no
    speech-to-text.
    """
    # The writer imports Home Assistant's conversation component (seconds): only --stream loads it.
    from .writer import ENTITY_ID as WRITER  # noqa: PLC0415

    listing = await socket.command("assist_pipeline/pipeline/list")
    for pipeline in listing["pipelines"]:
        if pipeline["name"] == PIPELINE_NAME:
            pipeline_id: str = pipeline["id"]
            return pipeline_id
    created = await socket.command(
        "assist_pipeline/pipeline/create",
        name=PIPELINE_NAME, language=LANGUAGE, conversation_engine=WRITER,
        conversation_language=LANGUAGE, stt_engine=None, stt_language=None, tts_engine=ENGINE,
        tts_language=LANGUAGE, tts_voice=None,
        wake_word_entity=None, wake_word_id=None,
    )  # fmt: skip
    new_id: str = created["id"]
    return new_id


async def run_pipeline(socket: Socket, fetch: Fetch, pipeline_id: str, text: str) -> StreamRun:
    """Run the pipeline from the agent to speech on `text`; read the audio as it comes."""
    loop = asyncio.get_running_loop()
    run = StreamRun()
    listener: asyncio.Task[None] | None = None

    async def listen(url: str, header: int) -> None:
        async with fetch(url) as response:
            if response.status != 200:
                raise DemoError(f"the pipeline's audio answered {response.status}")
            async for chunk in response.content.iter_any():
                run.audio += chunk
                if len(run.audio) > header:
                    run.audio_at.append(loop.time())

    number = await socket.subscribe(
        "assist_pipeline/run",
        start_stage="intent", end_stage="tts", input={"text": text}, pipeline=pipeline_id,
    )  # fmt: skip
    try:
        async with aclosing(socket.events(number)) as events:
            async for event in events:
                data: dict[str, Any] = event.get("data") or {}
                match event["type"]:
                    case "run-start":
                        output = data["tts_output"]
                        run.mime_type = output["mime_type"]
                        header = WAV_HEADER_BYTES if run.mime_type == "audio/wav" else 0
                        listener = asyncio.create_task(listen(output["url"], header))
                    case "intent-progress":
                        if data.get("tts_start_streaming"):
                            run.streaming_at = loop.time()
                        if content := (data.get("chat_log_delta") or {}).get("content"):
                            run.written.append(loop.time())
                            run.characters += len(content)
                    case "error":
                        raise DemoError(f"the pipeline failed: {data.get('message')}")
                    case "run-end":
                        break
        if listener is None:
            raise DemoError("the pipeline ended without text-to-speech")
        await listener
    finally:
        if listener is not None and not listener.done():
            listener.cancel()
    if not run.written or not run.audio_at:
        raise DemoError("the pipeline produced no reply or no audio")
    return run


def report(run: StreamRun) -> list[str]:
    """Describe the run: its moments in order, each relative to the agent's last words."""
    last_words = run.written[-1]
    lead = last_words - run.audio_at[0]
    moments = [
        (run.written[0], "the agent writes its first words"),
        (last_words, "the agent writes its last words"),
        (run.audio_at[0], "first audio arrives"),
        (run.audio_at[-1], "last audio arrives"),
    ]
    if run.streaming_at is not None:
        moments.append((run.streaming_at, "Home Assistant starts streaming the reply to speech"))
    lines = [
        f"Assist pipeline {PIPELINE_NAME!r}: the demo writer (a stand-in for a language model) "
        f"wrote {run.characters} characters in {len(run.written)} pieces.",
        f"Speech began {abs(lead):.2f} s {'before' if lead > 0 else 'after'} the agent "
        "finished writing.",
        "Relative to the agent's last words:",
        *(f"  {moment - last_words:+6.2f} s  {what}" for moment, what in sorted(moments)),
    ]
    if run.streaming_at is None:
        lines.append(
            "Home Assistant did not stream this reply: it streams a reply to speech once it is "
            "longer than about 60 characters."
        )
    return lines
