"""Repair issues for voice profiles that use a model the vendor has retired."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import CONF_MODEL, DOMAIN, SUBENTRY_TTS
from .realtime import model_info
from .types import QwenTTSConfigEntry


@callback
def async_check_retired_models(hass: HomeAssistant, entry: QwenTTSConfigEntry) -> None:
    """Raise one issue per profile on a retired model; clear the issue once it is fixed."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type != SUBENTRY_TTS:
            continue
        issue_id = f"retired_model_{subentry.subentry_id}"
        model = model_info(subentry.data[CONF_MODEL])
        if model.retired_on is None:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
            continue
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="retired_model",
            translation_placeholders={
                "profile": subentry.title,
                "model": model.name,
                "retired_on": model.retired_on.isoformat(),
                "replacement": model.replacement or "",
            },
        )
