"""The runtime translation check (tests/ha/translations_check.py) catches what it is there for."""

from __future__ import annotations

import copy
from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir

from custom_components.qwen_tts_realtime.const import API_KEY_LINKS, DOMAIN
from qwen_tts_emulator import Emulator

from .translations_check import TranslationCheck, load_translations, unused


def without(key: str) -> dict[str, Any]:
    """Every translation file, as if `key` (dotted) had been renamed in each."""
    files = copy.deepcopy(load_translations())
    for tree in files.values():
        *parents, last = key.split(".")
        node: Any = tree
        for part in parents:
            node = node[part]
        del node[last]
    return files


def test_a_form_error_missing_from_every_file_is_reported() -> None:
    check = TranslationCheck(load_translations())
    result = {
        "type": FlowResultType.FORM,
        "step_id": "user",
        "errors": {"base": "no_such_error"},
        "description_placeholders": dict(API_KEY_LINKS),
    }
    check.flow_result("config", result)

    assert check.problems == [
        f"{name}: config.error.no_such_error is missing"
        for name in ("strings.json", "en.json", "zh-Hans.json")
    ]


def test_a_step_description_needs_its_placeholders() -> None:
    """The voice step's description shows {model}: a form that does not give it is reported."""
    check = TranslationCheck(load_translations())
    check.flow_result("config", {"type": FlowResultType.FORM, "step_id": "voice"})

    assert "strings.json: config.step.voice.description shows ['model'], the code gives []" in (
        check.problems
    )


def test_an_unknown_abort_reason_is_reported() -> None:
    check = TranslationCheck(load_translations())
    check.flow_result("config_subentries.tts", {"type": FlowResultType.ABORT, "reason": "gone"})

    assert "zh-Hans.json: config_subentries.tts.abort.gone is missing" in check.problems


async def test_a_renamed_form_error_fails_the_flow_test(
    hass: HomeAssistant, emulator: Emulator, check_translations: TranslationCheck
) -> None:
    """Through a real config flow: the wrong key's error, renamed in the strings, is caught."""
    check_translations.translations = without("config.error.invalid_auth")
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": "sk-wrong", "region": "custom", "endpoint": emulator.url}
    )

    assert result["errors"] == {"base": "invalid_auth"}
    assert "strings.json: config.error.invalid_auth is missing" in check_translations.problems
    check_translations.problems.clear()  # caught: this test passes


def test_a_translated_error_needs_its_message_and_exactly_its_placeholders(
    check_translations: TranslationCheck,
) -> None:
    HomeAssistantError(translation_domain=DOMAIN, translation_key="no_such_error")
    HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="connect_timeout",
        translation_placeholders={"seconds": "10", "endpoint": "wss://example"},
    )

    assert check_translations.problems[0] == (
        "strings.json: exceptions.no_such_error.message is missing"
    )
    assert (
        "strings.json: exceptions.connect_timeout.message shows ['seconds'], "
        "the code gives ['endpoint', 'seconds']"
    ) in check_translations.problems
    check_translations.problems.clear()


async def test_a_repair_issue_needs_its_strings(
    hass: HomeAssistant, check_translations: TranslationCheck
) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        "some_issue",
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="no_such_issue",
    )

    assert check_translations.problems[:2] == [
        "strings.json: issues.no_such_issue.title is missing",
        "en.json: issues.no_such_issue.title is missing",
    ]
    check_translations.problems.clear()


def test_strings_no_test_produced_are_listed() -> None:
    strings = load_translations()["strings.json"]
    icons = {"entity": {"tts": {"voice_profile": {"default": "mdi:account-voice"}}}}
    used = {f"exceptions.{key}.message" for key in strings["exceptions"]} - {
        "exceptions.no_audio.message"
    }

    assert unused(used, strings, icons) == [
        "exceptions.no_audio",
        "icons.json: entity.tts.voice_profile",
    ]
