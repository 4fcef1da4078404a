"""The realtime client imports nothing of Home Assistant, nor of the integration around it.

Its facade (`realtime/__init__.py`) holds exactly the names the Home Assistant layer uses.
"""

from __future__ import annotations

import ast
from pathlib import Path
import subprocess
import sys

import pytest

from custom_components.qwen_tts_realtime import realtime

PACKAGE = Path(realtime.__file__).parent
REPO = PACKAGE.parents[2]
MODULES = sorted(PACKAGE.glob("*.py"))


def _foreign_imports(source: str) -> list[str]:
    """Return the imports of a module that reach Home Assistant or leave the realtime package."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "homeassistant"]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level > 1 or module.split(".")[0] in ("homeassistant", "custom_components"):
                found.append("." * node.level + module)
    return found


def test_the_check_recognises_what_it_refuses() -> None:
    source = (
        "import homeassistant.core\n"
        "from homeassistant.const import Platform\n"
        "from ..const import DOMAIN\n"
        "from custom_components.qwen_tts_realtime import errors\n"
        "from .catalog import MODELS\n"
        "import aiohttp\n"
    )

    assert _foreign_imports(source) == [
        "homeassistant.core",
        "homeassistant.const",
        "..const",
        "custom_components.qwen_tts_realtime",
    ]


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_module_imports_nothing_of_home_assistant(module: Path) -> None:
    assert _foreign_imports(module.read_text(encoding="utf-8")) == []


_IMPORT_WITHOUT_HOME_ASSISTANT = """
import importlib, importlib.abc, sys, types

class NoHomeAssistant(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "homeassistant":
            raise ImportError(f"blocked: {name}")
        return None

sys.meta_path.insert(0, NoHomeAssistant())
# The parent packages without their __init__ (which is the Home Assistant integration).
for name, path in (("custom_components", "custom_components"),
                   ("custom_components.qwen_tts_realtime", "custom_components/qwen_tts_realtime")):
    package = types.ModuleType(name)
    package.__path__ = [path]
    sys.modules[name] = package
for module in sys.argv[1:]:
    importlib.import_module("custom_components.qwen_tts_realtime.realtime" + module)
assert not [m for m in sys.modules if m.split(".")[0] == "homeassistant"]
"""


def test_every_module_imports_with_home_assistant_blocked() -> None:
    modules = ["", *(f".{path.stem}" for path in MODULES if path.stem != "__init__")]

    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_WITHOUT_HOME_ASSISTANT, *modules],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr


def _names_the_integration_uses(source: str) -> set[str]:
    """Return the realtime names a module of the Home Assistant layer uses.

    Names imported from the package or a submodule, and the attributes of a submodule imported
    whole (``from .realtime import errors as client`` then ``client.RealtimeError``).
    """
    tree = ast.parse(source)
    names: set[str] = set()
    modules: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level != 1:
            continue
        if node.module == "realtime":
            for alias in node.names:
                if (PACKAGE / f"{alias.name}.py").exists():
                    modules.add(alias.asname or alias.name)
                else:
                    names.add(alias.name)
        elif (node.module or "").startswith("realtime."):
            names.update(alias.name for alias in node.names)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            names.add(node.attr)
    return names


def test_facade_holds_exactly_what_the_integration_uses() -> None:
    used: set[str] = set()
    for module in sorted(PACKAGE.parent.glob("*.py")):
        used |= _names_the_integration_uses(module.read_text(encoding="utf-8"))

    assert set(realtime.__all__) == used
