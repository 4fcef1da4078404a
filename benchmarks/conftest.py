"""Fixtures of the Home Assistant path benchmark (benchmarks/ha_session.py, run by ha_path.py)."""

from __future__ import annotations

import pytest

# The same Home Assistant set-up as the tests: the integration loadable, the TTS cache in tmp.
from tests.ha.conftest import auto_enable_custom_integrations, tts_cache_dir

__all__ = ["auto_enable_custom_integrations", "tts_cache_dir"]


@pytest.fixture(autouse=True)
async def enable_event_loop_debug() -> None:
    """Override the harness's fixture: Home Assistant does not run its loop in debug mode."""
