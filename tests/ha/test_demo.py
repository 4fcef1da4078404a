"""scripts/demo: where `scripts/speak` writes, what it says on failure, what a fresh demo sets up
and shows, and restarts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import json
import os
from pathlib import Path
import shlex
import shutil
import subprocess
import sys

import aiohttp
from homeassistant.components import onboarding
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.qwen_tts_realtime.const import DOMAIN
from scripts.demo.__main__ import CWD_VARIABLE, output_path
from scripts.demo.home_assistant import (
    CORE_INSTALL_ISSUE,
    HomeAssistant as Demo,
    Socket,
    ignore_core_install_repair,
    logged_tts_error,
    write_onboarding_state,
)
from scripts.demo.lifecycle import PID_FILE, REPO, Pids, take_over

from .helpers import eventually


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("hello.wav", "/home/me/work/hello.wav"),
        ("../out/hello.wav", "/home/me/out/hello.wav"),
        ("/tmp/abs.wav", "/tmp/abs.wav"),
    ],
)
def test_output_is_relative_to_the_callers_directory(output: str, expected: str) -> None:
    assert output_path(output, Path("/home/me/work")) == Path(expected)


async def test_an_empty_message_gets_the_integrations_own_message(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    result = subprocess.run(  # noqa: ASYNC221 - it exits before starting anything
        [sys.executable, "-m", "scripts.demo", "speak", "  "],
        cwd=REPO,
        env={**os.environ, CWD_VARIABLE: str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )

    strings = await async_get_translations(hass, "en", "exceptions", [DOMAIN])
    message = strings[f"component.{DOMAIN}.exceptions.empty_message.message"]
    assert result.returncode == 1
    assert result.stderr == f"error: {message}\n"
    assert not any(tmp_path.iterdir())  # noqa: ASYNC240 - a few entries at most


def test_a_synthesis_failure_is_reported_with_the_reason_home_assistant_logged(
    tmp_path: Path,
) -> None:
    log = tmp_path / "home-assistant.log"
    log.write_text(
        "... ERROR (MainThread) [homeassistant.components.tts] Error streaming tts: old\n"
    )
    start = log.stat().st_size
    with log.open("a") as file:
        file.write(
            "... ERROR (MainThread) [homeassistant.components.tts] "
            "Error streaming tts: speech_rate must be between 0.5 and 2, not 5.0\n"
        )

    assert logged_tts_error(log, start) == "speech_rate must be between 0.5 and 2, not 5.0"
    assert logged_tts_error(log, log.stat().st_size) is None


@pytest.fixture
def leftover() -> Iterator[subprocess.Popen[bytes]]:
    """A process that looks like one an earlier demo left running."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "scripts.demo"]
    )
    yield process
    process.kill()
    process.wait()


