"""The SQLite cache: round trips, tag merging, kept state, migrations and refusals."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ketaread.core.models import ParsedArticle, ParsedFeed
from ketaread.core.render import RENDER_VERSION
from ketaread.core.store import (
    SCHEMA_VERSION,
    AmbiguousArticle,
    ArticleFilter,
    ArticleNotFound,
    Store,
    StoreError,
    tag_key,
)


def article(uid: str, **fields: object) -> ParsedArticle:
    """A parsed article with sensible defaults."""
    values: dict[str, object] = {
        "title": f"Title {uid}",
        "link": f"https://example.org/{uid}",
        "author": "Author",
        "published": 1_700_000_000.0,
        "tags": [],
        "html": f"<p>Body of {uid}</p>",
        "base_url": "https://example.org/",
    }
    values.update(fields)
    return ParsedArticle(uid=uid, **values)  # type: ignore[arg-type]


def feed(articles: list[ParsedArticle], location: str = "/feeds/a.xml", **kw: str) -> ParsedFeed:
    """A parsed feed holding `articles`."""
    return ParsedFeed(location=location, title=kw.get("title", "Feed A"), articles=articles)


@pytest.fixture
def store(tmp_db: Path) -> Store:
    """An empty cache."""
    opened = Store(tmp_db)
    yield opened
    opened.close()


def ids_by_uid(store: Store) -> dict[str, int]:
    """Stored article ids keyed by title suffix (the uid used in `article`)."""
    return {row.title.removeprefix("Title "): row.id for row, _ in store.list_articles()}


def test_round_trip_keeps_every_field(store: Store) -> None:
    """What is stored comes back: row fields, tags, body and base URL."""
    parsed = article(
        "a1",
        title="NMDA receptors",
        author="R. Writer",
        published=1_750_000_000.0,
        tags=["Glutamate", "NMDA"],
        html="<h2>References</h2><ol><li>x</li></ol>",
    )
    result = store.store_feed("/feeds", feed([parsed], title="Notes"))
    assert (result.new, result.updated, result.unchanged) == (1, 0, 0)
    [(row, tags)] = store.list_articles()
    assert (row.title, row.link, row.author, row.published) == (
        "NMDA receptors",
        "https://example.org/a1",
        "R. Writer",
        1_750_000_000.0,
    )
    assert row.feed_title == "Notes"
    assert (row.read, row.starred) == (False, False)
    assert tags == ["Glutamate", "NMDA"]
    detail = store.article(store.resolve(row.key))
    assert detail.html == "<h2>References</h2><ol><li>x</li></ol>"
    assert detail.base_url == "https://example.org/"
    assert detail.tags == ["Glutamate", "NMDA"]
    # Converted on first open, never when stored.
    assert store.rendering(detail.row.id, RENDER_VERSION) is None


def test_data_survives_closing_and_reopening(tmp_db: Path) -> None:
    """The cache is a file: a new Store sees what the last one wrote."""
    first = Store(tmp_db)
    first.store_feed("/feeds", feed([article("a"), article("b")]))
    first.set_starred(first.list_articles()[0][0].id, True)
    first.close()
    second = Store(tmp_db)
    try:
        rows = [row for row, _ in second.list_articles()]
        assert len(rows) == 2
        assert sum(r.starred for r in rows) == 1
        assert second.integrity_ok()
    finally:
        second.close()


def test_tags_merge_across_case_and_show_the_most_common_spelling(store: Store) -> None:
    """'Depression' twice and 'depression' once are one tag, shown as 'Depression'."""
    store.store_feed(
        "/feeds",
        feed(
            [
                article("1", tags=["Depression"]),
                article("2", tags=["depression"]),
                article("3", tags=["Depression", "BDNF"]),
            ]
        ),
    )
    tags = {t.name: (t.total, t.unread) for t in store.tags()}
    assert tags == {"BDNF": (1, 1), "Depression": (3, 3)}
    # Every article lists the tag under its shared name.
    assert all("Depression" in t for _, t in store.list_articles())


def test_tag_spelling_follows_the_majority_as_it_changes(store: Store) -> None:
    """When lower case becomes the more common spelling, the tag is renamed."""
    store.store_feed("/a", feed([article("1", tags=["Ketamine"])], location="/a.xml"))
    store.store_feed(
        "/b",
        feed([article("2", tags=["ketamine"]), article("3", tags=["ketamine"])], location="/b"),
    )
    assert [t.name for t in store.tags()] == ["ketamine"]
    assert tag_key("  KETAMINE\t therapy ") == tag_key("ketamine therapy")


def test_one_article_with_both_spellings_counts_once(store: Store) -> None:
    """Duplicate spellings on one article do not double its count."""
    store.store_feed("/f", feed([article("1", tags=["SSRIs", "ssris", "SSRIS"])]))
    [tag] = store.tags()
    assert (tag.name, tag.total) == ("SSRIs", 1)


def test_read_and_starred_survive_a_restore_and_a_changed_body(store: Store) -> None:
    """Refreshing the same article, even with new content, keeps the user's state."""
    store.store_feed("/f", feed([article("1"), article("2")]))
    ids = ids_by_uid(store)
    store.set_read([ids["1"]], True)
    store.set_starred(ids["2"], True)
    result = store.store_feed(
        "/f", feed([article("1", html="<p>Rewritten</p>"), article("2", title="Title 2")])
    )
    assert (result.new, result.updated, result.unchanged) == (0, 1, 1)
    rows = {row.id: row for row, _ in store.list_articles()}
    assert rows[ids["1"]].read and not rows[ids["1"]].starred
    assert rows[ids["2"]].starred and not rows[ids["2"]].read
    assert store.article(ids["1"]).html == "<p>Rewritten</p>"


