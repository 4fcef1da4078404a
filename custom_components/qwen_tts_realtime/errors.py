"""The one table of what each realtime client error is called, wherever a user meets it.

A client error (the `realtime.errors` hierarchy) reaches users in five places, each with its own
translation keys in strings.json:

- a failed utterance or service call: a Home Assistant error (`exceptions`);
- setting the entry up: reauthentication for a refused key, else a retry (`exceptions`);
- the entry flow's key check, a probe of each region (`config.error`), where what the probe
  learned also names a model a region lacks;
- proving a profile's voice by speaking a few characters (`config.error` and
  `config_subentries.tts.error`: both flows have a voice step);
- designing, cloning, listing and deleting custom voices (`config_subentries.tts.error`).

`error_keys` gives one error's key in each of them, in one match: the same failure is never
called two different things, and no other module turns a client error into a key
(tests/ha/test_errors.py proves both, for every client error type). A form's connection errors
name the host they could not reach (`form_placeholders`), which is what the user checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, TypedDict

from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryNotReady,
    HomeAssistantError,
    ServiceValidationError,
)
from yarl import URL

from .const import CONF_ENDPOINT, CONF_VOICE, CONF_WORKSPACE, DOMAIN
from .flow_schemas import CONF_AUDIO
from .realtime import ProbeOutcome, RegionProbe, errors as client, kind_of_model, kind_of_voice

# Why a connection could not be made, as the key of every place: what to fix is the same.
_CONNECT_KEYS: Final = {
    client.ConnectReason.REFUSED: "connect_refused",
    client.ConnectReason.DNS: "connect_dns",
    client.ConnectReason.TLS: "connect_tls",
    client.ConnectReason.TLS_MISMATCH: "connect_tls_mismatch",
}
_TIMEOUT_KEYS: Final = {
    client.TimeoutStage.CONNECT: "connect_timeout",
    client.TimeoutStage.SEND: "send_timeout",
    client.TimeoutStage.SYNTHESIZE: "synthesize_timeout",
}
_SETUP_CANNOT_CONNECT: Final = "setup_cannot_connect"
# A voice the account no longer has: deleted since it was listed, or never made.
_VOICE_NOT_FOUND: Final = "voice_not_found"
# A create that got no clear answer, and whose voice could not be found (see `ErrorKeys`).
_CREATE_UNCERTAIN: Final = "create_uncertain"


@dataclass(frozen=True, slots=True)
class ErrorKeys:
    """One row of the table: what one client error is called in each place.

    A place that cannot meet an error (an empty text at the key check) still names it: the
    defaults say that the service failed there.
    """

    service: str  # exceptions: a failed utterance or service call
    placeholders: Mapping[str, str] = field(default_factory=dict)  # of `service`
    setup: str = _SETUP_CANNOT_CONNECT  # exceptions: the entry cannot be set up
    key_check: str = "cannot_connect"  # config.error
    voice_check: str = "cannot_connect"  # config.error and config_subentries.tts.error
    voices: str = "voice_service_error"  # config_subentries.tts.error
    # Set where a billed create that failed so may have made the voice all the same (no answer,
    # an unreadable one, a server error): the key shown when the account holds no such voice.
    unconfirmed: str | None = None


def error_keys(err: client.RealtimeError, *, model: str = "", voice: str = "") -> ErrorKeys:
    """Return what `err` is called in each place; `model` and `voice` are an utterance's."""
    match err:
        case client.InvalidOptionError(supported=False):
            return ErrorKeys("option_not_supported", {"option": err.option, "model": model})
        case client.InvalidOptionError(bounds=(low, high)):
            return ErrorKeys(
                "option_out_of_range",
                {
                    "option": err.option,
                    "value": str(err.value),
                    "min": f"{low:g}",
                    "max": f"{high:g}",
                },
            )
        case client.InvalidOptionError(expected="number"):
            return ErrorKeys("option_not_a_number", {"option": err.option, "value": str(err.value)})
        case client.InvalidOptionError(expected="text"):
            return ErrorKeys("option_not_text", {"option": err.option})
        case client.InvalidOptionError():
            return ErrorKeys("invalid_option", {"option": err.option, "reason": err.reason})
        case client.EmptyTextError():
            return ErrorKeys("empty_message")
        case client.VoiceApiUnavailableError():
            return ErrorKeys(*_service_error(err), voices="voice_api_unavailable")
        case client.InvalidWorkspaceError():
            return ErrorKeys(*_service_error(err), key_check="invalid_workspace")
        case client.InvalidEndpointError():
            return ErrorKeys(*_service_error(err), key_check="invalid_url")
        case client.AuthenticationError():
            return ErrorKeys("auth_failed", setup="auth_failed", **_in_forms("invalid_auth"))
        case client.AccountError():
            return ErrorKeys(*_account(err), **_in_forms("account_refused"))
        case client.RateLimitError():
            return ErrorKeys("rate_limited", **_in_forms("rate_limited"))
        case client.BadAudioError():
            return ErrorKeys(*_service_error(err), voices=recording_key(err.problem))
        case client.VoiceStorageFullError():
            return ErrorKeys(*_service_error(err), voices="voice_storage_full")
        case client.VoiceNotFoundError():
            return ErrorKeys(*_service_error(err), voices=_VOICE_NOT_FOUND)
        case client.VoiceServiceError(status=status) if status >= 500:
            return ErrorKeys(*_service_error(err), unconfirmed="voice_service_error")
        case client.VoiceServiceError():
            return ErrorKeys(*_service_error(err))
        # An error event once the session is set: the voice is what the check changed.
        case client.ServiceError(param="session.voice") if _other_models_voice(voice, model):
            return ErrorKeys(
                "voice_of_other_model",
                {"voice": voice, "model": model},
                voice_check="unknown_voice",
            )
        case client.ServiceError(param="session.voice"):
            return ErrorKeys(
                "unknown_voice",
                {"voice": voice, "model": model, "message": err.message},
                voice_check="unknown_voice",
            )
        case client.ServiceError():
            return ErrorKeys(*_service_error(err), voice_check="unknown_voice")
        # The service was reached and did not answer in time, at whatever stage.
        case client.ResponseTimeoutError():
            return ErrorKeys(
                _TIMEOUT_KEYS.get(err.stage, "audio_timeout"),
                {"seconds": f"{err.seconds:g}"},
                **_in_forms("timeout"),
                unconfirmed=_CREATE_UNCERTAIN,
            )
        # Closed before accepting the session: it refused what the check changed, the voice.
        case client.ConnectionClosedError(session_accepted=False):
            return ErrorKeys("session_rejected", {"model": model}, voice_check="unknown_voice")
        case client.ConnectionClosedError():
            return ErrorKeys("connection_closed")
        case client.ConnectError() if key := _CONNECT_KEYS.get(err.reason):
            return ErrorKeys(key, setup=key, **_in_forms(key))
        case client.ConnectError():  # possibly after the request went out
            return ErrorKeys(
                "cannot_connect",
                {"reason": str(err)},
                voices="cannot_connect",
                unconfirmed=_CREATE_UNCERTAIN,
            )
        case client.VoiceApiResponseError():  # an answer, perhaps to a create that was made
            return ErrorKeys("protocol_error", {"reason": str(err)}, unconfirmed=_CREATE_UNCERTAIN)
        case client.ProtocolError():
            return ErrorKeys("protocol_error", {"reason": str(err)})
        case client.AudioLimitError():
            return ErrorKeys("audio_limit", {"seconds": f"{err.seconds:g}"})
        case client.IncompleteAudioError():
            return ErrorKeys("incomplete_audio", {"reason": str(err)})
    return ErrorKeys(*_service_error(err))


