"""The article list with a realistic cache (320 articles, long titles) at every size.

The 16 bundled samples fit on one 80x24 screen, which hid every bug here: the cursor
row disappearing under a horizontal scrollbar, dates cut to "May", Enter opening an
article that was never on screen.
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from big_cache import FEEDS, feed_xml
from textual.pilot import Pilot
from ui_support import Settle, screen_text, settle_pilot

from ketaread.app import KetareadApp
from ketaread.cli import make_app
from ketaread.core.refresh import SourceSpec, refresh
from ketaread.core.store import Store
from ketaread.widgets import article_list
from ketaread.widgets.article_list import ArticleList

SnapCompare = Callable[..., bool]
SIZES = [(80, 18), (80, 24), (120, 40), (200, 60)]

pytestmark = pytest.mark.usefixtures("stable_clock")


def assert_cursor_shown(app: KetareadApp) -> None:
    """The cursor row is inside the list's visible rows, drawn highlighted, with its date
    whole; no horizontal scrollbar; every visible row's date is whole."""
    listing: ArticleList = app.main_screen.article_list  # type: ignore[union-attr]
    assert not listing.show_horizontal_scrollbar
    region = listing.scrollable_content_region
    top = round(listing.scroll_y)
    assert top <= listing.cursor < top + region.height, (listing.cursor, top, region)
    lines = screen_text(app).splitlines()
    cursor_style = listing.get_component_rich_style("article-list--cursor")
    for offset in range(region.height):
        row = listing.row_at(top + offset)
        if row is None:
            break
        text = lines[region.y + offset][region.x : region.right]
        date = article_list.format_date(row.published, short=region.width < 50)
        assert text.rstrip().endswith(date), (text, date)
        strip = listing.render_line(offset)
        highlighted = all(
            segment.style is not None and segment.style.bgcolor == cursor_style.bgcolor
            for segment in strip
            if segment.text.strip()
        )
        assert highlighted == (top + offset == listing.cursor), (offset, text)


