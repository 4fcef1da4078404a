"""The entry's options: settings of the whole entry (all its voice profiles).

Each option is one field of `flow_schemas.options_schema`; an option left empty is not stored.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlow

from .const import PRICING_URL
from .flow_schemas import options_schema


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
                options_schema(currency), self.config_entry.options
            ),
            description_placeholders={"pricing_url": PRICING_URL, "currency": currency},
        )