def test_changed_guid_with_the_same_link_keeps_read_state(store: Store) -> None:
    """An article whose id changes but whose link stays is the same article."""
    store.store_feed("/f", feed([article("old-guid", link="https://example.org/post")]))
    [(row, _)] = store.list_articles()
    store.set_read([row.id], True)
    store.store_feed("/f", feed([article("new-guid", link="https://example.org/post")]))
    [(after, _)] = store.list_articles()
    assert after.id == row.id
    assert after.read


def test_articles_gone_from_a_feed_stay_cached(store: Store) -> None:
    """A feed that drops old items never removes them from the cache."""
    store.store_feed("/f", feed([article("1"), article("2")]))
    store.store_feed("/f", feed([article("2")]))
    assert sorted(ids_by_uid(store)) == ["1", "2"]


def test_read_state_moves_tag_unread_counts(store: Store) -> None:
    """Marking read updates every count that shows unread articles."""
    store.store_feed("/f", feed([article("1", tags=["glutamate"]), article("2")]))
    store.set_read([ids_by_uid(store)["1"]], True)
    assert [(t.name, t.total, t.unread) for t in store.tags()] == [("glutamate", 1, 0)]
    assert store.totals() == {"all": 2, "unread": 1, "starred": 0}
    assert [f.unread for f in store.feeds()] == [1]


def test_filters_select_unread_starred_and_tagged(store: Store) -> None:
    """ArticleFilter narrows lists the way `list --unread/--starred/--tag` needs."""
    store.store_feed(
        "/f", feed([article("1", tags=["AMPA"]), article("2", tags=["AMPA"]), article("3")])
    )
    ids = ids_by_uid(store)
    store.set_read([ids["1"]], True)
    store.set_starred(ids["2"], True)
    [ampa] = store.tags()

    def titles(article_filter: ArticleFilter) -> list[str]:
        return sorted(r.title for r, _ in store.list_articles(article_filter))

    assert titles(ArticleFilter(unread_only=True)) == ["Title 2", "Title 3"]
    assert titles(ArticleFilter(starred_only=True)) == ["Title 2"]
    assert titles(ArticleFilter("tag", ampa.id)) == ["Title 1", "Title 2"]
    assert titles(ArticleFilter("tag", ampa.id, unread_only=True)) == ["Title 2"]


