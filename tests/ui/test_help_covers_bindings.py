"""The help screen is derived from the bindings: this checks no key is left out of it."""

from __future__ import annotations

import re

import pytest
from textual.binding import Binding

from ketaread.app import KetareadApp
from ketaread.screens.glossary import GlossaryModal
from ketaread.screens.help import key_groups
from ketaread.screens.main import MainScreen
from ketaread.widgets.article_list import ArticleList
from ketaread.widgets.article_view import ArticleView
from ketaread.widgets.reference_panel import ReferencePanel
from ketaread.widgets.search_panel import SearchPanel
from ketaread.widgets.tag_sidebar import TagSidebar

# How the help writes keys that Textual names differently.
SPELLING = {
    "question_mark": "?",
    "up": "↑",
    "down": "↓",
    "pagedown": "pgdn",
    "pageup": "pgup",
    "escape": "esc",
    "shift+space": "b",
    "slash": "/",
    "right_square_bracket": "]",
    "left_square_bracket": "[",
}
# Keys every list or scroll view has: the help describes them once as movement.
GENERIC = {"home", "end"}

OWNERS = [
    KetareadApp,
    MainScreen,
    ArticleList,
    ArticleView,
    ReferencePanel,
    TagSidebar,
    GlossaryModal,
    SearchPanel,
]


def _help_keys() -> set[str]:
    keys: set[str] = set()
    for _title, rows in key_groups(KetareadApp):
        for key, _description in rows:
            keys.update(part for part in re.split(r"[\s,/]+", key) if part)
            keys.add(key.strip())  # "/" itself, which the split above takes for a separator
    return keys


@pytest.mark.parametrize("owner", OWNERS, ids=lambda owner: owner.__name__)
def test_every_key_bound_here_is_in_the_help(owner: type) -> None:
    documented = _help_keys()
    missing = []
    for binding in owner.BINDINGS:
        assert isinstance(binding, Binding)
        for key in binding.key.split(","):
            shown = SPELLING.get(key.strip(), key.strip())
            if shown not in documented and shown not in GENERIC:
                missing.append(f"{key} ({binding.description})")
    assert missing == []
