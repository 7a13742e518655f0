"""The cache's part in the daily routine: sort orders, hide read, delete, reader state."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "ui"))
from big_cache import FEEDS, feed_xml, write_feeds

from ketaread.core.refresh import SourceSpec, refresh
from ketaread.core.store import ArticleFilter, Store


@pytest.fixture
def feeds(tmp_path: Path) -> list[Path]:
    """Four feeds of 20 articles each."""
    return write_feeds(tmp_path / "feeds", per_feed=20)


@pytest.fixture
def store(feeds: list[Path], tmp_db: Path) -> Store:
    """A cache refreshed from `feeds`."""
    opened = Store(tmp_db)
    refresh(opened, [SourceSpec(str(path)) for path in feeds])
    yield opened
    opened.close()


def _published(store: Store, ids: list[int]) -> list[float]:
    return [row.published for row in store.rows(ids)]


def test_newest_and_oldest_orders(store: Store) -> None:
    newest = store.article_ids(ArticleFilter(order="newest"))
    oldest = store.article_ids(ArticleFilter(order="oldest"))
    assert len(newest) == 80
    assert oldest == newest[::-1]
    assert _published(store, newest) == sorted(_published(store, newest), reverse=True)


def test_feed_order_groups_by_feed_title_newest_first_within(store: Store) -> None:
    ids = store.article_ids(ArticleFilter(order="feed"))
    rows = store.rows(ids)
    titles = [row.feed_title for row in rows]
    assert titles == sorted(titles, key=str.casefold)
    assert titles[0] == sorted((name for name, _ in FEEDS), key=str.casefold)[0]
    first_feed = [row.published for row in rows if row.feed_title == titles[0]]
    assert first_feed == sorted(first_feed, reverse=True)


def test_unread_first_order_and_tag_filters_keep_the_order(store: Store) -> None:
    ids = store.article_ids()
    store.set_state(ids[:5], "read", True)
    ordered = store.article_ids(ArticleFilter(order="unread"))
    assert ordered[-5:] == ids[:5]
    tag = store.tags()[0]
    by_tag = store.article_ids(ArticleFilter("tag", tag.id, order="oldest"))
    assert _published(store, by_tag) == sorted(_published(store, by_tag))


def test_hide_read_is_the_unread_only_filter_and_counts_stay(store: Store) -> None:
    ids = store.article_ids()
    store.set_state(ids[:3], "read", True)
    assert store.article_ids(ArticleFilter(unread_only=True)) == ids[3:]
    assert store.totals()["unread"] == 77


def test_set_state_reports_only_what_changed(store: Store) -> None:
    ids = store.article_ids()[:4]
    first = store.set_state(ids[:2], "read", True)
    assert [after.id for _, after in first] == ids[:2]
    assert all(not before.read and after.read for before, after in first)
    again = store.set_state(ids, "read", True)
    assert [after.id for _, after in again] == ids[2:]
    starred = store.set_state(ids[:1], "starred", True)
    assert starred[0][1].starred and store.rows(ids[:1])[0].starred
    tag_unread = sum(t.unread for t in store.tags())
    store.set_state(ids, "read", False)
    assert sum(t.unread for t in store.tags()) > tag_unread


def test_deleted_articles_stay_deleted_after_a_refresh(store: Store, feeds: list[Path]) -> None:
    ids = store.article_ids()
    doomed = store.rows(ids[:3])
    gone = store.delete_articles([row.id for row in doomed])
    assert [row.id for row in gone] == [row.id for row in doomed]
    assert store.totals()["all"] == 77
    assert sum(f.total for f in store.feeds()) == 77
    # The feeds change (new items, and every old item updated): deleted ones stay away.
    for feed, path in enumerate(feeds):
        path.write_text(feed_xml(feed, 22, first=-2).replace("BDNF", "BDNF!"), encoding="utf-8")
    summary = refresh(store, [SourceSpec(str(path)) for path in feeds])
    assert not summary.all_failed
    titles = {row.title for row in store.rows(store.article_ids())}
    assert not titles & {row.title for row in doomed}
    assert store.totals()["all"] == 77 + 8


def test_reader_state_survives_reopening(tmp_db: Path, store: Store) -> None:
    assert store.reader_state("position") is None
    store.set_reader_state("position", "one")
    store.set_reader_state("position", "two")
    store.close()
    reopened = Store(tmp_db)
    try:
        assert reopened.reader_state("position") == "two"
    finally:
        reopened.close()


def test_a_version_two_cache_is_migrated_and_keeps_its_articles(
    tmp_path: Path, feeds: list[Path]
) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    store = Store(path)
    refresh(store, [SourceSpec(str(feeds[0]))])
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE deleted_articles")
    conn.execute("DROP TABLE reader_state")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    store = Store(path)
    try:
        assert store.totals()["all"] == 20
        store.delete_articles(store.article_ids()[:1])
        assert store.totals()["all"] == 19
    finally:
        store.close()
