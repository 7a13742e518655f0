"""Several writes in one transaction (`Store.batch`), and the search index written last.

A refresh stores the feeds that are ready together in one transaction. These tests hold the
batch to its promises on a real cache file: all or nothing (even when the caller swallowed
the failing write's error), nothing left behind by a rolled-back batch (tag ids), other
threads' writes kept out of it, and the index written as one segment per transaction.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing, suppress
from pathlib import Path

import pytest

from ketaread.core import search
from ketaread.core.models import ParsedArticle, ParsedFeed
from ketaread.core.parse import parse_feed
from ketaread.core.refresh import prepare_body
from ketaread.core.store import BatchFailed, Store


def parsed(location: str, count: int, tags: tuple[str, ...] = ("NMDA receptors",)) -> ParsedFeed:
    """A feed of `count` articles of a few hundred words each."""
    body = "<p>" + " ".join(["Ketamine blocks NMDA receptors on interneurons."] * 40) + "</p>"
    articles = [
        ParsedArticle(
            uid=f"{location}#{n}",
            title=f"Glutamate note {n} of {location}",
            link=f"https://example.org{location}/{n}",
            published=1_700_000_000.0 + n,
            tags=list(tags),
            html=body,
        )
        for n in range(count)
    ]
    return ParsedFeed(location=location, title=f"Feed {location}", articles=articles)


def count(db: Path, sql: str) -> int:
    """One number read through a connection of its own, as another process sees the cache."""
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute(sql).fetchone()[0])


@pytest.fixture
def store(tmp_db: Path) -> Store:
    """An empty cache."""
    opened = Store(tmp_db)
    yield opened
    opened.close()


def test_a_batch_commits_its_feeds_together(store: Store, tmp_db: Path) -> None:
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    with store.batch():
        for n in range(5):
            store.store_feed(f"/feeds/{n}.xml", parsed(f"/feeds/{n}.xml", 4))
        # Not yet visible to another connection: one transaction, still open.
        assert count(tmp_db, "SELECT COUNT(*) FROM articles") == 0
    assert count(tmp_db, "SELECT COUNT(*) FROM articles") == 20
    assert statements.count("COMMIT") == 1
    assert search.check_index(store) == []
    assert search.index_status(store).complete


def test_a_failed_write_rolls_back_the_whole_batch_even_when_its_error_was_handled(
    store: Store, tmp_db: Path
) -> None:
    """A refresh reports a feed's write error and goes on; inside a batch that write may
    have left half a feed behind, so the batch must not commit."""
    store.store_feed("/feeds/kept.xml", parsed("/feeds/kept.xml", 2))
    with closing(sqlite3.connect(tmp_db)) as conn, conn:
        conn.execute(
            "CREATE TRIGGER poison BEFORE INSERT ON articles WHEN NEW.title LIKE '%poison%' "
            "BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
        )
    poisoned = parsed("/feeds/poisoned.xml", 3)
    poisoned.articles[1].title = "poison"  # the first article is written before it fails
    with pytest.raises(BatchFailed), store.batch():
        store.store_feed("/feeds/fine.xml", parsed("/feeds/fine.xml", 3))
        with suppress(sqlite3.IntegrityError):  # what refresh does: report it, carry on
            store.store_feed("/feeds/poisoned.xml", poisoned)
    assert count(tmp_db, "SELECT COUNT(*) FROM articles") == 2
    assert count(tmp_db, "SELECT COUNT(*) FROM feeds") == 1
    assert count(tmp_db, "SELECT COUNT(*) FROM search_state") == 2
    # Still usable: the next write is a transaction of its own again.
    store.store_feed("/feeds/fine.xml", parsed("/feeds/fine.xml", 3))
    assert count(tmp_db, "SELECT COUNT(*) FROM articles") == 5


def test_tags_made_by_a_rolled_back_batch_are_not_reused(store: Store, tmp_db: Path) -> None:
    """Tag ids are cached for a transaction; a rolled-back one's ids point at nothing."""
    with pytest.raises(KeyboardInterrupt), store.batch():
        store.store_feed("/feeds/a.xml", parsed("/feeds/a.xml", 2, tags=("Default mode",)))
        raise KeyboardInterrupt  # the reader quits, the process dies: nothing of it stays
    assert count(tmp_db, "SELECT COUNT(*) FROM tags") == 0
    with store.batch():
        store.store_feed("/feeds/b.xml", parsed("/feeds/b.xml", 2, tags=("Default mode",)))
    assert count(tmp_db, "SELECT COUNT(*) FROM tags") == 1
    assert [(t.name, t.total) for t in store.tags()] == [("Default mode", 2)]
    with closing(sqlite3.connect(tmp_db)) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_another_threads_write_waits_for_the_batch_and_is_not_part_of_it(
    store: Store, tmp_db: Path
) -> None:
    store.store_feed("/feeds/a.xml", parsed("/feeds/a.xml", 2))
    first = store.list_articles()[0][0].id
    landed = threading.Event()

    def mark_read() -> None:
        store.set_read([first], True)
        landed.set()

    with pytest.raises(KeyboardInterrupt), store.batch():
        store.store_feed("/feeds/b.xml", parsed("/feeds/b.xml", 2))
        writer = threading.Thread(target=mark_read)
        writer.start()
        time.sleep(0.2)
        assert not landed.is_set(), "another thread wrote inside the batch"
        raise KeyboardInterrupt  # the batch is rolled back; the other write must survive
    writer.join(5)
    assert landed.is_set()
    assert count(tmp_db, f"SELECT read FROM articles WHERE id = {first}") == 1
    assert count(tmp_db, "SELECT COUNT(*) FROM articles") == 2


