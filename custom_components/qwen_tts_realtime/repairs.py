"""Repair issues: profiles on a retired model, and accounts the service refuses to serve."""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import API_CONSOLE_URL, CONF_MODEL, DOMAIN, SUBENTRY_TTS
from .errors import account_error
from .realtime import AccountError, model_info
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


def _account_issue_id(entry_id: str) -> str:
    return f"account_{entry_id}"


@callback
def async_report_account_error(hass: HomeAssistant, entry_id: str, err: AccountError) -> None:
    """Raise (or update) the entry's account issue: one per entry, named after the error.

    It says what to do in the vendor's console; `async_clear_account_error` removes it once the
    service speaks again.
    """
    key = account_error(err).translation_key
    assert key is not None
    ir.async_create_issue(
        hass,
        DOMAIN,
        _account_issue_id(entry_id),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key=key,
        translation_placeholders={"code": err.code, "console": API_CONSOLE_URL},
    )


@callback
def async_clear_account_error(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the entry's account issue, if any: the account works again."""
    ir.async_delete_issue(hass, DOMAIN, _account_issue_id(entry_id))
