"""Retention (keep_days/keep_items): what goes, what never goes, and `ketaread vacuum`."""

from __future__ import annotations

import json
import sqlite3
from email.utils import formatdate
from pathlib import Path

import pytest

from cli_support import cli
from ketaread.config import ConfigError, load_config
from ketaread.context import Context
from ketaread.core.models import ParsedArticle, ParsedFeed
from ketaread.core.store import Store

NOW = 1_800_000_000.0
DAY = 86_400.0


def _articles(count: int, prefix: str = "a") -> list[ParsedArticle]:
    """`count` articles one day apart, newest first (index 0 is a day old)."""
    return [
        ParsedArticle(
            uid=f"{prefix}{n}",
            title=f"Article {n} on NMDA antagonism and cortical plasticity",
            link=f"https://example.org/{prefix}{n}",
            author="Author",
            published=NOW - (n + 1) * DAY,
            tags=["Ketamine"],
            html=f"<p>{'Glutamate surge and BDNF release. ' * 40}{n}</p>",
        )
        for n in range(count)
    ]


def _fill(
    db: Path, source: str = "/feeds", location: str = "/feeds/a.xml", count: int = 300
) -> None:
    store = Store(db)
    store.store_feed(
        source, ParsedFeed(location=location, title="A", articles=_articles(count)), now=NOW
    )
    store.close()


