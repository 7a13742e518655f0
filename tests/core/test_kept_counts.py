"""Counts kept per feed and per tag, and the list's windows of ids, against the articles.

Every check compares with what a plain query over the articles says: the kept counts after
each kind of write (refresh, re-tagging, read/star changes, deletion, retention, removing a
source, a sync's direct SQL), and `article_ids(limit, offset)` / `position` / `count` with the
full ordered list, for every filter and order the reader has.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ketaread.core import cache_file
from ketaread.core.models import ParsedArticle, ParsedFeed
from ketaread.core.store import _ORDER_BY, SORT_ORDERS, ArticleFilter, Store


def article(uid: str, published: float | None, tags: list[str]) -> ParsedArticle:
    """A parsed article (undated when `published` is None)."""
    return ParsedArticle(
        uid=uid,
        title=f"Title {uid}",
        link=f"https://example.org/{uid}",
        author="Author",
        published=published,
        tags=tags,
        html=f"<p>Body of {uid}</p>",
        base_url="https://example.org/",
    )


TAGS = ["NMDA", "BDNF", "mTOR", "Esketamine", "Psychedelics"]


def fill(store: Store, feeds: int = 4, per_feed: int = 60) -> None:
    """Feeds whose articles carry zero to three tags; equal dates so ties need the id."""
    for f in range(feeds):
        articles = [
            article(
                f"{f}-{n}",
                None if n % 17 == 0 else 1_700_000_000.0 + (n // 2) * 3600 + f,
                [TAGS[(n + k) % len(TAGS)] for k in range((n + f) % 4)],
            )
            for n in range(per_feed)
        ]
        parsed = ParsedFeed(location=f"/feeds/{f}.xml", title=f"Feed {'DCBA'[f % 4]}{f}")
        parsed.articles = articles
        store.store_feed(f"/feeds/{f}.xml", parsed, user_tags=["Mine"] if f == 1 else [])


def counted(store: Store) -> tuple[dict, dict, dict]:
    """Feed counts, tag counts and totals worked out from the articles themselves."""
    rows = store.select
    feeds = {
        r[0]: (r[1], r[2], r[3])
        for r in rows(
            "SELECT feed_id, COUNT(*), SUM(read = 0), SUM(starred != 0) FROM articles "
            "GROUP BY feed_id"
        )
    }
    tags = {
        r[0]: (r[1], r[2], r[3])
        for r in rows(
            "SELECT at.tag_id, COUNT(*), SUM(a.read = 0), SUM(a.starred != 0) FROM article_tags "
            "at JOIN articles a ON a.id = at.article_id GROUP BY at.tag_id"
        )
    }
    all_, unread, starred = rows(
        "SELECT COUNT(*), COALESCE(SUM(read = 0), 0), COALESCE(SUM(starred != 0), 0) FROM articles"
    )[0]
    return feeds, tags, {"all": all_, "unread": unread, "starred": starred}


def assert_counts_match(store: Store) -> None:
    """Kept counts (and everything read from them) equal the counted ones."""
    feeds, tags, totals = counted(store)
    kept_feeds = {
        r[0]: (r[1], r[2], r[3])
        for r in store.select("SELECT feed_id, total, unread, starred FROM feed_counts")
        if r[1]
    }
    kept_tags = {
        r[0]: (r[1], r[2], r[3])
        for r in store.select("SELECT tag_id, total, unread, starred FROM tag_counts")
        if r[1]
    }
    assert kept_feeds == feeds
    assert kept_tags == tags
    assert store.totals() == totals
    assert {t.id: (t.total, t.unread) for t in store.tags()} == {k: v[:2] for k, v in tags.items()}
    assert {f.id: (f.total, f.unread) for f in store.feeds() if f.total} == {
        k: v[:2] for k, v in feeds.items()
    }


@pytest.fixture
def store(tmp_db: Path) -> Store:
    """A cache with 240 articles in four feeds."""
    opened = Store(tmp_db)
    fill(opened)
    yield opened
    opened.close()


def test_counts_follow_every_kind_of_write(store: Store, tmp_db: Path) -> None:
    assert store.kept_counts
    assert_counts_match(store)
    ids = store.article_ids()
    store.set_state(ids[:50], "read", True)
    store.set_state(ids[10:30], "starred", True)
    store.toggle(ids[60], "read")
    store.toggle(ids[15], "starred")
    store.mark_read(ids[61])
    store.set_read(ids[:5], False)
    store.set_starred(ids[70], True)
    assert_counts_match(store)
    # A refresh that changes an article's tags (and one article of another feed).
    parsed = ParsedFeed(location="/feeds/0.xml", title="Feed D0")
    parsed.articles = [article("0-3", 1_700_000_000.0, ["Ketamine", "nmda"])]
    store.store_feed("/feeds/0.xml", parsed)
    assert_counts_match(store)
    # Deleting starred, tagged articles; retention; a source removed with all it had.
    store.delete_articles(ids[10:20])
    assert_counts_match(store)
    store.apply_retention({}, (0, 20))
    assert_counts_match(store)
    store.remove_source("/feeds/2.xml")
    assert_counts_match(store)
    # A sync writes read/starred state straight into the tables.
    with store.transaction() as conn:
        conn.execute("UPDATE articles SET starred = 1 WHERE id % 3 = 0")
        conn.execute("UPDATE articles SET read = 1 - read WHERE id % 5 = 0")
        conn.execute(
            "UPDATE article_tags SET read = (SELECT read FROM articles WHERE id = article_id)"
        )
    assert_counts_match(store)


def test_an_older_cache_gets_its_counts_made_when_opened(tmp_db: Path) -> None:
    store = Store(tmp_db)
    fill(store)
    store.set_state(store.article_ids()[:30], "starred", True)
    expected = counted(store)
    store.close()
    with sqlite3.connect(tmp_db) as conn:  # as a cache from before the kept counts
        for name in ("counts_article_added", "counts_tag_added", "counts_tag_read"):
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("DROP TABLE feed_counts")
        conn.execute("DROP TABLE tag_counts")
    reopened = Store(tmp_db)
    assert reopened.kept_counts
    assert counted(reopened) == expected
    assert_counts_match(reopened)
    fill(reopened, feeds=6, per_feed=10)  # triggers made again: new articles counted
    assert_counts_match(reopened)
    reopened.close()


def test_count_tables_without_their_triggers_get_them_back(tmp_db: Path) -> None:
    """A recovery copies the count tables but not their triggers; the check looked at the
    tables only, so the counts went stale for good (found in review)."""
    store = Store(tmp_db)
    fill(store)
    store.close()
    with sqlite3.connect(tmp_db) as conn:
        for name in ("counts_article_added", "counts_tag_added"):
            conn.execute(f"DROP TRIGGER {name}")
    reopened = Store(tmp_db)
    fill(reopened, feeds=6, per_feed=10)
    assert_counts_match(reopened)
    reopened.close()


def test_a_read_only_older_cache_counts_from_the_articles(
    tmp_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_db)
    fill(store)
    totals, tags = store.totals(), store.tags()
    store.close()
    with sqlite3.connect(tmp_db) as conn:
        conn.execute("DROP TABLE feed_counts")
        conn.execute("DROP TABLE tag_counts")
    # As for a read-only file or folder (chmod does not stop root, who runs the tests here).
    monkeypatch.setattr(cache_file, "can_write", lambda path: False)
    read_only = Store(tmp_db)
    assert read_only.read_only and not read_only.kept_counts
    assert read_only.totals() == totals
    assert read_only.tags() == tags
    assert read_only.count(ArticleFilter("tag", tags[0].id)) == tags[0].total
    read_only.close()


FILTERS = [
    ArticleFilter(),
    ArticleFilter("unread"),
    ArticleFilter("starred"),
    ArticleFilter("feed", 2),
    ArticleFilter(unread_only=True),
    ArticleFilter("feed", 3, unread_only=True),
    ArticleFilter("starred", unread_only=True),
]


@pytest.mark.parametrize("order", SORT_ORDERS)
def test_windows_positions_and_counts_agree_with_the_whole_list(store: Store, order: str) -> None:
    ids = store.article_ids()
    store.set_state(ids[::3], "read", True)
    store.set_state(ids[::7], "starred", True)
    tag_filters = [
        ArticleFilter("tag", tag.id, unread_only=hide, starred_only=starred)
        for tag in store.tags()
        for hide, starred in ((False, False), (True, False), (False, True))
    ]
    for base in [*FILTERS, *tag_filters]:
        article_filter = base._replace(order=order)
        # The whole list as a plain query has it: the filter's WHERE and ORDER BY.
        where, params = article_filter.where()
        whole = [
            r[0]
            for r in store.select(
                f"SELECT a.id FROM articles a WHERE {where} ORDER BY {_ORDER_BY[order]}", params
            )
        ]
        assert store.article_ids(article_filter) == whole, article_filter
        assert store.count(article_filter) == len(whole), article_filter
        for offset in (0, 1, 7, len(whole) - 3, len(whole)):
            window = store.article_ids(article_filter, limit=5, offset=max(offset, 0))
            assert window == whole[max(offset, 0) : max(offset, 0) + 5], (article_filter, offset)
        for index, article_id in enumerate(whole):
            assert store.position(article_filter, article_id) == index, (article_filter, index)
        outside = set(ids) - set(whole)
        for article_id in list(outside)[:5]:
            assert store.position(article_filter, article_id) is None


def walked_next_unread(
    whole: list[int], unread: set[int], start: int, backwards: bool
) -> tuple[int | None, bool]:
    """The next unread article the reader's row-by-row walk finds, and whether it wrapped."""
    step = -1 if backwards else 1
    for distance in range(1, len(whole) + 1):
        index = (start + step * distance) % len(whole)
        if whole[index] in unread:
            return whole[index], (index < start if step > 0 else index > start)
    return None, True


