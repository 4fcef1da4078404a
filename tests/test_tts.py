"""The TTS entity, driven through Home Assistant's own TTS paths."""

from __future__ import annotations

from http import HTTPStatus
import io
import wave

from homeassistant.components import tts
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from qwen_tts_emulator import Emulator

ENTITY_ID = "tts.qwen_tts"


async def fetch_url_audio(
    hass_client: ClientSessionGenerator, message: str, options: dict[str, object] | None = None
) -> bytes:
    """Ask for a URL through the HTTP API, like a dashboard does, and download it."""
    client = await hass_client()
    response = await client.post(
        "/api/tts_get_url",
        json={"engine_id": ENTITY_ID, "message": message, "options": options or {}},
    )
    assert response.status == HTTPStatus.OK, await response.text()
    audio = await client.get((await response.json())["path"])
    assert audio.status == HTTPStatus.OK
    return await audio.read()


def wav_frames(data: bytes) -> tuple[int, bytes]:
    """Return the sample rate and PCM of a WAV file."""
    with wave.open(io.BytesIO(data)) as wav:
        assert wav.getnchannels() == 1
        assert wav.getsampwidth() == 2
        return wav.getframerate(), wav.readframes(wav.getnframes())


async def test_tts_get_url_returns_the_emulators_pcm_as_wav(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    data = await fetch_url_audio(hass_client, "Hello there.", {"preferred_format": "wav"})

    rate, pcm = wav_frames(data)
    assert rate == 24000
    assert pcm == emulator.sessions[-1].pcm
    assert emulator.sessions[-1].segments == ["Hello there."]
    await emulator.wait_idle()


async def test_tts_get_url_without_options_returns_mp3(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    data = await fetch_url_audio(hass_client, "Hello there.")

    assert data[:3] == b"ID3" or data[0] == 0xFF
    assert emulator.sessions[-1].pcm


async def test_api_key_travels_as_bearer_header(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    await fetch_url_audio(hass_client, "Hi.", {"preferred_format": "wav"})

    assert emulator.sessions[-1].headers["Authorization"] == f"Bearer {entry.data['api_key']}"


async def test_speech_streams_in_server_commit_mode_with_profile_settings(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    await fetch_url_audio(hass_client, "Hello.", {"preferred_format": "wav"})

    config = emulator.sessions[-1].config
    assert config["mode"] == "server_commit"
    assert config["voice"] == "Cherry"
    assert config["language_type"] == "English"
    assert config["sample_rate"] == 24000


async def test_engine_is_listed_with_streaming_support(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    engine = tts.get_engine_instance(hass, ENTITY_ID)

    assert engine is not None
    assert engine.async_supports_streaming_input()
