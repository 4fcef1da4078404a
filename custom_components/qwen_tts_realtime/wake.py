"""Pre-connect when a voice satellite wakes: the answer then skips the handshake.

A satellite's `assist_satellite` entity goes to `listening` at the wake word; speech-to-text and
the conversation agent take a second or more before any text reaches text-to-speech, ample time
to open the socket. The satellite's pipeline names the TTS engine: when it is one of this entry's
voice profiles, that profile's model gets a spare; when it is another engine, none. When Home
Assistant does not tell (no such entity object, no pipeline), every model of the entry gets one.
The pool's `ensure` is idempotent: many satellites waking at once still open one spare per model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from .const import CONF_MODEL, DOMAIN, SUBENTRY_TTS

if TYPE_CHECKING:
    from .types import QwenTTSConfigEntry

SATELLITE_DOMAIN = "assist_satellite"
LISTENING = "listening"  # AssistSatelliteState.LISTENING


@callback
def async_listen_for_wake(hass: HomeAssistant, entry: QwenTTSConfigEntry) -> CALLBACK_TYPE:
    """Open a spare whenever a satellite starts listening; return the function that stops it."""

    @callback
    def woke(event: Event[EventStateChangedData]) -> None:
        client = entry.runtime_data.client
        for model in sorted(_models_for(hass, entry, event.data["entity_id"])):
            client.ensure_spare(model)

    return hass.bus.async_listen(EVENT_STATE_CHANGED, woke, event_filter=_started_listening)


@callback
def _started_listening(data: EventStateChangedData) -> bool:
    new, old = data["new_state"], data["old_state"]
    return (
        new is not None
        and new.domain == SATELLITE_DOMAIN
        and new.state == LISTENING
        and (old is None or old.state != LISTENING)
    )


def _models_for(hass: HomeAssistant, entry: QwenTTSConfigEntry, satellite: str) -> set[str]:
    """Return the models the satellite's next answer may use."""
    registry = er.async_get(hass)
    profiles = {
        registry.async_get_entity_id("tts", DOMAIN, sid): sub.data[CONF_MODEL]
        for sid, sub in entry.subentries.items()
        if sub.subentry_type == SUBENTRY_TTS
    }
    engine = _tts_engine(hass, satellite)
    if engine is _UNKNOWN:
        return set(profiles.values())
    return {profiles[engine]} if engine in profiles else set()


_UNKNOWN = object()


def _tts_engine(hass: HomeAssistant, satellite: str) -> object:
    """Return the TTS engine of the satellite's pipeline (None: none), or `_UNKNOWN`.

    Follows what the satellite does itself (AssistSatelliteEntity._resolve_pipeline): its
    pipeline select entity names a pipeline, or "preferred" for the preferred one.
    """
    if SATELLITE_DOMAIN not in hass.config.components:
        return _UNKNOWN
    # Imported here: these integrations are optional (after_dependencies), loaded by now.
    from homeassistant.components.assist_pipeline import (  # noqa: PLC0415
        OPTION_PREFERRED,
        PipelineNotFound,
        async_get_pipelines,
    )
    from homeassistant.components.assist_pipeline.pipeline import (  # noqa: PLC0415
        async_get_pipeline,  # in pipeline.py in every supported release
    )
    from homeassistant.components.assist_satellite.const import (  # noqa: PLC0415
        DATA_COMPONENT,
    )

    component = hass.data.get(DATA_COMPONENT)
    entity = component.get_entity(satellite) if component is not None else None
    if entity is None:
        return _UNKNOWN
    pipeline_id: str | None = None
    select = entity.pipeline_entity_id
    if select and (state := hass.states.get(select)) and state.state != OPTION_PREFERRED:
        pipeline_id = next((p.id for p in async_get_pipelines(hass) if p.name == state.state), None)
    try:
        return async_get_pipeline(hass, pipeline_id).tts_engine
    except PipelineNotFound:
        return _UNKNOWN
