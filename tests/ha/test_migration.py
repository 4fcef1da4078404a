"""Entries written by earlier versions keep working, talking to the same endpoint with the same key.

Entries of version 1.1 knew two vendor regions and custom endpoints. Version 1.2 knows six
regions: a custom endpoint that is one of their addresses becomes that region, and nothing changes
where any entry connects. The vendor regions are emulators behind their real host names.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.qwen_tts_realtime.config_flow import QwenTTSConfigFlow
from custom_components.qwen_tts_realtime.const import (
    CONF_ENDPOINT,
    CONF_KEEP_WARM,
    CONF_REGION,
    DOMAIN,
    SUBENTRY_TTS,
    KeepWarm,
)
from custom_components.qwen_tts_realtime.realtime import Region, endpoint_for
from qwen_tts_emulator import Emulator, VendorRegions

from .helpers import API_KEY, PROFILE, setup_entry, stream_audio

WORKSPACE = "llm-0123abcd"


def old_entry(
    region: str, endpoint: str, *, version: int = 1, minor_version: int = 1, **more: Any
) -> MockConfigEntry:
    """An entry as an earlier (or later) version stored it, with one profile."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Qwen TTS",
        version=version,
        minor_version=minor_version,
        data={CONF_API_KEY: API_KEY, CONF_REGION: region, CONF_ENDPOINT: endpoint, **more},
        options={CONF_KEEP_WARM: KeepWarm.OFF},
        subentries_data=[
            ConfigSubentryData(
                subentry_type=SUBENTRY_TTS, title="Qwen TTS", data=PROFILE, unique_id=None
            )
        ],
    )


def served_by(regions: VendorRegions) -> list[tuple[Region, str | None]]:
    """The region and workspace header of every session the regions served, in no order."""
    return [
        (region, session.header("X-DashScope-WorkSpace"))
        for region, emulator in regions.emulators.items()
        for session in emulator.sessions
    ]


def test_the_config_flow_writes_the_current_version() -> None:
    assert (QwenTTSConfigFlow.VERSION, QwenTTSConfigFlow.MINOR_VERSION) == (1, 2)


@pytest.mark.parametrize(
    ("region", "speaks_in"),
    [("international", Region.INTERNATIONAL), ("mainland_china", Region.MAINLAND_CHINA)],
)
async def test_an_entry_of_a_vendor_region_keeps_its_region_and_endpoint(
    hass: HomeAssistant, regions: VendorRegions, region: str, speaks_in: Region
) -> None:
    endpoint = endpoint_for(Region(region))
    entry = old_entry(region, endpoint)
    data = dict(entry.data)

    await setup_entry(hass, entry)
    await stream_audio(hass, "Hello.")

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 2)
    assert entry.data == data
    assert served_by(regions) == [(speaks_in, None), (speaks_in, None)]  # the check, then speech


async def test_a_custom_endpoint_of_its_own_stays_custom(
    hass: HomeAssistant, emulator: Emulator
) -> None:
    entry = old_entry("custom", emulator.url)
    data = dict(entry.data)

    await setup_entry(hass, entry)
    await stream_audio(hass, "Hello.")

    assert entry.state is ConfigEntryState.LOADED
    assert entry.minor_version == 2
    assert entry.data == data
    assert len(emulator.sessions) == 2


@pytest.mark.parametrize(
    ("endpoint", "region", "workspace"),
    [
        ("wss://dashscope-intl.aliyuncs.com/api-ws/v1/realtime", Region.INTERNATIONAL, None),
        ("wss://dashscope.aliyuncs.com/api-ws/v1/realtime", Region.MAINLAND_CHINA, None),
        (
            f"wss://{WORKSPACE}.cn-hongkong.maas.aliyuncs.com/api-ws/v1/realtime",
            Region.HONG_KONG,
            WORKSPACE,
        ),
        (
            f"wss://{WORKSPACE}.eu-central-1.maas.aliyuncs.com/api-ws/v1/realtime",
            Region.GERMANY,
            WORKSPACE,
        ),
    ],
    ids=["singapore-shared", "beijing-shared", "hong-kong-gateway", "frankfurt-gateway"],
)
async def test_a_custom_endpoint_that_is_a_vendor_region_becomes_that_region(
    hass: HomeAssistant,
    regions: VendorRegions,
    endpoint: str,
    region: Region,
    workspace: str | None,
) -> None:
    entry = old_entry("custom", endpoint)

    await setup_entry(hass, entry)
    await stream_audio(hass, "Hello.")

    assert entry.state is ConfigEntryState.LOADED
    assert entry.data == {CONF_API_KEY: API_KEY, CONF_REGION: region.value, CONF_ENDPOINT: endpoint}
    assert endpoint_for(region, workspace=workspace) == endpoint
    assert served_by(regions) == [(region, workspace), (region, workspace)]


async def test_an_entry_of_a_newer_minor_version_is_kept_as_it_is(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    endpoint = endpoint_for(Region.JAPAN, workspace=WORKSPACE)
    entry = old_entry(Region.JAPAN.value, endpoint, minor_version=3, added_later="kept")
    data = dict(entry.data)

    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 3)
    assert entry.data == data
    assert served_by(regions) == [(Region.JAPAN, WORKSPACE)]


async def test_an_entry_of_a_newer_major_version_is_refused_untouched(
    hass: HomeAssistant, regions: VendorRegions
) -> None:
    entry = old_entry("custom", endpoint_for(Region.INTERNATIONAL), version=2)
    data = dict(entry.data)

    await setup_entry(hass, entry)

    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert (entry.version, dict(entry.data)) == (2, data)
    assert served_by(regions) == []
