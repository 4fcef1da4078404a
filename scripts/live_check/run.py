"""Run every probe against one target; compare the answers with the catalogue and the emulator."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Final

import aiohttp

from custom_components.qwen_tts_realtime.realtime import DEFAULT_MODEL, SELECTABLE_MODELS
from custom_components.qwen_tts_realtime.realtime.catalog import MODELS
from qwen_tts_emulator import billed_characters

from . import probes
from .probes import FORMAT_TEXTS, FORMATS, VOICE_TEXT, Answer, Idle, Response, Target
from .regions import RegionAnswer, survey
from .timing import FIRST_AUDIO_RUNS, TIMING_TEXT, Timing, first_audio, handshakes

# Documented requests per minute, per model; pacing stays a quarter below them.
RATE_LIMITS: Final = {"qwen3-tts-flash-realtime-2025-09-18": 10}
DEFAULT_RATE_LIMIT: Final = 180
PACING_MARGIN: Final = 1.25
VOICE_PROBES_AT_ONCE: Final = 4  # sockets open at once while checking voices
RATES: Final = MODELS[DEFAULT_MODEL].accepted_sample_rates  # the undocumented ones too


def voice_models(names: Iterable[str] = ()) -> list[str]:
    """The catalogue's models with system voices, or those of `names`."""
    chosen = set(names)
    return [m.name for m in SELECTABLE_MODELS if m.voices and (not chosen or m.name in chosen)]


def bill_cap(models: Iterable[str]) -> int:
    """The most characters a check of `models` may bill: every text it ever commits."""
    voices = sum(len(MODELS[model].voices) for model in models)
    formats = len(FORMATS) * len(RATES)
    return (
        2 * FIRST_AUDIO_RUNS * billed_characters(TIMING_TEXT)
        + voices * billed_characters(VOICE_TEXT)
        + formats * sum(billed_characters(text) for text in FORMAT_TEXTS)
    )


class Pacer:
    """Space the sockets opened per model so that the service's rate limits are never reached."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._next: dict[str, float] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def __call__(self, model: str) -> None:
        if not self._enabled:
            return
        loop = asyncio.get_running_loop()
        async with self._locks[model]:
            await asyncio.sleep(max(0.0, self._next.get(model, 0.0) - loop.time()))
            interval = 60 / RATE_LIMITS.get(model, DEFAULT_RATE_LIMIT) * PACING_MARGIN
            self._next[model] = loop.time() + interval


@dataclass(slots=True)
class Result:
    """Everything one target answered."""

    endpoint: str
    timing: Timing | None = None
    voices: dict[str, dict[str, Answer]] = field(default_factory=dict)
    formats: dict[str, Answer] = field(default_factory=dict)
    errors: dict[str, Answer] = field(default_factory=dict)
    idle: Idle | None = None
    regions: list[RegionAnswer] = field(default_factory=list)  # those that took the key

    def responses(self) -> list[Response]:
        """Every response the target sent, from every probe."""
        answers = [*self.formats.values(), *(a for v in self.voices.values() for a in v.values())]
        return [response for answer in answers for response in answer.responses]

    def usage_characters(self) -> int:
        """The characters the target's `usage` says it billed for the probes."""
        return sum(int(r.usage.get("characters", 0)) for r in self.responses())

    def billed(self) -> int:
        """Those, and the timing runs' by the billing rule (the client does not show `usage`)."""
        runs = (
            self.timing.cold_first_audio_ms + self.timing.warm_first_audio_ms if self.timing else []
        )
        return self.usage_characters() + len(runs) * billed_characters(TIMING_TEXT)


async def check(
    http: aiohttp.ClientSession,
    target: Target,
    *,
    models: list[str],
    idle_wait: float,
    timed: bool,
    paced: bool,
    regions: bool = False,
    workspace: str | None = None,
) -> Result:
    """Run the probes; the idle socket waits alongside the others.

    With `regions`, every vendor region (and, with a workspace, its gateways) is asked too.
    """
    result = Result(target.endpoint)
    pace = Pacer(paced)
    if timed:  # first: a refused key ends the check here
        result.timing = Timing()
        await handshakes(http, target, result.timing)
    idle = asyncio.create_task(probes.idle(http, target, idle_wait)) if idle_wait > 0 else None
    try:
        if result.timing is not None:
            await first_audio(http, target, result.timing, pace)
        gate = asyncio.Semaphore(VOICE_PROBES_AT_ONCE)

        async def voice(model: str, name: str) -> Answer:
            async with gate:
                await pace(model)
                return await probes.voice(http, target, model, name)

        for model in models:
            names = MODELS[model].voices
            answers = await asyncio.gather(*(voice(model, name) for name in names))
            result.voices[model] = dict(zip(names, answers, strict=True))
        for response_format in FORMATS:
            for rate in RATES:
                await pace(DEFAULT_MODEL)
                answer = await probes.audio_format(http, target, response_format, rate)
                result.formats[f"{response_format} at {rate} Hz"] = answer
        errors: dict[str, Callable[[aiohttp.ClientSession, Target], Awaitable[Answer]]] = {
            "unknown voice": probes.unknown_voice,
            "unknown model": probes.unknown_model,
            "over-long instructions": probes.long_instructions,
            "wrong key": probes.wrong_key,
        }
        for name, probe in errors.items():
            await pace(DEFAULT_MODEL)
            result.errors[name] = await probe(http, target)
        if regions:
            realtime = [model.name for model in SELECTABLE_MODELS]
            result.regions = await survey(http, target.api_key, realtime, workspace, pace)
        if idle is not None:
            result.idle = await idle
    finally:
        if idle is not None and not idle.done():
            idle.cancel()
            await asyncio.wait((idle,))
    return result


def facts(result: Result) -> dict[str, str]:
    """What is compared, one readable line name per fact."""
    found: dict[str, str] = {}
    for model, answers in result.voices.items():
        for name, answer in answers.items():
            found[f"{model}: voice {name}"] = answer.fact
    for key, answer in result.formats.items():
        found[key] = answer.fact
        for number, response in enumerate(answer.responses, start=1):
            found[f"{key}: response {number} starts with"] = response.starts_with
    for key, answer in result.errors.items():
        found[key] = f"{answer.fact}: {answer.message}" if key == "unknown model" else answer.fact
    if result.idle is not None:
        found["idle socket"] = result.idle.fact
    responses = result.responses()
    found["usage fields of response.done"] = ", ".join(
        sorted({key for r in responses for key in r.usage})
    )
    wrong = [r.text for r in responses if r.usage.get("characters") != billed_characters(r.text)]
    found["usage.characters follows the billing rule"] = "no" if wrong else "yes"
    return found


def catalogue_facts(models: Iterable[str]) -> dict[str, str]:
    """What the integration's catalogue promises."""
    found = {f"{m}: voice {name}": "accepted" for m in models for name in MODELS[m].voices}
    for response_format in FORMATS:
        for rate in RATES:
            supported = response_format in MODELS[DEFAULT_MODEL].formats
            found[f"{response_format} at {rate} Hz"] = "accepted" if supported else "refused"
    return found


def differences(live: Result, reference: Result) -> list[str]:
    """One line per fact where the service answered otherwise than the catalogue or emulator."""
    lines = []
    promised = catalogue_facts(live.voices)
    emulated = facts(reference)
    for key, answer in facts(live).items():
        if key in promised and promised[key] != answer.split(" (")[0]:
            lines.append(f"{key}: the catalogue says {promised[key]}, the service {answer}")
        if key in emulated and emulated[key] != answer:
            lines.append(f"{key}: the emulator says {emulated[key]}, the service {answer}")
    return lines
