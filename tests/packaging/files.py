"""The repository's files that the packaging checks read, and the rules' shared vocabulary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from custom_components.qwen_tts_realtime.const import DOMAIN

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION = ROOT / "custom_components" / DOMAIN
WORKFLOWS = ROOT / ".github" / "workflows"


def read_json(path: Path) -> Any:
    """The parsed content of a JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))


def manifest() -> dict[str, Any]:
    """The integration's manifest.json."""
    result: dict[str, Any] = read_json(INTEGRATION / "manifest.json")
    return result


def hacs() -> dict[str, Any]:
    """The repository's hacs.json."""
    result: dict[str, Any] = read_json(ROOT / "hacs.json")
    return result


def strings() -> dict[str, Any]:
    """The integration's strings.json, the source of its English translation."""
    result: dict[str, Any] = read_json(INTEGRATION / "strings.json")
    return result
