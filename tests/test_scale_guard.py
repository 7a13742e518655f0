"""Regression guard for large caches: structure, not time.

With 40,000 cached articles the reading screen must build a bounded number of widgets
(no widget per article), keep a bounded number of rows in memory while paging, and open
without any query that reads article bodies.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from ketaread.cli import make_app
from ketaread.core.models import ParsedArticle, ParsedFeed
from ketaread.core.store import Store
from ketaread.screens.main import MainScreen
from ketaread.widgets.article_list import MAX_CACHED_PAGES, PAGE_SIZE, ArticleList

FEEDS = 400
PER_FEED = 100
TOTAL = FEEDS * PER_FEED


@pytest.fixture(scope="module")
def big_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache of 40,000 articles across 400 feeds and a few dozen tags."""
    database = tmp_path_factory.mktemp("scale") / "cache.db"
    store = Store(database)
    for feed in range(FEEDS):
        articles = [
            ParsedArticle(
                uid=f"{feed}-{n}",
                title=f"Article {n} of feed {feed} on NMDA receptors",
                link=f"https://feed{feed}.example.org/{n}",
                author="Author",
                published=1_700_000_000.0 + feed * 1000 + n,
                tags=[f"Topic {feed % 40}", "Ketamine Therapy"],
                html=f"<p>Body {n} of feed {feed}. Glutamate and BDNF.</p>",
            )
            for n in range(PER_FEED)
        ]
        store.store_feed(
            "/synthetic",
            ParsedFeed(
                location=f"/synthetic/feed-{feed}.xml", title=f"Feed {feed}", articles=articles
            ),
        )
    store.close()
    return database


@pytest.fixture
def traced_sql(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL statement any Store connection runs from now on."""
    statements: list[str] = []
    original = Store._connect

    def connect(self: Store) -> sqlite3.Connection:
        conn = original(self)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(Store, "_connect", connect)
    return statements


@pytest.mark.slow
async def test_opening_40000_articles_builds_bounded_widgets_and_reads_no_bodies(
    big_cache: Path, traced_sql: list[str], tmp_path: Path
) -> None:
    app = make_app(db=big_cache, config=tmp_path / "none.toml", offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        article_list = screen.query_one(ArticleList)
        assert len(article_list.ids) == TOTAL
        widgets_at_start = len(list(app.screen.walk_children()))
        # The list draws lines itself: no child widget per article.
        assert not list(article_list.walk_children())
        assert widgets_at_start < 200, widgets_at_start
        assert article_list.cached_rows <= PAGE_SIZE * MAX_CACHED_PAGES

        body_queries = [s for s in traced_sql if "bodies" in s]
        assert body_queries == [], body_queries[:3]

        article_list.focus()
        for _ in range(60):
            await pilot.press("pagedown")
        await pilot.pause()
        assert article_list.cursor > 1000
        assert article_list.cached_rows <= PAGE_SIZE * MAX_CACHED_PAGES
        assert len(list(app.screen.walk_children())) == widgets_at_start
        # Paging touches no body but that of an article the cursor rested on, converted
        # ahead of Enter (screens/main.py): read by its id, its rendering kept in its row.
        body_statements = [s for s in traced_sql if "bodies" in s]
        one_row = re.compile(r"WHERE (a\.id|article_id) = \d+( AND |$)")
        assert not [s for s in body_statements if not one_row.search(s)], [
            s for s in body_statements if not one_row.search(s)
        ][:2]
        assert len(body_statements) <= 3 * 60, len(body_statements)  # look, read, keep


@pytest.mark.slow
async def test_opening_one_article_reads_only_that_body(
    big_cache: Path, traced_sql: list[str], tmp_path: Path
) -> None:
    app = make_app(db=big_cache, config=tmp_path / "none.toml", offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        traced_sql.clear()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.detail is not None
        body_queries = [s for s in traced_sql if "bodies" in s]
        assert body_queries, "opening an article must read its body"
        for statement in body_queries:
            assert "article_id =" in statement or "b.article_id = a.id" in statement, statement
            assert f"= {screen.detail.row.id}" in statement, statement
