"""The core, and the modules outside it that the command line shares with the reader (the
config, the paths, the context), never import Textual or Rich: each module is imported alone
in a fresh process."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import ketaread.core

TEXTUAL_FREE_OUTSIDE_CORE = ["ketaread.config", "ketaread.context", "ketaread.locations"]
"""Modules outside the core that the command line uses without the reader."""

# walk_packages: modules inside core's packages (core/sync/…) are checked one by one too.
NAMES = sorted(
    [
        *(info.name for info in pkgutil.walk_packages(ketaread.core.__path__, "ketaread.core.")),
        *TEXTUAL_FREE_OUTSIDE_CORE,
    ]
)

# httpx imports its optional command-line tool (httpx._main, which imports rich) whenever
# click and rich are installed; it tolerates its absence. Blocking it keeps the check about
# what the core itself imports, the same in every environment.
CHECK = """
import importlib, json, sys
sys.modules["httpx._main"] = None
importlib.import_module(sys.argv[1])
found = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))
print(json.dumps(found))
"""


def _imports(module: str) -> list[str]:
    """The textual and rich modules that importing `module` pulled in."""
    done = subprocess.run(
        [sys.executable, "-c", CHECK, module], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_core_modules_are_discovered() -> None:
    """Discovery finds the modules the issue names (new ones are covered automatically)."""
    for name in (
        "clean",
        "models",
        "parse",
        "sources",
        "store",
        "refresh",
        "render",
        "sync.engine",
    ):
        assert f"ketaread.core.{name}" in NAMES


@pytest.mark.parametrize("module", NAMES)
def test_core_module_never_imports_textual(module: str) -> None:
    """Importing the module pulls in no textual.* module: the core does not know the UI."""
    assert [m for m in _imports(module) if m.startswith("textual")] == []


@pytest.mark.parametrize("module", NAMES)
def test_core_module_never_imports_rich(module: str) -> None:
    """Nor any rich.* module (Textual's renderer): the core prints plain text only."""
    assert [m for m in _imports(module) if m.startswith("rich")] == []
