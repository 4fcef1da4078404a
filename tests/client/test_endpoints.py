"""Endpoint URLs of every region, with and without a workspace, and the handshake headers."""

from __future__ import annotations

import aiohttp
import pytest

from custom_components.qwen_tts_realtime.realtime import (
    InvalidEndpointError,
    RealtimeClient,
    Region,
    VoicesClient,
    endpoint_for,
)
from custom_components.qwen_tts_realtime.realtime.endpoints import (
    VENDOR_REGIONS,
    customization_url,
    is_loopback,
    normalize_endpoint,
    realtime_url,
    request_headers,
    vendor_region,
    workspace_of,
)
from custom_components.qwen_tts_realtime.realtime.errors import InvalidWorkspaceError
from qwen_tts_emulator import Emulator, Scenario, VendorRegions

from .helpers import CONFIG, KEY, KEYS, MODEL, ClientFactory, speak

# What the vendor's SDK (dashscope 2.0.2, v2/_config.py) builds: without a workspace the region's
# shared host (Singapore's for the regions without one of their own), with one its gateway.
SHARED_HOSTS = {
    Region.INTERNATIONAL: "dashscope-intl.aliyuncs.com",
    Region.MAINLAND_CHINA: "dashscope.aliyuncs.com",
    Region.HONG_KONG: "cn-hongkong.dashscope.aliyuncs.com",
    Region.US: "dashscope-intl.aliyuncs.com",
    Region.GERMANY: "dashscope-intl.aliyuncs.com",
    Region.JAPAN: "dashscope-intl.aliyuncs.com",
}
GATEWAY_REGIONS = {
    Region.INTERNATIONAL: "ap-southeast-1",
    Region.MAINLAND_CHINA: "cn-beijing",
    Region.HONG_KONG: "cn-hongkong",
    Region.US: "us-east-1",
    Region.GERMANY: "eu-central-1",
    Region.JAPAN: "ap-northeast-1",
}
WORKSPACE = "llm-0123abcd"
EVERY_REGION = pytest.mark.parametrize("region", VENDOR_REGIONS, ids=str)


def test_the_six_vendor_regions_and_a_custom_one() -> None:
    assert set(VENDOR_REGIONS) == set(SHARED_HOSTS) == set(Region) - {Region.CUSTOM}


def test_international_endpoint() -> None:
    assert endpoint_for(Region.INTERNATIONAL) == (
        "wss://dashscope-intl.aliyuncs.com/api-ws/v1/realtime"
    )


def test_mainland_china_endpoint() -> None:
    assert endpoint_for(Region.MAINLAND_CHINA) == "wss://dashscope.aliyuncs.com/api-ws/v1/realtime"


@EVERY_REGION
def test_without_a_workspace_a_region_is_its_shared_host(region: Region) -> None:
    endpoint = endpoint_for(region)

    assert endpoint == f"wss://{SHARED_HOSTS[region]}/api-ws/v1/realtime"
    assert request_headers(KEY, endpoint) == {"Authorization": f"Bearer {KEY}"}
    assert str(customization_url(endpoint)) == (
        f"https://{SHARED_HOSTS[region]}/api/v1/services/audio/tts/customization"
    )


@EVERY_REGION
def test_with_a_workspace_a_region_is_the_workspaces_gateway(region: Region) -> None:
    host = f"{WORKSPACE}.{GATEWAY_REGIONS[region]}.maas.aliyuncs.com"

    endpoint = endpoint_for(region, workspace=WORKSPACE)

    assert endpoint == f"wss://{host}/api-ws/v1/realtime"
    assert request_headers(KEY, endpoint) == {
        "Authorization": f"Bearer {KEY}",
        "X-DashScope-WorkSpace": WORKSPACE,
    }
    assert str(customization_url(endpoint)) == (
        f"https://{host}/api/v1/services/audio/tts/customization"
    )


@pytest.mark.parametrize("workspace", [None, "", "   "])
def test_no_workspace_means_the_shared_host(workspace: str | None) -> None:
    assert endpoint_for(Region.GERMANY, workspace=workspace) == endpoint_for(Region.GERMANY)


