"""The help screen: every key, grouped by where it works, derived from the bindings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ketaread.screens.dialog import Dialog
from ketaread.screens.keys import HelpRow, HelpSection, help_rows
from ketaread.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from textual.dom import DOMNode


def key_groups(app_class: type[DOMNode]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(title, [(keys, what they do)]) for every key, from the bindings of `app_class`, the
    screens and the widgets; the few rows that are not bindings are written here."""
    from ketaread.screens.glossary import GlossaryModal
    from ketaread.screens.main import MainScreen
    from ketaread.screens.study import HighlightDialog, HighlightPanel, NoteDialog, ReviewScreen
    from ketaread.widgets.article_list import ArticleList
    from ketaread.widgets.article_view import ArticleView
    from ketaread.widgets.reference_panel import ReferencePanel
    from ketaread.widgets.search_panel import SearchPanel
    from ketaread.widgets.tag_sidebar import TagSidebar

    panes = frozenset(
        {
            "toggle_sidebar",
            "toggle_references",
            "focus_mode",
            "focus_pane('articles')",
            "focus_pane('sidebar')",
            "focus_pane('article')",
        }
    )
    glossary = frozenset({"glossary", "glossary_all"})
    routine = frozenset(
        {"mark_all_read", "undo", "cycle_sort", "toggle_hide_read", "delete_article"}
    )
    study = frozenset(
        {
            "highlight",
            "highlights",
            "article_note",
            "review",
            "sentence_cursor",
            "extend_cursor",
            "choose_sentences",
            "leave_cursor",
        }
    )
    sections = [
        HelpSection(
            "Everywhere",
            (app_class,),
            extra=(
                HelpRow(
                    "ctrl+p", "command palette: jump to an article, tag, source or glossary term"
                ),
                HelpRow("tab / shift+tab", "move between panes"),
            ),
        ),
        HelpSection(
            "Search", (MainScreen,), only=frozenset({"search", "next_hit", "previous_hit"})
        ),
        HelpSection("Panes", (MainScreen,), only=panes),
        HelpSection("The list: sort, hide, mark all, delete", (MainScreen,), only=routine),
        HelpSection("Glossary", (MainScreen,), only=glossary),
        HelpSection("Study", (MainScreen, ArticleView), only=study),
        HelpSection("Highlight list (L)", (HighlightPanel,)),
        HelpSection(
            "New highlight (h)",
            (HighlightDialog,),
            extra=(HelpRow("1 2 3 4 / enter", "choose the meaning (its colour)"),),
        ),
        HelpSection("Article note (N)", (NoteDialog,)),
        HelpSection("Review", (ReviewScreen,)),
        HelpSection("Reading", (MainScreen, ArticleList, ArticleView)),
        HelpSection(
            "Search (/)",
            (SearchPanel,),
            extra=(
                HelpRow("type", 'words, "phrase", prefix*, OR, -word, title: author: feed: ref:'),
                HelpRow("", "+tag -tag:x, is:unread is:starred, @7d @2025-01-01--2025-06-30"),
                HelpRow("", "sort:newest; abbreviations also find their long forms"),
                HelpRow("enter", "to the results; on a result: open it at its first hit"),
            ),
        ),
        HelpSection("Tag sidebar", (TagSidebar,)),
        HelpSection("Reference panel", (ReferencePanel,)),
        HelpSection(
            "Glossary popup",
            (GlossaryModal,),
            extra=(HelpRow("type", "filter the terms"),),
        ),
    ]
    taken: set[tuple[type[DOMNode], str]] = set()
    built = {section.title: help_rows(section, taken) for section in sections}
    order = (
        "Everywhere",
        "Reading",
        "Reference panel",
        "Search",
        "The list: sort, hide, mark all, delete",
        "Panes",
        "Tag sidebar",
        "Glossary",
        "Study",
        "Highlight list (L)",
        "New highlight (h)",
        "Article note (N)",
        "Review",
    )
    groups = []
    for title in order:
        rows = built[title]
        if title == "Glossary":
            rows = rows + built["Glossary popup"]
        elif title == "Search":
            rows = rows + built["Search (/)"]
        groups.append((title, [(row.keys, row.text) for row in rows]))
    return groups


NOTE = (
    "Links open only when they are http(s). Glossary terms and citations "
    "in the article are links too: click them, or use g and r."
)


class HelpScreen(Dialog[None]):
    """Every key in one place."""

    DEFAULT_CSS = """
    .help-group {
        margin-top: 1;
    }

    .help-group:first-child {
        margin-top: 0;
    }

    .help-row {
        height: auto;
    }

    .help-key {
        width: 26;
        padding-left: 2;
    }

    .help-text {
        width: 1fr;
    }

    .help-note {
        margin-top: 1;
    }

    #help-dialog {
        max-width: 100;
    }
    """

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        """One row per key in a scrollable box; a description wraps beside its key."""
        # Rows of two Statics rather than one text: a wrapped description went back to
        # the left edge, under the keys, at 80 columns.
        with VerticalScroll(id="help-dialog", classes="dialog-box") as box:
            box.border_title = "ketaread keys"
            for title, keys in key_groups(type(self.app)):
                yield Static(Content.styled(title, "bold $accent"), classes="help-group")
                for key, description in keys:
                    with Horizontal(classes="help-row"):
                        yield Static(Content.styled(key, "bold"), classes="help-key")
                        yield Static(Content(description), classes="help-text")
            yield Static(Content.styled(NOTE, "$text-muted"), classes="help-note")
        yield KeyBar()
