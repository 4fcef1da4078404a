"""Client of the voice customisation API: design and clone voices, list and delete them.

Plain HTTPS with the entry's key, one request per call and no automatic retry: every create is
billed by the vendor, so a failure is reported, never repeated behind the user's back.
"""

from __future__ import annotations

import asyncio
import base64
import re
from typing import Any, Final

import aiohttp

from .custom_voices import (
    PREVIEW_FORMAT,
    PREVIEW_SAMPLE_RATE,
    TARGET_MODELS,
    ClonedVoice,
    CustomVoice,
    DesignedVoice,
    VoiceKind,
    answer_output,
    created_voice,
    designed_voice,
    kind_of_voice,
    listed_voice,
)
from .endpoints import customization_url
from .errors import (
    BadAudioError,
    ConnectError,
    RealtimeError,
    ResponseTimeoutError,
    TimeoutStage,
    VoiceApiResponseError,
)

SERVICE_MODELS: Final[dict[VoiceKind, str]] = {
    "design": "qwen-voice-design",
    "clone": "qwen-voice-enrollment",
}
NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9_]{1,16}")  # the service's preferred_name rule
MAX_DESCRIPTION_CHARS: Final = 2048  # voice_prompt
MAX_PREVIEW_TEXT_CHARS: Final = 1024  # preview_text
# A preview as long as the longest preview text at 24 kHz WAV, base64, fits with room to spare.
MAX_RESPONSE_BYTES: Final = 32 * 1024 * 1024
# The service refuses audio of 10 MB or more once base64-encoded in the request.
MAX_AUDIO_REQUEST_BYTES: Final = 10_000_000
# Seconds for one request: a design synthesizes its preview before answering.
REQUEST_TIMEOUT: Final = 90.0
LIST_PAGE_SIZE: Final = 100
# 1000 custom voices per account: ten pages hold them all; a longer list is cut, not followed.
MAX_LIST_PAGES: Final = 10


def audio_data_url(audio: bytes, mime_type: str) -> str:
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
        self._headers = {"Authorization": f"Bearer {api_key}"}
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
        return designed_voice(output, language)

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
        data_url = audio_data_url(audio, mime_type)
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
            created_voice(output, "clone", language),
            fallback_mode=output.get("fallback_mode") is True,
            fallback_reason=str(reason) if reason else None,
        )

    async def list_voices(self, kind: VoiceKind) -> list[CustomVoice]:
        """Return the account's voices of one kind, newest first as the service orders them."""
        voices: list[CustomVoice] = []
        for page in range(MAX_LIST_PAGES):
            output = await self._call(
                kind, {"action": "list", "page_index": page, "page_size": LIST_PAGE_SIZE}
            )
            items = output.get("voice_list")
            if not isinstance(items, list):
                raise VoiceApiResponseError("the voice list is missing")
            voices += [v for item in items if (v := listed_voice(item, kind)) is not None]
            total = output.get("total_count")
            if len(items) < LIST_PAGE_SIZE or (isinstance(total, int) and len(voices) >= total):
                break
        return voices

    async def query(self, voice_id: str) -> CustomVoice:
        """Return one designed voice (cloned voices have no documented query)."""
        output = await self._call("design", {"action": "query", "voice": voice_id})
        voice = listed_voice(output, "design")
        if voice is None:
            raise VoiceApiResponseError("the voice query answered without a voice")
        return voice

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
                self._session.post(self._url, json=body, headers=self._headers) as response,
            ):
                status = response.status
                raw = await _read_bounded(response.content)
        except TimeoutError:
            failure = ResponseTimeoutError(TimeoutStage.VOICE_REQUEST, self._timeout)
        except aiohttp.ClientError as err:
            failure = ConnectError(f"cannot reach the voice service: {type(err).__name__}")
        if failure is not None:
            raise failure
        if len(raw) > MAX_RESPONSE_BYTES:
            raise VoiceApiResponseError(f"the answer is larger than {MAX_RESPONSE_BYTES} bytes")
        return answer_output(status, raw)


async def _read_bounded(content: aiohttp.StreamReader) -> bytes:
    """Read a body up to one byte past the bound (enough to tell that it is too large)."""
    raw = bytearray()
    while len(raw) <= MAX_RESPONSE_BYTES and (
        chunk := await content.read(MAX_RESPONSE_BYTES + 1 - len(raw))
    ):
        raw += chunk
    return bytes(raw)
