"""The emulated account's custom voices, and the requests the customisation API received."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
import json
import secrets
from typing import Any, Final, Literal

from aiohttp import web

MAX_VOICES: Final = 1000
TARGETS: Final[dict[str, tuple[str, ...]]] = {
    "vd": ("qwen3-tts-vd-realtime-2026-01-15", "qwen3-tts-vd-realtime-2025-12-16"),
    "vc": ("qwen3-tts-vc-realtime-2026-01-15", "qwen3-tts-vc-realtime-2025-11-27"),
}


@dataclass(slots=True)
class StoredVoice:
    """One custom voice of the emulated account."""

    voice: str
    kind: Literal["vd", "vc"]
    target_model: str
    created: datetime
    language: str = "zh"
    voice_prompt: str = ""
    preview_text: str = ""

    def listing(self) -> dict[str, Any]:
        """Return the voice as the list and query actions show it."""
        stamp = self.created.strftime("%Y-%m-%d %H:%M:%S")
        item: dict[str, Any] = {
            "voice": self.voice,
            "target_model": self.target_model,
            "language": self.language,
            "gmt_create": stamp,
            "gmt_modified": stamp,
        }
        if self.kind == "vd":
            item |= {"voice_prompt": self.voice_prompt, "preview_text": self.preview_text}
        return item


@dataclass(slots=True)
class VoiceRequest:
    """One request the API received: which model and action, and the HTTP status answered."""

    model: str
    action: str
    status: int
    body: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass(frozen=True, slots=True)
class CannedReply:
    """An answer given as it is to a request, whatever it asked: a broken or hostile service.

    `chunked` sends the body without a Content-Length, in pieces. `content_length` declares a
    length of its own: with a shorter body, the connection closes after it.
    """

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    chunked: bool = False
    content_length: int | None = None

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> CannedReply:
        """Answer `payload` as JSON."""
        headers = {"Content-Type": "application/json"}
        return cls(status, json.dumps(payload).encode(), headers)

    @classmethod
    def redirect(cls, location: str, status: int = 307) -> CannedReply:
        """Send the client elsewhere."""
        return cls(status, headers={"Location": location})


@dataclass(slots=True)
class VoiceStore:
    """The account's custom voices; tests seed voices, set `limit` or queue `failures`.

    `failures` holds (status, code, message) answers given, in order, to the next requests;
    `create_failures` answers to the next creates only, which make nothing. `failures_after_create`
    answers the next creates after they made the voice (billed work whose answer is an error), and
    `create_delay` is how long a create takes before it makes the voice and answers.
    `replies` answers given as they are, in order, to the next requests (before `failures`).
    `fallback_reason` makes every clone answer in the degraded mode with that reason.
    `page_size`, when set, is how many voices a list page holds, whatever was asked.
    `listed_twice` holds ids a list answer shows twice (as a page shifted by a concurrent change
    does), and `delete_failures` answers a delete of an id with its failure (nothing deleted).
    """

    voices: dict[str, StoredVoice] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    requests: list[VoiceRequest] = field(default_factory=list)
    failures: list[tuple[int, str, str]] = field(default_factory=list)
    replies: list[CannedReply] = field(default_factory=list)
    limit: int = MAX_VOICES
    delay: float = 0.0
    fallback_reason: str | None = None
    create_failures: list[tuple[int, str, str]] = field(default_factory=list)
    failures_after_create: list[tuple[int, str, str]] = field(default_factory=list)
    create_delay: float = 0.0
    page_size: int | None = None
    listed_twice: set[str] = field(default_factory=set)
    delete_failures: dict[str, tuple[int, str, str]] = field(default_factory=dict)

    def add(
        self,
        name: str,
        kind: Literal["vd", "vc"],
        target_model: str | None = None,
        *,
        voice_id: str | None = None,
    ) -> str:
        """Create a voice directly (no request); return its id (`voice_id`, or a fresh one)."""
        target = target_model or TARGETS[kind][0]
        voice_id = voice_id or new_voice_id(kind, name)
        self.voices[voice_id] = StoredVoice(voice_id, kind, target, datetime.now())
        return voice_id

    def target_models(self) -> dict[str, str]:
        """Return the model each voice was made for, by voice id."""
        return {v.voice: v.target_model for v in self.voices.values()}

    def actions(self, action: str) -> list[VoiceRequest]:
        """Return the requests of one action (`create`, `list`...), in arrival order."""
        return [r for r in self.requests if r.action == action]


VOICE_STORE: Final = web.AppKey("voice_store", VoiceStore)


def new_voice_id(kind: str, name: str) -> str:
    """Return a fresh id in the service's form: kind, preferred name, time, a random tail."""
    now = datetime.now()
    stamp = now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}"
    return f"qwen-tts-{kind}-{name}-voice-{stamp}-{secrets.token_hex(2)}"
