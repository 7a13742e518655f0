"""The search panel: a search line over its results, in the article list's place while open.

Results replace the list as the user types: each keystroke restarts a short timer, the
search runs in an exclusive thread worker, and a result that arrives after a newer query
was typed is dropped. Every row shows the title and a snippet whose hits are styled; article
text only ever becomes `Content` (never markup).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.css.styles import RulesMap
from textual.message import Message
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions
from textual.widgets import Input, OptionList, Static
from textual.widgets.input import Selection
from textual.widgets.option_list import Option

from ketaread.core.models import ArticleRow
from ketaread.core.search import Hit, snippet_spans
from ketaread.widgets.article_list import format_date
from ketaread.widgets.list_keys import KeyedOptionList
from ketaread.widgets.search_hits import HIT_STYLE

DEBOUNCE_SECONDS = 0.03
"""Typing pauses shorter than this do not start a search (a paste, a fast burst). Typing
is rarely faster than a key each 80 ms; 50 ms left the first results ~120 ms after the
last key at 40,000 articles (`benchmarks/bench_search_ui.py`)."""

RESULT_LIMIT = 100
"""Results shown for one query (the status line says how many match in all)."""

FIRST_RESULTS = 20
"""Results shown first, a screenful: the rest follow from a second query. Each result's
snippet costs its own lookup, and 100 rows take ~30 ms to build: the first screen showed
~220 ms after the last key at 40,000 articles, more than twice the 100 ms aimed for."""


@dataclass(slots=True)
class SearchOutcome:
    """What one query found, ready to show."""

    text: str
    rows: list[tuple[ArticleRow, Hit]] = field(default_factory=list)
    total: int = 0
    pattern: re.Pattern[str] | None = None
    """The query's words and other names, for highlighting them in the article."""
    error: str | None = None
    """One line naming what is wrong with the query (or the index)."""
    note: str | None = None
    """Anything else the user should know (an index still being built)."""


Searcher = Callable[[str, int], SearchOutcome]
"""Runs a query (in a worker thread): text and limit in, an outcome out."""


INDENT = 3
"""Cells before a result's title (its markers), and before every line under it."""


class Hanging(Content):
    """Content whose long lines wrap under their text, not at column 0: each line's first
    INDENT cells (the markers, or spaces) stay alone at the left. Wrapped at the width it
    is drawn at, so a resize or a scrollbar that comes and goes wraps it again."""

    __slots__ = ["_laid_out"]

    def __init__(self, content: Content) -> None:
        super().__init__(content.plain, list(content.spans), content.cell_length)
        self._laid_out: tuple[int, Content] | None = None

    def hung(self, width: int) -> Content:
        """The lines wrapped to `width` cells with their continuations indented."""
        if self._laid_out is not None and self._laid_out[0] == width:
            return self._laid_out[1]
        lines: list[Content] = []
        for line in self.split("\n"):
            if line.cell_length <= width or width <= INDENT + 1:
                lines.append(line)
                continue
            pieces = line[INDENT:].wrap(width - INDENT)
            lines.append(line[:INDENT] + pieces[0])
            lines.extend(Content(" " * INDENT) + piece for piece in pieces[1:])
        laid_out = Content("\n").join(lines)
        self._laid_out = (width, laid_out)
        return laid_out

    def get_height(self, rules: RulesMap, width: int) -> int:
        """Lines taken at `width` (part of the Visual protocol)."""
        return self.hung(width - rules.get("line_pad", 0) * 2).get_height(rules, width)

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        """The lines at `width`, continuations indented (part of the Visual protocol)."""
        pad = options.rules.get("line_pad", 0) * 2
        return self.hung(width - pad).render_strips(width, height, style, options)


def result_prompt(row: ArticleRow, hit: Hit) -> Content:
    """A result: markers and title; source, date and any expansion; the snippet, hits styled."""
    markers = ("●" if not row.read else " ") + ("★" if row.starred else " ") + " "
    title = Content.assemble(
        (markers, "$accent"), (row.title, "bold" if not row.read else "$text-muted")
    )
    # The date first: a narrow pane wraps the line, and "May 30" must not break in two.
    meta = [part for part in (format_date(row.published, short=True), row.feed_title) if part]
    expanded = [m for m in hit.matched if m.via]
    if len(expanded) == 1:
        # The query's own word is on the search line: naming it again costs a line at 80 columns.
        meta.append(f"matched as {expanded[0].via}")
    else:
        meta += [f"{m.term}: matched as {m.via}" for m in expanded]
    lines = [title]
    if meta:
        lines.append(Content.styled("   " + " · ".join(meta), "$text-muted"))
    snippet, spans = snippet_spans(hit.snippet)
    if snippet:
        body = Content("   " + snippet)
        for start, end in spans:
            body = body.stylize(HIT_STYLE, start + 3, end + 3)
        lines.append(body)
    # Wrapped lines hang under the title: at 80 columns they ran back to column 0.
    return Hanging(Content("\n").join(lines))


