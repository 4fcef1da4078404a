"""The offer of the region that accepts a key the chosen region refused (issue #15)."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigFlow,
    ConfigFlowResult,
)

from .realtime import Region, endpoint_for


class RegionOffer(ConfigFlow):
    """Say which region accepts the key and offer it in one click, or going back.

    The flow mixing this in says in `_use_key` what taking a key at an endpoint means for the
    step that asked (a new entry, reauthentication or reconfiguring).
    """

    _key_elsewhere = ""  # a key refused in the chosen region but accepted in the other

    async def _use_key(self, api_key: str, region: Region, endpoint: str) -> ConfigFlowResult:
        """Go on with a key the service accepts at `endpoint`."""
        raise NotImplementedError

    def _offer_region(self, api_key: str, region: Region) -> ConfigFlowResult:
        """Offer `region`, which accepts `api_key`, or going back to the step that asked."""
        self._key_elsewhere = api_key
        back = {SOURCE_REAUTH: "reauth_confirm", SOURCE_RECONFIGURE: "reconfigure"}
        return self.async_show_menu(
            step_id=f"key_in_{region.value}",
            menu_options=[f"use_{region.value}", back.get(self.source or "", "user")],
        )

    async def async_step_key_in_international(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the International region, which accepts the key the chosen one refused."""
        return self._offer_region(self._key_elsewhere, Region.INTERNATIONAL)

    async def async_step_key_in_mainland_china(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Offer the Mainland China region, which accepts the key the chosen one refused."""
        return self._offer_region(self._key_elsewhere, Region.MAINLAND_CHINA)

    async def async_step_use_international(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Use the key in the International region, which accepted it."""
        return await self._use_region(Region.INTERNATIONAL)

    async def async_step_use_mainland_china(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Use the key in the Mainland China region, which accepted it."""
        return await self._use_region(Region.MAINLAND_CHINA)

    async def _use_region(self, region: Region) -> ConfigFlowResult:
        return await self._use_key(self._key_elsewhere, region, endpoint_for(region))
