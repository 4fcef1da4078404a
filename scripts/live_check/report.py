"""The live check's record: JSON for machines, a Markdown table for people."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
import json
import statistics
from typing import Any

from .run import Result


def record(live: Result, reference: Result, cap: int, differences: list[str]) -> dict[str, Any]:
    """Return the whole record, JSON-ready."""
    return {
        "endpoint": live.endpoint,
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "most_billed_characters": cap,
        "billed_characters": live.billed(),
        "usage_characters": live.usage_characters(),
        "differences": differences,
        "service": asdict(live),
        "emulator": asdict(reference),
    }


def to_json(data: dict[str, Any]) -> str:
    """Return the record as indented JSON."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ") if value not in (None, "") else "—"


def _table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return [*lines, ""]


def to_markdown(data: dict[str, Any]) -> str:
    """Return the record as Markdown: differences first, then every measure."""
    live = data["service"]
    lines = [
        f"# Live check of {data['endpoint']}",
        "",
        f"{data['checked_at']}. At most {data['most_billed_characters']} characters could be "
        f"billed; {data['billed_characters']} were, of which `usage` of `response.done` shows "
        f"{data['usage_characters']} (the timing runs go through the client, which hides it).",
        "",
        "## Differences from the catalogue and the emulator",
        "",
    ]
    differences = data["differences"]
    lines += [f"- {line}" for line in differences] or ["None."]
    lines.append("")
    if live["timing"]:
        names = {
            "handshake_ms": "handshake (the first includes the DNS lookup)",
            "session_created_ms": "until session.created",
            "cold_first_audio_ms": "first audio, cold (a fresh socket per utterance)",
            "warm_first_audio_ms": "first audio, warm (the client's spare socket)",
        }
        rows: list[tuple[object, ...]] = [
            (
                name,
                ", ".join(map(str, live["timing"][key])),
                round(statistics.median(live["timing"][key]), 1),
            )
            for key, name in names.items()
            if live["timing"][key]
        ]
        lines += ["## Times (ms)", "", *_table(("measure", "runs", "median"), rows)]
    rows = []
    for model, answers in live["voices"].items():
        refused = [f"{name} ({a['code']})" for name, a in answers.items() if not a["accepted"]]
        rows.append((model, f"{len(answers) - len(refused)}/{len(answers)}", ", ".join(refused)))
    lines += ["## Voices", "", *_table(("model", "accepted", "refused"), rows)]
    rows = [
        (
            key,
            "accepted" if answer["accepted"] else f"refused ({answer['code']})",
            ", ".join(response["starts_with"] for response in answer["responses"]),
        )
        for key, answer in live["formats"].items()
    ]
    lines += ["## Formats", "", *_table(("format", "answer", "each response starts with"), rows)]
    rows = [
        (key, "accepted" if a["accepted"] else f"refused ({a['code']})", a["message"])
        for key, a in live["errors"].items()
    ]
    lines += ["## Errors", "", *_table(("request", "answer", "message"), rows)]
    if idle := live["idle"]:
        closed = idle["closed_after_s"]
        lines += [
            "## Idle socket",
            "",
            f"Closed by the service after {closed} s (code {idle['close_code']})."
            if closed is not None
            else f"Still open after {idle['waited_s']} s.",
            "",
        ]
    if live["regions"]:
        rows = [
            (
                region["region"],
                region["endpoint"],
                min(region["handshake_ms"], default=None),
                ", ".join(region["serves"]),
                ", ".join(f"{model} ({why})" for model, why in region["lacks"].items()),
            )
            for region in live["regions"]
        ]
        header = ("region", "endpoint", "fastest handshake (ms)", "serves", "does not serve")
        lines += ["## Regions that take the key", "", *_table(header, rows)]
    usage = sorted({json.dumps(r["usage"], sort_keys=True) for r in _responses(live)})[:3]
    lines += ["## Usage of response.done", "", *(f"- `{u}`" for u in usage), ""]
    return "\n".join(lines)


def _responses(result: dict[str, Any]) -> list[dict[str, Any]]:
    answers = [*result["formats"].values()]
    answers += [a for voices in result["voices"].values() for a in voices.values()]
    return [response for answer in answers for response in answer["responses"]]
