"""Injected faults: error events, abrupt closes, stalls and malformed frames."""

from __future__ import annotations

import asyncio
import base64

from qwen_tts_emulator import Emulator, Fault, Scenario, render_pcm

from .helpers import CLOSED, RESPONSE_EVENTS, connect, without_deltas

TWO_SENTENCES = "The first sentence. The second sentence."


async def test_error_after_update_then_stop() -> None:
    scenario = Scenario(
        faults=[Fault("error", "after_update", code="Throttling", message="Requests throttled.")]
    )
    async with Emulator(scenario) as emu:
        async with connect(emu) as client:
            await client.update(voice="Cherry")
            await client.append("Hello there. ")
            await client.send("session.finish")
            await client.until("error")
            assert await client.quiet(0.3)
        await emu.wait_idle()

    assert client.types() == ["session.created", "session.updated", "error"]
    error = client.events[-1]["error"]
    assert error["code"] == "Throttling"
    assert error["message"] == "Requests throttled."
    assert emu.sessions[0].closed_by_client is True
    assert emu.open_connections == 0


async def test_error_after_update_then_close() -> None:
    scenario = Scenario(faults=[Fault("error", "after_update", code="InvalidApiKey", then="close")])
    async with Emulator(scenario) as emu:
        async with connect(emu) as client:
            await client.update(voice="Cherry")
            await client.drain()
        await emu.wait_idle()

    assert client.types() == ["session.created", "session.updated", "error"]
    assert client.ws.close_code == 1000
    assert emu.sessions[0].closed_by_client is False


async def test_error_after_partial_audio() -> None:
    fault = Fault("error", "mid_stream", response=1, deltas=2, then="close")
    async with Emulator(Scenario(delta_bytes=4800, faults=[fault])) as emu:
        async with connect(emu) as client:
            await client.append(TWO_SENTENCES)
            await client.send("session.finish")
            await client.drain()
        await emu.wait_idle()

    types = client.types()
    assert without_deltas(types) == [
        "session.created",
        *RESPONSE_EVENTS,
        *RESPONSE_EVENTS[:4],
        "error",
    ]
    second_response = types[types.index("response.done") + 1 :]
    assert second_response.count("response.audio.delta") == 2
    first = render_pcm("The first sentence.")
    second = render_pcm("The second sentence.")
    assert client.audio() == first + second[:9600]
    assert emu.sessions[0].pcm == client.audio()
    assert emu.sessions[0].usage_characters == len("The first sentence.")


async def test_error_between_responses_then_continue() -> None:
    fault = Fault("error", "after_response_done", response=0, code="InternalError", then="continue")
    async with Emulator(Scenario(faults=[fault])) as emu:
        async with connect(emu) as client:
            await client.append(TWO_SENTENCES)
            await client.send("session.finish")
            await client.drain()
        await emu.wait_idle()

    assert without_deltas(client.types()) == [
        "session.created",
        *RESPONSE_EVENTS,
        "error",
        *RESPONSE_EVENTS,
        "session.finished",
    ]
    assert emu.sessions[0].faults_fired == [fault]


async def test_close_after_created_drops_the_connection() -> None:
    async with Emulator(Scenario(faults=[Fault("close", "after_created")])) as emu:
        async with connect(emu) as client:
            await client.update(voice="Cherry")
            await client.drain()
        await emu.wait_idle()

    assert client.types() == ["session.created"]
    assert client.ws.close_code == 1006
    assert emu.sessions[0].closed_by_client is False
    assert emu.open_connections == 0


async def test_close_before_audio_with_a_close_frame() -> None:
    scenario = Scenario(faults=[Fault("close", "before_audio", close_code=1011)])
    async with Emulator(scenario) as emu:
        async with connect(emu) as client:
            await client.append("Never heard.\n")
            await client.drain()
        await emu.wait_idle()

    assert client.types() == ["session.created", *RESPONSE_EVENTS[:3]]
    assert client.ws.close_code == 1011
    assert emu.sessions[0].pcm == b""


async def test_close_mid_stream() -> None:
    scenario = Scenario(delta_bytes=1000, faults=[Fault("close", "mid_stream", deltas=3)])
    async with Emulator(scenario) as emu:
        async with connect(emu) as client:
            await client.append("Cut off in the middle.\n")
            await client.drain()
        await emu.wait_idle()

    assert client.types().count("response.audio.delta") == 3
    assert "response.audio.done" not in client.types()
    assert client.audio() == render_pcm("Cut off in the middle.")[:3000]
    assert client.ws.close_code == 1006


