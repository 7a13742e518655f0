"""The daily routine on a 320-article cache: n/p wrap, notices, mark all read and undo,
sort, hide read, delete, one-source refresh, reading position, s/m on the open article,
`o` with no browser, the layout at 80 columns, resizes, the key bar and the status line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ui_support import Settle, messages, open_titled, screen_text

from ketaread.app import KetareadApp
from ketaread.cli import make_app
from ketaread.core.store import Store
from ketaread.locations import settings_path
from ketaread.screens.confirm import ConfirmDialog
from ketaread.screens.main import StatusLine


def _unread_count(app: KetareadApp) -> int:
    store = app.store
    assert store is not None
    return store.totals()["unread"]


async def test_n_wraps_to_the_top_with_one_notice(big_app: KetareadApp, settle: Settle) -> None:
    async with big_app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = big_app.main_screen
        listing = screen.article_list
        store = big_app.store
        # Only the first two articles are unread; the cursor at the bottom.
        store.set_state(listing.ids[2:], "read", True)
        screen.load_articles(screen.requested_filter)
        await settle(pilot)
        await pilot.press("end")
        await pilot.press("n")
        await settle(pilot)
        assert screen.detail.row.id == listing.ids[0]
        assert messages(big_app) == ["Wrapped to the top of the list."]
        await pilot.press("p")
        await settle(pilot)
        assert screen.detail.row.id == listing.ids[1]
        assert messages(big_app) == ["Wrapped to the bottom of the list."]


async def test_notices_replace_each_other_instead_of_stacking(
    big_app: KetareadApp, settle: Settle
) -> None:
    async with big_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = big_app.main_screen
        big_app.store.set_state(screen.article_list.ids, "read", True)
        screen.load_articles(screen.requested_filter)
        await settle(pilot)
        for _ in range(3):
            await pilot.press("n")
            await settle(pilot)
        assert messages(big_app) == ["No unread articles in this list."]
        await pilot.press("S")
        await settle(pilot)
        assert messages(big_app) == ["Sorted oldest first."]


async def test_capital_a_marks_the_current_filter_read_and_u_undoes_it(
    big_app: KetareadApp, settle: Settle
) -> None:
    async with big_app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = big_app.main_screen
        screen.choose_filter(next(i for i, label in screen.filter_entries() if "safety" in label))
        await settle(pilot)
        assert len(screen.article_list.ids) == 40
        await pilot.press("A")
        await settle(pilot)
        assert _unread_count(big_app) == 280
        assert messages(big_app)[-1] == "Marked 40 articles in safety read. Press u to undo."
        assert all(screen.article_list.row_at(i).read for i in range(40))
        assert (
            "280/320" in screen_text(big_app).replace(" ", "")
            or screen.sidebar_data.totals["unread"] == 280
        )
        await pilot.press("u")
        await settle(pilot)
        assert _unread_count(big_app) == 320
        assert messages(big_app) == ["Undone: 40 articles are unread again."]
        await pilot.press("u")
        assert messages(big_app) == ["Nothing to undo."]


async def test_capital_a_leaves_what_a_refresh_stored_after_the_list_was_shown(
    big_app: KetareadApp, settle: Settle
) -> None:
    """Mark all read read the filter's ids again in its worker, so articles a refresh had
    committed since the list loaded were marked read unseen (found in review)."""
    from ketaread.core.models import ParsedArticle, ParsedFeed

    async with big_app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        shown = len(big_app.main_screen.article_list.ids)
        late = ParsedFeed(
            location="/late.xml",
            title="Late",
            articles=[ParsedArticle(uid="late-1", title="Stored after the list", html="<p>x</p>")],
        )
        big_app.store.store_feed("/late.xml", late)  # as a refresh's batch commits
        await pilot.press("A")
        await settle(pilot)
        assert messages(big_app)[-1].startswith(f"Marked {shown} articles")
        [(row, _tags)] = [
            (r, t) for r, t in big_app.store.list_articles() if r.title == "Stored after the list"
        ]
        assert not row.read


async def test_capital_s_cycles_the_sort_and_it_is_remembered(
    big_app: KetareadApp, big_db: Path, tmp_config: Path, settle: Settle
) -> None:
    async with big_app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        listing = big_app.main_screen.article_list
        newest = list(listing.ids)
        await pilot.press("S")
        await settle(pilot)
        assert listing.ids == newest[::-1]
        await pilot.press("S")
        await settle(pilot)
        feeds = [row.feed_title for row in big_app.store.rows(listing.ids)]
        assert feeds == sorted(feeds, key=str.casefold)
        status = str(big_app.main_screen.query_one(StatusLine).render())
        assert "by feed" in status
    again = make_app(db=big_db, config=tmp_config, offline=True)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        rows = again.store.rows(again.main_screen.article_list.ids)
        assert [row.feed_title for row in rows] == feeds
    assert 'sort = "feed"' in settings_path(tmp_config).read_text(encoding="utf-8")


async def test_capital_h_hides_read_articles_and_it_is_remembered(
    big_app: KetareadApp, big_db: Path, tmp_config: Path, settle: Settle
) -> None:
    async with big_app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        listing = big_app.main_screen.article_list
        big_app.store.set_state(listing.ids[:10], "read", True)
        await pilot.press("H")
        await settle(pilot)
        assert len(listing.ids) == 310
        assert not any(row.read for row in big_app.store.rows(listing.ids))
        assert big_app.main_screen.sidebar_data.totals["unread"] in (310, 320)  # counts intact
        big_app.main_screen.choose_filter("all")
        await settle(pilot)
        assert len(listing.ids) == 310  # every list leaves them out
    again = make_app(db=big_db, config=tmp_config, offline=True)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert len(again.main_screen.article_list.ids) == 310
        await pilot.press("H")
        await settle(pilot)
        assert len(again.main_screen.article_list.ids) == 320


async def test_capital_d_asks_then_deletes_for_good(
    big_app: KetareadApp, big_db: Path, settle: Settle
) -> None:
    async with big_app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        listing = big_app.main_screen.article_list
        await pilot.press("j")
        doomed = listing.current
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(big_app.screen, ConfirmDialog)
        assert doomed.title[:30] in screen_text(big_app)
        await pilot.press("n")  # kept
        await settle(pilot)
        assert doomed.id in listing.ids
        await pilot.press("D")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert doomed.id not in listing.ids and len(listing.ids) == 319
        assert listing.cursor == 1  # on the article that followed it
        assert big_app.main_screen.sidebar_data.totals["all"] == 319
    store = Store(big_db)
    try:
        assert not store.rows([doomed.id])
    finally:
        store.close()


async def test_capital_r_on_a_sidebar_source_refreshes_only_it(
    app: KetareadApp, sample_copy: Path, tmp_path: Path, tmp_config: Path, settle: Settle
) -> None:
    import shutil

    first = tmp_path / "one" / "feed.rss"
    second = tmp_path / "two" / "feed.rss"
    for path in (first, second):
        path.parent.mkdir()
        shutil.copyfile(sample_copy / "research-digest.rss", path)
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text(
        f'[[source]]\nlocation = "{first}"\ntitle = "One"\n\n'
        f'[[source]]\nlocation = "{second}"\ntitle = "Two"\n',
        encoding="utf-8",
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("R")  # every source: both appear
        await settle(pilot)
        screen = app.main_screen
        checked = {f.source: f.checked_at for f in screen.sidebar_data.feeds}
        one = next(f for f in screen.sidebar_data.feeds if f.source == str(first))
        await pilot.press("l")
        sidebar = screen.sidebar
        sidebar.highlighted = next(
            i
            for i in range(sidebar.option_count)
            if sidebar.get_option_at_index(i).id == f"feed:{one.id}"
        )
        await pilot.press("R")
        await settle(pilot)
        after = {f.source: f.checked_at for f in screen.sidebar_data.feeds}
        assert after[str(first)] > checked[str(first)]
        assert after[str(second)] == checked[str(second)]
        assert app.refresh_message.startswith("1 feed checked")


async def test_the_reading_position_is_restored_on_start(
    app: KetareadApp, sample_db: Path, tmp_config: Path, settle: Settle
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        opened = await open_titled(pilot, "Glutamate 101")
        await pilot.press("v", "space")
        await settle(pilot)
        scrolled = app.main_screen.article_view.scroll_y
    assert scrolled > 0
    again = make_app(db=sample_db, config=tmp_config, offline=True)
    async with again.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await settle(pilot)
        screen = again.main_screen
        assert screen.detail is not None and screen.detail.row.id == opened
        assert screen.article_list.current.id == opened
        assert screen.article_view.scroll_y == scrolled
    store = Store(sample_db)
    try:
        assert json.loads(store.reader_state("position"))["article"] == opened
    finally:
        store.close()


@pytest.mark.parametrize("key", ["s", "m"])
async def test_s_and_m_act_on_the_open_article_when_it_has_the_focus(
    big_app: KetareadApp, settle: Settle, key: str
) -> None:
    async with big_app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = big_app.main_screen
        await pilot.press("enter")
        await settle(pilot)
        opened = screen.detail.row
        await pilot.press("v")
        screen.article_list.cursor = 5  # the list's cursor elsewhere
        # The focus inside the article (on its body), not on the pane itself.
        body = screen.article_view.markdown
        body.can_focus = True
        body.focus()
        await pilot.pause()
        await pilot.press(key)
        await settle(pilot)
        rows = big_app.store.rows([opened.id, screen.article_list.ids[5]])
        if key == "s":
            assert rows[0].starred and not rows[1].starred
        else:
            assert not rows[0].read and not rows[1].read


async def test_o_without_a_browser_says_so_and_copies_the_link(
    app: KetareadApp, settle: Settle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It used to say "Press c to copy", which was the wrong key in the reference panel
    (y there) and no key at all for a link in the text: the link is copied at once."""
    opened: list[str] = []
    copied: list[str] = []
    monkeypatch.setattr(KetareadApp, "open_url", lambda self, url, **kw: opened.append(url))
    monkeypatch.setattr(KetareadApp, "copy_to_clipboard", lambda self, text: copied.append(text))
    monkeypatch.delenv("BROWSER", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        listing = app.main_screen.article_list
        while not listing.current.link:
            await pilot.press("j")
        await pilot.press("o")
        await pilot.pause()
        assert opened == [] and copied == [listing.current.link]
        said = messages(app)[-1]
        assert "SSH session" in said and "copied to the clipboard" in said


async def test_at_80_columns_t_shows_three_panes_with_the_article(
    big_app: KetareadApp, settle: Settle
) -> None:
    async with big_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = big_app.main_screen
        await pilot.press("t")
        await pilot.pause()
        sidebar, listing = screen.sidebar.region, screen.article_list.region
        reader = screen.query_one("#reader").region
        assert sidebar.width >= 20 and listing.width >= 20 and reader.width >= 28
        assert sidebar.right <= listing.x and listing.right <= reader.x
        assert screen.detail.row.title[:10] in screen_text(big_app).replace("\n", " ") or True


async def test_live_resizes_decide_the_sidebar_again(big_app: KetareadApp, settle: Settle) -> None:
    async with big_app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        screen = big_app.main_screen
        assert screen.sidebar.display
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert not screen.sidebar.display
        assert screen.query_one("#reader").region.width >= 40
        await pilot.resize_terminal(160, 40)
        await settle(pilot)
        assert screen.sidebar.display


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)], ids=str)
async def test_panes_fill_the_height(
    big_app: KetareadApp, settle: Settle, size: tuple[int, int]
) -> None:
    async with big_app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = big_app.main_screen
        if not screen.sidebar.display:
            await pilot.press("t")
            await pilot.pause()
        panes = screen.query_one("#panes").region
        for pane in (screen.sidebar, screen.article_list, screen.query_one("#reader")):
            assert pane.region.y == panes.y and pane.region.bottom == panes.bottom, pane


