"""The article list thousands of rows down, where its ids come a window of 1,000 at a time.

Every test before these stayed inside the first window; a hands-on trial at 12,000
articles found the list losing its rows and its cursor past it once the list changed
under it (articles read out of the unread list, a refresh ending).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from big_cache import write_feeds
from test_long_list import assert_cursor_shown
from textual.pilot import Pilot
from ui_support import Settle, messages, screen_text

from ketaread.app import KetareadApp
from ketaread.cli import make_app
from ketaread.core.refresh import SourceSpec, refresh
from ketaread.core.store import ArticleFilter, Store

PER_FEED = 650
"""Four feeds of 650: 2,600 articles, three windows of ids."""

pytestmark = pytest.mark.usefixtures("stable_clock")


@pytest.fixture(scope="module")
def far_feeds(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Four RSS files of 650 long-titled articles each."""
    return write_feeds(tmp_path_factory.mktemp("far-feeds"), per_feed=PER_FEED)


@pytest.fixture(scope="module")
def far_template(far_feeds: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2,600 articles refreshed into a cache once for this module."""
    database = tmp_path_factory.mktemp("far-cache") / "cache.db"
    store = Store(database)
    try:
        refresh(store, [SourceSpec(str(path)) for path in far_feeds])
    finally:
        store.close()
    return database


@pytest.fixture
def far_app(
    far_template: Path, far_feeds: list[Path], tmp_db: Path, tmp_config: Path
) -> KetareadApp:
    """The reader on its own copy of the 2,600-article cache, its config naming the feeds
    (so `R` refreshes them), offline."""
    tmp_db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(far_template, tmp_db)
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text(
        "".join(f'[[source]]\nlocation = "{path}"\n' for path in far_feeds), encoding="utf-8"
    )
    app = make_app(db=tmp_db, config=tmp_config, offline=True)
    app.animation_level = "none"
    return app


def unread_ids(app: KetareadApp) -> list[int]:
    """The unread list's ids as the cache has them now."""
    return app.store.article_ids(ArticleFilter("unread"))  # type: ignore[attr-defined]


async def show_unread(pilot: Pilot, settle: Settle) -> None:
    """Choose the sidebar's Unread entry and wait for its list."""
    pilot.app.main_screen.choose_filter("unread")
    await settle(pilot)
    assert pilot.app.main_screen.article_filter.kind == "unread"


async def test_reading_at_the_top_of_the_unread_list_leaves_its_end_whole(
    far_app: KetareadApp, settle: Settle
) -> None:
    """Thirty articles read at the top, then `end`: the last row was blank, the cursor on
    nothing and `enter` dead, and the windows read after it skipped thirty articles."""
    async with far_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await show_unread(pilot, settle)
        listing = far_app.main_screen.article_list
        shown = unread_ids(far_app)
        assert len(shown) == 4 * PER_FEED
        await pilot.press("enter")
        await settle(pilot)
        for _ in range(29):
            await pilot.press("n")
            await settle(pilot)
        assert len(unread_ids(far_app)) == len(shown) - 30
        await pilot.press("end")
        await pilot.pause()
        assert listing.cursor == len(shown) - 1
        assert listing.current is not None and listing.current.id == shown[-1]
        assert_cursor_shown(far_app)
        await pilot.press("enter")
        await settle(pilot)
        assert far_app.main_screen.detail.row.id == shown[-1]
        # The middle window, read after the last one: every row where it was shown.
        await pilot.press("home")
        for _ in range(70):
            await pilot.press("pagedown")
        await pilot.pause()
        assert 1000 < listing.cursor < 2000
        assert listing.current is not None
        assert listing.current.id == shown[listing.cursor]
        assert listing.ids == shown


async def test_a_refresh_ending_far_down_the_unread_list_keeps_the_cursor_there(
    far_app: KetareadApp, settle: Settle
) -> None:
    """An article read 2,000 rows down, then a refresh: the list is made again without it,
    and the cursor went back to the top; it goes to the next unread one."""
    async with far_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await show_unread(pilot, settle)
        listing = far_app.main_screen.article_list
        shown = unread_ids(far_app)
        await pilot.press("end")
        for _ in range(30):
            await pilot.press("pageup")
        await pilot.press("enter")
        await settle(pilot)
        row = listing.cursor
        assert row > 2000
        assert far_app.main_screen.detail.row.id == shown[row]
        await pilot.press("R")
        await settle(pilot)
        await pilot.pause()
        assert len(listing.ids) == len(shown) - 1
        assert listing.current is not None and listing.current.id == shown[row + 1]
        assert listing.cursor == row
        assert_cursor_shown(far_app)


async def test_hiding_read_ones_far_down_keeps_the_cursor_on_the_next_row(
    far_app: KetareadApp, settle: Settle
) -> None:
    """`H` on a read row 1,500 down went back to the top of the list."""
    async with far_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        listing = far_app.main_screen.article_list
        shown = list(listing.ids)
        for _ in range(84):
            await pilot.press("pagedown")
        await pilot.press("m")
        await settle(pilot)
        row = listing.cursor
        assert row > 1500 and listing.current.read
        await pilot.press("H")
        await settle(pilot)
        await pilot.pause()
        assert listing.current is not None and listing.current.id == shown[row + 1]
        assert_cursor_shown(far_app)


async def test_mark_all_read_counts_thousands_as_the_status_line_does(
    far_app: KetareadApp, settle: Settle
) -> None:
    """`A` on 2,600 articles said "Marked 2600 articles" under a status line of "2,600"."""
    async with far_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert messages(far_app)[-1] == "Marked 2,600 articles in All read. Press u to undo."
        await pilot.press("u")
        await settle(pilot)
        assert messages(far_app)[-1] == "Undone: 2,600 articles are unread again."


@pytest.fixture
def many_sources_app(tmp_path: Path, tmp_db: Path, tmp_config: Path) -> KetareadApp:
    """The reader on 60 small feeds (more sources than any screen shows) with a saved
    search."""
    folder = tmp_path / "sixty"
    folder.mkdir()
    for number in range(60):
        (folder / f"feed{number:02d}.xml").write_text(
            '<?xml version="1.0"?><rss version="2.0"><channel>'
            f"<title>Clinic {number:02d}</title><link>https://example.org/{number}</link>"
            f"<item><title>BDNF note {number}</title><guid>n{number}</guid>"
            f"<description>BDNF and the NMDA receptor.</description></item>"
            "</channel></rss>",
            encoding="utf-8",
        )
    store = Store(tmp_db)
    try:
        refresh(store, [SourceSpec(str(folder))])
    finally:
        store.close()
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text(
        f'[[source]]\nlocation = "{folder}"\n\n[[search]]\nname = "bdnf notes"\nquery = "bdnf"\n',
        encoding="utf-8",
    )
    app = make_app(db=tmp_db, config=tmp_config, offline=True)
    app.animation_level = "none"
    return app


async def test_saved_searches_show_on_the_first_screen_of_the_sidebar(
    many_sources_app: KetareadApp, settle: Settle
) -> None:
    """SEARCHES came after every source: with many sources, off every screen."""
    async with many_sources_app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        sidebar = many_sources_app.main_screen.sidebar
        assert len(many_sources_app.main_screen.sidebar_data.feeds) == 60
        shown = screen_text(many_sources_app)
        assert "SEARCHES" in shown and "bdnf notes" in shown
        assert shown.index("SEARCHES") < shown.index("SOURCES")
        sidebar.focus()
        await pilot.press("home")
        for _ in range(3):  # Unread, Starred, the saved search
            await pilot.press("down")
        assert sidebar.highlighted == sidebar.get_option_index("search:0")
        await pilot.press("enter")
        await settle(pilot)
        assert many_sources_app.main_screen._search_panel.input.value == "bdnf"


async def test_r_on_a_feed_of_a_folder_says_the_whole_folder_is_refreshed(
    many_sources_app: KetareadApp, settle: Settle
) -> None:
    """`R` on one of a folder's 60 feeds refreshes the folder: it said "Refreshing Clinic
    07…" and then checked every feed of it."""
    async with many_sources_app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        sidebar = many_sources_app.main_screen.sidebar
        feed = many_sources_app.main_screen.sidebar_data.feeds[7]
        sidebar.focus()
        sidebar.highlighted = sidebar.get_option_index(f"feed:{feed.id}")
        await pilot.press("R")
        assert f"Refreshing sixty, the source {feed.title} is read from…" in messages(
            many_sources_app
        )
        await settle(pilot)


async def test_reading_in_the_unread_first_order_leaves_its_end_whole(
    far_app: KetareadApp, settle: Settle
) -> None:
    """Sorted unread first, an article read moves to the read ones at the end in the
    cache's order: after thirty reads `end` showed an article read at the top, and the
    last window was every row off by thirty."""
    async with far_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(3):
            await pilot.press("S")
            await settle(pilot)
        screen = far_app.main_screen
        assert screen.article_filter.order == "unread"
        listing = screen.article_list
        # From the cache: reading the list's own ids would hold every window of it.
        shown = far_app.store.article_ids(screen.article_filter)  # type: ignore[attr-defined]
        assert len(shown) == len(listing.ids)
        await pilot.press("enter")
        await settle(pilot)
        for _ in range(29):
            await pilot.press("n")
            await settle(pilot)
        await pilot.press("m")  # read, then unread again: back where the cache has it too
        await settle(pilot)
        await pilot.press("end")
        await pilot.pause()
        assert listing.current is not None and listing.current.id == shown[-1]
        await pilot.press("home")
        for _ in range(70):
            await pilot.press("pagedown")
        await pilot.pause()
        assert listing.current is not None and listing.current.id == shown[listing.cursor]
        assert listing.ids == shown


@pytest.mark.parametrize("order", ["newest", "oldest"])
async def test_n_and_p_find_the_one_unread_article_far_away_without_walking_the_rows(
    far_app: KetareadApp, settle: Settle, order: str
) -> None:
    """`n` walked the list row by row on the UI thread to the next unread article: 0.1 s
    at 12,000 with one unread article far down, seconds at 400,000 (found by hand). Now
    the list order's keys find it: the right row, and no page of rows read on the way."""
    async with far_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = far_app.main_screen
        store = far_app.store
        if order != "newest":
            screen.load_articles(screen.article_filter._replace(order=order))
            await settle(pilot)
            assert screen.article_filter.order == order
        listing = screen.article_list
        everything = store.article_ids(screen.article_filter)
        store.set_state(everything, "read", True)
        target = everything[2_400]
        store.set_state([target], "read", False)
        screen.load_articles(screen.article_filter)
        await settle(pilot)
        assert listing.cursor == 0
        loads: list[int] = []
        real_loader = listing._loader
        listing._loader = lambda ids: loads.append(len(ids)) or real_loader(ids)
        await pilot.press("n")
        await settle(pilot)
        assert listing.ids[listing.cursor] == target
        assert screen.detail is not None and screen.detail.row.id == target
        assert_cursor_shown(far_app)
        assert len(loads) <= 3  # the rows on screen around it, not 2,400 rows walked
        store.set_state([target], "read", False)  # opening it read it
        await pilot.press("n")  # nothing else unread: round to itself, once
        await settle(pilot)
        assert listing.ids[listing.cursor] == target
        assert "Wrapped to the top of the list." in messages(far_app)
        store.set_state([target], "read", False)
        await pilot.press("home")
        await pilot.press("p")
        await settle(pilot)
        assert listing.ids[listing.cursor] == target
        assert "Wrapped to the bottom of the list." in messages(far_app)
        store.set_state([target], "read", True)
        await pilot.press("n")
        await settle(pilot)
        assert "No unread articles in this list." in messages(far_app)


async def test_n_and_p_in_the_unread_first_order_go_on_from_an_article_read_there(
    far_app: KetareadApp, settle: Settle
) -> None:
    """Sorted unread first, an article opened (so read) stays where it was shown, but its
    keys in the cache put it among the read ones: `n` from it went to the top of the list
    ('Wrapped to the top') and `p` to the last unread article, not the rows beside it."""
    async with far_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(3):
            await pilot.press("S")
            await settle(pilot)
        screen = far_app.main_screen
        assert screen.article_filter.order == "unread"
        listing = screen.article_list
        shown = far_app.store.article_ids(screen.article_filter)  # type: ignore[attr-defined]
        listing.cursor = 1_200  # past the first window of ids
        await pilot.press("enter")
        await settle(pilot)
        assert screen.detail is not None and screen.detail.row.id == shown[1_200]
        await pilot.press("n")
        await settle(pilot)
        assert listing.cursor == 1_201
        assert screen.detail is not None and screen.detail.row.id == shown[1_201]
        await pilot.press("n")
        await settle(pilot)
        assert listing.cursor == 1_202
        await pilot.press("p")  # 1,201 and 1,200 were read on the way: the one before them
        await settle(pilot)
        assert listing.cursor == 1_199
        assert screen.detail is not None and screen.detail.row.id == shown[1_199]
        assert "Wrapped" not in " ".join(messages(far_app))


async def test_n_on_a_row_the_cache_no_longer_has_says_so_instead_of_failing(
    far_app: KetareadApp, settle: Settle
) -> None:
    """Articles removed from the cache after the list was made (retention at the end of
    another process's refresh) leave blank rows at its end: `n` there raised IndexError
    from the list's ids, a traceback that ended the reader."""
    async with far_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = far_app.main_screen
        listing = screen.article_list
        store = far_app.store
        everything = store.article_ids(screen.article_filter)
        store.delete_articles(everything[-1_500:])  # past the windows held
        await pilot.press("end")
        await settle(pilot)
        assert listing.cursor == len(listing.ids) - 1
        await pilot.press("n")
        await settle(pilot)
        assert far_app.is_running
        assert screen.detail is not None and screen.detail.row.id == everything[0]


async def test_reading_in_the_starred_list_sorted_unread_first_keeps_its_rows_and_n(
    far_app: KetareadApp, settle: Settle
) -> None:
    """The starred list sorted unread first: an article read there moves in the cache's
    order as in any list so sorted, but only an unread list's reads were kept where they
    were shown. `n` from it went to the top ('Wrapped'), and after thirty reads the end
    of the list was every row off by thirty."""
    async with far_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = far_app.main_screen
        store = far_app.store
        store.set_state(store.article_ids(ArticleFilter()), "starred", True)
        screen.choose_filter("starred")
        await settle(pilot)
        for _ in range(3):
            await pilot.press("S")
            await settle(pilot)
        assert screen.article_filter.kind == "starred"
        assert screen.article_filter.order == "unread"
        listing = screen.article_list
        shown = store.article_ids(screen.article_filter)
        assert len(shown) == len(listing.ids) == 4 * PER_FEED
        listing.cursor = 1_200
        await pilot.press("enter")
        await settle(pilot)
        for step in range(1, 31):
            await pilot.press("n")
            await settle(pilot)
            assert listing.cursor == 1_200 + step
            assert screen.detail is not None and screen.detail.row.id == shown[1_200 + step]
        assert "Wrapped" not in " ".join(messages(far_app))
        await pilot.press("end")
        await pilot.pause()
        assert listing.current is not None and listing.current.id == shown[-1]
        assert listing.ids == shown


async def test_n_in_the_unread_first_order_before_the_list_hears_of_a_read(
    far_app: KetareadApp, settle: Settle
) -> None:
    """`n` pressed again before the article it opened was painted: the cache has it read
    already, the list not yet (its row changes once the article is shown). Searched from
    its keys among the read ones, `n` went to the top ('Wrapped') instead of on."""
    async with far_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(3):
            await pilot.press("S")
            await settle(pilot)
        screen = far_app.main_screen
        assert screen.article_filter.order == "unread"
        listing = screen.article_list
        store = far_app.store
        shown = store.article_ids(screen.article_filter)
        listing.cursor = 1_200
        await settle(pilot)
        assert listing.current is not None and not listing.current.read
        # What the open's worker does before the article is painted.
        store.set_state([shown[1_200]], "read", True)
        await pilot.press("n")
        await settle(pilot)
        assert listing.cursor == 1_201
        assert screen.detail is not None and screen.detail.row.id == shown[1_201]
        assert "Wrapped" not in " ".join(messages(far_app))
