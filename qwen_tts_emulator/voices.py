"""The emulated voice customisation API: design and clone voices, list, query and delete them."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from datetime import datetime
import json
import re
from typing import Any, Final, Literal
import uuid

from aiohttp import web

from .audio import encode, render_espeak, render_pcm
from .clone_audio import UndecodableAudio, decode_data_url, speech_seconds
from .scenario import ALL_FORMATS, ALL_SAMPLE_RATES, Scenario
from .voice_store import (
    TARGETS,
    VOICE_STORE,
    CannedReply,
    StoredVoice,
    VoiceRequest,
    VoiceStore,
    new_voice_id,
)

CUSTOMIZATION_PATH: Final = "/api/v1/services/audio/tts/customization"
MAX_REQUEST_BYTES: Final = 12 * 1024 * 1024  # a 10 MB data URL and the JSON around it
MIN_SAMPLE_RATE: Final = 24000
MAX_SECONDS: Final = 60.0
MIN_SPEECH_SECONDS: Final = 3.0
_CHUNK_BYTES: Final = 64 * 1024  # pieces of a chunked canned reply
_NAME: Final = re.compile(r"[A-Za-z0-9_]{1,16}")
_LANGUAGES: Final = {
    "zh": "Chinese", "en": "English", "de": "German", "it": "Italian", "pt": "Portuguese",
    "es": "Spanish", "ja": "Japanese", "ko": "Korean", "fr": "French", "ru": "Russian",
}  # fmt: skip
_MODELS: Final[dict[str, Literal["vd", "vc"]]] = {
    "qwen-voice-design": "vd",
    "qwen-voice-enrollment": "vc",
}


class VoiceApiError(Exception):
    """An HTTP error answer of the customisation API."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def add_voice_routes(
    app: web.Application, store: VoiceStore, scenario: Callable[[], Scenario]
) -> None:
    """Serve the customisation API on `app`; `scenario()` gives the accepted keys."""
    app[VOICE_STORE] = store

    async def handle(request: web.Request) -> web.StreamResponse:
        body: dict[str, Any] = {}
        model, action = "", ""
        try:
            _check_key(request, scenario())
            body = await _read_json(request)
            if store.replies:
                reply = store.replies.pop(0)
                store.requests.append(VoiceRequest(model, action, reply.status, body))
                return await _canned(request, reply)
            model, action = _model_and_action(body)
            if store.delay > 0:
                await asyncio.sleep(store.delay)
            output, usage = await _act(store, scenario(), _MODELS[model], action, body)
        except VoiceApiError as err:
            store.requests.append(VoiceRequest(model, action, err.status, body))
            error = {"code": err.code, "message": err.message, "request_id": str(uuid.uuid4())}
            return web.json_response(error, status=err.status)
        store.requests.append(VoiceRequest(model, action, 200, body))
        answer: dict[str, Any] = {"output": output, "request_id": str(uuid.uuid4())}
        if usage is not None:
            answer["usage"] = {"count": usage}
        return web.json_response(answer)

    app.router.add_post(CUSTOMIZATION_PATH, handle)


def _check_key(request: web.Request, scenario: Scenario) -> None:
    match = re.match(r"^bearer\s+(\S+)\s*$", request.headers.get("Authorization", ""), re.I)
    key = match.group(1) if match else None
    if key is None or (scenario.api_keys is not None and key not in scenario.api_keys):
        raise VoiceApiError(401, "InvalidApiKey", "Invalid API-key provided.")


async def _read_json(request: web.Request) -> dict[str, Any]:
    raw = bytearray()
    while chunk := await request.content.read(MAX_REQUEST_BYTES + 1 - len(raw)):
        raw += chunk
        if len(raw) > MAX_REQUEST_BYTES:
            raise VoiceApiError(413, "InvalidParameter", "Request body too large.")
    try:
        body = json.loads(raw)
    except ValueError, RecursionError:  # deeply nested JSON is a bad request too
        body = None
    if not isinstance(body, dict):
        raise VoiceApiError(400, "InvalidParameter", "The request body must be a JSON object.")
    return body


