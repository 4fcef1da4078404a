"""Proves, before a profile is saved, that its model speaks with a voice the catalogue lacks."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import aclosing
from typing import Any, Final

from homeassistant.const import CONF_LANGUAGE
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import CONF_MODEL, CONF_VOICE
from .errors import connect_form_error
from .profile import default_options, utterance_config
from .realtime import (
    AccountError,
    AuthenticationError,
    ConnectError,
    ConnectionClosedError,
    RateLimitError,
    RealtimeClient,
    RealtimeError,
    ResponseTimeoutError,
    ServiceError,
    model_info,
)

# What the check speaks: the service rejects an unknown voice at the latest when it synthesizes,
# and a few characters cost next to nothing (billing counts characters).
VOICE_CHECK_TEXT: Final = "Hi."


async def check_voice(
    hass: HomeAssistant, api_key: str, endpoint: str, profile: Mapping[str, Any]
) -> dict[str, str]:
    """Return no errors when the profile's voice is the model's, or the service speaks with it.

    A voice of the model's catalogue needs no check. Any other id (a cloned or designed voice, or
    a typo) must produce audio in a real session with the profile's settings: audio is the proof,
    so the first chunk ends the check and the rest is discarded. A voice the flow has just created
    or listed from the account is proven already: the flow does not call this for it.
    """
    model = model_info(profile[CONF_MODEL])
    if profile[CONF_VOICE] in model.voices:
        return {}
    options = default_options(model, profile)
    config = utterance_config(model, profile.get(CONF_LANGUAGE, ""), options, encoded=False)
    client = RealtimeClient(async_get_clientsession(hass), api_key, endpoint)
    try:
        async with aclosing(client.synthesize(config, VOICE_CHECK_TEXT)) as audio:
            async for _ in audio:
                return {}
    except AuthenticationError:
        return {"base": "invalid_auth"}
    except AccountError:
        return {"base": "account_refused"}
    except RateLimitError:
        return {"base": "rate_limited"}
    except ServiceError:
        return {CONF_VOICE: "unknown_voice"}
    except ConnectionClosedError as err:
        # Closed before accepting the session: refused what changed since the handshake, the voice.
        return {"base": "cannot_connect"} if err.session_accepted else {CONF_VOICE: "unknown_voice"}
    except (ConnectError, ResponseTimeoutError) as err:
        return {"base": connect_form_error(err)}
    except RealtimeError:
        # Incomplete, malformed or too much audio: the service failed, which says nothing of the
        # voice; trying again later may prove it.
        return {"base": "cannot_connect"}
    finally:
        await client.close()
    # The service completed the text without a sound: it does not speak with this voice.
    return {CONF_VOICE: "unknown_voice"}
