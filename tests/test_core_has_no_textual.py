"""The core never imports Textual or Rich: each module is imported alone in a fresh process."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import ketaread.core

# Known transitive imports, each strict: the test fails as soon as the import goes away,
# so the mark is removed rather than left to hide a new one.
KNOWN = {
    "ketaread.core.fetch": "httpx 0.28 imports httpx._main, which imports rich and click "
    "whenever they are installed (Textual installs rich)",
}

CORE_MODULES = [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN[name]))
    if name in KNOWN
    else name
    for name in sorted(
        f"ketaread.core.{info.name}" for info in pkgutil.iter_modules(ketaread.core.__path__)
    )
]
NAMES = [getattr(p, "values", (p,))[0] for p in CORE_MODULES]

CHECK = """
import importlib, sys
importlib.import_module(sys.argv[1])
found = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))
print(",".join(found))
"""


def test_core_modules_are_discovered() -> None:
    """Discovery finds the modules the issue names (new ones are covered automatically)."""
    for name in ("clean", "models", "parse", "sources", "store", "refresh", "render"):
        assert f"ketaread.core.{name}" in NAMES


def _imported_ui_modules(module: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", CHECK, module], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return [m for m in done.stdout.strip().split(",") if m]


@pytest.mark.parametrize("module", NAMES)
def test_core_module_never_imports_textual(module: str) -> None:
    """Importing the module pulls in no textual.* module: the core does not know the UI."""
    assert [m for m in _imported_ui_modules(module) if m.startswith("textual")] == []


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_imports_no_rich(module: str) -> None:
    """Importing the module pulls in no rich.* module either (one known exception)."""
    assert _imported_ui_modules(module) == []
