"""Qwen TTS Realtime: Home Assistant text-to-speech through Alibaba Cloud Model Studio."""

from __future__ import annotations

from homeassistant.const import CONF_API_KEY, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import (
    CONF_ENDPOINT,
    CONF_KEEP_WARM,
    CONF_MODEL,
    CONF_PRICE,
    DEFAULT_KEEP_WARM,
    DOMAIN,
    SUBENTRY_TTS,
    KeepWarm,
)
from .errors import CONNECT_ERROR_KEYS
from .realtime import (
    DEFAULT_MODEL,
    AuthenticationError,
    ConnectError,
    RealtimeClient,
    RealtimeError,
    VoiceApiUnavailableError,
)
from .realtime.limits import SPARE_IDLE_TIMEOUT
from .repairs import async_check_retired_models
from .types import QwenTTSConfigEntry, QwenTTSData
from .usage import UsageTracker, async_remove_usage
from .voice_library import VoiceLibrary, new_voice_library
from .wake import async_listen_for_wake

PLATFORMS = [Platform.SENSOR, Platform.TTS]


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
        if isinstance(err, AuthenticationError):
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="auth_failed"
            ) from err
        if isinstance(err, RealtimeError):
            raise _not_ready(client.endpoint, err) from err
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


def _not_ready(endpoint: str, err: RealtimeError) -> ConfigEntryNotReady:
    """Say why the endpoint cannot be reached where that says what to fix, else what happened.

    After a restart, setting up is where a changed DNS name, certificate or proxy shows first.
    """
    if isinstance(err, ConnectError) and (key := CONNECT_ERROR_KEYS.get(err.reason)):
        return ConfigEntryNotReady(translation_domain=DOMAIN, translation_key=key)
    return ConfigEntryNotReady(
        translation_domain=DOMAIN,
        translation_key="setup_cannot_connect",
        translation_placeholders={"endpoint": endpoint, "reason": str(err)},
    )


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
