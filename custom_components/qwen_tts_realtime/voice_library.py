"""The account's custom voices, per config entry: the customisation client and a cached list.

A loaded entry keeps its library in its runtime data (a changed key or endpoint reloads the entry,
and with it the library).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
import logging
import time
from typing import TYPE_CHECKING, Final

from homeassistant.components.tts import Voice
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import CONF_ENDPOINT, DOMAIN
from .realtime import (
    ClonedVoice,
    CustomVoice,
    DesignedVoice,
    RealtimeError,
    VoiceKind,
    VoicesClient,
    kind_of_model,
)

if TYPE_CHECKING:
    from .types import QwenTTSConfigEntry

_LOGGER = logging.getLogger(__name__)
# How stale the custom voices in the voice pickers may get when they change outside Home
# Assistant; changes made through this integration refresh the list at once.
VOICE_LIST_MAX_AGE: Final = timedelta(minutes=5)


@dataclass(slots=True)
class _Listing:
    voices: list[CustomVoice] = field(default_factory=list)
    fetched_at: float | None = None  # monotonic seconds; None: never fetched, or invalidated
    refreshing: bool = False


class VoiceLibrary:
    """Creates, lists and deletes one account's voices; keeps the lists for the voice pickers."""

    def __init__(self, client: VoicesClient) -> None:
        self.client = client
        self._listings: dict[VoiceKind, _Listing] = {"design": _Listing(), "clone": _Listing()}

    async def design(
        self, name: str, description: str, preview_text: str, language: str
    ) -> DesignedVoice:
        """Design a voice (billed; never retried)."""
        try:
            return await self.client.design(name, description, preview_text, language)
        finally:
            self.invalidate()

    async def clone(
        self, name: str, audio: bytes, mime_type: str, *, language: str, transcript: str | None
    ) -> ClonedVoice:
        """Clone a voice (billed; never retried)."""
        try:
            return await self.client.clone(
                name, audio, mime_type, language=language, transcript=transcript
            )
        finally:
            self.invalidate()

    async def delete(self, voice_id: str) -> None:
        """Delete a voice from the account."""
        try:
            await self.client.delete(voice_id)
        finally:
            self.invalidate()

    async def voices(self, kind: VoiceKind) -> list[CustomVoice]:
        """Fetch the account's voices of one kind, and keep them for `cached`."""
        listing = self._listings[kind]
        voices = await self.client.list_voices(kind)
        listing.voices, listing.fetched_at = voices, time.monotonic()
        return voices

    def cached(self, kind: VoiceKind) -> list[CustomVoice]:
        """Return the voices last fetched (possibly none yet)."""
        return list(self._listings[kind].voices)

    def stale(self, kind: VoiceKind) -> bool:
        """Return True when the list should be fetched again."""
        fetched_at = self._listings[kind].fetched_at
        return fetched_at is None or (
            time.monotonic() - fetched_at > VOICE_LIST_MAX_AGE.total_seconds()
        )

    @callback
    def async_refresh_if_stale(self, hass: HomeAssistant, kind: VoiceKind) -> None:
        """Fetch the list in the background when it is stale; one fetch at a time."""
        listing = self._listings[kind]
        if listing.refreshing or not self.stale(kind):
            return
        listing.refreshing = True

        async def refresh() -> None:
            try:
                await self.voices(kind)
            except RealtimeError as err:
                _LOGGER.warning("Cannot list the account's %s voices: %s", kind, err)
                listing.fetched_at = time.monotonic()  # try again after the bound, not at once
            finally:
                listing.refreshing = False

        hass.async_create_background_task(refresh(), f"{DOMAIN} list {kind} voices")

    def invalidate(self) -> None:
        """Forget when the lists were fetched: the next look fetches them again."""
        for listing in self._listings.values():
            listing.fetched_at = None


def new_voice_library(hass: HomeAssistant, entry: ConfigEntry) -> VoiceLibrary:
    """Return a library for the entry's key and endpoint, with no list fetched yet.

    Raises VoiceApiUnavailableError when the entry's endpoint gives no customisation API.
    """
    client = VoicesClient(
        async_get_clientsession(hass), entry.data[CONF_API_KEY], entry.data[CONF_ENDPOINT]
    )
    return VoiceLibrary(client)


@callback
def voice_library(hass: HomeAssistant, entry: QwenTTSConfigEntry) -> VoiceLibrary:
    """Return the loaded entry's library; one for this call alone while the entry is not loaded.

    Raises VoiceApiUnavailableError when the entry's endpoint gives no customisation API.
    """
    if entry.state is ConfigEntryState.LOADED and entry.runtime_data.voices is not None:
        return entry.runtime_data.voices
    return new_voice_library(hass, entry)


# How a voice was made, as a mark in its label: labels built here reach the browser as they are,
# in no language (the flows' translated help explains the marks).
KIND_MARKS: Final[dict[VoiceKind, str]] = {"design": "✏️", "clone": "🎙️"}


@callback
def custom_voices(library: VoiceLibrary | None, model: str, own_voice: str) -> list[Voice]:
    """Return the voices a custom-voice model can speak, as last listed: the profile's first."""
    voices = [Voice(own_voice, own_voice)]
    kind = kind_of_model(model)
    if library is None or kind is None:
        return voices
    for voice in library.cached(kind):
        if voice.target_model != model:
            continue
        label = f"{KIND_MARKS[kind]} {voice.name}"
        if voice.created:
            label += f" ({voice.created:%Y-%m-%d})"
        if voice.voice_id == own_voice:
            voices[0] = Voice(own_voice, label)
        else:
            voices.append(Voice(voice.voice_id, label))
    return voices
