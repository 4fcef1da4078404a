"""Where the scenario's faults fire on one connection, and what each kind does there."""

from __future__ import annotations

import asyncio
import json

from .hostile import frames
from .outbox import Action, Outbox
from .scenario import Fault, FaultPoint
from .session_records import SessionRecord

_BINARY_FRAME = b"\x00\x01\x02\x03qwen"  # what a `malformed` fault with `binary` sends


def _due(
    fault: Fault, connection: int, point: FaultPoint, response: int | None, deltas: int
) -> bool:
    if fault.at != point or fault.connection not in (None, connection):
        return False
    if fault.times is not None and fault.fired >= fault.times:
        return False
    if response is not None and fault.response != response:
        return False
    # mid_stream: `deltas` sent so far, negated after the last one (a fault past the end fires).
    return (
        point != "mid_stream" or deltas == fault.deltas or (deltas < 0 and fault.deltas > -deltas)
    )


class Faults:
    """The faults of one connection, each fired at most once.

    What a fault leaves behind: `reading` is clear while a `stop_reading` fault holds the
    socket; `cutting` says an `incomplete` fault ends the current response early; `answering_pings`
    is False once a `no_pong` fault fired.
    """

    def __init__(self, faults: list[Fault], record: SessionRecord, outbox: Outbox) -> None:
        self._faults = faults
        self._record = record
        self._outbox = outbox
        self._fired: set[int] = set()
        self._cut: str | None = None
        self.reading = asyncio.Event()
        self.reading.set()
        self.answering_pings = True

    @property
    def cutting(self) -> bool:
        """Return True while the current response is to end early."""
        return self._cut is not None

    def take_cut(self) -> str | None:
        """Return the status that ends the current response early, if any, and forget it."""
        status, self._cut = self._cut, None
        return status

    def fire(
        self,
        point: FaultPoint,
        response: int | None = None,
        *,
        deltas: int = 0,
        response_id: str | None = None,
    ) -> None:
        """Fire the faults due at `point` (of `response`; for mid_stream, after `deltas`).

        `response_id` is the id of that response, for the frames that name it.
        """
        for index, fault in enumerate(self._faults):
            if index in self._fired or self._outbox.halted:
                continue
            if not _due(fault, self._record.index, point, response, deltas):
                continue
            self._fired.add(index)
            fault.fired += 1
            self._record.faults_fired.append(fault)
            self._apply(fault, response_id)

    def _apply(self, fault: Fault, response_id: str | None) -> None:
        outbox = self._outbox
        match fault.kind:
            case "error":
                outbox.emit_error(fault.code, fault.message, fault.param)
                if fault.then == "stop":
                    outbox.halt(Action("halt"))
                elif fault.then == "close":
                    outbox.halt(Action("close", code=fault.close_code or 1000))
            case "close":
                code = fault.close_code
                outbox.halt(Action("abort") if code is None else Action("close", code=code))
            case "stall":
                outbox.push(Action("stall", seconds=fault.seconds))
            case "malformed" if fault.binary:
                outbox.push(Action("binary", data=_BINARY_FRAME))
            case "malformed":
                outbox.push(Action("frames", frames=frames(fault)))
            case "noise" | "trickle" | "endless" | "huge":
                outbox.halt(Action("frames", frames=frames(fault, response_id)))
            case "finish":
                outbox.emit("session.finished")
                outbox.halt(Action("close", code=1000))
            case "incomplete":
                self._cut = fault.status
            case "no_pong":
                self.answering_pings = False
            case "stop_reading":  # aiohttp's flow control then stops reading the socket
                self.reading.clear()
                asyncio.get_running_loop().call_later(fault.seconds or 1.0, self.reading.set)
            case "frame":
                frame = fault.frame
                if isinstance(frame, dict) and "response_id" in frame and not frame["response_id"]:
                    frame = {**frame, "response_id": response_id or ""}
                outbox.push(
                    Action("text", text=frame if isinstance(frame, str) else json.dumps(frame))
                )
