"""Regression guard for a 400,000-article cache: query plans, not time.

The cache is generated directly in SQLite (recursive CTEs, seconds) rather than through
`Store.store_feed` (minutes), with its search index as a refresh leaves it (so the reader
has nothing to index at start) and its kept counts made by the Store's own triggers. The
SQL under test is not copied by hand: it is captured with a trace callback while the real
reader starts, switches to a tag and pages the list, and each SELECT is then run through
`EXPLAIN QUERY PLAN` on the same cache. No statement may walk the `articles` or `bodies`
tables themselves, nor sort articles in a temporary b-tree (a sort of every matching
row); and up to the first frame and through a tag switch and a page, none may walk a
whole index either, nor return more rows than a window of the list: the list's length
and the sidebar's counts come from the kept counts, its ids a window at a time.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from ketaread.cli import make_app
from ketaread.core.search import INDEX_VERSION
from ketaread.core.store import ArticleFilter, Store
from ketaread.screens.main import MainScreen
from ketaread.widgets.article_list import ID_WINDOW, ArticleList

FEEDS = 400
PER_FEED = 1_000
TOTAL = FEEDS * PER_FEED
TAGS = 40


def build_archive(database: Path, feeds: int = FEEDS, per_feed: int = PER_FEED) -> None:
    """Fill a new cache with feeds × per_feed articles, short bodies and two tags each."""
    Store(database).close()  # the real schema, migrations and extra tables
    total = feeds * per_feed
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute(
            "INSERT INTO feeds (id, source, location, title) "
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "SELECT i, '/archive', '/archive/feed-' || i || '.xml', 'Feed ' || i FROM n",
            (feeds,),
        )
        conn.execute(
            "INSERT INTO tags (id, key, name) "
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "SELECT i, 'topic ' || i, 'Topic ' || i FROM n",
            (TAGS,),
        )
        # Article i belongs to feed i / per_feed + 1; dates interleave the feeds.
        conn.execute(
            "INSERT INTO articles (id, key, feed_id, uid, title, link, author, published, "
            "sort_key, content_hash, read, starred) "
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "SELECT i, printf('%012x', i), (i - 1) / ? + 1, 'u' || i, "
            "'Article ' || i || ': NMDA receptor antagonism and synaptic plasticity', "
            "'https://example.org/' || i, 'Author', 1.6e9 + i * 60, 1.6e9 + i * 60, 'h', "
            "i % 3 = 0, i % 97 = 0 FROM n",
            (total, per_feed),
        )
        conn.execute(
            "INSERT INTO bodies (article_id, html) SELECT id, "
            "'<p>Glutamate surge, BDNF release and mTOR signalling.</p>' FROM articles"
        )
        conn.execute(
            "INSERT INTO article_tags (article_id, tag_id, spelling, read, sort_key) "
            "SELECT id, (feed_id % ?) + 1, 'Topic', read, sort_key FROM articles "
            "UNION ALL SELECT id, ?, 'Ketamine', read, sort_key FROM articles "
            "WHERE (feed_id % ?) + 1 != ?",
            (TAGS, TAGS, TAGS, TAGS),
        )
        # The search index as a refresh writes it (every article indexed by this version):
        # one body for all, so its words are the same as `document_for` gives each.
        conn.execute(
            "INSERT INTO search (rowid, title, summary, body, refs, author, feed, tags) "
            "SELECT a.id, a.title, 'Glutamate surge, BDNF release and mTOR signalling.', '', "
            "'', a.author, f.title, 'Topic' FROM articles a JOIN feeds f ON f.id = a.feed_id"
        )
        conn.execute(
            "INSERT INTO search_state (article_id, version) SELECT id, ? FROM articles",
            (INDEX_VERSION,),
        )
        conn.execute("ANALYZE")


@pytest.fixture(scope="session")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 400,000-article cache, built once per test session."""
    database = tmp_path_factory.mktemp("archive") / "cache.db"
    build_archive(database)
    return database


