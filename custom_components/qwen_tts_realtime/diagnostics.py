"""Diagnostics, with the API key and anything secret redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant

from .const import CONF_MODEL, SUBENTRY_TTS
from .types import QwenTTSConfigEntry

TO_REDACT = {CONF_API_KEY, "unique_id"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: QwenTTSConfigEntry
) -> dict[str, Any]:
    """Return the entry's settings, its voice profiles, the client's state and usage.

    The runtime state: whether a spare socket waits for each profile's model, the timeouts,
    failed utterances by error type and undecodable frames skipped, since the entry was set up.
    """
    client = entry.runtime_data.client
    profiles = [sub for sub in entry.subentries.values() if sub.subentry_type == SUBENTRY_TTS]
    models = sorted({profile.data[CONF_MODEL] for profile in profiles})
    return {
        "runtime": {
            "spare_ready": {model: client.has_spare(model) for model in models},
            "timeouts": asdict(client.timeouts),
            "errors": dict(entry.runtime_data.errors),
            "skipped_frames": client.skipped_frames,
        },
        "entry": async_redact_data(entry.as_dict(), TO_REDACT | {"subentries"}),
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
