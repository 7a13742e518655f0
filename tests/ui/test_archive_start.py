"""An upgraded cache at start: its search index is built in the background, waiting while
the user presses keys; the list and sidebar counts come from the counts the cache keeps."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from ui_support import Settle

from ketaread.cli import make_app
from ketaread.core.search import index_status
from ketaread.core.store import ArticleFilter
from ketaread.screens import search as search_screen
from ketaread.screens.main import MainScreen

SIZE = (120, 40)


async def test_indexing_an_older_cache_waits_while_the_user_acts(
    big_db: Path, tmp_config: Path, settle: Settle, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sqlite3.connect(big_db) as conn:  # a cache from before search
        conn.execute("DELETE FROM search_state")
        conn.execute("DELETE FROM search")
    # As if a key had just been pressed, and went on being pressed.
    monkeypatch.setattr(search_screen.SearchScreen, "_last_key", float("inf"))
    app = make_app(db=big_db, config=tmp_config, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.8)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        store = screen.store
        assert store is not None
        assert index_status(store).indexed == 0  # not one batch while the user acts
        await pilot.press("j", "j")  # keys still work meanwhile
        assert screen.article_list.cursor == 2
        screen._last_key = time.monotonic() - search_screen.INDEX_QUIET  # the user stopped
        await settle(pilot)
        assert index_status(store).complete


async def test_the_list_and_sidebar_counts_come_from_the_kept_counts(
    big_db: Path, tmp_config: Path, settle: Settle
) -> None:
    """Marking read moves the counts the cache keeps, and the screen shows those."""
    app = make_app(db=big_db, config=tmp_config, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        store = screen.store
        assert store is not None and store.kept_counts
        data = screen.sidebar_data
        assert data is not None
        tag = data.tags[0]
        screen.choose_filter(f"tag:{tag.id}")
        await settle(pilot)
        assert len(screen.article_list.ids) == tag.total
        await pilot.press("A")  # mark all read
        await settle(pilot)
        kept = {t.id: t for t in store.tags()}[tag.id]
        assert kept.unread == 0 and kept.total == tag.total
        assert store.count(ArticleFilter("tag", tag.id, unread_only=True)) == 0
        assert {t.id: t.unread for t in screen.sidebar_data.tags}[tag.id] == 0
