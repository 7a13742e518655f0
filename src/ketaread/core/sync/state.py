"""What the cache remembers about server accounts: cursors, item ids and the push queue.

The tables are created on first use by this module (CREATE … IF NOT EXISTS), so that
caches that never sync carry none of them and no schema migration is shared with other
features. Two triggers queue local read/star changes of server articles durably: any
code that updates `articles.read` or `articles.starred` (the reader's keys, `ketaread
mark`, a script with sqlite3) queues the change, in the same transaction.

The queue holds the net change per article and state: marking read then unread again
before a sync leaves nothing to push. The conflict rule (documented in README):
a local change not yet pushed wins over the server's state at the next sync; once it
is pushed, the server's state is the truth again (a later change there wins).
"""

from __future__ import annotations

import sqlite3
import time
from typing import NamedTuple

from ketaread.core.models import TagInfo
from ketaread.core.store import Store, insert_rows

_NOW = "((julianday('now') - 2440587.5) * 86400.0)"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS sync_accounts (
    name TEXT PRIMARY KEY,
    api TEXT NOT NULL,
    url TEXT NOT NULL,
    user TEXT NOT NULL,
    cursor TEXT,
    checked_at REAL,
    synced_at REAL,
    error TEXT,
    error_at REAL,
    warning TEXT
);
CREATE TABLE IF NOT EXISTS sync_items (
    account TEXT NOT NULL,
    item_id TEXT NOT NULL,
    article_id INTEGER NOT NULL UNIQUE REFERENCES articles(id) ON DELETE CASCADE,
    server_read INTEGER NOT NULL DEFAULT 0,
    server_starred INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, item_id)
);
CREATE TABLE IF NOT EXISTS sync_queue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    item_id TEXT NOT NULL,
    article_id INTEGER,
    kind TEXT NOT NULL,
    value INTEGER NOT NULL,
    queued_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sync_queue_article ON sync_queue(article_id, kind);
CREATE TRIGGER IF NOT EXISTS sync_queue_read AFTER UPDATE OF read ON articles
WHEN OLD.read IS NOT NEW.read
BEGIN
    DELETE FROM sync_queue WHERE article_id = NEW.id AND kind = 'read';
    INSERT INTO sync_queue (account, item_id, article_id, kind, value, queued_at)
        SELECT account, item_id, article_id, 'read', NEW.read, {_NOW} FROM sync_items
        WHERE article_id = NEW.id AND server_read IS NOT NEW.read;
END;
CREATE TRIGGER IF NOT EXISTS sync_queue_starred AFTER UPDATE OF starred ON articles
WHEN OLD.starred IS NOT NEW.starred
BEGIN
    DELETE FROM sync_queue WHERE article_id = NEW.id AND kind = 'starred';
    INSERT INTO sync_queue (account, item_id, article_id, kind, value, queued_at)
        SELECT account, item_id, article_id, 'starred', NEW.starred, {_NOW} FROM sync_items
        WHERE article_id = NEW.id AND server_starred IS NOT NEW.starred;
END;
CREATE TRIGGER IF NOT EXISTS sync_queue_forget AFTER DELETE ON articles
WHEN EXISTS (SELECT 1 FROM sync_queue WHERE article_id = OLD.id)
BEGIN
    -- The change is still pushed (by item id); the deleted article's id may be given again
    -- to a new article, whose own changes would otherwise replace or undo it.
    UPDATE sync_queue SET article_id = NULL WHERE article_id = OLD.id;
END
"""


class QueuedChange(NamedTuple):
    """A local change waiting to be pushed: mark `item_id` read/unread or (un)starred."""

    seq: int
    item_id: str
    kind: str
    """'read' or 'starred'."""
    value: bool


class AccountState(NamedTuple):
    """An account's sync state as last recorded."""

    name: str
    cursor: str | None
    checked_at: float | None
    synced_at: float | None
    error: str | None
    error_at: float | None
    warning: str | None
    pending: int
    """Local changes waiting to be pushed."""


def waiting_line(count: int) -> str:
    """'1 local change waits to be pushed', 'N local changes wait to be pushed'."""
    if count == 1:
        return "1 local change waits to be pushed"
    return f"{count} local changes wait to be pushed"


