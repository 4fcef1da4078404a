"""The catalogue of models, voices and languages (data the client validates against)."""

from __future__ import annotations

import pytest

from custom_components.qwen_tts_realtime.realtime import (
    DEFAULT_MODEL,
    SELECTABLE_MODELS,
    language_type,
    model_info,
    voices_for,
)
from custom_components.qwen_tts_realtime.realtime.catalog import MODELS, VOICES


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


def test_the_documented_rates_are_offered_and_the_sdks_two_more_are_accepted() -> None:
    model = MODELS[DEFAULT_MODEL]

    assert model.sample_rates == (8000, 16000, 24000, 48000)  # what a profile offers
    assert model.undocumented_sample_rates == (22050, 44100)
    assert model.accepted_sample_rates == (8000, 16000, 22050, 24000, 44100, 48000)


def test_the_legacy_model_takes_its_one_rate_only() -> None:
    assert MODELS["qwen-tts-realtime"].accepted_sample_rates == (24000,)


def test_retired_models_are_not_selectable() -> None:
    assert all(model.retired_on is None for model in SELECTABLE_MODELS)
    assert MODELS["qwen-tts-realtime"] not in SELECTABLE_MODELS


@pytest.mark.parametrize("language", ["zh-CN", "en", "fr"])
def test_every_voice_is_listed_in_every_language_of_the_model(language: str) -> None:
    model = MODELS[DEFAULT_MODEL]

    voices = [voice.voice_id for voice in voices_for(model, language)]

    assert voices == list(model.voices)
    assert len(voices) == 48
    assert {"Jada", "Sunny", "Cherry"} <= set(voices)


def test_no_voices_for_a_language_the_model_lacks() -> None:
    assert voices_for(MODELS["qwen-tts-realtime"], "de") == []


@pytest.mark.parametrize(
    ("language", "jada"),
    [
        ("en", "Jada (Shanghainese) – A lively woman from Shanghai."),
        ("de", "Jada (Shanghainese) – A lively woman from Shanghai."),
        ("zh-Hans", "Jada（上海话）：来自上海的爽利女声。"),
    ],
)
def test_voice_labels_follow_the_language(language: str, jada: str) -> None:
    assert VOICES["Jada"].label(language) == jada
    assert VOICES["Momo"].label(language) == "Momo"


def test_every_described_voice_has_a_chinese_label() -> None:
    for voice in VOICES.values():
        if voice.description:
            assert voice.description.zh
            assert voice.label("zh-Hans") != voice.label("en")
