"""Designing, cloning, picking and deleting custom voices through the voice-profile flow."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from functools import partial
import html
from http import HTTPStatus
import io
from pathlib import Path
import re
from typing import Any, cast
import wave

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, SubentryFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)
from yarl import URL

from custom_components.qwen_tts_realtime.const import DOMAIN, PRICING_LINKS, SUBENTRY_TTS
from custom_components.qwen_tts_realtime.realtime import VoicesClient
from custom_components.qwen_tts_realtime.voice_library import VOICE_LIST_MAX_AGE
from qwen_tts_emulator import Emulator

from ..recordings import recording
from .helpers import (
    eventually,
    fetch_url_audio,
    make_entry,
    pcm_of,
    setup_entry,
    stream_audio,
    utterances,
)

VD_MODEL = "qwen3-tts-vd-realtime-2026-01-15"
VC_MODEL = "qwen3-tts-vc-realtime-2026-01-15"
DESIGN = {
    "name": "narrator",
    "description": "A calm, warm voice of an elderly storyteller.",
    "preview_text": "Once upon a time, there was a little house.",
    "language": "en",
}
VOICE_STEP = {"language": "en", "sample_rate": "24000"}


async def start(hass: HomeAssistant, entry: MockConfigEntry, source: str) -> SubentryFlowResult:
    """Open the add-profile menu and choose `source` in it."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_TTS), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert source in result["menu_options"]
    return await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"next_step_id": source}
    )


async def step(result: SubentryFlowResult, hass: HomeAssistant, **data: Any) -> SubentryFlowResult:
    return await hass.config_entries.subentries.async_configure(result["flow_id"], data)


async def upload(hass_client: ClientSessionGenerator, content: bytes, name: str) -> str:
    """Upload a file the way the frontend's file selector does; return its id."""
    client = await hass_client()
    form = aiohttp.FormData()
    form.add_field("file", content, filename=name)
    response = await client.post("/api/file_upload", data=form)
    assert response.status == HTTPStatus.OK, await response.text()
    file_id: str = (await response.json())["file_id"]
    return file_id


async def assert_translated(hass: HomeAssistant, kind: str, key: str) -> None:
    """The key exists in English and Simplified Chinese, as the frontend loads them."""
    for language in ("en", "zh-Hans"):
        strings = await async_get_translations(hass, language, "config_subentries", [DOMAIN])
        assert f"component.{DOMAIN}.config_subentries.tts.{kind}.{key}" in strings, (language, key)


async def designed_preview(hass: HomeAssistant, entry: MockConfigEntry) -> SubentryFlowResult:
    result = await start(hass, entry, "design")
    assert result["step_id"] == "design"
    assert PRICING_LINKS.items() <= (result["description_placeholders"] or {}).items()
    result = await step(result, hass, **DESIGN)
    assert result["type"] is FlowResultType.MENU, result.get("errors")
    assert result["step_id"] == "design_preview"
    return result


def preview_path(result: SubentryFlowResult) -> str:
    """The preview link's path; the link opens in a new tab (the frontend routes others in-app)."""
    link = (result["description_placeholders"] or {})["preview_link"]
    match = re.fullmatch(r'<a href="([^"]+)" target="_blank">[^<]+</a>', link)
    assert match, link
    return html.unescape(match.group(1))


