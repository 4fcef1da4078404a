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
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN, SUBENTRY_TTS
from .devices import account_device, profile_device
from .types import QwenTTSConfigEntry
from .usage import Counter, UsageTracker

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: QwenTTSConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the entry's total and cost, and one counter per voice profile."""
    usage = entry.runtime_data.usage
    account = account_device(entry)
    entities: list[SensorEntity] = [EntryCharactersSensor(usage, entry.entry_id, account)]
    cost_id = f"{entry.entry_id}_estimated_cost"
    if usage.price is not None:
        entities.append(EstimatedCostSensor(usage, cost_id, account))
    elif entity_id := er.async_get(hass).async_get_entity_id(Platform.SENSOR, DOMAIN, cost_id):
        er.async_get(hass).async_remove(entity_id)  # the price was removed: no cost any more
    async_add_entities(entities)
    for subentry in entry.subentries.values():
        if subentry.subentry_type == SUBENTRY_TTS:
            async_add_entities(
                [ProfileCharactersSensor(usage, subentry)],
                config_subentry_id=subentry.subentry_id,
            )


class _UsageSensor(SensorEntity):
    """A sensor that changes when an utterance is counted."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, usage: UsageTracker, unique_id: str, device: DeviceInfo) -> None:
        self._usage = usage
        self._attr_unique_id = unique_id
        self._attr_device_info = device

    @override
    async def async_added_to_hass(self) -> None:
        self.async_on_remove(self._usage.async_add_listener(self.async_write_ha_state))


class _CharactersSensor(_UsageSensor):
    """Characters billed so far; only grows."""

    _attr_translation_key = "billed_characters"
    _attr_state_class = SensorStateClass.TOTAL_INCREASING

    def _counter(self) -> Counter:
        raise NotImplementedError

    @property
    @override
    def native_value(self) -> int:
        return self._counter().characters


class EntryCharactersSensor(_CharactersSensor):
    """Every voice profile's characters together, removed profiles' included."""

    def __init__(self, usage: UsageTracker, entry_id: str, device: DeviceInfo) -> None:
        super().__init__(usage, f"{entry_id}_billed_characters", device)

    @override
    def _counter(self) -> Counter:
        return self._usage.total


class ProfileCharactersSensor(_CharactersSensor):
    """One voice profile's characters: a detail of its TTS entity's device."""

    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, usage: UsageTracker, subentry: ConfigSubentry) -> None:
        super().__init__(
            usage, f"{subentry.subentry_id}_billed_characters", profile_device(subentry)
        )
        self._subentry_id = subentry.subentry_id

    @override
    def _counter(self) -> Counter:
        return self._usage.profile(self._subentry_id)


class EstimatedCostSensor(_UsageSensor):
    """What the billed characters cost at the prices the user entered, in Home Assistant's currency.

    Each utterance adds its characters at the price in force when it was spoken.
    """

    _attr_translation_key = "estimated_cost"
    _attr_device_class = SensorDeviceClass.MONETARY
    _attr_state_class = SensorStateClass.TOTAL
    # Amounts per utterance are fractions of a cent.
    _attr_suggested_display_precision = 4

    @property
    @override
    def native_value(self) -> float:
        return self._usage.cost

    @property
    @override
    def native_unit_of_measurement(self) -> str:
        return self.hass.config.currency
