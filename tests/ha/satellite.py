"""A voice satellite for tests and benchmarks: a real Assist satellite entity, no device."""

from __future__ import annotations

from homeassistant.components.assist_pipeline import PipelineEvent, PipelineEventType
from homeassistant.components.assist_pipeline.pipeline import (
    async_get_pipeline,
    async_update_pipeline,
)
from homeassistant.components.assist_satellite import (
    AssistSatelliteConfiguration,
    AssistSatelliteEntity,
)
from homeassistant.components.assist_satellite.const import DATA_COMPONENT
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component


class Satellite(AssistSatelliteEntity):
    """A voice satellite that follows Home Assistant's preferred pipeline."""

    _attr_has_entity_name = False

    def __init__(self, name: str) -> None:
        self._attr_name = name
        self._attr_unique_id = name

    def async_get_configuration(self) -> AssistSatelliteConfiguration:
        return AssistSatelliteConfiguration([], [], 1)

    async def async_set_configuration(self, config: AssistSatelliteConfiguration) -> None:
        """Nothing to configure."""

    def on_pipeline_event(self, event: PipelineEvent) -> None:
        """Nothing to show."""

    def hear_wake_word(self) -> None:
        """What a pipeline run tells the satellite when speech-to-text starts."""
        self._internal_on_pipeline_event(PipelineEvent(PipelineEventType.STT_START))


async def add_satellite(hass: HomeAssistant, tts_engine: str) -> Satellite:
    """Set up Assist with a satellite whose (preferred) pipeline speaks with `tts_engine`."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "assist_satellite", {})
    await async_update_pipeline(hass, async_get_pipeline(hass), tts_engine=tts_engine)
    satellite = Satellite("kitchen_satellite")
    await hass.data[DATA_COMPONENT].async_add_entities([satellite])
    return satellite
