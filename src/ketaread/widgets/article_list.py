"""The article list: a virtual list that draws only the rows on screen.

It knows how many articles the current filter holds and fetches their ordered ids a
window at a time (`ListIds`), and row details a page at a time, so no widget is built
per article and neither start-up nor a filter change reads more of the cache than the
screen shows, whatever the cache holds (400,000 articles are 400 windows, not a list).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple, overload

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ketaread.core.models import ArticleRow
from ketaread.widgets.steady_scroll import SteadyScrollbars

PAGE_SIZE = 100
MAX_CACHED_PAGES = 8
"""Pages of row details kept in memory: bounds the list's memory at any cache size."""

RowLoader = Callable[[list[int]], list[ArticleRow]]

IdFetcher = Callable[[int, int], list[int]]
"""(offset, limit) → that window of the filter's ordered ids."""
PositionFinder = Callable[[int], "int | None"]
"""An article id → its position in the filter's order (None when not in it)."""

ID_WINDOW = 1000
"""Ids fetched at a time: one indexed query of about a millisecond."""
MAX_ID_WINDOWS = 64
"""Windows of ids kept in memory (64,000 ids at most, whatever the filter holds)."""
ANCHOR_SLACK = 200
"""Ids of shift a window follows from the one before it (see ListIds._fetch_after)."""


