"""What a correct service sends on one connection, and the seeded mutations of it.

A plan is a list of items the server plays in order: frames to send, and waits for the client's
events where the protocol makes the service wait (`session.update`, the text, `session.finish`).
Mutations reorder, duplicate and drop items, insert unknown, broken, binary and non-JSON frames,
errors with every code, closes and pauses, and change events in place: wrong types, sizes from
empty to huge, bad base64, odd PCM lengths, responses that end incomplete or failed, audio of
responses that are not under way, early `session.finished`, endless audio.
"""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass, field
import random
from typing import Any, Final, Literal

from custom_components.qwen_tts_realtime.realtime.timing import MAX_BAD_FRAMES, MAX_FRAME_BYTES

type ItemKind = Literal[
    "event", "text", "binary", "wait", "pause", "stall", "close", "abort", "endless"
]
type Mode = Literal["commit", "server_commit"]

NESTED: Final = "[" * 100_000 + "]" * 100_000  # far deeper than any JSON parser recurses
ERROR_CODES: Final = (
    "InvalidApiKey",
    "Unauthorized",
    "Arrearage",
    "AccessDenied",
    "AccessDenied.Unpurchased",
    "AccessDenied.SomethingNew",
    "Throttling",
    "Throttling.RateQuota",
    "Throttling.AllocationQuota",
    "invalid_value",
    "InternalError",
    "ServiceUnavailable",
    "DataInspectionFailed",
    "ModelNotFound",
    "",
)
REFUSALS: Final = (
    (400, "Arrearage"),
    (400, "InvalidParameter"),
    (401, "InvalidApiKey"),
    (403, "AccessDenied.Unpurchased"),
    (403, None),
    (429, "Throttling.RateQuota"),
    (500, "InternalError"),
    (503, None),
)
CLOSE_CODES: Final = (1000, 1001, 1008, 1011, 4000, 4999)


@dataclass(slots=True)
class Item:
    """One step of a plan: a frame to send (`event`, raw `text` or `data`), or what to do."""

    kind: ItemKind
    event: dict[str, Any] | None = None
    text: str = ""
    data: bytes = b""
    wait_for: str = ""
    seconds: float = 0.0
    code: int = 1000
    response_id: object = None  # of the deltas of `endless`
    chunk: bytes = b""  # the audio of each delta of `endless`


@dataclass(slots=True)
class Plan:
    """What the server does on one connection: refuse the handshake, or play `items`."""

    items: list[Item]
    refuse: tuple[int, str | None] | None = None  # HTTP status and the code its body names
    deaf: bool = False  # leaves pings unanswered
    mutations: list[str] = field(default_factory=list)


def _event(event_type: str, **fields: Any) -> Item:
    return Item("event", event={"type": event_type, **fields})


def _wait(event_type: str) -> Item:
    return Item("wait", wait_for=event_type)


def _response(rng: random.Random, response_id: str) -> list[Item]:
    """The events of one complete response, with a few deltas of random PCM."""
    item_id = f"item_{response_id}"
    where = {"response_id": response_id, "item_id": item_id, "output_index": 0}
    items = [
        _event("response.created", response={"id": response_id, "status": "in_progress"}),
        _event("response.output_item.added", response_id=response_id, output_index=0),
        _event("response.content_part.added", **where, content_index=0),
    ]
    for _ in range(rng.randint(1, 4)):
        audio = rng.randbytes(2 * rng.randint(1, 2400))
        delta = base64.b64encode(audio).decode()
        items.append(_event("response.audio.delta", **where, content_index=0, delta=delta))
    response = {"id": response_id, "status": "completed", "usage": {"characters": 7}}
    items += [
        _event("response.audio.done", **where, content_index=0),
        _event("response.content_part.done", **where, content_index=0),
        _event("response.output_item.done", response_id=response_id, output_index=0),
        _event("response.done", response=response),
    ]
    return items


