"""The demo's processes: children in process groups of their own, the pid file, signals.

Home Assistant and the emulator die with the demo (even when it is killed outright) and are listed
in a pid file: a new `serve` stops whatever an earlier one left running before it starts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
import contextlib
import ctypes
import json
import os
from pathlib import Path
import signal
import socket
import sys
import time
from typing import Any, Final

REPO: Final = Path(__file__).resolve().parent.parent.parent
EMULATOR_KEY: Final = "sk-emulator-demo"
PID_FILE: Final = ".qwen-tts-demo-pids.json"
# What each process of a demo runs: a pid in the pid file is signalled only while it still runs one.
OUR_COMMANDS: Final = ("homeassistant", "qwen_tts_emulator", "scripts.demo")
STOP_TIMEOUT: Final = 30.0  # seconds Home Assistant gets to shut down before it is killed
_PR_SET_PDEATHSIG: Final = 1


class DemoError(Exception):
    """A failure to report in one line, without a traceback."""


def _die_with_parent() -> None:
    """Run in each child before exec: when this script dies, even by SIGKILL, so does the child."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Pids:
    """The pid file of a `serve`: this script and its children, for the next one to stop."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.pids = [os.getpid()]

    def add(self, pid: int) -> None:
        self.pids.append(pid)
        if self.path:
            self.path.write_text(json.dumps(self.pids))

    def remove(self) -> None:
        if self.path:
            self.path.unlink(missing_ok=True)


async def spawn(pids: Pids, *command: str, **kwargs: Any) -> asyncio.subprocess.Process:
    """Start a child in a process group of its own (so Ctrl+C reaches only this script)."""
    process = await asyncio.create_subprocess_exec(
        *command, process_group=0, preexec_fn=_die_with_parent, **kwargs
    )
    pids.add(process.pid)
    return process


def _ours(pid: int) -> bool:
    """Return whether `pid` still runs a process of a demo (pids are reused)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return any(name in cmdline for name in OUR_COMMANDS)


def take_over(config_dir: Path) -> list[int]:
    """Stop the processes an earlier demo left running; return their pids."""
    pid_file = config_dir / PID_FILE
    try:
        pids = [int(pid) for pid in json.loads(pid_file.read_text())]
    except FileNotFoundError, ValueError, TypeError:
        return []
    running = [pid for pid in pids if pid != os.getpid() and _ours(pid)]
    for pid in running:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while any(_ours(pid) for pid in running) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in running:
        if _ours(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return running


async def stop(process: asyncio.subprocess.Process | None) -> None:
    """Stop a child and everything in its process group, gracefully first."""
    if process is None or process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        async with asyncio.timeout(STOP_TIMEOUT):
            await process.wait()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        await process.wait()


async def start_emulator(pids: Pids, any_port: bool) -> tuple[asyncio.subprocess.Process, str]:
    """Start the emulator; it accepts only the demo's key, so a wrong key shows invalid_auth."""
    port = _free_port() if any_port else int(os.environ.get("QWEN_TTS_EMULATOR_PORT", "8765"))
    process = await spawn(
        pids, sys.executable, "-m", "qwen_tts_emulator", "--host", "127.0.0.1", "--port", str(port),
        "--api-key", EMULATOR_KEY, cwd=REPO,
    )  # fmt: skip
    for _ in range(100):
        if process.returncode is not None:
            raise DemoError(f"the emulator exited with {process.returncode} (port {port} in use?)")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return process, f"ws://127.0.0.1:{port}/api-ws/v1/realtime"
        await asyncio.sleep(0.1)
    raise SystemExit(f"the emulator did not start on port {port}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def until_signalled(main: Coroutine[Any, Any, None]) -> None:
    """Run `main`, cancelling it (so it cleans up) on SIGTERM or SIGHUP as on Ctrl+C."""
    task = asyncio.ensure_future(main)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task