def has_tables(store: Store) -> bool:
    """True when this cache has ever synced (the sync tables exist)."""
    return bool(
        store.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_accounts'")
    )


def ensure_tables(store: Store) -> None:
    """Create the sync tables and triggers if this cache has none yet."""
    if has_tables(store) and store.query(
        "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'sync_queue_forget'"
    ):
        return
    with store.transaction() as conn:
        for statement in SCHEMA.split(";\nCREATE"):
            statement = statement.strip()
            if not statement:
                continue
            if not statement.startswith("CREATE"):
                statement = "CREATE " + statement
            conn.execute(statement + (";" if statement.endswith("END") else ""))


def register(store: Store, name: str, api: str, url: str, user: str) -> int | None:
    """Record the account. When its API or user changed, its item ids mean other articles:
    the cursor, the id links and the queue are reset; returns how many queued changes
    were dropped then (None when nothing was reset). A new URL alone keeps everything:
    a server that moved (a new port, https) is the same server."""
    with store.transaction() as conn:
        row = conn.execute("SELECT api, user FROM sync_accounts WHERE name = ?", (name,)).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO sync_accounts (name, api, url, user) VALUES (?, ?, ?, ?)",
                (name, api, url, user),
            )
            return None
        conn.execute("UPDATE sync_accounts SET url = ? WHERE name = ?", (url, name))
        if tuple(row) == (api, user):
            return None
        dropped = conn.execute(
            "SELECT COUNT(*) FROM sync_queue WHERE account = ?", (name,)
        ).fetchone()[0]
        conn.execute(
            "UPDATE sync_accounts SET api = ?, user = ?, cursor = NULL WHERE name = ?",
            (api, user, name),
        )
        conn.execute("DELETE FROM sync_items WHERE account = ?", (name,))
        conn.execute("DELETE FROM sync_queue WHERE account = ?", (name,))
        return int(dropped)


def account_state(store: Store, name: str) -> AccountState | None:
    """The recorded state of one account, or None if it never synced."""
    if not has_tables(store):
        return None
    rows = store.query(
        "SELECT name, cursor, checked_at, synced_at, error, error_at, warning, "
        "(SELECT COUNT(*) FROM sync_queue q WHERE q.account = a.name) "
        "FROM sync_accounts a WHERE name = ?",
        (name,),
    )
    return AccountState(*rows[0]) if rows else None


def record_result(
    store: Store,
    name: str,
    *,
    error: str | None = None,
    cursor: str | None = None,
    warning: str | None = None,
    now: float | None = None,
) -> None:
    """Record one sync: a success (new cursor, error cleared) or an error (cursor kept)."""
    now = time.time() if now is None else now
    with store.transaction() as conn:
        if error is None:
            conn.execute(
                "UPDATE sync_accounts SET checked_at = ?, synced_at = ?, error = NULL, "
                "error_at = NULL, warning = ?, cursor = COALESCE(?, cursor) WHERE name = ?",
                (now, now, warning, cursor, name),
            )
        else:
            conn.execute(
                "UPDATE sync_accounts SET checked_at = ?, error = ?, error_at = ? WHERE name = ?",
                (now, error, now, name),
            )


def pending(store: Store, name: str) -> list[QueuedChange]:
    """The account's queued local changes, oldest first."""
    return [
        QueuedChange(r[0], r[1], r[2], bool(r[3]))
        for r in store.query(
            "SELECT seq, item_id, kind, value FROM sync_queue WHERE account = ? ORDER BY seq",
            (name,),
        )
    ]


