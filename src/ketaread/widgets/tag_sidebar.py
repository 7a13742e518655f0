"""The tag sidebar: All, Unread, Starred, then sources and tags with unread/total counts."""

from __future__ import annotations

import textwrap
import time
from dataclasses import dataclass
from pathlib import PurePath
from typing import NamedTuple
from urllib.parse import urlsplit

from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ketaread.core.models import FeedInfo, TagInfo
from ketaread.core.store import ArticleFilter
from ketaread.core.sync.state import AccountSummary, waiting_line
from ketaread.widgets.list_keys import LIST_KEYS, KeyedOptionList
from ketaread.widgets.steady_scroll import SteadyScrollbars


class SidebarData(NamedTuple):
    """Everything the sidebar shows, loaded in one go from the cache."""

    totals: dict[str, int]
    feeds: list[FeedInfo]
    tags: list[TagInfo]
    accounts: list[AccountSummary] = []
    """Feed-server accounts: each shown as a source with its folders and feeds."""
    searches: tuple[tuple[str, str, int, int], ...] = ()
    """Saved searches: (name, query, unread, total)."""


def _counts(unread: int, total: int) -> str:
    return f"{unread}/{total}" if unread else f"{total}"


def location_label(location: str) -> str:
    """A feed with no title by what tells it apart in a narrow column: the host and the
    file of a URL ("example.org/…/feed.xml", not "https://example.org/bl…"), the name of a
    local file."""
    parts = urlsplit(location)
    if parts.scheme in ("http", "https") and parts.netloc:
        path = parts.path.rstrip("/")
        if path.count("/") > 1:
            return f"{parts.netloc}/…/{path.rsplit('/', 1)[-1]}"
        return parts.netloc + path
    return PurePath(location).name or location


def _entry(
    label: str, unread: int, total: int, width: int = 26, counts: str | None = None
) -> Content:
    """One sidebar line: the name (literal text) and its counts (or `counts`), right-aligned."""
    counts = _counts(unread, total) if counts is None else counts
    name = Content(label)
    room = max(width - len(counts) - 1, 4)
    if name.cell_length > room:
        name = name.truncate(room, ellipsis=True)
    padding = " " * max(width - name.cell_length - len(counts), 1)
    style = "bold" if unread else ""
    return Content.assemble(name.stylize(style), padding, (counts, "dim"))


NOTE_LINES = 2
"""An error note under an entry is cut to this many lines (the whole of it is in the status
line and `ketaread sources`): a server's error ran to 9 lines at 80 columns."""


def _note(note: str, width: int) -> Content:
    """An entry's note, indented two cells, wrapped and cut to NOTE_LINES lines of `width`."""
    room = max(width - 2, 1)
    lines = textwrap.wrap(note, max(room, 8), max_lines=NOTE_LINES, placeholder=" …")
    # textwrap counts characters: cut each line to the cells it may take (wide characters).
    cut = [Content(line).truncate(room, ellipsis=True) for line in lines or [""]]
    text = Content("\n").join(Content.assemble("  ", line) for line in cut)
    return text.stylize("italic $text-error")


@dataclass(slots=True)
class _Counts:
    """One entry's label and counts, kept so that a count can change in place."""

    label: str
    unread: int
    total: int
    note: str | None = None
    due: bool = False
    """The review entry: `unread` is the cards due, shown as "12 due"."""

    def prompt(self, width: int) -> Content:
        """The entry as shown: name and counts, and an error note under it."""
        counts = f"{self.unread} due" if self.due else None
        prompt = _entry(self.label, self.unread, self.total, width, counts)
        if self.note:
            prompt = Content.assemble(prompt, "\n", _note(self.note, width))
        return prompt


def _account_heading(account: AccountSummary, width: int) -> Content:
    """A server account's heading, with one line on its last sync when it failed or waits."""
    heading = Content.styled("SERVER ", "bold $text-muted") + Content(account.name).stylize(
        "bold $text-muted"
    )
    if account.error:
        heading = Content("! ") + heading
    # Cut with its "! ": added after the cut, it made the line a cell too wide, so it wrapped.
    if heading.cell_length > width:
        heading = heading.truncate(width, ellipsis=True)
    note = None
    if account.error:
        note = account.error
        if account.synced_at:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(account.synced_at))
            # The reason first: in the two lines a narrow sidebar shows, it is what matters.
            note = f"{account.error} (cached, last synced {when})"
    elif account.synced_at is None:
        note = "never synced: R syncs it"
    if account.pending:
        pending = waiting_line(account.pending)
        note = f"{note}; {pending}" if note else pending
    if note:
        heading = Content.assemble(heading, "\n", _note(note, width))
    return heading


REVIEW_ID = "review"
"""The sidebar entry of the flashcard review (shown once the study file has cards)."""


