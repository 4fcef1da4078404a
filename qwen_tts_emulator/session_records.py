"""What the emulator records of each connection, for tests to read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
import uuid

from .scenario import TUNABLE_SETTINGS, Fault, ModelSpec


def new_id(prefix: str) -> str:
    """Return an id in the service's style, e.g. `event_…`, `resp_…`, `sess_…`."""
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


@dataclass(slots=True)
class ReceivedEvent:
    """One client event as the server read it; `at` is the event loop's time on arrival."""

    type: str
    payload: dict[str, Any]
    at: float


@dataclass(slots=True)
class SessionRecord:
    """Everything one accepted WebSocket did; `pcm` is what the client received, decoded."""

    index: int
    model: str
    headers: dict[str, str]
    opened_at: float
    session_id: str
    config: dict[str, Any]
    received: list[ReceivedEvent] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    closed_by_client: bool = False
    closed_idle: bool = False  # closed by the server for getting no client event in time
    closed_at: float | None = None
    close_code: int | None = None
    usage_characters: int = 0
    faults_fired: list[Fault] = field(default_factory=list)
    _pcm: bytearray = field(default_factory=bytearray, repr=False)
    _audio: bytearray = field(default_factory=bytearray, repr=False)

    @property
    def pcm(self) -> bytes:
        """Return the PCM sent in this session: wav headers excluded, empty for mp3/opus."""
        return bytes(self._pcm)

    @property
    def audio(self) -> bytes:
        """Return every audio delta's bytes as sent, in the session's response format."""
        return bytes(self._audio)

    def add_sent(
        self, event_type: str, *, pcm: bytes = b"", audio: bytes = b"", usage: int = 0
    ) -> None:
        """Record an event as sent, with the audio it carried and the characters it billed."""
        self.sent.append(event_type)
        self._pcm += pcm
        self._audio += audio
        self.usage_characters += usage

    def header(self, name: str) -> str | None:
        """Return a request header, matching its name case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)

    def received_types(self) -> list[str]:
        """Return the types of the client events, in arrival order."""
        return [event.type for event in self.received]


def default_config(model: str, spec: ModelSpec | None = None) -> dict[str, Any]:
    """Return the session settings in force before any `session.update`."""
    config: dict[str, Any] = {
        "model": model,
        "mode": "server_commit",
        "voice": "Cherry",
        "language_type": "Auto",
        "response_format": "pcm",
        "sample_rate": 24000,
        "speech_rate": 1.0,
        "volume": 50,
        "pitch_rate": 1.0,
        "bit_rate": 128,
    }
    if spec is not None and not spec.tunable:
        for name in TUNABLE_SETTINGS:
            del config[name]
    return config
