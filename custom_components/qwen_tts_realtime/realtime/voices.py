"""The voice customisation API: design and clone voices, list and delete them.

The client (`VoicesClient`) and what the service's JSON answers mean (`CustomVoice` and the
parsers below): every malformed answer is a `VoiceApiResponseError`, every error answer the typed
error it names. Plain HTTPS with the entry's key, one request per call and no automatic retry:
every create is billed by the vendor, so a failure is reported, never repeated behind the user's
back.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
import json
import re
from typing import Any, Final, TypeIs

import aiohttp

from .catalog import LANGUAGE_TYPES, VoiceKind, kind_of_model
from .endpoints import customization_url, request_headers
from .errors import (
    BadAudioError,
    ConnectError,
    RealtimeError,
    ResponseTimeoutError,
    TimeoutStage,
    VoiceApiResponseError,
    error_from_voice_api,
    without_secret,
)
from .timing import MAX_LISTED_VOICES, MAX_RESPONSE_BYTES, MAX_VOICE_ID_CHARS, REQUEST_TIMEOUT

# The realtime models a new voice is made for (its id works on that model only).
TARGET_MODELS: Final[dict[VoiceKind, str]] = {
    "design": "qwen3-tts-vd-realtime-2026-01-15",
    "clone": "qwen3-tts-vc-realtime-2026-01-15",
}
_ID_PREFIXES: Final[dict[VoiceKind, str]] = {"design": "qwen-tts-vd-", "clone": "qwen-tts-vc-"}
# What the service's voice ids (prefix, preferred name, time, random tail) and model names are
# made of: nothing that means something in markdown, HTML or a log line.
_ID_CHARACTERS: Final = re.compile(r"[A-Za-z0-9_.-]+")
PREVIEW_SAMPLE_RATE: Final = 24000
PREVIEW_FORMAT: Final = "wav"
SERVICE_MODELS: Final[dict[VoiceKind, str]] = {
    "design": "qwen-voice-design",
    "clone": "qwen-voice-enrollment",
}
NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9_]{1,16}")  # the service's preferred_name rule
MAX_DESCRIPTION_CHARS: Final = 2048  # voice_prompt
MAX_PREVIEW_TEXT_CHARS: Final = 1024  # preview_text
# The service refuses audio of 10 MB or more once base64-encoded in the request.
MAX_AUDIO_REQUEST_BYTES: Final = 10_000_000
LIST_PAGE_SIZE: Final = 100
# Pages that hold MAX_LISTED_VOICES; a longer list is cut, not followed.
MAX_LIST_PAGES: Final = -(-MAX_LISTED_VOICES // LIST_PAGE_SIZE)


@dataclass(frozen=True, slots=True)
class CustomVoice:
    """A designed or cloned voice of the account."""

    voice_id: str
    kind: VoiceKind
    target_model: str
    created: datetime | None = None
    language: str | None = None  # one of the catalogue's, when the service names one

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


def _audio_data_url(audio: bytes, mime_type: str) -> str:
    """Return the recording as the data URL the service takes."""
    return f"data:{mime_type};base64,{base64.b64encode(audio).decode('ascii')}"


class VoicesClient:
    """Talks to the customisation API beside one realtime endpoint, with one key."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        endpoint: str,
        *,
        timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self._session = session
        self._url = customization_url(endpoint)  # raises VoiceApiUnavailableError
        self._headers = request_headers(api_key, endpoint)
        self._api_key = api_key  # to keep out of the texts an error answer echoes
        self._timeout = timeout

    async def design(
        self, name: str, description: str, preview_text: str, language: str
    ) -> DesignedVoice:
        """Create a voice from a description; billed. The preview comes with the answer."""
        output = await self._call(
            "design",
            {
                "action": "create",
                "target_model": TARGET_MODELS["design"],
                "preferred_name": name,
                "voice_prompt": description,
                "preview_text": preview_text,
                "language": language,
            },
            parameters={"sample_rate": PREVIEW_SAMPLE_RATE, "response_format": PREVIEW_FORMAT},
        )
        return _designed_voice(output, language)

    async def clone(
        self,
        name: str,
        audio: bytes,
        mime_type: str,
        *,
        language: str | None = None,
        transcript: str | None = None,
    ) -> ClonedVoice:
        """Create a voice from a recording; billed."""
        data_url = _audio_data_url(audio, mime_type)
        if len(data_url) >= MAX_AUDIO_REQUEST_BYTES:
            raise BadAudioError(
                "TooLarge", "the recording is too large", status=0, problem="too_large"
            )
        request: dict[str, Any] = {
            "action": "create",
            "target_model": TARGET_MODELS["clone"],
            "preferred_name": name,
            "audio": {"data": data_url},
        }
        if language:
            request["language"] = language
        if transcript:
            request["text"] = transcript
        output = await self._call("clone", request)
        reason = output.get("fallback_reason")
        return ClonedVoice(
            _created_voice(output, "clone", language),
            fallback_mode=output.get("fallback_mode") is True,
            fallback_reason=str(reason) if reason else None,
        )

    async def list_voices(self, kind: VoiceKind) -> list[CustomVoice]:
        """Return the account's voices of one kind, newest first as the service orders them.

        Only voices made for a model of that kind, each once; at most `LIST_PAGE_SIZE` of a page
        (a service that pages longer than asked gets no more) and `MAX_LISTED_VOICES` in all.
        """
        voices: dict[str, CustomVoice] = {}
        for page in range(MAX_LIST_PAGES):
            output = await self._call(
                kind, {"action": "list", "page_index": page, "page_size": LIST_PAGE_SIZE}
            )
            items = output.get("voice_list")
            if not isinstance(items, list):
                raise VoiceApiResponseError("the voice list is missing")
            for item in items[:LIST_PAGE_SIZE]:
                if (voice := _listed_voice(item, kind)) is not None:
                    voices.setdefault(voice.voice_id, voice)
            total = output.get("total_count")
            if len(items) < LIST_PAGE_SIZE or (isinstance(total, int) and len(voices) >= total):
                break
        return list(voices.values())[:MAX_LISTED_VOICES]

    async def delete(self, voice_id: str) -> None:
        """Delete a voice from the account."""
        kind = kind_of_voice(voice_id)
        if kind is None:
            raise ValueError("not the id of a designed or cloned voice")
        await self._call(kind, {"action": "delete", "voice": voice_id})

    async def _call(
        self, kind: VoiceKind, request: dict[str, Any], *, parameters: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Send one request and return its `output`; every failure is a typed error.

        Errors are built outside the `except` blocks so that no exception chain carries the
        request (and its Authorization header) along.
        """
        body: dict[str, Any] = {"model": SERVICE_MODELS[kind], "input": request}
        if parameters:
            body["parameters"] = parameters
        failure: RealtimeError | None = None
        status, raw = 0, b""
        try:
            async with (
                asyncio.timeout(self._timeout),
                self._session.post(
                    self._url, json=body, headers=self._headers, allow_redirects=False
                ) as response,
            ):
                status = response.status
                failure = _refused_unread(response)
                if failure is None:
                    raw = await _read_bounded(response.content)
        except TimeoutError:
            failure = ResponseTimeoutError(TimeoutStage.VOICE_REQUEST, self._timeout)
        except aiohttp.ClientError as err:
            failure = ConnectError(f"cannot reach the voice service: {type(err).__name__}")
        if failure is not None:
            raise failure
        if len(raw) > MAX_RESPONSE_BYTES:
            raise _too_large()
        return _answer_output(status, raw, self._api_key)


def _refused_unread(response: aiohttp.ClientResponse) -> RealtimeError | None:
    """Return why an answer is refused before its body is read, if it is.

    A redirect is never followed: it would send the request (a voice description, a recording)
    to another address, and a 302 would turn it into a GET there.
    """
    if 300 <= response.status < 400:
        return VoiceApiResponseError(f"the service answered a redirect (HTTP {response.status})")
    if (response.content_length or 0) > MAX_RESPONSE_BYTES:
        return _too_large()
    return None


def _too_large() -> VoiceApiResponseError:
    return VoiceApiResponseError(f"the answer is larger than {MAX_RESPONSE_BYTES} bytes")


async def _read_bounded(content: aiohttp.StreamReader) -> bytes:
    """Read a body up to one byte past the bound (enough to tell that it is too large)."""
    raw = bytearray()
    while len(raw) <= MAX_RESPONSE_BYTES and (
        chunk := await content.read(MAX_RESPONSE_BYTES + 1 - len(raw))
    ):
        raw += chunk
    return bytes(raw)


def kind_of_voice(voice_id: str) -> VoiceKind | None:
    """Return whether an id is of a designed or a cloned voice (None: a system voice)."""
    return next((kind for kind, p in _ID_PREFIXES.items() if voice_id.startswith(p)), None)


def _answer_output(status: int, raw: bytes, api_key: str) -> dict[str, Any]:
    """Return the `output` of an answer's body, or raise the error the answer names.

    The error carries the answer's `code` and `message` with the key cut out: a service (or a
    proxy) that echoes the request's Authorization header would otherwise put it in every log
    and form that shows the error.
    """
    try:
        payload = json.loads(raw)
    except ValueError, RecursionError:  # deeply nested JSON is as unreadable as broken JSON
        payload = None
    if not isinstance(payload, dict):
        if status >= 400:
            raise error_from_voice_api(status, "", f"HTTP {status}")
        raise VoiceApiResponseError(f"the answer (HTTP {status}) is not a JSON object")
    if status >= 400 or ("code" in payload and "output" not in payload):
        code, message = (
            without_secret(str(payload.get(name) or ""), api_key) for name in ("code", "message")
        )
        raise error_from_voice_api(status, code, message)
    output = payload.get("output")
    if not isinstance(output, dict):
        raise VoiceApiResponseError("the answer has no output")
    return output


def _designed_voice(output: dict[str, Any], language: str) -> DesignedVoice:
    """Return the voice and preview a design answered."""
    voice = _created_voice(output, "design", language)
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
        PreviewAudio(data, str(preview.get("response_format") or PREVIEW_FORMAT)),
    )


def _created_voice(output: dict[str, Any], kind: VoiceKind, language: str | None) -> CustomVoice:
    """Return the voice a create answered."""
    voice, target = _voice_and_model(output, kind)
    if voice is None or target is None:
        raise VoiceApiResponseError("the service answered without a valid new voice id and model")
    return CustomVoice(voice, kind, target, created=datetime.now().astimezone(), language=language)


def _listed_voice(item: Any, kind: VoiceKind) -> CustomVoice | None:
    """Return a voice of a list answer; None for an item that is not a valid one of `kind`."""
    if not isinstance(item, dict):
        return None
    voice, target = _voice_and_model(item, kind)
    if voice is None or target is None:
        return None
    language = item.get("language")
    return CustomVoice(
        voice,
        kind,
        target,
        created=_timestamp(item.get("gmt_create")),
        language=language if isinstance(language, str) and language in LANGUAGE_TYPES else None,
    )


def _voice_and_model(answer: dict[str, Any], kind: VoiceKind) -> tuple[str | None, str | None]:
    """Return the voice id and target model of an answer, each None unless valid for `kind`.

    Both end up in a profile, a socket's URL and the flows' texts: an id is taken only in the
    service's alphabet and length, and for a model of its kind (one without a model is made for
    the current one).
    """
    voice, target = answer.get("voice"), answer.get("target_model") or TARGET_MODELS[kind]
    if not _is_service_id(voice) or kind_of_voice(voice) != kind or voice in _ID_PREFIXES.values():
        voice = None
    if not _is_service_id(target) or kind_of_model(target) != kind:
        target = None
    return voice, target


def _is_service_id(value: object) -> TypeIs[str]:
    return (
        isinstance(value, str)
        and len(value) <= MAX_VOICE_ID_CHARS
        and _ID_CHARACTERS.fullmatch(value) is not None
    )


def _timestamp(value: Any) -> datetime | None:
    """Parse the service's `gmt_create` ("2026-01-15 10:11:12"); None when absent or odd."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
