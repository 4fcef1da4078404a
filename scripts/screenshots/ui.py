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
# What scripts/develop sets up: the key its emulator accepts, the file in config/ it writes the
# emulator's address to, and its voice profile and that profile's voice.
DEMO_KEY = "sk-emulator-demo"
DEMO_TARGET = ".qwen-tts-demo-target"
DEMO_PROFILE, DEMO_VOICE = "Qwen TTS", "Cherry"

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


def pick_language(page: Page, scope: Locator, name: str) -> None:
    """Choose the language called `name` in the first language picker within `scope`."""
    picker = scope.locator("ha-language-picker").first
    picker.click()
    time.sleep(SETTLE)
    page.keyboard.type(name)
    time.sleep(SETTLE)
    picker.locator("ha-combo-box-item").filter(has_text=name).last.click()


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
    page.set_viewport_size({"width": 1280, "height": 700})  # down to the profile row
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
    page.locator("dialog-data-entry-flow step-flow-menu").get_by_text(
        menu_label(language, step_id, option), exact=True
    ).click()


def menu_label(language: str, step_id: str, option: str) -> str:
    """The translated label of an option of a menu step of the voice-profile flow."""
    label: str = flow_strings(language)["step"][step_id]["menu_options"][option]
    return label


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


def entity_named(page: Page, name: str) -> str:
    """Wait until Home Assistant has a text-to-speech entity named `name`; return its id.

    (By name: a profile name in Chinese becomes an entity id Home Assistant spells itself.)
    """
    try:
        found = page.wait_for_function(
            "(name) => Object.values(document.querySelector('home-assistant').hass.states)"
            ".find((s) => s.entity_id.startsWith('tts.')"
            " && s.attributes.friendly_name === name)?.entity_id",
            arg=name,
            timeout=15000,
        )
    except Exception as err:
        raise WalkError(f"no text-to-speech entity named {name} appeared") from err
    entity_id: str = found.json_value()
    return entity_id


def close_flow(page: Page) -> None:
    """Close the open flow dialog with its ✕, which ends its flow.

    (Escape closes the dialog but leaves the flow running, holding what it was given.)
    """
    page.locator("dialog-data-entry-flow ha-icon-button[data-dialog=close]").first.click()
    page.locator("dialog-data-entry-flow ha-dialog").first.wait_for(state="hidden")
    time.sleep(SETTLE)


def photograph(page: Page, subject: Locator, target: Path) -> None:
    """Write a picture of `subject` to `target`, as a user would see it with the mouse away.

    Behind a flow dialog's rounded corners the page is hidden for the picture: its corners then
    show the dimmed background, not bits of the page.
    """
    size = page.viewport_size or VIEWPORT
    page.mouse.move(size["width"] // 2, 1)  # the top edge: no hover effect in any picture
    main = (
        "document.querySelector('home-assistant').shadowRoot.querySelector('home-assistant-main')"
    )
    whole_page = subject.evaluate("(node) => node === document.body")
    in_dialog = not whole_page and page.locator("dialog-data-entry-flow ha-dialog").count() > 0
    if in_dialog:
        page.evaluate(f"{main}.style.visibility = 'hidden'")
    try:
        subject.screenshot(path=str(target))
    finally:
        if in_dialog:
            page.evaluate(f"{main}.style.visibility = ''")
