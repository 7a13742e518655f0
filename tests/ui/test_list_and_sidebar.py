"""The article list and the tag sidebar: order, filters, opening, read/star state, n/p."""

from __future__ import annotations

import re
from pathlib import Path

from ui_support import Settle, screen_text

from ketaread.app import KetareadApp
from ketaread.core.store import ArticleFilter, Store
from ketaread.screens.main import MainScreen

SIZE = (120, 40)


def _main(app: KetareadApp) -> MainScreen:
    screen = app.main_screen
    assert screen is not None
    return screen


def _listed_rows(app: KetareadApp) -> list:
    listing = _main(app).article_list
    return [listing.row_at(i) for i in range(len(listing.ids))]


def _option_index(screen: MainScreen, option_id: str) -> int:
    sidebar = screen.sidebar
    return next(
        i for i in range(sidebar.option_count) if sidebar.get_option_at_index(i).id == option_id
    )


def _sidebar_prompt(screen: MainScreen, option_id: str) -> str:
    sidebar = screen.sidebar
    return str(sidebar.get_option_at_index(_option_index(screen, option_id)).prompt)


async def _choose_in_sidebar(pilot, screen: MainScreen, option_id: str, settle: Settle) -> None:
    """Move the sidebar's highlight to `option_id` with the arrow keys and press Enter."""
    sidebar = screen.sidebar
    if not sidebar.has_focus:
        await pilot.press("l")
    target = _option_index(screen, option_id)
    while sidebar.highlighted != target:
        await pilot.press("down" if (sidebar.highlighted or 0) < target else "up")
    await pilot.press("enter")
    await settle(pilot)