class TagSidebar(SteadyScrollbars, KeyedOptionList):
    """Filters for the article list; choosing one posts `FilterChosen` (`ReviewChosen` for
    the review entry, `SearchChosen` for a saved search)."""

    BINDINGS = [
        Binding(
            "enter",
            "select",
            "Filter",
            tooltip="Show these articles (on Review: start the flashcard review)",
        ),
        Binding(
            "R",
            "refresh_source",
            "Refresh",
            tooltip="Refresh the highlighted source only (every source on other entries)",
        ),
        *LIST_KEYS,
    ]

    class SearchChosen(Message):
        """The user chose a saved search."""

        def __init__(self, query: str, label: str) -> None:
            super().__init__()
            self.query = query
            self.label = label

    class ReviewChosen(Message):
        """The user chose the review entry."""

    class FilterChosen(Message):
        """The user chose a filter."""

        def __init__(self, article_filter: ArticleFilter, label: str) -> None:
            super().__init__()
            self.article_filter = article_filter
            self.label = label

    class RefreshAsked(Message):
        """The user asked for a refresh from the sidebar: of one feed's source, or of all."""

        def __init__(self, feed_id: int | None) -> None:
            super().__init__()
            self.feed_id = feed_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self._filters: dict[str, tuple[ArticleFilter, str]] = {}
        self._searches: dict[str, tuple[str, str]] = {}
        """Saved searches by entry id: (query, name)."""
        self._data: SidebarData | None = None
        self._counts: dict[str, _Counts] = {}
        self._headings: dict[str, AccountSummary] = {}
        """Server accounts' headings by option id, laid out again with the entries."""
        self._laid_out_width = 0
        self._review: tuple[int, int] | None = None
        """(cards due, cards in all) of the study file; None: no cards, no entry."""

    def show(self, data: SidebarData) -> None:
        """Rebuild the entries with fresh counts, keeping the highlighted one."""
        self._data = data
        highlighted = self.highlighted_option.id if self.highlighted_option else "all"
        width = self._entry_width()
        options: list[Option | None] = []
        filters: dict[str, tuple[ArticleFilter, str]] = {}

        counts: dict[str, _Counts] = {}
        headings: dict[str, AccountSummary] = {}

        def add(
            option_id: str,
            label: str,
            unread: int,
            total: int,
            flt: ArticleFilter,
            note: str | None = None,
        ) -> None:
            counts[option_id] = _Counts(label, unread, total, note)
            options.append(Option(counts[option_id].prompt(width), id=option_id))
            filters[option_id] = (flt, label)

        totals = data.totals
        add("all", "All", totals.get("unread", 0), totals.get("all", 0), ArticleFilter("all"))
        add(
            "unread",
            "Unread",
            totals.get("unread", 0),
            totals.get("unread", 0),
            ArticleFilter("unread"),
        )
        add("starred", "Starred", 0, totals.get("starred", 0), ArticleFilter("starred"))
        if self._review is not None:
            due, cards = self._review
            counts[REVIEW_ID] = _Counts("Review", due, cards, due=True)
            options.append(Option(counts[REVIEW_ID].prompt(width), id=REVIEW_ID))
            filters[REVIEW_ID] = (ArticleFilter(), "Review")
        # Saved searches next to All/Unread/Starred, which they are like: below 200
        # sources (found by hand) no one scrolled down to them.
        searches: dict[str, tuple[str, str]] = {}
        if data.searches:
            options.append(None)
            options.append(Option(Content.styled("SEARCHES", "bold $text-muted"), disabled=True))
            for number, (name, query, unread, total) in enumerate(data.searches):
                add(f"search:{number}", name, unread, total, ArticleFilter())
                searches[f"search:{number}"] = (query, name)
        self._searches = searches
        by_account = {account.source: account for account in data.accounts}
        local_feeds = [f for f in data.feeds if f.source not in by_account]
        if local_feeds:
            options.append(None)
            options.append(Option(Content.styled("SOURCES", "bold $text-muted"), disabled=True))
            for feed in local_feeds:
                label = feed.title or location_label(feed.location)
                note = None
                if feed.error:
                    note = feed.error
                    if feed.total and feed.updated_at:
                        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(feed.updated_at))
                        note = f"{feed.error} (cached, last updated {when})"
                elif feed.gone:
                    note = "gone (410): no longer polled"
                add(
                    f"feed:{feed.id}",
                    ("! " if feed.error else "") + label,
                    feed.unread,
                    feed.total,
                    ArticleFilter("feed", feed.id),
                    note,
                )
        for account in data.accounts:
            options.append(None)
            heading_id = f"server:{account.name}"
            headings[heading_id] = account
            options.append(Option(_account_heading(account, width), id=heading_id, disabled=True))
            for folder in account.folders:
                # Its own option id: the same tag is listed again under TAGS.
                add(
                    f"folder:{account.name}:{folder.id}",
                    f"▸ {folder.name}",
                    folder.unread,
                    folder.total,
                    ArticleFilter("tag", folder.id),
                )
            for feed in data.feeds:
                if feed.source == account.source:
                    add(
                        f"feed:{feed.id}",
                        feed.title or location_label(feed.location),
                        feed.unread,
                        feed.total,
                        ArticleFilter("feed", feed.id),
                    )
        if data.tags:
            options.append(None)
            options.append(Option(Content.styled("TAGS", "bold $text-muted"), disabled=True))
            for tag in data.tags:
                add(f"tag:{tag.id}", tag.name, tag.unread, tag.total, ArticleFilter("tag", tag.id))
        self._filters = filters
        self._counts = counts
        self._headings = headings
        self._laid_out_width = width
        self.set_options(options)
        ids = [o.id for o in options if o is not None]
        target = highlighted if highlighted in filters else "all"
        self.highlighted = ids.index(target) if target in ids else 0

    def adjust(
        self, feed_id: int, tag_ids: list[int], unread_delta: int, starred_delta: int
    ) -> None:
        """Update the counts one article's change touches, without rebuilding the list.

        Rebuilding thousands of sources and tags after every article read would cost more
        than the read itself on a large cache.
        """
        changes = {
            "all": (unread_delta, 0),
            "unread": (unread_delta, unread_delta),
            "starred": (0, starred_delta),
            f"feed:{feed_id}": (unread_delta, 0),
            **{f"tag:{tag_id}": (unread_delta, 0) for tag_id in tag_ids},
        }
        width = self._laid_out_width or self._entry_width()
        for option_id, (unread, total) in changes.items():
            entry = self._counts.get(option_id)
            if entry is None or (unread == 0 and total == 0):
                continue
            entry.unread = max(entry.unread + unread, 0)
            entry.total = max(entry.total + total, 0)
            self.replace_option_prompt(option_id, entry.prompt(width))

    def update_searches(self, searches: tuple[tuple[str, str, int, int], ...]) -> bool:
        """New counts for the saved searches, in place; False (nothing changed) when the
        saved searches are not the ones shown (the next full load shows them)."""
        shown = [self._searches.get(f"search:{n}") for n in range(len(searches))]
        if len(self._searches) != len(searches) or shown != [(q, n) for n, q, _, _ in searches]:
            return False
        width = self._laid_out_width or self._entry_width()
        for number, (_name, _query, unread, total) in enumerate(searches):
            option_id = f"search:{number}"
            entry = self._counts.get(option_id)
            if entry is not None and (entry.unread, entry.total) != (unread, total):
                entry.unread, entry.total = unread, total
                self.replace_option_prompt(option_id, entry.prompt(width))
        if self._data is not None:
            self._data = self._data._replace(searches=searches)
        return True

    def show_due(self, due: int, cards: int) -> None:
        """The review entry's count: `due` of the study file's `cards` (none: no entry)."""
        review = (due, cards) if cards else None
        if review == self._review:
            return
        had_entry = self._review is not None
        self._review = review
        entry = self._counts.get(REVIEW_ID)
        if review is not None and had_entry and entry is not None:
            entry.unread, entry.total = due, cards
            self.replace_option_prompt(REVIEW_ID, entry.prompt(self._laid_out_width or 24))
        elif self._data is not None:
            self.show(self._data)  # the entry comes or goes: the list is laid out again

    def _entry_width(self) -> int:
        """Cells for one entry: the content width less the scrollbar's gutter and a margin.

        The gutter is always reserved (scrollbar-gutter: stable), so a list that grows a
        scrollbar after it is filled does not wrap every entry onto two lines.
        """
        if not self.size.width:
            return 24  # hidden: filled again when it is shown (see on_resize)
        return max(self.scrollable_content_region.width - 1, 12)

    def on_resize(self) -> None:
        """Lay the entries out again for the new width (e.g. shown with `t` at 80 columns)."""
        width = self._entry_width()
        if not self._counts or width == self._laid_out_width:
            return
        # From the current counts, not from the data last loaded: `adjust` has moved them on.
        self._laid_out_width = width
        for option_id, entry in self._counts.items():
            self.replace_option_prompt(option_id, entry.prompt(width))
        # The headings too: filled while hidden (24 cells), "SERVER 127.0.0.1-greader"
        # wrapped mid-name when `t` showed the sidebar at 80 columns.
        for option_id, account in self._headings.items():
            self.replace_option_prompt(option_id, _account_heading(account, width))

    def label_for(self, option_id: str) -> str:
        """The label of an entry (for the header)."""
        return self._filters.get(option_id, (ArticleFilter(), "All"))[1]

    def choose(self, option_id: str) -> bool:
        """Highlight and apply the entry `option_id` ('all', 'tag:3' …)."""
        if option_id not in self._filters:
            return False
        for index in range(self.option_count):
            if self.get_option_at_index(index).id == option_id:
                self.highlighted = index
                break
        if option_id == REVIEW_ID:
            self.post_message(self.ReviewChosen())
            return True
        if option_id in self._searches:
            query, name = self._searches[option_id]
            self.post_message(self.SearchChosen(query, name))
            return True
        flt, label = self._filters[option_id]
        self.post_message(self.FilterChosen(flt, label))
        return True

    def action_refresh_source(self) -> None:
        """R on a source refreshes just it; on any other entry, every source."""
        option = self.highlighted_option
        option_id = option.id if option is not None else None
        if option_id and option_id.startswith("feed:"):
            self.post_message(self.RefreshAsked(int(option_id.split(":", 1)[1])))
        else:
            self.post_message(self.RefreshAsked(None))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter or a click applies the entry."""
        event.stop()
        if event.option_id:
            self.choose(event.option_id)
