"""Takes the README's screenshots from the running demo, in English and Simplified Chinese.

Run as `python -m scripts.screenshots [SCENE ...]` by scripts/take-screenshots, which starts the
demo and runs this package in a Python of its own with Playwright, driving the Debian chromium
package. Each scene walks one flow and takes its pictures on the way, in each language:
docs/images/NAME.png in English, docs/images/zh-Hans/NAME.png in Chinese. A walk also checks what
it shows works (a scene fails loudly, never photographs a broken state). Add a walk by adding a
scene to SCENES (the custom-voice walks are in voices.py).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
import json
from pathlib import Path
import time
from typing import Any
import urllib.parse
import urllib.request

from playwright.sync_api import Page, sync_playwright

from .ui import (
    BASE,
    DOMAIN,
    REPO,
    SETTLE,
    VIEWPORT,
    Scene,
    Shot,
    add_profile,
    choose,
    dialog,
    show_integration,
    submit,
)
from .voices import VOICE_SCENES

CLIENT_ID = f"{BASE}/"
IMAGES = REPO / "docs" / "images"
LANGUAGES = ("en", "zh-Hans")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def integration_page(page: Page, language: str) -> Iterator[Shot]:
    yield "integration-page", show_integration(page)


def config_flow_user(page: Page, language: str) -> Iterator[Shot]:
    page.goto(f"{BASE}/config/integrations/dashboard/add?domain={DOMAIN}")
    page.locator("dialog-box ha-button").filter(visible=True).last.click()  # "Set up …?" OK
    yield "config-flow-user", dialog(page)


def voice_profile(page: Page, language: str) -> Iterator[Shot]:
    add_profile(page, language)
    yield "voice-profile", dialog(page, "step-flow-menu")
    choose(page, language, "user", "system_voice")
    dialog(page)
    submit(page)
    yield "config-flow-voice", dialog(page)


SCENES = [
    Scene("integration-page", integration_page),
    Scene("config-flow-user", config_flow_user),
    Scene("voice-profile", voice_profile),
    *VOICE_SCENES,
]


def _tokens() -> dict[str, Any]:
    """Tokens for the demo user, from the refresh token scripts/develop stored."""
    refresh = json.loads((REPO / "config" / ".qwen-tts-demo-auth.json").read_text())
    form = urllib.parse.urlencode(
        {"grant_type": "refresh_token", "refresh_token": refresh["refresh_token"],
         "client_id": CLIENT_ID}
    ).encode()  # fmt: skip
    with urllib.request.urlopen(f"{BASE}/auth/token", form) as response:
        tokens: dict[str, Any] = json.load(response)
    return {**tokens, "refresh_token": refresh["refresh_token"]}


def _log_in(page: Page, language: str, tokens: dict[str, Any]) -> None:
    """Log in as the frontend itself would remember it, in `language` (user and server)."""
    stored = {
        **tokens,
        "hassUrl": BASE,
        "clientId": CLIENT_ID,
        "expires": int(time.time() * 1000) + tokens["expires_in"] * 1000,
    }
    page.goto(f"{BASE}/manifest.json")
    page.evaluate(
        "([tokens, language]) => { localStorage.setItem('hassTokens', tokens);"
        " localStorage.setItem('selectedLanguage', JSON.stringify(language)); }",
        [json.dumps(stored), language],
    )
    page.goto(f"{BASE}/config/integrations/dashboard")
    page.wait_for_function("document.querySelector('home-assistant')?.hass?.connected")
    time.sleep(SETTLE)
    pending = page.locator("dialog-http-pending-config ha-button").filter(visible=True)
    if pending.count():  # the demo's HTTP settings changed since the last run: keep them
        pending.last.click()
    # Home Assistant's own language: voice labels and help links follow it.
    page.evaluate(
        "(language) => document.querySelector('home-assistant').hass.callWS("
        "{type: 'config/core/update', language})",
        language,
    )


def take(scenes: list[Scene]) -> list[Path]:
    """Walk each scene in each language; return the pictures written."""
    written = []
    tokens = _tokens()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            for language in LANGUAGES:
                folder = IMAGES if language == "en" else IMAGES / language
                folder.mkdir(parents=True, exist_ok=True)
                for scene in scenes:
                    context = browser.new_context(viewport=VIEWPORT, locale=language)
                    page = context.new_page()
                    _log_in(page, language, tokens)
                    for name, subject in scene.walk(page, language):
                        target = folder / f"{name}.png"
                        subject.screenshot(path=str(target))
                        written.append(target)
                        print(f"wrote {target.relative_to(REPO)}", flush=True)
                    context.close()
            page = browser.new_page()
            _log_in(page, "en", tokens)  # leave Home Assistant in English
        finally:
            browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/take-screenshots", description=__doc__)
    parser.add_argument("scenes", nargs="*", help="names of the scenes to take (default: all)")
    args = parser.parse_args()
    chosen = [scene for scene in SCENES if not args.scenes or scene.name in args.scenes]
    take(chosen)


if __name__ == "__main__":
    main()
