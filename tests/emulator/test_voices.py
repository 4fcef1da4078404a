"""The emulated voice customisation API, and custom voices on the realtime socket."""

from __future__ import annotations

import asyncio
import base64
import io
from pathlib import Path
import re
import tracemalloc
from typing import Any
import wave

import aiohttp
import pytest

from qwen_tts_emulator import CUSTOMIZATION_PATH, CannedReply, Emulator, Scenario
from tests.helpers import needs_ffmpeg
from tests.recordings import recording

from .helpers import CLOSED, KEY, Client, connect

VD_MODEL = "qwen3-tts-vd-realtime-2026-01-15"
VC_MODEL = "qwen3-tts-vc-realtime-2026-01-15"
DESIGN: dict[str, Any] = {
    "action": "create",
    "target_model": VD_MODEL,
    "preferred_name": "narrator",
    "voice_prompt": "A calm, warm voice of an elderly storyteller.",
    "preview_text": "Once upon a time, there was a little house.",
    "language": "en",
}
ID_SHAPE = r"qwen-tts-{kind}-{name}-voice-\d{{17}}-[0-9a-f]{{4}}"


async def call(
    emu: Emulator, model: str, payload: dict[str, Any], key: str = KEY, **extra: Any
) -> tuple[int, dict[str, Any]]:
    """POST one request to the customisation API; return the status and the JSON answer."""
    return await post(emu, {"model": model, "input": payload, **extra}, key)


async def post(emu: Emulator, body: Any, key: str = KEY) -> tuple[int, dict[str, Any]]:
    """POST `body` (JSON, or bytes as they are); return the status and the JSON answer."""
    url = f"http://{emu.host}:{emu.port}{CUSTOMIZATION_PATH}"
    content = {"data": body} if isinstance(body, bytes) else {"json": body}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, headers={"Authorization": f"Bearer {key}"}, **content) as response,
    ):
        return response.status, await response.json()


async def answer_to_voice(client: Client, voice: str) -> dict[str, Any]:
    """Send a `session.update` with `voice`; return the service's answer to it."""
    await client.update(voice=voice)
    while (event := await client.next())["type"] not in ("session.updated", "error", CLOSED):
        pass
    return event


def clone(audio: bytes, mime: str = "audio/wav", name: str = "grandma") -> dict[str, Any]:
    data = f"data:{mime};base64,{base64.b64encode(audio).decode()}"
    return {"action": "create", "target_model": VC_MODEL, "preferred_name": name,
            "audio": {"data": data}, "language": "en"}  # fmt: skip


async def test_design_returns_an_id_and_a_wav_preview_at_the_asked_rate() -> None:
    async with Emulator(Scenario()) as emu:
        status, answer = await call(
            emu, "qwen-voice-design", DESIGN,
            parameters={"sample_rate": 16000, "response_format": "wav"},
        )  # fmt: skip

    assert status == 200
    output = answer["output"]
    assert re.fullmatch(ID_SHAPE.format(kind="vd", name="narrator"), output["voice"])
    assert output["target_model"] == VD_MODEL
    preview = output["preview_audio"]
    assert (preview["sample_rate"], preview["response_format"]) == (16000, "wav")
    with wave.open(io.BytesIO(base64.b64decode(preview["data"]))) as wav:
        assert wav.getframerate() == 16000
        assert wav.getnframes() > 16000 // 2
    assert answer["usage"] == {"count": 1}


