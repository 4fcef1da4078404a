"""scripts/demo: where `scripts/speak` writes, what it says on failure, and restarts."""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
import subprocess
import sys

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_translations
import pytest

from custom_components.qwen_tts_realtime.const import DOMAIN
from scripts.demo.__main__ import output_path
from scripts.demo.home_assistant import logged_tts_error
from scripts.demo.lifecycle import PID_FILE, REPO, take_over


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
        [sys.executable, "-m", "scripts.demo", "speak", "  ", "--cwd", str(tmp_path)],
        cwd=REPO,
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
