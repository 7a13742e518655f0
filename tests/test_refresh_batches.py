"""A remote refresh stores the feeds that are ready together in one transaction.

Against real feeds on 127.0.0.1 and a real cache file: the feeds share commits, every
article is in the search index when its feed is reported, and a feed whose storing fails
fails alone (its batch is redone one feed per transaction), leaving nothing half-stored.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from pytest_httpserver import HTTPServer

from ketaread.core import search
from ketaread.core.refresh import FeedReport, SourceSpec, refresh
from ketaread.core.store import Store
from test_refresh_remote import feed_response, quick, rss, script

FEEDS = 12
"""More than PARSE_POOL_MIN_FEEDS: parsed in worker processes, as a real refresh is."""


def serve_feeds(server: HTTPServer, count: int, poisoned: int | None = None) -> list[str]:
    """`count` feeds of four notes each; in feed `poisoned`, the second note is "poison"."""
    urls = []
    for n in range(count):
        body = rss(f"Feed {n}", [f"f{n}n{i}" for i in range(4)])
        if n == poisoned:
            body = body.replace(f"Feed {n}: note f{n}n1".encode(), b"poison")
        urls.append(script(server, f"/feed{n}.xml", feed_response(body)))
    return urls


def count(db: Path, sql: str, params: tuple[object, ...] = ()) -> int:
    """One number, read through a connection of its own as another process would."""
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute(sql, params).fetchone()[0])


def test_feeds_ready_together_share_transactions_and_are_indexed_when_reported(
    server: HTTPServer, tmp_db: Path
) -> None:
    urls = serve_feeds(server, FEEDS)
    store = Store(tmp_db)
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    indexed_when_reported: list[int] = []

    def report(feed_report: FeedReport) -> None:
        # What the reader does on a report: look, through another connection.
        indexed_when_reported.append(
            count(
                tmp_db,
                "SELECT COUNT(*) FROM search_state s JOIN articles a ON a.id = s.article_id "
                "JOIN feeds f ON f.id = a.feed_id WHERE f.location = ?",
                (feed_report.location,),
            )
        )

    try:
        summary = refresh(
            store, [SourceSpec(url) for url in urls], report=report, fetch_settings=quick()
        )
        assert [r.status for r in summary.reports] == ["updated"] * FEEDS
        assert indexed_when_reported == [4] * FEEDS
        commits = statements.count("COMMIT")
        assert 1 <= commits < FEEDS, f"{commits} commits for {FEEDS} feeds"
        assert count(tmp_db, "SELECT COUNT(*) FROM articles") == 4 * FEEDS
        assert search.check_index(store) == []
        found = search.search(store, '"glutamate surge"', limit=100)
        assert len(found.hits) == 4 * FEEDS
    finally:
        store.close()


def test_a_feed_that_cannot_be_stored_fails_alone_and_leaves_nothing_half_stored(
    server: HTTPServer, tmp_db: Path
) -> None:
    urls = serve_feeds(server, FEEDS, poisoned=5)
    Store(tmp_db).close()
    with closing(sqlite3.connect(tmp_db)) as conn, conn:
        # A write that fails after the feed's first article is in: the disk filling up
        # mid-feed, say. Its error is handled (reported), but the batch holds half a feed.
        conn.execute(
            "CREATE TRIGGER poison BEFORE INSERT ON articles WHEN NEW.title = 'poison' "
            "BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
        )
    store = Store(tmp_db)
    try:
        reports = {
            r.location: r
            for r in refresh(
                store, [SourceSpec(url) for url in urls], fetch_settings=quick()
            ).reports
        }
    finally:
        store.close()
    bad = urls[5]
    assert reports[bad].status == "error" and "poisoned" in reports[bad].message
    assert [reports[u].status for u in urls if u != bad] == ["updated"] * (FEEDS - 1)
    assert count(tmp_db, "SELECT COUNT(*) FROM articles") == 4 * (FEEDS - 1)
    per_feed = (
        "SELECT COUNT(*) FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE f.location = ?"
    )
    assert count(tmp_db, per_feed, (bad,)) == 0, "half of the failed feed was kept"
    # Its validators were not kept either: the next refresh fetches it again.
    assert (
        count(
            tmp_db,
            "SELECT COUNT(*) FROM feeds WHERE location = ? AND body_hash IS NOT NULL",
            (bad,),
        )
        == 0
    )
