"""The voice customisation client: design, clone, list and delete against the emulator."""

from __future__ import annotations

from collections.abc import Callable
import io
import logging
import wave

import aiohttp
import pytest

from custom_components.qwen_tts_realtime.realtime import (
    AuthenticationError,
    BadAudioError,
    ConnectError,
    RateLimitError,
    RealtimeError,
    ResponseTimeoutError,
    VoiceApiUnavailableError,
    VoiceNotFoundError,
    VoicesClient,
    VoiceStorageFullError,
    voices as voices_module,
)
from custom_components.qwen_tts_realtime.realtime.endpoints import customization_url
from custom_components.qwen_tts_realtime.realtime.errors import (
    VoiceApiResponseError,
    VoiceServiceError,
)
from custom_components.qwen_tts_realtime.realtime.timing import (
    MAX_LISTED_VOICES,
    MAX_RESPONSE_BYTES,
    MAX_VOICE_ID_CHARS,
)
from qwen_tts_emulator import CUSTOMIZATION_PATH, CannedReply, Emulator, Scenario
from tests.helpers import shows
from tests.recordings import recording

from .helpers import KEY

VD_MODEL = "qwen3-tts-vd-realtime-2026-01-15"
VC_MODEL = "qwen3-tts-vc-realtime-2026-01-15"
DESCRIPTION = "A calm, warm voice of an elderly storyteller."
PREVIEW = "Once upon a time, there was a little house."


@pytest.fixture
def voices(emulator: Emulator, http: aiohttp.ClientSession) -> VoicesClient:
    return VoicesClient(http, KEY, emulator.url)


async def design(voices: VoicesClient) -> None:
    await voices.design("narrator", DESCRIPTION, PREVIEW, "en")


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        (
            "wss://dashscope-intl.aliyuncs.com/api-ws/v1/realtime",
            "https://dashscope-intl.aliyuncs.com/api/v1/services/audio/tts/customization",
        ),
        (
            "ws-1.cn-beijing.maas.aliyuncs.com",
            "https://ws-1.cn-beijing.maas.aliyuncs.com/api/v1/services/audio/tts/customization",
        ),
        (
            "ws://127.0.0.1:8765/api-ws/v1/realtime",
            "http://127.0.0.1:8765/api/v1/services/audio/tts/customization",
        ),
    ],
    ids=["region", "workspace-host", "loopback"],
)
def test_api_address_is_derived_from_the_realtime_endpoint(endpoint: str, url: str) -> None:
    assert str(customization_url(endpoint)) == url


def test_endpoint_with_another_path_has_no_known_api_address() -> None:
    with pytest.raises(VoiceApiUnavailableError):
        customization_url("wss://proxy.example.com/tts/socket")


async def test_design_returns_the_voice_and_its_preview(
    voices: VoicesClient, emulator: Emulator
) -> None:
    designed = await voices.design("narrator", DESCRIPTION, PREVIEW, "en")

    assert designed.voice.kind == "design"
    assert designed.voice.name == "narrator"
    assert designed.voice.target_model == VD_MODEL
    assert designed.voice.voice_id in emulator.voices.voices
    assert designed.preview.response_format == "wav"
    with wave.open(io.BytesIO(designed.preview.data)) as wav:
        assert wav.getframerate() == 24000


async def test_clone_returns_the_voice(voices: VoicesClient, emulator: Emulator) -> None:
    cloned = await voices.clone("grandma", recording(12), "audio/wav", language="en")

    assert (cloned.voice.kind, cloned.voice.name) == ("clone", "grandma")
    assert cloned.voice.target_model == VC_MODEL
    assert cloned.fallback_mode is False
    assert emulator.voices.voices[cloned.voice.voice_id].language == "en"


async def test_clone_reports_the_degraded_mode(voices: VoicesClient, emulator: Emulator) -> None:
    emulator.voices.fallback_reason = "Background noise; made from the clearest 4 s."

    cloned = await voices.clone("grandma", recording(12), "audio/wav")

    assert cloned.fallback_mode is True
    assert cloned.fallback_reason == "Background noise; made from the clearest 4 s."


