"""Loaded before pytest's other plugins (pyproject.toml's addopts: `-p tests.harness_compat`).

Two fixes that let the test harness run on Home Assistant releases newer than it pins (scripts/test
--ha installs the newest release over the newest harness while the harness lags):

- Home Assistant 2026.11 aliases `httpx` to `httpx2` when it is imported, and refuses to start if
  `httpx` was imported before; respx, a plugin among the harness's requirements, imports it. So
  Home Assistant is imported here, first. (Harmless on older releases.)
- pytest-homeassistant-custom-component 0.13.375 (pinning 2026.10.4) imports
  `logger._clear_logger_overwrites`, which moved to `logger.helpers` in 2026.11.
"""

from __future__ import annotations

import importlib

import homeassistant.components.logger as ha_logger

if not hasattr(ha_logger, "_clear_logger_overwrites"):
    helpers = importlib.import_module("homeassistant.components.logger.helpers")
    ha_logger._clear_logger_overwrites = helpers._clear_logger_overwrites  # type: ignore[attr-defined]
