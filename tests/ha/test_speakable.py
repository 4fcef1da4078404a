"""Cleaning up an answer's formatting before it is spoken: the profile's option, end to end."""

from __future__ import annotations

from typing import cast

from homeassistant.components import tts
from homeassistant.components.tts.helper import get_engine_instance
from homeassistant.config_entries import SOURCE_USER, SubentryFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.qwen_tts_realtime.const import SUBENTRY_TTS
from qwen_tts_emulator import (
    Emulator,
    ReceivedEvent,
    SessionRecord,
    billed_characters,
    split_segments,
)

from . import test_assist_streaming as assist
from .helpers import (
    ENTITY_ID,
    fetch_url_audio,
    make_entry,
    setup_entry,
    speak_on_player,
    stream_audio,
    utterances,
)
from .test_usage import billed, profile_characters

MARKDOWN = (
    "## Tonight 🌙\n\n- **Front door:** locked 🔒\n- **Lights:** off\n\n"
    "Details: [your dashboard](https://my.home.example/lovelace/0) or "
    "https://www.home-assistant.io/docs/."
)
SPOKEN = (
    "Tonight.\n\nFront door: locked.\nLights: off.\n\nDetails: your dashboard or home-assistant.io."
)
# A streamed answer whose markup is split across deltas, as an LLM's tokens split it.
MARKDOWN_DELTAS = [
    "Sure! Here's",
    " what I did:\n\n",
    "- **Kitchen",
    "** lights: on ✅\n",
    "- Front door",
    ": locked 🔒\n\n",
    "More at [the dashboard](http",
    "s://my.home.example/lovelace",
    ").",
    " Anything else?",
]
SPOKEN_DELTAS = (
    "Sure! Here's what I did:\n\nKitchen lights: on.\nFront door: locked.\n\n"
    "More at the dashboard. Anything else?"
)
WAV = {"preferred_format": "wav"}


def appends(record: SessionRecord) -> list[ReceivedEvent]:
    """Return every append of text the service received in one session."""
    return [e for e in record.received if e.type == "input_text_buffer.append"]


def sent(emulator: Emulator) -> list[str]:
    """Return the whole text of each utterance the service was asked to speak."""
    return [
        "".join(append.payload["text"] for append in appends(record))
        for record in utterances(emulator)
    ]


async def clean_up(hass: HomeAssistant, entry: MockConfigEntry, *, on: bool) -> None:
    """Change the profile's option, as saving its form does (the entry reloads)."""
    (subentry,) = entry.subentries.values()
    hass.config_entries.async_update_subentry(
        entry, subentry, data={**subentry.data, "clean_formatting": on}
    )
    await hass.async_block_till_done()


async def test_tts_speak_of_a_markdown_answer_sends_only_its_words(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    await speak_on_player(hass, hass_client, MARKDOWN)

    assert sent(emulator) == [SPOKEN]


async def test_a_streamed_assist_answer_sends_only_its_words(
    hass: HomeAssistant,
    emulator: Emulator,
    entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(assist, "DELTAS", MARKDOWN_DELTAS)

    _, audio = await assist.run_streaming_pipeline(hass)

    assert audio
    assert sent(emulator) == [SPOKEN_DELTAS]


async def test_a_plain_streamed_answer_goes_out_unchanged_and_as_soon_as_written(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    await setup_entry(hass, make_entry(emulator, clean_formatting=True))

    agent, _ = await assist.run_streaming_pipeline(hass)

    assert sent(emulator) == ["".join(assist.DELTAS)]
    # Every delta after streaming started went out on its own, before the next was written.
    last = appends(utterances(emulator)[0])[-3:]
    assert [append.payload["text"] for append in last] == assist.DELTAS[-3:]
    for append, next_delta_at in zip(last[:-1], agent.produced_at[-2:], strict=True):
        assert append.at < next_delta_at


async def test_the_whole_message_path_sends_only_the_words(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    engine = get_engine_instance(hass, ENTITY_ID)
    assert isinstance(engine, tts.TextToSpeechEntity)

    await engine.async_get_tts_audio(MARKDOWN, "en", dict(engine.default_options or {}))

    assert utterances(emulator)[-1].config["mode"] == "commit"
    assert sent(emulator) == [SPOKEN]


async def test_usage_counts_the_cleaned_text_the_service_billed(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    await speak_on_player(hass, hass_client, MARKDOWN)

    # The service bills each sentence it speaks: those of the cleaned text.
    cleaned = sum(billed_characters(sentence) for sentence in split_segments(SPOKEN))
    assert profile_characters(hass, entry) == billed(emulator) == cleaned
    assert cleaned < sum(billed_characters(sentence) for sentence in split_segments(MARKDOWN))


async def test_turned_off_the_text_is_sent_as_written(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
) -> None:
    await setup_entry(hass, make_entry(emulator, clean_formatting=False))

    await speak_on_player(hass, hass_client, MARKDOWN)
    await stream_audio(hass, "🙂🎉")

    assert sent(emulator) == [MARKDOWN, "🙂🎉"]


async def test_an_answer_of_emoji_only_is_nothing_to_speak(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    with pytest.raises(HomeAssistantError) as raised:
        await stream_audio(hass, "👍🎉")

    assert raised.value.translation_key == "empty_message"
    assert billed(emulator) == 0


async def test_the_option_is_part_of_the_cache_key(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    await fetch_url_audio(hass_client, MARKDOWN, WAV)
    await fetch_url_audio(hass_client, MARKDOWN, WAV)
    assert sent(emulator) == [SPOKEN]  # the second came from the cache

    await clean_up(hass, entry, on=False)
    await fetch_url_audio(hass_client, MARKDOWN, WAV)

    assert sent(emulator) == [SPOKEN, MARKDOWN]


async def test_a_new_profile_cleans_up_unless_its_form_says_not(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TTS), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": "system_voice"}
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "As written", "model": "qwen3-tts-flash-realtime"}
    )
    assert result["step_id"] == "voice"
    assert result["data_schema"] is not None
    shown = result["data_schema"]({})
    assert shown["clean_formatting"] is True

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {**shown, "clean_formatting": False}
    )
    await hass.async_block_till_done()

    (profile,) = (s for s in entry.subentries.values() if s.title == "As written")
    assert profile.data["clean_formatting"] is False


async def test_reconfiguring_a_profile_shows_its_choice(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    entry = make_entry(emulator, clean_formatting=False)
    await setup_entry(hass, entry)
    (subentry_id,) = entry.subentries
    result = cast(
        "SubentryFlowResult", await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Qwen TTS", "model": "qwen3-tts-instruct-flash-realtime"}
    )

    assert result["step_id"] == "voice"
    assert result["data_schema"] is not None
    assert result["data_schema"]({})["clean_formatting"] is False