async def test_list_pages_through_every_voice_of_a_kind(
    voices: VoicesClient, emulator: Emulator
) -> None:
    ids = {emulator.voices.add(f"v{n}", "vd") for n in range(voices_module.LIST_PAGE_SIZE + 5)}
    clone_id = emulator.voices.add("clone", "vc")

    designed = await voices.list_voices("design")
    cloned = await voices.list_voices("clone")

    assert {v.voice_id for v in designed} == ids
    assert [v.voice_id for v in cloned] == [clone_id]
    assert all(v.created is not None for v in designed)
    assert len(emulator.voices.actions("list")) == 3


async def test_delete_removes_the_voice(voices: VoicesClient, emulator: Emulator) -> None:
    voice = emulator.voices.add("gone", "vc")

    await voices.delete(voice)

    assert emulator.voices.deleted == [voice]


async def test_deleting_a_missing_voice_is_voice_not_found(voices: VoicesClient) -> None:
    with pytest.raises(VoiceNotFoundError):
        await voices.delete("qwen-tts-vd-nobody-voice-20260101000000000-abcd")


@pytest.mark.parametrize(
    ("audio", "problem"),
    [
        (recording(12, rate=16000), "sample_rate"),
        (recording(61), "too_long"),
        (recording(12, silent=True), "no_clean_speech"),
        (b"RIFF not really", "unreadable"),
    ],
    ids=["16-kHz", "61-s", "silence", "garbage"],
)
async def test_refused_recording_is_bad_audio(
    voices: VoicesClient, audio: bytes, problem: str
) -> None:
    with pytest.raises(BadAudioError) as caught:
        await voices.clone("grandma", audio, "audio/wav")

    assert caught.value.problem == problem


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        ((401, "InvalidApiKey", "Invalid API-key provided."), AuthenticationError),
        ((429, "Throttling.RateQuota", "Too many requests."), RateLimitError),
        ((400, "Throttling.AllocationQuota", "Quota exceeded."), VoiceStorageFullError),
        ((400, "BadRequest.VoiceNotFound", "No such voice."), VoiceNotFoundError),
        ((500, "InternalError", "Oops."), VoiceServiceError),
    ],
    ids=["key", "rate", "storage", "not-found", "server"],
)
async def test_service_errors_are_typed(
    voices: VoicesClient,
    emulator: Emulator,
    failure: tuple[int, str, str],
    error: type[RealtimeError],
) -> None:
    emulator.voices.failures.append(failure)

    with pytest.raises(error):
        await design(voices)


async def test_a_failed_create_is_not_retried(voices: VoicesClient, emulator: Emulator) -> None:
    emulator.voices.failures.append((500, "InternalError", "Oops."))

    with pytest.raises(VoiceServiceError):
        await design(voices)

    assert len(emulator.voices.actions("create")) == 1


