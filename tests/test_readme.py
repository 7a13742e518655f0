"""README's Quick start runs the same test command as CI."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_quick_start_has_the_ci_test_command() -> None:
    """The `python3 -m venv` line of .ci/run appears verbatim in README.md."""
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    [command] = [line for line in ci.splitlines() if line.startswith("python3 -m venv")]
    assert command in (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_key_table_names_every_key_of_the_reading_screen() -> None:
    """Every key bound on the reading screen, its panes and the app is in README's table."""
    import re

    from ketaread.app import KetareadApp
    from ketaread.screens.keys import KEY_NAMES
    from ketaread.screens.main import MainScreen
    from ketaread.widgets.article_list import ArticleList
    from ketaread.widgets.article_view import ArticleView
    from ketaread.widgets.reference_panel import ReferencePanel
    from ketaread.widgets.tag_sidebar import TagSidebar

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Reading") : readme.index("## Commands")]
    documented = set(re.findall(r"`([^`]+)`", table))
    missing = []
    for owner in (KetareadApp, MainScreen, ArticleList, ArticleView, ReferencePanel, TagSidebar):
        for binding in owner.BINDINGS:
            for key in binding.key.split(","):
                shown = binding.key_display or KEY_NAMES.get(key.strip(), key.strip())
                if shown not in documented and shown not in {"shift+space", "enter"}:
                    missing.append(f"{owner.__name__}: {key} ({binding.description})")
    assert missing == []
