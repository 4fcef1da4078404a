"""Drive the client through fuzzed sessions and check every invariant on every one.

Each seed picks the path (a whole message in `commit` mode, or streamed text in `server_commit`
mode), whether a spare is kept, how the consumer reads (eagerly, slowly, stopping early, or
cancelled, as Home Assistant cancels a stream whose player went away), the text, and the plan
of each connection. After each session:

- it ended within the client's own stated bounds (its timeouts, shortened here);
- it succeeded only when the protocol proves its session complete, and then yielded exactly
  that session's audio; otherwise it raised one of the client's typed errors, having yielded a
  prefix of the audio of properly created responses, never other bytes;
- once the client is closed, no socket of the session is left open.

Every `block` sessions, with none in flight, no task of the client is left and the memory traced
is back where it was; the peak memory of each block stays within a bound per session.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
import contextlib
from dataclasses import dataclass, field
import gc
import random
import time
import tracemalloc
from typing import Final, Literal

import aiohttp

from custom_components.qwen_tts_realtime.realtime import (
    RealtimeClient,
    RealtimeError,
    SessionConfig,
    model_info,
)
from custom_components.qwen_tts_realtime.realtime.client import RETRY_DELAY
from custom_components.qwen_tts_realtime.realtime.timing import (
    CLOSE_TIMEOUT,
    MAX_FRAME_BYTES,
    READ_AHEAD_BYTES,
    KeepAlive,
    Timeouts,
)

from ..helpers import eventually
from .oracle import Judgement, judge
from .plans import Mode, plan_for
from .server import FuzzServer, FuzzSession

MODEL: Final = "qwen3-tts-flash-realtime"
CONFIG: Final = SessionConfig(model=model_info(MODEL), voice="Cherry")
TEXTS: Final = (
    "Hello.",
    "The lights are on.",
    "Turning on the living room lights and setting them to a warm white.",
    "今天天气很好。",
    "It is 21 degrees. 湿度百分之四十。",
    "OK",
)
# The client's bounds, shortened as the fault tests do; long enough that a loaded machine never
# reaches them in a session that the server answers at once.
TIMEOUTS: Final = Timeouts(connect=2.0, first_audio=1.0, audio=1.0, send=1.0, synthesize=4.0)
KEEP_ALIVE: Final = KeepAlive(ping=0.03, pong=0.05, min_lifetime=0.05, retry=0.01, max_retry=0.05)
_ATTEMPTS: Final = 3  # a dead spare, a fresh socket, and its one retry
# The most a session may last: every attempt's handshake and its wait for the service to accept
# the session, first audio, the longest silence, a send, and a close; then the retry's pause.
_ATTEMPT_BOUND: Final = (
    2 * TIMEOUTS.connect + TIMEOUTS.first_audio + TIMEOUTS.audio + TIMEOUTS.send + CLOSE_TIMEOUT
)
STATED_BOUND: Final = _ATTEMPTS * _ATTEMPT_BOUND + RETRY_DELAY
SCHEDULING_SLACK: Final = 2.0  # a loaded machine's event loop lag, on top of the bound
_CLOSE_GUARD: Final = 3 * CLOSE_TIMEOUT  # how long sockets may take to close after close()
# What one session may hold at its peak: the server's and the client's copies of the largest
# frame (its text, its bytes, the decoded JSON and audio), and the read-ahead.
SESSION_MEMORY: Final = 8 * MAX_FRAME_BYTES + 2 * READ_AHEAD_BYTES
_LEAK_SLACK: Final = 8 * 1024 * 1024  # what caches and free lists may keep between blocks

type Consumer = Literal["eager", "slow", "stops", "cancelled"]
type Ending = Literal["finished", "stopped", "cancelled"]


@dataclass(slots=True)
class Violation:
    """An invariant that did not hold, with the seed that reproduces it."""

    seed: int
    invariant: str
    detail: str

    def __str__(self) -> str:
        return f"seed {self.seed}: {self.invariant}: {self.detail}"


@dataclass(slots=True)
class FuzzSettings:
    """How many sessions, from which seed, how many at once, and whether memory is traced."""

    sessions: int
    first_seed: int = 0
    concurrency: int = 8
    block: int = 100
    trace_memory: bool = True


@dataclass(slots=True)
class Report:
    """What a fuzzing run found."""

    sessions: int = 0
    violations: list[Violation] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    mutations: dict[str, int] = field(default_factory=dict)
    paths: dict[str, int] = field(default_factory=dict)
    judgements: dict[str, int] = field(default_factory=dict)  # what the oracle allowed
    connections: int = 0
    longest: float = 0.0
    peak_block_memory: int = 0
    settled_memory: int | None = None  # traced after the first block
    seconds: float = 0.0

    def count(self, table: dict[str, int], key: str) -> None:
        table[key] = table.get(key, 0) + 1


@dataclass(slots=True)
class _Case:
    """What a seed chose for its session."""

    seed: int
    mode: Mode
    spare: bool
    consumer: Consumer
    pieces: list[str]

    @property
    def path(self) -> str:
        path = "whole message" if self.mode == "commit" else "streamed text"
        return f"{path}, {'spare' if self.spare else 'no spare'}"


def _case(seed: int) -> _Case:
    rng = random.Random(seed)
    mode: Mode = rng.choice(["commit", "server_commit"])
    text = rng.choice(TEXTS)
    pieces = [text]
    if mode == "server_commit" and len(text) > 4:
        cut = sorted(rng.sample(range(1, len(text)), k=min(2, len(text) - 1)))
        pieces = [text[a:b] for a, b in zip([0, *cut], [*cut, len(text)], strict=True)]
    consumers: list[Consumer] = ["eager", "slow", "stops", "cancelled"]
    consumer = rng.choices(consumers, weights=[6, 3, 1, 1])[0]
    return _Case(seed, mode, rng.random() < 0.5, consumer, pieces)


async def _text(case: _Case, rng: random.Random) -> AsyncIterator[str]:
    for piece in case.pieces:
        yield piece
        await asyncio.sleep(rng.choice([0, 0, 0.001, 0.005]))


async def _consume(case: _Case, audio: AsyncIterator[bytes], chunks: list[bytes]) -> bool:
    """Read the audio as the case's consumer does; return False when it stopped early."""
    rng = random.Random(f"{case.seed}:consumer")
    async for chunk in audio:
        chunks.append(chunk)
        if case.consumer == "slow":
            await asyncio.sleep(rng.choice([0, 0.001, 0.01, 0.2 if len(chunks) == 1 else 0]))
        elif case.consumer == "stops" and rng.random() < 0.3:
            return False
    return True


