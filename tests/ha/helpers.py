"""Helpers of the tests that drive Home Assistant (their fixtures are in conftest.py).

A config entry wired to the emulator; asking for speech the ways users do (a dashboard's URL,
`tts.speak` on a player, a result stream as Assist uses); a voice satellite with no device. The
benchmarks drive Home Assistant with these too.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from functools import partial
from http import HTTPStatus
import re
from typing import Any

from homeassistant.components import media_source, tts
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
from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.components.tts.helper import get_engine_instance
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import CONF_API_KEY, CONF_LANGUAGE
from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_mock_service
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.qwen_tts_realtime.const import (
    CONF_ENDPOINT,
    CONF_KEEP_WARM,
    CONF_MODEL,
    CONF_PITCH_RATE,
    CONF_REGION,
    CONF_SAMPLE_RATE,
    CONF_SPEECH_RATE,
    CONF_VOICE,
    CONF_VOLUME,
    DOMAIN,
    SUBENTRY_TTS,
    KeepWarm,
)
from custom_components.qwen_tts_realtime.realtime import RealtimeClient
from custom_components.qwen_tts_realtime.realtime.timing import Timeouts
from qwen_tts_emulator import Emulator, Fault, Scenario

from ..helpers import all_closed, eventually, has_spare, utterances

__all__ = ["eventually", "has_spare", "utterances"]

API_KEY = "sk-test-0123456789abcdef"
PROFILE: dict[str, Any] = {
    CONF_MODEL: "qwen3-tts-flash-realtime",
    CONF_VOICE: "Cherry",
    CONF_LANGUAGE: "en",
    CONF_SAMPLE_RATE: 24000,
    CONF_SPEECH_RATE: 1.0,
    CONF_VOLUME: 50,
    CONF_PITCH_RATE: 1.0,
}
ENTITY_ID = "tts.qwen_tts"  # the profile's TTS entity
PLAYER = "media_player.kitchen"

# Options of an entry that keeps no spare: each utterance connects under the test's scenario.
NO_SPARES: dict[str, Any] = {CONF_KEEP_WARM: KeepWarm.OFF}
# Bounds that detect a stalled service in a fraction of a second (the `short_timeouts` fixture).
SHORT_TIMEOUTS = Timeouts(connect=2.0, first_audio=0.3, audio=0.3, send=0.3, synthesize=5.0)
TWO_SENTENCES = "The first sentence is here. The second one follows."


# --- a config entry wired to the emulator -------------------------------------------------------


def make_entry(
    emulator: Emulator,
    *,
    endpoint: str | None = None,
    options: Mapping[str, Any] | None = None,
    **profile: Any,
) -> MockConfigEntry:
    """Return a config entry pointing at the emulator (or `endpoint`) with one voice profile."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Qwen TTS (custom)",
        data={
            CONF_API_KEY: API_KEY,
            CONF_REGION: "custom",
            CONF_ENDPOINT: endpoint or emulator.url,
        },
        options=dict(options or {}),
        subentries_data=[
            ConfigSubentryData(
                subentry_type=SUBENTRY_TTS,
                title="Qwen TTS",
                data={**PROFILE, **profile},
                unique_id=None,
            )
        ],
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add the entry and set it up with the tts component."""
    assert await async_setup_component(hass, "tts", {})
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def as_shown(
    hass: HomeAssistant, language: str, key: str, placeholders: Mapping[str, str] | None
) -> str:
    """A text of this integration as the frontend shows it in `language`, placeholders filled.

    `key` is dotted from the category on: "config.step.user.description".
    """
    category = key.split(".", maxsplit=1)[0]
    strings = await async_get_translations(hass, language, category, [DOMAIN])
    return strings[f"component.{DOMAIN}.{key}"].format(**(placeholders or {}))


def first_link(text: str) -> str:
    """The target of the first markdown link of `text`."""
    found = re.search(r"\]\(([^)]+)\)", text)
    assert found is not None, text
    return found[1]


# Home Assistant's markdown (GitHub-flavoured) links a bare address too: up to the next whitespace
# or <, less the ASCII punctuation that ends it.
_MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_BARE_ADDRESS = re.compile(r"(?:https?://|www\.)[^\s<]*")
_ENDING_PUNCTUATION = re.compile(r"[?!.,:;*_'\"~)]+$")


def link_targets(text: str) -> list[str]:
    """The targets of the links the frontend makes of markdown `text`: links and bare addresses."""
    targets: list[str] = _MARKDOWN_LINK.findall(text)
    bare = _BARE_ADDRESS.findall(_MARKDOWN_LINK.sub(" ", text))
    return targets + [_ENDING_PUNCTUATION.sub("", address) for address in bare]


def client_settings(monkeypatch: pytest.MonkeyPatch, **settings: Any) -> None:
    """Make every entry set up from now on build its client with `settings` (e.g. timeouts)."""
    monkeypatch.setattr(
        "custom_components.qwen_tts_realtime.RealtimeClient", partial(RealtimeClient, **settings)
    )


def with_faults(*faults: Fault) -> Scenario:
    """The emulator accepting the test key and misbehaving as `faults` say."""
    return Scenario(api_keys=frozenset({API_KEY}), faults=list(faults))


# --- asking for speech -------------------------------------------------------------------------


async def fetch_url_audio(
    hass_client: ClientSessionGenerator,
    message: str,
    options: dict[str, Any] | None = None,
    engine: str = ENTITY_ID,
) -> bytes:
    """Ask for a URL through the HTTP API, like a dashboard does, and download it."""
    client = await hass_client()
    response = await client.post(
        "/api/tts_get_url", json={"engine_id": engine, "message": message, "options": options or {}}
    )
    assert response.status == HTTPStatus.OK, await response.text()
    audio = await client.get((await response.json())["path"])
    assert audio.status == HTTPStatus.OK, await audio.text()
    return await audio.read()


async def speak_on_player(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    message: str,
    options: dict[str, Any] | None = None,
) -> bytes:
    """Call tts.speak on a media player and download what the player would play."""
    assert await async_setup_component(hass, "media_source", {})
    play_media = async_mock_service(hass, "media_player", "play_media")
    await hass.services.async_call(
        "tts",
        "speak",
        {
            "entity_id": ENTITY_ID,
            "media_player_entity_id": PLAYER,
            "message": message,
            "options": options or {},
        },
        blocking=True,
    )
    (call,) = play_media
    media = await media_source.async_resolve_media(hass, call.data["media_content_id"], None)
    client = await hass_client()
    audio = await client.get(media.url)
    assert audio.status == HTTPStatus.OK, await audio.text()
    return await audio.read()


def pcm_of(wav: bytes) -> bytes:
    """Return the samples of a WAV file, whatever chunks precede them."""
    assert wav[:4] == b"RIFF"
    return wav[wav.index(b"data") + 8 :]


async def stream_audio(
    hass: HomeAssistant, message: str, options: dict[str, Any] | None = None
) -> bytes:
    """Synthesize through a TTS result stream, as Assist pipelines and media sources do.

    Errors raised while synthesizing reach the caller here.
    """
    stream = tts.async_create_stream(hass, ENTITY_ID, options=options or {})
    stream.async_set_message(message)
    return b"".join([chunk async for chunk in stream.async_stream_result()])


async def interrupt_after_first_audio(hass: HomeAssistant) -> tuple[bytes, asyncio.Event]:
    """Stream an answer whose agent never finishes writing; stop after its first audio.

    Return that first chunk and an event set once the agent's text was closed, as a user who
    interrupts Assist closes it.
    """
    engine = get_engine_instance(hass, ENTITY_ID)
    assert isinstance(engine, tts.TextToSpeechEntity)
    text_closed = asyncio.Event()

    async def agent_still_writing() -> AsyncGenerator[str]:
        try:
            yield "Here is the first sentence of a long answer. "
            await asyncio.Event().wait()  # the language model never finishes
        finally:
            text_closed.set()

    options = {**dict(engine.default_options or {}), "preferred_format": "wav"}
    response = await engine.async_stream_tts_audio(
        TTSAudioRequest("en", options, agent_still_writing())
    )
    first = await anext(response.data_gen)
    await response.data_gen.aclose()
    return first, text_closed


async def utterances_closed(emulator: Emulator) -> None:
    """Wait until every socket that was asked to speak is closed.

    A loaded entry legitimately keeps one idle spare socket per model open.
    """
    await eventually(lambda: all_closed(utterances(emulator)))


# --- a voice satellite -------------------------------------------------------------------------


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
