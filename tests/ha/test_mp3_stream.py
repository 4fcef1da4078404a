"""mp3 passed through from the service: one continuous MPEG stream, however many responses."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from qwen_tts_emulator import Emulator, render_pcm

from ..helpers import ID3V2_4, needs_ffmpeg, probe_mp3
from .helpers import fetch_url_audio, utterances, utterances_closed

SENTENCES = ["The washing machine has finished.", "The dryer is next.", "Then fold it all."]
MARGIN_SECONDS = 0.1  # per sentence: the encoder's delay and padding at each start and end


@needs_ffmpeg
async def test_several_responses_play_as_one_mp3_file(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    emulator: Emulator,
    entry: MockConfigEntry,
) -> None:
    data = await fetch_url_audio(hass_client, " ".join(SENTENCES))

    record = utterances(emulator)[-1]
    assert record.config["response_format"] == "mp3"
    assert record.segments == SENTENCES  # one response each, each an mp3 file of its own
    assert record.audio.count(ID3V2_4) == len(SENTENCES)
    assert "Header missing" in (await probe_mp3(record.audio)).errors  # glued as they came
    assert data.startswith(ID3V2_4)
    assert data.count(ID3V2_4) == 1
    probe = await probe_mp3(data)
    assert probe.errors == ""  # no "Header missing" at a seam
    spoken = sum(len(render_pcm(s, sample_rate=24000)) / 2 / 24000 for s in SENTENCES)
    assert abs(probe.decoded_seconds - spoken) < MARGIN_SECONDS * len(SENTENCES)
    assert abs(probe.probed_seconds - spoken) < MARGIN_SECONDS * len(SENTENCES)
    await utterances_closed(emulator)
