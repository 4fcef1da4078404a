"""Models, voices and languages of the service: data only, so a vendor change is a one-line edit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final, Literal

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


# The languages voice labels and descriptions come in; any other language gets English.
LABEL_LANGUAGES: Final = ("en", "zh")
# The widest voice label, in columns (a Chinese character takes two): Home Assistant's Media panel
# puts the voice field beside the language field in a card 448 px wide, about 24 columns each.
LABEL_MAX_COLUMNS: Final = 24


def label_language(*languages: str) -> str:
    """Return the first of `languages` (Home Assistant codes, most wanted first) labels come in.

    ``label_language("fr", "zh-Hans")`` is ``"zh"``: a voice list asked for in French, in a Home
    Assistant whose language is Chinese, is labelled in Chinese. English when none matches.
    """
    for language in languages:
        base = language.replace("_", "-").split("-", maxsplit=1)[0].lower()
        if base in LABEL_LANGUAGES:
            return base
    return "en"


@dataclass(frozen=True, slots=True)
class Text:
    """A text in each language the voice labels come in: English, and Chinese for zh-*."""

    en: str
    zh: str

    def in_language(self, *languages: str) -> str:
        """Return the text for the first of `languages` it comes in (see `label_language`)."""
        return self.zh if label_language(*languages) == "zh" else self.en


@dataclass(frozen=True, slots=True)
class VoiceInfo:
    """A system voice: the vendor's description, its dialect, and a short tag for pickers.

    Pickers show the name and one tag: the dialect of a dialect voice, otherwise `tag` (a few words
    of the description). Neither exists where nothing is known (a typed or custom voice id, or a
    voice the vendor's guide does not describe): then the name alone.
    """

    voice_id: str
    description: Text | None = None
    dialect: Text | None = None
    tag: Text | None = None

    def label(self, *languages: str) -> str:
        """Return how pickers show the voice: its name and tag, in the first of `languages`."""
        text = self.dialect or self.tag
        if text is None:
            return self.voice_id
        tag = text.in_language(*languages)
        if label_language(*languages) == "zh":
            return f"{self.voice_id}（{tag}）"
        return f"{self.voice_id} ({tag})"


class Format(StrEnum):
    """The audio formats of the protocol's `response_format`."""

    PCM = "pcm"
    WAV = "wav"
    MP3 = "mp3"
    OPUS = "opus"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What a model accepts; fields it does not support are never sent to it.

    `sample_rates` are the documented rates, the ones a profile offers.
    `undocumented_sample_rates` are rates the vendor's SDK lists in its docstring but the
    documentation does not: asked for only when a consumer wants exactly that rate (a player
    that would otherwise resample), never offered as a profile's setting.
    """

    name: str
    voices: tuple[str, ...]
    languages: tuple[str, ...] = ALL_LANGUAGES
    instructions: bool = False
    prosody: bool = True  # speech_rate, volume and pitch_rate
    formats: tuple[Format, ...] = tuple(Format)
    sample_rates: tuple[int, ...] = (8000, 16000, 24000, 48000)
    undocumented_sample_rates: tuple[int, ...] = (22050, 44100)
    custom_voices_only: bool = False  # voice cloning / voice design models
    retired_on: date | None = None
    replacement: str | None = None

    @property
    def accepted_sample_rates(self) -> tuple[int, ...]:
        """Return every rate the model takes, documented or not, in ascending order."""
        return tuple(sorted({*self.sample_rates, *self.undocumented_sample_rates}))


_T = Text
SHANGHAINESE: Final = _T("Shanghainese", "上海话")
BEIJING: Final = _T("Beijing dialect", "北京话")
SICHUANESE: Final = _T("Sichuanese", "四川话")
NANJING: Final = _T("Nanjing dialect", "南京话")
SHAANXI: Final = _T("Shaanxi dialect", "陕西话")
MIN_NAN: Final = _T("Min Nan", "闽南语")
TIANJIN: Final = _T("Tianjin dialect", "天津话")
CANTONESE: Final = _T("Cantonese", "粤语")


def _D(voice_id: str, tag: Text | None, en: str, zh: str, dialect: Text | None = None) -> VoiceInfo:
    return VoiceInfo(voice_id, _T(en, zh), dialect, tag)


# Described by the vendor's guide (Serena and Chelsie in its table of the older qwen-tts-realtime).
# A dialect voice's tag is its dialect; the others' tags are a few words of the description.
_DESCRIBED: Final = (
    _D(
        "Cherry",
        _T("cheerful woman", "阳光女声"),
        "A cheerful, friendly and natural young woman's voice.",
        "阳光积极、亲切自然的年轻女声。",
    ),
    _D(
        "Ethan",
        _T("bright, warm", "阳光温暖"),
        "Standard Mandarin with a slight northern accent; bright, warm, energetic.",
        "标准普通话，略带北方口音；阳光、温暖、有活力。",
    ),
    _D(
        "Nofish",
        _T("no retroflex", "不会翘舌"),
        "A designer who does not use retroflex consonants.",
        "不会翘舌音的设计师。",
    ),
    _D(
        "Jennifer",
        _T("US English", "美式英语"),
        "A premium, cinematic American English female voice.",
        "品牌级、电影质感的美式英语女声。",
    ),
    _D(
        "Ryan",
        _T("dramatic", "戏剧张力"),
        "A rhythmic, dramatic voice with realism and tension.",
        "节奏感强、富有戏剧张力，真实而紧凑。",
    ),
    _D(
        "Katerina",
        _T("mature woman", "成熟女声"),
        "A mature and rhythmic female voice.",
        "成熟而富有韵律感的女声。",
    ),
    _D(
        "Elias",
        _T("explainer", "知识讲解"),
        "Explains complex topics with academic rigor and clear storytelling.",
        "以学术的严谨和清晰的叙事讲解复杂话题。",
    ),
    _D("Jada", None, "A lively woman from Shanghai.", "来自上海的爽利女声。", SHANGHAINESE),
    _D(
        "Dylan",
        None,
        "A teenager who grew up in the hutongs of Beijing.",
        "在北京胡同里长大的少年。",
        BEIJING,
    ),
    _D("Sunny", None, "A sweet female voice from Sichuan.", "来自四川的甜美女声。", SICHUANESE),
    _D("Li", None, "A patient yoga teacher.", "耐心的瑜伽老师。", NANJING),
    _D(
        "Marcus",
        None,
        "A sincere and deep voice from Shaanxi.",
        "来自陕西的真诚、浑厚的声音。",
        SHAANXI,
    ),
    _D(
        "Roy",
        None,
        "A humorous and lively young male voice with a Minnan accent.",
        "带闽南口音的幽默、活泼的年轻男声。",
        MIN_NAN,
    ),
    _D(
        "Peter",
        None,
        "A voice for the straight man in Tianjin crosstalk.",
        "天津相声里的捧哏。",
        TIANJIN,
    ),
    _D(
        "Rocky",
        None,
        "A witty and humorous male voice for online chats.",
        "适合网聊的风趣幽默男声。",
        CANTONESE,
    ),
    _D("Kiki", None, "A sweet best friend from Hong Kong.", "来自香港的甜美闺蜜。", CANTONESE),
    _D(
        "Eric",
        None,
        "An unconventional and refined male voice from Chengdu, Sichuan.",
        "来自四川成都、不拘一格又儒雅的男声。",
        SICHUANESE,
    ),
    _D("Serena", _T("kind woman", "温柔女声"), "A kind young woman.", "温柔的年轻女性。"),
    _D(
        "Chelsie",
        _T("anime-style", "二次元"),
        "An anime-style virtual girlfriend voice.",
        "二次元风格的虚拟女友音色。",
    ),
)
# Voices of the 2025-11-27 flash model that the vendor's guide does not describe: their description
# says only that, and they have no tag (nothing is invented).
_UNDESCRIBED: Final = (
    "Momo", "Vivian", "Moon", "Maia", "Kai", "Bella", "Aiden", "Eldric Sage", "Mia", "Mochi",
    "Bellona", "Vincent", "Bunny", "Neil", "Arthur", "Nini", "Seren", "Pip", "Stella", "Bodega",
    "Sonrisa", "Alek", "Dolce", "Sohee", "Ono Anna", "Lenn", "Emilien", "Andre", "Radio Gol",
)  # fmt: skip
_UNDESCRIBED_TEXT: Final = _T(
    "A voice added with the 2025-11-27 flash model; the vendor's guide does not describe it.",
    "随 2025-11-27 版 flash 模型新增的音色；厂商指南未对其作描述。",
)
VOICES: Final[dict[str, VoiceInfo]] = {
    v.voice_id: v
    for v in (*_DESCRIBED, *(VoiceInfo(name, _UNDESCRIBED_TEXT) for name in _UNDESCRIBED))
}

_FLASH_2025_09: Final = (
    "Cherry", "Ethan", "Nofish", "Jennifer", "Ryan", "Katerina", "Elias", "Jada", "Dylan",
    "Sunny", "Li", "Marcus", "Roy", "Peter", "Rocky", "Kiki", "Eric",
)  # fmt: skip
_FLASH: Final = (*_FLASH_2025_09, "Serena", "Chelsie", *_UNDESCRIBED)
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
        name, _LEGACY, languages=("zh", "en"), prosody=False, formats=(Format.PCM,),
        sample_rates=(24000,), undocumented_sample_rates=(), retired_on=_LEGACY_RETIRED,
        replacement=DEFAULT_MODEL,
    )  # fmt: skip


type VoiceKind = Literal["design", "clone"]
# What names a model of each custom-voice kind, whatever its snapshot date.
_MODEL_MARKERS: Final[dict[VoiceKind, str]] = {"design": "-vd-", "clone": "-vc-"}

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
    """Return what is known of a model; an unknown name gets the rules of its kind.

    An unknown snapshot of the cloning or design model (an account's voice may have been made for
    one) speaks only custom voices; any other unknown model, the current stable model's voices.
    """
    if (known := MODELS.get(name)) is not None:
        return known
    if kind_of_model(name) is not None:
        return ModelInfo(name, (), custom_voices_only=True)
    return ModelInfo(name, _FLASH)


def kind_of_model(model: str) -> VoiceKind | None:
    """Return which kind of custom voice a realtime model speaks with (None: system voices)."""
    return next((kind for kind, m in _MODEL_MARKERS.items() if m in model), None)


def language_type(language: str | None) -> str:
    """Map a Home Assistant language code (``zh-HK``, ``en``) onto the service's language name."""
    if not language:
        return AUTO_LANGUAGE_TYPE
    return LANGUAGE_TYPES.get(language.split("-")[0].split("_")[0].lower(), AUTO_LANGUAGE_TYPE)


def voices_for(model: ModelInfo, language: str) -> list[VoiceInfo]:
    """Return the model's voices for a language it speaks: every voice speaks all of them.

    Dialect voices are included too (their label names the dialect); a language the model does
    not speak has no voices.
    """
    base = language.split("-", maxsplit=1)[0].lower()
    if base not in model.languages:
        return []
    return [VOICES.get(voice_id) or VoiceInfo(voice_id) for voice_id in model.voices]