def mark_pushed(store: Store, name: str, changes: list[QueuedChange]) -> None:
    """The server took these changes: they are its state now, and leave the queue."""
    with store.transaction() as conn:
        for change in changes:
            column = "server_read" if change.kind == "read" else "server_starred"
            conn.execute(
                f"UPDATE sync_items SET {column} = ? WHERE account = ? AND item_id = ?",
                (int(change.value), name, change.item_id),
            )
            conn.execute("DELETE FROM sync_queue WHERE seq = ?", (change.seq,))
        # A change made while the push was on its way (and then undone) must not be lost:
        # queue again any article that now differs from what the server holds.
        for kind, column in (("read", "server_read"), ("starred", "server_starred")):
            conn.execute(
                "INSERT INTO sync_queue (account, item_id, article_id, kind, value, queued_at) "
                f"SELECT s.account, s.item_id, s.article_id, '{kind}', a.{kind}, {_NOW} "
                "FROM sync_items s JOIN articles a ON a.id = s.article_id "
                f"WHERE s.account = ? AND a.{kind} IS NOT s.{column} AND NOT EXISTS ("
                "SELECT 1 FROM sync_queue q WHERE q.article_id = s.article_id "
                f"AND q.kind = '{kind}')",
                (name,),
            )


def known_items(store: Store, name: str) -> dict[str, tuple[int, bool, bool]]:
    """Item id → (article id, server read, server starred) for every article synced."""
    return {
        r[0]: (r[1], bool(r[2]), bool(r[3]))
        for r in store.query(
            "SELECT item_id, article_id, server_read, server_starred FROM sync_items "
            "WHERE account = ?",
            (name,),
        )
    }


def link_items(
    store: Store,
    name: str,
    feed_location: str,
    items: list[tuple[str, bool, bool]],
) -> None:
    """Link stored articles of one feed to their server ids and take the server's state.

    `items` holds (item id, read, starred); the articles were stored with the item id
    as their uid. An article with a queued local change keeps its local state.
    """
    with store.transaction() as conn:
        feed = conn.execute("SELECT id FROM feeds WHERE location = ?", (feed_location,)).fetchone()
        if feed is None:
            return
        wanted = {item_id for item_id, _, _ in items}
        article_ids = {
            uid: article_id
            for uid, article_id in conn.execute(
                "SELECT uid, id FROM articles WHERE feed_id = ?", (feed[0],)
            )
            if uid in wanted
        }
        found = list(article_ids.values())
        linked: set[int] = set()
        for chunk in range(0, len(found), 500):
            part = found[chunk : chunk + 500]
            linked.update(
                r[0]
                for r in conn.execute(
                    f"SELECT article_id FROM sync_items WHERE article_id IN "
                    f"({','.join('?' * len(part))})",
                    part,
                )
            )
        rows = [
            (name, item_id, article_ids[item_id], int(read), int(starred))
            for item_id, read, starred in items
            if item_id in article_ids
        ]
        # Many rows a statement; each item's row names its own article only, so linking
        # them all before taking the states below changes nothing.
        insert_rows(
            conn,
            "INSERT INTO sync_items (account, item_id, article_id, server_read, "
            "server_starred) VALUES ",
            rows,
            " ON CONFLICT (account, item_id) DO UPDATE SET article_id = excluded.article_id",
        )
        fresh: list[int] = []
        for _, _, article_id, read, starred in rows:
            if article_id in linked:
                _apply(conn, article_id, "read", bool(read))
                _apply(conn, article_id, "starred", bool(starred))
            else:
                fresh.append(article_id)
        # Articles linked for the first time take the server's state in three statements
        # (a first sync links thousands); the triggers queue nothing, as each now matches.
        for chunk in range(0, len(fresh), 500):
            part = fresh[chunk : chunk + 500]
            marks = ",".join("?" * len(part))
            for column, server in (("read", "server_read"), ("starred", "server_starred")):
                conn.execute(
                    f"UPDATE articles SET {column} = (SELECT s.{server} FROM sync_items s "
                    f"WHERE s.article_id = articles.id) WHERE id IN ({marks}) AND {column} IS "
                    f"NOT (SELECT s.{server} FROM sync_items s WHERE s.article_id = articles.id)",
                    part,
                )
            # Only the rows that differ: an UPDATE rewrites every row it matches, and the
            # tag indexes holding `read` with it (a first sync's items are mostly unread).
            conn.execute(
                "UPDATE article_tags SET read = (SELECT a.read FROM articles a WHERE a.id = "
                f"article_tags.article_id) WHERE article_id IN ({marks}) AND read IS NOT "
                "(SELECT a.read FROM articles a WHERE a.id = article_tags.article_id)",
                part,
            )


