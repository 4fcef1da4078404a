"""Event order, payload shapes and session settings of the emulated service."""

from __future__ import annotations

import asyncio
import base64
import shutil
from typing import Any

import pytest

from qwen_tts_emulator import Emulator, Scenario, render_pcm

from .helpers import CLOSED, KEY, MODEL, RESPONSE_EVENTS, connect, without_deltas

SECOND_UPDATE = "Session update error: session already started or finished or failed."


async def test_session_created_is_sent_on_accept() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        event = await client.next()

    assert event["type"] == "session.created"
    assert event["event_id"].startswith("event_")
    session = event["session"]
    assert session["id"].startswith("sess_")
    assert session == {
        "id": session["id"],
        "object": "realtime.session",
        "mode": "server_commit",
        "model": MODEL,
        "voice": "Cherry",
        "response_format": "pcm",
        "sample_rate": 24000,
    }


async def test_server_commit_event_order() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.update(mode="server_commit", voice="Cherry")
        await client.append("One sentence. Another one.")
        await client.send("session.finish")
        await client.drain()
        await emu.wait_idle()

    assert without_deltas(client.types()) == [
        "session.created",
        "session.updated",
        *RESPONSE_EVENTS,
        *RESPONSE_EVENTS,
        "session.finished",
    ]
    assert client.ws.close_code == 1000
    assert emu.sessions[0].segments == ["One sentence.", "Another one."]
    assert emu.sessions[0].closed_by_client is False
    assert emu.open_connections == 0


async def test_commit_mode_waits_for_commit() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.update(mode="commit")
        await client.until("session.updated")
        await client.append("First sentence. Second sentence.")
        assert await client.quiet(0.2)

        await client.send("input_text_buffer.commit")
        await client.until("response.done")
        await client.send("session.finish")
        await client.drain()

    assert without_deltas(client.types()) == [
        "session.created",
        "session.updated",
        "input_text_buffer.committed",
        *RESPONSE_EVENTS,
        "session.finished",
    ]
    committed = client.events[2]
    assert committed["item_id"] == ""
    assert emu.sessions[0].segments == ["First sentence. Second sentence."]


async def test_response_payloads_reference_each_other() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.append("Hello.")
        await client.send("session.finish")
        events = await client.drain()

    by_type = {event["type"]: event for event in events}
    response = by_type["response.created"]["response"]
    assert response["id"].startswith("resp_")
    assert response["status"] == "in_progress"
    assert response["voice"] == "Cherry"
    item_id = by_type["response.output_item.added"]["item"]["id"]
    assert item_id.startswith("item_")
    for name in RESPONSE_EVENTS[2:6]:
        assert by_type[name]["response_id"] == response["id"]
        assert by_type[name]["item_id"] == item_id
    assert by_type["response.content_part.added"]["part"]["type"] == "audio"
    done = by_type["response.done"]["response"]
    assert done["id"] == response["id"]
    assert done["status"] == "completed"
    assert done["usage"] == {"characters": 6}


async def test_several_commits_give_several_responses() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.update(mode="commit", voice="Ethan")
        for text in ("Alpha", "Beta", "Gamma"):
            await client.append(text)
            await client.send("input_text_buffer.commit")
        await client.send("session.finish")
        await client.drain()

    record = emu.sessions[0]
    assert record.segments == ["Alpha", "Beta", "Gamma"]
    assert client.types().count("response.done") == 3
    assert client.types().count("input_text_buffer.committed") == 3
    expected = b"".join(render_pcm(text, voice="Ethan") for text in record.segments)
    assert client.audio() == record.pcm == expected


async def test_server_commit_speaks_complete_sentences_before_finish() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.update(mode="server_commit")
        await client.append("The first sentence is complete. The second is not")
        await client.until("response.done")
        assert emu.sessions[0].segments == ["The first sentence is complete."]

        await client.append(" yet.")
        await client.send("session.finish")
        await client.drain()

    assert emu.sessions[0].segments == ["The first sentence is complete.", "The second is not yet."]


async def test_server_commit_flushes_partial_text_on_finish() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.append("No terminator here")
        await client.until("session.created")
        assert await client.quiet(0.2)
        await client.send("session.finish")
        await client.drain()

    assert emu.sessions[0].segments == ["No terminator here"]
    assert client.types()[-1] == "session.finished"


async def test_server_commit_segments_cjk_text() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.update(voice="Cherry", language_type="Chinese")
        await client.append("你好。今天天气很好！我们去公园吧？")
        await client.send("session.finish")
        await client.drain()

    assert emu.sessions[0].segments == ["你好。", "今天天气很好！", "我们去公园吧？"]


