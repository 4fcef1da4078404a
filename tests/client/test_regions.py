"""Finding the regions that take a key and serve a model, nearest first.

Every vendor region is an emulator behind its real host names (the `regions` fixture); each test
says which regions take the key, which lack the model and which are slow. "Slow" is a handshake
delay of a second, far beyond the noise of a loaded machine: the order it gives is behaviour.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from custom_components.qwen_tts_realtime.realtime import (
    AccountError,
    Region,
    endpoint_for,
    endpoints,
)
from custom_components.qwen_tts_realtime.realtime.endpoints import (
    SITES,
    UNDEPLOYED_CODE,
    ProbeOutcome,
    RegionProbe,
    probe_endpoint,
    probe_outcome,
    probe_regions,
)
from custom_components.qwen_tts_realtime.realtime.errors import (
    InvalidWorkspaceError,
    ResponseTimeoutError,
)
from qwen_tts_emulator import Emulator, Fault, Scenario, VendorRegions, default_models

from .helpers import KEY, KEYS, MODEL

OTHER_KEY = "sk-of-another-region-0123"
WORKSPACE = "llm-0123abcd"
SLOW = 1.0  # seconds of handshake delay


def after_the_update() -> Fault:
    """Hold back what follows `session.created` until the probe's `session.update` has arrived."""
    return Fault(kind="stall", at="after_created", seconds=0.3)


def outcomes(probes: list[RegionProbe]) -> dict[Region, ProbeOutcome]:
    return {probe.region: probe.outcome for probe in probes}


def without_model(model: str) -> Scenario:
    """A region that takes the key but does not serve `model`."""
    models = default_models()
    del models[model]
    return Scenario(api_keys=KEYS, models=models)


def only(regions: VendorRegions, *taking: Region) -> None:
    """Let only `taking` take KEY; every other region takes another key."""
    for region, emulator in regions.emulators.items():
        emulator.scenario = Scenario(api_keys=KEYS if region in taking else frozenset({OTHER_KEY}))


async def all_idle(regions: VendorRegions) -> None:
    for emulator in regions.emulators.values():
        await emulator.wait_idle()


async def test_the_key_is_found_in_the_one_region_that_takes_it(
    regions: VendorRegions, regions_http: aiohttp.ClientSession
) -> None:
    only(regions, Region.MAINLAND_CHINA)

    probes = await probe_regions(regions_http, KEY, MODEL)

    assert outcomes(probes) == {
        Region.MAINLAND_CHINA: ProbeOutcome.WORKS,
        Region.INTERNATIONAL: ProbeOutcome.KEY_REFUSED,
        Region.HONG_KONG: ProbeOutcome.KEY_REFUSED,
    }
    assert probes[0].region is Region.MAINLAND_CHINA
    assert probes[0].endpoint == endpoint_for(Region.MAINLAND_CHINA)
    assert probes[0].handshake_ms is not None
    assert [p.key_accepted for p in probes] == [True, False, False]


async def test_without_a_workspace_a_shared_host_is_probed_once(
    regions: VendorRegions, regions_http: aiohttp.ClientSession
) -> None:
    probes = await probe_regions(regions_http, KEY, MODEL)

    # US, Germany and Japan share Singapore's host: it is asked once, as Singapore.
    assert sorted(p.endpoint for p in probes) == sorted(
        {f"wss://{site.shared_host}/api-ws/v1/realtime" for site in SITES.values()}
    )
    assert regions.emulators[Region.INTERNATIONAL].handshake_attempts == 1
    assert all(
        not regions.emulators[r].handshake_attempts for r in SITES if r not in outcomes(probes)
    )


async def test_the_nearest_region_comes_first(
    regions: VendorRegions, regions_http: aiohttp.ClientSession
) -> None:
    regions.emulators[Region.INTERNATIONAL].scenario = Scenario(api_keys=KEYS, handshake_delay=SLOW)
    regions.emulators[Region.MAINLAND_CHINA].scenario = Scenario(api_keys=frozenset({OTHER_KEY}))

    probes = await probe_regions(regions_http, KEY, MODEL)

    assert [(p.region, p.outcome) for p in probes] == [
        (Region.HONG_KONG, ProbeOutcome.WORKS),
        (Region.INTERNATIONAL, ProbeOutcome.WORKS),
        (Region.MAINLAND_CHINA, ProbeOutcome.KEY_REFUSED),
    ]


