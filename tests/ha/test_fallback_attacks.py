"""A fallback voice under attack: a reload, a vanished engine, a broken engine, a long answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from homeassistant.components import tts
from homeassistant.components.tts.const import DATA_COMPONENT
from homeassistant.components.tts.entity import TTSAudioRequest
from homeassistant.components.tts.helper import get_engine_instance
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.qwen_tts_realtime import fallback as fallback_module
from custom_components.qwen_tts_realtime.fallback import MAX_KEPT_TEXT_BYTES
from qwen_tts_emulator import Emulator, Fault, Scenario

from .fallback_engine import BACKUP_ID, BackupEngine, backup_pcm
from .helpers import API_KEY, ENTITY_ID, eventually, pcm_of, stream_audio
from .test_fallback import MESSAGE, WAV, backup, entry_with_fallback, faults, late_after

__all__ = ["backup", "entry_with_fallback", "late_after"]


def leftover_tasks() -> list[asyncio.Task[object]]:
    """Tasks of this integration's fallback still running (the test's own excluded)."""
    return [
        task
        for task in asyncio.all_tasks()
        if task is not asyncio.current_task()
        and not task.done()
        and ("qwen_tts_fallback" in task.get_name() or "_first_audio" in repr(task.get_coro()))
    ]


async def open_answer(hass: HomeAssistant, text: AsyncGenerator[str]) -> AsyncGenerator[bytes]:
    engine = get_engine_instance(hass, ENTITY_ID)
    assert isinstance(engine, tts.TextToSpeechEntity)
    options = {**dict(engine.default_options or {}), **WAV}
    response = await engine.async_stream_tts_audio(TTSAudioRequest("en", options, text))
    return response.data_gen


async def test_cancelling_an_answer_during_the_race_leaves_nothing_running(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, backup: BackupEngine
) -> None:
    backup.gate = asyncio.Event()  # the fallback is asked but never speaks
    emulator.scenario = faults(Fault("stall", "before_audio"))  # nor does the service
    text_closed = asyncio.Event()

    async def text() -> AsyncGenerator[str]:
        try:
            yield MESSAGE
            await asyncio.Event().wait()
        finally:
            text_closed.set()

    audio = await open_answer(hass, text())
    reading = asyncio.create_task(anext(audio))
    await eventually(lambda: bool(backup.requests))
    reading.cancel()  # the user interrupts Assist
    await asyncio.wait((reading,))
    await audio.aclose()
    await hass.async_block_till_done()

    assert text_closed.is_set()
    assert leftover_tasks() == []
    await emulator.wait_idle()


async def test_a_fallback_engine_removed_while_configured_ends_with_the_services_error(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, backup: BackupEngine
) -> None:
    await hass.data[DATA_COMPONENT].async_remove_entity(BACKUP_ID)
    er.async_get(hass).async_remove(BACKUP_ID)
    emulator.scenario = Scenario(handshake_status=503)

    with pytest.raises(HomeAssistantError) as raised:
        await stream_audio(hass, MESSAGE, WAV)

    assert raised.value.translation_key == "cannot_connect"
    await emulator.wait_idle()


async def test_a_fallback_that_never_speaks_is_given_up_like_the_service(
    hass: HomeAssistant,
    emulator: Emulator,
    entry: MockConfigEntry,
    backup: BackupEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fallback_module, "FALLBACK_FIRST_AUDIO", 0.5)
    backup.gate = asyncio.Event()  # never set
    emulator.scenario = Scenario(handshake_status=503)

    with pytest.raises(HomeAssistantError) as raised:
        await stream_audio(hass, MESSAGE, WAV)

    assert raised.value.translation_key == "cannot_connect"
    assert leftover_tasks() == []


@pytest.mark.parametrize("garbage", [b"garbage!", b"<html>" * 2000, b""])
async def test_a_fallback_that_answers_garbage_ends_with_the_services_error(
    hass: HomeAssistant,
    emulator: Emulator,
    entry: MockConfigEntry,
    backup: BackupEngine,
    monkeypatch: pytest.MonkeyPatch,
    garbage: bytes,
) -> None:
    async def broken(request: TTSAudioRequest) -> tts.TTSAudioResponse:
        async def audio() -> AsyncGenerator[bytes]:
            async for _ in request.message_gen:
                yield garbage

        return tts.TTSAudioResponse("wav", audio())

    monkeypatch.setattr(backup, "async_stream_tts_audio", broken)
    emulator.scenario = Scenario(handshake_status=503)

    with pytest.raises(HomeAssistantError) as raised:
        await stream_audio(hass, MESSAGE, WAV)

    assert raised.value.translation_key == "cannot_connect"
    assert leftover_tasks() == []


async def test_an_answer_beyond_the_kept_text_that_fails_late_is_the_services_alone(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, backup: BackupEngine
) -> None:
    emulator.scenario = faults(Fault("close", "before_audio"))
    sentence = "Word " * 20 + "end. "
    long = sentence * (MAX_KEPT_TEXT_BYTES // len(sentence) + 10)

    async def text() -> AsyncGenerator[str]:
        for i in range(0, len(long), 500):
            yield long[i : i + 500]

    stream = tts.async_create_stream(hass, ENTITY_ID, "en", WAV)
    stream.async_set_message_stream(text())
    with pytest.raises(HomeAssistantError) as raised:
        b"".join([chunk async for chunk in stream.async_stream_result()])

    assert raised.value.translation_key == "connection_closed"
    assert not backup.requests
    assert leftover_tasks() == []
    await emulator.wait_idle()


async def test_a_reload_while_the_fallback_speaks_keeps_its_answer(
    hass: HomeAssistant, emulator: Emulator, entry: MockConfigEntry, backup: BackupEngine
) -> None:
    emulator.scenario = Scenario(handshake_status=503)
    audio = await open_answer(hass, _deltas(MESSAGE))
    first = await anext(audio)
    emulator.scenario = Scenario(api_keys=frozenset({API_KEY}))  # back, for the reload

    assert await hass.config_entries.async_reload(entry.entry_id)
    rest = b"".join([chunk async for chunk in audio])

    assert pcm_of(first + rest) == b"".join(
        backup_pcm(word + " ", 24000) for word in MESSAGE.split(" ")
    )
    assert backup.requests[-1].text_ended
    assert leftover_tasks() == []
    await emulator.wait_idle()


async def _deltas(message: str) -> AsyncGenerator[str]:
    for word in message.split(" "):
        yield word + " "
