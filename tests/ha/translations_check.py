"""Translation coverage at run time, in the style of Home Assistant core's `check_translations`.

While the tests that drive Home Assistant run (tests/ha/conftest.py applies it), every flow
result (form titles, descriptions, field labels, errors, selector options, menu options, aborts),
every translated exception the integration builds, every repair issue and every entity translation
key is looked up in strings.json and in each file under translations/: the key must exist there,
with placeholders that the code actually fills. Nothing reads source text, so a renamed key or step
cannot slip past.

After a green run of all of tests/ha/, every exception message and entity icon must also have been
produced by some test (strings no test reaches are either dead or untested).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping
import json
from pathlib import Path
import string
from typing import Any
from unittest.mock import patch

from homeassistant.components.repairs import RepairsFlow, RepairsFlowManager
from homeassistant.config_entries import (
    ConfigEntriesFlowManager,
    ConfigSubentryFlowManager,
    OptionsFlowManager,
)
from homeassistant.data_entry_flow import FlowHandler, FlowManager, FlowResultType, section
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.selector import SelectSelector
import pytest

from custom_components.qwen_tts_realtime.const import DOMAIN

TESTS = Path(__file__).resolve().parent  # the tests that drive Home Assistant, which it checks
INTEGRATION = TESTS.parents[1] / "custom_components" / DOMAIN

type Tree = Mapping[str, Any]


def load_translations() -> dict[str, Tree]:
    """strings.json and every translations/*.json, by file name."""
    paths = [INTEGRATION / "strings.json", *sorted((INTEGRATION / "translations").glob("*.json"))]
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in paths}


def placeholders(entry: Tree | str) -> set[str]:
    """The placeholders a string, or every string below a key, shows."""
    texts = [entry] if isinstance(entry, str) else [text for _, text in leaves(entry)]
    return {
        field
        for text in texts
        for _, field, _, _ in string.Formatter().parse(text)
        if field is not None
    }


def leaves(tree: Tree, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """(dotted key, value) of every leaf below `tree`."""
    for key, value in tree.items():
        if isinstance(value, Mapping):
            yield from leaves(value, (*path, key))
        else:
            yield ".".join((*path, key)), value


def _lookup(tree: Tree, key: str) -> Tree | str | None:
    node: Any = tree
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    result: Tree | str = node
    return result


class TranslationCheck:
    """Looks up what the code produced; collects what is missing instead of raising at once."""

    def __init__(self, translations: Mapping[str, Tree]) -> None:
        self.translations = translations
        self.problems: list[str] = []
        self.used: set[str] = set()

    def require(
        self,
        key: str,
        given: Mapping[str, Any] | None,
        *,
        exact: bool = False,
        required: bool = True,
    ) -> None:
        """`key` (dotted, within strings.json) exists in every file and shows only `given`.

        With `exact`, it shows exactly the placeholders given; `given=None` skips placeholders.
        """
        self.used.add(key)
        for name, tree in self.translations.items():
            entry = _lookup(tree, key)
            if entry is None:
                if required:
                    self.problems.append(f"{name}: {key} is missing")
                continue
            if given is None:
                continue
            shown, offered = placeholders(entry), set(given)
            if shown != offered if exact else not shown <= offered:
                self.problems.append(
                    f"{name}: {key} shows {sorted(shown)}, the code gives {sorted(offered)}"
                )

    def flow_result(self, prefix: str, result: Mapping[str, Any]) -> None:
        """A result of a flow whose strings live under `prefix` ("config", "options", ...)."""
        given: Mapping[str, Any] = result.get("description_placeholders") or {}
        step = f"{prefix}.step.{result.get('step_id')}"
        match result["type"]:
            case FlowResultType.FORM:
                # Title and description may be left out (Home Assistant shows the name).
                for header in ("title", "description"):
                    self.require(f"{step}.{header}", given, required=False)
                for error in (result.get("errors") or {}).values():
                    self.require(f"{prefix}.error.{error}", given)
                if (schema := result.get("data_schema")) is not None:
                    self._fields(step, schema, given)
            case FlowResultType.MENU:
                for header in ("title", "description"):
                    self.require(f"{step}.{header}", given, required=False)
                options = result["menu_options"]
                if not isinstance(options, Mapping):  # a dict brings its own labels
                    for option in options:
                        self.require(f"{step}.menu_options.{option}", given)
            case FlowResultType.ABORT:
                self.require(f"{prefix}.abort.{result['reason']}", given)
            case FlowResultType.SHOW_PROGRESS:
                self.require(f"{prefix}.progress.{result['progress_action']}", given)

    def _fields(self, base: str, schema: Any, given: Mapping[str, Any]) -> None:
        """Each field of a form has a label; each option of a translated selector has one too."""
        for marker, value in schema.schema.items():
            name = str(getattr(marker, "schema", marker))
            if isinstance(value, section):
                self.require(f"{base}.sections.{name}.name", given)
                self._fields(f"{base}.sections.{name}", value.schema, given)
                continue
            self.require(f"{base}.data.{name}", given)
            if isinstance(value, SelectSelector) and (key := value.config.get("translation_key")):
                for option in value.config["options"]:
                    option_value = option if isinstance(option, str) else option["value"]
                    self.require(f"selector.{key}.options.{option_value}", None)

    def exception(self, err: HomeAssistantError) -> None:
        """A translated error of this integration: its message with exactly its placeholders."""
        if err.translation_domain == DOMAIN and err.translation_key is not None:
            self.require(
                f"exceptions.{err.translation_key}.message",
                err.translation_placeholders or {},
                exact=True,
            )

    def issue(self, issue: ir.IssueEntry) -> None:
        """A repair issue: title, description unless a fix flow explains it, all placeholders."""
        if issue.domain != DOMAIN or issue.translation_key is None:
            return
        key = f"issues.{issue.translation_key}"
        given = issue.translation_placeholders or {}
        self.require(f"{key}.title", given)
        if not issue.is_fixable:
            self.require(f"{key}.description", given)
        for name, tree in self.translations.items():
            texts = [_lookup(tree, f"{key}.{part}") for part in ("title", "description")]
            shown = set().union(*(placeholders(t) for t in texts if isinstance(t, str)))
            if shown != set(given):
                self.problems.append(
                    f"{name}: {key} shows {sorted(shown)}, the code gives {sorted(given)}"
                )

    def entity(self, entry: er.RegistryEntry) -> None:
        """An entity of this integration with a translation key has its strings."""
        if entry.platform == DOMAIN and entry.translation_key is not None:
            self.require(f"entity.{entry.domain}.{entry.translation_key}", None)


def flow_prefix(
    manager: FlowManager[Any, Any, Any], flow: FlowHandler[Any, Any, Any]
) -> str | None:
    """Where in strings.json a flow of this integration keeps its strings (None: not ours)."""
    hass = flow.hass
    if isinstance(manager, ConfigEntriesFlowManager):
        domain, prefix = flow.handler, "config"
    elif isinstance(manager, OptionsFlowManager | ConfigSubentryFlowManager):
        entry_id = flow.handler if isinstance(manager, OptionsFlowManager) else flow.handler[0]
        entry = hass.config_entries.async_get_entry(entry_id)
        if entry is None:
            return None
        domain = entry.domain
        prefix = (
            "options"
            if isinstance(manager, OptionsFlowManager)
            else f"config_subentries.{flow.handler[1]}"
        )
    elif isinstance(manager, RepairsFlowManager) and isinstance(flow, RepairsFlow):
        issue = ir.async_get(hass).async_get_issue(flow.handler, flow.issue_id)
        if issue is None:
            return None
        domain, prefix = flow.handler, f"issues.{issue.translation_key}.fix_flow"
    else:
        return None
    return prefix if domain == DOMAIN else None


# Keys produced across the session, and whether the session ran every test.
USED: set[str] = set()
_PARTIAL: list[str] = []
_UNUSED: list[str] = []


def _hooks(check: TranslationCheck) -> dict[str, Callable[..., Any]]:
    """Replacements that call Home Assistant's own methods, then check what they produced."""
    handle_step = FlowManager._async_handle_step
    get_or_create_issue = ir.IssueRegistry.async_get_or_create
    get_or_create_entity = er.EntityRegistry.async_get_or_create
    init_error = HomeAssistantError.__init__

    async def _async_handle_step(
        self: FlowManager[Any, Any, Any], flow: FlowHandler[Any, Any, Any], *args: Any
    ) -> Any:
        result = await handle_step(self, flow, *args)
        if (prefix := flow_prefix(self, flow)) is not None:
            check.flow_result(prefix, result)
        return result

    def issue_get_or_create(self: ir.IssueRegistry, *args: Any, **kwargs: Any) -> ir.IssueEntry:
        issue = get_or_create_issue(self, *args, **kwargs)
        check.issue(issue)
        return issue

    def entity_get_or_create(
        self: er.EntityRegistry, *args: Any, **kwargs: Any
    ) -> er.RegistryEntry:
        entry = get_or_create_entity(self, *args, **kwargs)
        check.entity(entry)
        return entry

    def error_init(self: HomeAssistantError, *args: Any, **kwargs: Any) -> None:
        init_error(self, *args, **kwargs)
        check.exception(self)

    return {
        "homeassistant.data_entry_flow.FlowManager._async_handle_step": _async_handle_step,
        "homeassistant.helpers.issue_registry.IssueRegistry.async_get_or_create": (
            issue_get_or_create
        ),
        "homeassistant.helpers.entity_registry.EntityRegistry.async_get_or_create": (
            entity_get_or_create
        ),
        # Not only errors raised from service calls (as core checks): also those that reach the
        # user through a TTS stream, a media URL or a config entry's state.
        "homeassistant.exceptions.HomeAssistantError.__init__": error_init,
    }


@pytest.fixture(autouse=True)
def check_translations() -> Generator[TranslationCheck]:
    """Check every translation key the test produces; fail the test if one is missing."""
    check = TranslationCheck(load_translations())
    hooks = _hooks(check)
    patchers = [patch(target, new) for target, new in hooks.items()]
    for patcher in patchers:
        patcher.start()
    try:
        yield check
    finally:
        for patcher in reversed(patchers):
            patcher.stop()
    USED.update(check.used)
    if check.problems:
        pytest.fail("translations:\n  " + "\n  ".join(dict.fromkeys(check.problems)))


def unused(used: set[str], strings: Tree, icons: Tree) -> list[str]:
    """Exception messages and entity icons that nothing in `used` produced."""
    found = [
        f"exceptions.{key}"
        for key in strings.get("exceptions", {})
        if f"exceptions.{key}.message" not in used
    ]
    found += [
        f"icons.json: entity.{platform}.{key}"
        for platform, keys in icons.get("entity", {}).items()
        for key in keys
        if f"entity.{platform}.{key}" not in used
    ]
    return found


def pytest_deselected(items: list[pytest.Item]) -> None:
    """A run with -k or -m does not reach every string."""
    if items:
        _PARTIAL.append("deselected")


def pytest_collection_finish(session: pytest.Session) -> None:
    """A run of some files or some tests does not reach every string."""
    ran = {Path(item.path) for item in session.items}
    if any("::" in arg for arg in session.config.args) or set(TESTS.rglob("test_*.py")) - ran:
        _PARTIAL.append("a selection")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After a complete, green run: fail if an exception message or an icon was never used."""
    if exitstatus != pytest.ExitCode.OK or _PARTIAL:
        return
    strings = load_translations()["strings.json"]
    icons = json.loads((INTEGRATION / "icons.json").read_text(encoding="utf-8"))
    if left := unused(USED, strings, icons):
        _UNUSED.extend(left)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say why a green run failed."""
    if _UNUSED:
        terminalreporter.section("translations no test produced", red=True)
        for key in _UNUSED:
            terminalreporter.write_line(key)
