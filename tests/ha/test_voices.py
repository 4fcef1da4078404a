"""The voices Home Assistant's pickers offer (pipeline settings, media browser), as they ask."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.qwen_tts_realtime.realtime.catalog import MODELS
from qwen_tts_emulator import Emulator

from .helpers import ENTITY_ID, make_entry, setup_entry

FLASH_VOICES = len(MODELS["qwen3-tts-flash-realtime"].voices)


async def list_voices(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, language: str
) -> list[dict[str, Any]]:
    """Ask for the voices the way the frontend's pickers do."""
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {"type": "tts/engine/voices", "engine_id": ENTITY_ID, "language": language}
    )
    response = await client.receive_json()
    assert response["success"], response
    voices: list[dict[str, Any]] = response["result"]["voices"]
    return voices


@pytest.mark.parametrize("language", ["en", "en-GB", "zh", "zh-HK", "fr"])
async def test_the_profiles_voice_comes_first(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, emulator: Emulator, language: str
) -> None:
    await setup_entry(hass, make_entry(emulator, voice="Dylan", language="zh"))

    voices = await list_voices(hass, hass_ws_client, language)

    assert voices[0]["voice_id"] == "Dylan"


@pytest.mark.parametrize("language", ["en", "zh-CN", "ja"])
async def test_every_voice_of_the_model_is_offered_in_each_of_its_languages(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, emulator: Emulator, language: str
) -> None:
    await setup_entry(hass, make_entry(emulator))

    voices = [voice["voice_id"] for voice in await list_voices(hass, hass_ws_client, language)]

    assert len(voices) == FLASH_VOICES == len(set(voices))
    assert {"Cherry", "Jennifer", "Rocky", "Kiki", "Dylan"} <= set(voices)


async def test_a_custom_voice_is_offered_first_beside_the_system_voices(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, emulator: Emulator
) -> None:
    await setup_entry(hass, make_entry(emulator, voice="my-own-voice"))

    voices = await list_voices(hass, hass_ws_client, "en")

    assert voices[0] == {"voice_id": "my-own-voice", "name": "my-own-voice"}
    assert len(voices) == FLASH_VOICES + 1


async def test_no_voices_for_a_language_the_model_does_not_speak(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, emulator: Emulator
) -> None:
    await setup_entry(hass, make_entry(emulator))

    assert await list_voices(hass, hass_ws_client, "nl") == []


@pytest.mark.parametrize(
    ("asked", "rocky"),
    [("en", "Rocky (Cantonese)"), ("zh", "Rocky（粤语）"), ("zh-HK", "Rocky（粤语）")],
)
async def test_voice_labels_are_in_the_language_asked_for(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    emulator: Emulator,
    asked: str,
    rocky: str,
) -> None:
    hass.config.language = "en"
    await setup_entry(hass, make_entry(emulator))

    voices = await list_voices(hass, hass_ws_client, asked)

    assert {voice["voice_id"]: voice["name"] for voice in voices}["Rocky"] == rocky


@pytest.mark.parametrize(
    ("ui_language", "rocky"), [("zh-Hans", "Rocky（粤语）"), ("en", "Rocky (Cantonese)")]
)
async def test_a_language_without_labels_gets_home_assistants_language(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    emulator: Emulator,
    ui_language: str,
    rocky: str,
) -> None:
    hass.config.language = ui_language
    await setup_entry(hass, make_entry(emulator))

    voices = await list_voices(hass, hass_ws_client, "fr")

    assert {voice["voice_id"]: voice["name"] for voice in voices}["Rocky"] == rocky
