"""A cache that met the `R`-on-a-server-feed bug loses the stray row it made, and nothing else.

`R` on a server account's feed refreshed "server:home" as a local file: a failing feed
of that location was cached for good (fixed in the app; this cleans caches made before).
The row is made here by the very call the app made then, on a real SQLite file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ketaread.core import cache_file
from ketaread.core.models import ParsedArticle, ParsedFeed
from ketaread.core.refresh import SourceSpec, refresh
from ketaread.core.store import Store
from ketaread.core.sync import state


def _rows(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT id, source, location, title, user_title, error FROM feeds ORDER BY id"
        ).fetchall()


def _cache_with_the_stray_row(db: Path, sample_feeds: Path) -> None:
    store = Store(db)
    try:
        state.ensure_tables(store)
        state.register(store, "home", "greader", "http://127.0.0.1:9/api/greader.php", "me")
        for number in (1, 2):
            feed = ParsedFeed(location=f"server:home/feed/{number}", title=f"Server {number}")
            feed.articles = [
                ParsedArticle(uid=f"{number}{i}", title=f"NMDA notes {i}", html="<p>x</p>")
                for i in range(30)
            ]
            store.store_feed("server:home", feed)
        # A server feed with no articles yet (listed, nothing new): a real row, kept.
        store.store_feed("server:home", ParsedFeed(location="server:home/feed/3", title="Quiet"))
        # A real local source that fails, and one that works.
        refresh(store, [SourceSpec(str(sample_feeds)), SourceSpec("/nonexistent/x.xml")])
        # What the app did on `R`: the account's source read as a file.
        refresh(store, [SourceSpec("server:home")])
        starred = store.article_ids()[:3]
        for article_id in starred:
            store.toggle(article_id, "starred")
    finally:
        store.close()


def test_the_stray_row_goes_at_open_and_nothing_else_changes(
    tmp_db: Path, sample_feeds: Path
) -> None:
    _cache_with_the_stray_row(tmp_db, sample_feeds)
    before = _rows(tmp_db)
    stray = [row for row in before if row[2] == "server:home"]
    assert len(stray) == 1 and stray[0][5], "the old bug's row was not made"
    with sqlite3.connect(tmp_db) as conn:
        articles = conn.execute("SELECT id, feed_id, read, starred FROM articles").fetchall()
    Store(tmp_db).close()
    assert _rows(tmp_db) == [row for row in before if row[2] != "server:home"]
    with sqlite3.connect(tmp_db) as conn:
        assert conn.execute("SELECT id, feed_id, read, starred FROM articles").fetchall() == (
            articles
        )
    store = Store(tmp_db)  # and a second open finds nothing to do
    try:
        assert len(store.feeds()) == len(before) - 1
    finally:
        store.close()


def test_a_read_only_cache_is_not_written(
    tmp_db: Path, sample_feeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cache_with_the_stray_row(tmp_db, sample_feeds)
    before = _rows(tmp_db)
    # As for a read-only file or folder (chmod does not stop root, who runs the tests here).
    monkeypatch.setattr(cache_file, "can_write", lambda path: False)
    store = Store(tmp_db)
    try:
        assert store.read_only
    finally:
        store.close()
    assert _rows(tmp_db) == before