class _FormKeys(TypedDict):
    key_check: str
    voice_check: str
    voices: str


def _in_forms(key: str) -> _FormKeys:
    """Return the same key for every form: what to do about the error is the same there."""
    return {"key_check": key, "voice_check": key, "voices": key}


def _service_error(err: client.RealtimeError) -> tuple[str, dict[str, str]]:
    """Return the service key of an error the service reported (or one this table lacks)."""
    if isinstance(err, client.ServiceError):
        return "service_error", {"code": err.code, "message": err.message}
    return "service_error", {"code": type(err).__name__, "message": str(err)}


def _account(err: client.AccountError) -> tuple[str, dict[str, str]]:
    """Return the key (which also names the repair issue) of an account the service refuses."""
    match err.code:
        case "Arrearage":
            return "account_arrearage", {"code": err.code}
        case "Throttling.AllocationQuota":
            return "account_quota", {"code": err.code, "message": err.message}
    return "account_access_denied", {"code": err.code, "message": err.message}


def _other_models_voice(voice: str, model: str) -> bool:
    """Return True for a custom voice used on a model that does not speak its kind."""
    kind = kind_of_voice(voice)
    return kind is not None and kind != kind_of_model(model)


# --- What each place makes of its key ------------------------------------------------------


def translate_error(err: client.RealtimeError, *, model: str, voice: str) -> HomeAssistantError:
    """Return the user-facing error for a failed utterance."""
    keys = error_keys(err, model=model, voice=voice)
    # Input the caller can fix is a validation error, not a failure of the service.
    invalid = isinstance(err, client.InvalidOptionError | client.EmptyTextError)
    return (ServiceValidationError if invalid else HomeAssistantError)(
        translation_domain=DOMAIN,
        translation_key=keys.service,
        translation_placeholders=dict(keys.placeholders),
    )


