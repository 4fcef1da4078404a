"""What the READMEs link: the vendor's pages the forms link, each in the README's language."""

from __future__ import annotations

import re

import pytest

from custom_components.qwen_tts_realtime.const import API_KEY_LINKS, PRICING_LINKS

from .files import ROOT

RE_LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize(("readme", "suffix"), [("README.md", ""), ("README.zh-Hans.md", "_zh")])
@pytest.mark.parametrize(
    ("links", "name"), [(API_KEY_LINKS, "api_key_url"), (PRICING_LINKS, "pricing_url")]
)
def test_a_readme_links_the_vendor_page_the_forms_link_in_its_own_language(
    readme: str, suffix: str, links: dict[str, str], name: str
) -> None:
    targets = set(RE_LINK_TARGET.findall((ROOT / readme).read_text(encoding="utf-8")))
    own = links[f"{name}{suffix}"]

    assert own in targets
    assert not (set(links.values()) - {own}) & targets  # not the other language's page