def canonical(rng: random.Random, mode: Mode) -> list[Item]:
    """Return what a correct service sends, waiting for the client where it must."""
    session = {"id": "sess_fuzz", "object": "realtime.session"}
    items = [
        _event("session.created", session=session),
        _wait("session.update"),
        _event("session.updated", session=session),
    ]
    if mode == "commit":
        items += [_wait("input_text_buffer.commit"), _event("input_text_buffer.committed")]
        before, after = 1, 0
    else:  # the service answers sentences as they come, and the rest after session.finish
        items.append(_wait("input_text_buffer.append"))
        before = rng.randint(1, 3)
        after = rng.randint(0, 3 - before)
    for index in range(before):
        items += _response(rng, f"resp_{index}")
    items.append(_wait("session.finish"))
    for index in range(before, before + after):
        items += _response(rng, f"resp_{index}")
    items += [_event("session.finished"), Item("close", code=1000)]
    return items


# --- mutations -------------------------------------------------------------------------------


def _events(items: list[Item], event_type: str | None = None) -> list[int]:
    return [
        index
        for index, item in enumerate(items)
        if item.kind == "event"
        and item.event is not None
        and (event_type is None or item.event.get("type") == event_type)
    ]


def _anywhere(rng: random.Random, items: list[Item]) -> int:
    return rng.randint(0, len(items))


def _swap(rng: random.Random, plan: Plan) -> None:
    items = plan.items
    if len(items) > 1:
        index = rng.randrange(len(items) - 1)
        items[index], items[index + 1] = items[index + 1], items[index]


def _move(rng: random.Random, plan: Plan) -> None:
    items = plan.items
    item = items.pop(rng.randrange(len(items)))
    items.insert(_anywhere(rng, items), item)


def _duplicate(rng: random.Random, plan: Plan) -> None:
    items = plan.items
    index = rng.randrange(len(items))
    items.insert(index + 1, copy.deepcopy(items[index]))


def _drop(rng: random.Random, plan: Plan) -> None:
    items = plan.items
    if len(items) > 1:
        del items[rng.randrange(len(items))]


def _unknown_event(rng: random.Random, plan: Plan) -> None:
    events: list[dict[str, Any]] = [
        {"type": "response.text.delta", "delta": "hi"},
        {"type": "something.new", "payload": [1, 2, {"x": None}]},
        {"no_type": True},
        {"type": 42},
        {"type": None},
        {},
    ]
    plan.items.insert(_anywhere(rng, plan.items), Item("event", event=rng.choice(events)))


_WRONG_VALUES: Final[tuple[object, ...]] = (42, None, [], "text", {"x": 1}, True, -1.5)


def _wrong_type(rng: random.Random, plan: Plan) -> None:
    """Give one field of one event a value of the wrong type (or an odd one of the right)."""
    indexes = _events(plan.items)
    if not indexes:
        return
    event = plan.items[rng.choice(indexes)].event
    assert event is not None
    targets: list[tuple[dict[str, Any], str]] = [(event, "type")]
    targets += [(event, key) for key in event if key != "type"]
    for key in ("response", "error", "session"):
        if isinstance(inner := event.get(key), dict):
            targets += [(inner, name) for name in inner]
            if isinstance(usage := inner.get("usage"), dict):
                targets += [(usage, name) for name in usage]
    holder, key = rng.choice(targets)
    holder[key] = rng.choice(_WRONG_VALUES)


def _audio_size(rng: random.Random, plan: Plan) -> None:
    """Replace the audio of one delta: empty, odd, large or larger than a frame may be."""
    indexes = _events(plan.items, "response.audio.delta")
    if not indexes:
        return
    size = rng.choice(
        [
            0,
            1,
            2 * rng.randint(0, 50) + 1,
            rng.randint(100_000, 600_000),
            MAX_FRAME_BYTES * 3 // 4 + 1024,  # its frame is larger than the client takes
        ]
    )
    event = plan.items[rng.choice(indexes)].event
    assert event is not None
    event["delta"] = base64.b64encode(rng.randbytes(size)).decode()


