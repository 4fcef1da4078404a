"""Models, voices and languages of the service: data only, so a vendor change is a one-line edit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

# The service's `language_type` values keyed by Home Assistant language code.
LANGUAGE_TYPES: Final[dict[str, str]] = {
    "zh": "Chinese",
    "en": "English",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
    "es": "Spanish",
    "ja": "Japanese",
    "ko": "Korean",
    "fr": "French",
    "ru": "Russian",
}
AUTO_LANGUAGE_TYPE: Final = "Auto"
ALL_LANGUAGES: Final = tuple(LANGUAGE_TYPES)


@dataclass(frozen=True, slots=True)
class VoiceInfo:
    """A system voice. `dialect` is set for the Chinese dialect voices."""

    voice_id: str
    description: str = ""
    dialect: str | None = None

    @property
    def label(self) -> str:
        """Return how the voice is shown to users: name, dialect and description."""
        name = f"{self.voice_id} ({self.dialect})" if self.dialect else self.voice_id
        return f"{name} – {self.description}" if self.description else name


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What a model accepts; fields it does not support are never sent to it."""

    name: str
    voices: tuple[str, ...]
    languages: tuple[str, ...] = ALL_LANGUAGES
    instructions: bool = False
    prosody: bool = True  # speech_rate, volume and pitch_rate
    formats: tuple[str, ...] = ("pcm", "wav", "mp3", "opus")
    sample_rates: tuple[int, ...] = (8000, 16000, 24000, 48000)
    custom_voices_only: bool = False  # voice cloning / voice design models
    retired_on: date | None = None
    replacement: str | None = None


_D = VoiceInfo
VOICES: Final[dict[str, VoiceInfo]] = {
    v.voice_id: v
    for v in (
        _D("Cherry", "A cheerful, friendly and natural young woman's voice."),
        _D("Ethan", "Standard Mandarin with a slight northern accent; bright, warm, energetic."),
        _D("Nofish", "A designer who does not use retroflex consonants."),
        _D("Jennifer", "A premium, cinematic American English female voice."),
        _D("Ryan", "A rhythmic, dramatic voice with realism and tension."),
        _D("Katerina", "A mature and rhythmic female voice."),
        _D("Elias", "Explains complex topics with academic rigor and clear storytelling."),
        _D("Jada", "A lively woman from Shanghai.", "Shanghainese"),
        _D("Dylan", "A teenager who grew up in the hutongs of Beijing.", "Beijing dialect"),
        _D("Sunny", "A sweet female voice from Sichuan.", "Sichuanese"),
        _D("Li", "A patient yoga teacher.", "Nanjing dialect"),
        _D("Marcus", "A sincere and deep voice from Shaanxi.", "Shaanxi dialect"),
        _D("Roy", "A humorous and lively young male voice with a Minnan accent.", "Min Nan"),
        _D("Peter", "A voice for the straight man in Tianjin crosstalk.", "Tianjin dialect"),
        _D("Rocky", "A witty and humorous male voice for online chats.", "Cantonese"),
        _D("Kiki", "A sweet best friend from Hong Kong.", "Cantonese"),
        _D("Eric", "An unconventional and refined male voice from Chengdu, Sichuan.", "Sichuanese"),
        _D("Serena", "A kind young woman."),
        _D("Chelsie", "An anime-style virtual girlfriend voice."),
        *(
            _D(name)
            for name in (
                "Momo",
                "Vivian",
                "Moon",
                "Maia",
                "Kai",
                "Bella",
                "Aiden",
                "Eldric Sage",
                "Mia",
                "Mochi",
                "Bellona",
                "Vincent",
                "Bunny",
                "Neil",
                "Arthur",
                "Nini",
                "Seren",
                "Pip",
                "Stella",
                "Bodega",
                "Sonrisa",
                "Alek",
                "Dolce",
                "Sohee",
                "Ono Anna",
                "Lenn",
                "Emilien",
                "Andre",
                "Radio Gol",
            )
        ),
    )
}

_FLASH_2025_09: Final = (
    "Cherry", "Ethan", "Nofish", "Jennifer", "Ryan", "Katerina", "Elias", "Jada", "Dylan",
    "Sunny", "Li", "Marcus", "Roy", "Peter", "Rocky", "Kiki", "Eric",
)  # fmt: skip
_FLASH: Final = (
    *_FLASH_2025_09,
    "Serena",
    "Chelsie",
    *(v for v in VOICES if not VOICES[v].description),
)
_INSTRUCT: Final = (
    "Cherry", "Serena", "Ethan", "Chelsie", "Momo", "Vivian", "Moon", "Maia", "Kai", "Nofish",
    "Bella", "Eldric Sage", "Mia", "Mochi", "Bellona", "Vincent", "Bunny", "Neil", "Elias",
    "Arthur", "Nini", "Seren", "Pip", "Stella",
)  # fmt: skip
_LEGACY: Final = ("Cherry", "Serena", "Ethan", "Chelsie", "Dylan", "Jada", "Sunny")
_LEGACY_RETIRED: Final = date(2026, 10, 10)
DEFAULT_MODEL: Final = "qwen3-tts-flash-realtime"
DEFAULT_VOICE: Final = "Cherry"


def _legacy(name: str) -> ModelInfo:
    return ModelInfo(
        name, _LEGACY, languages=("zh", "en"), prosody=False, formats=("pcm",),
        sample_rates=(24000,), retired_on=_LEGACY_RETIRED, replacement=DEFAULT_MODEL,
    )  # fmt: skip


MODELS: Final[dict[str, ModelInfo]] = {
    m.name: m
    for m in (
        ModelInfo("qwen3-tts-flash-realtime", _FLASH),
        ModelInfo("qwen3-tts-flash-realtime-2025-11-27", _FLASH),
        ModelInfo("qwen3-tts-flash-realtime-2025-09-18", _FLASH_2025_09),
        ModelInfo("qwen3-tts-instruct-flash-realtime", _INSTRUCT, instructions=True),
        ModelInfo("qwen3-tts-instruct-flash-realtime-2026-01-22", _INSTRUCT, instructions=True),
        ModelInfo("qwen3-tts-vc-realtime-2026-01-15", (), custom_voices_only=True),
        ModelInfo("qwen3-tts-vd-realtime-2026-01-15", (), custom_voices_only=True),
        _legacy("qwen-tts-realtime"),
        _legacy("qwen-tts-realtime-latest"),
        _legacy("qwen-tts-realtime-2025-07-15"),
    )
}
SELECTABLE_MODELS: Final = tuple(m for m in MODELS.values() if m.retired_on is None)


def model_info(name: str) -> ModelInfo:
    """Return what is known of a model; an unknown name gets the current stable model's rules."""
    return MODELS.get(name) or ModelInfo(name, _FLASH)


def language_type(language: str | None) -> str:
    """Map a Home Assistant language code (``zh-HK``, ``en``) onto the service's language name."""
    if not language:
        return AUTO_LANGUAGE_TYPE
    return LANGUAGE_TYPES.get(language.split("-")[0].split("_")[0].lower(), AUTO_LANGUAGE_TYPE)


def voices_for(model: ModelInfo, language: str) -> list[VoiceInfo]:
    """Return the voices offered for a language: dialect voices are listed under Chinese only."""
    base = language.split("-", maxsplit=1)[0].lower()
    if base not in model.languages:
        return []
    return [
        VOICES.get(voice_id) or VoiceInfo(voice_id)
        for voice_id in model.voices
        if base == "zh" or VOICES.get(voice_id, VoiceInfo(voice_id)).dialect is None
    ]
