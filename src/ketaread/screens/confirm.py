"""A yes/no question before something that cannot be undone (deleting an article)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from ketaread.screens.dialog import Dialog
from ketaread.widgets.key_bar import KeyBar


class ConfirmDialog(Dialog[bool]):
    """Asks one question; `y` (or Enter) answers yes, `n` or Esc no."""

    DEFAULT_CSS = """
    ConfirmDialog .dialog-box {
        width: 60;
        max-width: 90%;
        height: auto;
        padding: 1 2;
    }
    #confirm-question {
        text-style: bold;
        margin-bottom: 1;
    }
    """

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, detail: str = "", *, yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.yes_label = yes

    def compose(self) -> ComposeResult:
        """The question (feed text kept literal), what it means, and the keys."""
        with Vertical(classes="dialog-box") as box:
            box.border_title = self.yes_label
            yield Static(Content(self.question), id="confirm-question")
            if self.detail:
                yield Static(Content(self.detail))
            yield Static(
                Content.assemble(("y", "bold $accent"), f" {self.yes_label.lower()}   ")
                + Content.assemble(("n", "bold $accent"), " keep it")
            )
        yield KeyBar()

    def action_answer(self, yes: bool) -> None:
        """Close with the answer."""
        self.dismiss(yes)