async def test_with_a_workspace_every_gateway_is_probed_and_the_nearest_comes_first(
    regions: VendorRegions, regions_http: aiohttp.ClientSession
) -> None:
    for region, emulator in regions.emulators.items():
        delay = 0.0 if region is Region.GERMANY else SLOW
        emulator.scenario = Scenario(api_keys=KEYS, handshake_delay=delay)

    probes = await probe_regions(regions_http, KEY, MODEL, workspace=WORKSPACE)

    assert probes[0].region is Region.GERMANY
    assert probes[0].endpoint == endpoint_for(Region.GERMANY, workspace=WORKSPACE)
    assert {p.region for p in probes} == set(SITES)
    assert all(p.works for p in probes)
    for emulator in regions.emulators.values():
        assert [s.header("X-DashScope-WorkSpace") for s in emulator.sessions] == [WORKSPACE]


async def test_a_region_without_the_model_says_so_instead_of_refusing_the_key(
    regions: VendorRegions, regions_http: aiohttp.ClientSession
) -> None:
    regions.emulators[Region.HONG_KONG].scenario = without_model(MODEL)

    probes = await probe_regions(regions_http, KEY, MODEL)

    [hong_kong] = [p for p in probes if p.region is Region.HONG_KONG]
    assert hong_kong.outcome is ProbeOutcome.MODEL_MISSING
    assert hong_kong.key_accepted
    assert not hong_kong.works
    assert probes[-1] is hong_kong  # after the regions that work


async def test_a_gateway_refusing_a_model_the_workspace_lacks_is_no_working_region(
    regions: VendorRegions, regions_http: aiohttp.ClientSession
) -> None:
    singapore = regions.emulators[Region.INTERNATIONAL]
    singapore.scenario = Scenario(api_keys=KEYS, undeployed_models=frozenset({MODEL}))

    gateways = await probe_regions(regions_http, KEY, MODEL, workspace=WORKSPACE)
    shared = await probe_regions(regions_http, KEY, MODEL)

    assert outcomes(gateways)[Region.INTERNATIONAL] is not ProbeOutcome.WORKS
    assert outcomes(shared)[Region.INTERNATIONAL] is ProbeOutcome.WORKS


@pytest.mark.parametrize(
    ("endpoint", "outcome"),
    [
        (endpoint_for(Region.JAPAN, workspace=WORKSPACE), ProbeOutcome.NOT_DEPLOYED),
        (endpoint_for(Region.JAPAN), ProbeOutcome.ACCOUNT_REFUSED),
    ],
    ids=["gateway", "shared host"],
)
def test_an_unpurchased_model_is_not_deployed_only_on_a_gateway(
    endpoint: str, outcome: ProbeOutcome
) -> None:
    error = AccountError(UNDEPLOYED_CODE, "Access to model denied.")

    assert probe_outcome(error, endpoint) is outcome


async def test_a_region_out_of_reach_is_reported_as_such(
    regions: VendorRegions, regions_http: aiohttp.ClientSession
) -> None:
    await regions.emulators[Region.HONG_KONG].stop()

    probes = await probe_regions(regions_http, KEY, MODEL)

    assert outcomes(probes)[Region.HONG_KONG] is ProbeOutcome.UNREACHABLE
    assert outcomes(probes)[Region.INTERNATIONAL] is ProbeOutcome.WORKS


