"""Authentication and forced handshake failures."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from qwen_tts_emulator import Emulator, Scenario

from .helpers import KEY, MODEL, connect


async def handshake_status(emu: Emulator, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(f"{emu.url}?model={MODEL}", headers=headers):
                return 101
        except aiohttp.WSServerHandshakeError as err:
            return err.status


async def test_missing_key_is_rejected_before_upgrade() -> None:
    async with Emulator(Scenario()) as emu:
        status = await handshake_status(emu, {})

    assert status == 401
    assert emu.sessions == []
    assert emu.handshakes_rejected == 1


@pytest.mark.parametrize("value", ["sk-abc", "Bearer", "Bearer ", "Token sk-abc", "Basic Zm9v"])
async def test_malformed_authorization_is_rejected(value: str) -> None:
    async with Emulator(Scenario()) as emu:
        status = await handshake_status(emu, {"Authorization": value})

    assert status == 401


async def test_wrong_key_is_rejected_when_keys_are_set() -> None:
    async with Emulator(Scenario(api_keys=frozenset({"sk-good"}))) as emu:
        wrong = await handshake_status(emu, {"Authorization": "Bearer sk-bad"})
        right = await handshake_status(emu, {"Authorization": "Bearer sk-good"})
        await emu.wait_idle()

    assert (wrong, right) == (401, 101)
    assert emu.handshake_attempts == 2
    assert emu.connections_total == 1


async def test_any_key_is_accepted_by_default_and_scheme_is_case_insensitive() -> None:
    async with Emulator(Scenario()) as emu:
        status = await handshake_status(emu, {"Authorization": "bearer anything"})

    assert status == 101
    assert emu.sessions[0].headers["Authorization"] == "bearer anything"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (401, "InvalidApiKey"),
        (403, "AccessDenied"),
        (429, "Throttling.RateQuota"),
        (500, "InternalError"),
        (503, "ServiceUnavailable"),
    ],
)
async def test_forced_handshake_status(status: int, code: str) -> None:
    async with Emulator(Scenario(handshake_status=status)) as emu:
        ws_status = await handshake_status(emu, {"Authorization": f"Bearer {KEY}"})
        async with (
            aiohttp.ClientSession() as session,
            session.get(emu.url, headers={"Authorization": f"Bearer {KEY}"}) as response,
        ):
            body = await response.json()

    assert ws_status == status
    assert response.status == status
    assert body["code"] == code
    assert body["message"]
    assert emu.sessions == []


async def test_handshake_delay_holds_the_upgrade() -> None:
    async with Emulator(Scenario(handshake_delay=0.2)) as emu:
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with connect(emu) as client:
            await client.until("session.created")
            elapsed = loop.time() - started

    assert elapsed >= 0.15


async def test_scenario_can_change_between_connections() -> None:
    async with Emulator(Scenario()) as emu:
        first = await handshake_status(emu, {"Authorization": f"Bearer {KEY}"})
        emu.scenario = Scenario(handshake_status=429)
        second = await handshake_status(emu, {"Authorization": f"Bearer {KEY}"})
        emu.scenario.handshake_status = None
        third = await handshake_status(emu, {"Authorization": f"Bearer {KEY}"})
        await emu.wait_idle()

    assert (first, second, third) == (101, 429, 101)
    assert emu.open_connections == 0