def test_a_new_demo_stops_what_an_earlier_one_left_running(
    leftover: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    with subprocess.Popen(["sleep", "60"]) as stranger:  # a reused pid: not the demo's
        (tmp_path / PID_FILE).write_text(json.dumps([leftover.pid, stranger.pid]))
        try:
            assert take_over(tmp_path) == [leftover.pid]

            assert leftover.wait(timeout=5) is not None
            assert stranger.poll() is None
            assert not (tmp_path / PID_FILE).exists()
        finally:
            stranger.kill()


def test_nothing_to_take_over_without_a_pid_file(tmp_path: Path) -> None:
    assert take_over(tmp_path) == []


@pytest.mark.parametrize(("command", "script"), [("speak", "speak"), ("serve", "develop")])
def test_help_shows_the_script_and_only_what_a_user_types(command: str, script: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.demo", command, "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.startswith(f"usage: scripts/{script} [-h]")
    for internal in ("--cwd", "--staging", "scripts.demo", "python -m", "QWEN_TTS_SPEAK"):
        assert internal not in result.stdout


@pytest.fixture
def speak(tmp_path: Path) -> Iterator[list[str]]:
    """scripts/speak as a user runs it, with lib.sh replaced by one that runs commands here.

    The real lib.sh would enter the build root or build a venv; this one runs the same Python.
    Nothing may be left in the repository's staging folders.
    """
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    shutil.copy(REPO / "scripts" / "speak", scripts / "speak")
    (scripts / "lib.sh").write_text(
        f"set -euo pipefail\nREPO={shlex.quote(str(REPO))}\n"
        'use_venv() { :; }\nsetup_env() { :; }\nin_env() { "$@"; }\n'
    )
    staged = set(REPO.glob(".speak-*"))
    yield ["bash", str(scripts / "speak")]
    assert set(REPO.glob(".speak-*")) == staged


def run_speak(speak: list[str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    return subprocess.run(
        [*speak, *args],
        cwd=cwd,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_speaking_into_a_folder_that_does_not_exist_is_refused_before_speaking(
    speak: list[str], tmp_path: Path
) -> None:
    result = run_speak(speak, tmp_path, "Hello", "-o", "missing/hello.wav")

    assert result.returncode == 1
    missing = tmp_path / "missing"
    assert result.stderr == f"error: there is no folder {missing} to write hello.wav into\n"
    assert result.stdout == ""  # no "wrote …": nothing was spoken


def test_speaking_onto_a_folder_is_refused(speak: list[str], tmp_path: Path) -> None:
    result = run_speak(speak, tmp_path, "Hello", "-o", ".")

    assert result.returncode == 1
    assert result.stderr == f"error: {tmp_path} is a folder: give a file name\n"


def test_help_through_the_script_speaks_nothing(speak: list[str], tmp_path: Path) -> None:
    result = run_speak(speak, tmp_path, "--help")

    assert result.returncode == 0
    assert result.stdout.startswith("usage: scripts/speak")
    assert not list(tmp_path.glob("*.wav"))


async def test_the_demos_onboarding_sets_up_no_internet_services(
    hass: HomeAssistant,
    hass_storage: dict[str, object],
    aiohttp_client: ClientSessionGenerator,
    local_auth: object,
    socket_enabled: None,
    tmp_path: Path,
) -> None:
    """Onboarding's core-config step would add Google Translate, Met, Radio Browser and more."""
    write_onboarding_state(tmp_path)
    hass_storage["onboarding"] = json.loads((tmp_path / ".storage" / "onboarding").read_text())
    assert await async_setup_component(hass, "onboarding", {})
    server = await aiohttp_client(hass.http.app)
    assert server.port is not None
    demo = Demo(tmp_path, server.port, Pids(None))

    async with aiohttp.ClientSession() as session:
        await demo.login(session, finish_onboarding=True)
    await hass.async_block_till_done()

    assert onboarding.async_is_onboarded(hass)
    assert not hass.config_entries.flow.async_progress()
    assert not hass.config_entries.async_entries()


def test_onboarding_state_is_written_once(tmp_path: Path) -> None:
    write_onboarding_state(tmp_path)
    (tmp_path / ".storage" / "onboarding").write_text("{}")  # Home Assistant's, later

    write_onboarding_state(tmp_path)

    assert (tmp_path / ".storage" / "onboarding").read_text() == "{}"


@pytest.mark.parametrize("raised", ["before", "after"])
async def test_the_repair_about_the_installation_method_is_ignored(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, raised: str
) -> None:
    """Home Assistant raises it after starting: the demo ignores it whether it is there or comes."""
    assert await async_setup_component(hass, "repairs", {})
    domain, issue_id = CORE_INSTALL_ISSUE

    def raise_issue() -> None:
        ir.async_create_issue(
            hass, domain, issue_id, is_fixable=False, severity=ir.IssueSeverity.WARNING,
            translation_key=issue_id, translation_placeholders={"installation_type": "Core"},
        )  # fmt: skip

    ignored = asyncio.Event()

    @callback
    def on_update(event: Event[ir.EventIssueRegistryUpdatedData]) -> None:
        issue = ir.async_get(hass).async_get_issue(domain, issue_id)
        if issue is not None and issue.dismissed_version is not None:
            ignored.set()

    hass.bus.async_listen(ir.EVENT_REPAIRS_ISSUE_REGISTRY_UPDATED, on_update)
    if raised == "before":
        raise_issue()
    client = await hass_ws_client(hass)
    watcher = asyncio.create_task(ignore_core_install_repair(Socket(client)))
    if raised == "after":  # once it listens for new issues
        listeners = hass.bus.async_listeners().get(ir.EVENT_REPAIRS_ISSUE_REGISTRY_UPDATED, 0)
        await eventually(
            lambda: hass.bus.async_listeners()[ir.EVENT_REPAIRS_ISSUE_REGISTRY_UPDATED] > listeners
        )
        raise_issue()

    async with asyncio.timeout(10):  # a guard against hanging, not a timing assertion
        await ignored.wait()
    await client.close()
    await watcher  # ends with the socket
