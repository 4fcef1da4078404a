"""Fixtures of the tests that drive Home Assistant: the emulator, and Home Assistant wired to it."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from unittest.mock import patch

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.qwen_tts_realtime.realtime.endpoints import VENDOR_REGIONS
from qwen_tts_emulator import Emulator, Scenario, VendorRegions

from .ha_fixtures import (
    API_KEY,
    NO_SPARES,
    auto_enable_custom_integrations,
    make_entry,
    setup_entry,
    tts_cache_dir,
)

# Every translation key a test produces exists: the check's autouse fixture applies to the tests
# in this folder; its hooks judge, after a run of all of them, whether every string was reached.
from .translations_check import (
    check_translations,
    pytest_collection_finish,
    pytest_deselected,
    pytest_sessionfinish,
    pytest_terminal_summary,
)

__all__ = [
    "API_KEY",
    "auto_enable_custom_integrations",
    "check_translations",
    "make_entry",
    "pytest_collection_finish",
    "pytest_deselected",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
    "setup_entry",
    "tts_cache_dir",
]


@pytest.fixture
async def emulator(hass: HomeAssistant, socket_enabled: None) -> AsyncGenerator[Emulator]:
    """Run the emulator on loopback; tests change `emulator.scenario` to set their scenario.

    Depends on `hass` so that it stops before Home Assistant's own leak checks run, and on
    `socket_enabled` because it listens on a socket (connections stay limited to 127.0.0.1).
    """
    emu = Emulator(Scenario(api_keys=frozenset({API_KEY})))
    await emu.start(host="127.0.0.1", port=0)
    yield emu
    await emu.stop()


@pytest.fixture
async def regions(hass: HomeAssistant, socket_enabled: None) -> AsyncGenerator[VendorRegions]:
    """Every vendor region behind its real host names, each taking API_KEY until a test says not.

    Home Assistant's own client session reaches them: its resolver answers the regions' host
    names (and no other) with their emulators, and its TLS trusts their certificate.
    """
    world = VendorRegions(
        {region: Scenario(api_keys=frozenset({API_KEY})) for region in VENDOR_REGIONS}
    )
    await world.start()
    try:
        with (
            patch(
                "homeassistant.helpers.aiohttp_client._async_make_resolver",
                return_value=world.resolver(),
            ),
            patch("homeassistant.util.ssl.client_context", return_value=world.client_ssl),
        ):
            yield world
    finally:
        await world.stop()


@pytest.fixture
async def entry(hass: HomeAssistant, emulator: Emulator) -> MockConfigEntry:
    """A loaded entry with the default English profile, speaking through the emulator."""
    config_entry = make_entry(emulator)
    await setup_entry(hass, config_entry)
    return config_entry


@pytest.fixture
async def cold_entry(hass: HomeAssistant, emulator: Emulator) -> MockConfigEntry:
    """A loaded entry that keeps no spare: every utterance connects under the test's scenario."""
    config_entry = make_entry(emulator, options=NO_SPARES)
    await setup_entry(hass, config_entry)
    return config_entry
