"""Spare sockets: one connection per model opened ahead, so an utterance skips the handshake.

A spare is connected but idle: `session.update` goes out only when an utterance takes it, it
carries one session and is closed like any other connection. Taking a spare opens its
replacement at once. The spare's reader notices while it waits when the service closes it or
sends anything but `session.created`, and every idle spare is pinged: a spare that is lost, or
misses its pong, is discarded and never offered. A spare whose reader has ended is not offered
either.

With an idle timeout, a spare nobody took for that long is closed and not replaced until the
next utterance of its model or the next `ensure()`; the idle clock runs only while no utterance
of the model is under way, so that a long answer leaves the next one a whole window. Without an
idle timeout (kept for ever), a spare the service closes is reopened under the `KeepAlive`
rules: never more often than the service's own idle timeout, with back-off after failures, and
not at all after too many failures in a row. Either way a refused or failed handshake starts
the same back-off, which no wake of a satellite shortens: while the service refuses or is
down, nothing is opened before the delay ends, and the streak is logged once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
import logging
from typing import Any

from .connection import Connection
from .errors import AccountError, AuthenticationError, RealtimeError
from .timing import KeepAlive

_LOGGER = logging.getLogger(__name__)


@dataclass(eq=False, slots=True)
class _Spare:
    model: str
    task: asyncio.Task[Connection] | None = None
    conn: Connection | None = None
    opened_at: float = 0.0
    expiry: asyncio.TimerHandle | None = field(default=None, repr=False)
    pinger: asyncio.TimerHandle | None = field(default=None, repr=False)
    pong_check: asyncio.TimerHandle | None = field(default=None, repr=False)


@dataclass(slots=True)
class _Health:
    """How the spares of one model have fared, and what that allows."""

    failures: int = 0  # in a row
    retry_at: float = 0.0  # loop time before which no spare is opened
    idle_lifetime: float | None = None  # how long the service kept the last idle spare
    last_open: float | None = None
    gave_up: str | None = None  # why no spare is reopened by the pool itself any more
    answering: int = 0  # utterances of the model under way: its spare is not idle meanwhile
    reopen: asyncio.TimerHandle | None = field(default=None, repr=False)


class SparePool:
    """The spare sockets of one client, keyed by model (the URL carries the model)."""

    def __init__(
        self, connect: Callable[[str], Awaitable[Connection]], keep_alive: KeepAlive
    ) -> None:
        self._connect = connect
        self._keep_alive = keep_alive
        self._models: frozenset[str] = frozenset()
        self._idle_timeout: float | None = None
        self._spares: dict[str, _Spare] = {}
        self._health: dict[str, _Health] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def configure(self, models: Iterable[str], idle_timeout: float | None) -> None:
        """Allow a spare for each of `models` (and none for any other); open nothing yet.

        `idle_timeout` None keeps each spare for ever, reopened when the service closes it.
        """
        if idle_timeout is not None and not idle_timeout > 0:
            raise ValueError("idle_timeout must be positive")
        self._models = frozenset(models)
        self._idle_timeout = idle_timeout
        for model in [m for m in self._spares if m not in self._models]:
            self._close_spare(self._spares.pop(model))
        for model in [m for m in self._health if m not in self._models]:
            self._cancel_reopen(self._health.pop(model))
        for model in self._models:
            self._health.setdefault(model, _Health())

    def ensure(self, model: str) -> None:
        """Make sure a spare of `model` is open or opening; idempotent, so safe to call often.

        A spare already waiting gets its idle timer restarted: someone is about to speak.
        Nothing opens while the model's back-off lasts.
        """
        spare = self._spares.get(model)
        if spare is None:
            self._open_spare(model)
        elif spare.expiry is not None:
            self._restart_idle_clock(spare)

    def keeps(self, model: str) -> bool:
        """Return True when `model` may have a spare."""
        return model in self._models

    async def ready(self, model: str) -> bool:
        """Wait until the spare of `model` has connected; raise why it could not.

        Return False when no spare of `model` is open or opening (backing off).
        """
        spare = self._spares.get(model)
        if spare is None or spare.task is None:
            return False
        await asyncio.wait((spare.task,))
        if (err := spare.task.exception()) is not None:
            raise err
        return True

    def state(self) -> dict[str, dict[str, Any]]:
        """Return, per model, whether a spare waits and how the kept-open ones have fared."""
        return {
            model: {
                "spare_connected": self._connected(model),
                "failures_in_a_row": (health := self._health.get(model, _Health())).failures,
                "service_idle_timeout": health.idle_lifetime,
                "gave_up": health.gave_up,
            }
            for model in sorted(self._models)
        }

    def known_down(self, model: str) -> bool:
        """Return True while the spares of `model` fail and no handshake has worked since."""
        health = self._health.get(model)
        return health is not None and health.failures > 0

    def _connected(self, model: str) -> bool:
        spare = self._spares.get(model)
        return spare is not None and spare.conn is not None and not spare.conn.closed

    def answer_started(self, model: str) -> None:
        """Hold the idle clock of `model`'s spare: an utterance of it is under way."""
        if (health := self._health.get(model)) is not None:
            health.answering += 1

    def answer_ended(self, model: str) -> None:
        """Start the idle clock of `model`'s spare again once no utterance of it is under way."""
        if (health := self._health.get(model)) is None or not health.answering:
            return
        health.answering -= 1
        if (spare := self._spares.get(model)) is not None and spare.conn is not None:
            self._restart_idle_clock(spare)

    def service_answered(self, model: str) -> None:
        """Take note that a handshake for `model` worked: any back-off and give-up ends."""
        if (health := self._health.get(model)) is None:
            return
        health.failures = 0
        health.retry_at = 0.0
        health.gave_up = None
        self._open_spare(model)

    async def claim(self, model: str) -> Connection | None:
        """Take the spare of `model` (waiting for it if it is still connecting), or None.

        A spare that failed to connect, has died or whose reader has ended gives None: the
        caller connects afresh. The replacement starts connecting at once unless the model is
        backing off.
        """
        spare = self._spares.pop(model, None)
        if (health := self._health.get(model)) is not None:
            self._cancel_reopen(health)
        self._open_spare(model)
        if spare is None:
            return None
        self._stop_timers(spare)
        task = spare.task
        assert task is not None
        self._tasks.discard(task)  # the caller owns it now: close() leaves it alone
        try:
            await asyncio.wait((task,))
        except asyncio.CancelledError:
            task.cancel()
            task.add_done_callback(self._close_when_connected)
            raise
        if (err := task.exception()) is not None:
            _LOGGER.debug("Spare for %s failed to connect: %s", model, err)
            return None
        conn = task.result()
        if conn.closed:
            _LOGGER.debug("Spare for %s ended before it was taken", model)
            self._spawn(conn.close(), name="qwen_tts_spare_close")
            return None
        conn.take()
        if health is not None:
            health.failures = 0  # the service let a spare live until it was needed
            health.retry_at = 0.0
            health.gave_up = None
        return conn

    def _close_when_connected(self, task: asyncio.Task[Connection]) -> None:
        """Close the connection a task produced after all, for a caller that went away."""
        if not task.cancelled() and task.exception() is None:
            self._spawn(task.result().close(), name="qwen_tts_spare_close")

    async def close(self) -> None:
        """Close every spare and wait for every task of the pool; `configure` starts again."""
        self._models = frozenset()
        for spare in list(self._spares.values()):
            self._close_spare(spare)
        self._spares.clear()
        for health in self._health.values():
            self._cancel_reopen(health)
        self._health.clear()
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    # --- opening ---------------------------------------------------------------------------

    def _open_spare(self, model: str) -> None:
        """Open a spare of `model` unless it is not kept, has one, or is backing off."""
        health = self._health.get(model)
        if health is None or model in self._spares:
            return
        now = asyncio.get_running_loop().time()
        if now < health.retry_at:
            return
        self._cancel_reopen(health)
        spare = _Spare(model, opened_at=now)
        health.last_open = now
        spare.task = self._spawn(self._connect_spare(spare), name="qwen_tts_spare_open")
        spare.task.add_done_callback(lambda task: self._connect_ended(spare, task))
        self._spares[model] = spare

    async def _connect_spare(self, spare: _Spare) -> Connection:
        conn = await self._connect(spare.model)
        spare.conn = conn
        conn.watch(lambda error: self._discard(spare, error, failed=_is_refusal(error)))
        if self._spares.get(spare.model) is spare:  # idle from now on, unless already taken
            self._restart_idle_clock(spare)
            self._schedule_ping(spare)
        return conn

    def _connect_ended(self, spare: _Spare, task: asyncio.Task[Connection]) -> None:
        """Count a spare that failed to connect as a failure of its model."""
        if task.cancelled() or (err := task.exception()) is None:
            return
        _LOGGER.debug("Spare for %s failed to connect: %s", spare.model, err)
        if self._spares.get(spare.model) is spare:
            del self._spares[spare.model]
            self._record_loss(spare, err, failed=True)

    # --- idle spares -----------------------------------------------------------------------

    def _restart_idle_clock(self, spare: _Spare) -> None:
        """Close the spare after the idle timeout, counted from now (not while answering)."""
        if spare.expiry is not None:
            spare.expiry.cancel()
            spare.expiry = None
        health = self._health.get(spare.model)
        if self._idle_timeout is None or health is None or health.answering:
            return
        spare.expiry = asyncio.get_running_loop().call_later(
            self._idle_timeout, self._expire, spare
        )

    def _expire(self, spare: _Spare) -> None:
        if self._spares.get(spare.model) is spare:
            _LOGGER.debug("Closing the spare for %s: idle", spare.model)
            del self._spares[spare.model]
            self._close_spare(spare)

    def _schedule_ping(self, spare: _Spare) -> None:
        spare.pinger = asyncio.get_running_loop().call_later(
            self._keep_alive.ping, self._ping, spare
        )

    def _ping(self, spare: _Spare) -> None:
        """Ping an idle spare, so that routers keep the socket and a dead one shows."""
        if self._spares.get(spare.model) is not spare or spare.conn is None:
            return
        if spare.pong_check is None:
            spare.pong_check = asyncio.get_running_loop().call_later(
                self._keep_alive.pong, self._check_pong, spare, spare.conn.pongs
            )
        self._spawn(spare.conn.ping(), name="qwen_tts_spare_ping")
        self._schedule_ping(spare)

    def _check_pong(self, spare: _Spare, pongs_before: int) -> None:
        """Discard a spare whose ping went unanswered: the socket is dead somewhere on the way."""
        spare.pong_check = None
        if spare.conn is not None and spare.conn.pongs == pongs_before:
            reason = RealtimeError(f"no pong within {self._keep_alive.pong:g} s")
            self._discard(spare, reason, failed=True)

    # --- losing spares ---------------------------------------------------------------------

    def _discard(self, spare: _Spare, error: BaseException, *, failed: bool) -> None:
        """Close a spare that was not taken, and record its loss."""
        if self._spares.get(spare.model) is not spare:
            return
        _LOGGER.debug("Discarding the spare for %s: %s", spare.model, error)
        del self._spares[spare.model]
        self._close_spare(spare)
        self._record_loss(spare, error, failed=failed)

    def _record_loss(self, spare: _Spare, error: BaseException, *, failed: bool) -> None:
        """Count a lost spare against its model, and schedule its reopening if kept for ever.

        A failure (refused, unreachable, a missed pong, or kept for ever but closed sooner than
        `min_lifetime`) starts or extends the back-off; the first of a streak is logged.
        """
        health = self._health.get(spare.model)
        if health is None:
            return
        rules = self._keep_alive
        loop = asyncio.get_running_loop()
        now = loop.time()
        always = self._idle_timeout is None
        if not failed and always and now - spare.opened_at >= rules.min_lifetime:
            health.idle_lifetime = now - spare.opened_at  # the service's idle timeout, it seems
            health.failures = 0
            delay = 0.0
        elif not failed and not always:
            return  # closed by the service; the next wake opens another
        else:
            health.failures += 1
            delay = min(rules.max_retry, rules.retry * 2 ** (health.failures - 1))
            if health.failures == 1:
                _LOGGER.warning(
                    "Cannot keep a connection to %s open ahead (%s: %s); trying again in %g s "
                    "at the earliest",
                    spare.model,
                    type(error).__name__,
                    error,
                    delay,
                )
            if always and health.failures >= rules.max_failures:
                health.gave_up = f"{health.failures} failures in a row, the last: {error}"
                health.retry_at = now + rules.max_retry
                _LOGGER.debug("Not reopening the spare for %s: %s", spare.model, health.gave_up)
                return
        if health.idle_lifetime is not None and health.last_open is not None:
            delay = max(delay, health.last_open + health.idle_lifetime - now)
        health.retry_at = now + delay
        if always:
            health.reopen = loop.call_later(delay, self._open_spare, spare.model)

    @staticmethod
    def _cancel_reopen(health: _Health) -> None:
        if health.reopen is not None:
            health.reopen.cancel()
            health.reopen = None

    @staticmethod
    def _stop_timers(spare: _Spare) -> None:
        for timer in (spare.expiry, spare.pinger, spare.pong_check):
            if timer is not None:
                timer.cancel()

    def _close_spare(self, spare: _Spare) -> None:
        """Stop a spare's timers and close its socket, or stop it connecting."""
        self._stop_timers(spare)
        if spare.conn is not None:
            self._spawn(spare.conn.close(), name="qwen_tts_spare_close")
        elif spare.task is not None:
            spare.task.cancel()

    def _spawn[T](
        self, coro: Coroutine[Any, Any, T], *, name: str | None = None
    ) -> asyncio.Task[T]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (err := task.exception()) is not None:
            _LOGGER.debug("Background task %s failed: %r", task.get_name(), err)


def _is_refusal(error: RealtimeError) -> bool:
    """Return whether an idle spare was lost because the service refuses the key or account."""
    return isinstance(error, AuthenticationError | AccountError)
