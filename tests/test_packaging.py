"""Packaging checks: a local stand-in for hassfest and the HACS action.

The real validators cannot run here: hassfest lives in Home Assistant's source tree (the
`homeassistant` wheel and sdist on PyPI do not ship `script/hassfest`, and no PyPI package provides
it), and the HACS action reads the repository through GitHub's API. .github/workflows/validate.yml
runs both on GitHub; these tests apply the same rules to the files in this repository, plus a few
of this project's own (brand images, translation parity, translation keys used by the code).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
import importlib.util
import json
from pathlib import Path
import re
import string
from typing import Any

from awesomeversion import AwesomeVersion, AwesomeVersionException, AwesomeVersionStrategy
import homeassistant.const as ha_const
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = "qwen_tts_realtime"
INTEGRATION = ROOT / "custom_components" / DOMAIN
WORKFLOWS = ROOT / ".github" / "workflows"

# ---------------------------------------------------------------------------------------------
# Rules, as hassfest (script/hassfest/manifest.py, translations.py) and HACS
# (custom_components/hacs/utils/validate.py) state them.

MANIFEST_KEYS = {
    "domain", "name", "after_dependencies", "bluetooth", "codeowners", "config_flow",
    "dependencies", "dhcp", "disabled", "documentation", "homekit", "import_executor",
    "integration_type", "iot_class", "issue_tracker", "loggers", "mqtt", "preview_features",
    "quality_scale", "requirements", "single_config_entry", "ssdp", "usb", "version", "zeroconf",
}  # fmt: skip
# Required here: hassfest needs domain, name, codeowners, documentation and (custom) version;
# HACS needs issue_tracker; the rest keeps the manifest explicit.
MANIFEST_REQUIRED = {
    "domain", "name", "codeowners", "documentation", "integration_type", "iot_class",
    "issue_tracker", "requirements", "version",
}  # fmt: skip
IOT_CLASSES = {
    "assumed_state", "calculated", "cloud_polling", "cloud_push", "local_polling", "local_push",
}  # fmt: skip
SCALED_QUALITY = ("bronze", "silver", "gold", "platinum")
QUALITY_SCALES = {*SCALED_QUALITY, "custom", "no_score", "internal", "legacy"}
HACS_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "content_in_root": bool,
    "zip_release": bool,
    "filename": str,
    "hide_default_branch": bool,
    "country": (str, list),
    "homeassistant": str,
    "persistent_directory": str,
    "render_readme": bool,
    "hacs": str,
}
BRAND_IMAGES = ("icon", "logo")
RE_TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
RE_SLUG = re.compile(r"^[a-z0-9_]+$")
RE_HTML = re.compile(r"<[a-z/][^>]*>", re.IGNORECASE)
RE_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[a-z0-9]|\bwww\.[a-z0-9]", re.IGNORECASE)
RE_QUOTED_PLACEHOLDER = re.compile(r"'\{\w+\}'")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the suite's autouse fixture: these checks read files, no Home Assistant needed."""


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _manifest() -> dict[str, Any]:
    result: dict[str, Any] = _json(INTEGRATION / "manifest.json")
    return result


def _hacs() -> dict[str, Any]:
    result: dict[str, Any] = _json(ROOT / "hacs.json")
    return result


def _strings() -> dict[str, Any]:
    result: dict[str, Any] = _json(INTEGRATION / "strings.json")
    return result


def _version(value: str, strategies: list[AwesomeVersionStrategy]) -> AwesomeVersion:
    try:
        return AwesomeVersion(value, ensure_strategy=strategies)
    except AwesomeVersionException as err:
        raise AssertionError(f"{value!r} is not a version ({err})") from None


# ---------------------------------------------------------------------------------------------
# manifest.json


def test_manifest_key_order() -> None:
    """Domain, name, then the rest in alphabetical order (hassfest sorts them so)."""
    keys = list(_manifest())
    expected = ["domain", "name", *sorted(set(keys) - {"domain", "name"})]
    assert keys == expected, "manifest keys: domain, name, then alphabetical order"