async def test_designed_voice_is_listed_queried_and_deleted() -> None:
    async with Emulator(Scenario()) as emu:
        _, created = await call(emu, "qwen-voice-design", DESIGN)
        voice = created["output"]["voice"]
        _, listed = await call(emu, "qwen-voice-design", {"action": "list"})
        _, queried = await call(emu, "qwen-voice-design", {"action": "query", "voice": voice})
        _, deleted = await call(emu, "qwen-voice-design", {"action": "delete", "voice": voice})
        status, again = await call(emu, "qwen-voice-design", {"action": "query", "voice": voice})

    (item,) = listed["output"]["voice_list"]
    assert listed["output"]["total_count"] == 1
    assert item["voice"] == voice
    assert item["voice_prompt"] == DESIGN["voice_prompt"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", item["gmt_create"])
    assert queried["output"]["voice"] == voice
    assert deleted["output"]["voice"] == voice
    assert (status, again["code"]) == (400, "VoiceNotFound")
    assert emu.voices.deleted == [voice]


async def test_clone_from_a_clean_recording() -> None:
    async with Emulator(Scenario()) as emu:
        status, answer = await call(emu, "qwen-voice-enrollment", clone(recording(12)))
        _, listed = await call(emu, "qwen-voice-enrollment", {"action": "list"})

    assert status == 200
    assert re.fullmatch(ID_SHAPE.format(kind="vc", name="grandma"), answer["output"]["voice"])
    assert answer["output"]["target_model"] == VC_MODEL
    assert "fallback_mode" not in answer["output"]
    assert [v["voice"] for v in listed["output"]["voice_list"]] == [answer["output"]["voice"]]


@pytest.mark.parametrize(
    ("audio", "mime", "code"),
    [
        (recording(12, rate=16000), "audio/wav", "Audio.AudioRateError"),
        (recording(61), "audio/wav", "Audio.DurationLimitError"),
        (recording(12, silent=True), "audio/wav", "Audio.PreprocessError"),
        (recording(2), "audio/wav", "Audio.PreprocessError"),
        (b"not audio at all", "audio/mpeg", "Audio.DecoderError"),
        (recording(12, width=1), "audio/wav", "Audio.DecoderError"),
    ],
    ids=["16-kHz", "61-s", "silence", "too-little-speech", "garbage", "8-bit"],
)
async def test_clone_refuses_bad_audio(audio: bytes, mime: str, code: str) -> None:
    async with Emulator(Scenario()) as emu:
        status, answer = await call(emu, "qwen-voice-enrollment", clone(audio, mime))

    assert (status, answer["code"]) == (400, code)
    assert emu.voices.voices == {}


@needs_ffmpeg
async def test_a_long_recording_is_refused_without_decoding_all_of_it(tmp_path: Path) -> None:
    """31 minutes of silent MP3 (7.4 MB) is refused after decoding at most a second past 60 s."""
    ten_seconds = tmp_path / "silence.mp3"
    process = await asyncio.create_subprocess_exec(
        "ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=24000:cl=mono",
        "-t", "10", "-c:a", "libmp3lame", "-b:a", "32k", "-write_xing", "0", str(ten_seconds),
    )  # fmt: skip
    assert await process.wait() == 0
    long_mp3 = ten_seconds.read_bytes() * 186  # MP3 streams join end to end: 31 minutes
    request = {
        "model": "qwen-voice-enrollment",
        "input": clone(long_mp3, "audio/mpeg"),
    }
    async with Emulator(Scenario()) as emu:
        tracemalloc.start()
        try:
            status, answer = await post(emu, request)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert (status, answer["code"]) == (400, "Audio.DurationLimitError")
    # The request is ~10 MB of base64 and is held a few times over; decoded whole, the
    # recording alone would be 89 MB of PCM, copied twice more.
    assert peak < 64 * 1024 * 1024


async def test_a_deeply_nested_request_is_a_bad_request() -> None:
    nested = b'{"model": "qwen-voice-design", "input": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    async with Emulator(Scenario()) as emu:
        status, answer = await post(emu, nested)

    assert (status, answer["code"]) == (400, "InvalidParameter")


async def test_a_page_size_of_its_own_overrides_the_asked_one() -> None:
    async with Emulator(Scenario()) as emu:
        for n in range(30):
            emu.voices.add(f"v{n}", "vd")
        emu.voices.page_size = 25
        _, answer = await call(emu, "qwen-voice-design", {"action": "list", "page_size": 10})

    assert len(answer["output"]["voice_list"]) == 25


async def test_a_canned_reply_answers_the_next_request_as_it_is() -> None:
    async with Emulator(Scenario()) as emu:
        emu.voices.replies.append(CannedReply.json({"output": {"voice": "odd"}}, status=201))
        first = await call(emu, "qwen-voice-design", {"action": "list"})
        second, _ = await call(emu, "qwen-voice-design", {"action": "list"})

    assert first == (201, {"output": {"voice": "odd"}})
    assert second == 200


async def test_storage_limit_refuses_a_new_voice() -> None:
    async with Emulator(Scenario()) as emu:
        emu.voices.limit = 1
        emu.voices.add("first", "vd")
        status, answer = await call(emu, "qwen-voice-design", DESIGN)

    assert (status, answer["code"]) == (400, "Throttling.AllocationQuota")


async def test_wrong_key_is_refused() -> None:
    async with Emulator(Scenario(api_keys=frozenset({KEY}))) as emu:
        status, answer = await call(emu, "qwen-voice-design", {"action": "list"}, key="sk-other")

    assert (status, answer["code"]) == (401, "InvalidApiKey")


async def test_queued_failure_answers_the_next_request() -> None:
    async with Emulator(Scenario()) as emu:
        emu.voices.failures.append((429, "Throttling.RateQuota", "Too many requests."))
        first, answer = await call(emu, "qwen-voice-design", {"action": "list"})
        second, _ = await call(emu, "qwen-voice-design", {"action": "list"})

    assert (first, answer["code"], second) == (429, "Throttling.RateQuota", 200)


@pytest.mark.parametrize(
    ("kind", "model", "accepted"),
    [
        ("vd", VD_MODEL, True),
        ("vd", VC_MODEL, False),
        ("vc", VC_MODEL, True),
        ("vc", VD_MODEL, False),
    ],
)
async def test_custom_voice_speaks_only_on_its_target_model(
    kind: str, model: str, accepted: bool
) -> None:
    async with Emulator(Scenario()) as emu:
        voice = emu.voices.add("mine", "vd" if kind == "vd" else "vc")
        async with connect(emu, model=model) as client:
            answer = await answer_to_voice(client, voice)

    assert (answer["type"] == "session.updated") is accepted


@pytest.mark.parametrize("model", [VD_MODEL, VC_MODEL])
async def test_system_voices_are_refused_by_custom_voice_models(model: str) -> None:
    async with Emulator(Scenario()) as emu, connect(emu, model=model) as client:
        answer = await answer_to_voice(client, "Cherry")

    assert answer["error"]["param"] == "session.voice"


async def test_deleted_voice_no_longer_speaks() -> None:
    async with Emulator(Scenario()) as emu:
        voice = emu.voices.add("gone", "vd")
        await call(emu, "qwen-voice-design", {"action": "delete", "voice": voice})
        async with connect(emu, model=VD_MODEL) as client:
            answer = await answer_to_voice(client, voice)

    assert answer["error"]["param"] == "session.voice"
