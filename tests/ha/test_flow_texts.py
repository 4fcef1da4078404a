"""What the flows and repairs show: entry titles, the vendor's links and the translated outcomes."""

from __future__ import annotations

import re
from typing import cast

from homeassistant.config_entries import SOURCE_USER, SubentryFlowResult
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.qwen_tts_realtime.const import API_CONSOLE_URL, DOMAIN
from qwen_tts_emulator import Emulator, Fault

from .helpers import API_KEY, as_shown, first_link, link_targets, make_entry, with_faults
from .test_config_flow import VOICE_STEP, voice_step
from .test_hostile import speak_error

LANGUAGES = ["en", "zh-Hans"]


async def test_a_custom_endpoints_entry_is_titled_with_its_host(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    result = await voice_step(hass, emulator, "qwen3-tts-flash-realtime")
    result = await hass.config_entries.flow.async_configure(result["flow_id"], VOICE_STEP)

    assert result["title"] == "Qwen TTS (127.0.0.1)"


@pytest.mark.parametrize(
    ("language", "page"),
    [
        ("en", "https://www.alibabacloud.com/help/en/model-studio/get-api-key"),
        ("zh-Hans", "https://www.alibabacloud.com/help/zh/model-studio/get-api-key"),
    ],
)
@pytest.mark.parametrize("system_language", LANGUAGES)
async def test_the_api_key_help_opens_in_the_language_the_form_is_read_in(
    hass: HomeAssistant, language: str, page: str, system_language: str
) -> None:
    """A Chinese browser on an English Home Assistant links the Chinese page first, and the reverse.

    A flow's placeholders serve every language, and Home Assistant keeps a translation only with
    the English placeholders: each language links both pages, its own first.
    """
    hass.config.language = system_language
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    description = await as_shown(
        hass, language, "config.step.user.description", result["description_placeholders"]
    )
    assert first_link(description) == page


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("step", ["user", "reauth_confirm", "reconfigure"])
async def test_the_api_key_link_ends_where_the_url_ends(
    hass: HomeAssistant, language: str, step: str
) -> None:
    """A URL followed by full-width punctuation gets that punctuation linked into it."""
    strings = await async_get_translations(hass, language, "config", [DOMAIN])
    description = strings[f"component.{DOMAIN}.config.step.{step}.description"]

    assert re.search(r"\]\(\{api_key_url(_zh)?\}\)", description), description  # a markdown link


@pytest.mark.parametrize("language", LANGUAGES)
async def test_every_link_ends_where_its_url_ends(hass: HomeAssistant, language: str) -> None:
    """Each URL placeholder of every flow is a markdown link's target, never bare text."""
    for category in ("config", "config_subentries", "options"):
        strings = await async_get_translations(hass, language, category, [DOMAIN])
        for key, text in strings.items():
            for url in re.findall(r"\{(\w+_url)\}", text):
                assert f"]({{{url}}})" in text, key


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("code", ["Arrearage", "AccessDenied", "Throttling.AllocationQuota"])
async def test_an_account_repair_links_the_console_and_nothing_after_it(
    hass: HomeAssistant,
    emulator: Emulator,
    cold_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    language: str,
    code: str,
) -> None:
    """A bare address is linked up to the next space: in Chinese, the rest of the sentence."""
    emulator.scenario = with_faults(Fault("error", "after_update", code=code, message="No."))
    await speak_error(hass)
    await hass.async_block_till_done()
    issue = issue_registry.async_get_issue(DOMAIN, f"account_{cold_entry.entry_id}")
    assert issue is not None

    description = await as_shown(
        hass,
        language,
        f"issues.{issue.translation_key}.description",
        issue.translation_placeholders,
    )

    assert link_targets(description) == [API_CONSOLE_URL]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_reconfiguring_a_profile_ends_with_this_integrations_translated_message(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, language: str
) -> None:
    (subentry_id,) = entry.subentries
    result = cast(
        "SubentryFlowResult", await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Qwen TTS", "model": "qwen3-tts-flash-realtime"}
    )
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], VOICE_STEP)

    assert result["reason"] == "reconfigure_successful"
    assert result.get("translation_domain") is None  # not Home Assistant's own English string
    strings = await async_get_translations(hass, language, "config_subentries", [DOMAIN])
    message = strings[f"component.{DOMAIN}.config_subentries.tts.abort.reconfigure_successful"]
    entry_strings = await async_get_translations(hass, language, "config", [DOMAIN])
    assert message == entry_strings[f"component.{DOMAIN}.config.abort.reconfigure_successful"]


async def test_reconfiguring_the_region_retitles_an_entry_with_its_generated_title(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    entry = make_entry(emulator)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        title="Qwen TTS (Mainland China)",
        data={**entry.data, "region": "mainland_china", "endpoint": "wss://dashscope.aliyuncs.com"},
    )

    result = await entry.start_reconfigure_flow(hass)
    await hass.config_entries.flow.async_configure(
        result["flow_id"], {"region": "custom", "endpoint": emulator.url, "api_key": API_KEY}
    )
    await hass.async_block_till_done()

    assert entry.title == "Qwen TTS (127.0.0.1)"
    await hass.config_entries.async_unload(entry.entry_id)
