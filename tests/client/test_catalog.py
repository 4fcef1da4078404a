"""The catalogue of models, voices and languages (data the client validates against)."""

from __future__ import annotations

import pytest

from custom_components.qwen_tts_realtime.realtime import (
    DEFAULT_MODEL,
    MODELS,
    SELECTABLE_MODELS,
    VOICES,
    language_type,
    model_info,
    voices_for,
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-HK", "Chinese"),
        ("en", "English"),
        ("EN_us", "English"),
        ("pt-BR", "Portuguese"),
        ("nl", "Auto"),
        ("", "Auto"),
        (None, "Auto"),
    ],
)
def test_language_type(language: str | None, expected: str) -> None:
    assert language_type(language) == expected


def test_unknown_model_gets_the_stable_models_rules() -> None:
    info = model_info("qwen3-tts-flash-realtime-2099-01-01")

    assert info.name == "qwen3-tts-flash-realtime-2099-01-01"
    assert info.voices == MODELS[DEFAULT_MODEL].voices


def test_retired_models_are_not_selectable() -> None:
    assert all(model.retired_on is None for model in SELECTABLE_MODELS)
    assert MODELS["qwen-tts-realtime"] not in SELECTABLE_MODELS


def test_dialect_voices_are_listed_under_chinese_only() -> None:
    model = MODELS[DEFAULT_MODEL]

    chinese = {voice.voice_id for voice in voices_for(model, "zh-CN")}
    english = {voice.voice_id for voice in voices_for(model, "en")}

    assert {"Jada", "Sunny", "Cherry"} <= chinese
    assert "Cherry" in english
    assert "Jada" not in english
    assert len(chinese) == 48


def test_no_voices_for_a_language_the_model_lacks() -> None:
    assert voices_for(MODELS["qwen-tts-realtime"], "de") == []


def test_voice_labels() -> None:
    assert VOICES["Jada"].label == "Jada (Shanghainese) – A lively woman from Shanghai."
    assert VOICES["Momo"].label == "Momo"