@pytest.mark.parametrize("order", [o for o in SORT_ORDERS if o != "feed"])
def test_next_unread_by_keys_finds_what_walking_the_list_finds(store: Store, order: str) -> None:
    """`n`/`p` look for the next unread article with the order's keys instead of walking
    the rows: for every filter, both directions, from every row, the same article."""
    ids = store.article_ids()
    store.set_state(ids, "read", True)
    store.set_state(ids[5::23] + ids[11::37], "read", False)
    store.set_state(ids[::7], "starred", True)
    unread = set(store.article_ids(ArticleFilter("unread")))
    tag_filters = [ArticleFilter("tag", tag.id) for tag in store.tags()]
    for base in [*FILTERS, *tag_filters]:
        article_filter = base._replace(order=order)
        whole = store.article_ids(article_filter)
        for start, article_id in enumerate(whole):
            for backwards in (False, True):
                found = store.next_unread(article_filter, article_id, backwards)
                expected = walked_next_unread(whole, unread, start, backwards)
                assert found == expected, (article_filter, start, backwards)
    assert store.next_unread(ArticleFilter(order="feed"), ids[0]) is None
    newest = max(unread)
    older = store.next_unread(ArticleFilter(), ids[0], newest=newest - 1)
    assert older is not None and older[0] != newest