class SearchPanel(Vertical):
    """The search line and its results."""

    DEFAULT_CSS = """
    SearchPanel {
        width: 3fr;
        min-width: 36;
        height: 1fr;
        background: $surface;
        border: round $panel-lighten-2;
    }
    SearchPanel:focus-within {
        border: heavy $accent;
    }
    MainScreen.-narrow SearchPanel {
        width: 1fr;
        min-width: 30;
    }
    SearchPanel > Input {
        height: 1;
        border: none;
        padding: 0 1;
        background: $boost;
    }
    SearchPanel > Input:focus {
        border: none;
        background: $boost;
    }
    SearchPanel > #search-status {
        /* Wraps rather than being cut at 80 columns ("More than 5,000 match, …"). */
        height: auto;
        max-height: 2;
        color: $text-muted;
        padding: 0 1;
    }
    SearchPanel > #search-status.-error {
        color: $text-error;
        /* A query's problem is read whole: it wraps instead of being cut at the edge. */
        height: auto;
        max-height: 4;
    }
    SearchPanel > OptionList, SearchPanel > OptionList:focus {
        height: 1fr;
        border: none;
        background: $surface;
    }
    """

    BINDINGS = [
        Binding("escape", "close", "Close search", tooltip="Back to the list as it was"),
        Binding("down", "results", "Results", show=False),
    ]

    class Closed(Message):
        """The user left the search (Esc)."""

    class Opened(Message):
        """The user opened a result."""

        def __init__(self, article_id: int, pattern: re.Pattern[str] | None) -> None:
            super().__init__()
            self.article_id = article_id
            self.pattern = pattern

    def __init__(self, searcher: Searcher, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._searcher = searcher
        self._generation = 0
        self._timer: object | None = None
        self.outcome: SearchOutcome | None = None
        """What the results list shows."""

    def compose(self) -> ComposeResult:
        """The line, a status line and the results."""
        yield Input(
            # Short enough for the 80-column pane (32 cells); the status line and README say more.
            placeholder='words "phrase" title: +tag @7d…',
            id="search-input",
            select_on_focus=False,
        )
        yield Static("", id="search-status", markup=False)
        # j/k, half pages and </> as in every other list (only ↑/↓ moved here).
        yield KeyedOptionList(id="search-results", markup=False)

    @property
    def input(self) -> Input:
        """The search line."""
        return self.query_one(Input)

    @property
    def results(self) -> OptionList:
        """The results list."""
        return self.query_one(OptionList)

    def start(self, text: str = "") -> None:
        """Focus the search line (with `text` in it, searching at once when given)."""
        # No Changed event: the query runs once, now, not again after the debounce.
        with self.input.prevent(Input.Changed):
            self.input.value = text
        # Selected: typing starts a new query, an arrow key keeps and edits this one (with
        # the cursor at its end, `/` then a new query searched for both run together).
        self.input.selection = Selection(0, len(text))
        self.input.focus()
        shown = self.outcome
        # Whole: closed before the rest of its results came, they were dropped as stale.
        whole = (
            shown is not None
            and shown.text == text
            and len(shown.rows) >= min(shown.total, RESULT_LIMIT)
        )
        if text and not whole:
            self.search_now(text)

    # -- searching -----------------------------------------------------------------

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self._generation += 1  # whatever is in flight is stale from now on
        if self._timer is not None:
            self._timer.stop()  # type: ignore[attr-defined]
        text = event.value
        self._timer = self.set_timer(DEBOUNCE_SECONDS, lambda: self.search_now(text))

    def search_now(self, text: str) -> None:
        """Run the query now (no debounce)."""
        self._generation += 1
        if not text.strip():
            self._show(self._generation, SearchOutcome(text))
            return
        self._search(self._generation, text)

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self, generation: int, text: str) -> None:
        """Run the query off the UI thread, a screenful first, then the rest; the panel
        drops what arrives after a newer query was typed."""
        first = self._searcher(text, FIRST_RESULTS)
        self.app.call_from_thread(self._show, generation, first)
        more_to_show = first.error is None and first.total > len(first.rows)
        if more_to_show and generation == self._generation:
            more = self._searcher(text, RESULT_LIMIT)
            self.app.call_from_thread(self._show_more, generation, more)

    def _show_more(self, generation: int, outcome: SearchOutcome) -> None:
        """The rest of a query's results, added below the screenful shown first (the
        cursor stays where the user has taken it meanwhile)."""
        if generation != self._generation or self.outcome is None:
            return
        shown = self.outcome.rows
        status = self.query_one("#search-status", Static)
        if outcome.error is not None:
            # Silent, the status line went on counting more than the rows under it.
            status.set_class(True, "-error")
            status.update(Content(self._rest_failed(self.outcome, outcome.error)))
            return
        same = [row.id for row, _ in outcome.rows[: len(shown)]] == [row.id for row, _ in shown]
        if not same:
            # The index was still being built, or a refresh stored meanwhile: the first
            # screenful changed, so every row is rebuilt, the cursor kept on its article.
            self._show(generation, outcome, keep_cursor=True)
            return
        self.outcome = outcome
        self.results.add_options(
            Option(result_prompt(row, hit), id=str(row.id))
            for row, hit in outcome.rows[len(shown) :]
        )
        status.update(Content(self._status(outcome)))

    def _show(self, generation: int, outcome: SearchOutcome, *, keep_cursor: bool = False) -> None:
        if generation != self._generation:
            return  # typed on meanwhile: this result is for an older query
        status = self.query_one("#search-status", Static)
        status.set_class(outcome.error is not None, "-error")
        results = self.results
        if outcome.error is not None:
            status.update(Content(outcome.error))
            return  # the last good results stay while the query is being fixed
        cursor = results.highlighted
        selected = None
        # Only where the user is in the results: typing on, the best match goes on top.
        if keep_cursor and results.has_focus and cursor is not None:
            selected = results.get_option_at_index(cursor).id
        self.outcome = outcome
        results.clear_options()
        results.add_options(
            Option(result_prompt(row, hit), id=str(row.id)) for row, hit in outcome.rows
        )
        if outcome.rows:
            results.highlighted = 0
            if selected is not None and cursor is not None:
                ids = [str(row.id) for row, _ in outcome.rows]
                # Its article where it still is among the results, else the row nearest.
                results.highlighted = (
                    ids.index(selected) if selected in ids else min(cursor, len(ids) - 1)
                )
        status.update(Content(self._status(outcome)))

    @staticmethod
    def _rest_failed(shown: SearchOutcome, error: str) -> str:
        """The status line when the rest of a query's results could not be had."""
        from ketaread.core.search import COUNT_CAP

        many = f"More than {COUNT_CAP:,}" if shown.total > COUNT_CAP else f"{shown.total:,}"
        return f"{many} match, only {len(shown.rows)} shown: the rest failed ({error})"

    @staticmethod
    def _status(outcome: SearchOutcome) -> str:
        """The status line for a query's results."""
        if not outcome.text.strip():
            message = "Type to search every cached article."
        elif outcome.total == 0:
            message = "No articles match."
        else:
            from ketaread.core.search import COUNT_CAP

            many = f"More than {COUNT_CAP:,}" if outcome.total > COUNT_CAP else f"{outcome.total:,}"
            if outcome.total > RESULT_LIMIT:
                message = f"{many} match, the best {len(outcome.rows)} shown"
            else:
                noun = "article matches" if outcome.total == 1 else "articles match"
                message = f"{many} {noun}"
        if outcome.note:
            message += f" · {outcome.note}"
        return message

    # -- keys ----------------------------------------------------------------------

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter in the line: to the results (the query runs at once if still waiting)."""
        event.stop()
        if self._timer is not None:
            self._timer.stop()  # type: ignore[attr-defined]
        if self.outcome is None or self.outcome.text != event.value:
            self.search_now(event.value)
        self.action_results()

    def action_results(self) -> None:
        """Move to the results."""
        if self.results.option_count:
            self.results.focus()
            if self.results.highlighted is None:
                self.results.highlighted = 0

    def action_close(self) -> None:
        """Leave the search."""
        self._generation += 1
        self.post_message(self.Closed())

    @on(OptionList.OptionSelected, "#search-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            pattern = self.outcome.pattern if self.outcome is not None else None
            self.post_message(self.Opened(int(event.option.id), pattern))
