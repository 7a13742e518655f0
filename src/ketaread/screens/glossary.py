"""The glossary popup: terms of the open article (or every term), with definitions in place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ketaread.screens.dialog import Dialog
from ketaread.widgets.key_bar import KeyBar
from ketaread.widgets.list_keys import KeyedOptionList
from ketaread.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from ketaread.core.glossary import Glossary, Term, TermHit
    from ketaread.core.models import ArticleRow
    from ketaread.core.store import Store

ORIGIN_LABELS = {
    "article": "defined in this article",
    "curated": "from the ketaread glossary",
    "user": "from your glossary",
}


CERTAINTY_LABELS = {
    "established": "established: consistent evidence in people",
    "likely": "likely: good but incomplete evidence",
    "hypothesis": "hypothesis: mostly animal or early human evidence",
    "debated": "debated: studies disagree",
}


@dataclass(slots=True)
class GlossaryEntry:
    """A term as the popup shows it, whatever its origin."""

    key: str
    term: str
    definition: str
    origin: str
    expansion: str = ""
    aliases: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    certainty: str = ""
    senses: list[tuple[str, str]] = field(default_factory=list)
    """(label, definition) of each sense, in the glossary's order."""
    sense: str = ""
    """The label of the sense the article's context chose."""
    safety: bool = False
    sentences: list[str] = field(default_factory=list)
    """Sentences of the open article that use the term."""
    in_references_only: bool = False
    study_key: str = ""
    """The key the reader's status of it is kept under: the glossary term's key, or for an
    abbreviation only the article defines, its short and long form (`abbreviation_key`)."""

    @property
    def own_abbreviation(self) -> bool:
        """An abbreviation the article defines that the glossary has no entry for."""
        return self.study_key.startswith("abbr:")

    @classmethod
    def from_term(cls, term: Term) -> GlossaryEntry:
        """An entry for a glossary term."""
        entry = cls(
            term.key,
            term.term,
            term.definition,
            term.origin,
            term.expansion or "",
            list(term.aliases),
            list(term.related),
        )
        entry._take(term)
        entry.study_key = term.key
        return entry

    @classmethod
    def from_hit(cls, hit: TermHit, glossary: Glossary) -> GlossaryEntry:
        """An entry for a term found in an article (its own definition wins)."""
        own = hit.origin == "article" and glossary.with_key(hit.key) is None and hit.expansion
        # An abbreviation only the article defines takes nothing from a glossary entry of
        # the same name: that entry means something else ("ACC" in the glossary is not this
        # article's "ACC").
        term = None if own else glossary.lookup(hit.key) or glossary.lookup(hit.term)
        entry = cls(hit.key, hit.term, hit.definition, hit.origin, hit.expansion or "")
        if own:
            from ketaread.core.study import abbreviation_key

            entry.study_key = abbreviation_key(hit.term, hit.expansion or "")
        else:
            entry.study_key = term.key if term is not None else hit.key
        entry.sense = hit.sense
        entry.sentences = list(hit.sentences)
        entry.in_references_only = hit.in_references_only
        if term is not None:
            entry.aliases = list(term.aliases)
            entry.related = list(term.related)
            entry._take(term)
        return entry

    def _take(self, term: Term) -> None:
        self.sources = list(term.sources)
        self.certainty = term.certainty
        self.senses = [(s.label, s.definition) for s in term.senses]
        self.safety = term.safety

    def match_rank(self, query: str) -> int | None:
        """How well the filter text matches: 0 the term starts with it, 1 a name contains
        it, 2 only the definition does; None for no match."""
        query = query.casefold().strip()
        if not query or self.term.casefold().startswith(query):
            return 0
        names = " ".join([self.term, self.expansion, *self.aliases]).casefold()
        if query in names:
            return 1
        return 2 if query in self.definition.casefold() else None

    def needles(self) -> list[str]:
        """Spellings to look for in other articles."""
        return list(dict.fromkeys([self.term, *self.aliases]))[:8]


