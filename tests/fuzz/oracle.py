"""What a correct client must conclude from a transcript, judged by the protocol alone.

Written from the protocol (PROTOCOL.md) and the client's stated bounds, not from the client's
code: a session is complete when every audio delta belongs to a response that was created and
not yet done, every response that was created ended `completed`, and `session.finished` came
after the client's `session.finish`, with no error, no close and nothing the client cannot read
beyond its bound on the way. The audio a client may pass on is that of those deltas, in order,
up to the first frame that makes the session fail.

Some outcomes are not fixed by the frames alone: a frame that reached a fresh socket before the
client started its session may be judged as an idle socket's (which fails the socket) or as the
session's; a `session.finished` sent before the server read `session.finish` may or may not have
followed the client's; audio between the budget of no text and that of the whole text depends
on how much text was sent when it arrived. Those are "either".
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
import json
from typing import Final, Literal

from custom_components.qwen_tts_realtime.realtime.timing import (
    AUDIO_SECONDS_FLOOR,
    AUDIO_SECONDS_PER_CHARACTER,
    IDLE_FRAMES,
    MAX_AUDIO_SECONDS,
    MAX_BAD_FRAMES,
    MAX_FRAME_BYTES,
    MAX_FRAMES_PER_AUDIO_SECOND,
)

from .server import ConnectionRecord, Sent

type Outcome = Literal["success", "failure", "either"]

_PCM_BYTES_PER_SECOND: Final = 24000 * 2  # the fuzzed sessions ask for 24 kHz PCM


@dataclass(slots=True)
class Judgement:
    """The outcome a transcript allows, the audio a client may yield from it, and why."""

    outcome: Outcome
    audio: bytes
    reason: str


class _Walk:
    """The state of a transcript walked frame by frame."""

    def __init__(self, record: ConnectionRecord, characters: int) -> None:
        self.record = record
        self.open: set[str] = set()
        self.seen: set[str] = set()
        self.completed = 0
        self.bad_frames = 0
        self.created_frames = 0
        self.audio = bytearray()
        self.uncertain: list[str] = []
        self.frames = 0
        seconds = min(
            MAX_AUDIO_SECONDS, AUDIO_SECONDS_FLOOR + AUDIO_SECONDS_PER_CHARACTER * characters
        )
        # The budget at a frame's arrival is that of the text sent so far: at least no text's.
        self.least_budget = AUDIO_SECONDS_FLOOR * _PCM_BYTES_PER_SECOND
        self.most_budget = seconds * _PCM_BYTES_PER_SECOND
        self.least_frames = AUDIO_SECONDS_FLOOR * MAX_FRAMES_PER_AUDIO_SECOND
        self.most_frames = seconds * MAX_FRAMES_PER_AUDIO_SECOND

    def is_open(self, response_id: object) -> bool:
        return isinstance(response_id, str) and response_id in self.open

    def add_frame(self) -> str | None:
        """Count a frame of the session; return why the session fails, if it does."""
        self.frames += 1
        if self.frames > self.most_frames:
            return "more frames than the whole text's audio can need"
        if self.frames > self.least_frames and "frames" not in self.uncertain:
            self.uncertain.append("frames")
        return None

    def fail(self, reason: str) -> Judgement:
        return Judgement("failure", bytes(self.audio), reason)

    def add_audio(self, audio: bytes) -> str | None:
        """Count audio of an open response; return why the session fails, if it does."""
        self.audio += audio
        if len(self.audio) > self.most_budget:
            return "more audio than the whole text's budget"
        if len(self.audio) > self.least_budget and "budget" not in self.uncertain:
            self.uncertain.append("budget")
        return None


def judge(record: ConnectionRecord, characters: int) -> Judgement:
    """Judge what the server sent on one connection that carried a session."""
    walk = _Walk(record, characters)
    for index, sent in enumerate(record.sent):
        idle = record.update_at is None or index < record.update_at
        if (verdict := _frame(walk, sent, idle=idle, index=index)) is not None:
            return verdict
    return walk.fail("the connection ended before session.finished")


def _frame(walk: _Walk, sent: Sent, *, idle: bool, index: int) -> Judgement | None:
    """Take one frame; return the judgement once the session is decided."""
    if sent.kind == "endless":
        if not walk.is_open(sent.response_id):
            return walk.fail("audio of a response that is not under way")
        for _ in range(sent.repeat):
            if (reason := walk.add_frame() or walk.add_audio(sent.chunk)) is not None:
                return walk.fail(reason)
        return walk.fail("audio that never ends")
    event = _event(sent)
    if idle and not (event is not None and event.get("type") == "session.created"):
        walk.uncertain.append("a frame before the session started")
    if not idle and (reason := walk.add_frame()) is not None:
        return walk.fail(reason)
    if event is None:
        if len(sent.text) > MAX_FRAME_BYTES:
            return walk.fail("a frame larger than the client takes")
        walk.bad_frames += 1
        if walk.bad_frames > MAX_BAD_FRAMES:
            return walk.fail("too many undecodable frames")
        return None
    match event.get("type"):
        case "session.created" if idle:
            walk.created_frames += 1
            if walk.created_frames > IDLE_FRAMES:
                walk.uncertain.append("more session.created than an idle socket may get")
        case "response.audio.delta":
            return _delta(walk, event)
        case "response.created":
            response = event.get("response")
            response_id = response.get("id") if isinstance(response, Mapping) else None
            if not isinstance(response_id, str) or not response_id or response_id in walk.seen:
                return walk.fail("response.created without a new id")
            walk.seen.add(response_id)
            walk.open.add(response_id)
        case "response.done":
            response = event.get("response")
            response = response if isinstance(response, Mapping) else {}
            if response.get("status") != "completed":
                return walk.fail(f"a response ended {response.get('status')!r}")
            if not walk.is_open(response_id := response.get("id")):
                return walk.fail("response.done of a response not under way")
            walk.open.discard(str(response_id))
            walk.completed += 1
        case "error":
            return walk.fail("an error event")
        case "session.finished":
            return _finished(walk, index)
    return None


def _delta(walk: _Walk, event: Mapping[str, object]) -> Judgement | None:
    delta = event.get("delta")
    if not isinstance(delta, str):
        return walk.fail("an audio delta without data")
    try:
        audio = base64.b64decode(delta, validate=True)
    except binascii.Error, ValueError:
        return walk.fail("an audio delta that is not base64")
    if not walk.is_open(event.get("response_id")):
        return walk.fail("audio of a response that is not under way")
    if (reason := walk.add_audio(audio)) is not None:
        return walk.fail(reason)
    return None


def _finished(walk: _Walk, index: int) -> Judgement:
    if walk.open:
        return walk.fail("session.finished in the middle of a response")
    if not walk.completed:
        return walk.fail("session.finished without a completed response")
    finish_at = walk.record.finish_at
    if finish_at is None or index < finish_at:
        walk.uncertain.append("session.finished before the server read session.finish")
    outcome: Outcome = "either" if walk.uncertain else "success"
    return Judgement(outcome, bytes(walk.audio), ", ".join(walk.uncertain) or "complete")


def _event(sent: Sent) -> dict[str, object] | None:
    """Return the JSON object of a text frame, None for anything else."""
    if sent.kind != "text" or len(sent.text) > MAX_FRAME_BYTES:
        return None
    try:
        event = json.loads(sent.text)
    except ValueError, RecursionError:
        return None
    return event if isinstance(event, dict) else None
