"""Diagnostics, with the API key, anything secret and the workspace ID redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant

from .const import CONF_ENDPOINT, CONF_KEEP_WARM, DEFAULT_KEEP_WARM
from .realtime import workspace_of
from .types import QwenTTSConfigEntry

TO_REDACT = {CONF_API_KEY, "unique_id"}
REDACTED = "**REDACTED**"


def _redact_workspace(entry: dict[str, Any]) -> dict[str, Any]:
    """Hide the workspace ID in a gateway endpoint: not a secret, but it names the account."""
    data = entry.get("data")
    if not isinstance(data, dict):
        return entry
    endpoint = data.get(CONF_ENDPOINT)
    if isinstance(endpoint, str) and (workspace := workspace_of(endpoint)):
        entry["data"] = {**data, CONF_ENDPOINT: endpoint.replace(workspace, REDACTED, 1)}
    return entry


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: QwenTTSConfigEntry
) -> dict[str, Any]:
    """Return the entry's settings, its voice profiles, the client's state and usage.

    The runtime state: the keep-warm setting and each kept model's spare, the timeouts,
    failed utterances by error type, undecodable frames skipped, and the answers of fallback
    voices with the last reason, since the entry was set up.
    """
    client = entry.runtime_data.client
    return {
        "runtime": {
            "keep_warm": entry.options.get(CONF_KEEP_WARM, DEFAULT_KEEP_WARM),
            "spares": client.spares_state(),
            "timeouts": asdict(client.timeouts),
            "errors": dict(entry.runtime_data.errors),
            "skipped_frames": client.skipped_frames,
            "fallback": entry.runtime_data.fallback.as_diagnostics(),
        },
        "entry": _redact_workspace(async_redact_data(entry.as_dict(), TO_REDACT | {"subentries"})),
        "profiles": [
            {
                "subentry_id": subentry.subentry_id,
                "title": subentry.title,
                "data": dict(subentry.data),
            }
            for subentry in entry.subentries.values()
        ],
        "usage": {**entry.runtime_data.usage.as_diagnostics(), "currency": hass.config.currency},
    }
