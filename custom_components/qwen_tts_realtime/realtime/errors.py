"""Typed errors of the realtime client, and the one place that maps wire failures onto them."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
import json
import re
import ssl
from typing import Any, Final, Literal

import aiohttp

AUTH_ERROR_CODES: Final = frozenset({"InvalidApiKey", "Unauthorized"})
# The key is fine but the account cannot use the service: fixed in the vendor's console, not by
# entering the key again. Every `AccessDenied.*` code is one too (e.g. `AccessDenied.Unpurchased`:
# the model is not activated or not bought).
ACCOUNT_ERROR_CODES: Final = frozenset({"Arrearage", "AccessDenied", "Throttling.AllocationQuota"})
_ACCOUNT_ERROR_PREFIX: Final = "AccessDenied."
RATE_LIMIT_CODES: Final = frozenset({"Throttling", "Throttling.RateQuota"})
# What an error code of the service looks like (`InvalidApiKey`, `AccessDenied.Unpurchased`...);
# anything else in a refused handshake's body is not taken for one.
_CODE: Final = re.compile(r"[A-Za-z][\w.-]{0,63}")


class RealtimeError(Exception):
    """Base of every error the realtime client raises."""


class InvalidEndpointError(RealtimeError):
    """The endpoint URL is malformed, or would send the key in clear text to a remote host."""


class InvalidWorkspaceError(InvalidEndpointError):
    """A workspace ID that cannot be part of a gateway's host name."""


class InvalidOptionError(RealtimeError):
    """A session option is out of range, malformed, or not supported by the chosen model."""

    def __init__(
        self,
        option: str,
        value: object,
        reason: str,
        *,
        bounds: tuple[float, float] | None = None,
        supported: bool = True,
        expected: Literal["text", "number"] | None = None,
    ) -> None:
        super().__init__(f"{option}: {reason}")
        self.option = option
        self.value = value
        self.reason = reason
        self.bounds = bounds  # set when the value is outside a numeric range
        self.supported = supported  # False when the model does not take this option at all
        self.expected = expected  # set when the value is not of the option's type


class EmptyTextError(RealtimeError):
    """The input held nothing that can be spoken."""


class AuthenticationError(RealtimeError):
    """The service refused the API key (bad key, or a key of another region)."""


class AccountError(RealtimeError):
    """The key was accepted but the account cannot use the service (unpaid, not activated...).

    `code` is one of `ACCOUNT_ERROR_CODES`, or an `AccessDenied.*` code.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ConnectReason(StrEnum):
    """Why a connection could not be made."""

    REFUSED = "refused"  # nothing listens at that host and port
    DNS = "dns"  # the host name does not resolve
    TLS = "tls"  # the TLS handshake or the certificate failed
    TLS_MISMATCH = "tls_mismatch"  # wss:// to a plain server, or ws:// to a TLS one
    HTTP = "http"  # the server answered the upgrade with an HTTP error
    OTHER = "other"


class ConnectError(RealtimeError):
    """The endpoint could not be reached, or refused the handshake for another reason."""

    def __init__(
        self, message: str, *, status: int | None = None, reason: ConnectReason | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason or (ConnectReason.HTTP if status is not None else ConnectReason.OTHER)


class ServiceError(RealtimeError):
    """The service sent an `error` event."""

    def __init__(
        self, code: str, message: str, *, param: str | None = None, event_id: str | None = None
    ) -> None:
        super().__init__(f"{code}: {message}" + (f" ({param})" if param else ""))
        self.code = code
        self.message = message
        self.param = param
        self.event_id = event_id


class RateLimitError(ServiceError):
    """The service throttled the request (HTTP 429 at the handshake or a `Throttling` error)."""


class ConnectionClosedError(RealtimeError):
    """The socket closed before `session.finished`."""

    def __init__(self, message: str, *, session_accepted: bool) -> None:
        super().__init__(message)
        # False when the server closed before `session.updated`: typically an unknown model.
        self.session_accepted = session_accepted


class ProtocolError(RealtimeError):
    """The service sent a frame this client cannot understand."""


class TimeoutStage(StrEnum):
    """Which of the `Timeouts` expired."""

    CONNECT = "connect"
    SEND = "send"  # the service stopped reading
    FIRST_AUDIO = "first_audio"
    AUDIO = "audio"  # silence, or audio slower than it plays
    SYNTHESIZE = "synthesize"  # the whole session took too long
    VOICE_REQUEST = "voice_request"  # a request of the voice customisation API


class ResponseTimeoutError(RealtimeError):
    """A configured timeout expired."""

    def __init__(self, stage: TimeoutStage, seconds: float) -> None:
        super().__init__(f"no {stage} within {seconds:g} s")
        self.stage = stage
        self.seconds = seconds


class AudioLimitError(RealtimeError):
    """The service sent more audio than the text can need."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"more than {seconds:g} s of audio for this text")
        self.seconds = seconds