class ListIds(Sequence[int]):
    """The ordered article ids of a filter, fetched a window at a time when first needed.

    A sequence like the list it stands for (len, indexing, slices, `in`, `index`,
    iteration, equality with a list), so callers need not know the ids are not all in
    memory; iterating all of them does fetch all of them (mark all read does, in a worker).
    """

    def __init__(
        self,
        total: int,
        fetch: IdFetcher,
        find: PositionFinder | None = None,
        windows: dict[int, list[int]] | None = None,
        positions: dict[int, int | None] | None = None,
        newest: int | None = None,
        reorders: bool = False,
    ) -> None:
        self.newest = newest
        self.reorders = reorders
        """The order depends on read state (unread first): reading moves an article."""
        """The cache's highest article id when the list was made: what a refresh stores
        later is not in the list the user saw (mark all read leaves it alone)."""
        self._total = max(total, 0)
        self._fetch = fetch
        self._find = find
        self._windows: OrderedDict[int, list[int]] = OrderedDict(windows or {})
        self._positions: dict[int, int | None] = dict(positions or {})
        """Positions looked up already (in the worker that made this list, mostly)."""
        self._left: dict[int, int] = {}
        """Articles still shown that the filter no longer lets through (read in an unread
        list, unstarred in a starred one), by their position in this list."""
        self._moved_at: list[int] | None = None
        """Where the cache lists those of them that moved (see `_moved_positions`)."""

    @classmethod
    def of(cls, ids: Sequence[int]) -> ListIds:
        """A list of ids already in memory."""
        held = list(ids)
        positions = {article_id: n for n, article_id in enumerate(held)}
        return cls(len(held), lambda offset, limit: held[offset : offset + limit], positions.get)

    def window(self, number: int) -> list[int]:
        """Window `number` of ids (fetched, and the oldest dropped, when not held)."""
        found = self._windows.get(number)
        if found is None:
            found = self._fetch_after(number)
            self._windows[number] = found
            while len(self._windows) > MAX_ID_WINDOWS:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(number)
        return found

    def leave(self, article_id: int) -> None:
        """An article of this list no longer matches its filter (read in an unread list),
        or has moved in the cache's order (read, in the unread-first order), but stays
        shown where it was: later windows are read around it. A window is fetched by its
        offset in the cache's list as it is now, which no longer holds the article: after
        thirty reads at the top, `end` showed blank rows and windows skipped ids (found
        by hand at 12,000 articles)."""
        if article_id in self._left:
            return
        position = self._held_position(article_id)
        self._moved_at = None  # whatever moved, the cache's order has changed
        if position is not None:
            self._left[article_id] = position

    @property
    def moved(self) -> frozenset[int]:
        """The articles shown where they were though the cache lists them elsewhere or not
        at all now (see `leave`)."""
        return frozenset(self._left)

    def rejoin(self, article_id: int) -> None:
        """An article that left the filter (or moved) is back (marked unread again)."""
        self._left.pop(article_id, None)
        self._moved_at = None

    def _held_position(self, article_id: int) -> int | None:
        """An article's position from what is held, without asking the cache."""
        if article_id in self._left:
            return self._left[article_id]
        if article_id in self._positions:
            return self._positions[article_id]
        return next(
            (
                number * ID_WINDOW + window.index(article_id)
                for number, window in self._windows.items()
                if article_id in window
            ),
            None,
        )

    def _fetch_shown(self, start: int, limit: int) -> list[int]:
        """`limit` ids of this list from position `start`: the cache's list as it is now,
        with the articles that left it put back where they were shown."""
        if not self._left:
            return self._fetch(start, limit)
        before = sum(1 for position in self._left.values() if position < start)
        inside = {
            position: article_id
            for article_id, position in self._left.items()
            if start <= position < start + limit
        }
        wanted = limit - len(inside)
        # In an order that reading changes (unread first), an article read since has moved,
        # not left: where the cache lists it now, its place is skipped.
        moved = self._moved_positions()
        offset = start - before
        for position in moved:
            if position > offset:
                break
            offset += 1
        fetched = self._fetch(offset, wanted + len(moved)) if wanted > 0 else []
        live = iter([i for i in fetched if i not in self._left][:wanted])
        found: list[int] = []
        for position in range(start, start + limit):
            if position in inside:
                found.append(inside[position])
                continue
            article_id = next(live, None)
            if article_id is not None:
                found.append(article_id)
        return found

    def _moved_positions(self) -> list[int]:
        """Where the cache lists the articles that moved, in order: asked once per change
        (a counting query each), not once per window."""
        if not (self.reorders and self._find and self._left):
            return []
        if self._moved_at is None:
            found = (self._find(article_id) for article_id in self._left)
            self._moved_at = sorted(at for at in found if at is not None)
        return self._moved_at

    def _shown_position(self, position: int | None) -> int | None:
        """A position in the cache's list as it is now → the position in this list."""
        if position is None:
            return None
        # Articles moved since (read, in the unread-first order) are counted out first.
        position -= sum(1 for at in self._moved_positions() if at < position)
        for left in sorted(self._left.values()):
            if left > position:
                break
            position += 1
        return position

    def _fetch_after(self, number: int) -> list[int]:
        """Window `number`, carrying on from the end of the window before it when that is
        held. A window is fetched by its offset, and articles read out of an unread list
        or stored by a refresh since the list was made shift every later offset: a plain
        fetch skipped or repeated that many ids (found in review). Up to ANCHOR_SLACK
        ids of shift are followed; past that the offset is taken as it is."""
        previous = self._windows.get(number - 1)
        if not previous:
            return self._fetch_shown(number * ID_WINDOW, ID_WINDOW)
        start = max(number * ID_WINDOW - ANCHOR_SLACK, 0)
        around = self._fetch_shown(start, ID_WINDOW + 2 * ANCHOR_SLACK)
        try:
            after = around.index(previous[-1]) + 1
        except ValueError:
            return self._fetch_shown(number * ID_WINDOW, ID_WINDOW)
        return around[after : after + ID_WINDOW]

    def get(self, index: int) -> int | None:
        """The id at `index`, or None past the end (the cache may have lost articles since)."""
        if not 0 <= index < self._total:
            return None
        window = self.window(index // ID_WINDOW)
        offset = index % ID_WINDOW
        return window[offset] if offset < len(window) else None

    def __len__(self) -> int:
        return self._total

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> list[int]: ...

    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._total)
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            found: list[int] = []
            position = start
            while position < stop:
                window = self.window(position // ID_WINDOW)
                part = window[position % ID_WINDOW : position % ID_WINDOW + stop - position]
                if not part:
                    break
                found.extend(part)
                position += len(part)
            return found
        if index < 0:
            index += self._total
        article_id = self.get(index)
        if article_id is None:
            raise IndexError("list index out of range")
        return article_id

    def __iter__(self) -> Iterator[int]:
        for number in range((self._total + ID_WINDOW - 1) // ID_WINDOW):
            window = self.window(number)
            yield from window
            if len(window) < ID_WINDOW:
                return

    def index(self, value: object, start: int = 0, stop: int | None = None) -> int:
        """The position of an article id (from the windows held, else one counting query)."""
        if not isinstance(value, int):
            raise ValueError(f"{value!r} is not in the list")
        position = self._held_position(value)
        if position is None and value not in self._positions:
            if self._find is not None:
                position = self._shown_position(self._find(value))
            self._positions[value] = position
        if position is None or not start <= position < (self._total if stop is None else stop):
            raise ValueError(f"{value!r} is not in the list")
        return position

    def __contains__(self, value: object) -> bool:
        try:
            self.index(value)
        except ValueError:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ListIds | list | tuple):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ListIds({self._total} ids, {len(self._windows)} windows held)"


class _RowStyles(NamedTuple):
    """The styles of a row's parts, looked up once per paint rather than once per row."""

    base: Style
    cursor_line: Style
    cursor: Style
    read: Style
    unread: Style
    marker: Style
    meta: Style


def format_date(stamp: float | None, now: float | None = None, short: bool = False) -> str:
    """A date for the list: 'Apr 21' this year; '2024-04-21' before ('2024' when `short`);
    blank when unknown."""
    if stamp is None:
        return ""
    now = time.time() if now is None else now
    moment = time.localtime(stamp)
    if moment.tm_year == time.localtime(now).tm_year:
        return time.strftime("%b %d", moment)
    return time.strftime("%Y" if short else "%Y-%m-%d", moment)


class ArticleList(SteadyScrollbars, ScrollView, can_focus=True):
    """Virtual list of articles for the current filter."""

    MOVE = Binding.Group("Move in the list")
    PAGE = Binding.Group("Page through the list")
    HALF = Binding.Group("Half a page down / up (the article's, when it has the focus)")
    ENDS = Binding.Group(
        "First / last article; top / bottom of the article when it has the focus "
        "(g / G are the glossary)"
    )
    BINDINGS = [
        Binding("up,k", "cursor_up", "Up", show=False, group=MOVE),
        Binding("down,j", "cursor_down", "Down", show=False, group=MOVE),
        Binding("pageup", "page_up", "Page up", show=False, group=PAGE),
        Binding("pagedown", "page_down", "Page down", show=False, group=PAGE),
        Binding("ctrl+d", "half_page_down", "Half page down", show=False, group=HALF),
        Binding("ctrl+u", "half_page_up", "Half page up", show=False, group=HALF),
        Binding("home,less_than_sign", "first", "First", show=False, group=ENDS),
        Binding("end,greater_than_sign", "last", "Last", show=False, group=ENDS),
        Binding("enter", "open", "Open", tooltip="Open the highlighted article"),
    ]

    COMPONENT_CLASSES = {
        "article-list--cursor",
        "article-list--unread",
        "article-list--read",
        "article-list--marker",
        "article-list--meta",
    }

    DEFAULT_CSS = """
    ArticleList {
        background: $surface;
        /* Rows are cut to the width: a horizontal scrollbar would only hide the last row. */
        overflow-x: hidden;
    }
    ArticleList > .article-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    ArticleList:blur > .article-list--cursor {
        background: $block-cursor-blurred-background;
        text-style: bold;
    }
    ArticleList > .article-list--unread { text-style: bold; }
    ArticleList > .article-list--read { color: $text-muted; }
    ArticleList > .article-list--marker { color: $accent; text-style: bold; }
    ArticleList > .article-list--meta { color: $text-muted; }
    """

    cursor: reactive[int] = reactive(0)
    """Index of the highlighted row."""

    class Opened(Message):
        """The user opened an article (Enter or click)."""

        def __init__(self, article_id: int) -> None:
            super().__init__()
            self.article_id = article_id

    def __init__(self, loader: RowLoader, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._loader = loader
        self._ids: ListIds = ListIds.of([])
        self._pages: OrderedDict[int, dict[int, ArticleRow]] = OrderedDict()
        self._overrides: dict[int, ArticleRow] = {}
        self._styles: _RowStyles | None = None

    # -- data -------------------------------------------------------------------

    @property
    def ids(self) -> ListIds:
        """The ordered article ids of the current filter (fetched a window at a time)."""
        return self._ids

    @property
    def cached_rows(self) -> int:
        """How many row details are held in memory (bounded by the page cache)."""
        return sum(len(page) for page in self._pages.values())

    def set_ids(
        self,
        ids: Sequence[int],
        keep: int | None = None,
        first_page: Sequence[ArticleRow] = (),
        fallback: Sequence[int] = (),
    ) -> None:
        """Show a new list of ids; keep the cursor on article `keep` when it is there.

        `first_page`: the details of the first PAGE_SIZE ids when the caller has them
        already, so drawing the list needs no query. `fallback`: the same list made again
        (a refresh, hiding read ones): the articles that followed `keep`, the first one
        still listed taking its place when `keep` left the list; with none of them
        listed, the cursor stays on its row number rather than going back to the top.
        """
        ids = ids if isinstance(ids, ListIds) else ListIds.of(ids)
        self._ids = ids
        self._pages.clear()
        self._overrides.clear()
        if first_page:
            self._pages[0] = {row.id: row for row in first_page}
        # The row the cursor was on stays on the same screen line when it is still listed
        # (a refresh adding articles above it must not move it out of view).
        on_screen = self.cursor - round(self.scroll_y)
        self.virtual_size = Size(0, len(ids))
        found = keep is not None and keep in ids
        if not found and fallback:
            # Those past the first not listed were never looked up: none is asked of the
            # cache here (positions come from the worker that made the list).
            keep = next((article_id for article_id in fallback if article_id in ids), None)
            found = keep is not None
            if not found:
                keep = ids.get(min(self.cursor, len(ids) - 1))
                found = keep is not None
        index = ids.index(keep) if keep is not None and found else 0
        self.set_reactive(ArticleList.cursor, min(index, max(len(ids) - 1, 0)))
        height = self.rows_shown
        if not found or not 0 <= on_screen < height:
            on_screen = height // 3 if found else 0
        self._scroll_list_to(self.cursor - on_screen)
        self.refresh()

    def row_at(self, index: int) -> ArticleRow | None:
        """The row details at list position `index`, loading its page when needed."""
        article_id = self._ids.get(index)
        if article_id is None:
            return None
        if article_id in self._overrides:
            return self._overrides[article_id]
        page_number = index // PAGE_SIZE
        page = self._pages.get(page_number)
        if page is None:
            start = page_number * PAGE_SIZE
            # An indexed primary-key lookup of at most PAGE_SIZE rows (well under a
            # millisecond): cheaper inline than a round trip through a worker.
            rows = self._loader(self._ids[start : start + PAGE_SIZE])
            page = {row.id: row for row in rows}
            self._pages[page_number] = page
            while len(self._pages) > MAX_CACHED_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page_number)
        return page.get(article_id)

    def update_row(self, row: ArticleRow) -> None:
        """Replace one row's details (after marking it read or starred)."""
        self._overrides[row.id] = row
        for page in self._pages.values():
            if row.id in page:
                page[row.id] = row
        self.refresh()

    @property
    def current(self) -> ArticleRow | None:
        """The highlighted article."""
        return self.row_at(self.cursor)

    # -- rendering --------------------------------------------------------------

    def _row_styles(self) -> _RowStyles:
        base = self.rich_style
        cursor = self.get_component_rich_style("article-list--cursor")
        return _RowStyles(
            base=base,
            cursor_line=base + cursor,
            cursor=cursor,
            read=self.get_component_rich_style("article-list--read"),
            unread=self.get_component_rich_style("article-list--unread"),
            marker=self.get_component_rich_style("article-list--marker"),
            meta=self.get_component_rich_style("article-list--meta"),
        )

    def render_lines(self, crop: Region) -> list[Strip]:
        """Draw the visible rows, working out their styles once for all of them."""
        self._styles = self._row_styles()
        try:
            return super().render_lines(crop)
        finally:
            self._styles = None

    @property
    def rows_shown(self) -> int:
        """How many rows fit on screen (at least one)."""
        return max(self.scrollable_content_region.height, 1)

    def render_line(self, y: int) -> Strip:
        """Draw one visible row."""
        index = self.scroll_offset.y + y
        # The width inside the scrollbar: rows drawn as wide as the widget ran under it,
        # cutting the dates and calling for a horizontal scrollbar.
        width = self.scrollable_content_region.width
        styles = self._styles or self._row_styles()
        row = self.row_at(index)
        if row is None:
            return Strip.blank(width, styles.base)
        cursor = index == self.cursor
        title_style = styles.read if row.read else styles.unread
        marker_style = styles.marker
        meta_style = styles.meta
        line_style = styles.base
        if cursor:
            title_style = title_style + styles.cursor
            marker_style = marker_style + styles.cursor
            meta_style = meta_style + styles.cursor
            line_style = styles.cursor_line
        markers = ("●" if not row.read else " ") + ("★" if row.starred else " ") + " "
        # The date shows at every usable width (short at 80 columns), the source when wide.
        date = format_date(row.published, short=width < 50)
        meta = f" {date}" if width >= 22 and date else ""
        source = f"  {row.feed_title}" if width >= 70 and row.feed_title else ""
        if cell_len(source) > width // 3:
            source = set_cell_size(source, width // 3 - 1) + "…"
        title_width = max(width - cell_len(markers) - cell_len(meta) - cell_len(source), 1)
        title = row.title
        if cell_len(title) > title_width:
            title = set_cell_size(title, title_width - 1) + "…"
        else:
            title = set_cell_size(title, title_width)
        segments = [
            Segment(markers, marker_style),
            Segment(title, title_style),
            Segment(source, meta_style),
            Segment(meta, meta_style),
        ]
        return Strip(segments).adjust_cell_length(width, line_style).apply_offsets(0, index)

    def on_resize(self) -> None:
        """Keep the cursor's row in view at the new size."""
        self.virtual_size = Size(0, len(self._ids))
        self.call_after_refresh(self._show_cursor)

    # -- cursor -----------------------------------------------------------------

    def _scroll_list_to(self, top: int) -> None:
        """Scroll so that row `top` is the first shown (clamped to the list)."""
        top = max(min(top, len(self._ids) - self.rows_shown), 0)
        self.scroll_to(y=top, animate=False, immediate=True)

    def _show_cursor(self) -> None:
        """Scroll just enough for the cursor's row to be on screen."""
        top = round(self.scroll_y)
        height = self.rows_shown
        if self.cursor < top:
            self._scroll_list_to(self.cursor)
        elif self.cursor >= top + height:
            self._scroll_list_to(self.cursor - height + 1)

    def watch_cursor(self, old: int, new: int) -> None:
        """Scroll the cursor into view."""
        if not self._ids:
            return
        self._show_cursor()
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Scrolled by the mouse or the scrollbar: bring the cursor along, so the
        highlighted row is always one the user can see (and Enter opens it)."""
        super().watch_scroll_y(old_value, new_value)
        if not self._ids:
            return
        top = round(new_value)
        height = self.rows_shown
        if self.cursor < top:
            self.set_reactive(ArticleList.cursor, min(top, len(self._ids) - 1))
            self.refresh()
        elif self.cursor >= top + height:
            self.set_reactive(ArticleList.cursor, max(top + height - 1, 0))
            self.refresh()

    def move_to(self, article_id: int) -> bool:
        """Put the cursor on an article if the current filter holds it (found by one
        counting query when its window is not held)."""
        try:
            self.cursor = self._ids.index(article_id)
        except ValueError:
            return False
        return True

    def action_cursor_up(self) -> None:
        """Move up one row."""
        self.cursor = max(self.cursor - 1, 0)

    def action_cursor_down(self) -> None:
        """Move down one row."""
        self.cursor = min(self.cursor + 1, max(len(self._ids) - 1, 0))

    def action_page_up(self) -> None:
        """Move up one screen."""
        self.cursor = max(self.cursor - max(self.rows_shown - 1, 1), 0)

    def action_page_down(self) -> None:
        """Move down one screen."""
        step = max(self.rows_shown - 1, 1)
        self.cursor = min(self.cursor + step, max(len(self._ids) - 1, 0))

    def action_half_page_down(self) -> None:
        """Move down half a screen."""
        step = max(self.rows_shown // 2, 1)
        self.cursor = min(self.cursor + step, max(len(self._ids) - 1, 0))

    def action_half_page_up(self) -> None:
        """Move up half a screen."""
        self.cursor = max(self.cursor - max(self.rows_shown // 2, 1), 0)

    def action_first(self) -> None:
        """Go to the first row."""
        self.cursor = 0

    def action_last(self) -> None:
        """Go to the last row."""
        self.cursor = max(len(self._ids) - 1, 0)

    def action_open(self) -> None:
        """Open the highlighted article."""
        article_id = self._ids.get(self.cursor)
        if article_id is not None:
            self.post_message(self.Opened(article_id))

    def on_click(self, event: events.Click) -> None:
        """Clicking a row opens it (a click on the border does nothing)."""
        # event.y counts from the border, not the first row: the row below used to open.
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = self.scroll_offset.y + offset.y
        article_id = self._ids.get(index)
        if article_id is not None:
            self.cursor = index
            self.post_message(self.Opened(article_id))
