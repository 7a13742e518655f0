"""The reading screen: composes the panes and routes messages between them and the cache."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from typing import TYPE_CHECKING, Protocol, cast

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from ketaread.context import Context, ContextError
from ketaread.core import links
from ketaread.core.models import ArticleDetail, ArticleRow
from ketaread.core.store import SORT_ORDERS, ArticleFilter, CacheBusy, Store, StoreError
from ketaread.core.wording import counted
from ketaread.locations import settings_path
from ketaread.screens.commands import ArticleCommands, FilterCommands, GlossaryCommands
from ketaread.screens.search import SearchScreen
from ketaread.screens.study_actions import STUDY_BINDINGS, StudyActions
from ketaread.widgets.article_list import ID_WINDOW, PAGE_SIZE, ArticleList, ListIds
from ketaread.widgets.article_view import ArticleView
from ketaread.widgets.key_bar import KeyBar
from ketaread.widgets.reference_panel import ReferencePanel
from ketaread.widgets.tag_sidebar import SidebarData, TagSidebar, location_label
from ketaread.widgets.title_bar import TitleBar
from ketaread.widgets.web_links import copy_web_link, open_web_link
from ketaread.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from textual.notifications import Notification, SeverityLevel
    from textual.signal import Signal
    from textual.timer import Timer
    from textual.widgets import Markdown

    from ketaread.core.glossary import Glossary, TermHit
    from ketaread.core.pending import PendingChange, PendingChanges
    from ketaread.core.refresh import FeedReport
    from ketaread.core.render import ArticleLocks, MarkedArticle, MarkedCache, Rendering
    from ketaread.core.sync.state import AccountSummary
    from ketaread.screens.glossary import GlossaryModal

SORT_LABELS = {
    "newest": "newest first",
    "oldest": "oldest first",
    "feed": "by feed",
    "unread": "unread first",
}
UNDO_SECONDS = 10.0
"""How long `u` can undo a mark-all-read: as long as its notice shows."""
FOLLOWING_LOOKED_UP = 20
"""Rows after the highlighted one that may take its place when a list is made again."""
POSITION_STATE = "position"
"""The reader_state entry holding the last article and how far it was scrolled."""
PREFETCH_DELAY = 0.1
"""Seconds the list's cursor rests on an article before it is converted ahead of Enter."""
NEXT_AHEAD_DELAY = 2.0
"""Seconds after an article is shown before the next unread one is converted ahead. Not
sooner: at 0.5 s the conversion met the next open of a reader going quickly from article to
article and slowed it (Enter on a just-reached article: 67 against 55 ms, bench_archive)."""

NARROW_WIDTH = 100
"""Below this width the sidebar starts hidden and the reference panel sits under the article."""
WIDE_WIDTH = 150
"""From this width the reference panel sits beside the article."""


class StatusLine(Static):
    """One line above the footer: refresh progress and cache state."""


class RefreshingHost(Protocol):
    """What the reading screen needs of the app that runs refreshes."""

    refresh_message: str | None
    refresh_progressed: Signal[FeedReport]
    refresh_finished: Signal[bool]


def list_ids(
    store: Store,
    article_filter: ArticleFilter,
    *,
    first: list[int] | None = None,
    wanted: tuple[int | None, ...] = (),
) -> ListIds:
    """A filter's ids for the list: its kept count, its first window (`first` when the
    caller has it) and where the `wanted` articles are; the rest fetched when shown."""
    windows = {0: store.article_ids(article_filter, limit=ID_WINDOW) if first is None else first}
    positions: dict[int, int | None] = {}
    for article_id in dict.fromkeys(i for i in wanted if i is not None):
        position = positions[article_id] = store.position(article_filter, article_id)
        if position is not None and position // ID_WINDOW not in windows:
            number = position // ID_WINDOW
            windows[number] = store.article_ids(
                article_filter, limit=ID_WINDOW, offset=number * ID_WINDOW
            )
    return ListIds(
        store.count(article_filter),
        lambda offset, limit: store.article_ids(article_filter, limit=limit, offset=offset),
        lambda article_id: store.position(article_filter, article_id),
        windows,
        positions,
        newest=store.newest_article_id(),
        reorders=article_filter.order == "unread",
    )


class ToggleAsked(Message):
    """`m` or `s` pressed on an article: sent the way the list's Opened goes."""

    def __init__(self, article_id: int, state: str) -> None:
        super().__init__()
        self.article_id = article_id
        self.state = state


