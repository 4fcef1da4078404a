"""TTFA through Home Assistant's TTS path: ha_session.py in Home Assistant's test harness."""

from __future__ import annotations

import json
import os
from pathlib import Path
import subprocess
import sys
import tempfile
from typing import Any

from .common import REPO, Settings, median, ms, p95
from .table import table


def run_session(
    script: str, s: Settings, *, handshake_delay: float | None = None
) -> dict[str, Any]:
    """Run one pytest file in Home Assistant's harness; return the JSON it wrote."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ha.json"
        env = {
            **os.environ,
            "QWEN_TTS_BENCH_OUT": str(out),
            "QWEN_TTS_BENCH_ROUNDS": str(s.ha_rounds),
            "QWEN_TTS_BENCH_HANDSHAKE_DELAY": str(handshake_delay or s.handshake_delay),
            "QWEN_TTS_BENCH_FIRST_AUDIO_DELAY": str(s.first_audio_delay),
            "QWEN_TTS_BENCH_REALTIME_FACTOR": str(s.realtime_factor),
        }
        command = [
            sys.executable, "-m", "pytest", script,
            "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--no-header",
        ]  # fmt: skip
        proc = subprocess.run(
            command, check=False, cwd=REPO, env=env, capture_output=True, text=True
        )
        if proc.returncode != 0 or not out.exists():
            sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
            return {"error": f"pytest exited with {proc.returncode}"}
        result: dict[str, Any] = json.loads(out.read_text())
        return result


def measure(s: Settings) -> dict[str, Any]:
    return run_session("benchmarks/ha_session.py", s)


def section(ha: dict[str, Any] | None) -> list[str]:
    blocks = ["## Through Home Assistant's TTS path"]
    if ha is None:
        return [*blocks, "Skipped (`--skip-ha`)."]
    if "error" in ha:
        return [*blocks, f"Failed: {ha['error']}."]
    return [
        *blocks,
        "`tts.async_create_stream` → `async_set_message` → `async_stream_result()` until the "
        "first bytes: the TTS manager, our entity, our client, the emulator in Home "
        "Assistant's own event loop (pytest-homeassistant-custom-component). Each utterance "
        f"has a new text, so the cache never answers. {ha['note']}",
        table(
            ("path", "utterances", "median ms", "p95 ms"),
            [
                (name, len(values), ms(median(values)), ms(p95(values)))
                for name, values in ha["ttfa"].items()
            ],
            "lrrr",
        ),
    ]
