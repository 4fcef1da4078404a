"""The one place that builds realtime endpoint URLs."""

from __future__ import annotations

from enum import StrEnum
import ipaddress
from typing import Final

from yarl import URL

from .errors import InvalidEndpointError, VoiceApiUnavailableError

REALTIME_PATH: Final = "/api-ws/v1/realtime"
CUSTOMIZATION_PATH: Final = "/api/v1/services/audio/tts/customization"


class Region(StrEnum):
    """Where the service runs; an API key only works in its own region."""

    INTERNATIONAL = "international"
    MAINLAND_CHINA = "mainland_china"
    CUSTOM = "custom"


REGION_ENDPOINTS: Final[dict[Region, str]] = {
    Region.INTERNATIONAL: f"wss://dashscope-intl.aliyuncs.com{REALTIME_PATH}",
    Region.MAINLAND_CHINA: f"wss://dashscope.aliyuncs.com{REALTIME_PATH}",
}


def is_loopback(host: str | None) -> bool:
    """Return True for hosts that never leave this machine."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def normalize_endpoint(raw: str) -> str:
    """Validate a user-given endpoint and return it without query or trailing slash.

    A bare host (a workspace host such as ``ws-1.cn-beijing.maas.aliyuncs.com``) gets ``wss://``
    and the realtime path. ``ws://`` is accepted only for loopback hosts, so a key never travels
    in clear text to another machine.
    """
    text = raw.strip()
    if "://" not in text:
        text = f"wss://{text}"
    try:
        url = URL(text)
    except ValueError as err:
        raise InvalidEndpointError(f"not a URL: {raw!r}") from err
    if url.user is not None or url.password is not None:
        # The key goes in a header; aiohttp refuses to add credentials from the URL to it.
        raise InvalidEndpointError("the endpoint must not hold a user name or password")
    if url.scheme not in ("ws", "wss") or not url.host:
        raise InvalidEndpointError("the endpoint must be a ws:// or wss:// URL with a host")
    if url.scheme == "ws" and not is_loopback(url.host):
        raise InvalidEndpointError("ws:// is only allowed for this machine; use wss://")
    if url.path in ("", "/"):
        url = url.with_path(REALTIME_PATH)
    return str(url.with_query(None).with_fragment(None)).rstrip("/")


def endpoint_for(region: Region, custom_endpoint: str | None = None) -> str:
    """Return the endpoint of a region, or the validated custom one."""
    if region is Region.CUSTOM:
        if not custom_endpoint:
            raise InvalidEndpointError("a custom region needs an endpoint URL")
        return normalize_endpoint(custom_endpoint)
    return REGION_ENDPOINTS[region]


def other_region(region: Region) -> Region | None:
    """Return the vendor region a key refused in `region` may belong to; None for a custom one."""
    return {
        Region.INTERNATIONAL: Region.MAINLAND_CHINA,
        Region.MAINLAND_CHINA: Region.INTERNATIONAL,
    }.get(region)


def realtime_url(endpoint: str, model: str) -> URL:
    """Return the URL to open for one session of `model`."""
    return URL(normalize_endpoint(endpoint)).with_query(model=model)


def customization_url(endpoint: str) -> URL:
    """Return the HTTPS address of the voice customisation API beside a realtime endpoint.

    The service serves both from the same host: ``wss://host/api-ws/v1/realtime`` becomes
    ``https://host/api/v1/services/audio/tts/customization`` (``ws://`` loopback: ``http://``).
    A custom endpoint with another path (a proxy) gives no way to know where the API is.
    """
    url = URL(normalize_endpoint(endpoint))
    if url.path != REALTIME_PATH:
        raise VoiceApiUnavailableError(
            f"no voice API address for an endpoint whose path is not {REALTIME_PATH}"
        )
    return url.with_scheme("https" if url.scheme == "wss" else "http").with_path(CUSTOMIZATION_PATH)
