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
import re
import time
from typing import Any
import urllib.parse
import urllib.request

from playwright.sync_api import Page, sync_playwright

from .ui import (
    BASE,
    DEMO_KEY,
    DEMO_PROFILE,
    DEMO_TARGET,
    DOMAIN,
    REPO,
    SETTLE,
    VIEWPORT,
    Scene,
    Shot,
    WalkError,
    add_profile,
    choose,
    close_flow,
    dialog,
    field,
    photograph,
    show_integration,
    strings,
    submit,
)
from .voices import UNUSED_VOICES_SCENE, VOICE_SCENES

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


def _add_entry(page: Page) -> None:
    """Start adding the integration, as from the integrations dashboard."""
    page.goto(f"{BASE}/config/integrations/dashboard/add?domain={DOMAIN}")
    page.locator("dialog-box ha-button").filter(visible=True).last.click()  # "Set up …?" OK


def config_flow_user(page: Page, language: str) -> Iterator[Shot]:
    _add_entry(page)
    yield "config-flow-user", dialog(page)
    close_flow(page)


def config_flow_profile(page: Page, language: str) -> Iterator[Shot]:
    """The step after a key that works: where it connected and the handshake time measured.

    The demo's only service is its emulator, a custom endpoint, which is probed alone: the step
    that chooses among vendor regions needs the real service and is not shown. The emulator is
    entered as `localhost`: the demo's entry already has its address as 127.0.0.1 with this key,
    and a second entry of the same key and address is refused. The flow is closed unsaved.
    """
    endpoint = (REPO / "config" / DEMO_TARGET).read_text().replace("127.0.0.1", "localhost")
    _add_entry(page)
    dialog(page)
    field(page, "api_key").fill(DEMO_KEY)
    page.locator('dialog-data-entry-flow ha-radio-option[value="custom"]').click()
    field(page, "endpoint").fill(endpoint)
    submit(page)
    shown = dialog(page)
    form = page.locator("dialog-data-entry-flow step-flow-form")
    if not form.get_by_text(re.compile(r"localhost — \d+ ms")).count():
        raise WalkError("the profile step does not show the measured connection")
    yield "config-flow-profile", shown
    close_flow(page)


def voice_profile(page: Page, language: str) -> Iterator[Shot]:
    add_profile(page, language)
    yield "voice-profile", dialog(page, "step-flow-menu")
    choose(page, language, "user", "system_voice")
    dialog(page)
    submit(page)
    yield "config-flow-voice", dialog(page)


def media_panel(page: Page, language: str) -> Iterator[Shot]:
    """The Media panel's text-to-speech card for the demo profile, where its voice is heard."""
    page.set_viewport_size({"width": 1280, "height": 460})
    page.goto(f"{BASE}/media-browser/browser/app%2Cmedia-source%3A%2F%2Ftts")
    page.get_by_text(DEMO_PROFILE, exact=True).filter(visible=True).first.click()
    page.locator("ha-browse-media-tts").first.wait_for()
    time.sleep(SETTLE)
    yield "media-panel", page.locator("body")


def options(page: Page, language: str) -> Iterator[Shot]:
    """The entry's options (the gear of its row), closed unsaved."""
    show_integration(page)
    page.set_viewport_size(VIEWPORT)
    page.locator("ha-config-entry-row ha-icon-button[slot=end]").first.click()
    price = strings(language)["options"]["step"]["init"]["data"]["price_per_10k_characters"]
    shown = dialog(page)
    if not page.locator("dialog-data-entry-flow step-flow-form").get_by_text(price).count():
        raise WalkError("the gear did not open the entry's options")
    yield "options", shown
    close_flow(page)


SCENES = [
    Scene("integration-page", integration_page),
    Scene("config-flow-user", config_flow_user),
    Scene("config-flow-profile", config_flow_profile),
    Scene("voice-profile", voice_profile),
    *VOICE_SCENES,
    Scene("media-panel", media_panel),
    Scene("options", options),
    UNUSED_VOICES_SCENE,
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
                        photograph(page, subject, target)
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
