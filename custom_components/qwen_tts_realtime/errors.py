"""The one place that turns realtime client errors into translated Home Assistant errors."""

from __future__ import annotations

from typing import Final, NoReturn

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN
from .realtime import errors as client, kind_of_model, kind_of_voice


def _error(
    key: str, cls: type[HomeAssistantError] = HomeAssistantError, **placeholders: str
) -> HomeAssistantError:
    return cls(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def translate_error(err: client.RealtimeError, *, model: str, voice: str) -> HomeAssistantError:
    """Return the user-facing error for a failed utterance."""
    match err:
        case client.InvalidOptionError(supported=False):
            return _error(
                "option_not_supported", ServiceValidationError, option=err.option, model=model
            )
        case client.InvalidOptionError(bounds=(low, high)):
            return _error(
                "option_out_of_range",
                ServiceValidationError,
                option=err.option,
                value=str(err.value),
                min=f"{low:g}",
                max=f"{high:g}",
            )
        case client.InvalidOptionError(expected="number"):
            return _error(
                "option_not_a_number",
                ServiceValidationError,
                option=err.option,
                value=str(err.value),
            )
        case client.InvalidOptionError(expected="text"):
            return _error("option_not_text", ServiceValidationError, option=err.option)
        case client.InvalidOptionError():
            return _error(
                "invalid_option", ServiceValidationError, option=err.option, reason=err.reason
            )
        case client.EmptyTextError():
            return _error("empty_message", ServiceValidationError)
        case client.AuthenticationError():
            return _error("auth_failed")
        case client.AccountError():
            return account_error(err)
        case client.AudioLimitError():
            return _error("audio_limit", seconds=f"{err.seconds:g}")
        case client.IncompleteAudioError():
            return _error("incomplete_audio", reason=str(err))
        case client.RateLimitError():
            return _error("rate_limited")
        case client.ServiceError(param="session.voice") if _other_models_voice(voice, model):
            return _error("voice_of_other_model", voice=voice, model=model)
        case client.ServiceError(param="session.voice"):
            return _error("unknown_voice", voice=voice, model=model, message=err.message)
        case client.ServiceError():
            return _error("service_error", code=err.code, message=err.message)
        case client.ResponseTimeoutError(stage=client.TimeoutStage.CONNECT):
            return _error("connect_timeout", seconds=f"{err.seconds:g}")
        case client.ResponseTimeoutError(stage=client.TimeoutStage.SEND):
            return _error("send_timeout", seconds=f"{err.seconds:g}")
        case client.ResponseTimeoutError(stage=client.TimeoutStage.SYNTHESIZE):
            return _error("synthesize_timeout", seconds=f"{err.seconds:g}")
        case client.ResponseTimeoutError():
            return _error("audio_timeout", seconds=f"{err.seconds:g}")
        case client.ConnectionClosedError(session_accepted=False):
            return _error("session_rejected", model=model)
        case client.ConnectionClosedError():
            return _error("connection_closed")
        case client.ConnectError() if err.reason in CONNECT_ERROR_KEYS:
            return _error(CONNECT_ERROR_KEYS[err.reason])
        case client.ConnectError():
            return _error("cannot_connect", reason=str(err))
        case client.ProtocolError():
            return _error("protocol_error", reason=str(err))
    return _error("service_error", code=type(err).__name__, message=str(err))


def account_error(err: client.AccountError) -> HomeAssistantError:
    """Return the error for an account the service refuses; its key also names the repair issue."""
    match err.code:
        case "Arrearage":
            return _error("account_arrearage", code=err.code)
        case "Throttling.AllocationQuota":
            return _error("account_quota", code=err.code, message=err.message)
    return _error("account_access_denied", code=err.code, message=err.message)


# Why a connection failed, as the key of its form error (config.error,
# config_subentries.tts.error) and of its exception: the same name in both places.
CONNECT_ERROR_KEYS: Final = {
    client.ConnectReason.REFUSED: "connect_refused",
    client.ConnectReason.DNS: "connect_dns",
    client.ConnectReason.TLS: "connect_tls",
    client.ConnectReason.TLS_MISMATCH: "connect_tls_mismatch",
}


def connect_form_error(err: client.ConnectError | client.ResponseTimeoutError) -> str:
    """Return the form error of a connection that could not be made."""
    if isinstance(err, client.ResponseTimeoutError):
        return "connect_timeout" if err.stage == "connect" else "cannot_connect"
    return CONNECT_ERROR_KEYS.get(err.reason, "cannot_connect")


def raise_no_audio() -> NoReturn:
    """Raise the error for a session that ended without any audio."""
    raise _error("no_audio")


# --- Voice customisation (design and cloning, #14) ------------------------------------------
# Kept in one block: the realtime mapping above is edited in parallel.


def _other_models_voice(voice: str, model: str) -> bool:
    """Return True for a custom voice used on a model that does not speak its kind."""
    kind = kind_of_voice(voice)
    return kind is not None and kind != kind_of_model(model)


def voice_form_error(err: client.RealtimeError) -> str:
    """Return the form error (config_subentries.tts.error) for a failed customisation call."""
    match err:
        case client.BadAudioError():
            return f"audio_{err.problem}"
        case client.VoiceStorageFullError():
            return "voice_storage_full"
        case client.RateLimitError():
            return "rate_limited"
        case client.AuthenticationError():
            return "invalid_auth"
        case client.VoiceNotFoundError():
            return "voice_not_found"
        case client.VoiceApiUnavailableError():
            return "voice_api_unavailable"
        case client.ResponseTimeoutError() | client.ConnectError():
            return connect_form_error(err)
    return "voice_service_error"
