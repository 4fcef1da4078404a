"""The responses of one connection: each queued text rendered, encoded and sent as deltas, paced."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
import math
from typing import Any

from custom_components.qwen_tts_realtime.realtime.text import billed_characters

from .audio import WAV_HEADER_BYTES, encode, iter_pcm, render_espeak
from .faults import Faults
from .outbox import Action, Outbox, event
from .scenario import Scenario
from .session_records import SessionRecord, new_id

_MIN_AUDIO_TOKENS = 50  # what `qwen-tts-realtime` bills for a response, however short
_AUDIO_TOKENS_PER_SECOND = 50


@dataclass(slots=True)
class _Job:
    text: str
    triggered_at: float


def _chunks(pieces: Iterable[bytes], size: int) -> Iterator[tuple[bytes, bool]]:
    """Yield (chunk, is_last) with chunks of exactly `size` bytes except the last one."""
    buf = bytearray()
    pending: bytes | None = None
    for piece in pieces:
        buf += piece
        while len(buf) > size:
            if pending is not None:
                yield pending, False
            pending = bytes(buf[:size])
            del buf[:size]
    if buf:
        if pending is not None:
            yield pending, False
        pending = bytes(buf)
    if pending is not None:
        yield pending, True


class Producer:
    """Answers each queued text with a response; `config` is the session's, as last updated."""

    def __init__(
        self, record: SessionRecord, scenario: Scenario, outbox: Outbox, faults: Faults
    ) -> None:
        self._record = record
        self._scenario = scenario
        self._outbox = outbox
        self._faults = faults
        self._loop = asyncio.get_running_loop()
        self._jobs: asyncio.Queue[_Job | None] = asyncio.Queue()
        self._responses = 0
        self.config = dict(record.config)

    def queue(self, texts: Iterable[str], now: float) -> None:
        """Answer each of `texts`, in order, timing the first audio from `now`."""
        for text in texts:
            self._jobs.put_nowait(_Job(text, now))

    def finish(self) -> None:
        """End the session once every queued text is answered."""
        self._jobs.put_nowait(None)

    async def run(self) -> None:
        """Answer the queued texts until the session ends or the outbox halts."""
        while True:
            job = await self._jobs.get()
            if self._outbox.halted:
                return
            if job is None:
                self._outbox.emit("session.finished")
                self._outbox.halt(Action("close", code=1000))
                return
            await self._respond(job)

    async def _respond(self, job: _Job) -> None:
        outbox = self._outbox
        index = self._responses
        self._responses += 1
        self._record.segments.append(job.text)
        response: dict[str, Any] = {
            "id": new_id("resp"),
            "object": "realtime.response",
            "conversation_id": "",
            "status": "in_progress",
            "modalities": ["audio"],
            "voice": self.config["voice"],
            "output": [],
        }
        item: dict[str, Any] = {
            "id": new_id("item"),
            "object": "realtime.item",
            "type": "message",
            "status": "in_progress",
            "role": "assistant",
            "content": [],
        }
        where = {"response_id": response["id"], "item_id": item["id"], "output_index": 0}
        part = {"type": "audio", "text": ""}
        outbox.emit("response.created", response=response)
        outbox.emit(
            "response.output_item.added", response_id=response["id"], output_index=0, item=item
        )
        outbox.emit("response.content_part.added", **where, content_index=0, part=part)
        self._faults.fire("before_audio", index, response_id=response["id"])
        audio_seconds = await self._stream_audio(job, where, index)
        if outbox.halted:
            return
        if (status := self._faults.take_cut()) is not None:
            outbox.emit("response.done", response={**response, "status": status})
            return
        outbox.emit("response.audio.done", **where, content_index=0)
        outbox.emit("response.content_part.done", **where, content_index=0, part=part)
        item = {**item, "status": "completed", "content": [part]}
        outbox.emit(
            "response.output_item.done", response_id=response["id"], output_index=0, item=item
        )
        characters = billed_characters(job.text)
        response |= {"status": "completed", "output": [item]}
        if self._scenario.usage_reported:
            response["usage"] = self._usage(characters, audio_seconds)
        outbox.send(event("response.done", response=response), usage=characters)
        self._faults.fire("after_response_done", index, response_id=response["id"])

    def _usage(self, characters: int, audio_seconds: float) -> dict[str, int]:
        spec = self._scenario.models.get(self._record.model)
        if spec is None or spec.usage != "tokens":
            reported = self._scenario.reported_characters
            return {"characters": characters if reported is None else reported}
        audio_tokens = max(_MIN_AUDIO_TOKENS, math.ceil(audio_seconds * _AUDIO_TOKENS_PER_SECOND))
        return {
            "total_tokens": characters + audio_tokens,
            "input_tokens": characters,
            "output_tokens": audio_tokens,
        }

    async def _stream_audio(self, job: _Job, where: dict[str, Any], index: int) -> float:
        """Send the deltas of one response, paced; return the audio's duration in seconds."""
        scenario = self._scenario
        rate: int = self.config["sample_rate"]
        fmt: str = self.config["response_format"]
        pieces, pcm_length = await self._render(job.text)
        size = max(1, scenario.delta_bytes)
        if fmt == "pcm":
            encoded_length = pcm_length
            chunks = _chunks(pieces, size)
        else:
            audio = await encode(b"".join(pieces), fmt, rate, self.config.get("bit_rate", 128))
            encoded_length = len(audio)
            chunks = _chunks([audio], size)
        audio_seconds = pcm_length / 2 / rate
        wall_per_byte = scenario.realtime_factor * audio_seconds / max(1, encoded_length)
        first_at = max(self._loop.time(), job.triggered_at + scenario.first_audio_delay)
        await self._sleep_until(first_at)
        sent = 0
        for deltas, (chunk, last) in enumerate(chunks, start=1):
            if wall_per_byte > 0:
                await self._sleep_until(first_at + sent * wall_per_byte)
            else:
                await asyncio.sleep(0)
            await self._outbox.wait_room()
            if self._outbox.halted or self._faults.cutting:
                break
            self._send_delta(where, chunk, fmt, sent)
            sent += len(chunk)
            self._faults.fire("mid_stream", index, deltas=deltas, response_id=where["response_id"])
            if last:
                self._faults.fire(
                    "mid_stream", index, deltas=-deltas, response_id=where["response_id"]
                )
        return audio_seconds

    def _send_delta(self, where: dict[str, Any], chunk: bytes, fmt: str, offset: int) -> None:
        pcm = chunk
        if fmt == "wav":
            pcm = chunk[max(0, WAV_HEADER_BYTES - offset) :]
        elif fmt != "pcm":
            pcm = b""
        delta = base64.b64encode(chunk).decode("ascii")
        delta_event = event("response.audio.delta", **where, content_index=0, delta=delta)
        self._outbox.send(delta_event, pcm=pcm, audio=chunk)

    async def _render(self, text: str) -> tuple[Iterable[bytes], int]:
        """Return the PCM of `text` in pieces, and its total length."""
        config = self.config
        settings: dict[str, Any] = {
            "sample_rate": config["sample_rate"],
            "speech_rate": config.get("speech_rate", 1.0),
            "volume": config.get("volume", 50),
            "pitch_rate": config.get("pitch_rate", 1.0),
            "voice": config["voice"],
        }
        if self._scenario.voice_engine == "espeak":
            pcm = await render_espeak(text, language_type=config["language_type"], **settings)
            if pcm is not None:
                return [pcm], len(pcm)
        length = sum(len(piece) for piece in iter_pcm(text, **settings))
        return iter_pcm(text, **settings), length

    async def _sleep_until(self, when: float) -> None:
        delay = when - self._loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