def _bad_base64(rng: random.Random, plan: Plan) -> None:
    indexes = _events(plan.items, "response.audio.delta")
    if not indexes:
        return
    event = plan.items[rng.choice(indexes)].event
    assert event is not None
    event["delta"] = rng.choice(["not base64!", "QUJD=", "QU JD", "QUJD\nRA==", "Q", "ÀÁ"])


def _binary(rng: random.Random, plan: Plan) -> None:
    frame = Item("binary", data=rng.randbytes(rng.randint(0, 64)))
    plan.items.insert(_anywhere(rng, plan.items), frame)


def _non_json(rng: random.Random, plan: Plan) -> None:
    text = rng.choice(["{", "null", "[1, 2]", '"text"', "", "\x00garbage", "1e999", NESTED])
    plan.items.insert(_anywhere(rng, plan.items), Item("text", text=text))


def _bad_frames(rng: random.Random, plan: Plan) -> None:
    """Insert a burst of undecodable frames, at the bound or just beyond it."""
    index = _anywhere(rng, plan.items)
    for _ in range(rng.choice([MAX_BAD_FRAMES, MAX_BAD_FRAMES + 1])):
        plan.items.insert(index, Item("text", text="{"))


def _close(rng: random.Random, plan: Plan) -> None:
    plan.items.insert(_anywhere(rng, plan.items), Item("close", code=rng.choice(CLOSE_CODES)))


def _abort(rng: random.Random, plan: Plan) -> None:
    plan.items.insert(_anywhere(rng, plan.items), Item("abort"))


def _pause(rng: random.Random, plan: Plan) -> None:
    pause = Item("pause", seconds=rng.uniform(0.0005, 0.005))
    plan.items.insert(_anywhere(rng, plan.items), pause)


def _stall(rng: random.Random, plan: Plan) -> None:
    plan.items.insert(_anywhere(rng, plan.items), Item("stall"))


def _error_event(rng: random.Random, plan: Plan) -> None:
    error: object = {
        "type": "invalid_request_error",
        "code": rng.choice(ERROR_CODES),
        "message": rng.choice(["No.", "", "x" * 2000]),
    }
    if rng.random() < 0.3:
        error = rng.choice(["broken", None, {"param": "session.voice"}, {"code": 7}])
    elif rng.random() < 0.3:
        assert isinstance(error, dict)
        error["param"] = "session.voice"
    plan.items.insert(_anywhere(rng, plan.items), _event("error", error=error))


def _status(rng: random.Random, plan: Plan) -> None:
    """End one response other than `completed`."""
    indexes = _events(plan.items, "response.done")
    if not indexes:
        return
    event = plan.items[rng.choice(indexes)].event
    assert event is not None
    response = event.get("response")
    if not isinstance(response, dict):
        return
    response["status"] = rng.choice(["incomplete", "failed", "cancelled", None, "in_progress"])
    if response["status"] == "failed" and rng.random() < 0.5:
        details = {"code": rng.choice(ERROR_CODES), "message": "No."}
        response["status_details"] = {"error": details}


def _early_finished(rng: random.Random, plan: Plan) -> None:
    items = plan.items
    last = max((i for i, item in enumerate(items) if item.wait_for == "session.finish"), default=0)
    items.insert(rng.randint(0, last), _event("session.finished"))


def _endless(rng: random.Random, plan: Plan) -> None:
    """From one delta on, audio of its response that never ends."""
    indexes = _events(plan.items, "response.audio.delta")
    if not indexes:
        return
    index = rng.choice(indexes)
    event = plan.items[index].event
    assert event is not None
    size = rng.choice([2 * rng.randint(1, 4000), 200_000])
    endless = Item("endless", response_id=event.get("response_id"), chunk=rng.randbytes(size))
    plan.items[index + 1 :] = [endless]


