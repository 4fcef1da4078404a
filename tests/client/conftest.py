"""The client's tests run the emulator on loopback and need no Home Assistant instance."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import aiohttp
import pytest

from custom_components.qwen_tts_realtime.realtime import RealtimeClient
import custom_components.qwen_tts_realtime.realtime.client as client_module
from custom_components.qwen_tts_realtime.realtime.endpoints import VENDOR_REGIONS
from custom_components.qwen_tts_realtime.realtime.timing import KeepAlive, Timeouts
from qwen_tts_emulator import Emulator, Scenario, VendorRegions

from .helpers import KEY, KEYS, ClientFactory


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets; pytest-socket (via Home Assistant's plugin) still limits them to 127.0.0.1."""


@pytest.fixture(autouse=True)
def quick_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shorten the pause before the one retry; the behaviour stays the same."""
    monkeypatch.setattr(client_module, "RETRY_DELAY", 0.01)


@pytest.fixture
async def emulator() -> AsyncGenerator[Emulator]:
    """The emulator on loopback; each test sets `emulator.scenario` to the behaviour it needs."""
    emu = Emulator(Scenario(api_keys=frozenset({KEY})))
    await emu.start(host="127.0.0.1", port=0)
    yield emu
    await emu.stop()


@pytest.fixture
async def http() -> AsyncGenerator[aiohttp.ClientSession]:
    """The aiohttp session the client runs on (Home Assistant passes its shared one)."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def make_client(
    emulator: Emulator, http: aiohttp.ClientSession
) -> AsyncGenerator[ClientFactory]:
    """Build clients for the emulator; every one is closed at the end of the test."""
    clients: list[RealtimeClient] = []

    def make(
        key: str = KEY,
        *,
        endpoint: str | None = None,
        timeouts: Timeouts | None = None,
        keep_alive: KeepAlive | None = None,
    ) -> RealtimeClient:
        client = RealtimeClient(
            http, key, endpoint or emulator.url, timeouts=timeouts, keep_alive=keep_alive
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
def client(make_client: ClientFactory) -> RealtimeClient:
    """A client of the emulator with the default timeouts."""
    return make_client()


@pytest.fixture
async def regions() -> AsyncGenerator[VendorRegions]:
    """Every vendor region behind its real host names, each taking KEY until a test says not."""
    async with VendorRegions(
        {region: Scenario(api_keys=KEYS) for region in VENDOR_REGIONS}
    ) as world:
        yield world


@pytest.fixture
async def regions_http(regions: VendorRegions) -> AsyncGenerator[aiohttp.ClientSession]:
    """A session whose host names lead to the emulated regions (and nowhere else)."""
    async with aiohttp.ClientSession(connector=regions.connector()) as session:
        yield session