class MainScreen(StudyActions, SearchScreen, ReportsWorkerErrors, Screen[None]):
    """Tag sidebar | article list | article (with the reference panel)."""

    COMMANDS = {ArticleCommands, FilterCommands, GlossaryCommands}
    AUTO_FOCUS = "#articles"
    """Focused as the panes mount: focusing it later would first focus the sidebar (the
    first focusable pane) and restyle both panes twice before the first frame."""

    UNREAD_STEP = Binding.Group("Next / previous unread article")
    FOCUS_PANE = Binding.Group("Focus the article list / tag sidebar / article")
    HIT_STEP = Binding.Group("Next / previous search hit in the article")
    BINDINGS = [
        Binding(
            "slash",
            "search",
            "Search",
            key_display="/",
            tooltip="Search every cached article",
        ),
        Binding(
            "right_square_bracket",
            "next_hit",
            "Next hit",
            show=False,
            key_display="]",
            tooltip="Scroll to the next search hit in the article",
            group=HIT_STEP,
        ),
        Binding(
            "left_square_bracket",
            "previous_hit",
            "Previous hit",
            show=False,
            key_display="[",
            tooltip="Scroll to the previous search hit in the article",
            group=HIT_STEP,
        ),
        Binding(
            "n",
            "next_unread",
            "Next unread",
            tooltip="Open the next unread article",
            group=UNREAD_STEP,
        ),
        Binding(
            "p",
            "previous_unread",
            "Prev unread",
            show=False,
            tooltip="Open the previous unread article",
            group=UNREAD_STEP,
        ),
        Binding("m", "toggle_read", "Read/unread", tooltip="Toggle read"),
        Binding("s", "toggle_star", "Star", tooltip="Star or unstar the article"),
        Binding("r", "toggle_references", "Refs", tooltip="Show or hide the reference panel"),
        Binding("g", "glossary", "Glossary", tooltip="Terms of this article with definitions"),
        Binding("G", "glossary_all", "All terms", show=False, tooltip="The whole glossary"),
        Binding("t", "toggle_sidebar", "Tags", tooltip="Show or hide the tag sidebar"),
        Binding("o", "open_link", "Open link", show=False, tooltip="Open the article's web page"),
        Binding(
            "c",
            "copy_link",
            "Copy link",
            show=False,
            tooltip="Copy the article's link (OSC 52: works over SSH)",
        ),
        Binding(
            "F",
            "full_text",
            "Full text",
            show=False,
            tooltip="Fetch the open article's full text from its web page (for feed excerpts)",
        ),
        Binding(
            "e",
            "open_enclosure",
            "Attachment",
            show=False,
            tooltip="Open the article's attachment (podcast audio, video or file)",
        ),
        Binding(
            "E",
            "copy_enclosure",
            "Copy attachment",
            show=False,
            tooltip="Copy the link of the article's attachment",
        ),
        Binding(
            "f",
            "focus_mode",
            "Focus mode",
            show=False,
            tooltip="Focus mode: the article alone; f again brings the panes back",
        ),
        Binding(
            "a",
            "focus_pane('articles')",
            "Article list",
            show=False,
            tooltip="Focus the article list",
            group=FOCUS_PANE,
        ),
        Binding(
            "l",
            "focus_pane('sidebar')",
            "Tag list",
            show=False,
            tooltip="Focus the tag sidebar",
            group=FOCUS_PANE,
        ),
        Binding(
            "v",
            "focus_pane('article')",
            "Article",
            show=False,
            tooltip="Focus the article",
            group=FOCUS_PANE,
        ),
        Binding(
            "space",
            "article_page_down",
            "Page down",
            show=False,
            tooltip="Scroll the article by a page (from any pane)",
        ),
        Binding(
            "A",
            "mark_all_read",
            "All read",
            show=False,
            tooltip="Mark every article in this list read (u undoes it)",
        ),
        Binding("u", "undo", "Undo", show=False, tooltip="Undo the last mark-all-read"),
        Binding(
            "S",
            "cycle_sort",
            "Sort",
            show=False,
            tooltip="Sort: newest, oldest, by feed, unread first (remembered)",
        ),
        Binding(
            "H",
            "toggle_hide_read",
            "Hide read",
            show=False,
            tooltip="Hide or show read articles (remembered)",
        ),
        Binding(
            "D",
            "delete_article",
            "Delete",
            show=False,
            tooltip="Delete the article for good, after asking (a refresh won't bring it back)",
        ),
        *STUDY_BINDINGS,
    ]

    def __init__(self, context: Context) -> None:
        super().__init__()
        self.context = context
        """The cache, config and glossary this screen reads."""
        self.article_filter = ArticleFilter()
        self.filter_label = "All"
        self.detail: ArticleDetail | None = None
        self.rendering: Rendering | None = None
        self.sidebar_data: SidebarData | None = None
        """The sidebar's last full load, kept in step with count changes."""
        self.link_targets: list[str] = []
        self.app_links: frozenset[str] = frozenset()
        """The web links the open article's `ketaread://link/N` stand for."""
        self._ids_generation = 0
        self.requested_filter = self.article_filter
        """The filter last asked for (the list shows it once its ids have loaded)."""
        self._open_generation = 0
        self._open_read: PendingChange | None = None
        """The last open's mark read, until its worker takes the outcome."""
        self._show_lock = asyncio.Lock()
        self._read_changes: list[tuple[ArticleRow, ArticleRow, list[int]]] = []
        """Read state that opening changed, shown once the article is (ArticleShown)."""
        self._sidebar_chosen = False
        self._first_resume_seen = False
        """Whether the screen has been shown once (see on_screen_resume)."""
        self._before_focus_mode: tuple[bool, bool] | None = None
        """Whether the sidebar and the list were shown before focus mode hid them (None
        outside focus mode)."""
        self._glossary_warned = threading.Event()
        self._notice: Notification | None = None
        """The last routine notice shown: the next one replaces it rather than stacking."""
        self._undo: tuple[list[int], float] | None = None
        """Articles a mark-all-read changed, and until when `u` may undo it."""
        settings = self._settings()
        order = settings.get("sort", "newest")
        self.list_order: str = (
            order if isinstance(order, str) and order in SORT_ORDERS else "newest"
        )
        """The list's order (S cycles it; remembered in settings.toml)."""
        self.hide_read = settings.get("hide_read") is True
        """Whether read articles are left out of every list (H; remembered)."""
        self.article_filter = self._viewed(ArticleFilter())
        self.requested_filter = self.article_filter
        self._position_restored = False
        self._article_scroll = 0.0
        """How far the open article is scrolled, followed as it changes: the panes are
        gone by the time the screen unmounts."""
        self._was_narrow: bool | None = None
        self.excerpt_feeds: dict[int, str] = {}
        """Feed id → why it looks excerpt-only (full text would help), from the last check."""
        self._marked: MarkedCache | None = None
        """The open articles' marked Markdown, kept for reopening them (made by the first
        open: core.render is not imported before the first frame)."""
        self._converting: ArticleLocks | None = None
        """Which articles a thread is converting (made with `_marked`)."""
        self._caches_made = threading.Lock()
        self._prefetch_timer: Timer | None = None
        """Converts the article under the list's cursor once it has rested there."""
        self._next_timer: Timer | None = None
        """Converts the next unread article once the open one has been shown a while."""
        self._init_search()

    def _settings(self) -> dict[str, str | bool]:
        from ketaread.settings import load_settings

        return load_settings(settings_path(self.context.config_file))

    def _save_setting(self, name: str, value: str | bool) -> None:
        from ketaread.settings import save_setting

        save_setting(settings_path(self.context.config_file), name, value)

    def _viewed(self, article_filter: ArticleFilter) -> ArticleFilter:
        """A sidebar filter as the list shows it: in the sort order, read ones hidden or not."""
        return article_filter._replace(
            order=self.list_order, unread_only=article_filter.unread_only or self.hide_read
        )

    def say(
        self, message: str, *, severity: SeverityLevel = "information", timeout: float = 4
    ) -> None:
        """Show a routine notice in place of the previous one (three `n` at the end of the
        list stacked three copies of the same message over the article)."""
        from textual.notifications import Notification

        app = self.app
        previous = self._notice
        if previous is not None and previous in app._notifications:
            app._unnotify(previous, refresh=False)
        notice = Notification(message, "", severity, timeout, markup=False)
        self._notice = notice
        # Added at once rather than posted as App.notify does: a notice still in flight
        # could not be replaced by the next key's.
        app._notifications.add(notice)
        app._refresh_notifications()

    @property
    def store(self) -> Store | None:
        """The cache, or None when it could not be opened (the app said why)."""
        return self.context.store_if_open

    @property
    def host(self) -> RefreshingHost:
        """The app, as far as refreshes go."""
        return cast("RefreshingHost", self.app)

    def compose(self) -> ComposeResult:
        """Title bar, the three panes, a status line and the footer."""
        # The width classes before the panes mount, so each pane is styled once, as it
        # mounts, for this width; set later, they would restyle the whole screen.
        width = self.app.size.width
        self._set_width_classes(width, update=False)
        self._was_narrow = width < NARROW_WIDTH
        sidebar = TagSidebar(id="sidebar")
        if width < NARROW_WIDTH:
            sidebar.display = False
        references = ReferencePanel(id="references")
        references.display = False  # until `r` or a citation asks for it
        yield TitleBar()
        with Horizontal(id="panes"):
            yield sidebar
            yield ArticleList(self._load_rows, id="articles")
            with Vertical(id="reader"):
                yield ArticleView(id="article")
                yield references
        yield StatusLine(id="status", markup=False)
        yield KeyBar()

    def _load_rows(self, ids: list[int]) -> list[ArticleRow]:
        store = self.store
        return store.rows(ids) if store is not None else []

    @property
    def article_list(self) -> ArticleList:
        """The article list."""
        return self.query_one(ArticleList)

    @property
    def article_view(self) -> ArticleView:
        """The article pane."""
        return self.query_one(ArticleView)

    @property
    def reference_panel(self) -> ReferencePanel:
        """The reference panel."""
        return self.query_one(ReferencePanel)

    @property
    def sidebar(self) -> TagSidebar:
        """The tag sidebar."""
        return self.query_one(TagSidebar)

    def on_mount(self) -> None:
        """Name the filter, load the list and counts."""
        self.sub_title = self.filter_label
        if self.focused is None:  # AUTO_FOCUS waits for a terminal that has the focus
            self.article_list.focus()
        self.watch(self.article_view, "scroll_y", self._article_scrolled, init=False)
        self.watch(self.article_list, "cursor", self._cursor_moved, init=False)
        self.host.refresh_progressed.subscribe(self, self._refresh_progressed)
        self.host.refresh_finished.subscribe(self, self._refresh_finished)
        self.follow_saved_search_counts()
        store = self.store
        if store is not None:
            # The first window straight from the cache, so the first frame shows titles:
            # a kept count and two indexed queries of about a millisecond, cheaper than a
            # worker.
            first = store.article_ids(self.article_filter, limit=ID_WINDOW)
            self.article_list.set_ids(
                list_ids(store, self.article_filter, first=first),
                first_page=store.rows(first[:PAGE_SIZE]),
            )
        # The list again and the sidebar in workers, once the first frame is out: started
        # earlier, they would hold the GIL while it is drawn.
        self.call_after_refresh(self.load_articles, self.article_filter)
        self.call_after_refresh(self._preload_glossary)
        self.call_after_refresh(self._count_due)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        """Skip the restyle of the first resume: every node was styled as it mounted, just
        before. This handler runs before Screen's, which would style all of them again:
        5-10 ms of the ~60 from `App.run` to the first frame. Later resumes are Textual's
        to decide (closing a dialog skips the restyle too; switching screens does not)."""
        if not self._first_resume_seen:
            self._first_resume_seen = True
            event.refresh_styles = False

    def on_resize(self) -> None:
        """Re-arrange the panes for the new width."""
        self._apply_width(self.app.size.width)
        self.call_after_refresh(self._update_status)

    def _apply_width(self, width: int) -> None:
        """Crossing the narrow width decides the sidebar again, as at start: hidden when
        narrow, shown when wide (shrinking 200 to 80 columns left a 20-column article)."""
        self._set_width_classes(width)
        narrow = width < NARROW_WIDTH
        if width >= NARROW_WIDTH:
            self.remove_class("-picking")  # wide enough for every pane again
        if self._was_narrow is not None and narrow != self._was_narrow:
            if self._before_focus_mode is not None:
                # Focus mode keeps the article alone; the panes come back as the new
                # width has them.
                self._before_focus_mode = (not narrow, self._before_focus_mode[1])
            else:
                sidebar = self.sidebar
                had_focus = sidebar.has_focus
                sidebar.display = not narrow
                if had_focus and narrow:
                    self.article_list.focus()
        self._was_narrow = narrow

    def _set_width_classes(self, width: int, update: bool = True) -> None:
        self.set_class(width < NARROW_WIDTH, "-narrow", update=update)
        self.set_class(width >= WIDE_WIDTH, "-wide", update=update)

    # -- loading ----------------------------------------------------------------

    def load_articles(self, article_filter: ArticleFilter, keep: int | None = None) -> None:
        """Show a filter's articles; only the latest request is shown."""
        self._ids_generation += 1
        self.requested_filter = article_filter
        listing = self.article_list
        highlighted = listing.ids.get(listing.cursor)
        # Where the articles the cursor may stay on are, looked up in the worker too.
        wanted = (keep, highlighted, self.detail.row.id if self.detail else None)
        following: tuple[int, ...] = ()
        if keep is not None or article_filter == self.article_filter:
            # The same list made again: when the highlighted article has left it (read
            # in an unread list before a refresh ended), the cursor goes to the next one
            # still there, not to the top (found by hand 5,000 rows down).
            start = listing.cursor
            if keep is not None and keep in listing.ids:
                start = listing.ids.index(keep)
            following = tuple(
                article_id
                for article_id in listing.ids[start + 1 : start + 1 + FOLLOWING_LOOKED_UP]
                if article_id not in wanted
            )
        self._load_ids(self._ids_generation, article_filter, keep, wanted, following)

    @work(thread=True, exclusive=True, group="ids", exit_on_error=False)
    def _load_ids(
        self,
        generation: int,
        article_filter: ArticleFilter,
        keep: int | None,
        wanted: tuple[int | None, ...] = (),
        following: tuple[int, ...] = (),
    ) -> None:
        """Count a filter's articles and fetch their first ids off the UI thread."""
        store = self.store
        if store is None:
            return
        ids = list_ids(store, article_filter, wanted=wanted)
        kept = keep if keep is not None else wanted[1]
        if kept is not None and kept in ids:
            following = ()
        # Looked up one by one up to the first still listed (usually the first): the
        # screen then finds each position it asks for already known.
        next((article_id for article_id in following if article_id in ids), None)
        self.app.call_from_thread(self._show_ids, generation, article_filter, ids, keep, following)

    def _show_ids(
        self,
        generation: int,
        article_filter: ArticleFilter,
        ids: ListIds,
        keep: int | None,
        following: tuple[int, ...] = (),
    ) -> None:
        if generation != self._ids_generation:
            return  # a later filter was chosen while this one loaded
        same_list = article_filter == self.article_filter
        self.article_filter = article_filter
        if keep is None and same_list and self.article_list.ids:
            # The same list grown or refreshed: stay on the highlighted article.
            highlighted = self.article_list.current
            keep = highlighted.id if highlighted is not None else None
        current = keep if keep is not None else (self.detail.row.id if self.detail else None)
        self.article_list.set_ids(ids, keep=current, fallback=following)
        if self.sidebar_data is None:
            self.load_sidebar()
            self._ensure_index()  # a cache from before search: indexed after the first frame
        self._update_status()
        if not self._position_restored:
            self._restore_position()

    @work(thread=True, exclusive=True, group="sidebar", exit_on_error=False)
    def load_sidebar(self) -> None:
        """Fetch counts, feeds and tags off the UI thread."""
        store = self.store
        if store is None:
            return
        try:
            hidden = {s.location for s in self.context.config.sources if s.hidden}
        except ContextError:
            hidden = set()
        # Hidden sources (newsboat's "!") stay out of the list of sources; their articles
        # are still under All, Unread, Starred and their tags.
        feeds = [feed for feed in store.feeds() if feed.source not in hidden]
        data = SidebarData(
            store.totals(),
            feeds,
            store.tags(),
            self._accounts(store),
            tuple(self.saved_search_counts(store)),
        )
        self.app.call_from_thread(self._show_sidebar, data)
        from ketaread.core.fulltext import excerpt_only_feeds

        try:
            config = self.context.config
        except ContextError:
            return
        if config.samples:
            return  # the bundled samples: nothing of the reader's own to suggest full text for
        excerpts = excerpt_only_feeds(store, {s.location for s in config.sources if s.full_text})
        # A server account's feeds are not sources of the config: F cannot turn full text
        # on for them, so the status line does not suggest it.
        servers = {account.source for account in config.servers}
        by_id = {feed.id: feed.source for feed in data.feeds}
        excerpts = {i: why for i, why in excerpts.items() if by_id.get(i) not in servers}
        if excerpts != self.excerpt_feeds:
            self.excerpt_feeds = excerpts
            self.app.call_from_thread(self._update_status)

    def _accounts(self, store: Store) -> list[AccountSummary]:
        """The server accounts' sidebar entries (none when the config cannot be read)."""
        from ketaread.core.sync.state import account_summaries

        try:
            servers = self.context.config.servers
        except ContextError:
            return []  # the refresh reports a broken config
        return account_summaries(store, [(s.name, s.source) for s in servers])

    def _show_sidebar(self, data: SidebarData) -> None:
        self.sidebar.show(data)
        self.sidebar_data = data
        self._update_status()

    def _update_status(self, extra: str | None = None) -> None:
        """The list's size and order first, then what is failing, then refresh news: cut at
        the line's end, so the count is never what is lost."""
        view = [SORT_LABELS[self.list_order]] if self.list_order != "newest" else []
        if self.hide_read:
            view.append("read hidden")
        count = f"{counted(len(self.article_list.ids), 'article')} in {self.filter_label}"
        parts = [count + (f" ({', '.join(view)})" if view else "")]
        data = self.sidebar_data
        if data is not None:
            failing = [f for f in data.feeds if f.error]
            if failing:
                parts.append(f"{counted(len(failing), 'source')} failing")
            accounts = [a for a in data.accounts if a.error]
            if accounts:
                parts.append(f"{counted(len(accounts), 'server account')} failing")
        if extra:
            parts.append(extra)
        elif self._index_note:
            parts.append(self._index_note)
        elif self.host.refresh_message:
            parts.append(self.host.refresh_message)
        if self.study_status:
            parts.append(self.study_status)
        if self.excerpt_feeds:
            # Excerpt-only feeds leave the reference panel and glossary little to work on.
            parts.append(
                f"{counted(len(self.excerpt_feeds), 'source')} excerpt-only — F: full text"
            )
        # One line, cut with an ellipsis where the terminal ends (the StatusLine's CSS).
        self.query_one(StatusLine).update(Content(" · ".join(parts)))

    # -- refreshes (run by the app) ---------------------------------------------

    def _refresh_progressed(self, _report: FeedReport) -> None:
        self._update_status()

    def _refresh_finished(self, _all_failed: bool) -> None:
        self.load_sidebar()
        self.load_articles(self.requested_filter)

    # -- filters ----------------------------------------------------------------

    def filter_entries(self) -> list[tuple[str, str]]:
        """(option id, label) of every sidebar entry: All, Unread, Starred, sources and tags."""
        data = self.sidebar_data
        entries = [("all", "Show: All"), ("unread", "Show: Unread"), ("starred", "Show: Starred")]
        if data is not None:
            entries += [(f"feed:{f.id}", f"Source: {f.title or f.location}") for f in data.feeds]
            entries += [(f"tag:{t.id}", f"Tag: {t.name}") for t in data.tags]
        return entries

    def choose_filter(self, option_id: str) -> None:
        """Apply a sidebar entry by id."""
        self.sidebar.choose(option_id)

    @on(TagSidebar.RefreshAsked)
    def _refresh_asked(self, event: TagSidebar.RefreshAsked) -> None:
        if event.feed_id is None:
            refresh_all = getattr(self.app, "action_refresh_sources", None)
            if refresh_all is not None:
                refresh_all()
        else:
            self.refresh_source(event.feed_id)

    @on(TagSidebar.FilterChosen)
    def _filter_chosen(self, event: TagSidebar.FilterChosen) -> None:
        self.filter_label = event.label
        self.sub_title = event.label
        self.load_articles(self._viewed(event.article_filter))
        if self.has_class("-picking"):
            self.sidebar.display = False
            self.remove_class("-picking")
        self.article_list.focus()

    # -- opening articles -------------------------------------------------------

    @on(ArticleList.Opened)
    def _opened(self, event: ArticleList.Opened) -> None:
        self.open_article(event.article_id)

    def open_article(self, article_id: int) -> None:
        """Open an article; only the latest request is shown."""
        self._stop_converting_next()
        self._open_generation += 1
        pending: PendingChanges | None = getattr(self.app, "pending", None)
        read = None
        if pending is not None:
            # Marked read now, in the order of the keys pressed: a change made in the
            # worker landed after an `m` pressed just after, and the article stayed read.
            # The previous open's worker may never run (a later open cancels it before it
            # starts): its mark is reported by the pending thread instead.
            if self._open_read is not None:
                pending.release(self._open_read)
            read = self._open_read = pending.put(article_id, "read", claim=True)
        self._open(self._open_generation, article_id, read)

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def _open(self, generation: int, article_id: int, read: PendingChange | None = None) -> None:
        """Load, render (cached after the first time) and show an article; mark it read."""
        from ketaread.core.render_budget import plain_chunks

        app = self.app
        store = self.store
        if store is None:
            return
        try:
            detail, rendering, shown, rest, marked = self._converted(store, article_id)
            marked.markdown = self.unmark_known_terms(marked.markdown, shown)
            overflow = plain_chunks(rest) if rest else []
        except Exception as error:  # one bad article must not take the reader down
            if read is not None:
                app.pending.release(read)  # type: ignore[attr-defined]
            app.call_from_thread(
                self.notify, f"Could not open this article: {error}", severity="error", markup=False
            )
            return
        before = detail.row
        tag_ids: list[int] = []
        changed = None
        if read is not None:
            # Never waits on another program's write lock: kept, and reported when it lands.
            with contextlib.suppress(CacheBusy):
                changed = app.pending.take(read)  # type: ignore[attr-defined]
        if changed is not None:
            before, detail.row = changed
            tag_ids = store.article_tag_ids(article_id)
        app.call_from_thread(
            self._show_article,  # type: ignore[arg-type]  # Textual types async callbacks oddly
            generation,
            detail,
            rendering,
            marked,
            before,
            tag_ids,
            overflow,
        )

    def _converted(
        self, store: Store, article_id: int
    ) -> tuple[ArticleDetail, Rendering, Rendering, str, MarkedArticle]:
        """An article, its rendering (converted and cached the first time), the part of it
        formatted, the rest, and that part marked (call from a worker). One thread at a
        time per article: an open waits for the same article's conversion ahead of it."""
        from dataclasses import replace

        from ketaread.core.render import ArticleLocks, MarkedCache, rendering_for
        from ketaread.core.render_budget import split_formatted

        with self._caches_made:  # the open and the conversion ahead must share them
            if self._marked is None or self._converting is None:
                self._marked, self._converting = MarkedCache(), ArticleLocks()
            marks, converting = self._marked, self._converting
        with converting.hold(article_id):
            detail = store.article(article_id)
            rendering = rendering_for(store, detail)
            glossary = self._glossary()
            # Formatting costs widgets built on the UI thread: past the budget, the rest of
            # the article is plain text, prepared by the caller (render_budget.py). Only the
            # part formatted is marked (marking 2.7 MB took 2.6 s).
            head, rest = split_formatted(rendering.markdown)
            shown = replace(rendering, markdown=head) if rest else rendering
            marked = marks.marked(article_id, shown, glossary, self._mark_terms())
        return detail, rendering, shown, rest, marked

    def _cursor_moved(self, _cursor: int) -> None:
        """The list's cursor moved: once it rests, convert the article under it ahead."""
        self._stop_converting_next()  # this one first (and not beside the next open)
        if self._prefetch_timer is not None:
            self._prefetch_timer.stop()
        # Not at every step while keys are held (each conversion is 15-30 ms of CPU).
        self._prefetch_timer = self.set_timer(PREFETCH_DELAY, self._prefetch_highlighted)

    def _prefetch_highlighted(self) -> None:
        self._prefetch_timer = None
        article_list = self.article_list
        article_id = article_list.ids.get(article_list.cursor)
        if article_id is not None and article_id != self.article_view.article_id:
            self._prefetch(article_id)

    @work(thread=True, exclusive=True, group="prefetch", exit_on_error=False)
    def _prefetch(self, article_id: int) -> None:
        """Convert, analyse and mark the highlighted article before Enter (cached in the
        store and the marked cache), so that opening it is a reopen."""
        store = self.store
        if store is None:
            return
        # Nothing to report: an article that cannot be converted says so when opened.
        with contextlib.suppress(Exception):
            self._converted(store, article_id)

    async def _show_article(
        self,
        generation: int,
        detail: ArticleDetail,
        rendering: Rendering,
        marked: MarkedArticle,
        before: ArticleRow,
        tag_ids: list[int],
        overflow: list[str] | None = None,
    ) -> None:
        # The list row and the counts change once the article is painted (ArticleShown):
        # changed in the same frame, they widened the repaint to the whole screen.
        self._read_changes.append((before, detail.row, tag_ids))
        # One article at a time: showing awaits the Markdown widget, and two interleaved
        # shows could leave one article's text under another's links and header.
        async with self._show_lock:
            if generation != self._open_generation:
                self._apply_read_changes()  # a later article was asked for: it alone is shown
                return
            self._end_picking()  # an article opened from the list must be seen
            self.detail = detail
            self.rendering = rendering
            self.link_targets = marked.links
            self.app_links = marked.app_links
            from ketaread.core.enclosures import header_notes

            await self.article_view.show_article(
                detail.row,
                marked.markdown,
                detail.tags,
                header_notes(detail),
                hits=self.hits_for(detail.row.id),
                overflow=overflow or (),
            )
            self.reference_panel.show(rendering.analysis)
            self.article_list.move_to(detail.row.id)

    @on(ArticleView.ArticleShown)
    def _remember_article(self, event: ArticleView.ArticleShown) -> None:
        """The open article is where to start next time (its scroll is saved on leaving)."""
        self._save_position(event.article_id, 0.0)
        # Once the rest of the article is in (not beside it: it holds the UI thread),
        # the article `n` would open next is converted ahead.
        article_id = event.article_id
        self._stop_converting_next()
        self._next_timer = self.set_timer(
            NEXT_AHEAD_DELAY, lambda: self._convert_next_unread(article_id)
        )

    def _stop_converting_next(self) -> None:
        """The reader moved on before the next unread article was converted: not now."""
        if self._next_timer is not None:
            self._next_timer.stop()
            self._next_timer = None

    def _convert_next_unread(self, article_id: int) -> None:
        self._next_timer = None
        article_list = self.article_list
        ids = article_list.ids
        if not ids or self.article_view.article_id != article_id:
            return
        shown_read = None
        row = article_list.row_at(article_list.cursor) if ids.reorders else None
        if row is not None and row.id == article_id:
            # Where `n` would look from, as `_step_by_keys` works it out (unread first).
            shown_read = row.read != (article_id in ids.moved)
        self._prefetch_next(self.article_filter, article_id, ids.newest, shown_read)

    @work(thread=True, exclusive=True, group="prefetch-next", exit_on_error=False)
    def _prefetch_next(
        self,
        article_filter: ArticleFilter,
        article_id: int,
        newest: int | None,
        shown_read: bool | None = None,
    ) -> None:
        """Convert, analyse and mark the unread article after `article_id` (what `n` opens
        from there), so that `n` opens it as a reopen."""
        store = self.store
        if store is None:
            return
        # Nothing to report: an article that cannot be converted says so when opened.
        with contextlib.suppress(Exception):
            found = store.next_unread(article_filter, article_id, False, newest, shown_read)
            if found is not None and found[0] is not None:
                self._converted(store, found[0])

    def _save_position(self, article_id: int, scroll: float) -> None:
        import json  # not at the top: nothing before the first frame needs it (~1.5 ms)

        self._write_position(json.dumps({"article": article_id, "scroll": round(scroll)}))

    @work(thread=True, exclusive=True, group="position", exit_on_error=False)
    def _write_position(self, value: str) -> None:
        store = self.store
        if store is not None:
            store.set_reader_state(POSITION_STATE, value)

    def _article_scrolled(self, scroll_y: float) -> None:
        self._article_scroll = scroll_y

    def save_reading_position(self) -> None:
        """Remember the open article and how far it is scrolled (on leaving the reader).

        One small write on the UI thread: the reader is closing, and a worker started now
        could be cancelled before it ran.
        """
        store = self.store
        if store is None or self.detail is None:
            return
        import json

        value = json.dumps({"article": self.detail.row.id, "scroll": round(self._article_scroll)})
        # A position not saved (a locked or read-only cache) is not worth an error at exit.
        with contextlib.suppress(StoreError, sqlite3.Error):
            store.set_reader_state(POSITION_STATE, value)

    def _restore_position(self) -> None:
        """Open the article the last session ended on, scrolled where it was."""
        self._position_restored = True
        store = self.store
        if store is None or self.detail is not None:
            return
        import json

        try:
            saved = json.loads(store.reader_state(POSITION_STATE) or "null")
            article_id = int(saved["article"])
            scroll = float(saved.get("scroll", 0))
        except (ValueError, TypeError, KeyError, StoreError):
            return
        if not store.rows([article_id]):
            return  # deleted, or the cache was replaced
        if scroll > 0:
            self.article_view.positions[article_id] = scroll
        self.article_list.move_to(article_id)
        self.open_article(article_id)

    def on_unmount(self) -> None:
        """Leaving the reader: remember where reading stopped."""
        self.save_reading_position()

    @on(ArticleView.ArticleShown)
    def _apply_read_changes(self) -> None:
        """Show the read state and counts that opening articles changed in the cache."""
        changes, self._read_changes = self._read_changes, []
        for before, after, tag_ids in changes:
            self._state_changed(before, after, tag_ids)

    def _counts_changed(self, before: ArticleRow, after: ArticleRow, tag_ids: list[int]) -> None:
        """Adjust the sidebar counts one article's change touches."""
        unread = 0 if before.read == after.read else (-1 if after.read else 1)
        starred = 0 if before.starred == after.starred else (1 if after.starred else -1)
        if not (unread or starred):
            return
        self.sidebar.adjust(after.feed_id, tag_ids, unread, starred)
        if unread:
            self.schedule_search_counts()  # a saved search's unread count may have changed
        data = self.sidebar_data
        if data is not None:
            wanted = set(tag_ids)
            totals = dict(data.totals)
            totals["unread"] = totals.get("unread", 0) + unread
            totals["starred"] = totals.get("starred", 0) + starred
            self.sidebar_data = SidebarData(
                totals,
                [
                    f._replace(unread=f.unread + unread) if f.id == after.feed_id else f
                    for f in data.feeds
                ],
                [t._replace(unread=t.unread + unread) if t.id in wanted else t for t in data.tags],
                data.accounts,
                data.searches,
            )

    # -- article actions --------------------------------------------------------

    def _current_row(self) -> ArticleRow | None:
        """The open article when the article pane (or anything in it) has the focus, else
        the highlighted one."""
        focused = self.focused
        view = self.article_view
        in_article = focused is not None and (focused is view or view in focused.ancestors)
        if in_article and self.detail:
            return self.detail.row
        return self.article_list.current or (self.detail.row if self.detail else None)

    def action_toggle_read(self) -> None:
        """Mark the highlighted (or open) article read or unread."""
        row = self._current_row()
        if row is not None:
            self._ask_toggle(row.id, "read")

    def action_toggle_star(self) -> None:
        """Star or unstar the highlighted (or open) article."""
        row = self._current_row()
        if row is not None:
            self._ask_toggle(row.id, "starred")

    def _ask_toggle(self, article_id: int, state: str) -> None:
        # Enter on the list posts Opened there, handled here once it has bubbled up: an `m`
        # typed just after it acted first (the open's mark read then undid it). Sent the
        # same way, it comes after any Opened sent before it.
        self.article_list.post_message(ToggleAsked(article_id, state))

    @on(ToggleAsked)
    def _queue_toggle(self, event: ToggleAsked) -> None:
        article_id, state = event.article_id, event.state
        pending: PendingChanges | None = getattr(self.app, "pending", None)
        if self.store is None or pending is None:
            return
        # Queued here, on the UI thread, in the order the keys were pressed (workers
        # start in no set order); the worker only waits for the outcome.
        self._toggle(pending, pending.put(article_id, f"toggle-{state}", claim=True))

    @work(thread=True, group="state", exit_on_error=False)
    def _toggle(self, pending: PendingChanges, change: PendingChange) -> None:
        """Flip read or starred in the cache; counts follow what the cache says changed."""
        store = self.store
        try:
            changed = pending.take(change)
        except CacheBusy:
            # This reader's own refresh storing a batch: the change lands once the batch
            # is stored, in a moment, and nobody else is to blame. Said otherwise.
            if not getattr(self.app, "refreshing", False):
                self.app.call_from_thread(
                    self.notify,
                    "The cache is busy (another program is writing it): the change is kept "
                    "and saved as soon as it is free.",
                    severity="warning",
                    markup=False,
                )
            return
        if changed is not None and store is not None:
            tag_ids = store.article_tag_ids(change.article_id)
            self.app.call_from_thread(self._state_changed, *changed, tag_ids)

    def _state_changed(self, before: ArticleRow, row: ArticleRow, tag_ids: list[int]) -> None:
        # Counts change by what this toggle did; the row shows what the cache holds now,
        # whichever of two quick toggles reports last.
        if self._read_changes:
            self._apply_read_changes()  # an open's change, made in the cache before this one
        self._counts_changed(before, row, tag_ids)
        store = self.store
        current = store.rows([row.id]) if store is not None else []
        # A row read out of an unread list (or unstarred out of a starred one) stays shown
        # until the list is made again; the list's later windows are read around it.
        shown = self.article_filter
        unread_only = shown.kind == "unread" or shown.unread_only
        starred_only = shown.kind == "starred" or shown.starred_only
        ids = self.article_list.ids
        now = current[0] if current else row
        if (unread_only and now.read) or (starred_only and not now.starred):
            ids.leave(row.id)
        elif ids.reorders and before.read != row.read:
            # Unread first (the starred list too): this change (not the cache's state,
            # which a quicker second toggle may have changed already) moved it, or moved
            # it back.
            if row.id in ids.moved:
                ids.rejoin(row.id)
            else:
                ids.leave(row.id)
        elif unread_only or starred_only:
            ids.rejoin(row.id)
        row = now
        self.article_list.update_row(row)
        if self.detail and self.detail.row.id == row.id:
            self.detail.row = row

    def _step_unread(self, step: int) -> None:
        """Open the next unread article in direction `step`, wrapping round the list once
        (with one notice saying so)."""
        ids = self.article_list.ids
        if not ids:
            self.say("This list is empty.")
            return
        store = self.store
        if store is not None and store.kept_counts:
            unread = self.article_filter._replace(unread_only=True)
            if not store.count(unread):
                # Known from the kept counts: not a walk of every row of a read archive.
                self.say("No unread articles in this list.")
                return
        start = self.article_list.cursor
        if store is not None and self._step_by_keys(store, ids, start, step):
            return
        count = len(ids)
        for distance in range(1, count + 1):
            index = (start + step * distance) % count
            row = self.article_list.row_at(index)
            if row is None or row.read:
                continue
            wrapped = (index < start) if step > 0 else (index > start)
            self.article_list.cursor = index
            self.open_article(row.id)
            if wrapped:
                where = "top" if step > 0 else "bottom"
                self.say(f"Wrapped to the {where} of the list.")
            return
        self.say("No unread articles in this list.")

    def _step_by_keys(self, store: Store, ids: ListIds, start: int, step: int) -> bool:
        """Open the next unread article found by the list order's keys (a few indexed
        queries, however far away it is); False when the order or the list cannot be
        searched that way and the rows must be walked."""
        # get, not []: a blank row (its article removed since the list was made) has none.
        current = ids.get(start)
        if current is None:
            return False
        shown_read = None
        row = self.article_list.row_at(start) if ids.reorders else None
        if row is not None:
            # Unread first: the row stands where its read state was when the list was made,
            # which its shown state says, the other way round once it moved. Not the
            # cache's: an article read by the open before this is painted is not moved yet.
            shown_read = row.read != (current in ids.moved)
        found = store.next_unread(self.article_filter, current, step < 0, ids.newest, shown_read)
        if found is None:
            return False
        article_id, wrapped = found
        if article_id is None:
            self.say("No unread articles in this list.")
            return True
        try:
            index = ids.index(article_id)
        except ValueError:
            return False
        self.article_list.cursor = index
        self.open_article(article_id)
        if wrapped:
            self.say(f"Wrapped to the {'top' if step > 0 else 'bottom'} of the list.")
        return True

    def action_next_unread(self) -> None:
        """Open the next unread article below the cursor."""
        self._step_unread(1)

    def action_previous_unread(self) -> None:
        """Open the previous unread article above the cursor."""
        self._step_unread(-1)

    # -- the routine: mark all read, sort, hide read, delete ---------------------

    def action_mark_all_read(self) -> None:
        """Mark every article of the current list read; `u` undoes it while the notice shows."""
        if not self.article_list.ids:
            self.say("This list is empty.")
            return
        self._mark_all(self.article_filter, self.filter_label, self.article_list.ids.newest)

    @work(thread=True, exclusive=True, group="mark-all", exit_on_error=False)
    def _mark_all(self, article_filter: ArticleFilter, label: str, newest: int | None) -> None:
        store = self.store
        if store is None:
            return
        # Every id of the list, read here: the list itself holds only windows of them. Not
        # what a refresh stored since the list was made: the user never saw it.
        ids = store.article_ids(article_filter)
        if newest is not None:
            ids = [article_id for article_id in ids if article_id <= newest]
        changed = store.set_state(ids, "read", True)
        self.app.call_from_thread(self._marked_all, [after.id for _, after in changed], label)

    def _marked_all(self, changed: list[int], label: str) -> None:
        if not changed:
            self.say(f"Every article in {label} was read already.")
            return
        self._undo = (changed, time.monotonic() + UNDO_SECONDS)
        self.say(
            f"Marked {counted(len(changed), 'article')} in {label} read. Press u to undo.",
            timeout=UNDO_SECONDS,
        )
        self._reload_after_change()

    def action_undo(self) -> None:
        """Undo the last mark-all-read, while its notice shows."""
        undo, self._undo = self._undo, None
        if undo is None or time.monotonic() > undo[1]:
            self.say("Nothing to undo.")
            return
        self._unmark(undo[0])

    @work(thread=True, exclusive=True, group="mark-all", exit_on_error=False)
    def _unmark(self, ids: list[int]) -> None:
        store = self.store
        if store is None:
            return
        changed = store.set_state(ids, "read", False)
        self.app.call_from_thread(self._unmarked, len(changed))

    def _unmarked(self, count: int) -> None:
        self.say(
            f"Undone: {counted(count, 'article')} {'is' if count == 1 else 'are'} unread again."
        )
        self._reload_after_change()

    def _reload_after_change(self) -> None:
        """Counts and rows as the cache now holds them, the cursor staying on its article."""
        self.load_sidebar()
        highlighted = self.article_list.current
        self.load_articles(self.requested_filter, keep=highlighted.id if highlighted else None)

    def action_cycle_sort(self) -> None:
        """Sort the list the next way: newest, oldest, by feed, unread first (remembered)."""
        index = SORT_ORDERS.index(self.list_order) if self.list_order in SORT_ORDERS else -1
        self.list_order = SORT_ORDERS[(index + 1) % len(SORT_ORDERS)]
        self._save_setting("sort", self.list_order)
        self._view_changed(f"Sorted {SORT_LABELS[self.list_order]}.")

    def action_toggle_hide_read(self) -> None:
        """Hide read articles from every list, or show them again (remembered)."""
        self.hide_read = not self.hide_read
        self._save_setting("hide_read", self.hide_read)
        self._view_changed("Read articles hidden." if self.hide_read else "Read articles shown.")

    def _view_changed(self, message: str) -> None:
        base = self.requested_filter._replace(unread_only=False)
        if self.requested_filter.kind == "unread":
            base = self.requested_filter
        highlighted = self.article_list.current
        self.load_articles(self._viewed(base), keep=highlighted.id if highlighted else None)
        self.say(message)

    def action_delete_article(self) -> None:
        """Delete the highlighted (or open) article for good, after asking."""
        from ketaread.screens.confirm import ConfirmDialog

        row = self._current_row()
        if row is None:
            self.say("No article to delete.")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(row.id)

        self.app.push_screen(
            ConfirmDialog(
                f"Delete “{row.title}”?",
                "It goes from every list, and a refresh will not bring it back.",
                yes="Delete",
            ),
            answered,
        )

    @work(thread=True, group="state", exit_on_error=False)
    def _delete(self, article_id: int) -> None:
        store = self.store
        if store is None:
            return
        gone = store.delete_articles([article_id])
        self.app.call_from_thread(self._deleted, gone)

    def _deleted(self, gone: list[ArticleRow]) -> None:
        if not gone:
            return
        row = gone[0]
        ids = self.article_list.ids
        index = ids.index(row.id) if row.id in ids else self.article_list.cursor
        # get(): past a window the cache no longer fills, None rather than IndexError.
        following = ids.get(index + 1) or (ids.get(index - 1) if index else None)
        if self.detail is not None and self.detail.row.id == row.id:
            self.detail = None
            self.rendering = None
            self.link_targets = []
            self.app_links = frozenset()
            self.reference_panel.show(None)
            self.run_worker(
                self.article_view.show_message(
                    Content.assemble(("Deleted: ", "bold $accent"), row.title)
                ),
                exclusive=False,
            )
        self.say(f"Deleted “{row.title}”.")
        self.load_sidebar()
        self.load_articles(self.requested_filter, keep=following)

    def refresh_source(self, feed_id: int) -> None:
        """Refresh only the source a sidebar entry stands for (R on it)."""
        data = self.sidebar_data
        feed = next((f for f in data.feeds if f.id == feed_id), None) if data else None
        if feed is None:
            return
        refresh = getattr(self.app, "refresh_sources", None)
        if refresh is not None:
            name = feed.title or feed.location
            try:
                servers = self.context.config.servers
            except ContextError:
                servers = []  # the refresh reports a broken config
            account = next((a for a in servers if a.source == feed.source), None)
            if account is not None:
                self.say(f"Syncing {account.name}, the server account {name} comes from…")
            elif feed.source == feed.location:
                self.say(f"Refreshing {name}…")
            else:
                # A feed of a folder (or a server account) is refreshed with all of it: said,
                # as "Refreshing Feed 100…" went on for 600 feeds (found by hand).
                self.say(
                    f"Refreshing {location_label(feed.source)}, the source {name} is read from…"
                )
            refresh(feed.source)

    def action_open_link(self) -> None:
        """Open the article's own link in the browser (http(s) only)."""
        row = self._current_row()
        if row is None or not row.link:
            self.notify("This article has no web link.", severity="warning")
            return
        open_web_link(self, row.link)

    def action_copy_link(self) -> None:
        """Copy the article's own link (OSC 52)."""
        row = self._current_row()
        if row is None or not row.link:
            self.notify("This article has no web link.", severity="warning")
            return
        copy_web_link(self, row.link)

    def _enclosure_url(self) -> str | None:
        detail = self.detail
        if detail is None or not detail.enclosures:
            self.notify("This article has no attachment.", severity="warning")
            return None
        return detail.enclosures[0].url

    def action_open_enclosure(self) -> None:
        """Open the open article's (first) attachment in the browser (http(s) only)."""
        if url := self._enclosure_url():
            open_web_link(self, url)

    def action_copy_enclosure(self) -> None:
        """Copy the link of the open article's (first) attachment (OSC 52)."""
        if url := self._enclosure_url():
            copy_web_link(self, url)

    def action_full_text(self) -> None:
        """Fetch the open article's full text from its web page, once, in a worker."""
        detail = self.detail
        if detail is None:
            self.notify("Open an article first.", severity="warning")
            return
        if not detail.row.link.lower().startswith(("http://", "https://")):
            self.notify("This article has no web page to fetch.", severity="warning")
            return
        if self.context.offline:
            self.notify("Offline (--offline): the web page was not fetched.", severity="warning")
            return
        self.notify("Fetching the full text…", timeout=2)
        self._fetch_full_text(detail.row.id, detail.row.link)

    @work(thread=True, exclusive=True, group="full-text", exit_on_error=False)
    def _fetch_full_text(self, article_id: int, link: str) -> None:
        """Fetch, extract and cache one article's full text; failures keep the excerpt."""
        from ketaread.core.fulltext import fetch_full_texts

        store = self.store
        if store is None:
            return
        (result,) = fetch_full_texts(store, [(article_id, link)])
        self.app.call_from_thread(self._full_text_fetched, article_id, result.error)

    def _full_text_fetched(self, article_id: int, error: str) -> None:
        if error:
            self.notify(
                f"Full text failed: {error}. The feed's excerpt stays.",
                severity="warning",
                markup=False,
            )
        else:
            self.notify("Fetched the full text; references and terms now cover it.")
        if self.detail is not None and self.detail.row.id == article_id:
            self.open_article(article_id)

    def action_article_page_down(self) -> None:
        """Space outside the article scrolls the article, so reading needs no focus change."""
        self.article_view.scroll_page_down()

    # -- panes ------------------------------------------------------------------

    def action_toggle_sidebar(self) -> None:
        """Show or hide the tag sidebar (in focus mode: leave it, with the sidebar shown)."""
        sidebar = self.sidebar
        in_focus_mode = self._before_focus_mode is not None
        self._leave_focus_mode()
        sidebar.display = in_focus_mode or not sidebar.display
        # On a narrow terminal the sidebar takes the article's place while a filter is
        # picked, as newsboat's feed list does; choosing one brings the article back.
        self.set_class(sidebar.display and self.has_class("-narrow"), "-picking")
        if sidebar.display:
            sidebar.focus()
        elif self.focused is None or self.focused is sidebar:
            self.article_list.focus()

    def action_toggle_references(self) -> None:
        """Show or hide the reference panel."""
        panel = self.reference_panel
        panel.display = not panel.display
        if panel.display:
            if self.rendering is None:
                panel.show(None)
            panel.list_now()  # the article opened while it was hidden
            panel.focus()
        else:
            self.article_view.focus()

    def show_reference_for_citation(self, index: int) -> None:
        """A citation in the article was followed: show its best reference in the panel."""
        if self.rendering is None:
            return
        citations = self.rendering.analysis.citations
        if not 0 <= index < len(citations):
            return
        citation = citations[index]
        panel = self.reference_panel
        panel.display = True
        panel.focus()
        if citation.references:
            panel.focus_reference(citation.references[0])
        else:
            self.notify(
                f"No reference in this article matches ({citation.marker}).",
                severity="warning",
                markup=False,
            )

    def _end_picking(self) -> None:
        """Leave the narrow sidebar-in-the-article's-place mode: the article comes back."""
        if self.has_class("-picking"):
            self.remove_class("-picking")
            self.sidebar.display = False

    def action_focus_mode(self) -> None:
        """The article alone; press again to bring the panes back as they were."""
        self._end_picking()
        if self._before_focus_mode is not None:
            self._leave_focus_mode()
            return
        # Inline styles, as `t` uses for the sidebar: a stylesheet rule could not hide a
        # pane that an inline style shows.
        self._before_focus_mode = (self.sidebar.display, self.article_list.display)
        self.sidebar.display = False
        self.article_list.display = False
        self.article_view.focus()

    def _leave_focus_mode(self) -> None:
        if self._before_focus_mode is not None:
            self.sidebar.display, self.article_list.display = self._before_focus_mode
            self._before_focus_mode = None

    def action_focus_pane(self, target: str) -> None:
        """Move the focus to a pane (showing it if hidden)."""
        if target == "sidebar" and not self.sidebar.display:
            self.action_toggle_sidebar()  # the same layout as `t`
            return
        if target == "article":
            self._end_picking()
        self._leave_focus_mode()
        widget = self.query_one(f"#{target}")
        widget.display = True
        widget.focus()

    # -- the glossary -----------------------------------------------------------

    def _glossary(self) -> Glossary:
        """The glossary, loaded on first use (call from a worker thread); a user glossary
        that could not be used is reported once and the curated one stands in."""
        glossary = self.context.glossary()
        warning = self.context.glossary_warning
        if warning and not self._glossary_warned.is_set():
            self._glossary_warned.set()
            self.app.call_from_thread(self.notify, warning, severity="error", markup=False)
        return glossary

    def _mark_terms(self) -> str:
        """How many occurrences of a term to mark (a broken config is reported on refresh)."""
        try:
            return self.context.config.mark_terms
        except ContextError:
            return "first"

    @work(thread=True, group="glossary", exit_on_error=False)
    def _preload_glossary(self) -> None:
        """Load the glossary (and the config's settings) in the background after the first
        frame, so the first article and the palette need not wait for it."""
        self._mark_terms()
        self._glossary()

    def action_glossary(self) -> None:
        """The glossary terms of this article."""
        self.show_glossary(None, everything=False)

    def action_glossary_all(self) -> None:
        """The whole glossary."""
        self.show_glossary(None, everything=True)

    def show_glossary(self, term: str | None, everything: bool) -> None:
        """Open the glossary popup: this article's terms, or every term; at `term` if given."""
        self._open_glossary(term, everything)

    @work(thread=True, exclusive=True, group="glossary-open", exit_on_error=False)
    def _open_glossary(self, term: str | None, everything: bool) -> None:
        glossary = self._glossary()
        hits = None
        article_id = None
        title = "Glossary: every term"
        if self.rendering is not None and self.detail is not None:
            article_id = self.detail.row.id
            if not everything:
                hits = self.rendering.terms(glossary)
                title = "Glossary: terms in this article"
        elif not everything:
            title = "Glossary: every term (no article open)"
        crisis_text = self._crisis_text()
        self.app.call_from_thread(
            self._push_glossary, glossary, hits, article_id, term, title, crisis_text
        )

    def _crisis_text(self) -> str:
        """config.toml's reader.crisis_text ("" for the built-in line)."""
        try:
            return self.context.config.crisis_text
        except ContextError:
            return ""

    def _push_glossary(
        self,
        glossary: Glossary,
        hits: list[TermHit] | None,
        article_id: int | None,
        term: str | None,
        title: str,
        crisis_text: str = "",
    ) -> None:
        from ketaread.screens.glossary import GlossaryModal

        if isinstance(self.app.screen, GlossaryModal):
            # Already open (a second g, or a term link followed from inside): go to the term.
            if term:
                self.app.screen.select_term(term)
            return

        def chosen(result: tuple[str, int] | None) -> None:
            if result and result[0] == "article":
                self.open_article_by_id(result[1])

        self.app.push_screen(
            GlossaryModal(
                glossary,
                hits=hits,
                store=self.store,
                article_id=article_id,
                initial=term,
                title=title,
                safety_text=crisis_text,
            ),
            chosen,
        )

    # -- routing ----------------------------------------------------------------

    def route_link(self, href: str) -> None:
        """Every link the reader follows comes here: app links, cached articles, the web."""
        app_link = links.parse(href)
        if app_link is not None:
            kind, value = app_link
            if kind == "term":
                self.show_glossary(value, everything=False)
            elif kind == "cite" and value.isdigit():
                self.show_reference_for_citation(int(value))
            elif kind == "link" and value.isdigit():
                if int(value) < len(self.link_targets):
                    # The URL exactly as the article gave it.
                    self.route_link(self.link_targets[int(value)])
            elif kind == "article" and self.store is not None:
                try:
                    self.open_article_by_id(self.store.resolve(value))
                except StoreError:
                    self.notify("That article is not in the cache.", severity="warning")
            return
        if links.is_app_link(href):
            return  # an unknown ketaread link: nothing to follow
        if href.startswith("#"):
            if not self.article_view.markdown.goto_anchor(href[1:]):
                self.notify("That note is not in this article.", severity="warning")
            return
        if self.store is not None:
            article_id = self.store.find_by_link(href)
            if article_id is not None:
                self.open_article_by_id(article_id)
                return
        open_web_link(self, href)

    def open_article_by_id(self, article_id: int) -> None:
        """Open a cached article (closing any dialog over this screen), moving the list
        cursor to it when it is listed."""
        while self.app.screen is not self and len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        self.article_list.move_to(article_id)
        self.open_article(article_id)

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        """Every link clicked in the article goes to the router."""
        # Matched by name, so that the Markdown widget loads with the first article.
        event.stop()
        event.prevent_default()
        href = event.href
        if links.is_app_link(href) and href not in self.app_links:
            # Written by the feed (in code, or percent-encoded in a link): not the app's.
            self.notify("Not followed: that link was not made by ketaread.", severity="warning")
            return
        self.route_link(href)

    @on(ReferencePanel.LinkActivated)
    def _panel_link(self, event: ReferencePanel.LinkActivated) -> None:
        self.route_link(event.url)

    def on_glossary_modal_sentence_chosen(self, event: GlossaryModal.SentenceChosen) -> None:
        """A sentence chosen under "In this article" in the glossary popup: go there."""
        # By name, not @on(GlossaryModal…): the popup's module loads when it first opens.
        self._go_to_sentence(event.sentence)

    @on(ReferencePanel.SentenceChosen)
    def _panel_sentence(self, event: ReferencePanel.SentenceChosen) -> None:
        self._go_to_sentence(event.sentence)

    def _go_to_sentence(self, sentence: str) -> None:
        if self.article_view.scroll_to_text(sentence):
            self.article_view.focus()
        else:
            self.notify("That sentence could not be found in the article.", severity="warning")