async def _session(
    server: FuzzServer, http: aiohttp.ClientSession, seed: int, report: Report
) -> None:
    case = _case(seed)
    session = FuzzSession(
        str(seed), lambda index: plan_for(random.Random(f"{seed}:{index}"), case.mode)
    )
    server.add(session)
    client = RealtimeClient(http, session.key, server.url, timeouts=TIMEOUTS, keep_alive=KEEP_ALIVE)
    rng = random.Random(f"{seed}:harness")
    chunks: list[bytes] = []
    if case.spare:
        client.keep_warm([MODEL])
        if rng.random() < 0.7:  # let the spare sit idle a while (pinged, sent idle frames)
            await _settle(client, session)
            await asyncio.sleep(rng.choice([0, 0.01, 0.1]))
    started = time.monotonic()
    listening = asyncio.create_task(_listen(case, client, rng, chunks))
    if case.consumer == "cancelled":  # as Home Assistant does when a player goes away
        await asyncio.sleep(rng.choice([0, 0.001, 0.005, 0.02, 0.1]))
        listening.cancel()
    await asyncio.wait((listening,))
    elapsed = time.monotonic() - started
    error: BaseException | None = None
    ending: Ending = "cancelled"
    if not listening.cancelled() and (error := listening.exception()) is None:
        ending = listening.result()
    await client.close()
    _check(case, session, chunks, error, ending, elapsed, report)
    await _check_closed(case, session, report)
    server.remove(session)


async def _listen(
    case: _Case, client: RealtimeClient, rng: random.Random, chunks: list[bytes]
) -> Ending:
    """Ask for the case's speech and read it as its consumer does."""
    if case.mode == "commit":
        audio = client.synthesize(CONFIG, "".join(case.pieces))
    else:
        audio = client.stream(CONFIG, _text(case, rng))
    async with contextlib.aclosing(audio):
        return "finished" if await _consume(case, audio, chunks) else "stopped"


async def _settle(client: RealtimeClient, session: FuzzSession) -> None:
    """Wait until the spare connected, or its connection ended or was refused."""
    with contextlib.suppress(TimeoutError):
        await eventually(
            lambda: bool(
                client.spares_state()[MODEL]["spare_connected"]
                or any(r.ended or r.plan.refuse for r in session.connections)
            ),
            limit=1.0,
        )


