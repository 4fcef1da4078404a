"""The devices entities attach to: one per voice profile, one for the entry (the account)."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo

from .const import CONF_MODEL, DOMAIN

MANUFACTURER = "Alibaba Cloud Model Studio"


def profile_device(subentry: ConfigSubentry) -> DeviceInfo:
    """Return the device of a voice profile: its TTS entity and its usage."""
    return DeviceInfo(
        identifiers={(DOMAIN, subentry.subentry_id)},
        name=subentry.title,
        manufacturer=MANUFACTURER,
        model=subentry.data[CONF_MODEL],
        entry_type=DeviceEntryType.SERVICE,
    )


def account_device(entry: ConfigEntry) -> DeviceInfo:
    """Return the device of the entry's key: the usage of all its profiles."""
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        manufacturer=MANUFACTURER,
        entry_type=DeviceEntryType.SERVICE,
    )
