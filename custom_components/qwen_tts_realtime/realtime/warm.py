"""Spare sockets: one connection per model opened ahead, so an utterance skips the handshake.

A spare is connected but idle: `session.update` goes out only when an utterance takes it, it
carries one session and is closed like any other connection. Taking a spare opens its
replacement at once; a spare nobody took for `idle_timeout` seconds is closed and not replaced
until the next utterance of its model. The spare's reader notices while it waits when the service
closes it or sends anything but `session.created`: such a spare is dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
import logging
from typing import Any

from .connection import Connection

_LOGGER = logging.getLogger(__name__)


@dataclass(eq=False, slots=True)
class _Spare:
    model: str
    task: asyncio.Task[Connection] | None = None
    conn: Connection | None = None
    expiry: asyncio.TimerHandle | None = field(default=None, repr=False)


class SparePool:
    """The spare sockets of one client, keyed by model (the URL carries the model)."""

    def __init__(self, connect: Callable[[str], Awaitable[Connection]]) -> None:
        self._connect = connect
        self._models: frozenset[str] = frozenset()
        self._idle_timeout = 60.0
        self._spares: dict[str, _Spare] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def configure(self, models: Iterable[str], idle_timeout: float) -> None:
        """Keep a spare for each of `models` (and none for any other); open them now."""
        if not idle_timeout > 0:
            raise ValueError("idle_timeout must be positive")
        self._models = frozenset(models)
        self._idle_timeout = idle_timeout
        for model in [m for m in self._spares if m not in self._models]:
            self._dispose(self._spares.pop(model))
        for model in sorted(self._models):
            self._replenish(model)

    def spare_ready(self, model: str) -> bool:
        """Return True when a connected, live spare of `model` is waiting."""
        spare = self._spares.get(model)
        return spare is not None and spare.conn is not None and not spare.conn.closed

    async def claim(self, model: str) -> Connection | None:
        """Take the spare of `model` (waiting for it if it is still connecting), or None.

        A spare that failed to connect or has died gives None: the caller connects afresh. The
        replacement starts connecting at once.
        """
        spare = self._spares.pop(model, None)
        self._replenish(model)
        if spare is None:
            return None
        if spare.expiry is not None:
            spare.expiry.cancel()
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
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    def _replenish(self, model: str) -> None:
        if model not in self._models or model in self._spares:
            return
        spare = _Spare(model)
        spare.task = self._spawn(self._open(spare), name="qwen_tts_spare_open")
        spare.task.add_done_callback(lambda task: self._opened(spare, task))
        self._spares[model] = spare

    async def _open(self, spare: _Spare) -> Connection:
        conn = await self._connect(spare.model)
        spare.conn = conn
        conn.watch(lambda: self._drop(spare, "closed, or unexpected frames"))
        if self._spares.get(spare.model) is spare:  # idle from now on, unless already taken
            loop = asyncio.get_running_loop()
            spare.expiry = loop.call_later(self._idle_timeout, self._drop, spare, "idle")
        return conn

    def _opened(self, spare: _Spare, task: asyncio.Task[Connection]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        _LOGGER.debug("Spare for %s failed to connect: %s", spare.model, task.exception())
        if self._spares.get(spare.model) is spare:
            del self._spares[spare.model]

    def _drop(self, spare: _Spare, reason: str) -> None:
        """Close a spare that was not taken; it is replaced only by the next utterance."""
        if self._spares.get(spare.model) is not spare:  # pragma: no cover - defensive
            return
        _LOGGER.debug("Dropping the spare for %s: %s", spare.model, reason)
        del self._spares[spare.model]
        self._dispose(spare)

    def _dispose(self, spare: _Spare) -> None:
        if spare.expiry is not None:
            spare.expiry.cancel()
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
