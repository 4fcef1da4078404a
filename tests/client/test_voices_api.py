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
    voices_api,
)
from custom_components.qwen_tts_realtime.realtime.endpoints import customization_url
from custom_components.qwen_tts_realtime.realtime.errors import (
    VoiceApiResponseError,
    VoiceServiceError,
)
from qwen_tts_emulator import Emulator
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
    assert (designed.preview.sample_rate, designed.preview.response_format) == (24000, "wav")
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
    ids = {emulator.voices.add(f"v{n}", "vd") for n in range(voices_api.LIST_PAGE_SIZE + 5)}
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


async def test_query_of_a_missing_voice_is_voice_not_found(voices: VoicesClient) -> None:
    with pytest.raises(VoiceNotFoundError):
        await voices.query("qwen-tts-vd-nobody-voice-20260101000000000-abcd")


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
    monkeypatch.setattr(voices_api, "MAX_RESPONSE_BYTES", 1000)

    with pytest.raises(VoiceApiResponseError):
        await design(voices)


async def test_an_unreachable_service_is_connect_error(http: aiohttp.ClientSession) -> None:
    voices = VoicesClient(http, KEY, "ws://127.0.0.1:1/api-ws/v1/realtime")

    with pytest.raises(ConnectError):
        await voices.list_voices("design")


def chain(err: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while err is not None and err not in seen:
        seen.append(err)
        err = err.__cause__ or err.__context__
    return seen


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

    for err in chain(caught.value):
        assert (
            KEY not in f"{err!r} {err} {err.args} {vars(err) if hasattr(err, '__dict__') else ''}"
        )
    assert caught.value.__context__ is None
    assert KEY not in caplog.text