async def test_a_region_slower_than_the_bound_is_given_up(
    regions: VendorRegions,
    regions_http: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(endpoints, "PROBE_TIMEOUT", 0.2)
    regions.emulators[Region.MAINLAND_CHINA].scenario = Scenario(
        api_keys=KEYS, handshake_delay=SLOW
    )

    probes = await probe_regions(regions_http, KEY, MODEL)

    [beijing] = [p for p in probes if p.region is Region.MAINLAND_CHINA]
    assert beijing.outcome is ProbeOutcome.UNREACHABLE
    assert isinstance(beijing.error, ResponseTimeoutError)


async def test_the_key_goes_to_the_vendors_hosts_only(
    regions: VendorRegions, regions_http: aiohttp.ClientSession
) -> None:
    await probe_regions(regions_http, KEY, MODEL)
    await probe_regions(regions_http, KEY, MODEL, workspace=WORKSPACE)

    assert regions.asked
    assert all(host.endswith(".aliyuncs.com") for host in regions.asked)


async def test_a_probe_bills_nothing_and_leaves_no_socket_open(
    regions: VendorRegions, regions_http: aiohttp.ClientSession
) -> None:
    regions.emulators[Region.HONG_KONG].scenario = without_model(MODEL)

    await probe_regions(regions_http, KEY, MODEL, workspace=WORKSPACE)
    await probe_regions(regions_http, KEY, MODEL)
    await all_idle(regions)

    sessions = [s for e in regions.emulators.values() for s in e.sessions]
    assert sessions
    assert all(s.usage_characters == 0 for s in sessions)
    sent = {event.type for s in sessions for event in s.received}
    assert sent <= {"session.update", "session.finish"}


async def test_a_malformed_workspace_is_refused_before_any_socket(
    regions: VendorRegions, regions_http: aiohttp.ClientSession
) -> None:
    with pytest.raises(InvalidWorkspaceError):
        await probe_regions(regions_http, KEY, MODEL, workspace="ws.evil.example")

    assert not regions.asked


async def test_the_users_own_endpoint_is_probed_as_the_custom_region(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    emulator.scenario = Scenario(api_keys=KEYS)

    probe = await probe_endpoint(http, KEY, emulator.url, MODEL)

    assert probe.region is Region.CUSTOM
    assert probe.endpoint == emulator.url
    assert probe.works


async def test_an_error_answering_the_empty_session_still_proves_the_model(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    # A model that needs a setting the probe does not send (a custom voice, say) answers with an
    # error instead of `session.updated`: the service runs the model all the same.
    refusal = Fault(kind="error", at="after_created", code="invalid_value", then="close")
    emulator.scenario = Scenario(api_keys=KEYS, faults=[after_the_update(), refusal])

    probe = await probe_endpoint(http, KEY, emulator.url, MODEL)

    assert probe.works


async def test_throttling_before_the_session_is_no_proof(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    busy = Fault(kind="error", at="after_created", code="Throttling.RateQuota", then="close")
    emulator.scenario = Scenario(api_keys=KEYS, faults=[after_the_update(), busy])

    probe = await probe_endpoint(http, KEY, emulator.url, MODEL)

    assert probe.outcome is ProbeOutcome.UNREACHABLE


async def test_a_probes_error_holds_no_trace_of_the_key(
    regions: VendorRegions, regions_http: aiohttp.ClientSession
) -> None:
    only(regions, Region.MAINLAND_CHINA)

    probes = await probe_regions(regions_http, KEY, MODEL)

    refused = [p.error for p in probes if p.error is not None]
    assert refused
    for error in refused:
        assert error.__traceback__ is None
        assert error.__context__ is None
        assert error.__cause__ is None
        assert KEY not in repr(error)


async def test_an_endpoint_that_redirects_is_refused_and_the_redirect_never_followed() -> None:
    """A websocket endpoint does not move: the key's headers go to the endpoint entered alone."""
    elsewhere: list[bytes] = []

    async def other_host(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        elsewhere.append(await reader.readuntil(b"\r\n\r\n"))
        writer.close()

    async def moved(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            f"HTTP/1.1 307 Temporary Redirect\r\nLocation: {target}\r\n"
            "Content-Length: 0\r\n\r\n".encode()
        )
        await writer.drain()
        writer.close()

    other = await asyncio.start_server(other_host, "127.0.0.1", 0)
    target = f"http://127.0.0.1:{other.sockets[0].getsockname()[1]}/api-ws/v1/realtime"
    server = await asyncio.start_server(moved, "127.0.0.1", 0)
    endpoint = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/api-ws/v1/realtime"
    async with server, other, aiohttp.ClientSession() as session:
        probe = await probe_endpoint(session, KEY, endpoint, MODEL)

    assert not probe.works
    assert probe.error is not None
    assert "307" in str(probe.error)
    assert elsewhere == []
