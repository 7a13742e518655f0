"""The reading screen's study keys: highlight (a mouse selection or the sentence cursor),
the highlight list, the article's note, the review, and the article's highlights drawn.

A mixin of MainScreen, kept here so the screen module stays about reading; its bindings are
listed in MainScreen.BINDINGS (the help and the palette read them there). Every read and
write of the study file runs in a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.binding import Binding

from ketaread.config import DEFAULT_MEANINGS, HighlightMeaning
from ketaread.context import ContextError
from ketaread.core.wording import counted
from ketaread.widgets.article_view import ArticleHeader, ArticleView

if TYPE_CHECKING:
    from textual.app import App

    from ketaread.context import Context
    from ketaread.core.models import ArticleDetail
    from ketaread.core.render import Rendering
    from ketaread.core.study import PlacedHighlight, StudyStore
    from ketaread.screens.study import HighlightChoice
    from ketaread.widgets.tag_sidebar import TagSidebar

STUDY_BINDINGS = [
    Binding(
        "h",
        "highlight",
        "Highlight",
        show=False,
        tooltip="Highlight the mouse selection or the sentences under the cursor (x)",
    ),
    Binding(
        "L",
        "highlights",
        "Highlights",
        show=False,
        tooltip="This article's highlights (enter goes to one)",
    ),
    Binding("N", "article_note", "Note", show=False, tooltip="Write your note on this article"),
    Binding(
        "w", "review", "Review", show=False, tooltip="Review due flashcards (spaced repetition)"
    ),
]
"""The study keys of the reading screen."""


class StudyActions:
    """What the reading screen does with the study file."""

    context: Context
    detail: ArticleDetail | None
    rendering: Rendering | None
    study_status: str = ""
    """The due count, for the status line."""
    _config_warned = False

    app: App[Any]
    """Provided by the screen."""

    if TYPE_CHECKING:  # provided by the screen

        @property
        def article_view(self) -> ArticleView: ...

        @property
        def sidebar(self) -> TagSidebar: ...

    def _study_or_none(self) -> StudyStore | None:
        """The study file (call from a worker); None and a message when it cannot be used."""
        try:
            return self.context.study
        except ContextError as error:
            self.app.call_from_thread(
                self.app.notify,
                str(error),
                severity="error",
                markup=False,
                timeout=20,
            )
            return None

    def highlight_meanings(self) -> tuple[HighlightMeaning, ...]:
        """The highlight meanings as config.toml labels and colours them (the defaults when
        it cannot be read: the refresh reports why)."""
        try:
            return self.context.config.highlights
        except ContextError:
            return DEFAULT_MEANINGS

    def _meaning_label(self, key: str) -> str:
        return next((m.label for m in self.highlight_meanings() if m.key == key), key)

    def report_config_warnings(self) -> None:
        """Config values that were replaced by their defaults, said once (call from a
        worker: it reads the config)."""
        if self._config_warned:
            return
        try:
            warnings = self.context.config.warnings
        except ContextError:
            return
        self._config_warned = True
        if warnings:
            self.app.call_from_thread(
                self.app.notify,
                "\n".join(warnings),
                title="config.toml",
                severity="warning",
                markup=False,
                timeout=20,
            )

    def unmark_known_terms(self, markdown: str, rendering: Rendering | None = None) -> str:
        """The article's Markdown without links on terms the reader knows (call from a
        worker), unless `[reader] mark_known_terms = true`: glossary terms, and the
        abbreviations `rendering`'s article defines itself."""
        try:
            if self.context.config.mark_known_terms:
                return markdown
        except ContextError:
            pass
        study = self.context.study_if_exists_quietly()
        if study is None:
            return markdown
        from ketaread.core.study import article_abbreviation_keys, unmark_terms

        statuses = study.term_statuses()
        known = [key for key, status in statuses.items() if status == "known"]
        glossary = self.context.glossary_if_loaded
        if rendering is not None and glossary is not None and rendering.abbreviations:
            # An abbreviation's link key is the article's; its status is kept by its meaning.
            own = article_abbreviation_keys(glossary, rendering.abbreviations)
            known += [link for link, key in own.items() if statuses.get(key) == "known"]
        return unmark_terms(markdown, known) if known else markdown

    def _article_text(self) -> str:
        from ketaread.core.study import article_text

        return article_text(self.rendering) if self.rendering is not None else ""

    # -- drawing the article's highlights ----------------------------------------

    def on_article_view_article_shown(self, event: ArticleView.ArticleShown) -> None:
        """The article is on screen: draw its highlights, count its new terms."""
        if self.detail is not None and self.rendering is not None:
            self._load_highlights(self.detail, self.rendering)

    @work(thread=True, exclusive=True, group="study-article", exit_on_error=False)
    def _load_highlights(self, detail: ArticleDetail, rendering: Rendering) -> None:
        from ketaread.core.study import article_text, place_highlights

        study = self.context.study_if_exists_quietly()
        text = article_text(rendering)
        placed = place_highlights(study, detail.row.key, text) if study is not None else []
        statuses = study.term_statuses() if study is not None else {}
        note = self._new_terms_note(rendering, statuses)
        due = (study.due_count(), study.card_count()) if study is not None else (0, 0)
        self.app.call_from_thread(self._highlights_loaded, detail, text, placed, note, due)

    def _new_terms_note(self, rendering: Rendering, statuses: dict[str, str]) -> str:
        glossary = self.context.glossary_if_loaded
        if glossary is None:
            return ""
        from ketaread.core.study import article_abbreviation_keys

        # Keyed as the study file keys them: a glossary term (an abbreviation the article
        # defines may be one) by its key, the article's own abbreviations by their meaning.
        own = article_abbreviation_keys(glossary, rendering.abbreviations)
        keys = set()
        for hit in rendering.terms(glossary):
            if hit.key in own:
                keys.add(own[hit.key])
                continue
            term = glossary.lookup(hit.key) or glossary.lookup(hit.term)
            keys.add(term.key if term is not None else hit.key)
        if not keys:
            return ""
        new = sum(1 for key in keys if statuses.get(key, "new") == "new")
        learning = sum(1 for key in keys if statuses.get(key) == "learning")
        return f"Terms: {new} of {len(keys)} new to you, {learning} learning"

    def _highlights_loaded(
        self,
        detail: ArticleDetail,
        text: str,
        placed: list[PlacedHighlight],
        note: str,
        due: tuple[int, int],
    ) -> None:
        if self.detail is None or self.detail.row.id != detail.row.id:
            return  # another article was opened meanwhile
        from ketaread.widgets.highlights import highlight_marks, meaning_styles

        self.article_view.show_marks(
            highlight_marks(
                (
                    (p.highlight.id, text[p.placement.start : p.placement.end], p.highlight.color)
                    for p in placed
                    if p.placement is not None
                ),
                meaning_styles(self.highlight_meanings()),
            )
        )
        if note:
            from ketaread.core.enclosures import header_notes

            header = self.article_view.query_one(ArticleHeader)
            notes = [*header_notes(detail), note]
            header.update(ArticleView.header_content(detail.row, detail.tags, notes))
        self._show_due(due)

    def _show_due(self, due_and_cards: tuple[int, int]) -> None:
        """The due count in the status line and in the sidebar's review entry."""
        due, cards = due_and_cards
        self.study_status = f"{counted(due, 'card')} due — w: review" if due else ""
        self._update_status()  # type: ignore[attr-defined]
        self.sidebar.show_due(due, cards)

    # -- highlighting -----------------------------------------------------------

    def action_highlight(self) -> None:
        """Highlight the mouse selection, else the sentence cursor's choice."""
        if self.detail is None or self.rendering is None:
            self.app.notify("Open an article first.", severity="warning")
            return
        view = self.article_view
        if view.cursor is not None:
            view.action_choose_sentences()
            return
        selected = (self.get_selected_text() or "").strip()  # type: ignore[attr-defined]
        if not selected:
            self.app.notify(
                "Select words with the mouse, or press x for the sentence cursor, then h.",
                severity="warning",
            )
            return
        self._ask_and_save(selected, None)

    def on_article_view_cursor_requested(self, _event: ArticleView.CursorRequested) -> None:
        """x in the article: the sentence cursor over the article's text."""
        from ketaread.core.study import sentence_spans

        text = self._article_text()
        self.article_view.start_cursor(text, sentence_spans(text))

    def on_article_view_sentences_chosen(self, event: ArticleView.SentencesChosen) -> None:
        """Enter in the sentence cursor: ask for a colour and note, then save."""
        text = self._article_text()
        self._ask_and_save(text[event.start : event.end], event.start)

    def _ask_and_save(self, quote: str, start: int | None) -> None:
        from ketaread.screens.study import HighlightDialog

        detail, rendering = self.detail, self.rendering

        def chosen(choice: HighlightChoice | None) -> None:
            if choice is None or detail is None or rendering is None:
                return
            self.article_view.action_leave_cursor()
            self.screen.clear_selection()  # type: ignore[attr-defined]
            self._save_highlight(detail, rendering, quote, start, choice.color, choice.note)

        self.app.push_screen(HighlightDialog(quote, self.highlight_meanings()), chosen)

    @work(thread=True, group="study-write", exit_on_error=False)
    def _save_highlight(
        self,
        detail: ArticleDetail,
        rendering: Rendering,
        quote: str,
        start: int | None,
        color: str,
        note: str,
    ) -> None:
        from ketaread.core.study import StudyError, add_highlight, article_text

        study = self._study_or_none()
        if study is None:
            return
        try:
            add_highlight(
                study, detail, article_text(rendering), quote, color=color, note=note, start=start
            )
        except (StudyError, ValueError) as error:
            self.app.call_from_thread(
                self.app.notify,
                f"Not highlighted: {error}",
                severity="warning",
                markup=False,
            )
            return
        label = self._meaning_label(color)
        self.app.call_from_thread(self.app.notify, f"Highlighted ({label}).", markup=False)
        self._load_highlights(detail, rendering)

    # -- the highlight list and the article note --------------------------------

    def action_highlights(self) -> None:
        """The open article's highlights."""
        if self.detail is None or self.rendering is None:
            self.app.notify("Open an article first.", severity="warning")
            return
        self._open_panel(self.detail, self.rendering)

    @work(thread=True, exclusive=True, group="study-panel", exit_on_error=False)
    def _open_panel(self, detail: ArticleDetail, rendering: Rendering) -> None:
        from ketaread.core.study import article_text, place_highlights

        study = self.context.study_if_exists_quietly()
        placed = place_highlights(study, detail.row.key, article_text(rendering)) if study else []
        # In the article's order, the detached ones last.
        placed.sort(key=lambda p: (p.placement is None, p.placement.start if p.placement else 0))
        note = study.article_note(detail.row.key) if study else ""
        self.app.call_from_thread(self._push_panel, detail, rendering, placed, note)

    def _push_panel(
        self, detail: ArticleDetail, rendering: Rendering, placed: list[PlacedHighlight], note: str
    ) -> None:
        from ketaread.screens.study import HighlightPanel

        panel = HighlightPanel(detail.row.title, placed, note, self.highlight_meanings())

        def closed(highlight_id: int | None) -> None:
            if panel.deleted:
                self._delete_highlights(detail, rendering, panel.deleted)
            if highlight_id is None:
                return
            if not self.article_view.scroll_to_mark(f"highlight:{highlight_id}"):
                self.app.notify(
                    "That highlight is detached: its words are not in the article now.",
                    severity="warning",
                )
            self.article_view.focus()

        self.app.push_screen(panel, closed)

    @work(thread=True, group="study-write", exit_on_error=False)
    def _delete_highlights(
        self, detail: ArticleDetail, rendering: Rendering, ids: list[int]
    ) -> None:
        study = self._study_or_none()
        if study is None:
            return
        for highlight_id in ids:
            study.delete_highlight(highlight_id)
        self._load_highlights(detail, rendering)

    def action_article_note(self) -> None:
        """Write the note on the open article."""
        if self.detail is None:
            self.app.notify("Open an article first.", severity="warning")
            return
        self._open_note(self.detail)

    @work(thread=True, exclusive=True, group="study-note", exit_on_error=False)
    def _open_note(self, detail: ArticleDetail) -> None:
        study = self.context.study_if_exists_quietly()
        note = study.article_note(detail.row.key) if study else ""
        self.app.call_from_thread(self._push_note, detail, note)

    def _push_note(self, detail: ArticleDetail, note: str) -> None:
        from ketaread.screens.study import NoteDialog

        def written(text: str | None) -> None:
            if text is not None and text != note:
                self._save_note(detail, text)

        self.app.push_screen(NoteDialog(detail.row.title, note), written)

    @work(thread=True, group="study-write", exit_on_error=False)
    def _save_note(self, detail: ArticleDetail, text: str) -> None:
        from ketaread.core.study import article_ref

        study = self._study_or_none()
        if study is None:
            return
        study.set_article_note(article_ref(detail), text)
        message = "Saved the note." if text.strip() else "Deleted the note."
        self.app.call_from_thread(self.app.notify, message)

    # -- review -----------------------------------------------------------------

    def action_review(self) -> None:
        """Review the due flashcards."""
        from ketaread.screens.study import ReviewScreen

        def closed(_result: None) -> None:
            self._count_due()

        self.app.push_screen(ReviewScreen(), closed)

    def on_glossary_modal_term_status_saved(self, _event: object) -> None:
        """A term marked in the glossary popup: its cards may be due now, and the open
        article's count of new terms has changed."""
        if self.detail is not None:
            # Shown again, where the reader was: a known term loses its marks (and an
            # unknown one gets them back); showing it recounts the terms and the due cards.
            self.open_article(self.detail.row.id)  # type: ignore[attr-defined]
        else:
            self._count_due()

    def on_tag_sidebar_review_chosen(self, _event: TagSidebar.ReviewChosen) -> None:
        """Enter on the sidebar's review entry: the review."""
        self.action_review()

    @work(thread=True, exclusive=True, group="study-due", exit_on_error=False)
    def _count_due(self) -> None:
        """The due count for the status line and the sidebar (at start, after a review)."""
        self.report_config_warnings()
        study = self.context.study_if_exists_quietly()
        due = (study.due_count(), study.card_count()) if study is not None else (0, 0)
        self.app.call_from_thread(self._show_due, due)
