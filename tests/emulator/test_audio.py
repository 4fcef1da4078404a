"""Deterministic audio, segmentation and billing helpers."""

from __future__ import annotations

import shutil

import pytest

from qwen_tts_emulator import Emulator, Scenario, billed_characters, render_pcm, split_segments

from .helpers import connect


def test_render_pcm_is_deterministic_s16le() -> None:
    first = render_pcm("Deterministic output.")
    assert first == render_pcm("Deterministic output.")
    assert len(first) % 2 == 0
    assert any(first)


@pytest.mark.parametrize(
    "change",
    [
        {"voice": "Ethan"},
        {"speech_rate": 1.01},
        {"volume": 51},
        {"pitch_rate": 1.01},
        {"sample_rate": 16000},
    ],
)
def test_every_setting_changes_the_audio(change: dict[str, object]) -> None:
    assert render_pcm("Same text.", **change) != render_pcm("Same text.")  # type: ignore[arg-type]


def test_faster_speech_is_shorter() -> None:
    assert len(render_pcm("Speed.", speech_rate=2.0)) < len(render_pcm("Speed."))


def test_long_text_renders_segment_by_segment() -> None:
    text = "A sentence of moderate length for the renderer. " * 2000
    segments = split_segments(text)
    assert len(segments) == 2000
    assert sum(len(render_pcm(segment)) for segment in segments) > 0


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("One. Two! Three? Four; five", ["One.", "Two!", "Three?", "Four;", "five"]),
        ("Line one\nLine two", ["Line one", "Line two"]),
        ("Pi is 3.14 today.", ["Pi is 3.14 today."]),
        ("See example.com now.", ["See example.com now."]),
        ("Glued.Together!Here", ["Glued.", "Together!", "Here"]),
        ("Wait... what?! Yes.", ["Wait...", "what?!", "Yes."]),
        ('He said "hi." Then left.', ['He said "hi."', "Then left."]),
        ("你好。今天好吗？我很好！好；走…", ["你好。", "今天好吗？", "我很好！", "好；", "走…"]),
        ("Mixed 中文。English.", ["Mixed 中文。", "English."]),
        ("   \n  ", []),
    ],
)
def test_split_segments(text: str, segments: list[str]) -> None:
    assert split_segments(text) == segments


@pytest.mark.parametrize(
    ("text", "count"),
    [("Hello, world!", 13), ("你好", 4), ("你好，world", 10), ("こんにちは", 5), ("", 0)],
)
def test_billed_characters(text: str, count: int) -> None:
    assert billed_characters(text) == count


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
async def test_espeak_engine_speaks() -> None:
    async with Emulator(Scenario(voice_engine="espeak")) as emu, connect(emu) as client:
        await client.update(sample_rate=16000)
        await client.append("Hello from espeak.")
        await client.send("session.finish")
        await client.drain()

    audio = client.audio()
    assert len(audio) > 16000
    assert audio != render_pcm("Hello from espeak.", sample_rate=16000)
    assert emu.sessions[0].pcm == audio