def test_a_transactions_articles_make_one_index_segment(store: Store, tmp_db: Path) -> None:
    """FTS5 writes out its pending terms at every savepoint; written after the article's
    other rows, twenty articles make one segment instead of one each, merged later."""
    store.store_feed("/feeds/a.xml", parsed("/feeds/a.xml", 20))
    assert count(tmp_db, "SELECT COUNT(DISTINCT segid) FROM search_idx") == 1
    hits = search.search(store, '"interneurons"', limit=50)
    assert len(hits.hits) == 20


def test_the_digest_worked_out_in_the_parse_worker_is_the_stores_own(store: Store) -> None:
    """A feed parsed in a worker carries its articles' content hashes; storing the same
    feed parsed without them must find every article unchanged."""
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Notes</title>'
        + "".join(
            f"<item><guid>g{n}</guid><title>Note {n}</title><category>BDNF</category>"
            f"<description>&lt;p&gt;Glutamate surge {n}.&lt;/p&gt;</description></item>"
            for n in range(5)
        )
        + "</channel></rss>"
    ).encode()
    in_worker = prepare_body(body, "https://example.org/feed", "https://example.org/feed")
    assert isinstance(in_worker, ParsedFeed)
    assert all(a.digest for a in in_worker.articles)
    inline = parse_feed(body, "https://example.org/feed", base_url="https://example.org/feed")
    assert not any(a.digest for a in inline.articles)
    assert store.store_feed("https://example.org/feed", in_worker).new == 5
    again = store.store_feed("https://example.org/feed", inline)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 5)


def test_after_sqlite_rolls_a_batch_back_itself_no_later_write_commits_alone(
    store: Store, tmp_db: Path
) -> None:
    """A full disk makes SQLite roll the whole transaction back on its own; the feeds after
    it then committed statement by statement, outside the batch and unindexed, and the
    redo found them unchanged (found in review). Now nothing of the batch is kept and the
    redo stores and indexes them."""
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages + 40}")
    huge = parsed("/huge", 60)
    for article in huge.articles:
        article.html = "<p>" + "glutamate " * 20_000 + "</p>"
    with pytest.raises(BatchFailed), store.batch():
        for feed in (parsed("/a", 2), huge, parsed("/c", 3)):
            with suppress(sqlite3.Error):
                store.store_feed(feed.location, feed)
    assert count(tmp_db, "SELECT COUNT(*) FROM articles") == 0
    store._conn.execute("PRAGMA max_page_count = 1073741823")
    assert store.store_feed("/c", parsed("/c", 3)).new == 3
    assert count(tmp_db, "SELECT COUNT(*) FROM search") == 3