def account_error(err: client.AccountError) -> HomeAssistantError:
    """Return the error for an account the service refuses; its key also names the repair issue."""
    return translate_error(err, model="", voice="")


def setup_error(
    err: client.RealtimeError, endpoint: str
) -> ConfigEntryAuthFailed | ConfigEntryNotReady:
    """Return why the entry cannot be set up: a refused key starts reauthentication.

    After a restart, setting up is where a changed DNS name, certificate or proxy shows first: its
    key says what to fix; any other failure says what happened.
    """
    key = error_keys(err).setup
    if isinstance(err, client.AuthenticationError):
        return ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key=key)
    placeholders = (
        {"endpoint": endpoint, "reason": str(err)} if key == _SETUP_CANNOT_CONNECT else {}
    )
    return ConfigEntryNotReady(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def key_check_errors(err: client.RealtimeError) -> dict[str, str]:
    """Return the entry form's errors for a key check that failed with `err`."""
    return _on_field(error_keys(err).key_check)


def probe_errors(probe: RegionProbe) -> dict[str, str]:
    """Return the entry form's errors for a key check that failed where `probe` asked.

    The probe names two failures its error alone cannot: a model the region does not serve (the
    service took the key and closed the session) and one a workspace gateway refuses because the
    workspace has not deployed it (the shared host may serve it).
    """
    match probe.outcome:
        case ProbeOutcome.MODEL_MISSING:
            return _on_field("model_missing")
        case ProbeOutcome.NOT_DEPLOYED:
            return _on_field("model_not_deployed")
    return key_check_errors(probe.error) if probe.error is not None else {}


def no_region_errors() -> dict[str, str]:
    """Return the entry form's errors when every vendor region refused the key."""
    return _on_field("invalid_key")


def voice_check_errors(err: client.RealtimeError) -> dict[str, str]:
    """Return the voice step's errors for a voice check that failed with `err`."""
    return _on_field(error_keys(err).voice_check)


def gone_voice_errors() -> dict[str, str]:
    """Return the errors of a voice picked from a list of the account's that it no longer has."""
    return {CONF_VOICE: _VOICE_NOT_FOUND}


def silent_voice_errors() -> dict[str, str]:
    """Return the voice step's errors when the service spoke the check without a sound."""
    return _on_field("unknown_voice")


def voice_errors(err: client.RealtimeError) -> dict[str, str]:
    """Return a voice step's errors for a create, list or delete that failed with `err`."""
    return _on_field(error_keys(err).voices)


def may_have_created(err: client.RealtimeError) -> bool:
    """Return True when a create that failed with `err` may have made (and billed) the voice."""
    return error_keys(err).unconfirmed is not None


def unconfirmed_create_errors(err: client.RealtimeError, *, looked: bool) -> dict[str, str]:
    """Return the errors of a create that may have made its voice, which did not turn up.

    `looked` is True when the account's voices were listed after the failure; without that
    look, nothing is known of the voice.
    """
    return {"base": (error_keys(err).unconfirmed if looked else None) or _CREATE_UNCERTAIN}


def form_placeholders(endpoint: str) -> dict[str, str]:
    """Return what the forms' connection errors name: the host of `endpoint` (what to check)."""
    return {"host": URL(endpoint).host or endpoint}


def recording_key(problem: str) -> str:
    """Return the key of a recording's problem, found here or by the service: `audio_<problem>`."""
    return f"audio_{problem}"


def recording_errors(problem: str) -> dict[str, str]:
    """Return the clone step's errors for a recording with `problem`."""
    return _on_field(recording_key(problem))


def _on_field(key: str) -> dict[str, str]:
    """Return a form's errors: `key` on the field it is about ("base": the whole form)."""
    if key.startswith("audio_"):
        return {CONF_AUDIO: key}
    return {
        {
            "invalid_url": CONF_ENDPOINT,
            "invalid_workspace": CONF_WORKSPACE,
            "unknown_voice": CONF_VOICE,
        }.get(key, "base"): key
    }


def no_audio_error() -> HomeAssistantError:
    """Return the error for a session that ended without any audio."""
    return HomeAssistantError(translation_domain=DOMAIN, translation_key="no_audio")
