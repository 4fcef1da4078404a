"""What the screenshot walks share: the demo's address, and ways to drive Home Assistant's frontend.

Locators pierce the frontend's (open) shadow roots; flow fields are found by their `name`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
import json
from pathlib import Path
import re
import time
from typing import Any

from playwright.sync_api import Locator, Page

REPO = Path(__file__).resolve().parents[2]
BASE = "http://127.0.0.1:8123"
DOMAIN = "qwen_tts_realtime"
VIEWPORT = {"width": 1280, "height": 1300}  # tall enough for the longest form unscrolled
SETTLE = 1.5  # seconds for the frontend's animations to finish before a picture

# A picture: its file name (without .png) and what to photograph.
Shot = tuple[str, Locator]


@dataclass(frozen=True)
class Scene:
    """One walk through the UI: `walk` yields each picture when the page shows it."""

    name: str
    walk: Callable[[Page, str], Iterator[Shot]]


class WalkError(Exception):
    """The UI did not do what the walk checks: no picture of a broken state is taken."""


def strings(language: str) -> dict[str, Any]:
    path = REPO / "custom_components" / DOMAIN / "translations" / f"{language}.json"
    result: dict[str, Any] = json.loads(path.read_text())
    return result


def flow_strings(language: str) -> dict[str, Any]:
    """The voice-profile flow's strings."""
    result: dict[str, Any] = strings(language)["config_subentries"]["tts"]
    return result


def dialog(page: Page, step: str = "step-flow-form") -> Locator:
    """The open config-flow dialog, once its step (a form by default) has rendered."""
    page.locator(f"dialog-data-entry-flow {step}").first.wait_for()
    time.sleep(SETTLE)
    return page.locator("dialog-data-entry-flow ha-dialog dialog").first


def submit(page: Page) -> None:
    buttons = page.locator("dialog-data-entry-flow ha-button").filter(visible=True)
    buttons.filter(has_text=re.compile(r"\S")).last.click()  # Submit: the last one with a label
    time.sleep(SETTLE)


def field(page: Page, name: str) -> Locator:
    """The text input or text area of a field of the open flow form."""
    return page.locator(f'dialog-data-entry-flow :is(input, textarea)[name="{name}"]')


def type_voice(page: Page, voice: str) -> None:
    """Type a voice id into the voice picker (one that takes custom values) and add it."""
    picker = page.locator("dialog-data-entry-flow ha-selector-select").first
    picker.locator("ha-picker-field").click()
    picker.locator("ha-picker-combo-box input").fill(voice)
    time.sleep(SETTLE)  # the list filters itself; the custom item comes first
    picker.locator("ha-picker-combo-box ha-combo-box-item").first.click()
    time.sleep(SETTLE)


def form_error(page: Page, language: str, key: str) -> Locator:
    """Wait until the open form shows the flow's error `key`, in `language`."""
    text = flow_strings(language)["error"][key]
    error = page.locator("dialog-data-entry-flow step-flow-form").get_by_text(text).first
    error.wait_for()
    time.sleep(SETTLE)
    return error


def on_model(page: Page, model: str) -> Locator:
    """The voice step's dialog, once it shows that it configures `model` (or fail the walk)."""
    shown = dialog(page)
    named = page.locator("dialog-data-entry-flow step-flow-form").get_by_text(model)
    if not named.count():
        raise WalkError(f"the voice step is not for {model}")
    return shown


def call_ws(page: Page, message: dict[str, Any]) -> Any:
    """Send a websocket command as the logged-in frontend; return its result."""
    return page.evaluate(
        "(message) => document.querySelector('home-assistant').hass.callWS(message)", message
    )


def show_integration(page: Page) -> Locator:
    page.set_viewport_size({"width": 1280, "height": 560})
    page.goto(f"{BASE}/config/integrations/integration/{DOMAIN}")
    page.locator("ha-config-entry-row, ha-integration-card").first.wait_for()
    page.locator("ha-toast").wait_for(state="hidden")  # "Home Assistant has started!"
    time.sleep(SETTLE)
    return page.locator("body")


def add_profile(page: Page, language: str) -> None:
    """Open the integration's page and its "Add voice profile" menu."""
    show_integration(page)
    page.set_viewport_size(VIEWPORT)
    page.get_by_text(flow_strings(language)["initiate_flow"]["user"]).first.click()
    page.locator("dialog-data-entry-flow step-flow-menu").first.wait_for()
    time.sleep(SETTLE)


def choose(page: Page, language: str, step_id: str, option: str) -> None:
    """Pick an option of a menu step of the voice-profile flow, by its translated label."""
    label = flow_strings(language)["step"][step_id]["menu_options"][option]
    page.locator("dialog-data-entry-flow step-flow-menu").get_by_text(label, exact=True).click()


def remove_profiles(page: Page, *titles: str) -> None:
    """Remove the voice profiles with these titles (left by an earlier or interrupted run)."""
    for entry in call_ws(page, {"type": "config_entries/get", "domain": DOMAIN}):
        listed = {"type": "config_entries/subentries/list", "entry_id": entry["entry_id"]}
        for subentry in call_ws(page, listed):
            if subentry["title"] in titles:
                call_ws(
                    page,
                    {
                        "type": "config_entries/subentries/delete",
                        "entry_id": entry["entry_id"],
                        "subentry_id": subentry["subentry_id"],
                    },
                )


def entity_appears(page: Page, entity_id: str) -> None:
    """Wait until Home Assistant has the entity, or fail the walk."""
    try:
        page.wait_for_function(
            "(id) => document.querySelector('home-assistant').hass.states[id] !== undefined",
            arg=entity_id,
            timeout=15000,
        )
    except Exception as err:
        raise WalkError(f"{entity_id} did not appear") from err