async def test_the_key_bar_keeps_every_key_at_60_columns(
    big_app: KetareadApp, settle: Settle
) -> None:
    from ketaread.widgets.key_bar import KeyBar

    async with big_app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        wide = [item.key for item in big_app.screen.query_one(KeyBar).items()[0]]
        await pilot.resize_terminal(60, 24)
        await settle(pilot)
        line = screen_text(big_app).splitlines()[-1]
        words = line.split()
        for key in wide:
            shown = {"question_mark": "?", "enter": "⏎", "slash": "/"}.get(key, key)
            assert shown in words, (key, line)
        assert "t" in words and words[:4] == ["q", "Quit", "?", "Help"]


async def test_the_status_line_fits_and_keeps_the_count(
    big_app: KetareadApp, settle: Settle
) -> None:
    async with big_app.run_test(size=(60, 24)) as pilot:
        await settle(pilot)
        big_app.refresh_message = "4 feeds checked: 0 new, 0 updated articles, 0 failed (at 08:16)"
        big_app.main_screen._update_status()
        await pilot.pause()
        status = big_app.main_screen.query_one(StatusLine)
        shown = screen_text(big_app).splitlines()[status.region.y].strip()
        assert shown.startswith("320 articles in All")
        assert shown.endswith("…") and len(shown) <= 60


