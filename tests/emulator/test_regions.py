"""The vendor's regions on loopback: real host names, TLS, and a scenario per region."""

from __future__ import annotations

import aiohttp
import pytest

from custom_components.qwen_tts_realtime.realtime.endpoints import (
    VENDOR_REGIONS,
    Region,
    endpoint_for,
)
from qwen_tts_emulator import Scenario, VendorRegions

from .helpers import KEY, MODEL

WORKSPACE = "llm-0123abcd"
AUTH = {"Authorization": f"Bearer {KEY}"}


async def handshake(http: aiohttp.ClientSession, endpoint: str) -> int:
    """Return the status of a WebSocket handshake with `endpoint` (101: accepted)."""
    try:
        async with http.ws_connect(f"{endpoint}?model={MODEL}", headers=AUTH):
            return 101
    except aiohttp.WSServerHandshakeError as err:
        return err.status


async def refusal_code(http: aiohttp.ClientSession, endpoint: str) -> str:
    """Return the `code` of the body of a refused upgrade request."""
    url = endpoint.replace("wss://", "https://")
    async with http.get(f"{url}?model={MODEL}", headers=AUTH) as response:
        return str((await response.json())["code"])


async def test_each_region_answers_for_its_own_hosts_over_tls() -> None:
    scenarios = {region: Scenario(api_keys=frozenset({KEY})) for region in VENDOR_REGIONS}
    async with (
        VendorRegions(scenarios) as regions,
        aiohttp.ClientSession(connector=regions.connector()) as http,
    ):
        for region in scenarios:
            assert await handshake(http, endpoint_for(region, workspace=WORKSPACE)) == 101
            await regions.emulators[region].wait_idle()

    assert all(len(emulator.sessions) == 1 for emulator in regions.emulators.values())


async def test_a_region_takes_only_its_own_keys() -> None:
    async with (
        VendorRegions(
            {
                Region.INTERNATIONAL: Scenario(api_keys=frozenset({KEY})),
                Region.MAINLAND_CHINA: Scenario(api_keys=frozenset({"sk-other"})),
            }
        ) as regions,
        aiohttp.ClientSession(connector=regions.connector()) as http,
    ):
        singapore = await handshake(http, endpoint_for(Region.INTERNATIONAL))
        beijing = await handshake(http, endpoint_for(Region.MAINLAND_CHINA))

    assert (singapore, beijing) == (101, 401)


async def test_a_workspace_gateway_refuses_a_model_the_workspace_has_not_deployed() -> None:
    scenario = Scenario(api_keys=frozenset({KEY}), undeployed_models=frozenset({MODEL}))
    async with (
        VendorRegions({Region.INTERNATIONAL: scenario}) as regions,
        aiohttp.ClientSession(connector=regions.connector()) as http,
    ):
        gateway = endpoint_for(Region.INTERNATIONAL, workspace=WORKSPACE)
        refused = await handshake(http, gateway), await refusal_code(http, gateway)
        shared = await handshake(http, endpoint_for(Region.INTERNATIONAL))
        await regions.emulators[Region.INTERNATIONAL].wait_idle()

    assert refused == (403, "AccessDenied.Unpurchased")
    assert shared == 101


async def test_a_host_no_region_plays_does_not_resolve() -> None:
    async with (
        VendorRegions({Region.INTERNATIONAL: Scenario()}) as regions,
        aiohttp.ClientSession(connector=regions.connector()) as http,
    ):
        for endpoint in (endpoint_for(Region.MAINLAND_CHINA), "wss://example.com/"):
            with pytest.raises(aiohttp.ClientConnectorDNSError):
                await http.ws_connect(endpoint, headers=AUTH)

    assert regions.asked == ["dashscope.aliyuncs.com", "example.com"]
