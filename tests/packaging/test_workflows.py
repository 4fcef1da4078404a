"""GitHub workflows and the release they make."""

from __future__ import annotations

from collections.abc import Iterator
import re
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
import pytest
import yaml

from custom_components.qwen_tts_realtime.const import DOMAIN

from .files import ROOT, WORKFLOWS, hacs, manifest


def _workflow(name: str) -> dict[str, Any]:
    result: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    return result


def _triggers(workflow: dict[Any, Any]) -> Any:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True


def _steps(workflow: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for job in workflow["jobs"].values():
        yield from job.get("steps", [])


@pytest.mark.parametrize(
    "name", sorted(path.name for path in WORKFLOWS.glob("*.yml")) or ["<none>"]
)
def test_workflow_actions_are_pinned(name: str) -> None:
    """Actions are pinned to a major version, except the two whose docs name a branch."""
    assert name != "<none>", "no workflows"
    workflow = _workflow(name)
    assert _triggers(workflow), "no trigger"
    for step in _steps(workflow):
        if "uses" not in step:
            continue
        action, _, ref = step["uses"].partition("@")
        branch = {"home-assistant/actions/hassfest": "master", "hacs/action": "main"}
        assert ref == branch.get(action) or re.fullmatch(r"v\d+", ref), step["uses"]


def test_test_workflow_runs_the_readme_command() -> None:
    """CI runs scripts/test on Python 3.14, like everyone else does."""
    steps = list(_steps(_workflow("tests.yml")))
    python = [s for s in steps if s.get("uses", "").startswith("actions/setup-python@")]
    assert python
    assert str(python[0]["with"]["python-version"]) == "3.14"
    assert any(s.get("run", "").strip() == "scripts/test" for s in steps)


def test_ci_tests_the_claimed_minimum_home_assistant() -> None:
    """The lowest release the test matrix runs the suite on is hacs.json's minimum.

    That run is what proves the claim: a test here cannot know which names an older release lacks.
    """
    minimum = hacs()["homeassistant"]
    (job,) = _workflow("tests.yml")["jobs"].values()
    releases = [
        AwesomeVersion(str(ha), ensure_strategy=[AwesomeVersionStrategy.CALVER])
        for ha in job["strategy"]["matrix"]["ha"]
        if ha != "pinned"
    ]
    assert str(min(releases)) == minimum
    commands = [step.get("run", "") for step in job["steps"]]
    assert "scripts/test --ha ${{ matrix.ha }}" in commands
    for readme in ("README.md", "README.zh-Hans.md"):
        assert f"Home Assistant {minimum}" in (ROOT / readme).read_text(encoding="utf-8"), readme


def test_release_workflow_uploads_the_hacs_zip() -> None:
    """The release asset has the name hacs.json promises, from the integration's folder."""
    workflow = _workflow("release.yml")
    assert _triggers(workflow) == {"release": {"types": ["published"]}}
    text = (WORKFLOWS / "release.yml").read_text(encoding="utf-8")
    assert hacs()["filename"] in text
    assert f"custom_components/{DOMAIN}" in text
    uses = [step.get("uses", "") for step in _steps(workflow)]
    assert any(use.startswith("softprops/action-gh-release@") for use in uses)


def test_changelog_has_the_manifest_version() -> None:
    """The release workflow refuses a tag without its changelog section; catch that earlier."""
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    version = re.escape(manifest()["version"])
    assert re.search(rf"^## \[{version}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.MULTILINE)
