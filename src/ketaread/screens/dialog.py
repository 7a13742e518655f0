"""The frame the reader's dialogs share: a box centred over the reader, dimmed behind it
(hidden in the ansi themes, which cannot dim)."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

ResultType = TypeVar("ResultType")


class Dialog(ModalScreen[ResultType]):
    """A modal screen whose box (the child with class `dialog-box`) floats over the reader.

    Its CSS is here rather than in the app's stylesheet: parsed when a dialog first opens,
    not before every first frame.
    """

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
        background: $background 60%;
        /* ModalScreen's own rule makes the backdrop transparent in the ansi themes. */
        &:ansi {
            background: $background 60%;
        }
    }

    .dialog-box {
        width: 90%;
        height: 85%;
        border: heavy $accent;
        background: $surface;
        padding: 0 1;
    }
    """