async def test_design_listen_keep_and_speak(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    result = await designed_preview(hass, entry)
    (voice_id,) = emulator.voices.voices

    preview = await (await hass_client_no_auth()).get(preview_path(result))
    assert preview.status == HTTPStatus.OK
    assert preview.content_type == "audio/wav"
    with wave.open(io.BytesIO(await preview.read())) as wav:
        assert wav.getnframes() > 0

    result = await step(result, hass, next_step_id="design_keep")
    assert result["step_id"] == "new_voice"
    result = await step(result, hass, **VOICE_STEP)
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert utterances(emulator) == []  # just created: not proven again by speaking
    profile = next(s for s in entry.subentries.values() if s.title == "narrator")
    assert (profile.data["model"], profile.data["voice"]) == (VD_MODEL, voice_id)
    audio = await fetch_url_audio(
        hass_client, "Good evening.", {"preferred_format": "wav"}, engine="tts.narrator"
    )
    record = utterances(emulator)[-1]
    assert (record.model, record.config["voice"]) == (VD_MODEL, voice_id)
    assert pcm_of(audio) == record.pcm
    assert len(emulator.voices.actions("create")) == 1


async def test_preview_url_needs_its_signature(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    result = await designed_preview(hass, entry)
    unsigned = URL(preview_path(result)).with_query(None)

    response = await (await hass_client_no_auth()).get(str(unsigned))

    assert response.status == HTTPStatus.UNAUTHORIZED


async def test_preview_url_expires(
    hass: HomeAssistant,
    hass_client_no_auth: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    result = await designed_preview(hass, entry)
    freezer.tick(timedelta(minutes=16))

    response = await (await hass_client_no_auth()).get(preview_path(result))

    assert response.status == HTTPStatus.UNAUTHORIZED


async def test_design_discard_deletes_the_voice_and_asks_again(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    result = await designed_preview(hass, entry)
    (voice_id,) = emulator.voices.voices
    result = await step(result, hass, next_step_id="design_discard")
    assert result["step_id"] == "design_discard"
    assert emulator.voices.deleted == []  # nothing before the confirmation

    result = await step(result, hass, next_step_id="design_delete")

    assert result["step_id"] == "design"
    assert result["errors"] == {}
    assert emulator.voices.deleted == [voice_id]
    assert emulator.voices.voices == {}


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"name": " "}, "name", "name_required"),
        ({"description": "x" * 2049}, "description", "description_too_long"),
        ({"preview_text": "x" * 1025}, "preview_text", "preview_text_too_long"),
    ],
    ids=["name", "description", "preview"],
)
async def test_design_form_checks_before_anything_is_billed(
    hass: HomeAssistant,
    emulator: Emulator,
    entry: MockConfigEntry,
    changes: dict[str, str],
    field: str,
    error: str,
) -> None:
    result = await start(hass, entry, "design")
    result = await step(result, hass, **{**DESIGN, **changes})

    assert result["errors"] == {field: error}
    assert emulator.voices.requests == []
    await assert_translated(hass, "error", error)


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        ((400, "Throttling.AllocationQuota", "Quota exceeded."), "voice_storage_full"),
        ((429, "Throttling.RateQuota", "Too many requests."), "rate_limited"),
        ((401, "InvalidApiKey", "Invalid API-key provided."), "invalid_auth"),
        ((500, "InternalError", "Oops."), "voice_service_error"),
    ],
    ids=["storage", "rate", "key", "server"],
)
async def test_design_refused_by_the_service_shows_why_and_is_not_retried(
    hass: HomeAssistant,
    emulator: Emulator,
    entry: MockConfigEntry,
    failure: tuple[int, str, str],
    error: str,
) -> None:
    emulator.voices.create_failures.append(failure)
    result = await start(hass, entry, "design")
    result = await step(result, hass, **DESIGN)

    assert result["errors"] == {"base": error}
    assert len(emulator.voices.actions("create")) == 1
    await assert_translated(hass, "error", error)


async def submit_new_voice(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, entry: MockConfigEntry, kind: str
) -> SubentryFlowResult:
    """Open the design or clone step and submit a valid voice to create."""
    if kind == "design":
        return await step(await start(hass, entry, "design"), hass, **DESIGN)
    file_id = await upload(hass_client, recording(12), "grandma.wav")
    result = await start(hass, entry, "clone")
    return await step(result, hass, name="grandma", audio=file_id, language="en")


