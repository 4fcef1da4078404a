"""Checks an API key at a region's endpoint with a handshake, before an entry keeps it."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import CONF_ENDPOINT
from .errors import CONNECT_ERROR_KEYS  # the one table, shared
from .form_error import FormError
from .realtime import (
    AuthenticationError,
    ConnectError,
    InvalidEndpointError,
    RealtimeClient,
    RealtimeError,
    Region,
    ResponseTimeoutError,
    endpoint_for,
)
from .realtime.endpoints import other_region


class KeyInOtherRegion(Exception):
    """The chosen region refused the key, and the other vendor region accepts it."""

    def __init__(self, region: Region) -> None:
        """Name the region that accepts the key."""
        super().__init__(region.value)
        self.region = region


async def _handshake_error(hass: HomeAssistant, api_key: str, endpoint: str) -> str | None:
    """Return the form error of a handshake with `endpoint`, or None when it accepts the key."""
    try:
        await RealtimeClient(async_get_clientsession(hass), api_key, endpoint).check()
    except AuthenticationError:
        return "invalid_auth"
    except ResponseTimeoutError:
        return "connect_timeout"
    except ConnectError as err:
        return CONNECT_ERROR_KEYS.get(err.reason, "cannot_connect")
    except RealtimeError:
        return "cannot_connect"
    return None


async def check_connection(
    hass: HomeAssistant, api_key: str, region: str, custom_endpoint: str | None
) -> str:
    """Return the endpoint URL when the key works there.

    Raise FormError when it does not. A key is refused outside its region exactly like a wrong
    key, so a key a vendor region refuses is tried in the other one: KeyInOtherRegion when that
    region accepts it.
    """
    try:
        endpoint = endpoint_for(Region(region), custom_endpoint)
    except InvalidEndpointError:
        raise FormError(CONF_ENDPOINT, "invalid_url") from None
    error = await _handshake_error(hass, api_key, endpoint)
    if error is None:
        return endpoint
    other = other_region(Region(region))
    if error != "invalid_auth" or other is None:
        raise FormError("base", error)
    match await _handshake_error(hass, api_key, endpoint_for(other)):
        case None:
            raise KeyInOtherRegion(other)
        case "invalid_auth":
            raise FormError("base", "invalid_key")
        case _:  # the other region cannot say: keep the hint that keys are bound to a region
            raise FormError("base", "invalid_auth")