def _uids(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {uid for (uid,) in conn.execute("SELECT uid FROM articles")}


def _set(db: Path, sql: str, uids: list[str]) -> None:
    with sqlite3.connect(db) as conn:
        conn.executemany(sql + " WHERE uid = ?", [(u,) for u in uids])


def test_keep_items_keeps_the_newest_per_feed_and_starred_ones(tmp_path: Path) -> None:
    db = tmp_path / "cache.db"
    _fill(db)
    _set(db, "UPDATE articles SET read = 1", [f"a{n}" for n in range(300)])
    _set(db, "UPDATE articles SET starred = 1", ["a250"])
    store = Store(db)
    result = store.apply_retention({}, (0, 100), now=NOW)
    store.close()
    assert _uids(db) == {f"a{n}" for n in range(100)} | {"a250"}
    assert result.articles == 199
    assert result.bytes > 199 * 1400  # each body is ~1.4 KB of text
    with sqlite3.connect(db) as conn:  # bodies and tag links went with their articles
        assert conn.execute("SELECT count(*) FROM bodies").fetchone()[0] == 101
        assert conn.execute("SELECT count(*) FROM article_tags").fetchone()[0] == 101


def test_keep_days_removes_old_articles_but_not_recent_unread_ones(tmp_path: Path) -> None:
    db = tmp_path / "cache.db"
    _fill(db)
    # Read: a0..a149; unread: a150..a299 (the older half).
    _set(db, "UPDATE articles SET read = 1", [f"a{n}" for n in range(150)])
    store = Store(db)
    result = store.apply_retention({}, (30, 0), now=NOW)
    store.close()
    # a0..a28 are younger than 30 days (a29 is exactly 30 days old: not older); everything
    # older goes, read or not.
    assert _uids(db) == {f"a{n}" for n in range(30)}
    assert result.articles == 270


def test_unread_recent_articles_survive_keep_items(tmp_path: Path) -> None:
    db = tmp_path / "cache.db"
    _fill(db)
    _set(db, "UPDATE articles SET read = 1", [f"a{n}" for n in range(20)])  # a20.. unread
    store = Store(db)
    store.apply_retention({}, (30, 10), now=NOW)
    store.close()
    # Read a10..a19 are past the 10 newest and go; unread a20..a28 are recent and stay.
    assert _uids(db) == {f"a{n}" for n in range(10)} | {f"a{n}" for n in range(20, 30)}


def test_protected_keys_are_never_removed(tmp_path: Path) -> None:
    db = tmp_path / "cache.db"
    _fill(db)
    with sqlite3.connect(db) as conn:
        key = conn.execute("SELECT key FROM articles WHERE uid = 'a299'").fetchone()[0]
    store = Store(db)
    store.apply_retention({}, (0, 5), {key}, now=NOW)
    store.close()
    assert "a299" in _uids(db)
    assert len(_uids(db)) == 6


def test_dry_run_counts_and_removes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "cache.db"
    _fill(db)
    store = Store(db)
    result = store.apply_retention({}, (0, 100), now=NOW, dry_run=True)
    store.close()
    assert result.articles == 200
    assert len(_uids(db)) == 300


def test_removed_articles_do_not_come_back_while_the_feed_carries_them(tmp_path: Path) -> None:
    db = tmp_path / "cache.db"
    _fill(db)
    store = Store(db)
    store.apply_retention({}, (0, 100), now=NOW)
    again = store.store_feed(
        "/feeds", ParsedFeed(location="/feeds/a.xml", title="A", articles=_articles(300)), now=NOW
    )
    assert again.new == 0
    assert len(_uids(db)) == 100
    # Once the feed stops carrying an article, its tombstone goes: it may come back later.
    store.store_feed(
        "/feeds", ParsedFeed(location="/feeds/a.xml", title="A", articles=_articles(100)), now=NOW
    )
    back = store.store_feed(
        "/feeds", ParsedFeed(location="/feeds/a.xml", title="A", articles=_articles(101)), now=NOW
    )
    store.close()
    assert back.new == 1


def _rss(count: int) -> str:
    items = "".join(
        f"<item><title>Item {n}</title><link>https://example.org/{n}</link><guid>g{n}</guid>"
        f"<pubDate>{formatdate(NOW - n * DAY - DAY * 3650, usegmt=True)}</pubDate>"
        f"<description>Body {n} about esketamine.</description></item>"
        for n in range(count)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    )


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_per_source_rule_overrides_the_global_one(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.xml").write_text(_rss(50), encoding="utf-8")
    config = _config(
        tmp_path,
        f'[retention]\nkeep_items = 20\n\n[[source]]\nlocation = "{tmp_path / "a.xml"}"\n\n'
        f'[[source]]\nlocation = "{tmp_path / "b.xml"}"\nkeep_items = 5\n',
    )
    context = Context(db=tmp_path / "cache.db", config=config, offline=True)
    context.refresh(own_connection=False)
    assert context.last_retention is not None
    assert context.last_retention.articles == 30 + 45
    counts = dict(
        context.store._query(
            "SELECT f.source, count(*) FROM articles a JOIN feeds f ON f.id = a.feed_id "
            "GROUP BY f.source"
        )
    )
    context.close()
    assert counts == {str(tmp_path / "a.xml"): 20, str(tmp_path / "b.xml"): 5}


def test_refresh_without_rules_keeps_everything(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text(_rss(50), encoding="utf-8")
    config = _config(tmp_path, f'[[source]]\nlocation = "{tmp_path / "a.xml"}"\n')
    context = Context(db=tmp_path / "cache.db", config=config, offline=True)
    context.refresh()
    assert context.store.totals()["all"] == 50
    context.close()


def test_highlighted_and_noted_articles_are_kept(tmp_path: Path) -> None:
    """Articles the reader highlighted or wrote a note on, in the real study file beside
    the cache, outlive the retention rules."""
    from ketaread.core.study import ArticleRef
    from ketaread.core.study.anchors import make_anchor

    db = tmp_path / "cache.db"
    _fill(db, count=10)
    with sqlite3.connect(db) as conn:
        keys = dict(conn.execute("SELECT uid, key FROM articles"))
    config = _config(tmp_path, "[retention]\nkeep_items = 3\n")
    context = Context(db=db, config=config, offline=True)
    text = "A passage worth keeping."
    context.study.add_highlight(ArticleRef(keys["a8"]), make_anchor(text, 2, 9), "finding")
    context.study.set_article_note(ArticleRef(keys["a9"]), "check the dose")
    result = context.apply_retention()
    context.close()
    assert result.articles == 5
    assert _uids(db) == {"a0", "a1", "a2", "a8", "a9"}


def test_bad_retention_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="keep_days"):
        load_config(_config(tmp_path, "[retention]\nkeep_days = -1\n"))
    with pytest.raises(ConfigError, match="keep_items"):
        load_config(_config(tmp_path, '[[source]]\nlocation = "/x"\nkeep_items = "many"\n'))


def test_vacuum_command_reports_and_frees(tmp_path: Path) -> None:
    db = tmp_path / "cache.db"
    _fill(db, count=400)
    config = _config(tmp_path, "[retention]\nkeep_items = 50\n")
    dry = cli(db, config, "vacuum", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["articles"] == 350
    assert len(_uids(db)) == 400
    done = cli(db, config, "vacuum", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["articles"] == 350 and report["bytes"] > 350 * 1400
    assert report["file_bytes"] > 0
    assert len(_uids(db)) == 50
    text = cli(db, config, "vacuum")
    assert text.stdout.startswith("removed 0 articles")


async def test_the_readers_refresh_applies_retention_in_the_background(tmp_path: Path) -> None:
    from ketaread.cli import make_app

    (tmp_path / "a.xml").write_text(_rss(50), encoding="utf-8")
    config = _config(
        tmp_path, f'[retention]\nkeep_items = 5\n\n[[source]]\nlocation = "{tmp_path / "a.xml"}"\n'
    )
    app = make_app(db=tmp_path / "cache.db", config=config, offline=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("R")
        for _ in range(100):  # the refresh worker, then its result on the UI thread
            await app.workers.wait_for_complete()
            await pilot.pause()
            if not app.refreshing:
                break
        assert app.refresh_message is not None
        assert "45 old articles removed" in app.refresh_message
    assert len(_uids(tmp_path / "cache.db")) == 5
