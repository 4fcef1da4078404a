"""Spare sockets: one connection per model opened ahead, so an utterance skips the handshake.

A spare is connected but idle: `session.update` goes out only when an utterance takes it, it
carries one session and is closed like any other connection. Taking a spare opens its
replacement at once. The spare's reader notices while it waits when the service closes it or
sends anything but `session.created`: such a spare is dropped.

With an idle timeout, a spare nobody took for that long is closed and not replaced until the
next utterance of its model or the next `ensure()`. Without one (kept for ever), a spare the
service closes is reopened under the `KeepAlive` rules: never more often than the service's own
idle timeout, with back-off after failures, and not at all after too many failures in a row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
import logging
from typing import Any

from .connection import Connection
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


@dataclass(slots=True)
class _Health:
    """How the spares of one model kept for ever have fared."""

    failures: int = 0  # in a row
    idle_lifetime: float | None = None  # how long the service kept the last idle spare
    last_open: float | None = None
    gave_up: str | None = None  # why no spare is reopened any more
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
            self._dispose(self._spares.pop(model))
        for model in [m for m in self._health if m not in self._models]:
            self._cancel_reopen(self._health.pop(model))

    def ensure(self, model: str) -> None:
        """Make sure a spare of `model` is open or opening; idempotent, so safe to call often.

        A spare already waiting gets its idle timer restarted: someone is about to speak.
        """
        spare = self._spares.get(model)
        if spare is None:
            self._replenish(model)
        elif spare.expiry is not None and self._idle_timeout is not None:
            spare.expiry.cancel()
            self._expire_later(spare, self._idle_timeout)

    def keeps(self, model: str) -> bool:
        """Return True when `model` may have a spare."""
        return model in self._models

    async def ready(self, model: str) -> None:
        """Wait until the spare of `model` has connected; raise why it could not."""
        spare = self._spares.get(model)
        if spare is None or spare.task is None:
            raise RuntimeError(f"no spare of {model} is opening")
        await asyncio.wait((spare.task,))
        if (err := spare.task.exception()) is not None:
            raise err

    def spare_ready(self, model: str) -> bool:
        """Return True when a connected, live spare of `model` is waiting."""
        spare = self._spares.get(model)
        return spare is not None and spare.conn is not None and not spare.conn.closed

    def state(self) -> dict[str, dict[str, Any]]:
        """Return, per model, whether a spare waits and how the kept-open ones have fared."""
        return {
            model: {
                "spare_connected": self.spare_ready(model),
                "failures_in_a_row": (health := self._health.get(model, _Health())).failures,
                "service_idle_timeout": health.idle_lifetime,
                "gave_up": health.gave_up,
            }
            for model in sorted(self._models)
        }

    async def claim(self, model: str) -> Connection | None:
        """Take the spare of `model` (waiting for it if it is still connecting), or None.

        A spare that failed to connect or has died gives None: the caller connects afresh. The
        replacement starts connecting at once, even after the pool gave up reopening.
        """
        spare = self._spares.pop(model, None)
        if (health := self._health.get(model)) is not None:
            self._cancel_reopen(health)
            health.gave_up = None
            if spare is not None and spare.conn is not None:
                health.failures = 0  # the service let a spare live until it was needed
        self._replenish(model)
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
            task.add_done_callback(self._close_result)
            raise
        if (err := task.exception()) is not None:
            _LOGGER.debug("Spare for %s failed to connect: %s", model, err)
            return None
        conn = task.result()
        conn.take()  # if it has died meanwhile, the session fails at once and falls back
        return conn

    def _close_result(self, task: asyncio.Task[Connection]) -> None:
        """Close the connection a task produced after all, for a caller that went away."""
        if not task.cancelled() and task.exception() is None:
            self._spawn(task.result().close(), name="qwen_tts_spare_close")

    async def close(self) -> None:
        """Close every spare and wait for every task of the pool; `configure` starts again."""
        self._models = frozenset()
        for spare in list(self._spares.values()):
            self._dispose(spare)
        self._spares.clear()
        for health in self._health.values():
            self._cancel_reopen(health)
        self._health.clear()
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    def _replenish(self, model: str) -> None:
        if model not in self._models or model in self._spares:
            return
        spare = _Spare(model, opened_at=asyncio.get_running_loop().time())
        if self._idle_timeout is None:
            health = self._health.setdefault(model, _Health())
            self._cancel_reopen(health)
            health.last_open = spare.opened_at
        spare.task = self._spawn(self._open(spare), name="qwen_tts_spare_open")
        spare.task.add_done_callback(lambda task: self._opened(spare, task))
        self._spares[model] = spare

    async def _open(self, spare: _Spare) -> Connection:
        conn = await self._connect(spare.model)
        spare.conn = conn
        conn.watch(lambda: self._drop(spare, "closed, or unexpected frames"))
        if self._spares.get(spare.model) is spare:  # idle from now on, unless already taken
            if self._idle_timeout is not None:
                self._expire_later(spare, self._idle_timeout)
            self._ping_later(spare)
        return conn

    def _ping_later(self, spare: _Spare) -> None:
        spare.pinger = asyncio.get_running_loop().call_later(
            self._keep_alive.ping, self._ping, spare
        )

    def _ping(self, spare: _Spare) -> None:
        """Ping an idle spare, so that routers keep the socket and a dead one shows."""
        if self._spares.get(spare.model) is spare and spare.conn is not None:
            self._spawn(spare.conn.ping(), name="qwen_tts_spare_ping")
            self._ping_later(spare)

    def _expire_later(self, spare: _Spare, delay: float) -> None:
        spare.expiry = asyncio.get_running_loop().call_later(delay, self._drop, spare, "idle")

    def _opened(self, spare: _Spare, task: asyncio.Task[Connection]) -> None:
        if task.cancelled() or (err := task.exception()) is None:
            return
        _LOGGER.debug("Spare for %s failed to connect: %s", spare.model, err)
        if self._spares.get(spare.model) is spare:
            del self._spares[spare.model]
            self._lost(spare, f"{type(err).__name__}: {err}", failed=True)

    def _drop(self, spare: _Spare, reason: str) -> None:
        """Close a spare that was not taken; reopen it only when it is kept for ever."""
        if self._spares.get(spare.model) is not spare:  # pragma: no cover - defensive
            return
        _LOGGER.debug("Dropping the spare for %s: %s", spare.model, reason)
        del self._spares[spare.model]
        self._dispose(spare)
        if reason != "idle":
            self._lost(spare, reason, failed=False)

    def _lost(self, spare: _Spare, reason: str, *, failed: bool) -> None:
        """Schedule the reopening of a spare kept for ever that the service closed or refused."""
        health = self._health.get(spare.model)
        if self._idle_timeout is not None or health is None:
            return
        rules = self._keep_alive
        now = asyncio.get_running_loop().time()
        lived = now - spare.opened_at
        if not failed and lived >= rules.min_lifetime:
            health.idle_lifetime = lived  # the service's idle timeout, as far as we can tell
            health.failures = 0
            delay = 0.0
        else:
            health.failures += 1
            if health.failures >= rules.max_failures:
                health.gave_up = f"{health.failures} failures in a row, the last: {reason}"
                _LOGGER.warning(
                    "Keeping a connection to %s open failed %d times in a row; "
                    "it is opened again by the next utterance",
                    spare.model,
                    health.failures,
                )
                return
            delay = min(rules.max_retry, rules.retry * 2 ** (health.failures - 1))
        if health.idle_lifetime is not None and health.last_open is not None:
            delay = max(delay, health.last_open + health.idle_lifetime - now)
        health.reopen = asyncio.get_running_loop().call_later(delay, self._replenish, spare.model)

    @staticmethod
    def _cancel_reopen(health: _Health) -> None:
        if health.reopen is not None:
            health.reopen.cancel()
            health.reopen = None

    @staticmethod
    def _stop_timers(spare: _Spare) -> None:
        for timer in (spare.expiry, spare.pinger):
            if timer is not None:
                timer.cancel()

    def _dispose(self, spare: _Spare) -> None:
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
        task.add_done_callback(self._forget)
        return task

    def _forget(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (err := task.exception()) is not None:
            _LOGGER.debug("Background task %s failed: %r", task.get_name(), err)
