"""Spare connections: opened ahead, used once, replaced, dropped when idle, closed by close()."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import logging

import pytest

from custom_components.qwen_tts_realtime.realtime import AuthenticationError, RealtimeClient
from custom_components.qwen_tts_realtime.realtime.timing import KeepAlive, Timeouts
from qwen_tts_emulator import Emulator, Fault, Scenario

from ..helpers import all_closed, eventually, has_spare, utterances
from .helpers import (
    CONFIG,
    INSTRUCT_MODEL,
    KEY,
    KEYS,
    MODEL,
    ClientFactory,
    config,
    speak,
)


async def warm_up(client: RealtimeClient, *models: str, idle_timeout: float = 60.0) -> None:
    """Enable spares for `models` and wait until each one is connected."""
    client.keep_warm(models or (MODEL,), idle_timeout)
    await eventually(lambda: all(has_spare(client, m) for m in models or (MODEL,)))


async def test_utterance_takes_the_spare_without_a_handshake(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    await warm_up(client)
    handshakes = emulator.handshake_attempts

    audio = await speak(client.synthesize(CONFIG, "Hello."))

    spare = emulator.sessions[0]
    assert handshakes == 1
    assert utterances(emulator) == [spare]  # the speech went over the socket opened ahead
    assert spare.received_types()[0] == "session.update"
    assert audio == spare.pcm
    # The only handshake since is the replacement's, which carries no session.
    assert emulator.handshake_attempts == 2
    assert emulator.sessions[1].received == []


async def test_spare_is_replaced_after_use(emulator: Emulator, client: RealtimeClient) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    await warm_up(client)

    await speak(client.synthesize(CONFIG, "Hello."))
    await eventually(lambda: has_spare(client, MODEL))

    replacement = emulator.sessions[1]
    assert emulator.open_connections == 1
    assert replacement.closed_at is None
    assert replacement.received == []


async def test_spare_is_never_reused_for_a_second_session(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    await warm_up(client)

    first = await speak(client.synthesize(CONFIG, "First."))
    await eventually(lambda: has_spare(client, MODEL))
    second = await speak(client.synthesize(CONFIG, "Second."))

    sessions = utterances(emulator)
    assert [s.index for s in sessions] == [0, 1]  # each utterance on its own socket
    assert all(s.received_types().count("session.update") == 1 for s in sessions)
    assert all_closed(sessions)
    assert (first, second) == (sessions[0].pcm, sessions[1].pcm)


async def test_spare_unused_for_the_idle_timeout_is_closed_and_not_replaced(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    await warm_up(client, idle_timeout=0.05)

    await emulator.wait_idle()
    await asyncio.sleep(0.1)  # a replacement, if any, would be connecting by now

    assert emulator.sessions[0].closed_by_client is True
    assert emulator.sessions[0].received == []
    assert emulator.handshake_attempts == 1
    assert not has_spare(client, MODEL)


async def test_next_utterance_after_idle_goes_cold_and_opens_a_spare(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    await warm_up(client, idle_timeout=0.05)
    await emulator.wait_idle()

    await speak(client.synthesize(CONFIG, "Hello."))
    await eventually(lambda: emulator.handshake_attempts == 3)

    idle, cold, spare = emulator.sessions
    assert utterances(emulator) == [cold]
    assert idle.received == spare.received == []


async def test_spare_closed_by_the_service_is_noticed_and_dropped(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(
        api_keys=KEYS, faults=[Fault("close", "after_created", connection=0, close_code=1001)]
    )
    client.keep_warm([MODEL])
    await eventually(lambda: emulator.connections_total == 1)
    await emulator.wait_idle()
    await eventually(lambda: not has_spare(client, MODEL))

    audio = await speak(client.synthesize(CONFIG, "Hello."))
    await eventually(lambda: has_spare(client, MODEL))

    fresh = emulator.sessions[1] if emulator.sessions[1].received else emulator.sessions[2]
    assert utterances(emulator) == [fresh]
    assert audio == fresh.pcm
    assert emulator.sessions[0].received == []


@pytest.mark.parametrize(
    "fault",
    [
        Fault("error", "after_created", connection=0, then="continue"),
        Fault("malformed", "after_created", connection=0),
    ],
)
async def test_spare_that_gets_an_error_while_idle_is_dropped(
    emulator: Emulator, client: RealtimeClient, fault: Fault
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, faults=[fault])
    client.keep_warm([MODEL])
    await eventually(lambda: bool(emulator.sessions) and emulator.sessions[0].closed_at is not None)

    audio = await speak(client.synthesize(CONFIG, "Hello."))

    (used,) = utterances(emulator)
    assert used.index != 0
    assert audio == used.pcm
    assert emulator.sessions[0].closed_by_client is True


async def test_spare_that_dies_when_taken_falls_back_to_a_fresh_connection(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(
        api_keys=KEYS, faults=[Fault("close", "after_update", connection=0)]
    )
    await warm_up(client)

    audio = await speak(client.synthesize(CONFIG, "Hello."))
    await eventually(lambda: has_spare(client, MODEL))

    spare, *others = utterances(emulator)
    assert spare.index == 0
    assert spare.pcm == b""
    assert len(others) == 1
    assert audio == others[0].pcm


async def test_dead_spare_does_not_use_up_the_retry(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(
        api_keys=KEYS, faults=[Fault("close", "after_update", connection=0)]
    )
    await warm_up(client)
    # Connections 1 and 2 are the replacement spare and the fresh connection, in either order:
    # the fresh one fails too (the replacement never sends session.update), the retry works.
    emulator.scenario = Scenario(
        api_keys=KEYS,
        faults=[
            Fault("close", "after_update", connection=1),
            Fault("close", "after_update", connection=2),
        ],
    )

    audio = await speak(client.synthesize(CONFIG, "Hello."))

    attempts = utterances(emulator)
    assert [r.pcm == b"" for r in attempts] == [True, True, False]
    assert attempts[-1].index == 3
    assert audio == attempts[-1].pcm


async def test_spare_that_never_answers_falls_back(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    emulator.scenario = Scenario(
        api_keys=KEYS, faults=[Fault("stall", "after_created", connection=0)]
    )
    client = make_client(timeouts=Timeouts(connect=0.1))
    await warm_up(client)

    audio = await speak(client.synthesize(CONFIG, "Hello."))

    spare, fresh = utterances(emulator)
    assert spare.index == 0
    assert spare.pcm == b""
    assert audio == fresh.pcm


async def test_utterance_waits_for_a_spare_still_connecting(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, handshake_delay=0.1)
    client.keep_warm([MODEL])

    await speak(client.synthesize(CONFIG, "Hello."))

    assert [r.index for r in utterances(emulator)] == [0]  # the spare's own handshake
    assert emulator.handshake_attempts == 2


async def test_spare_that_cannot_connect_leaves_the_error_to_the_utterance(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    client = make_client("sk-wrong")
    client.keep_warm([MODEL])
    await eventually(lambda: emulator.handshakes_rejected == 1)

    with pytest.raises(AuthenticationError):
        await speak(client.synthesize(CONFIG, "Hello."))

    assert emulator.connections_total == 0


async def test_spare_failing_while_the_utterance_waits_for_it(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, handshake_delay=0.05)
    client = make_client("sk-wrong")
    client.keep_warm([MODEL])

    with pytest.raises(AuthenticationError):
        await speak(client.synthesize(CONFIG, "Hello."))

    # The spare's refusal is not the utterance's: its own handshake is refused again.
    assert emulator.handshakes_rejected >= 2
    assert emulator.connections_total == 0


async def test_spares_are_per_model(emulator: Emulator, client: RealtimeClient) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    await warm_up(client, MODEL, INSTRUCT_MODEL)

    await speak(client.synthesize(config(model=INSTRUCT_MODEL), "Hello."))

    (used,) = utterances(emulator)
    assert used.model == INSTRUCT_MODEL
    assert used.index in (0, 1)  # one of the two spares opened ahead


async def test_model_no_longer_kept_warm_loses_its_spare(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    await warm_up(client, MODEL, INSTRUCT_MODEL)

    client.keep_warm([INSTRUCT_MODEL])
    await eventually(lambda: emulator.open_connections == 1)

    assert not has_spare(client, MODEL)
    assert has_spare(client, INSTRUCT_MODEL)
    closed = next(r for r in emulator.sessions if r.model == MODEL)
    assert closed.closed_by_client is True


async def test_close_leaves_nothing_open(emulator: Emulator, client: RealtimeClient) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    await warm_up(client, MODEL, INSTRUCT_MODEL)

    await client.close()
    await emulator.wait_idle()

    assert emulator.open_connections == 0
    assert all(r.closed_by_client for r in emulator.sessions)
    assert not has_spare(client, MODEL)
    # No task, timer or socket of the client survives: the plugin's cleanup check fails on any.


async def test_close_while_a_spare_is_connecting(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, handshake_delay=0.1)
    client.keep_warm([MODEL])
    await eventually(lambda: emulator.handshake_attempts == 1)

    await client.close()
    await asyncio.sleep(0.15)  # the emulator's handler ends its delay and finds the client gone
    await emulator.wait_idle()

    assert emulator.open_connections == 0


async def test_close_after_use_closes_the_replacement(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    await warm_up(client)
    await speak(client.synthesize(CONFIG, "Hello."))

    await client.close()
    await emulator.wait_idle()

    assert emulator.open_connections == 0
    assert all_closed(emulator.sessions)


async def test_client_works_cold_after_close(emulator: Emulator, client: RealtimeClient) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    await warm_up(client)
    await client.close()

    audio = await speak(client.synthesize(CONFIG, "Hello."))
    await emulator.wait_idle()

    assert audio == utterances(emulator)[0].pcm
    assert emulator.handshake_attempts == 2  # the old spare and this utterance; no new spare


async def test_cancelled_while_waiting_for_a_connecting_spare(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, handshake_delay=0.1)
    client.keep_warm([MODEL])

    task = asyncio.create_task(speak(client.synthesize(CONFIG, "Hello.")))
    await eventually(lambda: emulator.handshake_attempts == 2)  # the spare and its replacement
    task.cancel()
    await asyncio.wait((task,))
    await client.close()
    await asyncio.sleep(0.15)
    await emulator.wait_idle()

    assert task.cancelled()
    assert utterances(emulator) == []


async def test_cancelled_just_as_the_spare_connects_closes_it(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, handshake_delay=0.05)
    client.keep_warm([MODEL])
    spare = client._spares._spares[MODEL]  # white box: to cancel at the exact moment
    assert spare.task is not None

    utterance = asyncio.create_task(speak(client.synthesize(CONFIG, "Hello.")))
    await eventually(lambda: client._spares._spares.get(MODEL) is not spare)  # claimed
    # Cancel the utterance after the spare has connected but before the utterance resumes.
    spare.task.add_done_callback(lambda _: utterance.cancel())
    await asyncio.wait((utterance,))
    await client.close()
    await asyncio.sleep(0.1)  # the replacement's handshake delay
    await emulator.wait_idle()

    assert utterance.cancelled()
    assert emulator.sessions[0].closed_by_client is True
    assert utterances(emulator) == []


def test_idle_timeout_must_be_positive(client: RealtimeClient) -> None:
    with pytest.raises(ValueError, match="idle_timeout"):
        client.keep_warm([MODEL], idle_timeout=0)


async def test_ensure_is_idempotent(emulator: Emulator, client: RealtimeClient) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    await warm_up(client, idle_timeout=0.05)
    await emulator.wait_idle()

    for _ in range(10):
        client.ensure_spare(MODEL)
    await eventually(lambda: has_spare(client, MODEL))

    assert emulator.handshake_attempts == 2  # the first spare, then one after it went idle


async def test_check_of_a_model_kept_warm_is_its_spare(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    client.keep_warm([MODEL])

    await client.check(MODEL)

    assert has_spare(client, MODEL)
    assert emulator.handshake_attempts == 1


NESTED = "[" * 200_000 + "]" * 200_000  # 400 kB of nesting, far deeper than any parser recurses


async def test_spare_sent_deeply_nested_json_while_idle_is_never_offered(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    emulator.scenario = Scenario(
        api_keys=KEYS, faults=[Fault("frame", "after_created", connection=0, frame=NESTED)]
    )
    client = make_client(timeouts=Timeouts(connect=2.0))
    client.keep_warm([MODEL])
    await eventually(lambda: bool(emulator.sessions) and emulator.sessions[0].closed_at is not None)

    audio = await speak(client.synthesize(CONFIG, "Hello."))

    (used,) = utterances(emulator)
    assert used.index != 0  # a fresh socket at once, not the spare whose reader has ended
    assert emulator.sessions[0].received == []
    assert audio == used.pcm


def quick_keep_alive(**changes: float) -> KeepAlive:
    """Keep-alive rules scaled down from seconds and minutes to hundredths of a second."""
    rules: dict[str, float] = {
        "ping": 0.05,
        "pong": 0.05,
        "min_lifetime": 0.05,
        "retry": 0.02,
        "max_retry": 0.2,
        **changes,
    }
    return KeepAlive(**rules)  # type: ignore[arg-type]


@pytest.mark.parametrize("idle_timeout", [60.0, None], ids=["wake", "always"])
async def test_spare_that_misses_its_pong_is_discarded_and_replaced(
    emulator: Emulator, make_client: ClientFactory, idle_timeout: float | None
) -> None:
    # The first spare's pings go unanswered (a router on the way lost the connection's state).
    emulator.scenario = Scenario(
        api_keys=KEYS, faults=[Fault("no_pong", "after_created", connection=0)]
    )
    client = make_client(keep_alive=quick_keep_alive())
    client.keep_warm([MODEL], idle_timeout)
    await eventually(lambda: bool(emulator.sessions) and emulator.sessions[0].closed_at is not None)

    audio = await speak(client.synthesize(CONFIG, "Hello."))

    (used,) = utterances(emulator)
    assert used.index != 0
    assert emulator.sessions[0].closed_by_client is True
    assert audio == used.pcm


@pytest.mark.parametrize("idle_timeout", [60.0, None], ids=["wake", "always"])
async def test_wakes_while_the_service_refuses_open_nothing_and_warn_once(
    emulator: Emulator,
    make_client: ClientFactory,
    caplog: pytest.LogCaptureFixture,
    idle_timeout: float | None,
) -> None:
    emulator.scenario = Scenario(api_keys=frozenset({"sk-another-key"}))
    client = make_client(keep_alive=quick_keep_alive(retry=60, max_retry=60))
    client.keep_warm([MODEL], idle_timeout)
    await eventually(lambda: emulator.handshakes_rejected == 1)
    await asyncio.sleep(0.05)  # the refusal has been taken in

    for _ in range(20):
        client.ensure_spare(MODEL)
        await asyncio.sleep(0.005)

    assert emulator.handshake_attempts == 1  # backing off: the service said no a moment ago
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert MODEL in warnings[0].getMessage()


async def test_wakes_after_keeping_open_gave_up_open_nothing(
    emulator: Emulator, make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.scenario = Scenario(api_keys=frozenset({"sk-another-key"}))
    rules = quick_keep_alive(retry=0.01, max_retry=60, max_failures=3)
    client = make_client(keep_alive=rules)
    client.keep_warm([MODEL], None)
    await eventually(lambda: client.spares_state()[MODEL]["gave_up"] is not None)
    handshakes = emulator.handshake_attempts

    for _ in range(20):
        client.ensure_spare(MODEL)
        await asyncio.sleep(0.005)

    assert emulator.handshake_attempts == handshakes
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1


async def test_a_working_utterance_ends_the_back_off(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, handshake_status=503)
    client = make_client(keep_alive=quick_keep_alive(retry=60, max_retry=60))
    client.keep_warm([MODEL])
    await eventually(lambda: emulator.handshakes_rejected == 1)
    emulator.scenario = Scenario(api_keys=KEYS)  # the service is back

    await speak(client.synthesize(CONFIG, "Hello."))
    await eventually(lambda: has_spare(client, MODEL))

    assert emulator.handshakes_rejected == 1


async def test_the_idle_clock_of_a_spare_starts_at_the_end_of_the_answer(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    await warm_up(client, idle_timeout=0.3)
    answer_ends = asyncio.Event()

    async def long_answer() -> AsyncIterator[str]:
        yield "The first sentence. "
        await answer_ends.wait()
        yield "The second sentence."

    audio = client.stream(CONFIG, long_answer())
    first = await anext(audio)
    await asyncio.sleep(0.5)  # the answer lasts longer than the idle timeout of its replacement
    answer_ends.set()
    await speak(audio)

    assert first
    assert has_spare(client, MODEL)  # idle since the end of the answer, not since it opened
    spare = emulator.sessions[-1]
    await speak(client.synthesize(CONFIG, "Hello."))
    assert utterances(emulator)[-1] is spare


async def test_a_spare_refused_with_an_error_that_echoes_the_key_logs_no_key(
    emulator: Emulator, client: RealtimeClient, caplog: pytest.LogCaptureFixture
) -> None:
    echo = Fault(
        "error", "after_created", connection=0, code="InvalidApiKey", message=f"Bearer {KEY}"
    )
    emulator.scenario = Scenario(api_keys=KEYS, faults=[echo])

    client.keep_warm([MODEL])
    await eventually(lambda: bool(caplog.records))

    assert "InvalidApiKey" in caplog.text or "AuthenticationError" in caplog.text
    assert KEY not in caplog.text
