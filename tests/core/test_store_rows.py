"""A feed's new articles go into the cache many rows a statement, and every row lands."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ketaread.core.models import Enclosure, ParsedArticle, ParsedFeed
from ketaread.core.store import Store, insert_rows


def big_feed(location: str, count: int) -> ParsedFeed:
    """`count` articles, each with two feed tags (one spelt two ways) and an enclosure."""
    feed = ParsedFeed(location=location, title=f"Feed at {location}")
    feed.articles = [
        ParsedArticle(
            uid=f"{location}#{n}",
            title=f"Ketamine and the NMDA receptor, part {n} of a long series " * 2,
            link=f"{location}/{n}",
            published=1_700_000_000.0 - n * 60 if n % 7 else None,
            html=f"<p>Article {n}: glutamate, BDNF and synaptogenesis.</p>",
            tags=["Neuroscience", "nmda receptors" if n % 2 else "NMDA Receptors"],
            enclosures=[Enclosure(url=f"{location}/{n}.mp3", type="audio/mpeg", length=n)],
        )
        for n in range(count)
    ]
    return feed


def test_a_feeds_new_articles_go_in_a_few_statements(tmp_db: Path) -> None:
    """300 new articles: a handful of INSERT statements per table, not one per article,
    and every article, body, enclosure and tag row stored with consistent counts."""
    store = Store(tmp_db)
    try:
        statements: list[str] = []
        store._conn.set_trace_callback(statements.append)
        result = store.store_feed("local", big_feed("http://127.0.0.1/a", 300), user_tags=["KAP"])
        store._conn.set_trace_callback(None)
        assert result.new == 300
        for table in ("articles", "bodies", "enclosures", "article_tags"):
            # Distinct: SQLite reports a statement again at each trigger it fires.
            inserts = {s for s in statements if s.startswith(f"INSERT INTO {table} ")}
            assert 0 < len(inserts) <= 30, (table, len(inserts))
        rows = store.query(
            "SELECT a.id, a.uid, b.html, e.url, "
            "(SELECT group_concat(t.name || '/' || at.origin, ',') FROM article_tags at "
            " JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id) "
            "FROM articles a JOIN bodies b ON b.article_id = a.id "
            "JOIN enclosures e ON e.article_id = a.id ORDER BY a.id"
        )
        assert [r[1] for r in rows] == [f"http://127.0.0.1/a#{n}" for n in range(300)]
        assert [r[0] for r in rows] == list(range(1, 301))  # feed order, as one by one
        assert all(f"Article {n}:" in r[2] for n, r in enumerate(rows))
        assert all(r[3] == f"http://127.0.0.1/a/{n}.mp3" for n, r in enumerate(rows))
        # Config tags first, then the feed's; the two spellings are one tag.
        assert {r[4].split(",")[0] for r in rows} == {"KAP/user"}
        assert {len(r[4].split(",")) for r in rows} == {3}
        assert store.query("SELECT COUNT(*) FROM tags") == [(3,)]
        # The kept counts agree with the rows.
        assert store.query("SELECT total, unread FROM feed_counts") == [(300, 300)]
        assert sorted(r[0] for r in store.query("SELECT total FROM tag_counts")) == [300] * 3
        assert store.integrity_ok()
    finally:
        store.close()


def test_new_ids_follow_the_largest_one(tmp_db: Path) -> None:
    """After the newest articles are deleted, a new feed's articles take the ids SQLite
    would give (the largest left plus one), in batches as alone, with no collision."""
    store = Store(tmp_db)
    try:
        store.store_feed("local", big_feed("http://127.0.0.1/a", 20))
        store.delete_articles([3, 19, 20])
        with store.batch():
            store.store_feed("local", big_feed("http://127.0.0.1/b", 5))
            store.store_feed("local", big_feed("http://127.0.0.1/c", 5))
        ids = store.query(
            "SELECT a.id FROM articles a JOIN feeds f ON f.id = a.feed_id "
            "WHERE f.location != 'http://127.0.0.1/a' ORDER BY a.id"
        )
        assert [r[0] for r in ids] == list(range(19, 29))
        assert store.query("SELECT COUNT(*) FROM search_state") == [(27,)]
    finally:
        store.close()


def test_insert_rows_splits_at_the_parameter_limit(tmp_path: Path) -> None:
    """Rows past 999 parameters go in several statements, all of them, in order."""
    conn = sqlite3.connect(tmp_path / "t.db")
    conn.execute("CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT, c REAL)")
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    rows = [(n, f"row {n}", n / 2) for n in range(1000)]
    insert_rows(conn, "INSERT INTO t (a, b, c) VALUES ", rows)
    assert len([s for s in statements if s.startswith("INSERT")]) == 4  # 333 rows a statement
    assert conn.execute("SELECT a, b, c FROM t ORDER BY a").fetchall() == rows
    insert_rows(conn, "INSERT INTO t (a, b, c) VALUES ", [(5, "x", 0.0)], " ON CONFLICT DO NOTHING")
    assert conn.execute("SELECT b FROM t WHERE a = 5").fetchone() == ("row 5",)
    conn.close()
