"""Fixtures of the tests that drive Home Assistant: the emulator, and Home Assistant wired to it."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.components import file_upload
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.qwen_tts_realtime.realtime.endpoints import VENDOR_REGIONS
from qwen_tts_emulator import Emulator, Scenario, VendorRegions

from .helpers import API_KEY, NO_SPARES, SHORT_TIMEOUTS, client_settings, make_entry, setup_entry

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
    "check_translations",
    "pytest_collection_finish",
    "pytest_deselected",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


@pytest.fixture(autouse=True)
def tts_cache_dir(tmp_path: Any) -> Generator[None]:
    """Keep Home Assistant's TTS file cache in a temporary folder (core's fixture isn't shipped)."""
    with (
        patch("homeassistant.components.tts._init_tts_cache_dir", return_value=str(tmp_path)),
        patch("homeassistant.components.tts._get_cache_files", return_value={}),
        patch(
            "homeassistant.components.tts.SpeechManager.write_tags",
            side_effect=lambda *args: args[1],
        ),
    ):
        yield


@pytest.fixture(autouse=True)
def upload_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the files uploaded to Home Assistant in the test's own folder.

    Its file_upload component otherwise uses one fixed folder in the system's temporary folder,
    emptied when it starts and deleted when it stops: two test runs at once (two checkouts, or
    pytest-xdist's workers) would delete each other's uploads.
    """
    # An absolute name: Path(tempfile.gettempdir()) / name is then that folder.
    monkeypatch.setattr(file_upload, "TEMP_DIR_NAME", str(tmp_path / "file_upload"))


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


@pytest.fixture
def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries set up from now on detect a stalled service in a fraction of a second."""
    client_settings(monkeypatch, timeouts=SHORT_TIMEOUTS)