async def test_usage_counts_chinese_characters_twice() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.update(mode="commit")
        await client.append("Hi 你好, ok")
        await client.send("input_text_buffer.commit")
        await client.send("session.finish")
        events = await client.drain()

    done = next(e for e in events if e["type"] == "response.done")
    assert done["response"]["usage"] == {"characters": 11}
    assert emu.sessions[0].usage_characters == 11


async def test_usage_can_be_left_out_of_response_done() -> None:
    async with Emulator(Scenario(usage_reported=False)) as emu, connect(emu) as client:
        await client.append("Hello.")
        await client.send("session.finish")
        events = await client.drain()

    done = next(e for e in events if e["type"] == "response.done")
    assert done["response"]["status"] == "completed"
    assert "usage" not in done["response"]
    assert emu.sessions[0].usage_characters == 6  # billed all the same


async def test_legacy_model_reports_tokens() -> None:
    async with Emulator(Scenario()) as emu, connect(emu, model="qwen-tts-realtime") as client:
        await client.append("Hello.")
        await client.send("session.finish")
        events = await client.drain()

    usage = next(e for e in events if e["type"] == "response.done")["response"]["usage"]
    assert usage["input_tokens"] == 6
    assert usage["output_tokens"] >= 50
    assert emu.sessions[0].usage_characters == 6


async def test_commit_mode_finish_discards_uncommitted_text() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.update(mode="commit")
        await client.append("Spoken.")
        await client.send("input_text_buffer.commit")
        await client.append("Never committed.")
        await client.send("session.finish")
        await client.drain()

    assert emu.sessions[0].segments == ["Spoken."]
    assert client.types()[-1] == "session.finished"


async def test_commit_mode_finish_can_flush_when_configured() -> None:
    async with (
        Emulator(Scenario(commit_finish_flushes=True)) as emu,
        connect(emu) as client,
    ):
        await client.update(mode="commit")
        await client.append("Never committed.")
        await client.send("session.finish")
        await client.drain()

    assert emu.sessions[0].segments == ["Never committed."]


async def test_empty_commit_is_an_error() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.update(mode="commit")
        await client.send("input_text_buffer.commit", event_id="event_commit1")
        await client.until("error")

    error = client.events[-1]["error"]
    assert error["code"] == "invalid_value"
    assert error["event_id"] == "event_commit1"
    assert "response.created" not in client.types()


async def test_clear_empties_the_buffer() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.update(mode="commit")
        await client.append("Forget me.")
        await client.send("input_text_buffer.clear")
        await client.until("input_text_buffer.cleared")
        await client.append("Keep me.")
        await client.send("input_text_buffer.commit")
        await client.send("session.finish")
        await client.drain()

    assert emu.sessions[0].segments == ["Keep me."]


async def test_second_session_update_is_rejected() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.update(voice="Ethan")
        await client.update(voice="Serena")
        await client.until("error")

    assert client.types() == ["session.created", "session.updated", "error"]
    error = client.events[-1]["error"]
    assert error["code"] == "invalid_value"
    assert error["message"] == SECOND_UPDATE
    assert emu.sessions[0].config["voice"] == "Ethan"


async def test_session_update_after_text_is_rejected() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.append("Started")
        await client.update(voice="Ethan")
        await client.until("error")

    assert client.events[-1]["error"]["message"] == SECOND_UPDATE


async def test_update_sent_before_reading_session_created() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.update(voice="Serena", mode="commit")
        await client.append("Early bird.")
        await client.send("input_text_buffer.commit")
        await client.send("session.finish")
        await client.drain()

    assert client.types()[:3] == [
        "session.created",
        "session.updated",
        "input_text_buffer.committed",
    ]
    assert client.events[1]["session"]["voice"] == "Serena"
    assert client.audio() == render_pcm("Early bird.", voice="Serena")


async def test_defaults_apply_without_session_update() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.append("Default settings.")
        await client.send("session.finish")
        await client.drain()

    assert "session.updated" not in client.types()
    assert client.audio() == render_pcm("Default settings.")
    assert emu.sessions[0].config["voice"] == "Cherry"


async def test_session_updated_echoes_applied_settings() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.update(voice="Eldric Sage", sample_rate=16000, speech_rate=1.5, volume=80)
        event = (await client.until("session.updated"))[-1]

    session = event["session"]
    assert session["voice"] == "Eldric Sage"
    assert session["sample_rate"] == 16000
    assert session["speech_rate"] == 1.5
    assert session["volume"] == 80
    assert session["mode"] == "server_commit"
    assert emu.sessions[0].config == {k: v for k, v in session.items() if k not in ("id", "object")}


