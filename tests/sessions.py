"""What the emulator recorded, and waiting for it: shared by the client and the HA tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from custom_components.qwen_tts_realtime.realtime import RealtimeClient
from qwen_tts_emulator import Emulator, SessionRecord


async def eventually(condition: Callable[[], bool], limit: float = 5.0) -> None:
    """Wait until `condition()` holds (a guard against hanging, not a timing assertion)."""
    async with asyncio.timeout(limit):
        while not condition():  # noqa: ASYNC110 - the emulator's records have no events to await
            await asyncio.sleep(0.005)


def utterances(emulator: Emulator) -> list[SessionRecord]:
    """Sessions that were asked to speak (the setup check and idle spares only shake hands)."""
    return [r for r in emulator.sessions if "session.update" in r.received_types()]


def all_closed(records: Iterable[SessionRecord]) -> bool:
    """Return True when every session is closed."""
    return all(r.closed_at is not None for r in records)


def has_spare(client: RealtimeClient, model: str) -> bool:
    """Return True when a connected spare of `model` waits (what diagnostics show)."""
    return bool(client.spares_state().get(model, {}).get("spare_connected"))