@pytest.fixture
def traced_sql(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL statement any Store connection runs from now on (parameters expanded)."""
    statements: list[str] = []
    original = Store._connect

    def connect(self: Store) -> sqlite3.Connection:
        conn = original(self)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(Store, "_connect", connect)
    return statements


TABLE_WALK = re.compile(r"^SCAN (articles|bodies|a|b)\b(?!.*USING (COVERING )?INDEX)")
# A sort is unbounded when it orders articles (the feed list sorts 400 feeds: fine).
ARTICLE_ORDER = re.compile(r"ORDER BY[^()]*\b(a\.\w+|sort_key|published)\b[^()]*$")


def unbounded_steps(database: Path, statements: list[str]) -> list[tuple[str, str]]:
    """(statement, plan step) for every step that walks articles/bodies or sorts them."""
    bad: list[tuple[str, str]] = []
    with sqlite3.connect(database) as conn:
        for statement in dict.fromkeys(statements):
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            for row in conn.execute("EXPLAIN QUERY PLAN " + statement):
                step = row[-1]
                if TABLE_WALK.search(step) or (
                    "USE TEMP B-TREE FOR ORDER BY" in step and ARTICLE_ORDER.search(statement)
                ):
                    bad.append((statement, step))
    return bad


def reader_selects(statements: list[str]) -> list[str]:
    """The SELECTs among traced statements (PRAGMAs and transactions left out)."""
    return [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]


INDEX_WALK = re.compile(r"^SCAN (articles|article_tags|a|at)\b")
"""A walk along an index of articles or their tags (a SEARCH reads a range of one: the
position of the article the cursor stays on counts the index entries before it)."""


def unbounded_reads(database: Path, statements: list[str]) -> list[tuple[str, str]]:
    """(statement, why) for every statement that walks a whole index of articles or tags,
    or returns more rows than one window of the list."""
    bad: list[tuple[str, str]] = []
    with sqlite3.connect(database) as conn:
        for statement in dict.fromkeys(statements):
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            for row in conn.execute("EXPLAIN QUERY PLAN " + statement):
                # Along an index in its order, a LIMIT stops the walk: a window of the list.
                if INDEX_WALK.search(row[-1]) and " LIMIT " not in statement:
                    bad.append((statement, row[-1]))
            returned = len(conn.execute(statement).fetchall())
            if returned > ID_WINDOW:
                bad.append((statement, f"{returned} rows"))
    return bad


@pytest.mark.slow
def test_the_guard_sees_a_full_scan(archive: Path) -> None:
    """The check itself: a query that walks the table is reported, an indexed one is not."""
    assert unbounded_steps(archive, ["SELECT id FROM articles WHERE title LIKE '%NMDA%'"])
    assert unbounded_steps(archive, ["SELECT a.id FROM articles a ORDER BY a.published LIMIT 5"])
    assert not unbounded_steps(
        archive, ["SELECT id FROM articles ORDER BY sort_key DESC, id DESC LIMIT 50"]
    )


@pytest.mark.slow
def test_the_guard_sees_a_walk_of_a_whole_index_and_a_long_result(archive: Path) -> None:
    """The stricter check: every id of the archive, or a count over all of it, is reported;
    a window of ids and a count kept per feed are not."""
    assert unbounded_reads(archive, ["SELECT id FROM articles ORDER BY sort_key DESC, id DESC"])
    assert unbounded_reads(archive, ["SELECT COUNT(*) FROM articles"])
    assert unbounded_reads(archive, ["SELECT tag_id, COUNT(*) FROM article_tags GROUP BY tag_id"])
    assert not unbounded_reads(
        archive, ["SELECT id FROM articles ORDER BY sort_key DESC, id DESC LIMIT 1000"]
    )
    assert not unbounded_reads(archive, ["SELECT SUM(unread) FROM feed_counts"])


@pytest.mark.slow
async def test_first_frame_tag_switch_and_paging_use_only_indexed_queries(
    archive: Path, traced_sql: list[str], tmp_path: Path
) -> None:
    app = make_app(db=archive, config=tmp_path / "none.toml", offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        article_list = screen.query_one(ArticleList)
        assert len(article_list.ids) == TOTAL
        start = reader_selects(traced_sql)
        assert any("FROM articles" in s for s in start), start
        # Nothing to index: bodies are not read at all.
        assert not [s for s in start if "bodies" in s]
        assert unbounded_steps(archive, start) == []
        # Up to the first frame and the list's reload after it: bounded reads only (the
        # sidebar's and the search index's own counts come later, in workers of their own).
        # Bounded reads only: the list's length and the sidebar's counts are kept counts,
        # its ids come a window at a time (the search index's own check counts its table).
        assert unbounded_reads(archive, start) == []

        traced_sql.clear()
        screen.load_articles(ArticleFilter("tag", TAGS))  # the tag every feed but 10 has
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.article_filter == ArticleFilter("tag", TAGS)
        article_list.focus()
        for _ in range(20):
            await pilot.press("pagedown")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert article_list.cursor > 500
        switch_and_page = reader_selects(traced_sql)
        assert any("article_tags" in s for s in switch_and_page), switch_and_page
        assert any("a.id IN (" in s for s in switch_and_page), switch_and_page  # a page
        assert unbounded_steps(archive, switch_and_page) == []
        assert unbounded_reads(archive, switch_and_page) == []

        traced_sql.clear()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        opening = reader_selects(traced_sql)
        assert any("bodies" in s for s in opening), opening
        assert unbounded_steps(archive, opening) == []
