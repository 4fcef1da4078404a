"""The base of the integration's entities: the device each belongs to, and its unique id.

Each voice profile is a device (its TTS entity and its usage sensor), and so is the entry's key
(the usage of all its profiles). Both are services of the vendor, not hardware.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigSubentry
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity

from .const import CONF_MODEL, DOMAIN
from .types import QwenTTSConfigEntry

MANUFACTURER = "Alibaba Cloud Model Studio"


class QwenTTSRealtimeEntity(Entity):
    """An entity of one config entry, on a voice profile's device or, without one, the entry's.

    Its unique id is the profile's (or the entry's) id, followed by `_<key>` when given.
    """

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self,
        entry: QwenTTSConfigEntry,
        subentry: ConfigSubentry | None = None,
        key: str | None = None,
    ) -> None:
        """Attach the entity to the profile's device, or to the entry's when `subentry` is None."""
        self._entry = entry
        owner_id = entry.entry_id if subentry is None else subentry.subentry_id
        self._attr_unique_id = owner_id if key is None else f"{owner_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, owner_id)},
            name=entry.title if subentry is None else subentry.title,
            manufacturer=MANUFACTURER,
            model=None if subentry is None else subentry.data[CONF_MODEL],
            entry_type=DeviceEntryType.SERVICE,
        )