async def test_list_is_newest_first(app: KetareadApp, sample_db: Path, settle: Settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = _listed_rows(app)
        store = Store(sample_db)
        assert len(rows) == store.totals()["all"] == 16
        store.close()
        dated = [row.published for row in rows if row.published is not None]
        assert dated == sorted(dated, reverse=True)
        # The one undated article (the digest's last item) comes right after the digest's
        # oldest dated one, not first.
        [undated] = [i for i, row in enumerate(rows) if row.published is None]
        assert undated > 0 and rows[undated].feed_id == rows[undated - 1].feed_id
        assert rows[undated - 1].published == min(
            row.published for row in rows if row.feed_id == rows[undated].feed_id and row.published
        )


async def test_choosing_a_tag_in_the_sidebar_filters_the_list_and_sets_the_subtitle(
    app: KetareadApp, sample_db: Path, settle: Settle
) -> None:
    store = Store(sample_db)
    tag = next(t for t in store.tags() if t.name == "Depression")
    expected = store.article_ids(ArticleFilter("tag", tag.id))
    store.close()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = _main(app)
        await pilot.press("t")  # shown already at 120 columns: t hides it, t again shows it
        if not screen.sidebar.display:
            await pilot.press("t")
        assert screen.sidebar.has_focus
        await _choose_in_sidebar(pilot, screen, f"tag:{tag.id}", settle)
        assert screen.article_list.ids == expected
        assert len(expected) == tag.total < 16
        assert screen.sub_title == "Depression"
        assert screen.article_list.has_focus


async def test_sidebar_is_hidden_at_80_columns_and_t_shows_it(
    app: KetareadApp, sample_db: Path, settle: Settle
) -> None:
    store = Store(sample_db)
    tag = next(t for t in store.tags() if t.name == "KAP")
    store.close()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = _main(app)
        assert not screen.sidebar.display
        await pilot.press("t")
        await settle(pilot)
        assert screen.sidebar.display and screen.sidebar.has_focus
        await _choose_in_sidebar(pilot, screen, f"tag:{tag.id}", settle)
        assert len(screen.article_list.ids) == tag.total
        assert screen.sub_title == "KAP"


async def test_unread_and_starred_filters(
    app: KetareadApp, sample_db: Path, settle: Settle
) -> None:
    store = Store(sample_db)
    first, second = store.article_ids()[:2]
    store.set_read([first], True)
    store.set_starred(second, True)
    store.close()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = _main(app)
        await _choose_in_sidebar(pilot, screen, "unread", settle)
        assert first not in screen.article_list.ids and len(screen.article_list.ids) == 15
        assert screen.sub_title == "Unread"
        await _choose_in_sidebar(pilot, screen, "starred", settle)
        assert screen.article_list.ids == [second]
        assert screen.sub_title == "Starred"
        await _choose_in_sidebar(pilot, screen, "all", settle)
        assert len(screen.article_list.ids) == 16
        assert screen.sub_title == "All"


async def test_opening_an_article_shows_it_and_marks_it_read_everywhere(
    app: KetareadApp, sample_db: Path, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = _main(app)
        await pilot.press("down", "down")
        row = screen.article_list.current
        assert row is not None and not row.read
        feed_id = next(f.id for f in screen.sidebar_data.feeds if f.title == row.feed_title)
        assert "16/16" in _sidebar_prompt(screen, "all")
        before = next(f for f in screen.sidebar_data.feeds if f.id == feed_id)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.detail is not None and screen.detail.row.id == row.id
        header = str(screen.article_view.query_one("#article-header").render())
        assert row.title in header
        assert screen.article_list.current.read  # the list row
        store = Store(sample_db)
        assert store.rows([row.id])[0].read  # the cache
        store.close()
        assert "15/16" in _sidebar_prompt(screen, "all")  # the sidebar counts
        after = next(f for f in screen.sidebar_data.feeds if f.id == feed_id)
        assert after.unread == before.unread - 1


async def test_m_toggles_read(app: KetareadApp, sample_db: Path, settle: Settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = _main(app)
        article_id = screen.article_list.current.id
        await pilot.press("m")
        await settle(pilot)
        assert screen.article_list.current.read
        assert screen.sidebar_data.totals["unread"] == 15
        await pilot.press("m")
        await settle(pilot)
        assert not screen.article_list.current.read
        store = Store(sample_db)
        assert not store.rows([article_id])[0].read
        assert store.totals()["unread"] == 16
        store.close()


async def test_s_stars_and_the_starred_filter_lists_it(
    app: KetareadApp, sample_db: Path, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = _main(app)
        await pilot.press("down", "down", "down")
        article_id = screen.article_list.current.id
        await pilot.press("s")
        await settle(pilot)
        assert screen.article_list.current.starred
        store = Store(sample_db)
        assert store.rows([article_id])[0].starred
        store.close()
        await _choose_in_sidebar(pilot, screen, "starred", settle)
        assert screen.article_list.ids == [article_id]
        await pilot.press("s")  # unstar: the cache follows
        await settle(pilot)
        store = Store(sample_db)
        assert not store.rows([article_id])[0].starred
        store.close()


async def test_n_and_p_open_the_next_and_previous_unread(
    app: KetareadApp, sample_db: Path, settle: Settle
) -> None:
    store = Store(sample_db)
    ids = store.article_ids()
    store.set_read([ids[1], ids[2]], True)  # n from the top must skip these two
    store.close()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = _main(app)
        await pilot.press("n")
        await settle(pilot)
        assert screen.detail is not None and screen.detail.row.id == ids[3]
        assert screen.article_list.cursor == 3
        assert screen.article_list.current.read
        await pilot.press("p")
        await settle(pilot)
        assert screen.detail.row.id == ids[0]
        assert screen.article_list.cursor == 0


async def test_sidebar_entries_keep_name_and_counts_on_one_line(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("t")  # hidden at 80 columns until asked for
        await settle(pilot)
        assert _main(app).sidebar.display
        lines = screen_text(app).splitlines()
        for name, counts in (("All", "16/16"), ("Unread", "16/16"), ("Starred", "0")):
            assert any(re.search(rf"[│┃] {name} +{counts} ", line) for line in lines), name
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        lines = screen_text(app).splitlines()
        assert any(re.search(r"[│┃] All +16/16 ", line) for line in lines)
        assert any(re.search(r"[│┃] Neuroscience Notes +4/4 ", line) for line in lines)


async def test_clicking_a_row_opens_that_article(app: KetareadApp, settle: Settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = _main(app)
        listing = screen.article_list
        third = listing.row_at(2)
        content = listing.content_region
        await pilot.click(offset=(content.x + 5, content.y + 2))  # the third row's title
        await settle(pilot)
        assert screen.detail is not None and screen.detail.row.id == third.id
        assert listing.cursor == 2
        await pilot.click(offset=(content.x + 5, content.y - 1))  # the top border: nothing
        await settle(pilot)
        assert screen.detail.row.id == third.id


async def test_counts_changed_while_the_sidebar_was_hidden_show_when_it_opens(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not _main(app).sidebar.display
        await pilot.press("enter")  # read one article: 15 of 16 unread
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        lines = screen_text(app).splitlines()
        assert any(re.search(r"┃ All +15/16 ", line) for line in lines)
        assert any(re.search(r"┃ Unread +15/15 ", line) for line in lines)


def _shown(screen: MainScreen) -> tuple[bool, bool, bool]:
    """Whether the sidebar, the list and the article are on screen (laid out, not hidden)."""
    return tuple(
        widget.display and widget.region.width > 0
        for widget in (screen.sidebar, screen.article_list, screen.article_view)
    )


async def test_focus_mode_shows_the_article_alone_even_after_t_and_f_brings_the_panes_back(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = _main(app)
        assert _shown(screen) == (True, True, True)
        await pilot.press("t", "t")  # hidden, then shown again (by an inline style)
        await settle(pilot)
        assert _shown(screen) == (True, True, True)
        await pilot.press("f")
        await settle(pilot)
        assert _shown(screen) == (False, False, True)
        assert screen.article_view.has_focus
        assert screen.article_view.region.width == SIZE[0]
        await pilot.press("f")
        await settle(pilot)
        assert _shown(screen) == (True, True, True)


async def test_focus_mode_brings_back_only_the_panes_that_were_shown(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = _main(app)
        await pilot.press("t", "f", "f")  # the sidebar hidden before focus mode stays hidden
        await settle(pilot)
        assert _shown(screen) == (False, True, True)
        await pilot.press("f", "a")  # a pane's key leaves focus mode and focuses the pane
        await settle(pilot)
        assert _shown(screen) == (False, True, True)
        assert screen.article_list.has_focus
        await pilot.press("f", "t")  # t leaves focus mode with the sidebar shown
        await settle(pilot)
        assert _shown(screen) == (True, True, True)
        assert screen.sidebar.has_focus


async def test_focus_mode_at_80_columns_leaves_the_hidden_sidebar_hidden(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = _main(app)
        assert _shown(screen) == (False, True, True)
        await pilot.press("f")
        await settle(pilot)
        assert _shown(screen) == (False, False, True)
        await pilot.press("f")
        await settle(pilot)
        assert _shown(screen) == (False, True, True)
        await pilot.press("f", "l")  # the sidebar's key: out of focus mode, picking a filter
        await settle(pilot)
        assert _shown(screen) == (True, True, True)  # the article stays beside them
        assert screen.sidebar.has_focus
