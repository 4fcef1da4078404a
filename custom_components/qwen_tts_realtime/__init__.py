"""Qwen TTS Realtime: Home Assistant text-to-speech through Alibaba Cloud Model Studio."""

from __future__ import annotations

import contextlib

from homeassistant.const import CONF_API_KEY, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import (
    CONF_ENDPOINT,
    CONF_KEEP_WARM,
    CONF_MODEL,
    CONF_PRICE,
    CONF_REGION,
    DEFAULT_KEEP_WARM,
    ENTRY_VERSION,
    LOGGER,
    SUBENTRY_TTS,
    KeepWarm,
)
from .errors import setup_error
from .realtime import (
    DEFAULT_MODEL,
    SPARE_IDLE_TIMEOUT,
    InvalidEndpointError,
    RealtimeClient,
    RealtimeError,
    Region,
    VoiceApiUnavailableError,
    vendor_region,
)
from .repairs import async_check_retired_models
from .types import QwenTTSConfigEntry, QwenTTSData
from .usage import UsageTracker, async_remove_usage
from .voice_library import VoiceLibrary, new_voice_library
from .wake import async_listen_for_wake

PLATFORMS = [Platform.SENSOR, Platform.TTS]


async def async_migrate_entry(hass: HomeAssistant, entry: QwenTTSConfigEntry) -> bool:
    """Bring an entry of an older version up to this one; refuse one of a newer major version.

    An entry of a newer minor version is left as it is: it keeps everything this version reads.
    No migration changes the endpoint an entry talks to, nor the key.
    """
    if entry.version > ENTRY_VERSION:
        return False
    if entry.minor_version < 2:
        # 1.2: six vendor regions. A custom endpoint that is the address of one is that region,
        # which the settings then show as such (region and workspace instead of a URL).
        data = dict(entry.data)
        if data[CONF_REGION] == Region.CUSTOM:
            with contextlib.suppress(InvalidEndpointError):
                if region := vendor_region(data[CONF_ENDPOINT]):
                    data[CONF_REGION] = region.value
        hass.config_entries.async_update_entry(entry, data=data, minor_version=2)
        LOGGER.debug("Migrated entry %s to version %s.2", entry.entry_id, ENTRY_VERSION)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: QwenTTSConfigEntry) -> bool:
    """Check the endpoint and key with a handshake, then add the voice profiles."""
    usage = UsageTracker(hass, entry.entry_id, entry.options.get(CONF_PRICE))
    await usage.async_load(
        sid for sid, sub in entry.subentries.items() if sub.subentry_type == SUBENTRY_TTS
    )
    client = RealtimeClient(
        async_get_clientsession(hass), entry.data[CONF_API_KEY], entry.data[CONF_ENDPOINT]
    )
    models = [
        subentry.data[CONF_MODEL]
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_TTS
    ] or [DEFAULT_MODEL]
    keep_warm = KeepWarm(entry.options.get(CONF_KEEP_WARM, DEFAULT_KEEP_WARM))
    if keep_warm is not KeepWarm.OFF:
        # A connected spare per model hides the handshake (100-300 ms to a remote region); the
        # check below shakes hands on the first model's spare.
        always = keep_warm is KeepWarm.ALWAYS
        client.keep_warm(models, idle_timeout=None if always else SPARE_IDLE_TIMEOUT)
    try:
        await client.check(models[0])
    except BaseException as err:
        await client.close()
        if isinstance(err, RealtimeError):
            raise setup_error(err, client.endpoint) from err
        raise
    voices: VoiceLibrary | None
    try:
        voices = new_voice_library(hass, entry)
    except VoiceApiUnavailableError:  # a custom endpoint without a customisation API
        voices = None
    entry.runtime_data = QwenTTSData(client, usage, voices)
    if keep_warm is not KeepWarm.OFF:
        entry.async_on_unload(async_listen_for_wake(hass, entry))
    async_check_retired_models(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    return True


async def _async_reload(hass: HomeAssistant, entry: QwenTTSConfigEntry) -> None:
    """Apply changed settings, options and added or removed voice profiles."""
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: QwenTTSConfigEntry) -> bool:
    """Unload the voice profiles, write the usage counts, close the spare connections."""
    if not await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        return False
    await entry.runtime_data.usage.async_close()
    await entry.runtime_data.client.close()
    return True


async def async_remove_entry(hass: HomeAssistant, entry: QwenTTSConfigEntry) -> None:
    """Delete the entry's stored usage counts.

    The voices stay in the account: removing the integration never deletes them silently.
    """
    await async_remove_usage(hass, entry.entry_id)
