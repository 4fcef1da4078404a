"""Spoken previews of designed voices, served to the browser through signed, short-lived URLs.

The config flow cannot play audio itself: its step links to a URL of this view. The URL is
signed for the user who runs the flow and expires with the preview; the store keeps a few
previews in memory only.

The link is an HTML anchor with target="_blank", given to the step as a placeholder: the frontend
routes every other same-origin link inside the app (a markdown link to /api/... lands on the
dashboard and closes the flow), and translations may not hold HTML.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
import html
import secrets
import time
from typing import Final

from aiohttp import web
from homeassistant.components.http.auth import async_sign_path
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN

# Long enough to listen and decide; the signature expires with it.
PREVIEW_TTL: Final = timedelta(minutes=15)
# Previews kept at once (each at most the voice client's response bound); the oldest goes first.
MAX_PREVIEWS: Final = 8
PREVIEW_URL: Final = f"/api/{DOMAIN}/preview/{{token}}"
_CONTENT_TYPES: Final = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "pcm": "application/octet-stream",
}
_STORE: HassKey[PreviewStore] = HassKey(f"{DOMAIN}_previews")


@dataclass(frozen=True, slots=True)
class _Preview:
    audio: bytes
    content_type: str
    expires_at: float  # monotonic seconds


class PreviewStore:
    """Previews by random token, dropped when expired or when the store is full."""

    def __init__(self) -> None:
        self._previews: OrderedDict[str, _Preview] = OrderedDict()

    def add(self, audio: bytes, response_format: str) -> str:
        """Keep a preview; return its token."""
        self._expire()
        while len(self._previews) >= MAX_PREVIEWS:
            self._previews.popitem(last=False)
        token = secrets.token_urlsafe(16)
        self._previews[token] = _Preview(
            audio,
            _CONTENT_TYPES.get(response_format, "application/octet-stream"),
            time.monotonic() + PREVIEW_TTL.total_seconds(),
        )
        return token

    def get(self, token: str) -> _Preview | None:
        """Return a preview that has not expired."""
        self._expire()
        return self._previews.get(token)

    def discard(self, token: str) -> None:
        """Forget a preview (its voice was kept or discarded)."""
        self._previews.pop(token, None)

    def _expire(self) -> None:
        now = time.monotonic()
        for token in [t for t, p in self._previews.items() if p.expires_at <= now]:
            del self._previews[token]


class PreviewView(HomeAssistantView):
    """Serves a stored preview to an authenticated (or validly signed) request."""

    url = PREVIEW_URL
    name = f"api:{DOMAIN}:preview"

    async def get(self, request: web.Request, token: str) -> web.Response:
        """Return the preview's audio, or 404 once it is gone."""
        store = request.app[KEY_HASS].data.get(_STORE)
        preview = store.get(token) if store is not None else None
        if preview is None:
            return web.Response(status=404)
        return web.Response(
            body=preview.audio,
            content_type=preview.content_type,
            headers={"Cache-Control": "no-store"},
        )


@callback
def _store(hass: HomeAssistant) -> PreviewStore:
    if (store := hass.data.get(_STORE)) is None:
        store = hass.data[_STORE] = PreviewStore()
        hass.http.register_view(PreviewView())
    return store


@callback
def async_publish_preview(
    hass: HomeAssistant, audio: bytes, response_format: str
) -> tuple[str, str]:
    """Keep a preview; return its token and a signed path to it that expires with it."""
    token = _store(hass).add(audio, response_format)
    path = async_sign_path(hass, PREVIEW_URL.format(token=token), PREVIEW_TTL)
    return token, path


@callback
def async_discard_preview(hass: HomeAssistant, token: str) -> None:
    """Forget a preview before it expires."""
    if (store := hass.data.get(_STORE)) is not None:
        store.discard(token)


def preview_link(path: str, label: str) -> str:
    """Return an anchor the frontend opens in a new tab instead of routing it inside the app."""
    return f'<a href="{html.escape(path)}" target="_blank">{html.escape(label)}</a>'
