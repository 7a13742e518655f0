"""README's Quick start runs the same test command as CI."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_quick_start_has_the_ci_test_command() -> None:
    """The `python3 -m venv` line of .ci/run appears verbatim in README.md."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    [command] = [line for line in ci.splitlines() if line.startswith("python3 -m venv")]
    assert command in (ROOT / "README.md").read_text(encoding="utf-8")


def _readme_key_table() -> list[str]:
    """The backticked keys in the first column of README's key table (under "## Reading")."""
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Reading", 1)[1].split("\n## ", 1)[0]
    keys: list[str] = []
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            keys += re.findall(r"`([^`]+)`", first_cell)
    return keys


def _bound_keys() -> set[str]:
    """Every key bound by the app, its screens and widgets, as the help writes it."""
    from ketaread.app import KetareadApp
    from ketaread.screens.help import key_groups

    keys: set[str] = set()
    for _title, rows in key_groups(KetareadApp):
        for key_text, _description in rows:
            keys.update(part for part in key_text.replace(",", " ").split() if part != "/")
            if key_text.strip() == "/":
                keys.add("/")  # the search key itself, not a separator between two keys
    return keys


# Keys every list and scroll view has, and the help-only row "type" (typing filters).
README_MAY_OMIT = {"home", "end", "shift+space", "shift+tab", "tab", "type", "esc"}


def test_every_bound_key_is_in_the_readme_key_table() -> None:
    """A key added to a binding must be documented in README's table too."""
    documented = set(_readme_key_table())
    missing = sorted(_bound_keys() - documented - README_MAY_OMIT)
    assert missing == []


def test_every_key_in_the_readme_table_is_bound() -> None:
    """A key the README promises must exist (a binding, or the palette's ctrl+p)."""
    bound = _bound_keys() | {"ctrl+p"}
    spelled = {"pgdn": "pgdn", "pgup": "pgup"}
    stale = sorted(k for k in _readme_key_table() if spelled.get(k, k) not in bound)
    assert stale == []


def test_no_merge_conflict_markers_are_left_in_the_project() -> None:
    """A merge left half-resolved must not ship: no line of a source, test or doc file
    starts with a conflict marker."""
    markers = ("<<<<<<< ", ">>>>>>> ", "=======\n")
    found = []
    for path in ROOT.rglob("*"):
        if ".venv" in path.parts or ".git" in path.parts or not path.is_file():
            continue
        if (
            path.suffix not in {".py", ".md", ".toml", ".tcss", ".txt", ".json"}
            and path.name != "run"
        ):
            continue
        for number, line in enumerate(
            path.read_text(encoding="utf-8", errors="replace").splitlines(True), 1
        ):
            if line.startswith(markers):
                found.append(f"{path.relative_to(ROOT)}:{number}")
    assert found == []
