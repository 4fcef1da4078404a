"""The client reports each completed response's billed characters to `on_usage`."""

from __future__ import annotations

import pytest

from custom_components.qwen_tts_realtime.realtime import IncompleteAudioError, RealtimeClient
from qwen_tts_emulator import Emulator, Fault, Scenario

from .helpers import CONFIG, KEYS, TWO_SENTENCES, chunks, config, speak


async def test_synthesize_reports_the_characters_of_its_response(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    reported: list[int | None] = []

    await speak(client.synthesize(CONFIG, "Hi 你好, ok", on_usage=reported.append))

    assert reported == [11]  # Chinese characters count twice


async def test_stream_reports_every_response(emulator: Emulator, client: RealtimeClient) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    reported: list[int | None] = []

    await speak(client.stream(config(), chunks(TWO_SENTENCES), on_usage=reported.append))
    await emulator.wait_idle()

    assert len(reported) == len(emulator.sessions[0].segments) == 2
    assert sum(r for r in reported if r is not None) == emulator.sessions[0].usage_characters


async def test_a_response_without_usage_reports_none(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, usage_reported=False)
    reported: list[int | None] = []

    await speak(client.synthesize(CONFIG, "Hello.", on_usage=reported.append))

    assert reported == [None]


async def test_only_completed_responses_are_reported(
    emulator: Emulator, client: RealtimeClient
) -> None:
    incomplete = {"type": "response.done", "response": {"status": "incomplete", "usage": {}}}
    emulator.scenario = Scenario(
        api_keys=KEYS, faults=[Fault("frame", "after_response_done", frame=incomplete)]
    )
    reported: list[int | None] = []

    with pytest.raises(IncompleteAudioError):  # an incomplete response fails the utterance
        await speak(client.synthesize(CONFIG, "Hello.", on_usage=reported.append))

    assert reported == [6]