def test_undated_articles_keep_a_stable_order_across_restores(store: Store) -> None:
    """Articles without dates sort after their feed's dated ones, in feed order, the same
    every time; a feed with no date at all sorts by first sight."""
    undated = [article(str(n), published=None) for n in range(5)]
    store.store_feed("/f", feed([*undated, article("dated", published=1_000.0)]))
    first = [r.title for r, _ in store.list_articles()]
    store.store_feed("/f", feed(list(reversed(undated))))
    second = [r.title for r, _ in store.list_articles()]
    assert first == second == ["Title dated", *(f"Title {n}" for n in range(5))]
    store.store_feed("/g", feed([article("g1", published=None), article("g2", published=None)]))
    assert [r.title for r, _ in store.list_articles()][:2] == ["Title g1", "Title g2"]


def test_an_undated_article_sorts_after_every_dated_article_of_its_feed(store: Store) -> None:
    """A digest whose last item has no date: newest first lists it last, not first."""
    items = [
        article("new", published=3_000.0),
        article("undated", published=None),
        article("mid", published=2_000.0),
        article("old", published=1_000.0),
    ]
    store.store_feed("/f", feed(items))
    titles = [r.title for r, _ in store.list_articles()]
    assert titles == ["Title new", "Title mid", "Title old", "Title undated"]


def test_resolve_accepts_unique_prefixes_and_refuses_ambiguous_or_unknown(store: Store) -> None:
    """Ids from `list` work in full or as a unique prefix; others fail clearly."""
    store.store_feed("/f", feed([article(str(n)) for n in range(40)]))
    keys = [r.key for r, _ in store.list_articles()]
    key = keys[0]
    assert store.resolve(key) == store.resolve(key[:8].upper())
    unique = next(key[:n] for n in range(1, 13) if sum(k.startswith(key[:n]) for k in keys) == 1)
    assert store.resolve(unique) == store.resolve(key)
    # 40 ids over 16 hex digits: some first digit is shared.
    shared = next(k[0] for k in keys if sum(o.startswith(k[0]) for o in keys) > 1)
    with pytest.raises(AmbiguousArticle):
        store.resolve(shared)
    with pytest.raises(ArticleNotFound):
        store.resolve("not-hex!")
    missing = next(c * 12 for c in "0123456789abcdef" if c * 12 not in keys)
    with pytest.raises(ArticleNotFound):
        store.resolve(missing)


def test_remove_source_forgets_its_articles_and_orphan_tags(store: Store) -> None:
    """Removing a source drops its feeds, articles and tags nothing else carries."""
    store.store_feed("/one", feed([article("1", tags=["BDNF", "shared"])], location="/one.xml"))
    store.store_feed("/two", feed([article("2", tags=["Shared"])], location="/two.xml"))
    assert store.remove_source("/one") == 1
    assert [r.title for r, _ in store.list_articles()] == ["Title 2"]
    assert [(t.name, t.total) for t in store.tags()] == [("Shared", 1)]
    assert [f.source for f in store.feeds()] == ["/two"]


def test_user_tags_removed_from_the_config_leave_the_articles(store: Store) -> None:
    """Storing with fewer user tags than before drops the ones no longer configured."""
    parsed = feed([article("1", tags=["Depression"])])
    store.store_feed("/f", parsed, user_tags=["mine", "clinic"])
    assert [t.name for t in store.tags()] == ["clinic", "Depression", "mine"]
    store.store_feed("/f", parsed, user_tags=["mine"])
    assert [t.name for t in store.tags()] == ["Depression", "mine"]
    store.store_feed("/f", parsed, user_tags=[])
    assert [t.name for t in store.tags()] == ["Depression"]


