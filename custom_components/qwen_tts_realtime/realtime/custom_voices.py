"""Custom voices as the customisation API describes them: their kinds, ids and answers.

What the service's JSON answers mean, apart from how they are fetched (voices.py): every
malformed answer is a `VoiceApiResponseError`, every error answer the typed error it names.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
import json
from typing import Any, Final, Literal

from .errors import VoiceApiResponseError, error_from_voice_api

type VoiceKind = Literal["design", "clone"]

# The realtime models a new voice is made for (its id works on that model only).
TARGET_MODELS: Final[dict[VoiceKind, str]] = {
    "design": "qwen3-tts-vd-realtime-2026-01-15",
    "clone": "qwen3-tts-vc-realtime-2026-01-15",
}
_ID_PREFIXES: Final[dict[VoiceKind, str]] = {"design": "qwen-tts-vd-", "clone": "qwen-tts-vc-"}
_MODEL_MARKERS: Final[dict[VoiceKind, str]] = {"design": "-vd-", "clone": "-vc-"}
PREVIEW_SAMPLE_RATE: Final = 24000
PREVIEW_FORMAT: Final = "wav"


@dataclass(frozen=True, slots=True)
class CustomVoice:
    """A designed or cloned voice of the account."""

    voice_id: str
    kind: VoiceKind
    target_model: str
    created: datetime | None = None
    language: str | None = None
    description: str | None = None  # the design prompt

    @property
    def name(self) -> str:
        """Return the preferred name embedded in the id (the id itself when it has none)."""
        rest = self.voice_id.removeprefix(_ID_PREFIXES[self.kind])
        name, separator, _ = rest.rpartition("-voice-")
        return name if separator and name else self.voice_id


@dataclass(frozen=True, slots=True)
class PreviewAudio:
    """The spoken preview the service returns with a designed voice."""

    data: bytes
    sample_rate: int
    response_format: str


@dataclass(frozen=True, slots=True)
class DesignedVoice:
    """A newly designed voice and its preview."""

    voice: CustomVoice
    preview: PreviewAudio


@dataclass(frozen=True, slots=True)
class ClonedVoice:
    """A newly cloned voice; `fallback_reason` is set when it was made in a degraded mode."""

    voice: CustomVoice
    fallback_mode: bool = False
    fallback_reason: str | None = None


def kind_of_voice(voice_id: str) -> VoiceKind | None:
    """Return whether an id is of a designed or a cloned voice (None: a system voice)."""
    return next((kind for kind, p in _ID_PREFIXES.items() if voice_id.startswith(p)), None)


def kind_of_model(model: str) -> VoiceKind | None:
    """Return which kind of custom voice a realtime model speaks with (None: system voices)."""
    return next((kind for kind, m in _MODEL_MARKERS.items() if m in model), None)


def answer_output(status: int, raw: bytes) -> dict[str, Any]:
    """Return the `output` of an answer's body, or raise the error the answer names."""
    try:
        payload = json.loads(raw)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        if status >= 400:
            raise error_from_voice_api(status, "", f"HTTP {status}")
        raise VoiceApiResponseError(f"the answer (HTTP {status}) is not a JSON object")
    if status >= 400 or ("code" in payload and "output" not in payload):
        raise error_from_voice_api(
            status, str(payload.get("code") or ""), str(payload.get("message") or "")
        )
    output = payload.get("output")
    if not isinstance(output, dict):
        raise VoiceApiResponseError("the answer has no output")
    return output


def designed_voice(output: dict[str, Any], language: str) -> DesignedVoice:
    """Return the voice and preview a design answered."""
    voice = created_voice(output, "design", language)
    preview = output.get("preview_audio")
    if not isinstance(preview, dict) or not isinstance(preview.get("data"), str):
        raise VoiceApiResponseError("the designed voice came without its preview audio")
    try:
        data = base64.b64decode(preview["data"], validate=True)
    except binascii.Error, ValueError:
        data = b""
    if not data:
        raise VoiceApiResponseError("the preview audio is empty or not base64")
    return DesignedVoice(
        voice,
        PreviewAudio(
            data,
            _int(preview.get("sample_rate"), PREVIEW_SAMPLE_RATE),
            str(preview.get("response_format") or PREVIEW_FORMAT),
        ),
    )


def created_voice(output: dict[str, Any], kind: VoiceKind, language: str | None) -> CustomVoice:
    """Return the voice a create answered."""
    voice = output.get("voice")
    if not isinstance(voice, str) or kind_of_voice(voice) != kind:
        raise VoiceApiResponseError("the service answered without a new voice id")
    target = output.get("target_model")
    return CustomVoice(
        voice,
        kind,
        target if isinstance(target, str) and target else TARGET_MODELS[kind],
        created=datetime.now().astimezone(),
        language=language,
    )


def listed_voice(item: Any, kind: VoiceKind) -> CustomVoice | None:
    """Return a voice of a list or query answer; None for an item that is not one of `kind`."""
    if not isinstance(item, dict) or not isinstance(item.get("voice"), str):
        return None
    if kind_of_voice(item["voice"]) != kind:
        return None
    target = item.get("target_model")
    language = item.get("language")
    prompt = item.get("voice_prompt")
    return CustomVoice(
        item["voice"],
        kind,
        target if isinstance(target, str) and target else TARGET_MODELS[kind],
        created=_timestamp(item.get("gmt_create")),
        language=language if isinstance(language, str) and language else None,
        description=prompt if isinstance(prompt, str) and prompt else None,
    )


def _timestamp(value: Any) -> datetime | None:
    """Parse the service's `gmt_create` ("2026-01-15 10:11:12"); None when absent or odd."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