def test_manifest_keys_and_types() -> None:
    """Only keys hassfest knows, the required ones present, each of the right type."""
    manifest = _manifest()
    assert set(manifest) <= MANIFEST_KEYS, f"unknown keys: {set(manifest) - MANIFEST_KEYS}"
    assert set(manifest) >= MANIFEST_REQUIRED, f"missing: {MANIFEST_REQUIRED - set(manifest)}"
    assert manifest["domain"] == INTEGRATION.name == DOMAIN
    for key in ("codeowners", "requirements", "dependencies", "after_dependencies", "loggers"):
        value = manifest.get(key, [])
        assert isinstance(value, list), key
        assert all(isinstance(item, str) and item for item in value), key
    assert all(owner.startswith("@") for owner in manifest["codeowners"])
    for key in ("documentation", "issue_tracker"):
        assert re.match(r"^https://[^/\s]+\.[^/\s]+/\S*$", manifest[key]), key
    assert not manifest["documentation"].startswith("https://www.home-assistant.io/integrations")


def test_manifest_values() -> None:
    """Integration type, IoT class, version, config flow and quality scale."""
    manifest = _manifest()
    assert manifest["integration_type"] == "service"
    assert manifest["iot_class"] in IOT_CLASSES
    _version(
        manifest["version"],
        [AwesomeVersionStrategy.SEMVER, AwesomeVersionStrategy.SIMPLEVER],
    )
    assert (INTEGRATION / "config_flow.py").is_file()
    assert manifest.get("config_flow") is True
    scale = manifest.get("quality_scale")
    if scale is not None:
        assert scale in QUALITY_SCALES
        if scale in SCALED_QUALITY[1:]:
            # hassfest: "<scale> integration does not have a code owner".
            assert manifest["codeowners"], f"quality_scale {scale} needs codeowners"


def test_manifest_domain_is_not_a_core_integration() -> None:
    """A custom integration with a core domain would shadow the built-in one."""
    assert importlib.util.find_spec(f"homeassistant.components.{DOMAIN}") is None


