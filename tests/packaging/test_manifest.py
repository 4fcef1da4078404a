"""manifest.json and hacs.json, by the rules of hassfest (script/hassfest/manifest.py) and HACS
(custom_components/hacs/utils/validate.py)."""

from __future__ import annotations

import ast
import importlib.util
import re

from awesomeversion import AwesomeVersion, AwesomeVersionException, AwesomeVersionStrategy
from homeassistant.const import Platform

from custom_components.qwen_tts_realtime.const import DOMAIN

from .files import INTEGRATION, ROOT, hacs, manifest

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


def test_manifest_key_order() -> None:
    """Domain, name, then the rest in alphabetical order (hassfest sorts them so)."""
    keys = list(manifest())
    expected = ["domain", "name", *sorted(set(keys) - {"domain", "name"})]
    assert keys == expected, "manifest keys: domain, name, then alphabetical order"


def test_manifest_keys_and_types() -> None:
    """Only keys hassfest knows, the required ones present, each of the right type."""
    found = manifest()
    assert set(found) <= MANIFEST_KEYS, f"unknown keys: {set(found) - MANIFEST_KEYS}"
    assert set(found) >= MANIFEST_REQUIRED, f"missing: {MANIFEST_REQUIRED - set(found)}"
    assert found["domain"] == INTEGRATION.name == DOMAIN
    for key in ("codeowners", "requirements", "dependencies", "after_dependencies", "loggers"):
        value = found.get(key, [])
        assert isinstance(value, list), key
        assert all(isinstance(item, str) and item for item in value), key
    assert all(owner.startswith("@") for owner in found["codeowners"])
    for key in ("documentation", "issue_tracker"):
        assert re.match(r"^https://[^/\s]+\.[^/\s]+/\S*$", found[key]), key
    assert not found["documentation"].startswith("https://www.home-assistant.io/integrations")


def test_manifest_values() -> None:
    """Integration type, IoT class, version, config flow and quality scale."""
    found = manifest()
    assert found["integration_type"] == "service"
    assert found["iot_class"] in IOT_CLASSES
    try:
        AwesomeVersion(
            found["version"],
            ensure_strategy=[AwesomeVersionStrategy.SEMVER, AwesomeVersionStrategy.SIMPLEVER],
        )
    except AwesomeVersionException as err:
        raise AssertionError(f"{found['version']!r} is not a version ({err})") from None
    assert (INTEGRATION / "config_flow.py").is_file()
    assert found.get("config_flow") is True
    scale = found.get("quality_scale")
    if scale is not None:
        assert scale in QUALITY_SCALES
        if scale in SCALED_QUALITY[1:]:
            # hassfest: "<scale> integration does not have a code owner".
            assert found["codeowners"], f"quality_scale {scale} needs codeowners"


def test_manifest_domain_is_not_a_core_integration() -> None:
    """A custom integration with a core domain would shadow the built-in one."""
    assert importlib.util.find_spec(f"homeassistant.components.{DOMAIN}") is None


def test_manifest_dependencies() -> None:
    """Every imported integration is declared (hassfest's dependency check), and exists."""
    found = manifest()
    declared = {*found.get("dependencies", []), *found.get("after_dependencies", [])}
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


def test_hacs_json_keys_and_types() -> None:
    """Only keys HACS accepts (it rejects any other), each of the right type."""
    found = hacs()
    assert set(found) <= set(HACS_KEYS), f"unknown keys: {set(found) - set(HACS_KEYS)}"
    assert isinstance(found.get("name"), str)
    assert found["name"]
    for key, kind in HACS_KEYS.items():
        if key in found:
            assert isinstance(found[key], kind), key
    countries = found.get("country", [])
    for country in [countries] if isinstance(countries, str) else countries:
        assert re.fullmatch(r"[A-Z]{2}", country), country


def test_hacs_json_release_layout() -> None:
    """A zip release of the integration folder, for one integration under custom_components/."""
    found = hacs()
    assert found.get("content_in_root", False) is False
    integrations = [
        p.name for p in (ROOT / "custom_components").iterdir() if p.is_dir() and p.name[0] != "_"
    ]
    assert integrations == [DOMAIN], "HACS installs exactly one integration per repository"
    assert found.get("zip_release") is True
    assert found.get("filename") == f"{DOMAIN}.zip"
