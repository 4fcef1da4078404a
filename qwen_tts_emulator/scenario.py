"""What the emulated service does: model catalogue, pacing and injected faults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from custom_components.qwen_tts_realtime.realtime.catalog import (
    AUTO_LANGUAGE_TYPE,
    DEFAULT_MODEL,
    LANGUAGE_TYPES as CATALOGUE_LANGUAGES,
    MODELS,
    Format,
    ModelInfo,
)

type FaultKind = Literal[
    "error",
    "close",
    "stall",
    "malformed",
    "frame",
    "noise",
    "trickle",
    "endless",
    "huge",
    "finish",
    "incomplete",
    "stop_reading",
    "no_pong",
]
type FaultPoint = Literal[
    "after_created",
    "after_update",
    "before_audio",
    "mid_stream",
    "after_response_done",
]
type VoiceEngine = Literal["tone", "espeak"]

# The settings a model without `tunable` ignores (and does not report).
TUNABLE_SETTINGS: tuple[str, ...] = ("speech_rate", "volume", "pitch_rate", "bit_rate")
# The vendor's models, voices, formats and rates are stated once, in the client's catalogue: both
# copy the same documentation, and a hand-kept second copy only drifts. What the emulator adds is
# behaviour (custom voice ids, usage units, validation), defined here and in the server.
ALL_FORMATS: tuple[str, ...] = tuple(Format)
ALL_SAMPLE_RATES: tuple[int, ...] = ModelInfo("", ()).accepted_sample_rates
LANGUAGE_TYPES: tuple[str, ...] = (AUTO_LANGUAGE_TYPE, *CATALOGUE_LANGUAGES.values())
# The prefix of the voice ids the vc/vd models speak (the ids the voices API creates).
_CUSTOM_VOICE_PREFIXES: dict[str, str] = {"-vc-": "qwen-tts-vc-", "-vd-": "qwen-tts-vd-"}


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """What one model accepts in `session.update`.

    `voices` lists the system voices; `voice_prefixes` admits custom voice ids (the cloned and
    designed voices of the vc/vd models) of the account, and only on the model they were made
    for. A voice is valid when either admits it.
    `tunable` says whether speech_rate/volume/pitch_rate apply (ignored otherwise, not rejected).
    `usage` is what `response.done` reports: billed characters, or tokens for `qwen-tts-realtime`.
    """

    voices: tuple[str, ...] = MODELS[DEFAULT_MODEL].voices
    voice_prefixes: tuple[str, ...] = ()
    instructions: bool = False
    tunable: bool = True
    formats: tuple[str, ...] = ALL_FORMATS
    sample_rates: tuple[int, ...] = ALL_SAMPLE_RATES
    usage: Literal["characters", "tokens"] = "characters"

    def accepts_voice(self, voice: str, model: str, created: Mapping[str, str]) -> bool:
        """Return whether `voice` is valid for `model`; `created` maps custom voices to theirs."""
        if voice in self.voices:
            return True
        return any(voice.startswith(p) for p in self.voice_prefixes) and created.get(voice) == model


def default_models() -> dict[str, ModelSpec]:
    """Return the model catalogue of PROTOCOL.md, keyed by model name."""
    return {name: _spec(model) for name, model in MODELS.items()}


def _spec(model: ModelInfo) -> ModelSpec:
    prefixes = tuple(p for marker, p in _CUSTOM_VOICE_PREFIXES.items() if marker in model.name)
    return ModelSpec(
        voices=model.voices,
        voice_prefixes=prefixes,
        instructions=model.instructions,
        tunable=model.prosody,
        formats=tuple(model.formats),
        sample_rates=model.accepted_sample_rates,
        # qwen-tts-realtime (and its snapshots) report tokens; the qwen3 models characters.
        usage="tokens" if model.name.startswith("qwen-tts-") else "characters",
    )


@dataclass(slots=True)
class Fault:
    """One injected misbehaviour, fired at most once per connection.

    `at` picks the point; `response` (0-based, per connection) selects the response for the
    points inside or after a response; `deltas` is how many audio deltas of that response go out
    before a `mid_stream` fault (capped at the response's delta count).
    `connection` (0-based, in accept order over the emulator's life) limits the fault to one
    connection; None means every connection. `times` caps how many connections it fires on in
    all (None: no cap), e.g. `times=1` fails whichever socket first reaches the point; `fired`
    counts them.

    kind "error": sends an `error` event (`code`, `message`, `param`), then `then` decides:
    "continue" the session normally, "stop" sending anything more (the server still reads and
    waits for the client to close), or "close" with a close frame (`close_code`, default 1000).
    kind "close": `close_code` None aborts the TCP connection without a close frame; a number
    sends a close frame with that code. No `session.finished` either way.
    kind "stall": nothing more is sent for `seconds` (None: until the client closes).
    kind "malformed": sends `repeat` non-JSON text frames (or one binary frame when `binary`),
    then goes on.
    kind "frame": sends `frame` as is (a dict as JSON, a str as raw text), then goes on: events
    the service might send one day, or broken ones. A dict's empty `response_id` becomes the id
    of the response the fault fires in (a delta of that response, sent out of place).
    Hostile kinds, after which nothing else is sent: "noise" sends an unknown event (`frame`, if
    a dict) every `seconds` (default 0.01) forever; "trickle" a one-byte audio delta every
    `seconds` forever; "endless" audio deltas (of `size` bytes each, if given) forever, as fast
    as they are read; "huge" one audio delta frame of `size` bytes; "finish"
    `session.finished` (then closes), wherever it is.
    "incomplete" ends the current response with a `response.done` of `status` (default
    "incomplete"), without the rest of its audio, and goes on with the next one.
    "stop_reading" stops reading the socket for `seconds` (default 1): the client's sends block
    once the buffers are full.
    "no_pong" leaves every later WebSocket ping unanswered (the socket is read as before): a
    router on the way that lost the connection, or a service that stopped answering pings.
    """

    kind: FaultKind
    at: FaultPoint
    response: int = 0
    deltas: int = 1
    connection: int | None = None
    code: str = "InternalError"
    message: str = "Internal server error."
    param: str | None = None
    then: Literal["continue", "stop", "close"] = "stop"
    close_code: int | None = None
    seconds: float | None = None
    binary: bool = False
    times: int | None = None
    fired: int = field(default=0, compare=False)
    frame: dict[str, Any] | str | None = None
    size: int = 0
    status: str = "incomplete"
    repeat: int = 1


@dataclass(slots=True)
class Scenario:
    """Behaviour of the emulator; read by each connection when it is accepted.

    `api_keys` None accepts any non-empty key. `handshake_status` refuses every handshake with
    that HTTP status, its JSON body naming `handshake_code` (None: the service's usual code for
    the status; "": no body at all). `realtime_factor` is wall seconds per audio second (0 = as
    fast as possible). `commit_finish_flushes`: whether `session.finish` in
    commit mode also synthesizes uncommitted text (default: discarded). `usage_reported`: whether
    `response.done` carries `usage` (False: a service that stops reporting it);
    `reported_characters`, when set, is the count every `usage` reports whatever the text.
    `idle_close_after`: seconds after which a socket that got no client event is closed (code
    1000), as a service does with unused sockets; None keeps them open.
    `undeployed_models`: models the workspace has not deployed. A workspace gateway (a host
    under maas.aliyuncs.com) refuses their handshake with 403 `AccessDenied.Unpurchased`; a
    shared host serves them.
    """

    api_keys: frozenset[str] | None = None
    handshake_status: int | None = None
    handshake_code: str | None = None
    handshake_delay: float = 0.0
    models: dict[str, ModelSpec] = field(default_factory=default_models)
    first_audio_delay: float = 0.0
    realtime_factor: float = 0.0
    delta_bytes: int = 4800
    voice_engine: VoiceEngine = "tone"
    faults: list[Fault] = field(default_factory=list)
    commit_finish_flushes: bool = False
    usage_reported: bool = True
    reported_characters: int | None = None
    idle_close_after: float | None = None
    undeployed_models: frozenset[str] = frozenset()