async def _canned(request: web.Request, reply: CannedReply) -> web.StreamResponse:
    if not reply.chunked and reply.content_length is None:
        return web.Response(status=reply.status, body=reply.body, headers=dict(reply.headers))
    response = web.StreamResponse(status=reply.status, headers=dict(reply.headers))
    if reply.content_length is None:
        response.enable_chunked_encoding()
    else:
        response.content_length = reply.content_length
    await response.prepare(request)
    for start in range(0, len(reply.body), _CHUNK_BYTES):
        await response.write(reply.body[start : start + _CHUNK_BYTES])
    if reply.content_length is not None and reply.content_length > len(reply.body):
        response.force_close()
        if request.transport is not None:
            request.transport.close()
        return response
    await response.write_eof()
    return response


def _model_and_action(body: dict[str, Any]) -> tuple[str, str]:
    model = body.get("model")
    if model not in _MODELS:
        raise VoiceApiError(400, "InvalidParameter", f"Model not supported: {model!r}.")
    payload = body.get("input")
    action = payload.get("action") if isinstance(payload, dict) else None
    if not isinstance(action, str):
        raise VoiceApiError(400, "InvalidParameter", "input.action is required.")
    return str(model), action


async def _act(
    store: VoiceStore,
    scenario: Scenario,
    kind: Literal["vd", "vc"],
    action: str,
    body: dict[str, Any],
) -> tuple[dict[str, Any], int | None]:
    if store.failures:
        raise VoiceApiError(*store.failures.pop(0))
    payload: dict[str, Any] = body["input"]
    match action:
        case "create":
            if store.create_failures:
                raise VoiceApiError(*store.create_failures.pop(0))
            await asyncio.sleep(store.create_delay)
            if kind == "vd":
                output = await _design(store, scenario, payload, body.get("parameters") or {})
            else:
                output = await _clone(store, payload)
            if store.failures_after_create:
                raise VoiceApiError(*store.failures_after_create.pop(0))
            return output, 1
        case "list":
            return _list(store, kind, payload), None
        case "query" if kind == "vd":
            return _find(store, kind, payload).listing(), None
        case "delete":
            voice = _find(store, kind, payload)
            if failure := store.delete_failures.get(voice.voice):
                raise VoiceApiError(*failure)
            del store.voices[voice.voice]
            store.deleted.append(voice.voice)
            return {"voice": voice.voice}, 0
    raise VoiceApiError(400, "InvalidParameter", f"Unsupported action: {action!r}.")


def _common(store: VoiceStore, kind: str, payload: dict[str, Any]) -> tuple[str, str, str]:
    """Check the fields both creates share; return (name, target model, language)."""
    name = payload.get("preferred_name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise VoiceApiError(
            400, "InvalidParameter", "preferred_name must match [A-Za-z0-9_]{1,16}."
        )
    target = payload.get("target_model")
    if target not in TARGETS[kind]:
        raise VoiceApiError(400, "InvalidParameter", f"target_model not supported: {target!r}.")
    language = payload.get("language", "zh")
    if language not in _LANGUAGES:
        raise VoiceApiError(400, "InvalidParameter", f"language not supported: {language!r}.")
    if len(store.voices) >= store.limit:
        raise VoiceApiError(
            400, "Throttling.AllocationQuota", "Voice quota exceeded; delete voices first."
        )
    return name, str(target), str(language)


