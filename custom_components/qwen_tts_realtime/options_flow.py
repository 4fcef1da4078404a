"""The entry's options: settings of the whole entry (all its voice profiles).

Each option is one field of `_fields`; an option left empty is not stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

if TYPE_CHECKING:  # Home Assistant 2026.x installs probatio as voluptuous: type against it.
    import probatio as vol
else:
    import voluptuous as vol

from .const import CONF_KEEP_WARM, CONF_PRICE, DEFAULT_KEEP_WARM, PRICING_URL, KeepWarm


def _fields(currency: str) -> dict[Any, Any]:
    return {
        vol.Required(CONF_KEEP_WARM, default=DEFAULT_KEEP_WARM): SelectSelector(
            SelectSelectorConfig(
                options=list(KeepWarm),
                mode=SelectSelectorMode.LIST,
                translation_key=CONF_KEEP_WARM,
            )
        ),
        # Opt-in: no price, no cost sensor. Prices change, so none is suggested.
        vol.Optional(CONF_PRICE): NumberSelector(
            NumberSelectorConfig(
                min=0, step="any", mode=NumberSelectorMode.BOX, unit_of_measurement=currency
            )
        ),
    }


class QwenTTSOptionsFlow(OptionsFlow):
    """Edit the entry's options; saving them reloads the entry."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show every option with its current value."""
        if user_input is not None:
            return self.async_create_entry(
                data={key: value for key, value in user_input.items() if value is not None}
            )
        currency = self.hass.config.currency
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                vol.Schema(_fields(currency)), self.config_entry.options
            ),
            description_placeholders={"pricing_url": PRICING_URL, "currency": currency},
        )
