"""Quick keys, slow queries, a busy cache and failing workers: the reader stays right."""

from __future__ import annotations

import asyncio
import fcntl
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from ui_support import Settle, busy_workers, messages, wait_until
from werkzeug import Request, Response

from ketaread.app import KetareadApp
from ketaread.cli import make_app
from ketaread.core import refresh as refresh_module
from ketaread.core.store import ArticleFilter, Store

SIZE = (120, 40)


@pytest.mark.parametrize(
    ("keys", "read_after"),
    [
        (("m", "m"), False),  # the second toggle before the first has come back
        # Opening marks it read once its first screen is painted; m comes before that, and
        # which of the two writes the cache first is up to the threads.
        (("enter", "m"), None),
    ],
    ids=["two-quick-toggles", "toggle-while-opening"],
)
async def test_quick_keys_on_an_article_leave_list_counts_and_cache_agreeing(
    app: KetareadApp,
    sample_db: Path,
    settle: Settle,
    keys: tuple[str, ...],
    read_after: bool | None,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.main_screen
        row = screen.article_list.current
        assert row is not None and not row.read
        unread_before = screen.sidebar_data.totals["unread"]
        await pilot.press(*keys)
        await settle(pilot)
        store = Store(sample_db)
        cached = store.rows([row.id])[0]
        cached_unread = store.totals()["unread"]
        store.close()
        assert screen.article_list.row_at(screen.article_list.ids.index(row.id)) == cached
        assert screen.sidebar_data.totals["unread"] == cached_unread
        if read_after is not None:
            assert cached.read is read_after
            assert cached_unread == unread_before - (1 if read_after else 0)


async def test_a_slow_filter_never_replaces_the_one_chosen_after_it(
    app: KetareadApp, settle: Settle, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Store.article_ids
    starred_answered = threading.Event()

    def slow_for_starred(
        self: Store, article_filter: ArticleFilter | None = None, limit: int | None = None
    ) -> list[int]:
        article_filter = article_filter or ArticleFilter()
        if article_filter.kind == "starred":
            time.sleep(0.5)
            try:
                return original(self, article_filter, limit)
            finally:
                starred_answered.set()
        return original(self, article_filter, limit)

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.main_screen
        monkeypatch.setattr(Store, "article_ids", slow_for_starred)
        screen.sidebar.choose("starred")
        await pilot.pause()
        screen.sidebar.choose("unread")
        # Not settle(): waiting on the cancelled starred worker would raise. Its thread runs
        # on: once its query has answered, what it hands the UI thread runs too.
        assert await asyncio.to_thread(starred_answered.wait, 30)
        assert await wait_until(pilot, lambda: not busy_workers(app))
        await pilot.pause()
        assert screen.article_filter == ArticleFilter("unread")
        assert screen.sub_title == "Unread"
        assert len(screen.article_list.ids) == screen.sidebar_data.totals["unread"] > 0


async def test_a_refresh_that_fails_unexpectedly_is_reported_and_r_works_again(
    app: KetareadApp, settle: Settle, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def broken_refresh(*args: object, **kwargs: object) -> object:
        calls.append(1)
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(refresh_module, "refresh", broken_refresh)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert any("Refresh failed" in m for m in messages(app))
        assert app.refreshing is False
        await pilot.press("R")
        await settle(pilot)
        assert len(calls) == 2


async def test_a_screen_worker_that_fails_is_reported(
    app: KetareadApp, settle: Settle, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_totals(self: Store) -> dict[str, int]:
        raise RuntimeError("totals exploded")

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        monkeypatch.setattr(Store, "totals", broken_totals)
        app.main_screen.load_sidebar()
        # Not settle(): waiting on a failed worker raises.
        assert await wait_until(pilot, lambda: any("totals exploded" in m for m in messages(app)))


async def test_reads_do_not_wait_for_a_write_that_waits_for_another_process(
    app: KetareadApp, sample_db: Path, settle: Settle
) -> None:
    release = threading.Event()
    locked = threading.Event()

    def other_process_holds_the_write_lock() -> None:
        conn = sqlite3.connect(sample_db, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(20)
        conn.execute("ROLLBACK")
        conn.close()

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        store = app.store
        assert store is not None
        first = store.article_ids()[0]
        holder = threading.Thread(target=other_process_holds_the_write_lock)
        holder.start()
        assert locked.wait(5)
        # This app's own write now waits (busy timeout) for the other process's lock.
        writer = threading.Thread(target=store.toggle, args=(first, "starred"))
        writer.start()
        try:
            time.sleep(0.2)
            assert writer.is_alive()
            rows = store.rows(store.article_ids()[:50])
            # The read came back while our write was still waiting: it did not queue
            # behind it (it used to, freezing the screen for the whole busy timeout).
            assert rows and writer.is_alive()
        finally:
            release.set()
            holder.join()
            writer.join()
        assert store.rows([first])[0].starred


async def test_pressing_g_twice_quickly_opens_one_glossary_popup(
    app: KetareadApp, settle: Settle
) -> None:
    from ketaread.screens.glossary import GlossaryModal

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        app.main_screen.show_glossary(None, False)
        app.main_screen.show_glossary(None, False)
        # Not settle(): the first request's worker was cancelled.
        assert await wait_until(pilot, lambda: isinstance(app.screen, GlossaryModal))
        await pilot.pause(0.5)  # room for a second popup, were one coming
        await pilot.pause()
        assert sum(isinstance(s, GlossaryModal) for s in app.screen_stack) == 1


async def test_at_80_columns_the_sidebar_sits_beside_the_article_until_a_filter_is_chosen(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        reader = screen.query_one("#reader")
        assert not screen.sidebar.display and reader.display
        await pilot.press("t")
        await pilot.pause()
        assert screen.sidebar.display and screen.sidebar.has_focus
        # All three panes side by side: the article stays in view while a filter is picked.
        assert reader.region.width >= 28
        assert screen.sidebar.region.right <= screen.article_list.region.x
        assert screen.article_list.region.right <= reader.region.x
        await pilot.press("down", "enter")  # Unread
        await settle(pilot)
        assert screen.sub_title == "Unread"
        assert not screen.sidebar.display
        assert reader.region.width > 0 and screen.article_list.has_focus


async def test_at_80_columns_l_picks_like_t_and_opening_an_article_closes_the_sidebar(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        reader = screen.query_one("#reader")
        await pilot.press("l")
        await pilot.pause()
        assert screen.sidebar.display and reader.region.width >= 28
        await pilot.press("a", "enter")  # open from the list while picking
        await settle(pilot)
        assert screen.detail is not None
        assert not screen.sidebar.display and reader.region.width > 0
        await pilot.press("t")
        await pilot.pause()
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        assert reader.region.width > 0  # wide again: the article is back beside the sidebar


def _refresh_lock_frees_up(database: Path, within: float) -> bool:
    """Whether the cache's refresh lock can be taken before `within` seconds pass."""
    deadline = time.monotonic() + within
    with open(f"{database}.refresh-lock", "a+") as handle:
        while time.monotonic() < deadline:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                time.sleep(0.05)
                continue
            fcntl.flock(handle, fcntl.LOCK_UN)
            return True
    return False


async def test_quitting_during_a_refresh_stops_it_instead_of_waiting_for_a_slow_server(
    sample_db: Path, tmp_config: Path, server: HTTPServer
) -> None:
    asked = threading.Event()
    answer = threading.Event()
    answered = threading.Event()

    def slow(request: Request) -> Response:
        asked.set()
        answer.wait(30)  # a server that takes its time: the fetch would wait for it
        answered.set()
        return Response("<rss/>", content_type="application/rss+xml")

    server.expect_request("/slow").respond_with_handler(slow)
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text(f'[[source]]\nlocation = "{server.url_for("/slow")}"\n')
    app = make_app(db=sample_db, config=tmp_config)  # online: it refreshes after start-up
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert await asyncio.to_thread(asked.wait, 10)
            assert app.refreshing
            await pilot.press("q")
        # The refresh has let go of the cache while the server still holds its answer.
        assert await asyncio.to_thread(_refresh_lock_frees_up, sample_db, 10)
        assert not answered.is_set()
    finally:
        answer.set()
