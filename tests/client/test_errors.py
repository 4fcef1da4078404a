"""Every failure path maps onto one typed error; only failures to reach the service are retried."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from custom_components.qwen_tts_realtime.realtime import (
    AccountError,
    AuthenticationError,
    ConnectError,
    ConnectionClosedError,
    ProtocolError,
    RateLimitError,
    RealtimeClient,
    ResponseTimeoutError,
    ServiceError,
)
from custom_components.qwen_tts_realtime.realtime.timing import MAX_BAD_FRAMES, Timeouts
from qwen_tts_emulator import Emulator, Fault, Scenario, render_pcm

from .helpers import (
    CONFIG,
    KEYS,
    TWO_SENTENCES,
    ClientFactory,
    chunks,
    collect,
    collect_into,
    config,
    speak,
)

# --- handshake ------------------------------------------------------------------------------


async def test_wrong_key_is_an_authentication_error(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    emulator.scenario = Scenario(api_keys=frozenset({"sk-another-key"}))

    with pytest.raises(AuthenticationError):
        await speak(make_client().synthesize(CONFIG, "Hi."))

    assert emulator.handshake_attempts == 1  # not retried
    assert emulator.connections_total == 0


@pytest.mark.parametrize("status", [401, 403])
async def test_handshake_refusal_is_an_authentication_error(
    emulator: Emulator, client: RealtimeClient, status: int
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, handshake_status=status, handshake_code="")

    with pytest.raises(AuthenticationError):
        await speak(client.synthesize(CONFIG, "Hi."))

    assert emulator.handshake_attempts == 1


async def test_check_reports_a_refused_key(emulator: Emulator, client: RealtimeClient) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, handshake_status=401)

    with pytest.raises(AuthenticationError):
        await client.check()


async def test_handshake_429_is_a_rate_limit_error_not_retried(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, handshake_status=429)

    with pytest.raises(RateLimitError):
        await speak(client.synthesize(CONFIG, "Hi."))

    assert emulator.handshake_attempts == 1


async def test_handshake_400_is_a_connect_error_not_retried(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, handshake_status=400)

    with pytest.raises(ConnectError) as err:
        await speak(client.synthesize(CONFIG, "Hi."))

    assert err.value.status == 400
    assert emulator.handshake_attempts == 1


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (400, "Arrearage", AccountError),
        (403, "AccessDenied.Unpurchased", AccountError),
        (403, "AccessDenied", AccountError),
        (400, "InvalidApiKey", AuthenticationError),
        (400, "Throttling.RateQuota", RateLimitError),
    ],
)
async def test_handshake_refusal_is_mapped_by_the_code_its_body_names(
    emulator: Emulator, client: RealtimeClient, status: int, code: str, error: type[Exception]
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, handshake_status=status, handshake_code=code)

    with pytest.raises(error) as raised:
        await speak(client.synthesize(CONFIG, "Hi."))

    if isinstance(raised.value, AccountError):
        assert raised.value.code == code
    assert emulator.handshake_attempts == 1  # not retried: a fresh socket gets the same answer


@pytest.mark.parametrize("status", [500, 503])
async def test_handshake_5xx_is_retried_once(
    emulator: Emulator, client: RealtimeClient, status: int
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, handshake_status=status)

    with pytest.raises(ConnectError) as err:
        await speak(client.synthesize(CONFIG, "Hi."))

    assert err.value.status == status
    assert emulator.handshake_attempts == 2


async def test_unreachable_endpoint_is_a_connect_error_after_one_retry(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    url = emulator.url
    await emulator.stop()  # nothing listens on the port any more

    with pytest.raises(ConnectError) as err:
        await speak(make_client(endpoint=url).synthesize(CONFIG, "Hi."))

    assert err.value.status is None


async def test_slow_handshake_is_a_connect_timeout_after_one_retry(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, handshake_delay=0.3)
    client = make_client(timeouts=Timeouts(connect=0.05))

    with pytest.raises(ResponseTimeoutError) as err:
        await speak(client.synthesize(CONFIG, "Hi."))

    assert err.value.stage == "connect"
    assert emulator.handshake_attempts == 2
    # Let the emulator's handlers finish their delay: Emulator.stop() does not cancel them.
    await asyncio.sleep(0.35)
    assert emulator.open_connections == 0


# --- error events ---------------------------------------------------------------------------


async def test_error_event_is_a_service_error_with_code_message_and_param(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(
        api_keys=KEYS,
        faults=[
            Fault(
                "error",
                "after_update",
                code="InvalidParameter",
                message="Something is off.",
                param="session.voice",
            )
        ],
    )

    with pytest.raises(ServiceError) as err:
        await speak(client.synthesize(CONFIG, "Hi."))
    await emulator.wait_idle()

    assert (err.value.code, err.value.message, err.value.param) == (
        "InvalidParameter",
        "Something is off.",
        "session.voice",
    )
    assert err.value.event_id is None
    assert emulator.connections_total == 1  # not retried
    assert emulator.sessions[0].closed_by_client is True


async def test_voice_rejected_by_the_service(emulator: Emulator, client: RealtimeClient) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    with pytest.raises(ServiceError) as err:
        await speak(client.synthesize(config(voice="Nobody"), "Hi."))
    await emulator.wait_idle()

    assert err.value.code == "invalid_value"
    assert err.value.param == "session.voice"
    assert err.value.event_id == emulator.sessions[0].received[0].payload["event_id"]
    assert emulator.connections_total == 1


@pytest.mark.parametrize("code", ["Throttling", "Throttling.RateQuota"])
async def test_throttling_event_is_a_rate_limit_error(
    emulator: Emulator, client: RealtimeClient, code: str
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, faults=[Fault("error", "after_update", code=code)])

    with pytest.raises(RateLimitError) as err:
        await speak(client.synthesize(CONFIG, "Hi."))
    await emulator.wait_idle()

    assert err.value.code == code
    assert emulator.connections_total == 1


async def test_key_error_event_is_an_authentication_error(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(
        api_keys=KEYS, faults=[Fault("error", "after_created", code="InvalidApiKey", then="close")]
    )

    with pytest.raises(AuthenticationError):
        await speak(client.synthesize(CONFIG, "Hi."))
    await emulator.wait_idle()

    assert emulator.connections_total == 1


async def test_error_event_mid_stream_after_audio(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(
        api_keys=KEYS,
        delta_bytes=960,
        faults=[Fault("error", "mid_stream", deltas=2, code="InternalError")],
    )
    received: list[bytes] = []

    with pytest.raises(ServiceError) as err:
        await collect_into(client.synthesize(CONFIG, TWO_SENTENCES), received)
    await emulator.wait_idle()

    assert err.value.code == "InternalError"
    assert b"".join(received) == emulator.sessions[0].pcm
    assert emulator.connections_total == 1


# --- closes and malformed frames ------------------------------------------------------------


@pytest.mark.parametrize("close_code", [None, 1000, 1011])
async def test_close_before_audio_is_retried_once(
    emulator: Emulator, client: RealtimeClient, close_code: int | None
) -> None:
    emulator.scenario = Scenario(
        api_keys=KEYS, faults=[Fault("close", "before_audio", close_code=close_code)]
    )

    with pytest.raises(ConnectionClosedError) as err:
        await speak(client.synthesize(CONFIG, "Hi."))
    await emulator.wait_idle()

    assert err.value.session_accepted is True
    assert emulator.connections_total == 2
    assert all(record.pcm == b"" for record in emulator.sessions)


async def test_retry_after_a_close_before_audio_succeeds(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(
        api_keys=KEYS, faults=[Fault("close", "before_audio", connection=0)]
    )

    audio = await speak(client.stream(CONFIG, chunks("Hello ", "there.")))
    await emulator.wait_idle()

    first, second = emulator.sessions
    assert first.pcm == b""
    assert first.segments == ["Hello there."]
    assert second.received_types() == first.received_types()  # the text is sent again, whole
    assert audio == second.pcm
    assert emulator.open_connections == 0


async def test_close_after_audio_is_not_retried_and_audio_not_repeated(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(
        api_keys=KEYS, delta_bytes=960, faults=[Fault("close", "mid_stream", deltas=3)]
    )
    received: list[bytes] = []

    with pytest.raises(ConnectionClosedError):
        await collect_into(client.synthesize(CONFIG, TWO_SENTENCES), received)
    await emulator.wait_idle()

    assert emulator.connections_total == 1
    assert b"".join(received) == emulator.sessions[0].pcm
    assert len(emulator.sessions[0].pcm) == 3 * 960


async def test_close_between_responses_is_not_retried(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(
        api_keys=KEYS, faults=[Fault("close", "after_response_done", response=0, close_code=1001)]
    )

    with pytest.raises(ConnectionClosedError):
        await speak(client.stream(CONFIG, chunks(TWO_SENTENCES)))
    await emulator.wait_idle()

    assert emulator.connections_total == 1


async def test_unknown_model_closes_before_the_session_is_accepted(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    with pytest.raises(ConnectionClosedError) as err:
        await speak(client.synthesize(config(model="qwen-no-such-model"), "Hi."))
    await emulator.wait_idle()

    assert err.value.session_accepted is False
    assert emulator.sessions[0].model == "qwen-no-such-model"


@pytest.mark.parametrize(
    "code",
    [
        "Arrearage",
        "AccessDenied",
        "Throttling.AllocationQuota",
        "AccessDenied.Unpurchased",
        "AccessDenied.SomethingNew",
    ],
)
async def test_account_error_event_is_an_account_error_not_a_key_error(
    emulator: Emulator, client: RealtimeClient, code: str
) -> None:
    emulator.scenario = Scenario(
        api_keys=KEYS, faults=[Fault("error", "after_update", code=code, then="close")]
    )

    with pytest.raises(AccountError) as raised:
        await speak(client.synthesize(CONFIG, "Hi."))
    await emulator.wait_idle()

    assert raised.value.code == code
    assert emulator.connections_total == 1  # not retried: a fresh socket gets the same answer


@pytest.mark.parametrize("binary", [False, True])
async def test_undecodable_frame_is_skipped_and_the_audio_stays_whole(
    emulator: Emulator, client: RealtimeClient, binary: bool
) -> None:
    emulator.scenario = Scenario(
        api_keys=KEYS,
        delta_bytes=960,
        faults=[Fault("malformed", "mid_stream", deltas=2, binary=binary)],
    )

    audio = await speak(client.synthesize(CONFIG, "Hi."))

    assert audio == emulator.sessions[0].pcm == render_pcm("Hi.")
    assert client.skipped_frames == 1


async def test_a_burst_of_undecodable_frames_ends_the_session(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(
        api_keys=KEYS, faults=[Fault("malformed", "after_update", repeat=MAX_BAD_FRAMES + 1)]
    )

    with pytest.raises(ProtocolError):
        await speak(client.synthesize(CONFIG, "Hi."))
    await emulator.wait_idle()

    assert emulator.sessions[0].closed_by_client is True


# --- timeouts -------------------------------------------------------------------------------


async def test_no_first_audio_is_a_first_audio_timeout(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS, faults=[Fault("stall", "before_audio")])
    client = make_client(timeouts=Timeouts(first_audio=0.1))

    with pytest.raises(ResponseTimeoutError) as err:
        await speak(client.synthesize(CONFIG, "Hi."))
    await emulator.wait_idle()

    assert err.value.stage == "first_audio"
    assert emulator.connections_total == 1  # the service was reached: not retried
    assert emulator.sessions[0].closed_by_client is True


async def test_silence_between_chunks_is_an_audio_timeout(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    emulator.scenario = Scenario(
        api_keys=KEYS, delta_bytes=960, faults=[Fault("stall", "mid_stream", deltas=2)]
    )
    client = make_client(timeouts=Timeouts(audio=0.1))
    received: list[bytes] = []

    with pytest.raises(ResponseTimeoutError) as err:
        await collect_into(client.synthesize(CONFIG, "Hi."), received)
    await emulator.wait_idle()

    assert err.value.stage == "audio"
    assert b"".join(received) == emulator.sessions[0].pcm
    assert emulator.sessions[0].closed_by_client is True


async def test_audio_timeouts_wait_for_the_end_of_the_input(
    emulator: Emulator, make_client: ClientFactory
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)
    client = make_client(timeouts=Timeouts(first_audio=0.05, audio=0.05))
    gate = asyncio.Event()

    async def slow_source() -> AsyncIterator[str]:
        yield "Hello"  # no sentence end: the service owes nothing yet
        await gate.wait()
        yield " there."

    async def open_gate() -> None:
        await asyncio.sleep(0.2)  # longer than both timeouts
        gate.set()

    opener = asyncio.create_task(open_gate())
    audio = await speak(client.stream(CONFIG, slow_source()))
    await opener
    await emulator.wait_idle()

    assert audio == emulator.sessions[0].pcm


# --- the text source ------------------------------------------------------------------------


async def test_text_source_failure_ends_the_session_with_its_error(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    class LLMError(Exception):
        pass

    async def failing_source() -> AsyncIterator[str]:
        yield "A first sentence. "
        raise LLMError("the model stopped")

    with pytest.raises(LLMError, match="the model stopped"):
        await collect(client.stream(CONFIG, failing_source()))
    await emulator.wait_idle()

    record = emulator.sessions[0]
    assert emulator.connections_total == 1  # not retried
    assert "session.finish" not in record.received_types()
    assert record.closed_by_client is True


async def test_text_source_raising_a_realtime_error_does_not_hang(
    emulator: Emulator, client: RealtimeClient
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    async def failing_source() -> AsyncIterator[str]:
        yield "Hello"
        raise ServiceError("upstream", "an upstream client failed")

    with pytest.raises(ServiceError, match="upstream"):
        await collect(client.stream(CONFIG, failing_source()))
    await emulator.wait_idle()

    assert emulator.connections_total == 1