def _check(
    case: _Case,
    session: FuzzSession,
    chunks: list[bytes],
    error: BaseException | None,
    ending: Ending,
    elapsed: float,
    report: Report,
) -> None:
    report.sessions += 1
    report.connections += len(session.connections)
    report.longest = max(report.longest, elapsed)
    report.count(report.paths, case.path)
    for record in session.connections:
        for name in record.plan.mutations:
            report.count(report.mutations, name)
    characters = len("".join(case.pieces))
    used = [r for r in session.connections if r.update_at is not None]
    judgement = judge(used[-1], characters) if used else Judgement("failure", b"", "no session")
    report.count(report.judgements, judgement.outcome)
    audio = b"".join(chunks)

    def violated(invariant: str, detail: str) -> None:
        mutations = [r.plan.mutations for r in session.connections]
        context = f"{detail} [{case.path}, {case.consumer}, mutations {mutations}]"
        report.violations.append(Violation(case.seed, invariant, context))

    if elapsed > STATED_BOUND + SCHEDULING_SLACK:
        violated("ends within its bounds", f"took {elapsed:.1f} s")
    if error is not None:
        report.count(report.outcomes, "typed error")
        report.count(report.errors, type(error).__name__)
        if not isinstance(error, RealtimeError):
            violated("raises only typed errors", repr(error))
        elif judgement.outcome == "success":
            violated("succeeds when complete", f"raised {error!r}")
    elif ending != "finished":
        report.count(report.outcomes, f"{ending} by the consumer")
    else:
        report.count(report.outcomes, "success")
        if judgement.outcome == "failure":
            violated("succeeds only when complete", judgement.reason)
        expected = judgement.audio[: len(judgement.audio) - len(judgement.audio) % 2]
        if audio != expected:
            violated("yields the session's audio", f"{len(audio)} bytes, {len(expected)} sent")
        return
    if not judgement.audio.startswith(audio):
        violated("yields a prefix of the audio sent", f"{len(audio)} bytes not a prefix")


async def _check_closed(case: _Case, session: FuzzSession, report: Report) -> None:
    with contextlib.suppress(TimeoutError):
        await eventually(lambda: not session.open_connections, limit=_CLOSE_GUARD)
    if session.open_connections:
        left = [
            f"connection {index} {r.plan.mutations}: received {r.received}, sent {len(r.sent)}"
            for index, r in enumerate(session.connections)
            if not r.ended and r.plan.refuse is None
        ]
        report.violations.append(
            Violation(case.seed, "leaves no socket open", f"{case.consumer}: {'; '.join(left)}")
        )


def _client_tasks() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("qwen_tts")]


async def fuzz(settings: FuzzSettings) -> Report:
    """Run `settings.sessions` fuzzed sessions; return what was found."""
    report = Report()
    started = time.monotonic()
    server = FuzzServer()
    await server.start()
    tracing = settings.trace_memory and not tracemalloc.is_tracing()
    if tracing:
        tracemalloc.start()
    try:
        async with aiohttp.ClientSession() as http:
            seeds = range(settings.first_seed, settings.first_seed + settings.sessions)
            for block in _blocks(seeds, settings.block):
                await _block(server, http, block, settings, report)
    finally:
        if tracing:
            tracemalloc.stop()
        await server.stop()
    report.seconds = time.monotonic() - started
    return report


def _blocks(seeds: Iterable[int], size: int) -> Iterable[list[int]]:
    block: list[int] = []
    for seed in seeds:
        block.append(seed)
        if len(block) == size:
            yield block
            block = []
    if block:
        yield block


async def _block(
    server: FuzzServer,
    http: aiohttp.ClientSession,
    seeds: list[int],
    settings: FuzzSettings,
    report: Report,
) -> None:
    """Run a block of sessions, a few at a time; then check that nothing is left behind."""
    tracing = tracemalloc.is_tracing()
    if tracing:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
    slots = asyncio.Semaphore(settings.concurrency)

    async def one(seed: int) -> None:
        async with slots:
            await _session(server, http, seed, report)

    await asyncio.gather(*(one(seed) for seed in seeds))
    where = f"{seeds[0]}..{seeds[-1]}"
    if tasks := _client_tasks():
        names = sorted({t.get_name() for t in tasks})
        report.violations.append(Violation(seeds[0], "leaves no task behind", f"{where}: {names}"))
    if tracing:
        _, peak = tracemalloc.get_traced_memory()
        gc.collect()  # what is left is held, not merely waiting for the cycle collector
        current = tracemalloc.get_traced_memory()[0]
        report.peak_block_memory = max(report.peak_block_memory, peak - before)
        if peak - before > settings.concurrency * SESSION_MEMORY:
            detail = f"{where}: peak {peak - before} bytes"
            report.violations.append(Violation(seeds[0], "holds bounded memory", detail))
        # The first block fills caches and pools; after it, memory must come back each time.
        if report.settled_memory is None:
            report.settled_memory = current
        elif current - report.settled_memory > _LEAK_SLACK:
            detail = f"{where}: {current - report.settled_memory} bytes more than after the first"
            report.violations.append(Violation(seeds[0], "leaks no memory", detail))
