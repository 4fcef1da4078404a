"""Screenshot walks of custom voices: design one and listen to it, clone one from a recording.

Each walk also proves what its pictures show: the preview link really delivers audio in a new
tab (and leaves the flow open), and each profile it makes really becomes an entity. The profiles
are removed afterwards (and before, after an interrupted run): the demo's emulator forgets its
voices when it stops, so they would not speak in the next demo.
"""

from __future__ import annotations

from collections.abc import Iterator
import importlib.util
from pathlib import Path
import tempfile
import time

from playwright.sync_api import Page, Response

from .ui import (
    BASE,
    DOMAIN,
    REPO,
    SETTLE,
    Scene,
    Shot,
    WalkError,
    add_profile,
    choose,
    dialog,
    entity_appears,
    field,
    form_error,
    on_model,
    remove_profiles,
    submit,
    type_voice,
)

PREVIEW_PATH = f"/api/{DOMAIN}/preview/"
# What the designed voice is like and says, in the language of the pictures.
DESIGN = {
    "en": (
        "A calm, warm voice of an elderly storyteller, speaking slowly.",
        "Once upon a time, in a quiet village by the sea, there lived an old lighthouse keeper.",
    ),
    "zh-Hans": (
        "一位沉稳、温暖的老年讲故事人的声音，语速缓慢。",
        "很久以前，在海边一个安静的小村庄里，住着一位年老的灯塔看守人。",
    ),
}
DEMO_PROFILE, DEMO_VOICE = "Qwen TTS", "Cherry"  # the profile scripts/develop sets up
RECORDING_SECONDS = 12  # within the 10 to 20 seconds the service likes best


def _recording(rate: int) -> bytes:
    """A mono WAV of speech-like tone bursts, made by the tests' own helper."""
    spec = importlib.util.spec_from_file_location("recordings", REPO / "tests" / "recordings.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    audio: bytes = module.recording(RECORDING_SECONDS, rate=rate)
    return audio


def _listen(page: Page) -> None:
    """Click the preview link as a user would: a new tab must play the audio, the flow stay.

    (The audio's bytes are counted with a fetch from the tab: Playwright cannot read the body of
    a page that is a media file.)
    """
    link = page.locator("dialog-data-entry-flow step-flow-menu ha-markdown a").first
    where = page.url
    with (
        page.context.expect_event(
            "response", lambda response: PREVIEW_PATH in response.url
        ) as answered,
        page.context.expect_page() as opened,
    ):
        link.click()
    response: Response = answered.value
    tab = opened.value
    kind = response.headers.get("content-type", "")
    if response.status != 200 or not kind.startswith("audio/"):
        raise WalkError(f"the preview answered {response.status} {kind}")
    size = tab.evaluate("async () => (await (await fetch(location.href)).arrayBuffer()).byteLength")
    # The tab is the browser's own media player: a duration means it decoded the audio.
    tab.wait_for_function("document.querySelector('video, audio')?.duration > 0")
    seconds = tab.evaluate("document.querySelector('video, audio').duration")
    print(f"  preview: {response.status} {kind}, {size} bytes, {seconds:.1f} s in a new tab")
    tab.close()
    if page.url != where or not page.locator("dialog-data-entry-flow step-flow-menu").count():
        raise WalkError(f"the preview link left the flow (now at {page.url})")


def _make_voice(page: Page, language: str, source: str, name: str) -> None:
    """Open the flow's `source` step (design or clone) with the voice's name filled in.

    A profile of that name left by an interrupted run is removed first.
    """
    remove_profiles(page, name)
    add_profile(page, language)
    choose(page, language, "user", source)
    dialog(page)
    field(page, "name").fill(name)


def design(page: Page, language: str) -> Iterator[Shot]:
    _make_voice(page, language, "design", "narrator")
    description, sentence = DESIGN[language]
    field(page, "description").fill(description)
    field(page, "preview_text").fill(sentence)
    yield "voice-design", dialog(page)
    submit(page)
    yield "voice-design-preview", dialog(page, "step-flow-menu")
    _listen(page)
    choose(page, language, "design_preview", "design_keep")
    yield "voice-design-voice", on_model(page, "qwen3-tts-vd-realtime")
    submit(page)
    entity_appears(page, "tts.narrator")
    remove_profiles(page, "narrator")


def _upload(page: Page, path: Path) -> None:
    """Choose a file in the form's file selector and wait until Home Assistant has it."""
    with page.expect_response(lambda response: "/api/file_upload" in response.url) as uploaded:
        page.locator("dialog-data-entry-flow input[type=file]").set_input_files(path)
    if uploaded.value.status != 200:
        raise WalkError(f"the upload answered {uploaded.value.status}")


def clone(page: Page, language: str) -> Iterator[Shot]:
    _make_voice(page, language, "clone", "grandma")
    yield "voice-clone", dialog(page)
    with tempfile.TemporaryDirectory() as folder:
        low, good = Path(folder, "16k"), Path(folder, "24k")
        for path, rate in ((low, 16000), (good, 24000)):
            path.mkdir()
            (path / "recording.wav").write_bytes(_recording(rate))
        _upload(page, low / "recording.wav")
        submit(page)
        form_error(page, language, "audio_sample_rate")
        yield "voice-clone-error", dialog(page)
        _upload(page, good / "recording.wav")
        submit(page)
    on_model(page, "qwen3-tts-vc-realtime")
    submit(page)
    entity_appears(page, "tts.grandma")
    remove_profiles(page, "grandma")


def voice_check(page: Page, language: str) -> Iterator[Shot]:
    """A made-up voice id typed for a system-voice model is refused when the profile is saved."""
    add_profile(page, language)
    choose(page, language, "user", "system_voice")
    dialog(page)
    submit(page)
    dialog(page)
    type_voice(page, "made_up_voice")
    submit(page)
    form_error(page, language, "unknown_voice")
    yield "voice-check-error", dialog(page)


def voice_assistant(page: Page, language: str) -> Iterator[Shot]:
    """The assistant's voice picker, with the demo profile as its text-to-speech engine.

    Nothing is saved: the dialog is left open when the walk ends.
    """
    page.goto(f"{BASE}/config/voice-assistants/assistants")
    assistants = page.locator("assist-pref").first
    assistants.wait_for()
    time.sleep(SETTLE)
    assistants.get_by_text("Home Assistant", exact=True).first.click()  # the demo's pipeline
    details = page.locator("dialog-voice-assistant-pipeline-detail").first
    details.locator("ha-tts-picker ha-picker-field").click()
    details.locator("ha-tts-picker ha-dropdown-item").filter(has_text=DEMO_PROFILE).first.click()
    voices = details.locator("ha-tts-voice-picker")
    voices.locator("ha-picker-field").first.click()
    first = voices.locator("ha-dropdown-item").first
    first.wait_for()
    if not first.inner_text().startswith(DEMO_VOICE):
        raise WalkError(f"the profile's voice is not listed first: {first.inner_text()}")
    time.sleep(SETTLE)
    yield "voice-assistant", page.locator("body")


VOICE_SCENES = [
    Scene("design", design),
    Scene("clone", clone),
    Scene("voice-check", voice_check),
    Scene("voice-assistant", voice_assistant),
]
