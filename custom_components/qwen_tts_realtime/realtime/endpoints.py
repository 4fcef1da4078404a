"""Where the service is: the one place that builds its addresses, and the probe of each region.

Every URL the integration opens is built here: the realtime socket and the customisation API of
each vendor region, with or without a workspace, and an endpoint of the user's own. The vendor's
`dashscope` 2.x SDK (`dashscope/v2/_config.py`) is the reference. With a workspace ID it talks to
the workspace's gateway in the region, ``{workspace}.{region}.maas.aliyuncs.com``, and names the
workspace in the ``X-DashScope-WorkSpace`` header; without one, to the region's legacy shared
host, which the regions without one of their own share with Singapore. The shared hosts stay the
default: a workspace gateway refuses a model the workspace has not deployed
(``AccessDenied.Unpurchased``) where the shared host serves it.

The workspace is read back from a gateway's host name, so the socket and the header can never
name different workspaces, and an entry stores its endpoint alone.

An API key works only in its own region, and a key refused there looks exactly like a wrong one:
`probe_regions` asks each region at once whether it takes the key and serves the model, and how
long its handshake takes. It sends the key to the vendor hosts built here and nowhere else;
`probe_endpoint` asks one endpoint, such as the user's own.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
import ipaddress
import re
from typing import Final

import aiohttp
from yarl import URL

from .catalog import DEFAULT_MODEL, Format
from .connection import Connection
from .errors import (
    AccountError,
    AuthenticationError,
    ConnectionClosedError,
    InvalidEndpointError,
    InvalidWorkspaceError,
    RateLimitError,
    RealtimeError,
    ResponseTimeoutError,
    ServiceError,
    TimeoutStage,
    VoiceApiUnavailableError,
)
from .session_config import DEFAULT_SAMPLE_RATE
from .timing import PROBE_TIMEOUT, PROBES_AT_ONCE, AudioMeter, Timeouts

REALTIME_PATH: Final = "/api-ws/v1/realtime"
CUSTOMIZATION_PATH: Final = "/api/v1/services/audio/tts/customization"
WORKSPACE_HEADER: Final = "X-DashScope-WorkSpace"
GATEWAY_DOMAIN: Final = "maas.aliyuncs.com"
# The SDK's rule for a workspace ID, which becomes a DNS label of the gateway's host name.
_WORKSPACE_ID: Final = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,63}\Z")
_GATEWAY_HOST: Final = re.compile(
    r"\A(?P<workspace>[a-z0-9][a-z0-9_-]{0,63})\.(?P<region>[a-z0-9-]+)\."
    + re.escape(GATEWAY_DOMAIN)
    + r"\Z"
)
# An account-level refusal that, on a workspace gateway, means the workspace has not deployed the
# model (the shared host may serve it).
UNDEPLOYED_CODE: Final = "AccessDenied.Unpurchased"


class Region(StrEnum):
    """Where the service runs; an API key works only in its own region.

    The values are stored in config entries: the two regions offered first keep the names they
    had when they were the only two.
    """

    INTERNATIONAL = "international"  # Singapore
    MAINLAND_CHINA = "mainland_china"  # Beijing
    HONG_KONG = "hong_kong"
    US = "us"  # Virginia
    GERMANY = "germany"  # Frankfurt
    JAPAN = "japan"  # Tokyo
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class Site:
    """How a vendor region is reached."""

    gateway_region: str  # the region's name in its workspace gateways' host names
    shared_host: str  # the legacy shared host the SDK uses without a workspace


# The SDK's six regions and their shared hosts, in the order a region picker shows them.
SITES: Final[dict[Region, Site]] = {
    Region.INTERNATIONAL: Site("ap-southeast-1", "dashscope-intl.aliyuncs.com"),
    Region.MAINLAND_CHINA: Site("cn-beijing", "dashscope.aliyuncs.com"),
    Region.HONG_KONG: Site("cn-hongkong", "cn-hongkong.dashscope.aliyuncs.com"),
    Region.US: Site("us-east-1", "dashscope-intl.aliyuncs.com"),
    Region.GERMANY: Site("eu-central-1", "dashscope-intl.aliyuncs.com"),
    Region.JAPAN: Site("ap-northeast-1", "dashscope-intl.aliyuncs.com"),
}
VENDOR_REGIONS: Final = tuple(SITES)


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


def normalize_workspace(raw: str) -> str:
    """Return a workspace ID as it goes in a host name; raise `InvalidWorkspaceError` if it cannot.

    Host names are case-insensitive, so the ID is lower-cased: the header then names it exactly
    as the host does.
    """
    workspace = raw.strip()
    if not _WORKSPACE_ID.match(workspace):
        raise InvalidWorkspaceError(
            "a workspace ID is 1-64 letters, digits, '-' or '_', starting with a letter or digit"
        )
    return workspace.lower()


def endpoint_for(
    region: Region, custom_endpoint: str | None = None, *, workspace: str | None = None
) -> str:
    """Return the realtime endpoint of a vendor region, or the validated custom one.

    With a workspace ID a vendor region's endpoint is the workspace's gateway there; without one
    (None or blank) the region's shared host. A custom endpoint is used as given: its host says
    whether it is a gateway, and so which workspace the header names.
    """
    if region is Region.CUSTOM:
        if not custom_endpoint:
            raise InvalidEndpointError("a custom region needs an endpoint URL")
        return normalize_endpoint(custom_endpoint)
    site = SITES[region]
    if workspace is None or not workspace.strip():
        host = site.shared_host
    else:
        host = f"{normalize_workspace(workspace)}.{site.gateway_region}.{GATEWAY_DOMAIN}"
    return f"wss://{host}{REALTIME_PATH}"


def gateway_workspace(host: str) -> str | None:
    """Return the workspace whose gateway `host` is, or None for any other host."""
    match = _GATEWAY_HOST.match(host.lower())
    return match["workspace"] if match else None


def workspace_of(endpoint: str) -> str | None:
    """Return the workspace whose gateway `endpoint` is, or None for any other endpoint."""
    return gateway_workspace(URL(normalize_endpoint(endpoint)).host or "")


def vendor_region(endpoint: str) -> Region | None:
    """Return the vendor region `endpoint` is the address of, or None for any other endpoint.

    A shared host that several regions use belongs to the region it is named after (the
    international one is Singapore's).
    """
    endpoint = normalize_endpoint(endpoint)
    workspace = workspace_of(endpoint)
    for region in VENDOR_REGIONS:
        if endpoint_for(region, workspace=workspace) == endpoint:
            return region
    return None


def request_headers(api_key: str, endpoint: str) -> dict[str, str]:
    """Return the headers of every request to `endpoint`: the key, and a gateway's workspace."""
    headers = {"Authorization": f"Bearer {api_key}"}
    if (workspace := workspace_of(endpoint)) is not None:
        headers[WORKSPACE_HEADER] = workspace
    return headers


def realtime_url(endpoint: str, model: str) -> URL:
    """Return the URL to open for one session of `model`."""
    return URL(normalize_endpoint(endpoint)).with_query(model=model)


def customization_url(endpoint: str) -> URL:
    """Return the HTTPS address of the voice customisation API beside a realtime endpoint.

    The service serves both from the same host: ``wss://host/api-ws/v1/realtime`` becomes
    ``https://host/api/v1/services/audio/tts/customization`` (``ws://`` loopback: ``http://``).
    Voices belong to a region, and on a gateway to its workspace. A custom endpoint with another
    path (a proxy) gives no way to know where the API is.
    """
    url = URL(normalize_endpoint(endpoint))
    if url.path != REALTIME_PATH:
        raise VoiceApiUnavailableError(
            f"no voice API address for an endpoint whose path is not {REALTIME_PATH}"
        )
    return url.with_scheme("https" if url.scheme == "wss" else "http").with_path(CUSTOMIZATION_PATH)


# --- Which regions take a key, nearest first ---------------------------------------------------


class ProbeOutcome(StrEnum):
    """What one region said of a key and a model."""

    WORKS = "works"  # the key is accepted and the model's session starts
    KEY_REFUSED = "key_refused"  # a wrong key, or a key of another region
    MODEL_MISSING = "model_missing"  # the key is accepted; the session closes: no such model here
    NOT_DEPLOYED = "not_deployed"  # a workspace gateway refuses a model the workspace lacks
    ACCOUNT_REFUSED = "account_refused"  # the key is accepted; the account may not use the model
    UNREACHABLE = "unreachable"  # no answer: a name, connection, certificate, time or load failure


_KEY_ACCEPTED: Final = frozenset(
    {
        ProbeOutcome.WORKS,
        ProbeOutcome.MODEL_MISSING,
        ProbeOutcome.NOT_DEPLOYED,
        ProbeOutcome.ACCOUNT_REFUSED,
    }
)


@dataclass(frozen=True, slots=True)
class RegionProbe:
    """How one region (or a custom endpoint) answered a key and a model.

    `handshake_ms` is the measured time of the WebSocket handshake (name lookup, connection, TLS
    and upgrade: what every utterance without a spare socket waits for), None when there was none.
    `error` says why the region does not work; it never holds the key.
    """

    region: Region
    endpoint: str
    outcome: ProbeOutcome
    handshake_ms: float | None = None
    error: RealtimeError | None = None

    @property
    def works(self) -> bool:
        """Return True when the key and the model work here."""
        return self.outcome is ProbeOutcome.WORKS

    @property
    def key_accepted(self) -> bool:
        """Return True when the key belongs here, whether or not the model works."""
        return self.outcome in _KEY_ACCEPTED


def probe_outcome(error: RealtimeError, endpoint: str) -> ProbeOutcome:
    """Return what a probe's failure says of the key and the model at `endpoint`."""
    match error:
        case AuthenticationError():
            return ProbeOutcome.KEY_REFUSED
        case AccountError(code=code) if code == UNDEPLOYED_CODE and workspace_of(endpoint):
            return ProbeOutcome.NOT_DEPLOYED
        case AccountError():
            return ProbeOutcome.ACCOUNT_REFUSED
        case ConnectionClosedError(session_accepted=False):
            # The service took the key, sent `session.created` and closed: the silent close of a
            # model it does not serve.
            return ProbeOutcome.MODEL_MISSING
        case _:
            return ProbeOutcome.UNREACHABLE


async def probe_endpoint(
    session: aiohttp.ClientSession,
    api_key: str,
    endpoint: str,
    model: str = DEFAULT_MODEL,
    *,
    region: Region = Region.CUSTOM,
) -> RegionProbe:
    """Ask `endpoint` whether it takes `api_key` and serves `model`; bills nothing.

    The handshake is timed; then `session.update` (no settings) and `session.finish` go out with
    no text. `session.updated`, or an error answering the settings, proves that the region runs
    the model; a silent close, that it does not. The probe's answer comes within `PROBE_TIMEOUT`
    seconds; closing its socket, which leaves none open, takes at most `CLOSE_TIMEOUT` more.
    """
    endpoint = normalize_endpoint(endpoint)
    loop = asyncio.get_running_loop()
    conn: Connection | None = None
    handshake_ms: float | None = None
    error: RealtimeError | None = None
    try:
        # The client's own timeouts are longer: the probe's bound is the one that expires.
        async with asyncio.timeout(PROBE_TIMEOUT):
            started = loop.time()
            conn = await Connection.open(
                session,
                str(realtime_url(endpoint, model)),
                request_headers(api_key, endpoint),
                Timeouts(),
                secret=api_key,
            )
            handshake_ms = round((loop.time() - started) * 1000, 1)
            await _start_session(conn)
    except TimeoutError:
        if conn is None or not conn.session_accepted:
            error = ResponseTimeoutError(TimeoutStage.CONNECT, PROBE_TIMEOUT)
    except RealtimeError as err:
        # Kept in the result: without the frames of the handshake, whose headers hold the key.
        error = err.with_traceback(None)
    finally:
        if conn is not None:
            await conn.close()
    if error is None:
        return RegionProbe(region, endpoint, ProbeOutcome.WORKS, handshake_ms)
    return RegionProbe(region, endpoint, probe_outcome(error, endpoint), handshake_ms, error)


async def _start_session(conn: Connection) -> None:
    """Return once the service accepted a session; raise why it did not."""
    await conn.start({}, AudioMeter(Format.PCM, DEFAULT_SAMPLE_RATE))
    await conn.send("session.finish")
    conn.mark_input_done()
    try:
        async for _ in conn.audio():
            pass  # no text, no audio
    except ServiceError as err:
        # The service answered the session: what it said of a session without settings or text
        # (a voice the model needs, an empty input) says nothing of the model.
        if not conn.session_accepted and isinstance(err, RateLimitError):
            raise
    except RealtimeError:
        if not conn.session_accepted:
            raise


async def probe_regions(
    session: aiohttp.ClientSession,
    api_key: str,
    model: str = DEFAULT_MODEL,
    *,
    workspace: str | None = None,
) -> list[RegionProbe]:
    """Probe every vendor region at once (at most `PROBES_AT_ONCE` sockets); nearest first.

    With a workspace ID each region's workspace gateway is probed, without one each shared host.
    An endpoint several regions share (the international shared host) is probed once, as the
    region it is named after. The regions that work come first, fastest handshake first; the
    others follow in the picker's order. Raise `InvalidWorkspaceError` for a malformed workspace.
    """
    endpoints: dict[str, Region] = {}
    for region in VENDOR_REGIONS:
        endpoints.setdefault(endpoint_for(region, workspace=workspace), region)
    gate = asyncio.Semaphore(PROBES_AT_ONCE)

    async def probe(endpoint: str, region: Region) -> RegionProbe:
        async with gate:
            return await probe_endpoint(session, api_key, endpoint, model, region=region)

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(probe(e, r)) for e, r in endpoints.items()]
    probes = [task.result() for task in tasks]
    working = sorted((p for p in probes if p.works), key=lambda p: p.handshake_ms or 0.0)
    return working + [p for p in probes if not p.works]
