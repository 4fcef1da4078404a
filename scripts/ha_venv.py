"""Requirements for testing against one Home Assistant release, generated from that release.

    python scripts/ha_venv.py pins                         # core components' pins, installed HA
    python scripts/ha_venv.py write requirements_test.txt  # rewrite its generated block
    python scripts/ha_venv.py check requirements_test.txt  # fail if the block is stale (lint)
    python scripts/ha_venv.py install VERSION requirements_test.txt  # for scripts/test --ha

`install` fills the running interpreter's venv: the pytest-homeassistant-custom-component release
that pins Home Assistant VERSION (the harness pins every package of that release's test set), or,
when none pins it, the nearest harness (HARNESS_FOR, else the newest) with Home Assistant VERSION
installed over it (tests/harness_compat.py bridges what that needs); then the requirements that
VERSION's own manifests pin for the components the tests load, and the lines of
requirements_test.txt that are not about Home Assistant. Standard library only: it runs in a venv
that has nothing else yet.
"""

from __future__ import annotations

from collections.abc import Iterator
import importlib.metadata
import json
from pathlib import Path
import re
import subprocess
import sys
import tempfile

HARNESS = "pytest-homeassistant-custom-component"
# Components the tests set up (tests/*: async_setup_component), besides the integration's own
# dependencies; their `dependencies` are followed, as Home Assistant loads them.
TESTED_COMPONENTS = ("tts", "assist_pipeline", "media_source", "brands", "homeassistant")
MANIFEST = Path("custom_components/qwen_tts_realtime/manifest.json")
BEGIN = "# begin generated: core component requirements"
END = "# end generated"
# The harness for older Home Assistant releases; its own metadata says whether it pins the release
# (else the release goes over it). Releases not listed: requirements_test.txt's, then the newest.
HARNESS_FOR = {
    "2026.3.0": "0.13.317",  # no harness pins 2026.3.0 (0.13.316 pins 2026.2.3, 0.13.317 2026.3.1)
    "2026.3.4": "0.13.320",
    "2026.4.4": "0.13.325",
    "2026.5.4": "0.13.333",
    "2026.8.3": "0.13.357",
    "2026.9.0": "0.13.363",
    "2026.9.4": "0.13.367",
}
RE_HARNESS_LINE = re.compile(rf"^{re.escape(HARNESS)}==(\S+)")
RE_HA_PIN = re.compile(r"^homeassistant\s*==\s*([^\s;]+)")


def _package_dir() -> Path:
    return Path(str(importlib.metadata.distribution("homeassistant").locate_file("homeassistant")))


def pins() -> list[str]:
    """Return `requirement  # component` lines for the tested components and their dependencies."""
    components = _package_dir() / "components"
    integration = json.loads(MANIFEST.read_text(encoding="utf-8"))
    todo = [*integration.get("dependencies", []), *TESTED_COMPONENTS]
    seen: set[str] = set()
    lines: dict[str, str] = {}
    while todo:
        domain = todo.pop(0)
        if domain in seen:
            continue
        seen.add(domain)
        manifest = json.loads((components / domain / "manifest.json").read_text(encoding="utf-8"))
        todo.extend(manifest.get("dependencies", []))
        for requirement in manifest.get("requirements", []):
            lines.setdefault(requirement, f"{requirement}  # {domain}")
    return sorted(lines.values(), key=str.lower)


def _split(path: Path) -> tuple[list[str], list[str], list[str]]:
    """Return the lines before, inside and after the generated block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if BEGIN not in lines or END not in lines:
        raise SystemExit(f"{path}: no '{BEGIN}' ... '{END}' block")
    start, stop = lines.index(BEGIN), lines.index(END)
    return lines[: start + 1], lines[start + 1 : stop], lines[stop:]


def write(path: Path) -> None:
    """Replace the generated block with the installed release's pins."""
    before, _, after = _split(path)
    path.write_text("\n".join([*before, *pins(), *after]) + "\n", encoding="utf-8")


def check(path: Path) -> None:
    """Fail when the generated block differs from the installed release's pins."""
    _, block, _ = _split(path)
    if block != pins():
        raise SystemExit(
            f"{path}: the core component requirements differ from Home Assistant "
            f"{importlib.metadata.version('homeassistant')}'s manifests; "
            f"run: python scripts/ha_venv.py write {path}"
        )


def _rest(path: Path) -> Iterator[str]:
    """Yield the lines of requirements_test.txt that are not about Home Assistant."""
    before, _, after = _split(path)
    for line in (*before, *after):
        if not RE_HARNESS_LINE.match(line):
            yield line


def _pip(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "pip", *args], check=True, text=True, stdout=subprocess.PIPE
    ).stdout


def _harness_pin(spec: str) -> tuple[str, str]:
    """Return (harness version, Home Assistant version it pins), from the package index."""
    report = json.loads(
        _pip("install", "--dry-run", "--no-deps", "--ignore-installed", "-q", "--report", "-", spec)
    )
    metadata = report["install"][0]["metadata"]
    for requirement in metadata.get("requires_dist", []):
        if match := RE_HA_PIN.match(requirement):
            return metadata["version"], match.group(1)
    raise SystemExit(f"{spec} does not pin homeassistant")


def install(version: str, requirements_test: Path) -> None:
    """Install Home Assistant VERSION, its harness, pins and the rest into this venv."""
    if version in HARNESS_FOR:
        candidates = [_harness_pin(f"{HARNESS}=={HARNESS_FOR[version]}")]
    else:
        candidates = []
        for line in requirements_test.read_text(encoding="utf-8").splitlines():
            if RE_HARNESS_LINE.match(line):
                candidates.append(_harness_pin(line.strip()))
        candidates.append(_harness_pin(HARNESS))  # the newest
    pinning = [harness for harness, pinned in candidates if pinned == version]
    if pinning:
        print(f"{HARNESS} {pinning[0]} pins Home Assistant {version}", flush=True)
        _pip("install", "-q", f"{HARNESS}=={pinning[0]}")
    else:
        harness, pinned = candidates[-1]  # HARNESS_FOR's, else the newest
        print(
            f"no {HARNESS} release pins {version}: installing it over {harness} (which pins "
            f"{pinned}); pip reports that conflict, as expected",
            flush=True,
        )
        _pip("install", "-q", f"{HARNESS}=={harness}")
        _pip("install", "-q", f"homeassistant=={version}")
    installed = importlib.metadata.version("homeassistant")
    if installed != version:
        raise SystemExit(f"installed Home Assistant {installed}, not {version}")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", dir=requirements_test.parent) as rest:
        rest.write("\n".join([*pins(), *_rest(requirements_test)]) + "\n")
        rest.flush()
        _pip("install", "-q", "-r", rest.name)


def main(argv: list[str]) -> None:
    """Run one of the commands in the module docstring."""
    match argv:
        case ["pins"]:
            print("\n".join(pins()))
        case ["write", path]:
            write(Path(path))
        case ["check", path]:
            check(Path(path))
        case ["install", version, path]:
            install(version, Path(path))
        case _:
            raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