def test_manifest_dependencies() -> None:
    """Every imported integration is declared (hassfest's dependency check), and exists."""
    manifest = _manifest()
    declared = {*manifest.get("dependencies", []), *manifest.get("after_dependencies", [])}
    for domain in declared:
        assert importlib.util.find_spec(f"homeassistant.components.{domain}"), domain
    platforms = {platform.value for platform in Platform}
    for path in sorted(INTEGRATION.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = []
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            for module in modules:
                parts = module.split(".")
                if parts[:2] != ["homeassistant", "components"] or len(parts) < 3:
                    continue
                used = parts[2]
                # A platform file (diagnostics.py, tts.py) may import its own integration.
                allowed = used in declared or used in platforms or used == path.stem
                assert allowed, f"{path.relative_to(ROOT)} imports {used}, not in dependencies"


# ---------------------------------------------------------------------------------------------
# hacs.json


def test_hacs_json_keys_and_types() -> None:
    """Only keys HACS accepts (it rejects any other), each of the right type."""
    hacs = _hacs()
    assert set(hacs) <= set(HACS_KEYS), f"unknown keys: {set(hacs) - set(HACS_KEYS)}"
    assert isinstance(hacs.get("name"), str)
    assert hacs["name"]
    for key, kind in HACS_KEYS.items():
        if key in hacs:
            assert isinstance(hacs[key], kind), key
    countries = hacs.get("country", [])
    for country in [countries] if isinstance(countries, str) else countries:
        assert re.fullmatch(r"[A-Z]{2}", country), country


def test_hacs_json_release_layout() -> None:
    """A zip release of the integration folder, for one integration under custom_components/."""
    hacs = _hacs()
    assert hacs.get("content_in_root", False) is False
    integrations = [
        p.name for p in (ROOT / "custom_components").iterdir() if p.is_dir() and p.name[0] != "_"
    ]
    assert integrations == [DOMAIN], "HACS installs exactly one integration per repository"
    assert hacs.get("zip_release") is True
    assert hacs.get("filename") == f"{DOMAIN}.zip"


# ---------------------------------------------------------------------------------------------
# Brand images (Home Assistant brands rules; served from brand/ since Home Assistant 2026.3)


def _brand_files() -> Iterator[tuple[str, str, int]]:
    """Yield (file name, kind, scale) of every image Home Assistant looks for."""
    for prefix in ("", "dark_"):
        for kind in BRAND_IMAGES:
            yield f"{prefix}{kind}.png", kind, 1
            yield f"{prefix}{kind}@2x.png", kind, 2


@pytest.mark.parametrize(("name", "kind", "scale"), list(_brand_files()))
def test_brand_image(name: str, kind: str, scale: int) -> None:
    """Sizes, PNG with transparency, and trimmed (no empty border)."""
    path = INTEGRATION / "brand" / name
    assert path.is_file(), f"missing {path.relative_to(ROOT)}"
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        alpha = image.getchannel("A")
        assert alpha.getextrema()[0] == 0, "the background must be transparent"
        box = alpha.getbbox()
        width, height = image.size
        if kind == "icon":
            assert image.size == (256 * scale, 256 * scale)
            assert box is not None
            assert box[2] - box[0] == width or box[3] - box[1] == height, "not trimmed"
        else:
            assert min(width, height) == 128 * scale
            assert box == (0, 0, width, height), "not trimmed"
            if scale == 2:
                with Image.open(path.with_name(name.replace("@2x", ""))) as plain:
                    assert image.size == (plain.width * 2, plain.height * 2)


async def test_home_assistant_serves_the_brand_images(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, enable_custom_integrations: None
) -> None:
    """The brands integration serves each file from brand/ (none falls back to another)."""
    assert await async_setup_component(hass, "brands", {})
    client = await hass_client()
    for name, _, _ in _brand_files():
        response = await client.get(f"/api/brands/integration/{DOMAIN}/{name}")
        assert response.status == 200, name
        assert await response.read() == (INTEGRATION / "brand" / name).read_bytes(), name


def test_brand_folder_has_only_known_files() -> None:
    """Home Assistant serves only the eight known names; anything else is dead weight."""
    known = {name for name, _, _ in _brand_files()}
    present = {path.name for path in (INTEGRATION / "brand").iterdir()}
    assert present <= known, f"unexpected: {present - known}"


# ---------------------------------------------------------------------------------------------
# Translations


def _leaves(tree: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaves(value, (*path, key))
        else:
            yield ".".join((*path, key)), value


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _translation_files() -> list[Path]:
    return [INTEGRATION / "strings.json", *sorted((INTEGRATION / "translations").glob("*.json"))]


def test_english_translation_is_strings_json() -> None:
    """translations/en.json is what Home Assistant loads; strings.json is its source."""
    assert _json(INTEGRATION / "translations" / "en.json") == _strings()


@pytest.mark.parametrize("path", _translation_files(), ids=lambda p: p.name)
def test_translation_matches_strings_json(path: Path) -> None:
    """Every translation has exactly the keys of strings.json, with the same placeholders."""
    source = dict(_leaves(_strings()))
    translated = dict(_leaves(_json(path)))
    assert set(translated) == set(source), (
        f"missing: {sorted(set(source) - set(translated))}, "
        f"extra: {sorted(set(translated) - set(source))}"
    )
    for key, text in translated.items():
        assert _placeholders(text) == _placeholders(source[key]), key


@pytest.mark.parametrize("path", _translation_files(), ids=lambda p: p.name)
def test_translation_values(path: Path) -> None:
    """Hassfest's value rules: plain text, no URLs, valid placeholders, no references."""
    for key, text in _leaves(_json(path)):
        assert isinstance(text, str), key
        assert text, f"{key} is empty"
        assert text == text.strip(), f"{key} has leading or trailing spaces"
        assert not RE_HTML.search(text), f"{key} contains HTML"
        assert not RE_URL.search(text), f"{key} contains a URL: use a description placeholder"
        assert not RE_QUOTED_PLACEHOLDER.search(text), f"{key} quotes a placeholder"
        # References are resolved only for core integrations, when their strings are built.
        assert "[%key:" not in text, f"{key} uses a reference"
        assert all(name.isidentifier() for name in _placeholders(text)), key


def _flows(strings: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for section in ("config", "options"):
        if section in strings:
            yield section, strings[section]
    for subentry_type, flow in strings.get("config_subentries", {}).items():
        yield f"config_subentries.{subentry_type}", flow


def test_strings_structure() -> None:
    """Hassfest's schema rules that a plain key comparison does not catch."""
    strings = _strings()
    for name, flow in _flows(strings):
        for step_id, step in flow.get("step", {}).items():
            extra = set(step.get("data_description", {})) - set(step.get("data", {}))
            assert not extra, f"{name}.step.{step_id}: data_description without data: {extra}"
    for subentry_type, flow in strings.get("config_subentries", {}).items():
        assert "entry_type" in flow, subentry_type
        assert "user" in flow.get("initiate_flow", {}), subentry_type
    for selector, content in strings.get("selector", {}).items():
        for option in content.get("options", {}):
            assert RE_TRANSLATION_KEY.match(option), f"selector.{selector}: {option}"
    for section in ("exceptions", "issues"):
        for key in strings.get(section, {}):
            assert RE_SLUG.match(key), f"{section}.{key}"
    for key, issue in strings.get("issues", {}).items():
        assert "title" in issue, key
        assert ("description" in issue) != ("fix_flow" in issue), key


# ---------------------------------------------------------------------------------------------
# Translation keys used by the code


@dataclass(frozen=True)
class Use:
    """One translation key the code uses."""

    section: str  # "exceptions", "issues" or "selector"
    key: str
    placeholders: frozenset[str] | None  # None when the code builds them dynamically
    where: str


def _modules() -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(INTEGRATION.rglob("*.py"))
    ]


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def _section(call: ast.Call) -> str | None:
    """Which part of strings.json a call with a translation_key refers to."""
    func = _name(call.func)
    if func.endswith("create_issue"):
        return "issues"
    if func.endswith("SelectorConfig"):
        return "selector"
    if _keyword(call, "translation_domain") is not None:
        return "exceptions"
    return None


def _dict_keys(node: ast.expr | None) -> frozenset[str] | None:
    if node is None:
        return frozenset()
    if isinstance(node, ast.Dict) and all(
        isinstance(key, ast.Constant) and isinstance(key.value, str) for key in node.keys
    ):
        return frozenset(
            key.value
            for key in node.keys
            if isinstance(key, ast.Constant) and isinstance(key.value, str)
        )
    return None


@dataclass(frozen=True)
class Helper:
    """A function that passes one of its parameters on as a translation_key."""

    section: str
    index: int
    param: str
    named: frozenset[str]  # its named parameters; other keywords are placeholders
    kwargs_are_placeholders: bool


def _helpers(tree: ast.Module) -> dict[str, Helper]:
    helpers = {}
    for func in tree.body:
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        params = [arg.arg for arg in (*func.args.posonlyargs, *func.args.args)]
        named = frozenset(params + [arg.arg for arg in func.args.kwonlyargs])
        for call in (n for n in ast.walk(func) if isinstance(n, ast.Call)):
            key = _keyword(call, "translation_key")
            section = _section(call)
            if isinstance(key, ast.Name) and key.id in params and section:
                values = _keyword(call, "translation_placeholders")
                kwarg = func.args.kwarg
                helpers[func.name] = Helper(
                    section,
                    params.index(key.id),
                    key.id,
                    named,
                    bool(kwarg and isinstance(values, ast.Name) and values.id == kwarg.arg),
                )
    return helpers


def _uses() -> list[Use]:
    constants = _constants()
    uses = []
    for path, tree in _modules():
        helpers = _helpers(tree)
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            key = _resolve(_keyword(call, "translation_key"), constants)
            section = _section(call)
            if key is not None and section:
                placeholders = _dict_keys(_keyword(call, "translation_placeholders"))
                uses.append(Use(section, key, placeholders, where))
            elif (helper := helpers.get(_name(call.func))) is not None:
                arg = (
                    call.args[helper.index]
                    if len(call.args) > helper.index
                    else _keyword(call, helper.param)
                )
                if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                    continue
                given: frozenset[str] | None = None
                if helper.kwargs_are_placeholders and all(kw.arg for kw in call.keywords):
                    given = frozenset(
                        kw.arg for kw in call.keywords if kw.arg and kw.arg not in helper.named
                    )
                uses.append(Use(helper.section, arg.value, given, where))
    return uses


def _string_placeholders(entry: dict[str, Any] | str) -> set[str]:
    texts = [entry] if isinstance(entry, str) else [t for _, t in _leaves(entry)]
    return set().union(*(_placeholders(text) for text in texts))


def test_translation_keys_used_in_code_exist() -> None:
    """Exceptions, issues and selectors: the key exists and gets the placeholders it shows."""
    strings = _strings()
    uses = _uses()
    sections = {use.section for use in uses}
    assert {"exceptions", "issues", "selector"} <= sections, "the code scan found too little"
    for use in uses:
        entry = strings.get(use.section, {}).get(use.key)
        assert entry is not None, f"{use.where}: {use.section}.{use.key} is not in strings.json"
        if use.placeholders is not None and use.section != "selector":
            assert _string_placeholders(entry) == set(use.placeholders), (
                f"{use.where}: {use.section}.{use.key} shows {_string_placeholders(entry)}, "
                f"the code gives {set(use.placeholders)}"
            )


def _entity_translation_keys() -> set[tuple[str, str]]:
    """(platform, key) of every `_attr_translation_key = "..."` in a platform module."""
    platforms = {platform.value for platform in Platform}
    found = set()
    for path, tree in _modules():
        if path.parent != INTEGRATION or path.stem not in platforms:
            continue
        for node in ast.walk(tree):
            target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            value = getattr(node, "value", None)
            if (
                target is not None
                and _name(target) == "_attr_translation_key"
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                found.add((path.stem, value.value))
    return found


def test_entity_translation_keys_and_icons() -> None:
    """Entity translation keys have strings; icons.json holds MDI icons of keys in use."""
    strings = _strings().get("entity", {})
    used = _entity_translation_keys()
    for platform, key in used:
        assert key in strings.get(platform, {}), f"entity.{platform}.{key} not in strings.json"
    icons_path = INTEGRATION / "icons.json"
    icons = _json(icons_path).get("entity", {}) if icons_path.is_file() else {}
    for platform, keys in icons.items():
        for key, icon in keys.items():
            assert (platform, key) in used, f"icons.json: entity.{platform}.{key} is not used"
            assert icon.get("default", "mdi:").startswith("mdi:"), f"{platform}.{key}"
            assert all(v.startswith("mdi:") for v in icon.get("state", {}).values()), key


def test_exception_translations_are_used() -> None:
    """No exception message is left behind after the code stopped raising it."""
    used = {use.key for use in _uses() if use.section == "exceptions"}
    unused = set(_strings().get("exceptions", {})) - used
    assert not unused, f"exceptions no code raises: {unused}"


def test_selector_options_are_translated() -> None:
    """Each option the config flow offers has a label (the lists are built from the catalog)."""
    from custom_components.qwen_tts_realtime.realtime import (  # noqa: PLC0415
        SELECTABLE_MODELS,
        Region,
    )

    selector = _strings()["selector"]
    assert set(selector["region"]["options"]) == {region.value for region in Region}
    assert set(selector["model"]["options"]) == {model.name for model in SELECTABLE_MODELS}
    rates = {str(rate) for model in SELECTABLE_MODELS for rate in model.sample_rates}
    assert rates <= set(selector["sample_rate"]["options"])


# ---------------------------------------------------------------------------------------------
# Config flows: steps, errors, aborts and form fields


def _constants() -> dict[str, str]:
    """Module-level string constants of the integration (const.py and the like)."""
    found = {}
    for _, tree in _modules():
        for node in tree.body:
            target = value = None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            elif isinstance(node, ast.AnnAssign):
                target, value = node.target, node.value
            if (
                isinstance(target, ast.Name)
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                found[target.id] = value.value
    return found


def _resolve(node: ast.expr | None, constants: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in constants:
            return constants[node.id]
        value = getattr(ha_const, node.id, None)
        return value if isinstance(value, str) else None
    return None


@dataclass
class Flow:
    """What one flow class can show."""

    section: str
    steps: dict[str, tuple[frozenset[str] | None, str]]  # step id: placeholders, where
    errors: set[str]
    aborts: set[str]
    fields: set[str]


def _flow_nodes(cls: ast.ClassDef, tree: ast.Module) -> list[ast.AST]:
    """The class and the module-level functions it calls, transitively."""
    functions = {
        f.name: f for f in tree.body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    seen: set[str] = set()
    todo: list[ast.AST] = [cls]
    nodes: list[ast.AST] = []
    while todo:
        for node in ast.walk(todo.pop()):
            nodes.append(node)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                name = node.func.id
                if name in functions and name not in seen:
                    seen.add(name)
                    todo.append(functions[name])
    return nodes


def _error_values(node: ast.AST) -> Iterator[str]:
    """Form errors: values of the dicts returned or kept as `errors`, and `errors[x] = "..."`."""
    dicts: list[ast.expr] = []
    if isinstance(node, ast.Return) and node.value is not None:
        value = node.value
        dicts = list(value.elts) if isinstance(value, ast.Tuple) else [value]
    elif isinstance(node, ast.Assign) and any(_name(t) == "errors" for t in node.targets):
        dicts = [node.value]
    elif (
        isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        and any(isinstance(t, ast.Subscript) and _name(t.value) == "errors" for t in node.targets)
    ):
        yield node.value.value
    for item in dicts:
        if isinstance(item, ast.Dict) and item.values:
            values = [
                v.value
                for v in item.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            ]
            if len(values) == len(item.values):
                yield from values


def _flows_in_code() -> list[Flow]:
    constants = _constants()
    path = INTEGRATION / "config_flow.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    classes = {c.name: c for c in tree.body if isinstance(c, ast.ClassDef)}
    subentry_types: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "async_get_supported_subentry_types":
            for item in ast.walk(node):
                if isinstance(item, ast.Dict):
                    for key, value in zip(item.keys, item.values, strict=True):
                        if (resolved := _resolve(key, constants)) is not None:
                            subentry_types[_name(value)] = resolved
    flows = []
    for cls in classes.values():
        bases = {_name(base) for base in cls.bases}
        if "ConfigFlow" in bases:
            section = "config"
        elif "OptionsFlow" in bases or "OptionsFlowWithReload" in bases:
            section = "options"
        elif "ConfigSubentryFlow" in bases:
            assert cls.name in subentry_types, f"{cls.name} is not a supported subentry type"
            section = f"config_subentries.{subentry_types[cls.name]}"
        else:
            continue
        flow = Flow(section, {}, set(), set(), set())
        methods = [m for m in cls.body if isinstance(m, ast.AsyncFunctionDef | ast.FunctionDef)]
        for method in methods:
            for node in ast.walk(method):
                if not isinstance(node, ast.Call):
                    continue
                func = _name(node.func)
                reason = _resolve(_keyword(node, "reason"), constants)
                if func in ("async_show_form", "async_show_menu"):
                    step_id = _resolve(_keyword(node, "step_id"), constants)
                    if step_id is not None:
                        flow.steps[step_id] = (
                            _dict_keys(_keyword(node, "description_placeholders")),
                            f"config_flow.py:{node.lineno}",
                        )
                elif reason is not None:
                    flow.aborts.add(reason)
                elif func == "_abort_if_unique_id_configured":
                    flow.aborts.add("already_configured")
                elif func == "_abort_if_unique_id_mismatch":
                    flow.aborts.add("unique_id_mismatch")
                elif func in ("async_update_and_abort", "async_update_reload_and_abort"):
                    if section.startswith("config_subentries") or "reconfigure" in method.name:
                        flow.aborts.add("reconfigure_successful")
                    elif "reauth" in method.name:
                        flow.aborts.add("reauth_successful")
        for node in _flow_nodes(cls, tree):
            flow.errors.update(_error_values(node))
            if (
                isinstance(node, ast.Call)
                and _name(node.func) in ("Required", "Optional")
                and node.args
                and (field := _resolve(node.args[0], constants)) is not None
            ):
                flow.fields.add(field)
        flows.append(flow)
    return flows


def _flow_strings(section: str) -> dict[str, Any]:
    node: Any = _strings()
    for part in section.split("."):
        node = node.get(part, {})
    result: dict[str, Any] = node
    return result


def test_config_flow_translations() -> None:
    """Each step, form error, abort reason and form field of every flow has its string."""
    flows = _flows_in_code()
    assert {flow.section for flow in flows} >= {"config"}, "the code scan found no config flow"
    for flow in flows:
        strings = _flow_strings(flow.section)
        steps = strings.get("step", {})
        for step_id, (given, where) in flow.steps.items():
            assert step_id in steps, f"{where}: {flow.section}.step.{step_id} is missing"
            shown = _string_placeholders(steps[step_id])
            if given is not None:
                assert shown <= given, f"{where}: step {step_id} shows {shown}, gets {given}"
        missing = flow.errors - set(strings.get("error", {}))
        assert not missing, f"{flow.section}.error lacks {missing}"
        missing = flow.aborts - set(strings.get("abort", {}))
        assert not missing, f"{flow.section}.abort lacks {missing}"
        labelled = {field for step in steps.values() for field in step.get("data", {})}
        missing = flow.fields - labelled
        assert not missing, f"{flow.section}: no label for the form fields {missing}"


# ---------------------------------------------------------------------------------------------
# GitHub workflows


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
    minimum = _hacs()["homeassistant"]
    (job,) = _workflow("tests.yml")["jobs"].values()
    releases = [
        _version(str(ha), [AwesomeVersionStrategy.CALVER])
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
    assert _hacs()["filename"] in text
    assert f"custom_components/{DOMAIN}" in text
    uses = [step.get("uses", "") for step in _steps(workflow)]
    assert any(use.startswith("softprops/action-gh-release@") for use in uses)


def test_changelog_has_the_manifest_version() -> None:
    """The release workflow refuses a tag without its changelog section; catch that earlier."""
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    version = re.escape(_manifest()["version"])
    assert re.search(rf"^## \[{version}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, re.MULTILINE)
