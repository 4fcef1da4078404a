"""scripts/live-check, run against the emulator standing in for the live service.

The check compares the service with the catalogue and with its own emulator; against an emulator
that behaves like the catalogue it must find nothing, and against one that does not, say so line
by line.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, replace
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from custom_components.qwen_tts_realtime.realtime import DEFAULT_MODEL, Region, endpoint_for
from qwen_tts_emulator import Emulator, Fault, Scenario, VendorRegions, default_models
from scripts.live_check import report
from scripts.live_check.__main__ import run
from scripts.live_check.regions import survey
from scripts.live_check.run import Result

KEY = "sk-live-check-test-key"
SNAPSHOT = "qwen3-tts-flash-realtime-2025-09-18"


@dataclass(frozen=True)
class Run:
    """What one run of the check left: its exit status, records, and the bill the service kept."""

    status: int
    record: dict[str, Any]
    markdown: str
    service_billed: int


_GREEN: list[Run] = []  # the run against a catalogue-like emulator, made once for the tests below


@pytest.fixture
async def service(socket_enabled: None) -> AsyncGenerator[Emulator]:
    """The emulator standing in for the live service, accepting only KEY."""
    async with Emulator(Scenario(api_keys=frozenset({KEY}))) as emulator:
        yield emulator


async def live_check(
    service: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    key: str = KEY,
) -> Run:
    """Run scripts/live-check against `service`."""
    monkeypatch.setenv("DASHSCOPE_API_KEY", key)
    json_file, markdown_file = tmp_path / "live.json", tmp_path / "live.md"
    status = await run(
        [
            *("--endpoint", service.url),
            *("--idle-wait", "0.2"),
            *("--json", str(json_file), "--markdown", str(markdown_file)),
            *args,
        ]
    )
    return Run(
        status,
        json.loads(json_file.read_text(encoding="utf-8")),
        markdown_file.read_text(encoding="utf-8"),
        sum(session.usage_characters for session in service.sessions),
    )


@pytest.fixture
async def green(service: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """A whole check against an emulator that behaves like the catalogue (run once, then kept)."""
    if not _GREEN:
        _GREEN.append(await live_check(service, tmp_path, monkeypatch))
    return _GREEN[0]


async def test_a_service_like_the_emulator_shows_no_difference(green: Run) -> None:
    assert green.status == 0
    assert green.record["differences"] == []
    assert "## Differences from the catalogue and the emulator\n\nNone." in green.markdown


async def test_it_bills_what_it_announced_and_no_more(green: Run) -> None:
    assert green.record["billed_characters"] == green.record["most_billed_characters"]
    assert green.service_billed == green.record["billed_characters"]


async def test_it_records_every_measure(green: Run) -> None:
    live = green.record["service"]

    assert all(len(runs) >= 2 for runs in live["timing"].values())
    assert sum(len(voices) for voices in live["voices"].values()) == 161
    assert len(live["formats"]) == 18  # 3 formats at 6 rates, the 2 undocumented ones too
    assert [r["starts_with"] for r in live["formats"]["mp3 at 24000 Hz"]["responses"]] == [
        "ID3",
        "ID3",
    ]
    assert live["errors"]["unknown voice"]["code"] == "invalid_value"
    assert live["errors"]["over-long instructions"]["code"] == "invalid_value"
    assert live["errors"]["unknown model"]["message"] == "session.created, closed 1000"
    assert live["errors"]["wrong key"]["code"] == "HTTP 401"
    assert live["idle"] == {"waited_s": 0.2, "closed_after_s": None, "close_code": None}
    assert live["formats"]["pcm at 8000 Hz"]["responses"][0]["usage"] == {"characters": 1}


async def test_the_key_is_in_no_record(green: Run) -> None:
    assert KEY not in green.markdown
    assert KEY not in json.dumps(green.record)


async def test_each_difference_is_one_line(
    service: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = default_models()
    snapshot = models[SNAPSHOT]
    models[SNAPSHOT] = replace(snapshot, voices=tuple(v for v in snapshot.voices if v != "Eric"))
    models["qwen3-tts-flash-realtime"] = replace(
        models["qwen3-tts-flash-realtime"], formats=("pcm", "mp3")
    )
    service.scenario = Scenario(api_keys=frozenset({KEY}), models=models)

    result = await live_check(service, tmp_path, monkeypatch, "--model", SNAPSHOT)

    refused = "refused (invalid_value)"
    assert result.status == 1
    assert result.record["differences"] == [
        f"{SNAPSHOT}: voice Eric: the catalogue says accepted, the service {refused}",
        f"{SNAPSHOT}: voice Eric: the emulator says accepted, the service {refused}",
        *(
            line
            for rate in (8000, 16000, 22050, 24000, 44100, 48000)
            for line in (
                f"opus at {rate} Hz: the catalogue says accepted, the service {refused}",
                f"opus at {rate} Hz: the emulator says accepted, the service {refused}",
            )
        ),
    ]
    assert all(f"- {line}" in result.markdown for line in result.record["differences"])


# A key that shares no 8 characters with the emulator's reference key: any 8 of it in the output
# are a leak.
ECHOED_KEY = "sk-0123456789abcdefECHO"


def leaked(text: str) -> list[str]:
    """Return the pieces of ECHOED_KEY (8 characters or more) found in `text`."""
    pieces = {ECHOED_KEY[i : i + 8] for i in range(len(ECHOED_KEY) - 7)}
    return sorted(piece for piece in pieces if piece in text)


def echo(**where: Any) -> Fault:
    """An error whose message echoes the key after 140 characters (the record cuts it at 160)."""
    message = "x" * 140 + f" key={ECHOED_KEY}"
    return Fault("error", code="InvalidParameter", message=message, **where)


async def test_a_key_echoed_by_the_service_is_in_no_record_and_no_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The second response of each format probe is refused with a message that holds the key."""
    fault = echo(at="before_audio", response=1)
    scenario = Scenario(api_keys=frozenset({ECHOED_KEY}), faults=[fault])
    async with Emulator(scenario) as service:
        result = await live_check(
            service, tmp_path, monkeypatch, "--model", SNAPSHOT, key=ECHOED_KEY
        )

    assert result.status == 1  # the format probes differ
    assert fault.fired > 0
    output = capsys.readouterr()
    record = json.dumps(result.record)
    assert leaked(record) == leaked(result.markdown) == []
    assert "[API key]" in record  # where the message held it
    assert leaked(output.out) == leaked(output.err) == []


