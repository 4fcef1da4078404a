"""Server frames: parsing, and what each kind of event means for the session.

Pure functions of one frame or event; the reader and the timers are in connection.py.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
import json
from typing import Any, Final

import aiohttp

from .errors import (
    AccountError,
    AuthenticationError,
    ConnectionClosedError,
    IncompleteAudioError,
    ProtocolError,
    RealtimeError,
    ServiceError,
    error_from_close,
    error_from_event,
)
from .session_config import is_number
from .timing import IDLE_FRAMES

DATA_TYPES: Final = (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY)


def idle_frame_error(msg: aiohttp.WSMessage, count: int) -> RealtimeError | None:
    """Return why a frame received before the session makes the socket unusable, if it does."""
    if msg.type not in DATA_TYPES:
        return error_from_close(msg, session_accepted=False)
    try:
        event = parse(msg)
    except ProtocolError:
        event = {}
    if event.get("type") == "error":
        error = error_from_event(event)
        if isinstance(error, AuthenticationError | AccountError):
            return error  # a fresh socket would get it too
    elif event.get("type") == "session.created" and count <= IDLE_FRAMES:
        return None
    return ConnectionClosedError(
        f"unexpected frame before the session: {event.get('type')!r}", session_accepted=False
    )


def too_big(data: object) -> bool:
    """Return whether a frame was refused for exceeding `max_msg_size`."""
    return (
        isinstance(data, aiohttp.WebSocketError)
        and data.code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    )


def parse(msg: aiohttp.WSMessage) -> dict[str, Any]:
    """Return the JSON object of a text frame; raise `ProtocolError` for anything else."""
    if msg.type != aiohttp.WSMsgType.TEXT:
        raise ProtocolError("unexpected binary frame")
    try:
        event = json.loads(msg.data)
    except ValueError:
        raise ProtocolError("frame is not JSON") from None
    except RecursionError:
        raise ProtocolError("frame is JSON nested too deeply") from None
    if not isinstance(event, dict):
        raise ProtocolError("frame is not a JSON object")
    return event


def decode_delta(event: Mapping[str, Any]) -> bytes:
    """Return the audio of a delta; a broken one is an error, as the audio would have a hole."""
    delta = event.get("delta")
    if not isinstance(delta, str):
        raise ProtocolError("audio delta without data")
    try:
        return base64.b64decode(delta, validate=True)
    except binascii.Error, ValueError:
        raise ProtocolError("audio delta is not base64") from None


def completed_usage(event: Mapping[str, Any]) -> int | None:
    """Return `usage.characters` of a completed response; raise for any other status."""
    response = event.get("response")
    response = response if isinstance(response, Mapping) else {}
    status = response.get("status")
    if status == "failed":
        details = response.get("status_details")
        error = details.get("error") if isinstance(details, Mapping) else None
        if isinstance(error, Mapping):
            raise error_from_event({"error": error})
        raise ServiceError("response_failed", "the service reported a failed response")
    if status != "completed":
        raise IncompleteAudioError(f"a response ended {status!r}")
    usage = response.get("usage")
    characters = usage.get("characters") if isinstance(usage, Mapping) else None
    if is_number(characters, int) and characters >= 0:
        return characters
    return None


class Responses:
    """The responses of one session: every delta must belong to one created and not yet done.

    The service names each response in `response.created` (`response.id`), in each of its deltas
    (`response_id`) and in its `response.done`; audio that names no open response is not part
    of any speech that can be proven complete, so it is a protocol error, never passed on.
    """

    def __init__(self) -> None:
        self._open: set[str] = set()
        self._seen: set[str] = set()
        self.completed = 0

    def created(self, event: Mapping[str, Any]) -> None:
        """Open the response of a `response.created`."""
        response_id = _response_id(event.get("response"))
        if response_id is None or response_id in self._seen:
            raise ProtocolError("response.created without a new response id")
        self._seen.add(response_id)
        self._open.add(response_id)

    def check_delta(self, event: Mapping[str, Any]) -> None:
        """Raise unless an audio delta belongs to an open response."""
        response_id = event.get("response_id")
        if not isinstance(response_id, str) or response_id not in self._open:
            raise ProtocolError("audio of a response that is not under way")

    def done(self, event: Mapping[str, Any]) -> int | None:
        """Close the response of a `response.done`; return its `usage.characters`.

        Raise for a response that did not complete (failed, incomplete...), then for one that was
        not under way.
        """
        characters = completed_usage(event)
        response_id = _response_id(event.get("response"))
        if response_id is None or response_id not in self._open:
            raise ProtocolError("response.done of a response that was not under way")
        self._open.discard(response_id)
        self.completed += 1
        return characters

    def check_finished(self, finish_sent: bool) -> None:
        """Raise unless `session.finished` proves that the speech is complete."""
        if not finish_sent:
            raise IncompleteAudioError("session.finished before the end of the text")
        if self._open:
            raise IncompleteAudioError("session.finished in the middle of a response")
        if not self.completed:
            raise IncompleteAudioError("session.finished without any response")


def _response_id(response: object) -> str | None:
    response_id = response.get("id") if isinstance(response, Mapping) else None
    return response_id if isinstance(response_id, str) and response_id else None