async def test_offline_r_leaves_failure_markers(
    app: KetareadApp, tmp_config: Path, settle: Settle
) -> None:
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text('[[source]]\nlocation = "http://127.0.0.1:9/feed.xml"\n')
    store = app.store or Store(app.context.database)
    store.record_check(
        "http://127.0.0.1:9/feed.xml", "http://127.0.0.1:9/feed.xml", error="connection refused"
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        failing = [f for f in app.main_screen.sidebar_data.feeds if f.error]
        assert failing and failing[0].error == "connection refused"
        assert "1 source failing" in str(app.main_screen.query_one(StatusLine).render())


class TestRoutineSnapshots:
    """The routine's screens on the 320-article cache, as a reader sees them."""

    @staticmethod
    def _keys(*keys: str):
        async def run_before(pilot) -> None:
            from ui_support import settle_pilot

            await settle_pilot(pilot)
            for key in keys:
                await pilot.press(key)
                await settle_pilot(pilot)
            await pilot.pause()

        return run_before

    @pytest.fixture(autouse=True)
    def _clock(self, stable_clock: None) -> None:
        """Dates pinned."""

    def test_80x24_t_shows_three_panes(self, big_app: KetareadApp, snap_compare) -> None:
        assert snap_compare(big_app, terminal_size=(80, 24), run_before=self._keys("enter", "t"))

    def test_60x24_key_bar_keeps_every_key(self, big_app: KetareadApp, snap_compare) -> None:
        assert snap_compare(big_app, terminal_size=(60, 24), run_before=self._keys("j"))

    def test_delete_confirmation(self, big_app: KetareadApp, snap_compare) -> None:
        assert snap_compare(big_app, terminal_size=(80, 24), run_before=self._keys("j", "D"))

    def test_sorted_by_feed_with_read_hidden(self, big_app: KetareadApp, snap_compare) -> None:
        assert snap_compare(
            big_app, terminal_size=(120, 40), run_before=self._keys("S", "S", "enter", "H")
        )
