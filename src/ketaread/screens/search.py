"""The reading screen's side of search: the panel in the list's place, opening results at
their hits, saved searches' counts, and indexing a cache made before search existed.

A mixin of MainScreen, kept in its own module so the screen stays about its panes.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, cast

from textual import work

from ketaread.context import ContextError

if TYPE_CHECKING:
    import re

    from textual.timer import Timer

    from ketaread.core.store import Store
    from ketaread.screens.main import MainScreen
    from ketaread.widgets.search_panel import SearchOutcome, SearchPanel
    from ketaread.widgets.tag_sidebar import TagSidebar

SAVED_SEARCH_LIMIT = 30
"""Saved searches counted for the sidebar (each count is a query)."""
SEARCH_COUNT_DELAY = 0.5
"""Seconds of quiet after a change before the saved searches are counted again: a burst of
reads, or a refresh landing feed after feed, is counted once."""
INDEX_QUIET = 1.0
"""Seconds without a key press before indexing an older cache goes on (see `_index_pause`)."""
INDEX_BATCH = 50
"""Articles indexed per transaction by the reader: a short hold of the write lock (a
star or a read mark waits for at most one batch)."""


class SearchScreen:
    """Search for MainScreen: `/`, the panel's messages, `]`/`[` between hits."""

    _search_panel: SearchPanel | None = None
    _search_hits: dict[int, re.Pattern[str] | None]
    _index_stop: threading.Event
    _index_note: str | None = None
    _search_count_timer: Timer | None = None
    _last_key: float = 0.0

    def _init_search(self) -> None:
        self._search_hits = {}
        self._index_stop = threading.Event()

    # -- saved searches' counts -----------------------------------------------------

    def follow_saved_search_counts(self) -> None:
        """Count the saved searches again as each refreshed feed or synced account lands."""
        screen = self._screen
        for name in ("refresh_progressed", "sync_progressed"):
            signal = getattr(screen.app, name, None)
            if signal is not None:
                signal.subscribe(screen, lambda _report: self.schedule_search_counts())

    def schedule_search_counts(self) -> None:
        """Count the saved searches again once changes stop for SEARCH_COUNT_DELAY (a read,
        a refresh landing): the sidebar's other counts follow a change at once, but a saved
        search is a query, so a burst of changes is counted once, in a worker."""
        data = self._screen.sidebar_data
        if data is None or not data.searches:
            return  # no saved searches, or the sidebar not loaded yet (it counts them then)
        if self._search_count_timer is not None:
            self._search_count_timer.stop()
        self._search_count_timer = self._screen.set_timer(
            SEARCH_COUNT_DELAY, self._count_saved_searches
        )

    @work(thread=True, exclusive=True, group="search-counts", exit_on_error=False)
    def _count_saved_searches(self) -> None:
        store = self._screen.store
        if store is None:
            return
        counts = tuple(self.saved_search_counts(store))
        self._screen.app.call_from_thread(self._saved_searches_counted, counts)

    def _saved_searches_counted(self, counts: tuple[tuple[str, str, int, int], ...]) -> None:
        screen = self._screen
        if screen.sidebar.update_searches(counts) and screen.sidebar_data is not None:
            screen.sidebar_data = screen.sidebar_data._replace(searches=counts)

    def on_key(self) -> None:
        """Note when the user last pressed a key: indexing waits while they act."""
        self._last_key = time.monotonic()

    def _index_pause(self) -> None:
        """Wait until no key has been pressed for INDEX_QUIET seconds (or quitting): in a
        worker, between two batches, so that indexing an upgraded archive (minutes for
        400,000 articles) never competes with a tag switch or an open for the cache's
        write lock, the CPU or the GIL."""
        while not self._index_stop.is_set():
            quiet = time.monotonic() - self._last_key
            if quiet >= INDEX_QUIET:
                return
            self._index_stop.wait(min(INDEX_QUIET - quiet, 0.25))

    # -- the panel ----------------------------------------------------------------

    async def action_search(self, text: str = "") -> None:
        """Open the search line in the list's place (mounted on first use, not at start)."""
        from ketaread.widgets.search_panel import SearchPanel

        screen = self._screen
        panel = self._search_panel
        if panel is None:
            panel = SearchPanel(self._run_search, id="search")
            self._search_panel = panel
            await screen.mount(panel, after=screen.article_list)
        screen._leave_focus_mode()
        screen.article_list.display = False
        panel.display = True
        panel.start(text or panel.input.value)
        self._ensure_index()

    def on_search_panel_closed(self) -> None:
        """Esc: the list comes back as it was (its filter never changed)."""
        panel = self._search_panel
        if panel is not None:
            panel.display = False
        screen = self._screen
        screen.article_list.display = True
        screen.article_list.focus()

    def on_search_panel_opened(self, event: SearchPanel.Opened) -> None:
        """Open a result at its first hit, the hits highlighted."""
        self._search_hits[event.article_id] = event.pattern
        self._screen.open_article(event.article_id)

    def on_tag_sidebar_search_chosen(self, event: TagSidebar.SearchChosen) -> None:
        """A saved search in the sidebar: run it in the search panel."""
        self._screen.call_later(self.action_search, event.query)

    def hits_for(self, article_id: int) -> re.Pattern[str] | None:
        """The hits to highlight when `article_id` opens (only right after a search opened it)."""
        return self._search_hits.pop(article_id, None)

    def action_next_hit(self) -> None:
        """Scroll the article to its next search hit."""
        self._step_hit(1)

    def action_previous_hit(self) -> None:
        """Scroll the article to its previous search hit."""
        self._step_hit(-1)

    def _step_hit(self, direction: int) -> None:
        hits = self._screen.article_view.hits
        if not hits.step(direction):
            self._screen.notify("No search hits in this article.")
        elif hits.wrapped:
            # Said, as n/p say it: going round silently looked like `]` had stopped working.
            where = "first" if direction > 0 else "last"
            self._screen.say(f"Wrapped to the {where} search hit.")

    # -- running queries (in the panel's worker thread) ---------------------------------

    def _run_search(self, text: str, limit: int) -> SearchOutcome:
        from ketaread.core.search import (
            QueryError,
            SearchIndexError,
            expander_for,
            hit_pattern,
            search,
        )
        from ketaread.widgets.search_panel import SearchOutcome

        screen = self._screen
        store = screen.store
        if store is None:
            return SearchOutcome(text, error="The cache could not be opened.")
        try:
            results = search(store, text, limit=limit, expander=expander_for(screen._glossary()))
        except (QueryError, SearchIndexError) as error:
            return SearchOutcome(text, error=str(error))
        rows = {row.id: row for row in store.rows([h.article_id for h in results.hits])}
        outcome = SearchOutcome(
            text,
            [(rows[h.article_id], h) for h in results.hits if h.article_id in rows],
            results.total,
            hit_pattern(results.query),
        )
        if results.index is not None:
            outcome.note = (
                f"indexing {results.index.indexed:,}/{results.index.total:,}: results are partial"
            )
        return outcome

    def saved_search_counts(self, store: Store) -> list[tuple[str, str, int, int]]:
        """(name, query, unread, total) of each saved search (call from a worker)."""
        from ketaread.core.search import QueryError, SearchIndexError, count_matches, expander_for

        try:
            saved = self._screen.context.config.searches[:SAVED_SEARCH_LIMIT]
        except ContextError:
            return []
        if not saved:
            return []
        expander = expander_for(self._screen._glossary())
        counts = []
        for entry in saved:
            try:
                total = count_matches(store, entry.query, expander)
                unread = count_matches(store, f"{entry.query} is:unread", expander)
            except (QueryError, SearchIndexError):
                total = unread = 0
            counts.append((entry.name, entry.query, unread, total))
        return counts

    # -- indexing a cache made before search ---------------------------------------------

    def _ensure_index(self) -> None:
        """Index what is not indexed yet, in the background (once the first frame is out)."""
        store = self._screen.store
        if store is None or getattr(self, "_index_started", False):
            return
        self._index_started = True
        self._build_index(store)

    @work(thread=True, exclusive=True, group="search-index", exit_on_error=False)
    def _build_index(self, store: Store) -> None:
        from ketaread.core.search import build_index, index_status

        if index_status(store).complete:
            return
        screen = self._screen
        shown = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if now - shown[0] >= 0.5:
                shown[0] = now
                self._index_note = f"Indexing for search: {done:,}/{total:,}"
                screen.app.call_from_thread(screen._update_status)

        build_index(store, progress, self._index_stop, batch=INDEX_BATCH, pause=self._index_pause)
        self._index_note = None
        screen.app.call_from_thread(self._index_built)

    def _index_built(self) -> None:
        screen = self._screen
        screen._update_status()
        screen.load_sidebar()  # saved searches' counts were partial
        panel = self._search_panel
        if panel is not None and panel.display and panel.input.value.strip():
            panel.search_now(panel.input.value)

    def on_unmount(self) -> None:
        """Quitting stops a background index build between batches; what it did stays."""
        self._index_stop.set()

    @property
    def _screen(self) -> MainScreen:
        return cast("MainScreen", self)