async def test_settings_shape_the_audio() -> None:
    settings: dict[str, Any] = {
        "sample_rate": 16000,
        "speech_rate": 1.5,
        "volume": 80,
        "pitch_rate": 1.2,
    }
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.update(voice="Serena", mode="commit", **settings)
        await client.append("Shaped audio.")
        await client.send("input_text_buffer.commit")
        await client.send("session.finish")
        await client.drain()

    assert client.audio() == render_pcm("Shaped audio.", voice="Serena", **settings)


async def test_unknown_voice_is_rejected() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.update(voice="Nobody")
        await client.until("error")

    error = client.events[-1]["error"]
    assert error["code"] == "invalid_value"
    assert error["param"] == "session.voice"
    assert "Nobody" in error["message"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sample_rate", 11025),
        ("speech_rate", 2.5),
        ("speech_rate", 0.4),
        ("volume", 101),
        ("volume", 50.5),
        ("pitch_rate", 0.2),
        ("bit_rate", 5),
        ("response_format", "flac"),
        ("language_type", "en"),
        ("mode", "auto"),
    ],
)
async def test_out_of_range_setting_is_rejected(field: str, value: object) -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.update(**{field: value})
        await client.until("error")

    error = client.events[-1]["error"]
    assert error["code"] == "invalid_value"
    assert error["param"] == f"session.{field}"


async def test_legacy_model_accepts_only_24k_pcm() -> None:
    async with Emulator(Scenario()) as emu, connect(emu, model="qwen-tts-realtime") as client:
        await client.update(sample_rate=16000)
        await client.until("error")

    assert client.events[-1]["error"]["param"] == "session.sample_rate"


async def test_instructions_need_an_instruct_model() -> None:
    instructions = "Speak slowly and warmly."
    async with Emulator(Scenario()) as emu:
        async with connect(emu, model="qwen3-tts-instruct-flash-realtime") as client:
            await client.update(instructions=instructions, optimize_instructions=True)
            instruct = (await client.until("session.updated"))[-1]["session"]
        async with connect(emu) as client:
            await client.update(instructions=instructions)
            flash = (await client.until("session.updated"))[-1]["session"]

    assert instruct["instructions"] == instructions
    assert instruct["optimize_instructions"] is True
    assert "instructions" not in flash


async def test_voice_cloning_model_takes_custom_voice_ids() -> None:
    async with Emulator(Scenario()) as emu:
        voice = emu.voices.add("myvoice", "vc")
        async with connect(emu, model="qwen3-tts-vc-realtime-2026-01-15") as client:
            await client.update(voice=voice)
            accepted = (await client.until("session.updated"))[-1]
        async with connect(emu, model="qwen3-tts-vc-realtime-2026-01-15") as client:
            await client.update(voice="Cherry")
            rejected = (await client.until("error"))[-1]

    assert accepted["session"]["voice"] == voice
    assert rejected["error"]["param"] == "session.voice"


async def test_unknown_model_closes_after_session_created() -> None:
    async with Emulator(Scenario()) as emu, connect(emu, model="qwen-nonexistent") as client:
        await client.update(voice="Cherry")
        await client.append("Hello.")
        await client.drain()
        await emu.wait_idle()

    assert client.types() == ["session.created"]
    assert client.events[0]["session"]["model"] == "qwen-nonexistent"
    assert emu.sessions[0].segments == []
    assert emu.open_connections == 0


async def test_unknown_event_type_is_an_error() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.send("response.create")
        await client.until("error")

    assert client.events[-1]["error"]["code"] == "invalid_value"


@pytest.mark.parametrize("size", [4801, 4799, 7])
async def test_odd_delta_sizes_reassemble(size: int) -> None:
    async with Emulator(Scenario(delta_bytes=size)) as emu, connect(emu) as client:
        await client.append("Odd sizes.")
        await client.send("session.finish")
        await client.drain()

    sizes = [
        len(base64.b64decode(e["delta"]))
        for e in client.events
        if e["type"] == "response.audio.delta"
    ]
    assert len(sizes) > 1
    assert set(sizes[:-1]) == {size}
    assert 0 < sizes[-1] <= size
    assert client.audio() == render_pcm("Odd sizes.")


