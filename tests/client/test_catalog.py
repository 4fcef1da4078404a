"""The catalogue of models, voices and languages (data the client validates against)."""

from __future__ import annotations

import unicodedata

import pytest

from custom_components.qwen_tts_realtime.realtime import (
    DEFAULT_MODEL,
    SELECTABLE_MODELS,
    language_type,
    model_info,
    voices_for,
)
from custom_components.qwen_tts_realtime.realtime.catalog import (
    LABEL_LANGUAGES,
    LABEL_MAX_COLUMNS,
    MODELS,
    VOICES,
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
    ("languages", "jada"),
    [
        (("en",), "Jada (Shanghainese)"),
        (("de",), "Jada (Shanghainese)"),
        (("zh-Hans",), "Jada（上海话）"),
        (("fr", "zh-Hans"), "Jada（上海话）"),  # no French labels: the next language asked
        (("en", "zh-Hans"), "Jada (Shanghainese)"),
    ],
)
def test_voice_labels_follow_the_first_language_they_come_in(
    languages: tuple[str, ...], jada: str
) -> None:
    assert VOICES["Jada"].label(*languages) == jada
    assert VOICES["Momo"].label(*languages) == "Momo"  # the vendor's guide says nothing of it


@pytest.mark.parametrize(
    ("language", "cherry", "rocky"),
    [
        ("en", "Cherry (cheerful woman)", "Rocky (Cantonese)"),
        ("zh-Hans", "Cherry（阳光女声）", "Rocky（粤语）"),
    ],
)
def test_labels_are_a_name_and_a_tag(language: str, cherry: str, rocky: str) -> None:
    assert VOICES["Cherry"].label(language) == cherry
    assert VOICES["Rocky"].label(language) == rocky  # a dialect voice's tag is its dialect


def test_every_voice_of_every_model_is_described_in_english_and_chinese() -> None:
    for model in MODELS.values():
        for voice in voices_for(model, model.languages[0]):
            assert voice.description, voice.voice_id
            assert voice.description.en.isascii(), voice.voice_id
            assert not voice.description.zh.isascii(), voice.voice_id


def test_every_label_fits_the_media_panels_voice_field() -> None:
    def columns(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    for voice in VOICES.values():
        for language in LABEL_LANGUAGES:
            assert columns(voice.label(language)) <= LABEL_MAX_COLUMNS, voice.label(language)


def test_every_tagged_voice_has_a_chinese_label() -> None:
    for voice in VOICES.values():
        if voice.tag or voice.dialect:
            assert voice.label("zh-Hans") != voice.label("en")