def test_one_transaction_per_feed_a_failing_store_leaves_nothing_half_written(
    store: Store,
) -> None:
    """If storing a feed fails part-way, none of it is stored and older data is intact."""
    store.store_feed("/good", feed([article("kept")], location="/good.xml"))
    # The second article cannot be bound to SQL: the first was already inserted by then.
    broken = feed([article("ok-1"), article("broken", published=1j)], location="/bad.xml")
    with pytest.raises(sqlite3.Error):
        store.store_feed("/bad", broken)
    assert [r.title for r, _ in store.list_articles()] == ["Title kept"]
    assert [f.location for f in store.feeds()] == ["/good.xml"]
    assert store.integrity_ok()


def test_record_check_keeps_articles_and_records_the_error(store: Store) -> None:
    """A failed check is recorded on the feed; its cached articles stay."""
    store.store_feed("/f", feed([article("1")]))
    store.record_check("/feeds/a.xml", "/f", error="binary file")
    [info] = store.feeds()
    assert info.error == "binary file"
    assert info.total == 1


# -- opening, migrations, refusals ---------------------------------------------------------


def user_version(path: Path) -> int:
    """The schema version recorded in a database file."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def test_fresh_path_is_created_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    """A path that does not exist (nor its folder) becomes a current, WAL-mode cache."""
    path = tmp_path / "new" / "folder" / "cache.db"
    opened = Store(path)
    try:
        assert opened.notice is None
        assert opened._query("PRAGMA journal_mode")[0][0] == "wal"
    finally:
        opened.close()
    assert user_version(path) == SCHEMA_VERSION


def test_empty_database_file_is_migrated(tmp_db: Path) -> None:
    """A 0-byte file is an empty database: migrated in place, no notice."""
    tmp_db.parent.mkdir(parents=True)
    tmp_db.write_bytes(b"")
    opened = Store(tmp_db)
    try:
        assert opened.notice is None
        opened.store_feed("/f", feed([article("1")]))
        assert len(opened.list_articles()) == 1
    finally:
        opened.close()
    assert user_version(tmp_db) == SCHEMA_VERSION
    assert list(tmp_db.parent.glob("*.corrupt-*")) == []


def test_newer_schema_is_refused_and_the_file_left_untouched(tmp_db: Path) -> None:
    """A cache from a newer ketaread is refused with a clear message; not a byte changes."""
    tmp_db.parent.mkdir(parents=True)
    conn = sqlite3.connect(tmp_db)
    conn.execute("CREATE TABLE future (x)")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    before = tmp_db.read_bytes()
    with pytest.raises(StoreError, match="newer"):
        Store(tmp_db)
    assert tmp_db.read_bytes() == before
    assert user_version(tmp_db) == 99


def test_garbage_database_is_refused_and_left_untouched(tmp_db: Path) -> None:
    """A file that is not SQLite may be anyone's: refused with a clear message, never moved."""
    tmp_db.parent.mkdir(parents=True)
    garbage = b"this is not sqlite at all " * 200
    tmp_db.write_bytes(garbage)
    with pytest.raises(StoreError, match=r"not a ketaread cache.*left untouched"):
        Store(tmp_db)
    assert tmp_db.read_bytes() == garbage
    assert sorted(p.name for p in tmp_db.parent.iterdir()) == [tmp_db.name]


def test_garbage_wal_file_loses_nothing_committed(tmp_db: Path) -> None:
    """A garbage -wal beside a good cache is ignored: committed articles are all there."""
    first = Store(tmp_db)
    first.store_feed("/f", feed([article("1"), article("2")]))
    first.close()
    Path(f"{tmp_db}-wal").write_bytes(b"\xde\xad\xbe\xef not a write-ahead log " * 100)
    second = Store(tmp_db)
    try:
        assert sorted(r.title for r, _ in second.list_articles()) == ["Title 1", "Title 2"]
        assert second.integrity_ok()
    finally:
        second.close()