def _foreign_delta(rng: random.Random, plan: Plan) -> None:
    """Make one delta name a response that is not under way (or none)."""
    indexes = _events(plan.items, "response.audio.delta")
    if not indexes:
        return
    event = plan.items[rng.choice(indexes)].event
    assert event is not None
    others = {"resp_ghost", "resp_0", "resp_1", "resp_2"} - {event.get("response_id")}
    if rng.random() < 0.2:
        event.pop("response_id", None)
    else:
        event["response_id"] = rng.choice(sorted(others))


def _late_delta(rng: random.Random, plan: Plan) -> None:
    """Move one delta after the `response.done` of its response."""
    items = plan.items
    indexes = _events(items, "response.audio.delta")
    if not indexes:
        return
    delta = items.pop(rng.choice(indexes))
    assert delta.event is not None
    response_id = delta.event.get("response_id")
    done = [
        i
        for i in _events(items, "response.done")
        if isinstance(response := (items[i].event or {}).get("response"), dict)
        and response.get("id") == response_id
    ]
    items.insert(done[0] + 1 if done else len(items), delta)


def _reuse_id(rng: random.Random, plan: Plan) -> None:
    """Give one `response.created` the id of another response, or none."""
    indexes = _events(plan.items, "response.created")
    if not indexes:
        return
    event = plan.items[rng.choice(indexes)].event
    assert event is not None
    response = event.get("response")
    if isinstance(response, dict):
        response["id"] = rng.choice(["resp_0", "resp_1", "", None])


def _idle_frame(rng: random.Random, plan: Plan) -> None:
    """Send one more frame right after `session.created`, while a spare would be idle."""
    frame = rng.choice(
        [
            _event("response.text.delta", delta="hi"),
            _event("session.created"),
            _event("error", error={"code": rng.choice(ERROR_CODES), "message": "No."}),
            _event("response.audio.delta", response_id="resp_0", delta="AAAA"),
            Item("binary", data=b"\x00"),
            Item("text", text=rng.choice(["{", NESTED])),
            Item("close", code=rng.choice(CLOSE_CODES)),
            Item("stall"),
        ]
    )
    plan.items.insert(1, frame)


def _deaf(rng: random.Random, plan: Plan) -> None:
    plan.deaf = True


MUTATIONS: Final = {
    "swap": _swap,
    "move": _move,
    "duplicate": _duplicate,
    "drop": _drop,
    "unknown_event": _unknown_event,
    "wrong_type": _wrong_type,
    "audio_size": _audio_size,
    "bad_base64": _bad_base64,
    "binary": _binary,
    "non_json": _non_json,
    "bad_frames": _bad_frames,
    "close": _close,
    "abort": _abort,
    "pause": _pause,
    "stall": _stall,
    "error_event": _error_event,
    "status": _status,
    "early_finished": _early_finished,
    "endless": _endless,
    "foreign_delta": _foreign_delta,
    "late_delta": _late_delta,
    "reuse_id": _reuse_id,
    "deaf": _deaf,
    "idle_frame": _idle_frame,
}
_REFUSE_RATE: Final = 0.04
_CLEAN_RATE: Final = 0.35  # plans left correct, so that success is tried as often as failure


def plan_for(rng: random.Random, mode: Mode) -> Plan:
    """Return a correct plan with zero to three seeded mutations (or a refused handshake)."""
    if rng.random() < _REFUSE_RATE:
        return Plan([], refuse=rng.choice(REFUSALS), mutations=["refuse"])
    plan = Plan(canonical(rng, mode))
    if rng.random() < _CLEAN_RATE:
        return plan
    for _ in range(rng.randint(1, 3)):
        name = rng.choice(sorted(MUTATIONS))
        MUTATIONS[name](rng, plan)
        plan.mutations.append(name)
    return plan
