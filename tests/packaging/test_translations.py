"""strings.json and its translations: parity, hassfest's rules, the catalogue's options, icons.

That every key the code produces exists is checked at run time (tests/ha/translations_check.py).
"""

from __future__ import annotations

from collections.abc import Iterator
import re
from typing import Any

import pytest

from custom_components.qwen_tts_realtime.realtime import SELECTABLE_MODELS, Region
from tests.ha.translations_check import leaves, load_translations, placeholders

from .files import INTEGRATION, read_json, strings

RE_TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
RE_SLUG = re.compile(r"^[a-z0-9_]+$")
RE_HTML = re.compile(r"<[a-z/][^>]*>", re.IGNORECASE)
RE_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[a-z0-9]|\bwww\.[a-z0-9]", re.IGNORECASE)
RE_QUOTED_PLACEHOLDER = re.compile(r"'\{\w+\}'")

TRANSLATIONS = load_translations()


def test_english_translation_is_strings_json() -> None:
    """translations/en.json is what Home Assistant loads; strings.json is its source."""
    assert read_json(INTEGRATION / "translations" / "en.json") == strings()


@pytest.mark.parametrize("name", TRANSLATIONS)
def test_translation_matches_strings_json(name: str) -> None:
    """Every translation has exactly the keys of strings.json, with the same placeholders."""
    source = dict(leaves(strings()))
    translated = dict(leaves(TRANSLATIONS[name]))
    assert set(translated) == set(source), (
        f"missing: {sorted(set(source) - set(translated))}, "
        f"extra: {sorted(set(translated) - set(source))}"
    )
    for key, text in translated.items():
        assert placeholders(text) == placeholders(source[key]), key


@pytest.mark.parametrize("name", TRANSLATIONS)
def test_translation_values(name: str) -> None:
    """Hassfest's value rules: plain text, no URLs, valid placeholders, no references."""
    for key, text in leaves(TRANSLATIONS[name]):
        assert isinstance(text, str), key
        assert text, f"{key} is empty"
        assert text == text.strip(), f"{key} has leading or trailing spaces"
        assert not RE_HTML.search(text), f"{key} contains HTML"
        assert not RE_URL.search(text), f"{key} contains a URL: use a description placeholder"
        assert not RE_QUOTED_PLACEHOLDER.search(text), f"{key} quotes a placeholder"
        # References are resolved only for core integrations, when their strings are built.
        assert "[%key:" not in text, f"{key} uses a reference"
        assert all(field.isidentifier() for field in placeholders(text)), key


def _flows(found: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for section in ("config", "options"):
        if section in found:
            yield section, found[section]
    for subentry_type, flow in found.get("config_subentries", {}).items():
        yield f"config_subentries.{subentry_type}", flow


def test_strings_structure() -> None:
    """Hassfest's schema rules that a plain key comparison does not catch."""
    found = strings()
    for name, flow in _flows(found):
        for step_id, step in flow.get("step", {}).items():
            extra = set(step.get("data_description", {})) - set(step.get("data", {}))
            assert not extra, f"{name}.step.{step_id}: data_description without data: {extra}"
    for subentry_type, flow in found.get("config_subentries", {}).items():
        assert "entry_type" in flow, subentry_type
        assert "user" in flow.get("initiate_flow", {}), subentry_type
    for selector, content in found.get("selector", {}).items():
        for option in content.get("options", {}):
            assert RE_TRANSLATION_KEY.match(option), f"selector.{selector}: {option}"
    for section in ("exceptions", "issues"):
        for key in found.get(section, {}):
            assert RE_SLUG.match(key), f"{section}.{key}"
    for key, issue in found.get("issues", {}).items():
        assert "title" in issue, key
        assert ("description" in issue) != ("fix_flow" in issue), key


def test_selector_options_are_translated() -> None:
    """Each option the config flow can offer has a label (the lists are built from the catalog).

    The flows the tests walk show only some models' rates; this covers every one.
    """
    selector = strings()["selector"]
    assert set(selector["region"]["options"]) == {region.value for region in Region}
    assert set(selector["model"]["options"]) == {model.name for model in SELECTABLE_MODELS}
    rates = {str(rate) for model in SELECTABLE_MODELS for rate in model.sample_rates}
    assert rates <= set(selector["sample_rate"]["options"])


def test_entity_icons_are_mdi_icons() -> None:
    """icons.json holds Material Design icons (that each is used is checked at run time)."""
    icons = read_json(INTEGRATION / "icons.json").get("entity", {})
    for platform, keys in icons.items():
        for key, icon in keys.items():
            assert icon.get("default", "mdi:").startswith("mdi:"), f"{platform}.{key}"
            assert all(v.startswith("mdi:") for v in icon.get("state", {}).values()), key
