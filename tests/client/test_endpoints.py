"""Endpoint URLs, the model query, and the handshake headers."""

from __future__ import annotations

import pytest

from custom_components.qwen_tts_realtime.realtime import (
    InvalidEndpointError,
    RealtimeClient,
    Region,
    endpoint_for,
    is_loopback,
    normalize_endpoint,
)
from custom_components.qwen_tts_realtime.realtime.endpoints import REGION_ENDPOINTS, realtime_url
from qwen_tts_emulator import Emulator, Scenario

from .helpers import CONFIG, KEY, KEYS, MODEL, ClientFactory, speak


def test_international_endpoint() -> None:
    assert endpoint_for(Region.INTERNATIONAL) == (
        "wss://dashscope-intl.aliyuncs.com/api-ws/v1/realtime"
    )


def test_mainland_china_endpoint() -> None:
    assert endpoint_for(Region.MAINLAND_CHINA) == "wss://dashscope.aliyuncs.com/api-ws/v1/realtime"


@pytest.mark.parametrize("region", [Region.INTERNATIONAL, Region.MAINLAND_CHINA])
def test_model_goes_in_the_query(region: Region) -> None:
    url = realtime_url(REGION_ENDPOINTS[region], MODEL)

    assert str(url) == f"{REGION_ENDPOINTS[region]}?model={MODEL}"


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
