"""The TTS entity, driven through Home Assistant's own TTS paths."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.components import tts
from homeassistant.components.tts.helper import get_engine_instance
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
)

from custom_components.qwen_tts_realtime.realtime import kind_of_voice
from custom_components.qwen_tts_realtime.realtime.audio import PEEK_BYTES, id3_size, xing_frame_size
from qwen_tts_emulator import Emulator, render_pcm

from .helpers import (
    ENTITY_ID,
    eventually,
    fetch_url_audio,
    has_spare,
    make_entry,
    pcm_of,
    setup_entry,
    speak_on_player,
    stream_audio,
    utterances,
    utterances_closed,
)

WAV = {"preferred_format": "wav"}


async def test_tts_get_url_returns_the_emulators_pcm_as_wav(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    data = await fetch_url_audio(hass_client, "Hello there.", WAV)

    assert data[22:24] == b"\x01\x00"  # mono
    assert int.from_bytes(data[24:28], "little") == 24000
    assert pcm_of(data) == utterances(emulator)[-1].pcm
    assert pcm_of(data) == render_pcm("Hello there.", sample_rate=24000, voice="Cherry")
    await utterances_closed(emulator)


async def test_tts_speak_gets_mp3_encoded_by_the_service(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    data = await speak_on_player(hass, hass_client, "The washing machine has finished.")

    record = utterances(emulator)[-1]
    assert record.config["response_format"] == "mp3"  # Home Assistant's default format
    # Passed through, no ffmpeg conversion on the way: only the Info frame (its counts describe
    # one response, not the stream) is left out.
    tag = id3_size(record.audio)
    assert tag is not None
    info = xing_frame_size(record.audio[tag : tag + PEEK_BYTES])
    assert info is not None
    assert data == record.audio[:tag] + record.audio[tag + info :]
    assert record.segments == ["The washing machine has finished."]


async def test_satellite_format_gets_pcm_at_its_rate(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    await stream_audio(
        hass,
        "Hello.",
        {
            "preferred_format": "wav",
            "preferred_sample_rate": 16000,
            "preferred_sample_channels": 1,
            "preferred_sample_bytes": 2,
        },
    )

    config = utterances(emulator)[-1].config
    assert (config["response_format"], config["sample_rate"]) == ("pcm", 16000)


async def test_utterance_uses_the_connection_opened_ahead(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    await eventually(lambda: has_spare(entry.runtime_data.client, "qwen3-tts-flash-realtime"))
    opened_before = emulator.connections_total
    loop = asyncio.get_running_loop()
    started = loop.time()

    await stream_audio(hass, "Hello.")

    record = utterances(emulator)[-1]
    assert record.index < opened_before  # no handshake on the way to the first audio
    assert record.opened_at < started
    # Replaced for the next one.
    assert has_spare(entry.runtime_data.client, "qwen3-tts-flash-realtime")


async def test_tts_speak_with_per_call_options(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    options = {"voice": "Ethan", "speech_rate": 1.5, "volume": 80, "pitch_rate": 0.8, **WAV}
    data = await speak_on_player(hass, hass_client, "Dinner is ready.", options)

    config = utterances(emulator)[-1].config
    assert (config["voice"], config["speech_rate"], config["volume"], config["pitch_rate"]) == (
        "Ethan",
        1.5,
        80,
        0.8,
    )
    assert pcm_of(data) == utterances(emulator)[-1].pcm


async def test_numbers_given_as_text_reach_the_service_as_numbers(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    options = {"speech_rate": "1.5", "volume": "80", "pitch_rate": " 0.8 ", **WAV}
    await speak_on_player(hass, hass_client, "Dinner is ready.", options)

    config = utterances(emulator)[-1].config
    sent = [config["speech_rate"], config["volume"], config["pitch_rate"]]
    assert sent == [1.5, 80, 0.8]
    assert [type(value) for value in sent] == [float, int, float]


async def test_api_key_travels_as_bearer_header(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    await fetch_url_audio(hass_client, "Hi.", WAV)

    assert utterances(emulator)[-1].headers["Authorization"] == f"Bearer {entry.data['api_key']}"


async def test_profile_settings_reach_the_service(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, emulator: Emulator
) -> None:
    await setup_entry(
        hass, make_entry(emulator, voice="Serena", speech_rate=0.8, volume=30, pitch_rate=1.3)
    )
    await fetch_url_audio(hass_client, "Hello.", WAV)

    config = utterances(emulator)[-1].config
    assert config["mode"] == "server_commit"
    assert config["voice"] == "Serena"
    assert config["language_type"] == "English"
    assert (config["speech_rate"], config["volume"], config["pitch_rate"]) == (0.8, 30, 1.3)


@pytest.mark.parametrize(
    ("language", "language_type"),
    [
        ("en", "English"),
        ("zh", "Chinese"),
        ("zh-HK", "Chinese"),
        ("de", "German"),
        ("ja", "Japanese"),
    ],
)
async def test_language_becomes_language_type(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    language: str,
    language_type: str,
) -> None:
    client = await hass_client()
    response = await client.post(
        "/api/tts_get_url",
        json={"engine_id": ENTITY_ID, "message": "Hi.", "language": language, "options": WAV},
    )
    await client.get((await response.json())["path"])

    assert utterances(emulator)[-1].config["language_type"] == language_type


@pytest.mark.parametrize(
    ("profile", "options"),
    [
        ({"model": "qwen3-tts-flash-realtime", "voice": "Kiki"}, {}),
        ({"model": "qwen3-tts-flash-realtime-2025-09-18", "voice": "Rocky"}, {"speech_rate": 1.2}),
        (
            {
                "model": "qwen3-tts-instruct-flash-realtime",
                "voice": "Vivian",
                "instructions": "Calm.",
            },
            {"instructions": "Whisper, like telling a secret."},
        ),
        ({"model": "qwen3-tts-vc-realtime-2026-01-15", "voice": "qwen-tts-vc-grandma"}, {}),
        (
            {"model": "qwen3-tts-vd-realtime-2026-01-15", "voice": "qwen-tts-vd-robot"},
            {"volume": 70},
        ),
    ],
    ids=["flash", "flash-snapshot", "instruct", "voice-clone", "voice-design"],
)
async def test_each_model_family_speaks(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    profile: dict[str, Any],
    options: dict[str, object],
) -> None:
    if kind := kind_of_voice(profile["voice"]):  # a custom voice exists once it is created
        name = profile["voice"].rsplit("-", 1)[1]
        profile = {
            **profile,
            "voice": emulator.voices.add(name, "vd" if kind == "design" else "vc"),
        }
    await setup_entry(hass, make_entry(emulator, **profile))

    data = await fetch_url_audio(hass_client, "Good morning. 早上好！", {**options, **WAV})

    record = utterances(emulator)[-1]
    assert record.model == profile["model"]
    assert record.config["voice"] == profile["voice"]
    assert pcm_of(data) == record.pcm
    for key, value in options.items():
        assert record.config[key] == value


async def test_legacy_model_is_sent_no_prosody(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, emulator: Emulator
) -> None:
    await setup_entry(hass, make_entry(emulator, model="qwen-tts-realtime", voice="Chelsie"))

    data = await fetch_url_audio(hass_client, "Hello.", WAV)

    config = utterances(emulator)[-1].config
    assert config["voice"] == "Chelsie"
    assert "speech_rate" not in utterances(emulator)[-1].received[0].payload["session"]
    assert pcm_of(data) == utterances(emulator)[-1].pcm


async def test_preferred_sample_rate_is_asked_of_the_service(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    data = await fetch_url_audio(hass_client, "Hello.", {**WAV, "preferred_sample_rate": 16000})

    assert utterances(emulator)[-1].config["sample_rate"] == 16000
    assert int.from_bytes(data[24:28], "little") == 16000
    assert pcm_of(data) == utterances(emulator)[-1].pcm  # no resampling on the way


@pytest.mark.parametrize("rate", [22050, 44100])
async def test_an_undocumented_rate_a_consumer_asks_for_is_asked_of_the_service(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    rate: int,
) -> None:
    data = await fetch_url_audio(hass_client, "Hello.", {**WAV, "preferred_sample_rate": rate})

    assert utterances(emulator)[-1].config["sample_rate"] == rate
    assert int.from_bytes(data[24:28], "little") == rate
    assert pcm_of(data) == utterances(emulator)[-1].pcm  # no resampling on the way


async def test_a_model_without_undocumented_rates_keeps_its_own(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, emulator: Emulator
) -> None:
    await setup_entry(hass, make_entry(emulator, model="qwen-tts-realtime", voice="Chelsie"))

    await fetch_url_audio(hass_client, "Hello.", {**WAV, "preferred_sample_rate": 44100})

    assert utterances(emulator)[-1].config["sample_rate"] == 24000  # Home Assistant resamples


@pytest.mark.parametrize(
    "option",
    [
        {"voice": "Ethan"},
        {"speech_rate": 1.5},
        {"volume": 10},
        {"pitch_rate": 1.5},
        {"preferred_sample_rate": 16000},
    ],
)
async def test_every_audio_setting_changes_the_cache_key(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    option: dict[str, object],
) -> None:
    await fetch_url_audio(hass_client, "Same words.", WAV)
    await fetch_url_audio(hass_client, "Same words.", WAV)
    assert len(utterances(emulator)) == 1  # the second came from the cache

    await fetch_url_audio(hass_client, "Same words.", {**WAV, **option})

    assert len(utterances(emulator)) == 2


async def test_profile_change_changes_the_cache_key(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    await fetch_url_audio(hass_client, "Same words.", WAV)
    (subentry,) = entry.subentries.values()
    hass.config_entries.async_update_subentry(
        entry, subentry, data={**subentry.data, "model": "qwen3-tts-instruct-flash-realtime"}
    )
    await hass.async_block_till_done()

    await fetch_url_audio(hass_client, "Same words.", WAV)

    assert [record.model for record in utterances(emulator)] == [
        "qwen3-tts-flash-realtime",
        "qwen3-tts-instruct-flash-realtime",
    ]


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"speech_rate": 3}, "option_out_of_range"),
        ({"volume": -1}, "option_out_of_range"),
        ({"pitch_rate": 0.1}, "option_out_of_range"),
        ({"speech_rate": "fast"}, "option_not_a_number"),
        ({"instructions": "Sing it."}, "option_not_supported"),
    ],
)
async def test_bad_options_raise_translated_validation_errors(
    hass: HomeAssistant,
    emulator: Emulator,
    entry: MockConfigEntry,
    options: dict[str, object],
    key: str,
) -> None:
    with pytest.raises(ServiceValidationError) as raised:
        await stream_audio(hass, "Hi.", options)

    assert raised.value.translation_key == key
    assert str(raised.value)  # the message is translated, not empty
    assert utterances(emulator) == []  # nothing was sent


async def test_unknown_option_is_refused(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await async_setup_component(hass, "media_source", {})
    # Home Assistant refuses it and names it (its wording changed in 2026.11).
    with pytest.raises(HomeAssistantError, match="emotion"):
        await hass.services.async_call(
            "tts",
            "speak",
            {"entity_id": ENTITY_ID, "media_player_entity_id": "media_player.x", "message": "Hi.",
             "options": {"emotion": "happy"}},
            blocking=True,
        )  # fmt: skip


async def test_engine_supports_streaming_input(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    engine = get_engine_instance(hass, ENTITY_ID)

    assert isinstance(engine, tts.TextToSpeechEntity)
    assert engine.async_supports_streaming_input()


async def test_whole_message_path_returns_a_complete_wav(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    engine = get_engine_instance(hass, ENTITY_ID)
    assert isinstance(engine, tts.TextToSpeechEntity)

    extension, data = await engine.async_get_tts_audio(
        "First sentence. Second sentence.", "en", dict(engine.default_options or {})
    )

    assert extension == "wav"
    assert data is not None
    assert int.from_bytes(data[40:44], "little") == len(data) - 44  # real size, not streaming
    assert utterances(emulator)[-1].config["mode"] == "commit"
    assert data[44:] == utterances(emulator)[-1].pcm
