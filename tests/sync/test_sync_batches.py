"""A sync stores a batch's feeds and links their items in one transaction; when any of it
fails, the feeds are stored again one by one, so what comes before the failure stays."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from ketaread.core.store import Store
from ketaread.core.sync import engine, state
from ketaread.core.sync.accounts import ServerAccount
from ketaread.core.sync.items import RemoteFeed, RemoteItem

ACCOUNT = ServerAccount("acct", "http://127.0.0.1/", "greader", "u")


def groups(feeds: int, items: int) -> list[tuple[RemoteFeed, list[RemoteItem]]]:
    """`feeds` server feeds of `items` items each; every third item read, the first starred."""
    return [
        (
            RemoteFeed(id=str(f), title=f"Feed {f}", folders=["Neuroscience"]),
            [
                RemoteItem(
                    id=str(f * 1000 + n),
                    feed_id=str(f),
                    title=f"Ketamine item {n} of feed {f}",
                    html=f"<p>NMDA receptors, item {n}.</p>",
                    read=n % 3 == 0,
                    starred=n == 0,
                )
                for n in range(items)
            ],
        )
        for f in range(1, feeds + 1)
    ]


def synced_store(tmp_db: Path) -> Store:
    store = Store(tmp_db)
    state.ensure_tables(store)
    state.register(store, ACCOUNT.name, ACCOUNT.api, ACCOUNT.url, ACCOUNT.user)
    return store


def test_a_batch_is_one_transaction(tmp_db: Path) -> None:
    """Three feeds of 40 items: one COMMIT for storing and linking them all; every item
    linked with the server's state, counted once and remembered as known."""
    store = synced_store(tmp_db)
    try:
        statements: list[str] = []
        store._conn.set_trace_callback(statements.append)
        report = engine.AccountReport(ACCOUNT.name, "synced")
        known: dict[str, tuple[int, bool, bool]] = {}
        engine._store_groups(store, ACCOUNT, groups(3, 40), report, known)
        store._conn.set_trace_callback(None)
        assert statements.count("COMMIT") == 1
        assert report.new == 120
        assert len(known) == 120
        rows = store.query(
            "SELECT s.item_id, a.uid, a.read, a.starred, s.server_read, s.server_starred "
            "FROM sync_items s JOIN articles a ON a.id = s.article_id ORDER BY a.id"
        )
        assert len(rows) == 120
        for item_id, uid, read, starred, server_read, server_starred in rows:
            n = int(item_id) % 1000
            assert uid == item_id
            assert (read, starred) == (server_read, server_starred) == (n % 3 == 0, n == 0)
        assert state.pending(store, ACCOUNT.name) == []  # taking the server's state queues nothing
        # The tag rows carry the read state too (tag lists and counts read them).
        assert store.query(
            "SELECT COUNT(*) FROM article_tags at JOIN articles a ON a.id = at.article_id "
            "WHERE at.read != a.read"
        ) == [(0,)]
    finally:
        store.close()


def test_a_failing_feed_keeps_the_ones_before_it(tmp_db: Path) -> None:
    """The cache refuses the second feed: the batch is redone feed by feed, so the first
    is stored, linked and counted, the failure is raised, and nothing is counted twice."""
    store = synced_store(tmp_db)
    try:
        with store.transaction() as conn:
            conn.execute(
                "CREATE TRIGGER refuse_feed_2 BEFORE INSERT ON feeds "
                "WHEN new.location LIKE '%/feed/2' BEGIN SELECT RAISE(ABORT, 'no room'); END"
            )
        report = engine.AccountReport(ACCOUNT.name, "synced")
        known: dict[str, tuple[int, bool, bool]] = {}
        with pytest.raises(sqlite3.Error, match="no room"):
            engine._store_groups(store, ACCOUNT, groups(3, 10), report, known)
        assert report.new == 10
        assert sorted(known) == [str(1000 + n) for n in range(10)]
        assert store.query("SELECT location FROM feeds") == [("server:acct/feed/1",)]
        assert store.query("SELECT COUNT(*) FROM sync_items") == [(10,)]
        assert store.query("SELECT COUNT(*) FROM articles") == [(10,)]
    finally:
        store.close()


class RepeatingServer:
    """A Google Reader session whose one page repeats items: one twice in its own feed,
    one again under another feed."""

    def __init__(self) -> None:
        self.page = [item for _, items in groups(2, 30) for item in items]
        first, other = self.page[0], self.page[35]
        self.page.insert(10, first)
        self.page.append(dataclasses.replace(other, feed_id="1"))

    def subscriptions(self) -> list[RemoteFeed]:
        return [feed for feed, _ in groups(2, 0)]

    def items(self, since: int | None, max_items: int) -> Iterator[list[RemoteItem]]:
        yield self.page

    def unread_ids(self) -> set[str]:
        return {item.id for item in self.page if not item.read}

    def starred_ids(self) -> set[str]:
        return {item.id for item in self.page if item.starred}


def test_an_item_repeated_within_a_batch_is_stored_once(tmp_db: Path) -> None:
    """A server page repeating an item (in its feed, or under another feed) stores it once:
    a repeat in one feed used to fail the batch and every later sync (the same uid twice)."""
    store = synced_store(tmp_db)
    try:
        report = engine.AccountReport(ACCOUNT.name, "synced")
        session = RepeatingServer()
        engine._pull(store, ACCOUNT, session, report, None, 10_000)  # type: ignore[arg-type]
        assert report.new == 60
        assert store.query("SELECT COUNT(*), COUNT(DISTINCT uid) FROM articles") == [(60, 60)]
        assert store.query("SELECT COUNT(*) FROM sync_items") == [(60,)]
        moved = session.page[-1].id
        assert store.query(
            "SELECT f.location FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE a.uid = ?",
            (moved,),
        ) == [("server:acct/feed/2",)]
    finally:
        store.close()
