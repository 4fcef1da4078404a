"""Home Assistant wired to the integration: shared by the tests and the benchmarks.

The two autouse fixtures take effect where a conftest imports them (tests/ha/conftest.py,
benchmarks/conftest.py).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from functools import partial
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_API_KEY, CONF_LANGUAGE
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.qwen_tts_realtime.const import (
    CONF_ENDPOINT,
    CONF_KEEP_WARM,
    CONF_MODEL,
    CONF_PITCH_RATE,
    CONF_REGION,
    CONF_SAMPLE_RATE,
    CONF_SPEECH_RATE,
    CONF_VOICE,
    CONF_VOLUME,
    DOMAIN,
    SUBENTRY_TTS,
    KeepWarm,
)
from custom_components.qwen_tts_realtime.realtime import RealtimeClient
from qwen_tts_emulator import Emulator

API_KEY = "sk-test-0123456789abcdef"
PROFILE: dict[str, Any] = {
    CONF_MODEL: "qwen3-tts-flash-realtime",
    CONF_VOICE: "Cherry",
    CONF_LANGUAGE: "en",
    CONF_SAMPLE_RATE: 24000,
    CONF_SPEECH_RATE: 1.0,
    CONF_VOLUME: 50,
    CONF_PITCH_RATE: 1.0,
}

# Options of an entry that keeps no spare: each utterance connects under the test's scenario.
NO_SPARES: dict[str, Any] = {CONF_KEEP_WARM: KeepWarm.OFF}


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


def make_entry(
    emulator: Emulator,
    *,
    endpoint: str | None = None,
    options: Mapping[str, Any] | None = None,
    **profile: Any,
) -> MockConfigEntry:
    """Return a config entry pointing at the emulator (or `endpoint`) with one voice profile."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Qwen TTS (custom)",
        data={
            CONF_API_KEY: API_KEY,
            CONF_REGION: "custom",
            CONF_ENDPOINT: endpoint or emulator.url,
        },
        options=dict(options or {}),
        subentries_data=[
            ConfigSubentryData(
                subentry_type=SUBENTRY_TTS,
                title="Qwen TTS",
                data={**PROFILE, **profile},
                unique_id=None,
            )
        ],
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add the entry and set it up with the tts component."""
    assert await async_setup_component(hass, "tts", {})
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def client_settings(monkeypatch: pytest.MonkeyPatch, **settings: Any) -> None:
    """Make every entry set up from now on build its client with `settings` (e.g. timeouts)."""
    monkeypatch.setattr(
        "custom_components.qwen_tts_realtime.RealtimeClient", partial(RealtimeClient, **settings)
    )