async def test_wav_format_adds_a_header_per_response() -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.update(response_format="wav", mode="commit")
        await client.append("Wave.")
        await client.send("input_text_buffer.commit")
        await client.send("session.finish")
        await client.drain()

    audio = client.audio()
    pcm = render_pcm("Wave.")
    assert audio[:4] == b"RIFF"
    assert audio[8:12] == b"WAVE"
    assert audio[44:] == pcm
    assert emu.sessions[0].pcm == pcm


async def test_session_record_keeps_headers_and_events() -> None:
    async with (
        Emulator(Scenario()) as emu,
        connect(emu, **{"X-DashScope-WorkSpace": "ws-1"}) as client,
    ):
        await client.update(voice="Ethan")
        await client.append("Recorded.")
        await client.send("session.finish")
        await client.drain()
        await emu.wait_idle()

    record = emu.sessions[0]
    assert record.model == MODEL
    assert record.headers["Authorization"] == f"Bearer {KEY}"
    assert record.header("x-dashscope-workspace") == "ws-1"
    assert record.received_types() == [
        "session.update",
        "input_text_buffer.append",
        "session.finish",
    ]
    assert record.received[1].payload["text"] == "Recorded."
    assert record.received[0].at <= record.received[1].at <= record.received[2].at
    assert record.sent[0] == "session.created"
    assert record.sent[-1] == "session.finished"
    assert record.closed_at is not None
    assert emu.connections_total == 1


async def test_client_close_is_detected() -> None:
    async with Emulator(Scenario(realtime_factor=1.0)) as emu:
        async with connect(emu) as client:
            await client.append("A long sentence that takes a while to speak.\n")
            await client.until("response.audio.delta")
        await emu.wait_idle(timeout=1.0)

    record = emu.sessions[0]
    assert record.closed_by_client is True
    assert "response.done" not in record.sent
    assert emu.open_connections == 0


async def test_appends_are_read_while_audio_streams() -> None:
    async with Emulator(Scenario(realtime_factor=0.5)) as emu, connect(emu) as client:
        await client.append("This first sentence plays for a couple of seconds.\n")
        await client.until("response.audio.delta")
        await client.append("Second.")
        await client.until("response.done")
        first_done_at = client.arrivals[-1]
        await client.send("session.finish")
        await client.drain()

    second_append = emu.sessions[0].received[1]
    assert second_append.payload["text"] == "Second."
    assert second_append.at < first_done_at


async def test_pacing_is_roughly_honoured() -> None:
    scenario = Scenario(first_audio_delay=0.2, realtime_factor=0.25)
    async with Emulator(scenario) as emu, connect(emu) as client:
        await client.update(mode="commit")
        await client.until("session.updated")
        await client.append("Pacing test sentence.")
        await client.send("input_text_buffer.commit")
        await client.until("response.audio.delta")
        first_delta_at = client.arrivals[-1]
        await client.until("response.done")
        done_at = client.arrivals[-1]

    commit_at = emu.sessions[0].received[-1].at
    audio_seconds = len(render_pcm("Pacing test sentence.")) / 48000
    assert first_delta_at - commit_at >= 0.15
    assert done_at - first_delta_at >= 0.5 * audio_seconds * 0.25


async def test_stop_closes_open_sockets() -> None:
    emu = Emulator(Scenario())
    await emu.start()
    async with connect(emu) as client:
        await client.until("session.created")
        assert emu.open_connections == 1
        stopping = asyncio.create_task(emu.stop())
        assert await client.next() == {"type": CLOSED}
        await stopping

    assert client.ws.close_code == 1001
    assert emu.open_connections == 0
    assert emu.sessions[0].closed_by_client is False


async def test_streamed_text_is_segmented_like_whole_text() -> None:
    text = "Pi is 3.14 today. Visit example.com now!Then stop; 你好。Bye"
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        for char in text:
            await client.append(char)
        await client.send("session.finish")
        await client.drain()

    assert emu.sessions[0].segments == [
        "Pi is 3.14 today.",
        "Visit example.com now!",
        "Then stop;",
        "你好。",
        "Bye",
    ]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
@pytest.mark.parametrize(("fmt", "magic"), [("mp3", (b"ID3", b"\xff")), ("opus", (b"OggS",))])
async def test_compressed_formats_are_encoded(fmt: str, magic: tuple[bytes, ...]) -> None:
    async with Emulator(Scenario()) as emu, connect(emu) as client:
        await client.update(response_format=fmt, bit_rate=32)
        await client.append("Compressed.")
        await client.send("session.finish")
        await client.drain()

    audio = client.audio()
    assert audio.startswith(magic)
    assert emu.sessions[0].audio == audio
    assert emu.sessions[0].pcm == b""
