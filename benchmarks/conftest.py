"""Fixtures of the Home Assistant path benchmark (benchmarks/ha_path.py, run by run.py)."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from unittest.mock import patch

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components/."""


@pytest.fixture(autouse=True)
def tts_cache_dir(tmp_path: Path) -> Generator[None]:
    """Keep Home Assistant's TTS file cache in a temporary folder."""
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
async def enable_event_loop_debug() -> None:
    """Override the harness's fixture: Home Assistant does not run its loop in debug mode."""