async def test_close_after_response_done_skips_session_finished() -> None:
    scenario = Scenario(faults=[Fault("close", "after_response_done", response=1)])
    async with Emulator(scenario) as emu:
        async with connect(emu) as client:
            await client.append(TWO_SENTENCES)
            await client.send("session.finish")
            await client.drain()
        await emu.wait_idle()

    types = client.types()
    assert types.count("response.done") == 2
    assert types[-1] == "response.done"
    assert "session.finished" not in types


async def test_stall_before_audio_delays_the_first_delta() -> None:
    scenario = Scenario(faults=[Fault("stall", "before_audio", seconds=0.3)])
    async with Emulator(scenario) as emu, connect(emu) as client:
        await client.append("Slow start.\n")
        await client.until("response.content_part.added")
        part_at = client.arrivals[-1]
        await client.until("response.audio.delta")
        delta_at = client.arrivals[-1]
        await client.send("session.finish")
        await client.drain()

    assert delta_at - part_at >= 0.25
    assert client.types()[-1] == "session.finished"


async def test_stall_mid_stream_until_the_client_closes() -> None:
    scenario = Scenario(delta_bytes=1000, faults=[Fault("stall", "mid_stream", deltas=2)])
    async with Emulator(scenario) as emu:
        async with connect(emu) as client:
            await client.append("Stuck forever.\n")
            await client.send("session.finish")
            await client.until("response.audio.delta")
            await client.until("response.audio.delta")
            assert await client.quiet(0.3)
        await emu.wait_idle()

    assert client.types().count("response.audio.delta") == 2
    assert emu.sessions[0].closed_by_client is True
    assert emu.open_connections == 0


async def test_malformed_text_frame_mid_stream() -> None:
    scenario = Scenario(delta_bytes=1000, faults=[Fault("malformed", "mid_stream", deltas=1)])
    async with Emulator(scenario) as emu, connect(emu) as client:
        await client.append("Garbled.")
        await client.send("session.finish")
        await client.drain()

    assert len(client.bad_text_frames) == 1
    assert client.types()[-1] == "session.finished"
    assert client.audio() == render_pcm("Garbled.")


async def test_malformed_binary_frame_before_audio() -> None:
    scenario = Scenario(faults=[Fault("malformed", "before_audio", binary=True)])
    async with Emulator(scenario) as emu, connect(emu) as client:
        await client.append("Binary.")
        await client.send("session.finish")
        await client.drain()

    assert len(client.binary_frames) == 1
    assert client.types()[-1] == "session.finished"


async def test_fault_limited_to_one_connection() -> None:
    fault = Fault("error", "after_update", code="Throttling", then="close", connection=0)
    async with Emulator(Scenario(faults=[fault])) as emu:
        for _ in range(2):
            async with connect(emu) as client:
                await client.update(voice="Cherry")
                await client.append("Retry.")
                await client.send("session.finish")
                await client.drain()
        await emu.wait_idle()

    assert emu.sessions[0].faults_fired == [fault]
    assert emu.sessions[1].faults_fired == []
    assert emu.sessions[1].segments == ["Retry."]
    assert "session.finished" in emu.sessions[1].sent


async def test_mid_stream_fault_past_the_last_delta_fires_at_the_end() -> None:
    scenario = Scenario(faults=[Fault("close", "mid_stream", deltas=1000)])
    async with Emulator(scenario) as emu, connect(emu) as client:
        await client.append("Short.\n")
        events = await client.drain()

    deltas = [base64.b64decode(e["delta"]) for e in events if e["type"] == "response.audio.delta"]
    assert b"".join(deltas) == render_pcm("Short.")
    assert client.types()[-1] == "response.audio.delta"
    assert (await client.next())["type"] == CLOSED


async def test_stop_closes_a_stalled_session() -> None:
    emu = Emulator(Scenario(faults=[Fault("stall", "before_audio")]))
    await emu.start()
    async with connect(emu) as client:
        await client.append("Stalled.\n")
        await client.until("response.content_part.added")
        stopping = asyncio.create_task(emu.stop())
        assert await client.drain() == []
        await stopping

    assert client.ws.close_code == 1001
    assert emu.open_connections == 0