def test_a_workspace_is_taken_trimmed_and_in_lower_case_as_host_names_are() -> None:
    endpoint = endpoint_for(Region.JAPAN, workspace="  LLM-0123ABCD ")

    assert endpoint == endpoint_for(Region.JAPAN, workspace=WORKSPACE)
    assert request_headers(KEY, endpoint)["X-DashScope-WorkSpace"] == WORKSPACE


@pytest.mark.parametrize(
    "workspace", ["-ws", "ws.evil.com", "ws/path", "ws@host", "ws:1", "w s", "x" * 65, "ws\nevil"]
)
def test_a_workspace_that_cannot_be_a_host_label_is_refused(workspace: str) -> None:
    with pytest.raises(InvalidWorkspaceError):
        endpoint_for(Region.US, workspace=workspace)


def test_a_workspace_is_ignored_for_a_custom_endpoint() -> None:
    endpoint = endpoint_for(Region.CUSTOM, "wss://proxy.example/api-ws/v1/realtime", workspace="x")

    assert endpoint == "wss://proxy.example/api-ws/v1/realtime"
    assert "X-DashScope-WorkSpace" not in request_headers(KEY, endpoint)


def test_a_custom_gateway_endpoint_names_its_workspace() -> None:
    endpoint = endpoint_for(Region.CUSTOM, f"{WORKSPACE}.cn-beijing.maas.aliyuncs.com")

    assert workspace_of(endpoint) == WORKSPACE
    assert request_headers(KEY, endpoint)["X-DashScope-WorkSpace"] == WORKSPACE


@pytest.mark.parametrize(
    ("endpoint", "region"),
    [
        ("wss://dashscope-intl.aliyuncs.com/api-ws/v1/realtime", Region.INTERNATIONAL),
        ("dashscope.aliyuncs.com", Region.MAINLAND_CHINA),
        ("cn-hongkong.dashscope.aliyuncs.com", Region.HONG_KONG),
        (f"wss://{WORKSPACE}.us-east-1.maas.aliyuncs.com/api-ws/v1/realtime", Region.US),
        (f"{WORKSPACE}.eu-central-1.maas.aliyuncs.com", Region.GERMANY),
        (f"{WORKSPACE}.ap-northeast-1.maas.aliyuncs.com/", Region.JAPAN),
        (f"{WORKSPACE}.ap-southeast-1.maas.aliyuncs.com", Region.INTERNATIONAL),
        (f"{WORKSPACE}.mars-1.maas.aliyuncs.com", None),  # a region this version does not know
        ("wss://dashscope-intl.aliyuncs.com:8443/api-ws/v1/realtime", None),
        ("wss://dashscope-intl.aliyuncs.com/proxy", None),
        ("wss://proxy.example/api-ws/v1/realtime", None),
        ("ws://127.0.0.1:8765", None),
    ],
)
def test_the_vendor_region_of_an_endpoint(endpoint: str, region: Region | None) -> None:
    assert vendor_region(endpoint) is region


@pytest.mark.parametrize("region", [Region.INTERNATIONAL, Region.MAINLAND_CHINA])
def test_model_goes_in_the_query(region: Region) -> None:
    url = realtime_url(endpoint_for(region), MODEL)

    assert str(url) == f"{endpoint_for(region)}?model={MODEL}"