async def _enter_opens_the_highlighted_row(pilot: Pilot, settle: Settle) -> None:
    app = pilot.app
    listing = app.main_screen.article_list
    wanted = listing.current
    assert wanted is not None
    await pilot.press("enter")
    await settle(pilot)
    assert app.main_screen.detail.row.id == wanted.id


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_thirteen_j_keep_the_cursor_on_screen_and_enter_opens_it(
    big_app: KetareadApp, settle: Settle, size: tuple[int, int]
) -> None:
    async with big_app.run_test(size=size) as pilot:
        await settle(pilot)
        assert len(big_app.main_screen.article_list.ids) == 320
        for presses in range(13):
            await pilot.press("j")
            await pilot.pause()
            assert big_app.main_screen.article_list.cursor == presses + 1
            assert_cursor_shown(big_app)
        await _enter_opens_the_highlighted_row(pilot, settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_end_and_home_keep_the_cursor_on_screen(
    big_app: KetareadApp, settle: Settle, size: tuple[int, int]
) -> None:
    async with big_app.run_test(size=size) as pilot:
        await settle(pilot)
        listing = big_app.main_screen.article_list
        await pilot.press("end")
        await pilot.pause()
        assert listing.cursor == 319
        assert_cursor_shown(big_app)
        await pilot.press("pageup", "k")
        await pilot.pause()
        assert_cursor_shown(big_app)
        await pilot.press("home")
        await pilot.pause()
        assert listing.cursor == 0
        assert_cursor_shown(big_app)
        await pilot.press("end")
        await _enter_opens_the_highlighted_row(pilot, settle)


@pytest.mark.parametrize(
    ("start", "end"), [((200, 60), (80, 18)), ((80, 24), (120, 40)), ((120, 40), (80, 24))]
)
async def test_a_resize_keeps_the_cursor_on_screen(
    big_app: KetareadApp, settle: Settle, start: tuple[int, int], end: tuple[int, int]
) -> None:
    async with big_app.run_test(size=start) as pilot:
        await settle(pilot)
        listing = big_app.main_screen.article_list
        for _ in range(40):
            await pilot.press("j")
        await pilot.pause()
        assert_cursor_shown(big_app)
        await pilot.resize_terminal(*end)
        await settle(pilot)
        await pilot.pause()
        assert listing.cursor == 40
        assert_cursor_shown(big_app)
        await _enter_opens_the_highlighted_row(pilot, settle)


async def test_scrolling_with_the_mouse_brings_the_cursor_along(
    big_app: KetareadApp, settle: Settle
) -> None:
    async with big_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        listing = big_app.main_screen.article_list
        listing.scroll_relative(y=30, animate=False)  # what the wheel and the scrollbar do
        await pilot.pause()
        assert listing.scroll_y > 0
        assert_cursor_shown(big_app)
        await _enter_opens_the_highlighted_row(pilot, settle)


@pytest.fixture
def feed_copies(big_feeds: list[Path], tmp_path: Path) -> list[Path]:
    """Copies of the big feeds this test may rewrite."""
    folder = tmp_path / "feeds"
    folder.mkdir()
    return [Path(shutil.copy(path, folder / path.name)) for path in big_feeds]


@pytest.fixture
def refreshing_app(tmp_db: Path, tmp_config: Path, feed_copies: list[Path]) -> KetareadApp:
    """The 320-article reader on the feed copies, with a config naming them (R refreshes
    them)."""
    store = Store(tmp_db)
    try:
        refresh(store, [SourceSpec(str(path)) for path in feed_copies])
    finally:
        store.close()
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text(
        "".join(f'[[source]]\nlocation = "{path}"\n' for path in feed_copies), encoding="utf-8"
    )
    app = make_app(db=tmp_db, config=tmp_config, offline=True)
    app.animation_level = "none"
    return app


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_refresh_adding_articles_above_keeps_the_cursor_row_in_place(
    refreshing_app: KetareadApp,
    settle: Settle,
    feed_copies: list[Path],
    size: tuple[int, int],
) -> None:
    app = refreshing_app
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        listing = app.main_screen.article_list
        for _ in range(13):
            await pilot.press("j")
        await pilot.pause()
        highlighted = listing.current
        line = listing.cursor - round(listing.scroll_y)
        # Twelve newer articles per feed: 48 rows arrive above the cursor.
        for feed, path in enumerate(feed_copies):
            path.write_text(feed_xml(feed, 92, first=-12), encoding="utf-8")
        await pilot.press("R")
        await settle(pilot)
        await pilot.pause()
        assert len(listing.ids) == 320 + 12 * len(FEEDS)
        assert listing.current == highlighted
        assert listing.cursor == 13 + 12 * len(FEEDS)
        assert listing.cursor - round(listing.scroll_y) == line
        assert_cursor_shown(app)
        await _enter_opens_the_highlighted_row(pilot, settle)


def _keys(*keys: str, resize: tuple[int, int] | None = None) -> Callable[[Pilot], Awaitable[None]]:
    """Press `keys` once the list has loaded, then resize the terminal to `resize`."""

    async def run_before(pilot: Pilot) -> None:
        await settle_pilot(pilot)
        for key in keys:
            await pilot.press(key)
        if resize is not None:
            await pilot.resize_terminal(*resize)
            await settle_pilot(pilot)
        await pilot.pause()

    return run_before


class TestLongListSnapshots:
    """The 320-article list as a reader sees it: the highlighted row always on screen."""

    @pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
    def test_after_thirteen_j(
        self, big_app: KetareadApp, snap_compare: SnapCompare, size: tuple[int, int]
    ) -> None:
        assert snap_compare(big_app, terminal_size=size, run_before=_keys(*"j" * 13))

    def test_after_end_at_80x24(self, big_app: KetareadApp, snap_compare: SnapCompare) -> None:
        assert snap_compare(big_app, terminal_size=(80, 24), run_before=_keys("end"))

    def test_after_a_resize_from_200x60_to_80x24(
        self, big_app: KetareadApp, snap_compare: SnapCompare
    ) -> None:
        assert snap_compare(
            big_app, terminal_size=(200, 60), run_before=_keys(*"j" * 45, resize=(80, 24))
        )
