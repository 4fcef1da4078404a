"""Helpers shared by the integration tests: fetching audio the ways Home Assistant users do."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from homeassistant.components import media_source, tts
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_mock_service
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from qwen_tts_emulator import Emulator

from ..sessions import all_closed, eventually, has_spare, utterances

__all__ = [
    "ENTITY_ID",
    "PLAYER",
    "eventually",
    "fetch_url_audio",
    "has_spare",
    "pcm_of",
    "speak_on_player",
    "stream_audio",
    "utterances",
    "utterances_closed",
]

ENTITY_ID = "tts.qwen_tts"
PLAYER = "media_player.kitchen"


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


async def utterances_closed(emulator: Emulator) -> None:
    """Wait until every socket that was asked to speak is closed.

    A loaded entry legitimately keeps one idle spare socket per model open.
    """
    await eventually(lambda: all_closed(utterances(emulator)))
