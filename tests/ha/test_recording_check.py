"""The recording check measures the audio a file holds, not the length its header declares.

A file cut short (an interrupted copy or download) still declares its whole length: a WAV's data
size, an MP3's Xing frame count, an M4A's index. Sent on, the vendor bills the clone and fails, or
clones noise; the check refuses it first.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from qwen_tts_emulator import Emulator

from ..helpers import needs_ffmpeg
from ..recordings import recording
from .test_voice_flows import assert_translated, start, step, upload

# ffmpeg's arguments for each format: an MP3 written to a file gets a Xing header (its frame
# count); an M4A with +faststart has its index (the durations) before the audio.
ENCODINGS = {
    "mp3": ["-c:a", "libmp3lame"],
    "m4a": ["-c:a", "aac", "-movflags", "+faststart"],
}


async def encoded(tmp_path: Path, extension: str, seconds: float = 12) -> bytes:
    """Return `recording(seconds)` encoded by ffmpeg as `extension`."""
    if extension == "wav":
        return recording(seconds)
    source, target = tmp_path / "voice.wav", tmp_path / f"voice.{extension}"
    source.write_bytes(recording(seconds))
    process = await asyncio.create_subprocess_exec(
        "ffmpeg", "-loglevel", "error", "-i", str(source), *ENCODINGS[extension], str(target)
    )  # fmt: skip
    assert await process.wait() == 0
    return target.read_bytes()


async def clone_step_errors(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    entry: MockConfigEntry,
    content: bytes,
    name: str,
) -> dict[str, str] | None:
    file_id = await upload(hass_client, content, name)
    result = await start(hass, entry, "clone")
    result = await step(result, hass, name="grandma", audio=file_id, language="en")
    return result.get("errors")


@needs_ffmpeg
@pytest.mark.parametrize("extension", ["wav", "mp3", "m4a"])
async def test_a_recording_cut_to_a_few_kilobytes_is_refused_as_truncated(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    tmp_path: Path,
    extension: str,
) -> None:
    whole = await encoded(tmp_path, extension)

    errors = await clone_step_errors(hass, hass_client, entry, whole[:8000], f"cut.{extension}")

    assert errors == {"audio": "audio_truncated"}
    assert emulator.voices.requests == []
    await assert_translated(hass, "error", "audio_truncated")


@needs_ffmpeg
@pytest.mark.parametrize("extension", ["wav", "mp3", "m4a"])
async def test_a_recording_missing_its_last_seconds_is_refused_as_truncated(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    tmp_path: Path,
    extension: str,
) -> None:
    whole = await encoded(tmp_path, extension)

    errors = await clone_step_errors(
        hass, hass_client, entry, whole[: len(whole) * 3 // 4], f"cut.{extension}"
    )

    assert errors == {"audio": "audio_truncated"}
    assert emulator.voices.requests == []


@needs_ffmpeg
@pytest.mark.parametrize("extension", ["wav", "mp3", "m4a"])
async def test_a_whole_recording_passes_the_check(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
    tmp_path: Path,
    extension: str,
) -> None:
    whole = await encoded(tmp_path, extension)

    errors = await clone_step_errors(hass, hass_client, entry, whole, f"whole.{extension}")

    assert not errors
    assert len(emulator.voices.actions("create")) == 1