async def test_a_slow_create_times_out_and_is_not_retried(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.voices.delay = 0.5
    voices = VoicesClient(http, KEY, emulator.url, timeout=0.05)

    with pytest.raises(ResponseTimeoutError):
        await design(voices)

    assert len(emulator.voices.requests) <= 1


async def test_an_oversized_answer_is_refused(
    voices: VoicesClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(voices_module, "MAX_RESPONSE_BYTES", 1000)

    with pytest.raises(VoiceApiResponseError):
        await design(voices)


async def test_an_answer_declared_larger_than_the_bound_is_refused_before_reading_it(
    voices: VoicesClient, emulator: Emulator
) -> None:
    declared = MAX_RESPONSE_BYTES + 1
    emulator.voices.replies.append(CannedReply(body=b"{}", content_length=declared))

    with pytest.raises(VoiceApiResponseError):
        await voices.list_voices("design")


async def test_an_undeclared_answer_is_read_only_to_its_bound(
    voices: VoicesClient, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(voices_module, "MAX_RESPONSE_BYTES", 1000)
    emulator.voices.replies.append(CannedReply(body=b" " * 100_000, chunked=True))

    with pytest.raises(VoiceApiResponseError):
        await voices.list_voices("design")


@pytest.mark.parametrize(
    ("status", "error"),
    [(200, VoiceApiResponseError), (500, VoiceServiceError)],
    ids=["ok", "server-error"],
)
async def test_a_deeply_nested_answer_is_a_typed_error(
    voices: VoicesClient, emulator: Emulator, status: int, error: type[RealtimeError]
) -> None:
    emulator.voices.replies.append(CannedReply(status, b"[" * 300_000))

    with pytest.raises(error):
        await voices.list_voices("design")


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_is_an_error_and_is_not_followed(
    voices: VoicesClient, emulator: Emulator, status: int
) -> None:
    async with Emulator(Scenario()) as elsewhere:
        location = f"http://{elsewhere.host}:{elsewhere.port}{CUSTOMIZATION_PATH}"
        emulator.voices.replies.append(CannedReply.redirect(location, status))

        with pytest.raises(VoiceApiResponseError):
            await design(voices)

    assert elsewhere.voices.requests == []


HOSTILE_IDS = [
    "qwen-tts-vc-<img src=x onerror=alert(1)>",
    "qwen-tts-vc-[grandma](https://example.com)",
    "qwen-tts-vc-grandma\nvoice",
    "qwen-tts-vc-grandma voice",
    "qwen-tts-vc-" + "a" * 100_000,
    "qwen-tts-vc-" + "a" * (MAX_VOICE_ID_CHARS - len("qwen-tts-vc-") + 1),
    "qwen-tts-vc-",
]
HOSTILE_ID_NAMES = ["img", "markdown-link", "newline", "space", "100-kB", "one-too-long", "empty"]


@pytest.mark.parametrize("voice_id", HOSTILE_IDS, ids=HOSTILE_ID_NAMES)
async def test_a_created_id_outside_the_vendors_alphabet_is_refused(
    voices: VoicesClient, emulator: Emulator, voice_id: str
) -> None:
    output = {"voice": voice_id, "target_model": VC_MODEL}
    emulator.voices.replies.append(CannedReply.json({"output": output}))

    with pytest.raises(VoiceApiResponseError):
        await voices.clone("grandma", recording(12), "audio/wav")


def test_the_longest_id_the_vendor_makes_is_well_within_the_bound() -> None:
    longest = "qwen-tts-vc-" + "n" * 16 + "-voice-20260115101112123-abcd"
    assert len(longest) <= MAX_VOICE_ID_CHARS


async def test_listed_voices_with_ids_outside_the_vendors_alphabet_are_left_out(
    voices: VoicesClient, emulator: Emulator
) -> None:
    good = emulator.voices.add("grandma", "vc")
    for voice_id in HOSTILE_IDS:
        emulator.voices.add("hostile", "vc", voice_id=voice_id)

    assert [v.voice_id for v in await voices.list_voices("clone")] == [good]


async def test_a_created_voice_for_another_model_is_refused(
    voices: VoicesClient, emulator: Emulator
) -> None:
    output = {"voice": "qwen-tts-vc-grandma-voice-20260115101112123-abcd", "target_model": VD_MODEL}
    emulator.voices.replies.append(CannedReply.json({"output": output}))

    with pytest.raises(VoiceApiResponseError):
        await voices.clone("grandma", recording(12), "audio/wav")


async def test_a_list_offers_only_voices_made_for_a_model_of_its_kind(
    voices: VoicesClient, emulator: Emulator
) -> None:
    good = emulator.voices.add("narrator", "vd")
    older = emulator.voices.add("older", "vd", "qwen3-tts-vd-realtime-2025-12-16")
    emulator.voices.add("clone_model", "vd", VC_MODEL)
    emulator.voices.add("system_model", "vd", "qwen3-tts-flash-realtime")
    emulator.voices.add("markup", "vd", "qwen3-tts-vd-<b>")

    listed = {v.voice_id: v.target_model for v in await voices.list_voices("design")}

    assert listed == {good: VD_MODEL, older: "qwen3-tts-vd-realtime-2025-12-16"}


async def test_a_listed_language_outside_the_catalogue_is_dropped(
    voices: VoicesClient, emulator: Emulator
) -> None:
    known = emulator.voices.add("known", "vc")
    emulator.voices.voices[known].language = "en"
    odd = emulator.voices.add("odd", "vc")
    emulator.voices.voices[odd].language = "<b>en</b>"

    listed = {v.voice_id: v.language for v in await voices.list_voices("clone")}

    assert listed == {known: "en", odd: None}


@pytest.mark.parametrize("language", [["en"], {"en": 1}], ids=["list", "object"])
async def test_a_listed_language_of_another_type_is_dropped(
    voices: VoicesClient, emulator: Emulator, language: object
) -> None:
    voice = "qwen-tts-vc-grandma-voice-20260115101112123-abcd"
    item = {"voice": voice, "target_model": VC_MODEL, "language": language}
    emulator.voices.replies.append(CannedReply.json({"output": {"voice_list": [item]}}))

    listed = await voices.list_voices("clone")

    assert [(v.voice_id, v.language) for v in listed] == [(voice, None)]


async def test_a_list_paging_longer_than_asked_keeps_at_most_the_bound(
    voices: VoicesClient, emulator: Emulator
) -> None:
    for n in range(12_000):
        emulator.voices.add(f"v{n}", "vd")
    emulator.voices.page_size = 1_200  # ten pages of 1,200 whatever is asked

    listed = await voices.list_voices("design")

    asked = [r.body["input"]["page_size"] for r in emulator.voices.actions("list")]
    assert asked == [voices_module.LIST_PAGE_SIZE] * len(asked)
    assert len(asked) * voices_module.LIST_PAGE_SIZE <= MAX_LISTED_VOICES
    assert len(listed) == len({v.voice_id for v in listed}) == MAX_LISTED_VOICES


async def test_an_unreachable_service_is_connect_error(http: aiohttp.ClientSession) -> None:
    voices = VoicesClient(http, KEY, "ws://127.0.0.1:1/api-ws/v1/realtime")

    with pytest.raises(ConnectError):
        await voices.list_voices("design")


@pytest.mark.parametrize(
    "provoke",
    [
        lambda emu: emu.voices.failures.append((401, "InvalidApiKey", "Invalid API-key.")),
        lambda emu: emu.voices.failures.append((500, "InternalError", "Oops.")),
        lambda emu: setattr(emu.voices, "delay", 0.5),
    ],
    ids=["refused", "server-error", "timeout"],
)
async def test_the_key_is_in_no_error_and_no_log(
    emulator: Emulator,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    provoke: Callable[[Emulator], object],
) -> None:
    provoke(emulator)
    caplog.set_level(logging.DEBUG)
    voices = VoicesClient(http, KEY, emulator.url, timeout=0.1)

    with pytest.raises(RealtimeError) as caught:
        await design(voices)

    assert not shows(caught.value, KEY)
    assert caught.value.__context__ is None
    assert KEY not in caplog.text


@pytest.mark.parametrize("status", [401, 500], ids=["refused", "server-error"])
async def test_an_error_answer_that_echoes_the_key_does_not_carry_it(
    voices: VoicesClient, emulator: Emulator, status: int
) -> None:
    echo = {"code": f"InvalidApiKey {KEY}", "message": f"Invalid API-key provided: Bearer {KEY}"}
    emulator.voices.replies.append(CannedReply.json(echo, status=status))

    with pytest.raises(RealtimeError) as caught:
        await voices.list_voices("design")

    assert not shows(caught.value, KEY)
