"""The help screen: every key, grouped by where it works (a test checks it lists every binding)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ketaread.screens.dialog import Dialog
from ketaread.widgets.key_bar import KeyBar

KEY_GROUPS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Everywhere",
        [
            ("?", "this help"),
            ("ctrl+p", "command palette: jump to an article, tag, source or glossary term"),
            ("tab / shift+tab", "move between panes"),
            ("q", "quit"),
        ],
    ),
    (
        "Reading",
        [
            ("enter", "open the highlighted article (or apply the highlighted filter)"),
            ("n / p", "next / previous unread article"),
            ("m", "toggle read"),
            ("s", "star or unstar"),
            ("j / k, ↓ / ↑", "move in any list (articles, sidebar, references); scroll articles"),
            ("ctrl+d / ctrl+u", "half a page down / up, in any list or the article"),
            ("home / end, < / >", "top / bottom of any list or the article (g / G: glossary)"),
            ("space / b, pgdn / pgup", "scroll the article by a page"),
            ("o", "open the article's link in the browser"),
            ("c", "copy the article's link (OSC 52: works over SSH)"),
            ("R", "refresh every source in the background"),
        ],
    ),
    (
        "Panes",
        [
            ("t", "show or hide the tag sidebar"),
            ("r", "show or hide the reference panel"),
            ("a / l / v", "focus the article list / tag sidebar / article"),
            ("f", "focus mode: the article alone; f again brings the panes back"),
            ("T", "next theme (saved for next time)"),
        ],
    ),
    (
        "Reference panel",
        [
            ("enter", "open a link, or jump to a citing sentence in the article"),
            ("y", "copy the highlighted URL"),
        ],
    ),
    (
        "Glossary",
        [
            ("g", "terms of this article, with definitions"),
            ("G", "the whole glossary"),
            ("type", "filter terms"),
            ("↑ / ↓", "move through terms"),
            ("tab / enter", "go to related terms and other articles"),
            ("esc", "close: the article stays where it was"),
        ],
    ),
]


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
            for title, keys in KEY_GROUPS:
                yield Static(Content.styled(title, "bold $accent"), classes="help-group")
                for key, description in keys:
                    with Horizontal(classes="help-row"):
                        yield Static(Content.styled(key, "bold"), classes="help-key")
                        yield Static(Content(description), classes="help-text")
            yield Static(Content.styled(NOTE, "$text-muted"), classes="help-note")
        yield KeyBar()
