"""Screenshot walks of custom voices: design one and listen to it, clone one from a recording,
meet a name the account already has, and delete the voices no profile uses.

Each walk also proves what its pictures show: the preview link really delivers audio in a new
tab (and leaves the flow open), and each profile it makes really becomes an entity. The profiles
are removed afterwards (and before, after an interrupted run): the demo's emulator forgets its
voices when it stops, so they would not speak in the next demo. The voices stay in the demo's
account until the last walk deletes them through the flow, as a user would.

Each language names its voices in its own words (any profile name works, Chinese too), so that
the second language's walks do not meet the first's voices.
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
    DEMO_PROFILE,
    DEMO_VOICE,
    DOMAIN,
    REPO,
    SETTLE,
    Scene,
    Shot,
    WalkError,
    add_profile,
    choose,
    close_flow,
    dialog,
    entity_named,
    field,
    flow_strings,
    form_error,
    menu_label,
    on_model,
    pick_language,
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
# The names of the profiles (and so of the voices) the design and clone walks make.
NAMES = {
    "en": {"design": "narrator", "clone": "grandma"},
    "zh-Hans": {"design": "老船长", "clone": "奶奶"},
}
# The language the assistant is switched to, as the frontend names it in that language (empty:
# the demo's, English), and how its voice list then labels the demo profile's voice.
ASSISTANT_LANGUAGE = {"en": "", "zh-Hans": "中文"}
DEMO_VOICE_LABEL = {"en": f"{DEMO_VOICE} (", "zh-Hans": f"{DEMO_VOICE}（"}
# The language of the recording the clone walk uploads, as the frontend names it (the form asks).
RECORDING_LANGUAGE = {"en": "English", "zh-Hans": "中文"}
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


def _describe(page: Page, language: str) -> None:
    """Fill in the design step's description and preview sentence."""
    description, sentence = DESIGN[language]
    field(page, "description").fill(description)
    field(page, "preview_text").fill(sentence)


def design(page: Page, language: str) -> Iterator[Shot]:
    """Design a voice, listen to it and keep it; then ask for that name again.

    The second design meets the name the account now has, and its menu leads to the account's
    voices, where the new one is listed with the profile that speaks with it.
    """
    name = NAMES[language]["design"]
    _make_voice(page, language, "design", name)
    _describe(page, language)
    yield "voice-design", dialog(page)
    submit(page)
    yield "voice-design-preview", dialog(page, "step-flow-menu")
    _listen(page)
    choose(page, language, "design_preview", "design_keep")
    kept = on_model(page, "qwen3-tts-vd-realtime")
    voice = page.locator("dialog-data-entry-flow ha-selector-select").first
    if not voice.get_by_text(name).filter(visible=True).count():
        raise WalkError(f"the voice field does not show {name} by its name")
    yield "voice-design-voice", kept
    submit(page)
    entity_named(page, name)
    add_profile(page, language)
    choose(page, language, "user", "design")
    dialog(page)
    field(page, "name").fill(name)
    _describe(page, language)
    submit(page)
    taken = dialog(page, "step-flow-menu")
    if not page.get_by_text(menu_label(language, "name_taken", "create_anyway")).count():
        raise WalkError("a second design of the same name was not asked about")
    yield "voice-name-taken", taken
    choose(page, language, "name_taken", "account_voice")
    listed = dialog(page)
    if not page.locator("dialog-data-entry-flow step-flow-form").get_by_text(f"→ {name}").count():
        raise WalkError(f"the account's voices do not say that {name} speaks with one")
    yield "voice-account", listed
    close_flow(page)
    remove_profiles(page, name)


def _upload(page: Page, path: Path) -> None:
    """Choose a file in the form's file selector and wait until Home Assistant has it."""
    with page.expect_response(lambda response: "/api/file_upload" in response.url) as uploaded:
        page.locator("dialog-data-entry-flow input[type=file]").set_input_files(path)
    if uploaded.value.status != 200:
        raise WalkError(f"the upload answered {uploaded.value.status}")


def clone(page: Page, language: str) -> Iterator[Shot]:
    name = NAMES[language]["clone"]
    _make_voice(page, language, "clone", name)
    pick_language(page, page.locator("dialog-data-entry-flow"), RECORDING_LANGUAGE[language])
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
    entity_named(page, name)
    remove_profiles(page, name)


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

    In Chinese the assistant is switched to Chinese first, as a Chinese household's is: its
    voices are then labelled in Chinese. Nothing is saved: the dialog is left open when the walk
    ends.
    """
    page.goto(f"{BASE}/config/voice-assistants/assistants")
    assistants = page.locator("assist-pref").first
    assistants.wait_for()
    time.sleep(SETTLE)
    assistants.get_by_text("Home Assistant", exact=True).first.click()  # the demo's pipeline
    details = page.locator("dialog-voice-assistant-pipeline-detail").first
    if spoken := ASSISTANT_LANGUAGE[language]:
        pick_language(page, details, spoken)  # the assistant's own language
    details.locator("ha-tts-picker ha-picker-field").click()
    details.locator("ha-tts-picker ha-dropdown-item").filter(has_text=DEMO_PROFILE).first.click()
    voices = details.locator("ha-tts-voice-picker")
    voices.locator("ha-picker-field").first.click()
    first = voices.locator("ha-dropdown-item").first
    first.wait_for()
    if not first.inner_text().startswith(DEMO_VOICE_LABEL[language]):
        raise WalkError(f"the profile's voice is not listed first, so: {first.inner_text()}")
    time.sleep(SETTLE)
    yield "voice-assistant", page.locator("body")


def unused_voices(page: Page, language: str) -> Iterator[Shot]:
    """List the account's voices no profile uses, and delete them all (not billed).

    The design and clone walks leave theirs: run this walk after them.
    """
    add_profile(page, language)
    choose(page, language, "user", "unused_voices")
    page.locator("dialog-data-entry-flow :is(step-flow-form, step-flow-abort)").first.wait_for()
    if page.locator("dialog-data-entry-flow step-flow-abort").count():
        raise WalkError("the account has no unused voices: walk design or clone first")
    listed = dialog(page)
    boxes = page.locator("dialog-data-entry-flow ha-selector-select ha-checkbox")
    if not boxes.count():
        raise WalkError("no voice is offered for deletion")
    yield "voice-unused", listed
    for index in range(boxes.count()):
        boxes.nth(index).click()
    submit(page)
    dialog(page)  # the confirmation, on its "Delete" button
    submit(page)
    done = flow_strings(language)["abort"]["voices_deleted"].split("{", maxsplit=1)[0]
    page.locator("dialog-data-entry-flow step-flow-abort").get_by_text(done).first.wait_for()
    close_flow(page)


VOICE_SCENES = [
    Scene("design", design),
    Scene("clone", clone),
    Scene("voice-check", voice_check),
    Scene("voice-assistant", voice_assistant),
]
# Last: it deletes the voices the walks before it made.
UNUSED_VOICES_SCENE = Scene("unused-voices", unused_voices)