@pytest.mark.parametrize("kind", ["design", "clone"])
async def test_a_voice_made_but_answered_with_a_server_error_is_used_not_made_again(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    kind: str,
) -> None:
    emulator.voices.failures_after_create.append((500, "InternalError", "Oops."))

    result = await submit_new_voice(hass, hass_client, entry, kind)
    assert result["step_id"] == "new_voice", result.get("errors")
    result = await step(result, hass, **VOICE_STEP)
    await hass.async_block_till_done()

    (voice_id,) = emulator.voices.voices  # one voice, billed once
    assert len(emulator.voices.actions("create")) == 1
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["voice"] == voice_id
    assert utterances(emulator) == []  # found in the account: not proven again by speaking


async def unconfirmed_design(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> SubentryFlowResult:
    """Submit a design the service makes only after the client gave up on its answer."""
    monkeypatch.setattr(
        "custom_components.qwen_tts_realtime.voice_library.VoicesClient",
        partial(VoicesClient, timeout=1.0),
    )
    # The entry makes its voices client when it is set up.
    assert await hass.config_entries.async_reload(entry.entry_id)
    emulator.voices.create_delay = 2.0
    result = await submit_new_voice(hass, hass_client, entry, "design")
    assert result["errors"] == {"base": "create_uncertain"}
    await eventually(lambda: len(emulator.voices.voices) == 1)
    emulator.voices.create_delay = 0
    return result


async def test_an_unconfirmed_create_is_looked_for_before_a_second_submit_makes_one(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = await unconfirmed_design(hass, hass_client, emulator, entry, monkeypatch)
    await assert_translated(hass, "error", "create_uncertain")

    result = await step(result, hass, **DESIGN)  # the user submits the same voice again

    assert result["step_id"] == "new_voice", result.get("errors")
    (voice_id,) = emulator.voices.voices
    assert len(emulator.voices.actions("create")) == 1
    assert result["data_schema"] is not None
    assert result["data_schema"]({})["voice"] == voice_id


async def test_an_unconfirmed_create_is_not_taken_for_another_description(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = await unconfirmed_design(hass, hass_client, emulator, entry, monkeypatch)

    result = await step(result, hass, **{**DESIGN, "description": "A bright young voice."})
    assert result["step_id"] == "name_taken"  # the voice the lost answer made has that name
    result = await step(result, hass, next_step_id="create_anyway")

    assert result["step_id"] == "design_preview"  # a new voice, made from what was asked
    assert len(emulator.voices.voices) == 2
    assert len(emulator.voices.actions("create")) == 2


async def test_a_server_error_that_made_nothing_lets_the_next_submit_create_once(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    emulator.voices.create_failures.append((500, "InternalError", "Oops."))
    result = await submit_new_voice(hass, hass_client, entry, "design")
    assert result["errors"] == {"base": "voice_service_error"}
    assert emulator.voices.voices == {}

    result = await step(result, hass, **DESIGN)

    assert result["step_id"] == "design_preview"
    assert len(emulator.voices.voices) == 1
    assert len(emulator.voices.actions("create")) == 2


async def test_a_refused_create_is_not_looked_for(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    emulator.voices.create_failures.append((400, "Throttling.AllocationQuota", "Quota exceeded."))

    result = await submit_new_voice(hass, hass_client, entry, "clone")

    assert result["errors"] == {"base": "voice_storage_full"}
    assert [request.action for request in emulator.voices.requests] == ["list", "create"]


async def test_clone_from_an_uploaded_wav_and_speak(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    file_id = await upload(hass_client, recording(12), "grandma.wav")
    result = await start(hass, entry, "clone")
    assert PRICING_LINKS.items() <= (result["description_placeholders"] or {}).items()

    result = await step(result, hass, name="grandma", audio=file_id, language="en")
    assert result["step_id"] == "new_voice", result.get("errors")
    result = await step(result, hass, **VOICE_STEP)
    await hass.async_block_till_done()

    (voice_id,) = emulator.voices.voices
    profile = next(s for s in entry.subentries.values() if s.title == "grandma")
    assert (profile.data["model"], profile.data["voice"]) == (VC_MODEL, voice_id)
    assert utterances(emulator) == []  # just created: not proven again by speaking
    await fetch_url_audio(hass_client, "Hello.", {"preferred_format": "wav"}, "tts.grandma")
    record = utterances(emulator)[-1]
    assert (record.model, record.config["voice"]) == (VC_MODEL, voice_id)


@pytest.mark.parametrize(
    ("content", "name", "error"),
    [
        (recording(12, rate=16000), "low.wav", "audio_sample_rate"),
        (recording(61), "long.wav", "audio_too_long"),
        (recording(2), "short.wav", "audio_too_short"),
        (recording(12, channels=2), "stereo.wav", "audio_not_mono"),
        (recording(12, width=1), "8bit.wav", "audio_format"),
        (b"RIFF, but not really", "broken.wav", "audio_unreadable"),
        (b"\xff\xfb not an mp3", "broken.mp3", "audio_unreadable"),
        (b"hello", "notes.txt", "audio_format"),
        (b"\0" * 8_000_000, "huge.wav", "audio_too_large"),
    ],
    ids=["16-kHz", "61-s", "2-s", "stereo", "8-bit", "broken-wav", "broken-mp3", "txt", "8-MB"],
)
async def test_clone_checks_the_recording_before_uploading_it(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    content: bytes,
    name: str,
    error: str,
) -> None:
    file_id = await upload(hass_client, content, name)
    result = await start(hass, entry, "clone")
    result = await step(result, hass, name="grandma", audio=file_id, language="en")

    assert result["errors"] == {"audio": error}
    assert emulator.voices.requests == []
    await assert_translated(hass, "error", error)


@pytest.mark.parametrize(
    ("content", "failure", "error"),
    [
        (recording(12, silent=True), None, "audio_no_clean_speech"),
        (recording(12), (400, "Audio.AudioRateError", "Rate."), "audio_sample_rate"),
        (recording(12), (400, "Audio.DurationLimitError", "Long."), "audio_too_long"),
        (recording(12), (400, "Audio.DecoderError", "Bad."), "audio_unreadable"),
    ],
    ids=["silence", "rate", "duration", "decoder"],
)
async def test_clone_refused_by_the_service_names_the_audio_problem(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    content: bytes,
    failure: tuple[int, str, str] | None,
    error: str,
) -> None:
    if failure:
        emulator.voices.create_failures.append(failure)
    file_id = await upload(hass_client, content, "voice.wav")
    result = await start(hass, entry, "clone")
    result = await step(result, hass, name="grandma", audio=file_id, language="en")

    assert result["errors"] == {"audio": error}
    assert len(emulator.voices.actions("create")) == 1
    assert emulator.voices.voices == {}


async def test_clone_in_degraded_mode_is_shown(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    emulator.voices.fallback_reason = "Background noise"
    file_id = await upload(hass_client, recording(12), "noisy.wav")
    result = await start(hass, entry, "clone")
    result = await step(result, hass, name="noisy", audio=file_id, language="en")

    assert result["step_id"] == "clone_degraded"
    assert (result["description_placeholders"] or {})["reason"] == "Background noise"
    result = await step(result, hass)
    assert result["step_id"] == "new_voice"


async def test_pick_a_voice_of_the_account(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    designed = emulator.voices.add("robot", "vd")
    cloned = emulator.voices.add("grandpa", "vc")
    emulator.voices.add("offline", "vc", target_model="qwen3-tts-vc-2026-01-22")
    result = await start(hass, entry, "account_voice")

    assert result["data_schema"] is not None
    options = result["data_schema"].schema["voice"].config["options"]
    labels = {option["value"]: option["label"] for option in options}
    assert set(labels) == {designed, cloned}  # the non-realtime voice cannot speak here
    assert labels[cloned].startswith("🎙️ grandpa · 20")
    assert labels[designed].startswith("✏️ robot · 20")
    result = await step(result, hass, voice=cloned)
    result = await step(result, hass, **VOICE_STEP)
    await hass.async_block_till_done()

    profile = next(s for s in entry.subentries.values() if s.title == "grandpa")
    assert (profile.data["model"], profile.data["voice"]) == (VC_MODEL, cloned)
    assert utterances(emulator) == []  # listed by the account: not proven again by speaking


async def test_an_account_without_voices_says_so(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    result = await start(hass, entry, "account_voice")

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_account_voices"


async def custom_profile_entry(
    hass: HomeAssistant, emulator: Emulator, kind: str = "vd"
) -> tuple[MockConfigEntry, str]:
    voice = emulator.voices.add("robot", kind)  # type: ignore[arg-type]
    model = VD_MODEL if kind == "vd" else VC_MODEL
    config_entry = make_entry(emulator, model=model, voice=voice)
    await setup_entry(hass, config_entry)
    return config_entry, voice


async def test_delete_the_voice_from_reconfigure(hass: HomeAssistant, emulator: Emulator) -> None:
    entry, voice = await custom_profile_entry(hass, emulator)
    (subentry_id,) = entry.subentries
    result = cast(
        "SubentryFlowResult", await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    )
    assert result["type"] is FlowResultType.MENU
    result = await step(result, hass, next_step_id="delete_voice")
    assert result["step_id"] == "delete_voice"
    assert emulator.voices.deleted == []  # nothing before the confirmation

    result = await step(result, hass)
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "voice_deleted"
    assert emulator.voices.deleted == [voice]
    assert entry.subentries == {}


async def test_deleting_a_voice_names_and_removes_every_profile_that_speaks_with_it(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    """A profile left with a deleted voice could never speak again, whichever entry it is in."""
    entry, voice = await custom_profile_entry(hass, emulator)
    other = make_entry(emulator, model=VD_MODEL, voice=voice)
    await setup_entry(hass, other)
    hass.config_entries.async_update_subentry(
        other, next(iter(other.subentries.values())), title="Narrator"
    )
    (subentry_id,) = entry.subentries
    result = cast(
        "SubentryFlowResult", await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    )
    assert (result["description_placeholders"] or {})["voice"] == "robot"  # not the raw id

    result = await step(result, hass, next_step_id="delete_voice")
    assert (result["description_placeholders"] or {})["profiles"] == "Qwen TTS, Narrator"
    result = await step(result, hass)
    await hass.async_block_till_done()

    assert result["reason"] == "voice_deleted"
    assert entry.subentries == {}
    assert other.subentries == {}


async def test_reconfiguring_a_custom_voice_profile_keeps_its_voice(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    entry, voice = await custom_profile_entry(hass, emulator)
    (subentry_id,) = entry.subentries
    result = cast(
        "SubentryFlowResult", await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    )
    result = await step(result, hass, next_step_id="system_voice")
    result = await step(result, hass, name="Robot", model=VD_MODEL)

    result = await step(result, hass, language="en", sample_rate="16000")  # the voice as it was
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    profile = entry.subentries[subentry_id]
    assert (profile.data["voice"], profile.data["sample_rate"]) == (voice, 16000)


async def test_removing_a_profile_keeps_its_voice(hass: HomeAssistant, emulator: Emulator) -> None:
    entry, voice = await custom_profile_entry(hass, emulator)
    (subentry_id,) = entry.subentries

    hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()

    assert voice in emulator.voices.voices
    assert emulator.voices.actions("delete") == []


async def voice_labels(hass: HomeAssistant, ws: WebSocketGenerator, engine: str) -> dict[str, str]:
    """Ask for an engine's voices the way the frontend's voice pickers do: label by id, in order."""
    client = await ws(hass)
    await client.send_json_auto_id(
        {"type": "tts/engine/voices", "engine_id": engine, "language": "en"}
    )
    answer = await client.receive_json()
    assert answer["success"], answer
    return {voice["voice_id"]: voice["name"] for voice in answer["result"]["voices"]}


async def voices_of(hass: HomeAssistant, ws: WebSocketGenerator, engine: str) -> list[str]:
    """The ids of an engine's voices, as the frontend's voice pickers list them."""
    return list(await voice_labels(hass, ws, engine))


async def test_the_voice_pickers_mark_a_designed_voice_and_say_when_it_was_made(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, emulator: Emulator
) -> None:
    _, own = await custom_profile_entry(hass, emulator)
    await hass.async_block_till_done(wait_background_tasks=True)
    made = emulator.voices.voices[own].created

    labels = await voice_labels(hass, hass_ws_client, "tts.qwen_tts")

    assert labels[own] == f"✏️ robot ({made:%Y-%m-%d})"


async def test_custom_voice_profile_lists_the_accounts_voices_of_its_model(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, emulator: Emulator
) -> None:
    older = emulator.voices.add("older", "vd")
    emulator.voices.add("cloned", "vc")
    emulator.voices.add("snapshot", "vd", target_model="qwen3-tts-vd-realtime-2025-12-16")
    _, own = await custom_profile_entry(hass, emulator)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert await voices_of(hass, hass_ws_client, "tts.qwen_tts") == [own, older]


async def test_voice_lists_are_fetched_again_only_after_their_bound(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    emulator: Emulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    _, own = await custom_profile_entry(hass, emulator)
    await hass.async_block_till_done(wait_background_tasks=True)
    added = emulator.voices.add("outside", "vd")  # made outside Home Assistant
    assert await voices_of(hass, hass_ws_client, "tts.qwen_tts") == [own]
    lists = len(emulator.voices.actions("list"))

    freezer.tick(VOICE_LIST_MAX_AGE + timedelta(seconds=1))
    await voices_of(hass, hass_ws_client, "tts.qwen_tts")  # asks for a refresh
    await hass.async_block_till_done(wait_background_tasks=True)

    assert await voices_of(hass, hass_ws_client, "tts.qwen_tts") == [own, added]
    assert len(emulator.voices.actions("list")) == lists + 1


async def test_a_voice_of_another_model_is_a_clear_error(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    cloned = emulator.voices.add("grandma", "vc")
    await setup_entry(hass, make_entry(emulator, model=VD_MODEL, voice=cloned))

    with pytest.raises(HomeAssistantError) as caught:
        await stream_audio(hass, "Hello.")

    assert caught.value.translation_key == "voice_of_other_model"
    assert cloned in str(caught.value)


async def test_endpoint_without_a_voice_api_says_so(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry
) -> None:
    proxy = emulator.url.replace("/api-ws/v1/realtime", "/tts/socket")
    hass.config_entries.async_update_entry(entry, data={**entry.data, "endpoint": proxy})
    await hass.async_block_till_done()

    result = await start(hass, entry, "design")
    result = await step(result, hass, **DESIGN)

    assert result["errors"] == {"base": "voice_api_unavailable"}
    await assert_translated(hass, "error", "voice_api_unavailable")


@pytest.mark.parametrize(("extension", "codec"), [("mp3", "libmp3lame"), ("m4a", "aac")])
async def test_clone_from_an_uploaded_mp3_or_m4a(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    tmp_path: Path,
    extension: str,
    codec: str,
) -> None:
    source, target = tmp_path / "voice.wav", tmp_path / f"voice.{extension}"
    source.write_bytes(recording(12))
    process = await asyncio.create_subprocess_exec(
        "ffmpeg", "-loglevel", "error", "-i", str(source), "-c:a", codec, str(target)
    )
    assert await process.wait() == 0
    file_id = await upload(hass_client, target.read_bytes(), target.name)
    result = await start(hass, entry, "clone")
    result = await step(result, hass, name="encoded", audio=file_id, language="en")

    assert result["step_id"] == "new_voice", result.get("errors")
    (stored,) = emulator.voices.voices.values()
    assert stored.target_model == VC_MODEL
