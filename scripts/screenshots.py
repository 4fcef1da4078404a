"""Takes the README's screenshots from the running demo, in English and Simplified Chinese.

Run by scripts/screenshots, which starts the demo and this module's Python (the host's, with
Playwright, driving the Debian chromium package). Each scene walks one flow and writes one image per
language: docs/images/NAME.png in English, docs/images/zh-Hans/NAME.png in Chinese. Add a walk by
adding a scene to SCENES.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
import json
from pathlib import Path
import re
import time
from typing import Any
import urllib.parse
import urllib.request

from playwright.sync_api import Locator, Page, sync_playwright

REPO = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:8123"
CLIENT_ID = f"{BASE}/"
DOMAIN = "qwen_tts_realtime"
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
VIEWPORT = {"width": 1280, "height": 1300}  # tall enough for the longest form unscrolled
SETTLE = 1.5  # seconds for the frontend's animations to finish before a picture


@dataclass(frozen=True)
class Scene:
    """One picture: `walk` brings the page to it and returns what to photograph."""

    name: str
    walk: Callable[[Page, str], Locator]


def _strings(language: str) -> dict[str, Any]:
    path = REPO / "custom_components" / DOMAIN / "translations" / f"{language}.json"
    result: dict[str, Any] = json.loads(path.read_text())
    return result


def _dialog(page: Page) -> Locator:
    """The open config-flow dialog, once its form has rendered."""
    page.locator("dialog-data-entry-flow step-flow-form").first.wait_for()
    time.sleep(SETTLE)
    return page.locator("dialog-data-entry-flow ha-dialog dialog").first


def _submit(page: Page) -> None:
    buttons = page.locator("dialog-data-entry-flow ha-button").filter(visible=True)
    buttons.filter(has_text=re.compile(r"\S")).last.click()  # Submit: the last one with a label
    time.sleep(SETTLE)


def integration_page(page: Page, language: str) -> Locator:
    page.set_viewport_size({"width": 1280, "height": 560})
    page.goto(f"{BASE}/config/integrations/integration/{DOMAIN}")
    page.locator("ha-config-entry-row, ha-integration-card").first.wait_for()
    page.locator("ha-toast").wait_for(state="hidden")  # "Home Assistant has started!"
    time.sleep(SETTLE)
    return page.locator("body")


def config_flow_user(page: Page, language: str) -> Locator:
    page.goto(f"{BASE}/config/integrations/dashboard/add?domain={DOMAIN}")
    page.locator("dialog-box ha-button").filter(visible=True).last.click()  # "Set up …?" OK
    return _dialog(page)


def _add_profile(page: Page, language: str) -> None:
    integration_page(page, language)
    page.set_viewport_size(VIEWPORT)
    label = _strings(language)["config_subentries"]["tts"]["initiate_flow"]["user"]
    page.get_by_text(label).first.click()


def voice_profile(page: Page, language: str) -> Locator:
    _add_profile(page, language)
    return _dialog(page)


def config_flow_voice(page: Page, language: str) -> Locator:
    _add_profile(page, language)
    _dialog(page)
    _submit(page)
    return _dialog(page)


SCENES = [
    Scene("integration-page", integration_page),
    Scene("config-flow-user", config_flow_user),
    Scene("voice-profile", voice_profile),
    Scene("config-flow-voice", config_flow_voice),
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
                    target = folder / f"{scene.name}.png"
                    scene.walk(page, language).screenshot(path=str(target))
                    written.append(target)
                    print(f"wrote {target.relative_to(REPO)}", flush=True)
                    context.close()
            page = browser.new_page()
            _log_in(page, "en", tokens)  # leave Home Assistant in English
        finally:
            browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenes", nargs="*", help="names of the scenes to take (default: all)")
    args = parser.parse_args()
    chosen = [scene for scene in SCENES if not args.scenes or scene.name in args.scenes]
    take(chosen)


if __name__ == "__main__":
    main()