async def test_a_key_echoed_in_a_failed_timing_run_is_not_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = Scenario(api_keys=frozenset({ECHOED_KEY}), faults=[echo(at="after_update")])
    monkeypatch.setenv("DASHSCOPE_API_KEY", ECHOED_KEY)
    async with Emulator(scenario) as service:
        status = await run(["--endpoint", service.url, "--idle-wait", "0", "--model", SNAPSHOT])

    assert status == 2
    output = capsys.readouterr()
    assert "failed a timing run" in output.err
    assert leaked(output.out) == leaked(output.err) == []


async def test_without_a_key_it_does_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)

    assert await run(["--idle-wait", "0"]) == 2


async def test_the_plan_states_the_bill_without_connecting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await run(["--plan"]) == 0

    assert "At most 209 billed characters" in capsys.readouterr().out  # under a few hundred


async def no_pacing(model: str) -> None:
    """The emulated regions have no rate limit."""


def regions_taking(regions: VendorRegions, **scenarios: Scenario) -> None:
    """Let the regions named take KEY as their scenario says; every other region refuses it."""
    for region, emulator in regions.emulators.items():
        emulator.scenario = scenarios.get(region.value, Scenario(api_keys=frozenset({"sk-x"})))


async def test_the_regions_that_take_the_key_are_listed_nearest_first_with_their_models(
    regions: VendorRegions, regions_http: aiohttp.ClientSession
) -> None:
    models = default_models()
    del models[SNAPSHOT]
    keys = frozenset({KEY})
    regions_taking(
        regions,
        mainland_china=Scenario(api_keys=keys, models=models),
        hong_kong=Scenario(api_keys=keys, handshake_delay=1.0),
    )

    answers = await survey(regions_http, KEY, [DEFAULT_MODEL, SNAPSHOT], None, no_pacing)

    assert [(a.region, a.serves, a.lacks) for a in answers] == [
        ("mainland_china", [DEFAULT_MODEL], {SNAPSHOT: "model_missing"}),
        ("hong_kong", [DEFAULT_MODEL, SNAPSHOT], {}),
    ]
    assert all(len(a.handshake_ms) == 2 for a in answers)
    record = report.record(Result("wss://x", regions=answers), Result("ws://y"), 0, [])
    markdown = report.to_markdown(record)
    assert "## Regions that take the key" in markdown
    assert f"| {DEFAULT_MODEL} | {SNAPSHOT} (model_missing) |" in markdown


async def test_with_a_workspace_its_gateways_are_listed_too(
    regions: VendorRegions, regions_http: aiohttp.ClientSession
) -> None:
    regions_taking(regions, germany=Scenario(api_keys=frozenset({KEY})))

    answers = await survey(regions_http, KEY, [DEFAULT_MODEL], "llm-0123abcd", no_pacing)

    assert [(a.region, a.endpoint) for a in answers] == [
        ("germany", endpoint_for(Region.GERMANY, workspace="llm-0123abcd"))
    ]