class _LinkList(KeyedOptionList):
    """Related terms, the article's sentences and other articles: its keys named in the key
    bar (OptionList's own enter is hidden, and the popup's tab reads "Related & articles")."""

    BINDINGS = [
        Binding("enter", "select", "Follow", tooltip="Follow the term, sentence or article"),
        Binding("tab", "screen.focus_links", "Back to terms", tooltip="Back to the filter box"),
    ]


class GlossaryModal(ReportsWorkerErrors, Dialog[tuple[str, int] | None]):
    """Terms with definitions; typing filters; Esc closes and leaves the article as it was.

    Dismisses with ("article", id) when the reader chooses another article to open; posts
    `SentenceChosen` to the screen below when the reader chooses a sentence of this article.
    """

    class SentenceChosen(Message):
        """A sentence of the open article was chosen in the popup: the article scrolls there."""

        def __init__(self, sentence: str) -> None:
            super().__init__()
            self.sentence = sentence

    class TermStatusSaved(Message):
        """A term's status was saved in the study file (learning it made cards): sent to
        the reading screen, which counts the due cards again."""

    DEFAULT_CSS = """
    #glossary-dialog {
        max-width: 120;
    }

    #glossary-filter {
        margin-bottom: 1;
    }

    #glossary-body {
        height: 1fr;
    }

    #glossary-terms {
        width: 30%;
        min-width: 18;
        height: 1fr;
        border: round $panel-lighten-2;
    }

    #glossary-terms:focus {
        border: heavy $accent;
    }

    #glossary-links:focus {
        border: heavy $accent;
    }

    #glossary-right {
        width: 1fr;
        height: 1fr;
    }

    #glossary-safety {
        border: round $warning;
        padding: 0 1;
        height: auto;
        max-height: 8;
        text-style: bold;
    }

    #glossary-detail {
        height: 1fr;
        padding: 0 1;
    }

    #glossary-definition {
        margin-bottom: 1;
    }

    #glossary-links {
        height: auto;
        max-height: 20;
        border: round $panel-lighten-2;
    }
    """

    MOVE = Binding.Group("Move through the terms")
    BINDINGS = [
        Binding("escape", "close", "Close", tooltip="Close: the article stays where it was"),
        Binding("down", "move(1)", "Next term", show=False, group=MOVE),
        Binding("up", "move(-1)", "Previous term", show=False, group=MOVE),
        Binding(
            "tab",
            "focus_links",
            "Related & articles",
            show=True,
            tooltip="Go to related terms and other articles (enter follows one)",
        ),
        Binding(
            "ctrl+l",
            "cycle_status",
            "Learn",
            tooltip="Your status of the term: new → learning (makes its cards) → known",
        ),
    ]

    def __init__(
        self,
        glossary: Glossary,
        *,
        hits: list[TermHit] | None,
        store: Store | None = None,
        article_id: int | None = None,
        initial: str | None = None,
        title: str = "Glossary",
        safety_text: str = "",
    ) -> None:
        super().__init__()
        from ketaread.core.glossary import DEFAULT_SAFETY_TEXT

        self.safety_text = safety_text or DEFAULT_SAFETY_TEXT
        self.glossary = glossary
        self.store = store
        self.article_id = article_id
        self.initial = initial
        self.dialog_title = title
        if hits is None:
            self.entries = [GlossaryEntry.from_term(t) for t in glossary.terms]
        else:
            self.entries = [GlossaryEntry.from_hit(h, glossary) for h in hits]
        # Terms of the article's text first, A–Z; those only in its reference list after them.
        self.entries.sort(key=lambda e: (e.in_references_only, e.term.casefold()))
        self.shown_entries: list[GlossaryEntry] = list(self.entries)
        self.current: GlossaryEntry | None = None
        self._shown_generation = 0
        """Counts the terms shown: a mentions lookup for an earlier showing is dropped, even
        for the same term shown again (two lookups for it added its articles twice)."""
        self.statuses: dict[str, str] = {}
        """The reader's term statuses (new, learning, known), from the study file."""

    def compose(self) -> ComposeResult:
        """Filter box, term list and the definition pane."""
        with Vertical(id="glossary-dialog", classes="dialog-box") as dialog:
            dialog.border_title = self.dialog_title
            yield Input(placeholder="Type to filter terms…", id="glossary-filter")
            with Horizontal(id="glossary-body"):
                yield KeyedOptionList(id="glossary-terms", markup=False)
                with Vertical(id="glossary-right"):
                    # Outside the scrolling part: a suicide-related term's crisis line stays
                    # in view whatever the reader scrolls to.
                    safety = Static(id="glossary-safety", markup=False)
                    safety.display = False
                    yield safety
                    with VerticalScroll(id="glossary-detail"):
                        yield Static(id="glossary-definition", markup=False)
                        yield _LinkList(id="glossary-links", markup=False)
        # Its own keys: without it, the reading screen's footer showed through, dimmed,
        # offering keys that do not work here.
        yield KeyBar()

    def on_mount(self) -> None:
        """Fill the list and open the requested term."""
        self._fill()
        if self.initial:
            self.select_term(self.initial)
        self.query_one("#glossary-filter", Input).focus()
        self._load_statuses()

    def _fill(self) -> None:
        terms = self.query_one("#glossary-terms", OptionList)
        options: list[Option | None] = []
        apart = False
        for entry in self.shown_entries:
            if entry.in_references_only and not apart:
                apart = True
                if options:
                    options.append(None)
                heading = Content.styled("Only in the references", "italic $text-muted")
                options.append(Option(heading, disabled=True))
            options.append(Option(Content(entry.term), id=entry.key))
        terms.set_options(options)
        if self.shown_entries:
            terms.highlighted = terms.get_option_index(self.shown_entries[0].key)
            self._show(self.shown_entries[0])
        else:
            self.current = None
            message = "No terms match." if self.entries else "No glossary terms in this article."
            self.query_one("#glossary-definition", Static).update(Content(message))
            self.query_one("#glossary-links", OptionList).clear_options()

    def select_term(self, key_or_name: str) -> bool:
        """Show one term: by key, by name, or through the glossary's aliases."""
        from ketaread.core.glossary import term_key

        wanted = key_or_name.casefold()
        # Links carry keys quoted ("lateral%20habenula") and arrive unquoted.
        keys = {key_or_name, wanted, term_key(key_or_name)}
        entry = next(
            (e for e in self.entries if e.key in keys or e.term.casefold() == wanted), None
        )
        if entry is None:
            term = self.glossary.lookup(key_or_name)
            if term is None:
                return False
            entry = next((e for e in self.entries if e.key == term.key), None)
            if entry is None:
                entry = GlossaryEntry.from_term(term)
                self.entries.append(entry)
        self.query_one("#glossary-filter", Input).value = ""
        self.shown_entries = list(self.entries)
        self._fill()
        terms = self.query_one("#glossary-terms", OptionList)
        terms.highlighted = terms.get_option_index(entry.key)
        self._show(entry)
        return True

    def _show(self, entry: GlossaryEntry) -> None:
        self.current = entry
        safety = self.query_one("#glossary-safety", Static)
        safety.display = entry.safety
        if entry.safety:
            safety.update(Content(self.safety_text))
        self.query_one("#glossary-definition", Static).update(
            self._detail(entry, self.statuses.get(entry.study_key, "new"))
        )
        self.query_one("#glossary-detail", VerticalScroll).scroll_home(animate=False)
        links = self.query_one("#glossary-links", OptionList)
        options: list[Option | None] = []
        if entry.sentences:
            options.append(
                Option(Content.styled("In this article", "bold $text-muted"), disabled=True)
            )
            options += [
                Option(Content("¶ " + sentence), id=f"sentence:{index}")
                for index, sentence in enumerate(entry.sentences)
            ]
        related = [t for name in entry.related if (t := self.glossary.lookup(name)) is not None]
        if related:
            if options:
                options.append(None)
            options.append(
                Option(Content.styled("Related terms", "bold $text-muted"), disabled=True)
            )
            options += [Option(Content("→ " + t.term), id=f"term:{t.key}") for t in related]
        links.set_options(options)
        self._shown_generation += 1
        self._load_mentions(entry, self._shown_generation)

    @staticmethod
    def _detail(entry: GlossaryEntry, status: str = "") -> Content:
        """Name, origin, your status, certainty, definition, senses and sources: text, never
        markup."""
        parts: list[Content | str | tuple[str, str]] = [Content.styled(entry.term, "bold $accent")]
        if entry.expansion and entry.expansion.casefold() != entry.term.casefold():
            parts += ["\n", (entry.expansion, "italic")]
        origin = ORIGIN_LABELS.get(entry.origin, entry.origin)
        if entry.in_references_only:
            origin += " · only in this article's references"
        parts += ["\n", (origin, "$text-muted")]
        if status:
            parts += ["\n", ("You: " + status + " (ctrl+l: new → learning → known)", "$text-muted")]
        if entry.certainty:
            label = CERTAINTY_LABELS.get(entry.certainty, entry.certainty)
            parts += ["\n", ("Certainty: ", "bold"), (label, "italic")]
        parts += ["\n\n", entry.definition]
        # The sense the article's context chose first: in view without scrolling.
        senses = sorted(entry.senses, key=lambda sense: sense[0] != entry.sense)
        for label, definition in senses:
            chosen = label == entry.sense
            marker = "▶ " if chosen else "· "
            parts += ["\n\n", (marker + label, "bold" if chosen else "bold $text-muted")]
            if chosen:
                parts.append(("  (the sense in this article)", "italic $text-muted"))
            parts += ["\n", definition]
        if entry.sources:
            parts += ["\n\n", ("Sources", "bold $text-muted")]
            for source in entry.sources:
                parts += ["\n", ("• " + source, "$text-muted")]
        return Content.assemble(*parts)

    @work(thread=True, exclusive=True, group="glossary-mentions", exit_on_error=False)
    def _load_mentions(self, entry: GlossaryEntry, generation: int) -> None:
        if self.store is None:
            return
        rows = self.store.articles_mentioning(entry.needles(), exclude=self.article_id, limit=20)
        self.app.call_from_thread(self._show_mentions, entry, rows, generation)

    def _show_mentions(self, entry: GlossaryEntry, rows: list[ArticleRow], generation: int) -> None:
        if entry is not self.current or generation != self._shown_generation:
            return
        links = self.query_one("#glossary-links", OptionList)
        heading = "Other articles mentioning it" if rows else "No other cached article mentions it"
        if links.option_count:
            links.add_option(None)
        links.add_option(Option(Content.styled(heading, "bold $text-muted"), disabled=True))
        links.add_options(
            Option(
                Content.assemble("• ", row.title, (f"  ({row.feed_title})", "$text-muted")),
                id=f"article:{row.id}",
            )
            for row in rows
        )

    @on(Input.Changed, "#glossary-filter")
    def _filter(self, event: Input.Changed) -> None:
        ranked = [
            (rank, e) for e in self.entries if (rank := e.match_rank(event.value)) is not None
        ]
        # Stable: alphabetical within a rank; terms only in the references stay apart, last.
        ranked.sort(key=lambda pair: (pair[1].in_references_only, pair[0]))
        self.shown_entries = [e for _, e in ranked]
        self._fill()

    @on(Input.Submitted, "#glossary-filter")
    def _submitted(self) -> None:
        self.action_focus_links()

    @on(OptionList.OptionHighlighted, "#glossary-terms")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        entry = next((e for e in self.shown_entries if e.key == event.option_id), None)
        if entry is not None and entry is not self.current:
            self._show(entry)

    @on(OptionList.OptionSelected, "#glossary-links")
    def _link_selected(self, event: OptionList.OptionSelected) -> None:
        kind, _, value = (event.option_id or "").partition(":")
        if kind == "sentence" and self.current is not None:
            self._jump(self.current.sentences[int(value)])
        elif kind == "term":
            self.select_term(value)
            self.query_one("#glossary-filter", Input).focus()
        elif kind == "article":
            self.dismiss(("article", int(value)))

    def _jump(self, sentence: str) -> None:
        """Close, and ask the reading screen below to scroll to the sentence."""
        below = self.app.screen_stack[-2] if len(self.app.screen_stack) > 1 else None
        self.dismiss(None)
        if below is not None:
            below.post_message(self.SentenceChosen(sentence.lstrip("…")))

    def action_move(self, step: int) -> None:
        """Up/Down in the filter box move through the terms."""
        focused = self.focused
        if focused is not None and focused.id == "glossary-links":
            links = self.query_one("#glossary-links", OptionList)
            links.action_cursor_down() if step > 0 else links.action_cursor_up()
            return
        terms = self.query_one("#glossary-terms", OptionList)
        terms.action_cursor_down() if step > 0 else terms.action_cursor_up()

    def action_focus_links(self) -> None:
        """Tab moves between the filter box and the related terms / articles."""
        links = self.query_one("#glossary-links", OptionList)
        if self.focused is links:
            self.query_one("#glossary-filter", Input).focus()
        else:
            links.focus()
            if links.highlighted is None and links.option_count:
                links.action_first()

    def action_close(self) -> None:
        """Close the popup; the article stays where it was."""
        self.dismiss(None)

    # -- the reader's status of each term (the study file) ---------------------------

    @work(thread=True, exclusive=True, group="glossary-statuses", exit_on_error=False)
    def _load_statuses(self) -> None:
        context = getattr(self.app, "context", None)
        study = context.study_if_exists_quietly() if context is not None else None
        if study is not None:
            statuses = study.term_statuses()
            self.app.call_from_thread(self._statuses_loaded, statuses)

    def _statuses_loaded(self, statuses: dict[str, str]) -> None:
        self.statuses = statuses
        if self.current is not None:
            self._show(self.current)

    def action_cycle_status(self) -> None:
        """new → learning → known → new, for the term shown; saved in the study file."""
        from ketaread.core.study import next_status

        entry = self.current
        if entry is None:
            return
        if entry.own_abbreviation:
            # Learnt by its meaning: a card "NMDA = ?" with the article's long form.
            status = next_status(self.statuses.get(entry.study_key))
            self.statuses[entry.study_key] = status
            self._show(entry)
            self._save_status(entry.term, entry.expansion, None, status)
            return
        term = self.glossary.lookup(entry.key) or self.glossary.lookup(entry.term)
        if term is None:
            self.notify("Only glossary terms and abbreviations can be learnt.", severity="warning")
            return
        status = next_status(self.statuses.get(term.key))
        self.statuses[entry.key] = self.statuses[term.key] = status
        self._show(entry)
        self._save_status(term.term, "", term, status)

    @work(thread=True, group="glossary-status-save", exit_on_error=False)
    def _save_status(self, name: str, long: str, term: Term | None, status: str) -> None:
        """Save a glossary term's status (`term`), else an article abbreviation's (`name`
        short for `long`)."""
        from ketaread.context import ContextError
        from ketaread.core.study import set_abbreviation_status, set_term_status

        try:
            study = self.app.context.study  # type: ignore[attr-defined]
        except ContextError as error:
            self.app.call_from_thread(self.notify, str(error), severity="error", markup=False)
            return
        if term is not None:
            set_term_status(study, term, status)
        else:
            set_abbreviation_status(study, name, long, status)
        self.app.call_from_thread(self.notify, f"{name}: {status}.", markup=False, timeout=2)
        self.app.call_from_thread(self._status_saved)

    def _status_saved(self) -> None:
        reader = getattr(self.app, "main_screen", None)
        if reader is not None:
            reader.post_message(self.TermStatusSaved())
