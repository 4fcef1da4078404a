"""Repair issues: profiles on a retired model, and accounts the service refuses to serve.

A profile on a retired model is fixed in one click: its fix flow switches the profile to the
model's replacement (every voice of a retired model is also one of its replacement's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

if TYPE_CHECKING:
    # Home Assistant 2026.3 lacks the name (its repair flows return a FlowResult);
    # only annotations use it. 2026.x installs probatio as voluptuous: type against it.
    from homeassistant.components.repairs import RepairsFlowResult
    import probatio as vol
else:
    import voluptuous as vol

from .const import API_CONSOLE_URL, CONF_MODEL, DOMAIN, SUBENTRY_TTS
from .errors import account_error
from .realtime import DEFAULT_MODEL, AccountError, ModelInfo, model_info
from .types import QwenTTSConfigEntry

_RETIRED_MODEL = "retired_model_"


@callback
def async_check_retired_models(hass: HomeAssistant, entry: QwenTTSConfigEntry) -> None:
    """Raise one issue per profile on a retired model; clear the issue once it is fixed."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type != SUBENTRY_TTS:
            continue
        issue_id = f"{_RETIRED_MODEL}{subentry.subentry_id}"
        model = model_info(subentry.data[CONF_MODEL])
        if model.retired_on is None:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
            continue
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            data={"entry_id": entry.entry_id, "subentry_id": subentry.subentry_id},
            is_fixable=True,
            severity=ir.IssueSeverity.ERROR,
            translation_key="retired_model",
            translation_placeholders={"profile": subentry.title},
        )


def _replacement(model: ModelInfo) -> str:
    return model.replacement or DEFAULT_MODEL


class RetiredModelRepairFlow(RepairsFlow):
    """Switches a profile on a retired model to the model's replacement, once confirmed."""

    def __init__(self, entry_id: str, subentry_id: str) -> None:
        """Fix the profile `subentry_id` of the entry `entry_id`."""
        self._entry_id = entry_id
        self._subentry_id = subentry_id

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Ask to confirm the switch."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Switch the profile's model; the entry reloads and drops the issue."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        subentry = entry.subentries.get(self._subentry_id) if entry is not None else None
        if entry is None or subentry is None:
            return self.async_abort(reason="profile_removed")
        model = model_info(subentry.data[CONF_MODEL])
        if user_input is not None:
            self.hass.config_entries.async_update_subentry(
                entry, subentry, data={**subentry.data, CONF_MODEL: _replacement(model)}
            )
            return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="confirm",
            data_schema=vol.Schema({}),
            description_placeholders={
                "profile": subentry.title,
                "model": model.name,
                "retired_on": model.retired_on.isoformat() if model.retired_on else "",
                "replacement": _replacement(model),
            },
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Return the fix flow of a fixable issue (only retired models have one)."""
    assert issue_id.startswith(_RETIRED_MODEL)
    assert data is not None
    return RetiredModelRepairFlow(str(data["entry_id"]), str(data["subentry_id"]))


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