def test_model_query_replaces_a_query_of_the_endpoint() -> None:
    url = realtime_url("wss://example.com/api-ws/v1/realtime?model=other&x=1", MODEL)

    assert url.query_string == f"model={MODEL}"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (
            "ws-abc123.cn-beijing.maas.aliyuncs.com",
            "wss://ws-abc123.cn-beijing.maas.aliyuncs.com/api-ws/v1/realtime",
        ),
        (
            "  wss://ws-abc123.ap-southeast-1.maas.aliyuncs.com/api-ws/v1/realtime/  ",
            "wss://ws-abc123.ap-southeast-1.maas.aliyuncs.com/api-ws/v1/realtime",
        ),
        (
            "wss://ws-abc123.cn-beijing.maas.aliyuncs.com/",
            "wss://ws-abc123.cn-beijing.maas.aliyuncs.com/api-ws/v1/realtime",
        ),
        (
            "wss://dashscope.aliyuncs.com/api-ws/v1/realtime?model=x#frag",
            "wss://dashscope.aliyuncs.com/api-ws/v1/realtime",
        ),
        ("ws://127.0.0.1:8765/api-ws/v1/realtime", "ws://127.0.0.1:8765/api-ws/v1/realtime"),
        ("ws://localhost:8765", "ws://localhost:8765/api-ws/v1/realtime"),
        ("ws://[::1]:8765/api-ws/v1/realtime", "ws://[::1]:8765/api-ws/v1/realtime"),
    ],
)
def test_custom_endpoint_is_normalized(given: str, expected: str) -> None:
    assert endpoint_for(Region.CUSTOM, given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "ws://dashscope.aliyuncs.com/api-ws/v1/realtime",  # clear text to a remote host
        "ws://192.168.1.10:8765/api-ws/v1/realtime",
        "https://dashscope.aliyuncs.com/api-ws/v1/realtime",
        "ftp://example.com",
        "wss://",
        "wss://exa mple.com:99999",
    ],
)
def test_bad_endpoint_is_refused(given: str) -> None:
    with pytest.raises(InvalidEndpointError):
        normalize_endpoint(given)


def test_custom_region_needs_an_endpoint() -> None:
    with pytest.raises(InvalidEndpointError):
        endpoint_for(Region.CUSTOM)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("10.0.0.1", False),
        ("example.com", False),
        ("", False),
        (None, False),
    ],
)
def test_is_loopback(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_client_refuses_a_clear_text_remote_endpoint(http: object) -> None:
    with pytest.raises(InvalidEndpointError):
        RealtimeClient(http, KEY, "ws://example.com/api-ws/v1/realtime")  # type: ignore[arg-type]


async def test_endpoint_property_is_normalized_and_holds_no_key(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    client = make_client(endpoint=emulator.url + "/?model=ignored")

    assert client.endpoint == emulator.url
    assert KEY not in client.endpoint


async def test_handshake_sends_bearer_key_and_model(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    await speak(make_client().synthesize(CONFIG, "Hello."))
    await emulator.wait_idle()

    record = emulator.sessions[0]
    assert record.header("Authorization") == f"Bearer {KEY}"
    assert record.model == MODEL
    assert record.header("X-DashScope-WorkSpace") is None
    assert emulator.open_connections == 0


async def test_check_opens_and_closes_one_socket(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    await make_client().check(MODEL)
    await emulator.wait_idle()

    assert emulator.connections_total == 1
    assert emulator.sessions[0].received == []
    assert emulator.sessions[0].closed_by_client is True


@EVERY_REGION
@pytest.mark.parametrize("workspace", [None, WORKSPACE], ids=["shared", "workspace"])
async def test_the_client_reaches_the_region_with_its_header(
    regions: VendorRegions,
    regions_http: aiohttp.ClientSession,
    region: Region,
    workspace: str | None,
) -> None:
    client = RealtimeClient(regions_http, KEY, endpoint_for(region, workspace=workspace))

    await speak(client.synthesize(CONFIG, "Hello."))

    shares_singapores_host = SHARED_HOSTS[region] == SHARED_HOSTS[Region.INTERNATIONAL]
    served_by = Region.INTERNATIONAL if shares_singapores_host and not workspace else region
    [session] = [s for e in regions.emulators.values() for s in e.sessions]
    assert session in regions.emulators[served_by].sessions
    assert session.header("X-DashScope-WorkSpace") == workspace
    assert session.header("Authorization") == f"Bearer {KEY}"


async def test_voices_belong_to_the_region_and_workspace_of_the_endpoint(
    regions: VendorRegions, regions_http: aiohttp.ClientSession
) -> None:
    germany = regions.emulators[Region.GERMANY]
    endpoint = endpoint_for(Region.GERMANY, workspace=WORKSPACE)

    await VoicesClient(regions_http, KEY, endpoint).list_voices("design")

    assert [request.action for request in germany.voices.requests] == ["list"]
    assert all(not e.voices.requests for r, e in regions.emulators.items() if r != Region.GERMANY)