class IncompleteAudioError(RealtimeError):
    """The session ended without proving that every response was complete."""


def without_secret(text: str, secret: str) -> str:
    """Return a service's `text` with `secret` (the API key) cut out.

    Text a service sends (an error's code and message, any event) is cleaned where it enters: a
    service or proxy that echoes the request's key must not put it into an exception, a log line
    or a form.
    """
    return text.replace(secret, "***") if secret else text


def error_from_connect_failure(
    err: BaseException, connect_timeout: float, refusal_code: str | None = None
) -> RealtimeError:
    """Map any exception of the WebSocket handshake onto a typed error.

    `refusal_code` is the code the body of a refused handshake named (see `refusal_code`).
    Call it outside the `except` block that caught `err` (and do not chain): aiohttp's handshake
    errors hold the request headers, and so the API key.
    """
    if isinstance(err, aiohttp.WSServerHandshakeError):
        return error_from_handshake(err.status, err.message, refusal_code)
    if isinstance(err, TimeoutError):
        return ResponseTimeoutError(TimeoutStage.CONNECT, connect_timeout)
    reason = _connect_reason(err)
    return ConnectError(f"cannot connect ({reason}): {type(err).__name__}", reason=reason)


def _connect_reason(err: BaseException) -> ConnectReason:
    # getattr: some aiohttp releases raise AttributeError for `os_error` of a certificate error.
    os_error = getattr(err, "os_error", None)
    if isinstance(err, aiohttp.ClientConnectorDNSError):
        return ConnectReason.DNS
    if isinstance(err, ConnectionRefusedError) or isinstance(os_error, ConnectionRefusedError):
        return ConnectReason.REFUSED
    causes = (err, os_error, err.__cause__)
    for cause in causes:
        if isinstance(cause, ssl.SSLError) and "WRONG_VERSION_NUMBER" in str(cause):
            return ConnectReason.TLS_MISMATCH
    if isinstance(err, aiohttp.ClientSSLError) or any(isinstance(c, ssl.SSLError) for c in causes):
        return ConnectReason.TLS
    if isinstance(err, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return ConnectReason.TLS_MISMATCH  # a TLS server hangs up on a plain-text request
    if isinstance(err, aiohttp.ClientResponseError) and err.status == 400:
        return ConnectReason.TLS_MISMATCH  # nginx & co: "plain HTTP request sent to HTTPS port"
    return ConnectReason.OTHER


def error_from_send_failure(err: BaseException, *, session_accepted: bool) -> RealtimeError:
    """Map a failure to write a client event onto a typed error."""
    return ConnectionClosedError(
        f"socket closed while sending: {type(err).__name__}: {err}",
        session_accepted=session_accepted,
    )


def error_from_close(msg: aiohttp.WSMessage, *, session_accepted: bool) -> RealtimeError:
    """Map the end of the socket before `session.finished` onto a typed error."""
    if msg.type == aiohttp.WSMsgType.ERROR:
        return ConnectionClosedError(f"socket error: {msg.data}", session_accepted=session_accepted)
    return ConnectionClosedError(
        "the service closed the connection before session.finished",
        session_accepted=session_accepted,
    )


def refusal_code(body: bytes) -> str | None:
    """Return the `code` the JSON body of a refused handshake names, if it names one."""
    try:
        answer = json.loads(body)
    except ValueError, RecursionError:
        return None
    code = answer.get("code") if isinstance(answer, dict) else None
    return code if isinstance(code, str) and _CODE.fullmatch(code) else None


def error_from_handshake(status: int, reason: str | None, code: str | None = None) -> RealtimeError:
    """Map a refused WebSocket upgrade onto a typed error: by the body's `code` where it names one.

    The status alone does not say which: the vendor lists `Arrearage` under HTTP 400 beside
    `InvalidParameter`, and `AccessDenied.Unpurchased` comes with 403 like a refused key.
    """
    message = f"handshake refused with HTTP {status}"
    if code is not None and (known := _error_from_code(code, message)) is not None:
        return known
    if status in (401, 403):
        return AuthenticationError(message)
    if status == 429:
        return RateLimitError("Throttling", message)
    return ConnectError(f"{message} {reason or ''}".strip(), status=status)


def error_from_event(event: Mapping[str, Any]) -> RealtimeError:
    """Map an `error` event onto a typed error."""
    error = event.get("error")
    if not isinstance(error, Mapping):
        error = {}
    code = str(error.get("code") or error.get("type") or "unknown_error")
    message = str(error.get("message") or "")
    param = error.get("param")
    event_id = error.get("event_id")
    kwargs: dict[str, Any] = {
        "param": str(param) if param else None,
        "event_id": str(event_id) if event_id else None,
    }
    if (known := _error_from_code(code, message, **kwargs)) is not None:
        return known
    return ServiceError(code, message, **kwargs)


def _error_from_code(code: str, message: str, **kwargs: Any) -> RealtimeError | None:
    """Return the error of a code that says what is wrong with the key or the account."""
    if code in AUTH_ERROR_CODES:
        return AuthenticationError(f"{code}: {message}")
    if code in ACCOUNT_ERROR_CODES or code.startswith(_ACCOUNT_ERROR_PREFIX):
        return AccountError(code, message)
    if code in RATE_LIMIT_CODES:
        return RateLimitError(code, message, **kwargs)
    return None


# --- Voice customisation API (cloning and design over HTTPS) ------------------------------------


class VoiceApiUnavailableError(InvalidEndpointError):
    """The customisation API's HTTPS address cannot be derived from a custom endpoint."""


class VoiceServiceError(ServiceError):
    """The customisation API answered with an HTTP error and a `code`."""

    def __init__(self, code: str, message: str, *, status: int) -> None:
        super().__init__(code, message)
        self.status = status


class BadAudioError(VoiceServiceError):
    """The service refused a recording: `problem` says why, in the client's words."""

    def __init__(self, code: str, message: str, *, status: int, problem: str) -> None:
        super().__init__(code, message, status=status)
        self.problem = problem  # one of AUDIO_PROBLEMS


class VoiceStorageFullError(VoiceServiceError):
    """The account holds as many custom voices as it may: delete some first."""


class VoiceNotFoundError(VoiceServiceError):
    """No voice of that id exists in the account (deleted, expired, or another account)."""


class VoiceApiResponseError(ProtocolError):
    """The customisation API sent an answer this client cannot read (or a too large one)."""


# The service's audio error codes, by the problem a user can fix.
AUDIO_PROBLEMS: Final[dict[str, str]] = {
    "Audio.PreprocessError": "no_clean_speech",
    "Audio.DecoderError": "unreadable",
    "Audio.AudioRateError": "sample_rate",
    "Audio.DurationLimitError": "too_long",
}
VOICE_NOT_FOUND_CODES: Final = frozenset({"VoiceNotFound", "BadRequest.VoiceNotFound"})
STORAGE_FULL_CODE: Final = "Throttling.AllocationQuota"


def error_from_voice_api(status: int, code: str, message: str) -> RealtimeError:
    """Map a failed customisation request (HTTP status and `code`) onto a typed error."""
    if status in (401, 403) or code in AUTH_ERROR_CODES:
        return AuthenticationError(f"voice API refused the key: HTTP {status} {code}")
    if code == STORAGE_FULL_CODE:
        return VoiceStorageFullError(code, message, status=status)
    if status == 429 or code in RATE_LIMIT_CODES:
        return RateLimitError(code or "Throttling", message)
    if code in AUDIO_PROBLEMS:
        return BadAudioError(code, message, status=status, problem=AUDIO_PROBLEMS[code])
    if code in VOICE_NOT_FOUND_CODES:
        return VoiceNotFoundError(code, message, status=status)
    return VoiceServiceError(code or f"HTTP {status}", message, status=status)