def _apply(conn: sqlite3.Connection, article_id: int, kind: str, value: bool) -> None:
    """Take the server's value for one state unless a local change waits to be pushed."""
    column = "server_read" if kind == "read" else "server_starred"
    conn.execute(
        f"UPDATE sync_items SET {column} = ? WHERE article_id = ?", (int(value), article_id)
    )
    waiting = conn.execute(
        "SELECT value FROM sync_queue WHERE article_id = ? AND kind = ?", (article_id, kind)
    ).fetchone()
    if waiting is not None:
        if bool(waiting[0]) == value:
            # The server already agrees: nothing left to push.
            conn.execute(
                "DELETE FROM sync_queue WHERE article_id = ? AND kind = ?", (article_id, kind)
            )
        return  # the local change not yet pushed wins
    conn.execute(f"UPDATE articles SET {kind} = ? WHERE id = ?", (int(value), article_id))
    if kind == "read":
        conn.execute(
            "UPDATE article_tags SET read = ? WHERE article_id = ?", (int(value), article_id)
        )


def apply_states(
    store: Store, name: str, unread: set[str], starred: set[str], known: set[str] | None = None
) -> int:
    """Take the server's read/starred sets for every synced article; returns how many changed.

    Items not in `unread` are read, as the server says. When `known` is given, only those
    items are considered (Fever's lists cover every item; so do Google Reader's id lists).
    """
    changed = 0
    items = known_items(store, name)
    updates: list[tuple[int, str, bool]] = []
    for item_id, (article_id, server_read, server_starred) in items.items():
        if known is not None and item_id not in known:
            continue
        read = item_id not in unread
        star = item_id in starred
        if read != server_read:
            updates.append((article_id, "read", read))
        if star != server_starred:
            updates.append((article_id, "starred", star))
    if not updates:
        return 0
    with store.transaction() as conn:
        for article_id, kind, value in updates:
            _apply(conn, article_id, kind, value)
            changed += 1
    return changed


def pending_count(store: Store, name: str) -> int:
    """How many local changes of the account wait to be pushed."""
    if not has_tables(store):
        return 0
    return int(store.query("SELECT COUNT(*) FROM sync_queue WHERE account = ?", (name,))[0][0])


def forget_account(store: Store, name: str) -> None:
    """Drop an account's sync state (its articles go with `Store.remove_source`)."""
    if not has_tables(store):
        return
    with store.transaction() as conn:
        conn.execute("DELETE FROM sync_queue WHERE account = ?", (name,))
        conn.execute("DELETE FROM sync_items WHERE account = ?", (name,))
        conn.execute("DELETE FROM sync_accounts WHERE name = ?", (name,))


class AccountSummary(NamedTuple):
    """An account as the sidebar shows it: its state and its folders with counts."""

    name: str
    source: str
    """The `source` of its feeds in the cache (`server:NAME`)."""
    synced_at: float | None
    error: str | None
    pending: int
    folders: list[TagInfo]
    """Tags carried by the account's articles (its server folders and labels)."""


def account_summaries(store: Store, accounts: list[tuple[str, str]]) -> list[AccountSummary]:
    """One summary per (name, source) pair, in the order given; never-synced ones too."""
    summaries: list[AccountSummary] = []
    synced = has_tables(store)
    for name, source in accounts:
        recorded = account_state(store, name) if synced else None
        folders = [
            TagInfo(r[0], r[1], r[2], r[3], r[4] or 0)
            for r in store.query(
                "SELECT t.id, t.key, t.name, COUNT(*), SUM(at.read = 0) FROM article_tags at "
                "JOIN tags t ON t.id = at.tag_id JOIN articles a ON a.id = at.article_id "
                "JOIN feeds f ON f.id = a.feed_id WHERE f.source = ? GROUP BY t.id "
                "ORDER BY t.name COLLATE NOCASE",
                (source,),
            )
        ]
        summaries.append(
            AccountSummary(
                name,
                source,
                recorded.synced_at if recorded else None,
                recorded.error if recorded else None,
                recorded.pending if recorded else 0,
                folders,
            )
        )
    return summaries
