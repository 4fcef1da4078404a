"""Frames of a hostile or broken service, for the fault kinds that send more than one event.

Each function returns the raw text frames a fault sends, possibly forever; the connection's writer
sends them one by one, as fast as the client reads them (or paced by `Fault.seconds`).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncGenerator
import json

from .outbox import event
from .scenario import Fault

_TICK = 0.01  # default pause between the frames of a trickle or of endless noise
_ENDLESS_DELTA_BYTES = 4800  # the audio of each `endless` delta, unless the fault gives a `size`


def _delta(audio: bytes, response_id: str | None) -> str:
    where = {} if response_id is None else {"response_id": response_id}
    delta = base64.b64encode(audio).decode("ascii")
    return json.dumps(event("response.audio.delta", **where, delta=delta))


async def frames(fault: Fault, response_id: str | None = None) -> AsyncGenerator[str]:
    """Yield the frames of a `noise`, `trickle`, `endless` or `huge` fault.

    Audio deltas name `response_id`: the response the fault fires in, if any.
    """
    pause = _TICK if fault.seconds is None else fault.seconds
    match fault.kind:
        case "noise":  # events the client does not know, forever
            unknown = {"type": "response.text.delta", "delta": "…"}
            frame = fault.frame if isinstance(fault.frame, dict) else unknown
            while True:
                yield json.dumps(frame)
                await asyncio.sleep(pause)
        case "trickle":  # deltas of less than one 16-bit sample, forever
            while True:
                yield _delta(b"\x01", response_id)
                await asyncio.sleep(pause)
        case "endless":  # audio that never ends (no response.done), as fast as it is read
            chunk = _delta(bytes(fault.size * 3 // 4 or _ENDLESS_DELTA_BYTES), response_id)
            while True:
                yield chunk
                await asyncio.sleep(0)
        case "huge":  # one text frame of `size` bytes: a delta far larger than real ones
            yield _delta(bytes(fault.size * 3 // 4), response_id)
        case "malformed":  # `repeat` undecodable frames
            for _ in range(fault.repeat):
                yield '{"type": "response.audio.delta", "delta": '
        case _:  # pragma: no cover - the caller only passes the kinds above
            raise ValueError(fault.kind)