async def _design(
    store: VoiceStore, scenario: Scenario, payload: dict[str, Any], parameters: dict[str, Any]
) -> dict[str, Any]:
    prompt, text = payload.get("voice_prompt"), payload.get("preview_text")
    if not isinstance(prompt, str) or not prompt.strip() or len(prompt) > 2048:
        raise VoiceApiError(400, "InvalidParameter", "voice_prompt: 1 to 2048 characters.")
    if not isinstance(text, str) or not text.strip() or len(text) > 1024:
        raise VoiceApiError(400, "InvalidParameter", "preview_text: 1 to 1024 characters.")
    rate = parameters.get("sample_rate", 24000)
    fmt = parameters.get("response_format", "wav")
    if rate not in ALL_SAMPLE_RATES or fmt not in ALL_FORMATS:
        raise VoiceApiError(400, "InvalidParameter", "Unsupported sample_rate or response_format.")
    name, target, language = _common(store, "vd", payload)
    voice_id = new_voice_id("vd", name)
    pcm: bytes | None = None
    if scenario.voice_engine == "espeak":
        pcm = await render_espeak(
            text, sample_rate=rate, speech_rate=1.0, volume=50, pitch_rate=1.0,
            voice=voice_id, language_type=_LANGUAGES[language],
        )  # fmt: skip
    if pcm is None:
        pcm = render_pcm(text, sample_rate=rate, voice=voice_id)
    audio = await encode(pcm, fmt, rate, 128)
    store.voices[voice_id] = StoredVoice(
        voice_id, "vd", target, datetime.now(), language, prompt, text
    )
    return {
        "voice": voice_id,
        "target_model": target,
        "preview_audio": {
            "data": base64.b64encode(audio).decode("ascii"),
            "sample_rate": rate,
            "response_format": fmt,
        },
    }


async def _clone(store: VoiceStore, payload: dict[str, Any]) -> dict[str, Any]:
    audio = payload.get("audio")
    data = audio.get("data") if isinstance(audio, dict) else None
    if not isinstance(data, str):
        raise VoiceApiError(400, "InvalidParameter", "audio.data is required.")
    name, target, language = _common(store, "vc", payload)
    try:
        pcm, rate = await decode_data_url(data, MAX_SECONDS)
    except UndecodableAudio as err:
        raise VoiceApiError(400, "Audio.DecoderError", str(err)) from None
    if rate < MIN_SAMPLE_RATE:
        raise VoiceApiError(400, "Audio.AudioRateError", f"Sample rate {rate} is below 24000.")
    if len(pcm) / 2 / rate > MAX_SECONDS:
        raise VoiceApiError(400, "Audio.DurationLimitError", "Audio is longer than 60 s.")
    if speech_seconds(pcm, rate) < MIN_SPEECH_SECONDS:
        raise VoiceApiError(400, "Audio.PreprocessError", "Too little clean speech in the audio.")
    voice_id = new_voice_id("vc", name)
    store.voices[voice_id] = StoredVoice(voice_id, "vc", target, datetime.now(), language)
    output: dict[str, Any] = {"voice": voice_id, "target_model": target}
    if store.fallback_reason:
        output |= {"fallback_mode": True, "fallback_reason": store.fallback_reason}
    return output


def _list(store: VoiceStore, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    page, size = payload.get("page_index", 0), payload.get("page_size", 10)
    if not isinstance(page, int) or not isinstance(size, int) or page < 0 or not 0 < size <= 1000:
        raise VoiceApiError(400, "InvalidParameter", "Invalid page_index or page_size.")
    voices = sorted(
        (v for v in store.voices.values() if v.kind == kind), key=lambda v: v.created, reverse=True
    )
    size = store.page_size or size
    return {
        "page_index": page,
        "page_size": size,
        "total_count": len(voices),
        "voice_list": [
            v.listing()
            for v in voices[page * size : (page + 1) * size]
            for _ in range(2 if v.voice in store.listed_twice else 1)
        ],
    }


def _find(store: VoiceStore, kind: str, payload: dict[str, Any]) -> StoredVoice:
    voice = store.voices.get(str(payload.get("voice")))
    if voice is None or voice.kind != kind:
        raise VoiceApiError(400, "VoiceNotFound", f"Voice not found: {payload.get('voice')!r}.")
    return voice
