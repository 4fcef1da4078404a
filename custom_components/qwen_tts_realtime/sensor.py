"""Usage sensors: billed characters per voice profile and per entry, and the estimated cost."""

from __future__ import annotations

from typing import override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN, SUBENTRY_TTS
from .entity import QwenTTSRealtimeEntity
from .types import QwenTTSConfigEntry

PARALLEL_UPDATES = 0
_COST_KEY = "estimated_cost"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: QwenTTSConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entry's total and cost, and one counter per voice profile."""
    entities: list[SensorEntity] = [CharactersSensor(entry)]
    if entry.runtime_data.usage.price is not None:
        entities.append(EstimatedCostSensor(entry))
    elif entity_id := er.async_get(hass).async_get_entity_id(
        Platform.SENSOR, DOMAIN, f"{entry.entry_id}_{_COST_KEY}"
    ):
        er.async_get(hass).async_remove(entity_id)  # the price was removed: no cost any more
    async_add_entities(entities)
    for subentry in entry.subentries.values():
        if subentry.subentry_type == SUBENTRY_TTS:
            async_add_entities(
                [CharactersSensor(entry, subentry)],
                config_subentry_id=subentry.subentry_id,
            )


class _UsageSensor(QwenTTSRealtimeEntity, SensorEntity):
    """A sensor that changes when an utterance is counted."""

    def __init__(
        self, entry: QwenTTSConfigEntry, subentry: ConfigSubentry | None, key: str
    ) -> None:
        super().__init__(entry, subentry, key)
        self._usage = entry.runtime_data.usage

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(self._usage.async_add_listener(self.async_write_ha_state))


class CharactersSensor(_UsageSensor):
    """Characters billed so far; only grows.

    A profile's count is a detail of its TTS entity's device; the entry's counts every profile,
    removed ones included.
    """

    _attr_translation_key = "billed_characters"
    _attr_state_class = SensorStateClass.TOTAL_INCREASING

    def __init__(self, entry: QwenTTSConfigEntry, subentry: ConfigSubentry | None = None) -> None:
        super().__init__(entry, subentry, "billed_characters")
        self._profile_id = None if subentry is None else subentry.subentry_id
        if subentry is not None:
            self._attr_entity_category = EntityCategory.DIAGNOSTIC

    @property
    @override
    def native_value(self) -> int:
        if self._profile_id is None:
            return self._usage.total.characters
        return self._usage.profile(self._profile_id).characters


class EstimatedCostSensor(_UsageSensor):
    """What the billed characters cost at the prices the user entered, in Home Assistant's currency.

    Each utterance adds its characters at the price in force when it was spoken.
    """

    _attr_translation_key = "estimated_cost"
    _attr_device_class = SensorDeviceClass.MONETARY
    _attr_state_class = SensorStateClass.TOTAL
    # Amounts per utterance are fractions of a cent.
    _attr_suggested_display_precision = 4

    def __init__(self, entry: QwenTTSConfigEntry) -> None:
        super().__init__(entry, None, _COST_KEY)

    @property
    @override
    def native_value(self) -> float:
        return self._usage.cost

    @property
    @override
    def native_unit_of_measurement(self) -> str:
        return self.hass.config.currency
