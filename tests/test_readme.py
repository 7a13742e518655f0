"""README's Quick start runs the same test command as CI."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_quick_start_has_the_ci_test_command() -> None:
    """The `python3 -m venv` line of .ci/run appears verbatim in README.md."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    [command] = [line for line in ci.splitlines() if line.startswith("python3 -m venv")]
    assert command in (ROOT / "README.md").read_text(encoding="utf-8")
