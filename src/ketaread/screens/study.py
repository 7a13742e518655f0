"""The study dialogs and the review screen: a highlight's colour and note, the article's
note, the list of the article's highlights, and flashcard review with FSRS."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, NamedTuple

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from ketaread.config import DEFAULT_MEANINGS, HighlightMeaning
from ketaread.context import ContextError
from ketaread.core.wording import counted
from ketaread.screens.dialog import Dialog
from ketaread.widgets.key_bar import KeyBar
from ketaread.widgets.list_keys import KeyedOptionList
from ketaread.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from ketaread.core.study import PlacedHighlight
    from ketaread.core.study.store import Card, StudyStore


def _meaning_label(meaning: HighlightMeaning, width: int = 0) -> Content:
    """A meaning's label in its colour (NO_COLOR: the words and bold say it)."""
    from ketaread.widgets.highlights import meaning_text_style

    return Content.styled(meaning.label.ljust(width), meaning_text_style(meaning.color))


def _short(text: str, size: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


class HighlightChoice(NamedTuple):
    """A colour and a note for a new highlight."""

    color: str
    note: str


class HighlightDialog(Dialog[HighlightChoice | None]):
    """The chosen words, a colour by meaning (1-4 or enter) and an optional note."""

    DEFAULT_CSS = """
    #highlight-dialog { height: auto; max-height: 90%; max-width: 90; }
    #highlight-quote { margin-bottom: 1; max-height: 6; }
    #highlight-colors { height: auto; border: round $panel-lighten-2; }
    #highlight-colors:focus { border: heavy $accent; }
    #highlight-note { height: 6; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without highlighting"),
        Binding("ctrl+s", "save", "Save", tooltip="Save the highlight with its note"),
        Binding("tab", "app.focus_next", "Note", show=False, tooltip="Write a note"),
    ]

    def __init__(
        self, quote: str, meanings: tuple[HighlightMeaning, ...] = DEFAULT_MEANINGS
    ) -> None:
        super().__init__()
        self.quote = quote
        self.meanings = meanings
        """The meanings to choose from, labelled and coloured as the config says."""

    def compose(self) -> ComposeResult:
        """The quote, the colours and the note editor."""
        with Vertical(id="highlight-dialog", classes="dialog-box") as box:
            box.border_title = "Highlight"
            yield Static(Content(_short(self.quote, 400)), id="highlight-quote")
            width = max(len(m.label) for m in self.meanings)
            yield OptionList(
                *(
                    Option(
                        Content.assemble(
                            (f"{n} ", "bold"), _meaning_label(m, width), f"  {m.description}"
                        ),
                        id=m.key,
                    )
                    for n, m in enumerate(self.meanings, 1)
                ),
                id="highlight-colors",
            )
            note = TextArea(id="highlight-note", soft_wrap=True, tab_behavior="focus")
            note.border_title = "Note (optional; tab here, ctrl+s saves)"
            yield note
        yield KeyBar()

    def on_mount(self) -> None:
        """The colours first: enter saves with the highlighted one."""
        colors = self.query_one("#highlight-colors", OptionList)
        colors.highlighted = 0
        colors.focus()

    def on_key(self, event: object) -> None:
        """1-4 on the colour list choose a colour."""
        key = getattr(event, "character", None)
        colors = self.query_one("#highlight-colors", OptionList)
        if self.focused is colors and key in ("1", "2", "3", "4"):
            colors.highlighted = int(key) - 1

    @on(OptionList.OptionSelected, "#highlight-colors")
    def _chosen(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        """Save with the highlighted colour and the note."""
        colors = self.query_one("#highlight-colors", OptionList)
        color = self.meanings[colors.highlighted or 0].key
        self.dismiss(HighlightChoice(color, self.query_one(TextArea).text.strip()))

    def action_cancel(self) -> None:
        """Close without highlighting."""
        self.dismiss(None)


class NoteDialog(Dialog[str | None]):
    """The reader's note on the whole article, in a multi-line editor."""

    DEFAULT_CSS = """
    #note-dialog { max-width: 90; height: 70%; }
    #note-text { height: 1fr; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", tooltip="Close without saving"),
        Binding("ctrl+s", "save", "Save", tooltip="Save the note (empty: delete it)"),
    ]

    def __init__(self, title: str, note: str) -> None:
        super().__init__()
        self.article_title = title
        self.note = note

    def compose(self) -> ComposeResult:
        """The editor, titled with the article."""
        with Vertical(id="note-dialog", classes="dialog-box") as box:
            box.border_title = Content("Note: " + _short(self.article_title, 60))
            yield TextArea(self.note, id="note-text", soft_wrap=True)
        yield KeyBar()

    def on_mount(self) -> None:
        """Write at once."""
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        """Save (an empty note deletes it)."""
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)


class _HighlightList(KeyedOptionList):
    """The highlight list: its enter (OptionList's, hidden) named in the key bar, where it
    shadowed the panel's own "Go to"."""

    BINDINGS = [
        Binding("enter", "select", "Go to", tooltip="Go to the highlight in the article"),
    ]


class HighlightPanel(Dialog[int | None]):
    """The open article's highlights; enter jumps to one, d deletes one."""

    DEFAULT_CSS = """
    #highlight-panel { max-width: 110; }
    #highlight-list { height: 1fr; border: round $panel-lighten-2; }
    #highlight-list:focus { border: heavy $accent; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close", tooltip="Close the list of highlights"),
        Binding("enter", "jump", "Go to", tooltip="Go to the highlight in the article"),
        Binding("d", "delete", "Delete", tooltip="Delete the highlight (and its card)"),
    ]

    def __init__(
        self,
        title: str,
        placed: list[PlacedHighlight],
        note: str,
        meanings: tuple[HighlightMeaning, ...] = DEFAULT_MEANINGS,
    ) -> None:
        super().__init__()
        self.article_title = title
        self.placed = placed
        self.note = note
        self.deleted: list[int] = []
        self.meanings = {meaning.key: meaning for meaning in meanings}
        """Stored key -> meaning, for each highlight's label and colour."""

    def compose(self) -> ComposeResult:
        """The list of highlights, each with its colour, note and whether it is attached."""
        with Vertical(id="highlight-panel", classes="dialog-box") as box:
            box.border_title = Content(f"Highlights: {_short(self.article_title, 60)}")
            if self.note:
                yield Static(
                    Content.assemble(("Note: ", "bold"), _short(self.note, 300)), id="panel-note"
                )
            yield _HighlightList(*self._options(), id="highlight-list")
        yield KeyBar()

    def _options(self) -> list[Option]:
        if not self.placed:
            return [Option("No highlights yet: x (sentences) or a mouse selection, then h.")]
        options = []
        width = max((len(m.label) for m in self.meanings.values()), default=10)
        indent = "\n" + " " * (width + 1)
        for placed in self.placed:
            h = placed.highlight
            meaning = self.meanings.get(h.color) or HighlightMeaning(h.color, h.color, "", "")
            label = (
                _meaning_label(meaning, width)
                if meaning.color
                else Content.styled(h.color.ljust(width), "bold")
            )
            parts: list[Content | str | tuple[str, str]] = [label, " ", _short(h.quote, 200)]
            if not placed.anchored:
                parts += [
                    "  ",
                    ("(detached: not in the article's text now)", "italic $text-warning"),
                ]
            if h.note:
                parts += [indent, (_short(h.note, 200), "$text-muted")]
            options.append(Option(Content.assemble(*parts), id=str(h.id)))
        return options

    def on_mount(self) -> None:
        """The list takes the keys."""
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected, "#highlight-list")
    def _selected(self) -> None:
        self.action_jump()

    def _current(self) -> int | None:
        option_list = self.query_one(OptionList)
        if option_list.highlighted is None:
            return None
        option_id = option_list.get_option_at_index(option_list.highlighted).id
        return int(option_id) if option_id else None

    def action_jump(self) -> None:
        """Close and scroll the article to the highlight."""
        self.dismiss(self._current())

    def action_delete(self) -> None:
        """Delete the highlight under the cursor."""
        highlight_id = self._current()
        if highlight_id is None:
            return
        self.deleted.append(highlight_id)
        self.placed = [p for p in self.placed if p.highlight.id != highlight_id]
        option_list = self.query_one(OptionList)
        option_list.set_options(self._options())
        self.notify("Deleted the highlight.")

    def action_close(self) -> None:
        """Close; the article stays where it was."""
        self.dismiss(None)


class ReviewScreen(ReportsWorkerErrors, Screen[None]):
    """Due flashcards, one at a time: space shows the answer, 1-4 rate it (FSRS)."""

    DEFAULT_CSS = """
    ReviewScreen { align: center middle; }
    #review-box {
        width: 90%; max-width: 100; height: auto; max-height: 90%;
        border: heavy $accent; background: $surface; padding: 1 2;
    }
    #review-progress { color: $text-muted; margin-bottom: 1; }
    #review-front { text-style: bold; margin-bottom: 1; }
    #review-back { border-top: solid $panel-lighten-2; padding-top: 1; }
    """

    ANSWER = Binding.Group("Again / hard / good / easy")
    BINDINGS = [
        Binding("escape", "close", "Close", tooltip="Close the review"),
        Binding("space", "reveal", "Answer", tooltip="Show the answer"),
        Binding("1", "answer('again')", "Again", tooltip="Forgot it: again soon", group=ANSWER),
        Binding("2", "answer('hard')", "Hard", tooltip="Recalled with effort", group=ANSWER),
        Binding("3", "answer('good')", "Good", tooltip="Recalled", group=ANSWER),
        Binding("4", "answer('easy')", "Easy", tooltip="Recalled at once", group=ANSWER),
    ]

    def __init__(self, limit: int | None = None) -> None:
        super().__init__()
        self.limit = limit
        self.cards: list[Card] = []
        self.position = 0
        self.revealed = False
        self.answered = 0
        self.loaded = False

    def compose(self) -> ComposeResult:
        """Progress, the card's front, and its back once revealed."""
        with Vertical(id="review-box") as box:
            box.border_title = "Review"
            yield Static(id="review-progress", markup=False)
            yield Static("Loading the due cards…", id="review-front", markup=False)
            back = Static(id="review-back", markup=False)
            back.display = False
            yield back
        yield KeyBar()

    def _study(self) -> StudyStore | None:
        try:
            return self.app.context.study  # type: ignore[attr-defined]
        except ContextError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error", markup=False)
            return None

    def on_mount(self) -> None:
        """Load the due cards."""
        self._load()

    @work(thread=True, exclusive=True, group="review-load", exit_on_error=False)
    def _load(self) -> None:
        study = self._study()
        cards = study.cards(due_before=time.time(), limit=self.limit) if study else []
        self.app.call_from_thread(self._loaded, cards)

    def _loaded(self, cards: list[Card]) -> None:
        self.cards = cards
        self.position = 0
        self.loaded = True
        self._show()

    @property
    def card(self) -> Card | None:
        """The card shown now."""
        return self.cards[self.position] if self.position < len(self.cards) else None

    def _show(self) -> None:
        card = self.card
        front = self.query_one("#review-front", Static)
        back = self.query_one("#review-back", Static)
        progress = self.query_one("#review-progress", Static)
        self.revealed = False
        back.display = False
        if card is None:
            done = f"Reviewed {counted(self.answered, 'card')}. " if self.answered else ""
            progress.update(Content(""))
            front.update(
                Content(
                    done + "No cards are due. Mark terms as learning in the glossary "
                    "(ctrl+l) or highlight sentences to make cards."
                )
            )
        else:
            progress.update(Content(f"Card {self.position + 1} of {len(self.cards)} · {card.kind}"))
            front.update(Content(card.front))
            back.update(Content(card.back))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Space before the answer shows; 1-4 after."""
        if action == "reveal":
            return self.card is not None and not self.revealed
        if action == "answer":
            if self.card is None:
                return False  # the last card answered: nothing left to rate
            return None if not self.revealed else True
        return True

    def action_reveal(self) -> None:
        """Show the back of the card."""
        if self.card is None:
            return
        self.revealed = True
        self.query_one("#review-back", Static).display = True
        self.refresh_bindings()

    def action_answer(self, rating: str) -> None:
        """Rate the card; FSRS schedules it; the next card comes."""
        card = self.card
        if card is None or not self.revealed:
            return
        self._record(card, rating)
        self.answered += 1
        self.position += 1
        self._show()

    @work(thread=True, group="review-save", exit_on_error=False)
    def _record(self, card: Card, rating: str) -> None:
        from ketaread.core.study.cards import RATINGS, review

        study = self._study()
        if study is None:
            return
        schedule, due = review(card.schedule, rating)
        study.record_review(card.id, RATINGS[rating], schedule, due)

    def action_close(self) -> None:
        """Back to the reader (or out, when the app was started on the review)."""
        if len(self.app.screen_stack) > 1:
            self.dismiss(None)
        else:
            self.app.exit()
