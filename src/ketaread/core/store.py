"""The offline cache: one SQLite file in WAL mode, with forward migrations.

Article bodies live in their own table so that lists, counts and filters never
read them; only opening an article does.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ketaread.core import cache_file
from ketaread.core.models import (
    ArticleDetail,
    ArticleRow,
    Enclosure,
    FeedInfo,
    ParsedArticle,
    ParsedFeed,
    TagInfo,
)

if TYPE_CHECKING:
    from ketaread.core.search import IndexEntry

SCHEMA_VERSION = 3
BUSY_TIMEOUT_MS = 15_000

_SCHEMA_V1 = """
CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    location TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL DEFAULT 'feed',
    title TEXT NOT NULL DEFAULT '',
    user_title TEXT,
    link TEXT NOT NULL DEFAULT '',
    etag TEXT,
    last_modified TEXT,
    body_hash TEXT,
    checked_at REAL,
    updated_at REAL,
    error TEXT,
    error_at REAL,
    warning TEXT,
    gone INTEGER NOT NULL DEFAULT 0,
    retry_at REAL,
    redirect_url TEXT
);
CREATE INDEX feeds_source ON feeds(source);
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    uid TEXT NOT NULL,
    title TEXT NOT NULL,
    link TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    published REAL,
    sort_key REAL NOT NULL,
    content_hash TEXT NOT NULL,
    read INTEGER NOT NULL DEFAULT 0,
    starred INTEGER NOT NULL DEFAULT 0,
    UNIQUE (feed_id, uid)
);
CREATE INDEX articles_order ON articles(sort_key DESC, id DESC);
CREATE INDEX articles_feed_order ON articles(feed_id, sort_key DESC, id DESC);
CREATE INDEX articles_read_order ON articles(read, sort_key DESC, id DESC);
CREATE INDEX articles_feed_read ON articles(feed_id, read);
CREATE INDEX articles_starred ON articles(starred, sort_key DESC, id DESC);
CREATE INDEX articles_link ON articles(link);
CREATE TABLE bodies (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    html TEXT NOT NULL,
    base_url TEXT NOT NULL DEFAULT '',
    markdown TEXT,
    analysis TEXT,
    render_version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);
CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    spelling TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT 'feed',
    read INTEGER NOT NULL DEFAULT 0,
    sort_key REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX article_tags_tag ON article_tags(tag_id, read);
CREATE INDEX article_tags_order ON article_tags(tag_id, sort_key DESC, article_id DESC);
"""


def _schema_v2() -> str:
    """Version 2: the full-text search index (empty; `search.build_index` fills it later)."""
    from ketaread.core.search import SCHEMA_STATEMENTS

    return ";\n".join(SCHEMA_STATEMENTS)


def _statements(script: str) -> Iterator[str]:
    """The statements of a script, a trigger's body (with its own ';') kept whole."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending
            pending = ""
    if pending.strip(" \n;"):
        yield pending


_SCHEMA_V3 = """
CREATE TABLE deleted_articles (
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    uid TEXT NOT NULL,
    link TEXT NOT NULL DEFAULT '',
    deleted_at REAL NOT NULL,
    PRIMARY KEY (feed_id, uid)
);
CREATE TABLE reader_state (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
"""Deleted articles are remembered by feed and uid (and link, for ids that change) so a
refresh never brings them back; reader_state holds what the reader remembers per cache."""

# Index i holds the statements that take the schema from version i to i + 1.
_MIGRATIONS: list[str | Callable[[], str]] = [_SCHEMA_V1, _schema_v2, _SCHEMA_V3]


def _schema_sql() -> str:
    """The whole current schema as one script (what recovery builds a fresh cache from)."""
    return ";\n".join(m() if callable(m) else m for m in _MIGRATIONS)


SORT_ORDERS = ("newest", "oldest", "feed", "unread")
"""The list's sort orders, in the order `S` cycles through them."""

_ORDER_BY = {
    "newest": "a.sort_key DESC, a.id DESC",
    "oldest": "a.sort_key ASC, a.id ASC",
    "feed": "(SELECT COALESCE(f.user_title, f.title) FROM feeds f WHERE f.id = a.feed_id) "
    "COLLATE NOCASE, a.feed_id, a.sort_key DESC, a.id DESC",
    "unread": "a.read ASC, a.sort_key DESC, a.id DESC",
}

# Tables added by the sources work (enclosures, fetched full texts). Created if missing on
# every open rather than by a numbered migration, so that they merge with other branches'
# migrations in any order; an older ketaread simply ignores them.
_EXTRA_TABLES = """
CREATE TABLE IF NOT EXISTS enclosures (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    url TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT '',
    length INTEGER,
    duration INTEGER,
    title TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (article_id, position)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS retired (
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    uid TEXT NOT NULL,
    PRIMARY KEY (feed_id, uid)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS full_texts (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    html TEXT,
    error TEXT,
    fetched_at REAL NOT NULL
);
"""

_KEPT_COUNTS = """
CREATE TABLE feed_counts (
    feed_id INTEGER PRIMARY KEY REFERENCES feeds(id) ON DELETE CASCADE,
    total INTEGER NOT NULL DEFAULT 0,
    unread INTEGER NOT NULL DEFAULT 0,
    starred INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE tag_counts (
    tag_id INTEGER PRIMARY KEY REFERENCES tags(id) ON DELETE CASCADE,
    total INTEGER NOT NULL DEFAULT 0,
    unread INTEGER NOT NULL DEFAULT 0,
    starred INTEGER NOT NULL DEFAULT 0
);
INSERT INTO feed_counts (feed_id, total, unread, starred)
    SELECT feed_id, COUNT(*), SUM(read = 0), SUM(starred != 0) FROM articles GROUP BY feed_id;
INSERT INTO tag_counts (tag_id, total, unread, starred)
    SELECT at.tag_id, COUNT(*), SUM(at.read = 0), SUM(a.starred != 0)
    FROM article_tags at JOIN articles a ON a.id = at.article_id GROUP BY at.tag_id;
CREATE INDEX IF NOT EXISTS article_tags_read_order
    ON article_tags(tag_id, read, sort_key DESC, article_id DESC);
CREATE TRIGGER counts_article_added AFTER INSERT ON articles BEGIN
    INSERT INTO feed_counts (feed_id, total, unread, starred)
        VALUES (new.feed_id, 1, new.read = 0, new.starred != 0)
        ON CONFLICT (feed_id) DO UPDATE SET total = total + 1,
            unread = unread + excluded.unread, starred = starred + excluded.starred;
END;
CREATE TRIGGER counts_article_removed AFTER DELETE ON articles BEGIN
    UPDATE feed_counts SET total = total - 1, unread = unread - (old.read = 0),
        starred = starred - (old.starred != 0) WHERE feed_id = old.feed_id;
END;
CREATE TRIGGER counts_article_leaving BEFORE DELETE ON articles WHEN old.starred != 0 BEGIN
    UPDATE tag_counts SET starred = starred - 1
        WHERE tag_id IN (SELECT tag_id FROM article_tags WHERE article_id = old.id);
END;
CREATE TRIGGER counts_article_changed AFTER UPDATE OF read, starred, feed_id ON articles
WHEN old.read != new.read OR old.starred != new.starred OR old.feed_id != new.feed_id BEGIN
    UPDATE feed_counts SET total = total - 1, unread = unread - (old.read = 0),
        starred = starred - (old.starred != 0) WHERE feed_id = old.feed_id;
    INSERT INTO feed_counts (feed_id, total, unread, starred)
        VALUES (new.feed_id, 1, new.read = 0, new.starred != 0)
        ON CONFLICT (feed_id) DO UPDATE SET total = total + 1,
            unread = unread + excluded.unread, starred = starred + excluded.starred;
    UPDATE tag_counts SET starred = starred + (new.starred != 0) - (old.starred != 0)
        WHERE (old.starred != 0) != (new.starred != 0)
        AND tag_id IN (SELECT tag_id FROM article_tags WHERE article_id = new.id);
END;
CREATE TRIGGER counts_tag_added AFTER INSERT ON article_tags BEGIN
    INSERT INTO tag_counts (tag_id, total, unread, starred)
        VALUES (new.tag_id, 1, new.read = 0,
            COALESCE((SELECT starred != 0 FROM articles WHERE id = new.article_id), 0))
        ON CONFLICT (tag_id) DO UPDATE SET total = total + 1,
            unread = unread + excluded.unread, starred = starred + excluded.starred;
END;
CREATE TRIGGER counts_tag_removed AFTER DELETE ON article_tags BEGIN
    UPDATE tag_counts SET total = total - 1, unread = unread - (old.read = 0),
        starred = starred - COALESCE(
            (SELECT starred != 0 FROM articles WHERE id = old.article_id), 0)
        WHERE tag_id = old.tag_id;
END;
CREATE TRIGGER counts_tag_read AFTER UPDATE OF read ON article_tags
WHEN old.read != new.read BEGIN
    UPDATE tag_counts SET unread = unread + (new.read = 0) - (old.read = 0)
        WHERE tag_id = new.tag_id;
END;
"""
"""Counts kept per feed and per tag (total, unread, starred), so that the sidebar's
counts and the list's length cost a few hundred rows, not a walk of every article.

Kept by triggers, so every write keeps them (a refresh, a sync, retention, a deletion's
cascade) at the cost of one small upsert per article and per tag it carries. A tag's
starred count follows its articles: when an article goes, its tags go by cascade *after*
it (the tag triggers then find no article, hence COALESCE … 0), so the article's own
BEFORE DELETE trigger takes its star off its tags while they are still there.
`article_tags_read_order` lists a tag with read ones hidden (or unread first) in one
ordered walk. (It makes the (tag_id, read) index redundant, but that one stays: recovering
a cache whose first page is damaged lays the schema's first page over it, which is only
right while every table and index of the schema keeps its root page.) Made (and
filled) when a cache lacks them, like the extra tables: not a numbered migration, so
they merge with other branches' migrations in any order."""

_KEPT_COUNT_OBJECTS = (
    ("trigger", "counts_article_added"),
    ("trigger", "counts_article_removed"),
    ("trigger", "counts_article_leaving"),
    ("trigger", "counts_article_changed"),
    ("trigger", "counts_tag_added"),
    ("trigger", "counts_tag_removed"),
    ("trigger", "counts_tag_read"),
    ("table", "feed_counts"),
    ("table", "tag_counts"),
)


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Put the cache in WAL mode, waiting for other processes doing the same. Changing the
    journal mode needs the file to itself, and SQLite answers "database is locked" at once
    rather than calling the busy handler (two refreshes creating a new cache together)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            busy = cache_file.error_code(error) in (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class StoreError(Exception):
    """The cache cannot be used (newer schema, unwritable location …)."""


class CacheDamaged(StoreError):
    """SQLite found the cache damaged while reading it; the next open recovers it."""


def _reason(error: BaseException) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "stored text is not valid UTF-8"
    return str(error) or type(error).__name__


class CacheBusy(StoreError):
    """Another program held the write lock for longer than the caller would wait."""


class ReadOnlyCache(StoreError, sqlite3.OperationalError):
    """A write to a cache opened for reading only (the message says why)."""


class BatchFailed(StoreError, sqlite3.Error):
    """A write inside `Store.batch` failed: the whole batch was rolled back."""


class ArticleNotFound(StoreError):
    """No article matches the given id."""


class AmbiguousArticle(StoreError):
    """An id prefix matches more than one article."""


class ArticleFilter(NamedTuple):
    """Which articles the list shows: all, unread, starred, one feed or one tag."""

    kind: str = "all"
    """'all', 'unread', 'starred', 'feed' or 'tag'."""
    value: int | None = None
    """The feed or tag id for 'feed' and 'tag'."""
    unread_only: bool = False
    starred_only: bool = False
    order: str = "newest"
    """One of SORT_ORDERS."""

    def where(self) -> tuple[str, list[object]]:
        """SQL conditions on `articles AS a` with their parameters."""
        clauses: list[str] = []
        params: list[object] = []
        if self.kind == "unread" or self.unread_only:
            clauses.append("a.read = 0")
        if self.kind == "starred" or self.starred_only:
            clauses.append("a.starred = 1")
        if self.kind == "feed":
            clauses.append("a.feed_id = ?")
            params.append(self.value)
        elif self.kind == "tag":
            clauses.append("a.id IN (SELECT article_id FROM article_tags WHERE tag_id = ?)")
            params.append(self.value)
        return (" AND ".join(clauses) or "1"), params


ALL_ARTICLES = ArticleFilter()
"""The filter that lets every article through."""


class StoreResult(NamedTuple):
    """What storing one parsed feed changed."""

    new: int
    updated: int
    unchanged: int


class RetentionResult(NamedTuple):
    """What applying the retention rules removed (or, in a dry run, would remove)."""

    articles: int
    bytes: int
    """Bytes of text (titles, links, bodies, renderings, full texts) the articles held."""


# (keep_days, keep_items); 0 means no limit.
RetentionRule = tuple[int, int]

_RETENTION_CANDIDATES = """
SELECT id, key, uid FROM (
    SELECT id, key, uid, read, starred, sort_key,
           row_number() OVER (ORDER BY sort_key DESC, id DESC) AS rank
    FROM articles WHERE feed_id = :feed
)
WHERE starred = 0
  AND ((:days > 0 AND sort_key < :cutoff) OR (:items > 0 AND rank > :items))
  AND NOT (:days > 0 AND read = 0 AND sort_key >= :cutoff)
"""

_ARTICLE_BYTES = """
SELECT COALESCE(SUM(
    length(CAST(a.title AS BLOB)) + length(CAST(a.link AS BLOB))
    + length(CAST(a.author AS BLOB))
    + COALESCE(length(CAST(b.html AS BLOB)), 0)
    + COALESCE(length(CAST(b.markdown AS BLOB)), 0)
    + COALESCE(length(CAST(b.analysis AS BLOB)), 0)
    + COALESCE((SELECT length(CAST(f.html AS BLOB)) FROM full_texts AS f
                WHERE f.article_id = a.id), 0)
), 0)
FROM articles AS a LEFT JOIN bodies AS b ON b.article_id = a.id
WHERE a.id IN ({marks})
"""


class FeedState(NamedTuple):
    """What the refresher needs to know about a stored feed."""

    id: int
    location: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    gone: bool
    retry_at: float | None
    redirect_url: str | None


@lru_cache(maxsize=1024)  # a refresh asks it for the same few dozen names, ten times an article
def tag_key(name: str) -> str:
    """The normalised identity of a tag: case and spacing do not make a new tag."""
    return " ".join(name.casefold().split())


def article_key(feed_location: str, uid: str) -> str:
    """The public id of an article: short, stable across refreshes."""
    from hashlib import sha1  # here, not at the top: hashlib is not needed to start reading

    return sha1(f"{feed_location}\0{uid}".encode()).hexdigest()[:12]


def hash_text(text: str) -> str:
    """A short fingerprint of a string."""
    from hashlib import sha1

    return sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def content_hash(article: ParsedArticle) -> str:
    """A fingerprint of everything stored for an article, to skip unchanged rewrites."""
    from hashlib import sha1

    digest = sha1()
    for part in (
        article.title,
        article.link,
        article.author,
        repr(article.published),
        "\x1f".join(article.tags),
        article.base_url,
        article.html,
    ):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1e")
    # Only when present: articles without enclosures keep the fingerprint they had before.
    for enclosure in article.enclosures:
        digest.update(
            repr((enclosure.url, enclosure.type, enclosure.length, enclosure.duration)).encode(
                "utf-8", "surrogatepass"
            )
        )
    return digest.hexdigest()


_INSERT_ENCLOSURE = (
    "INSERT INTO enclosures (article_id, position, url, type, length, duration, title) VALUES "
)
_INSERT_ARTICLE_TAG = (
    "INSERT INTO article_tags (article_id, tag_id, spelling, origin, read, sort_key) VALUES "
)

_MAX_VARIABLES = 999
"""Parameters one statement may take with any SQLite build (3.32+ allow 32,766)."""


def insert_rows(conn: sqlite3.Connection, insert: str, rows: list[tuple], tail: str = "") -> None:
    """Insert `rows` with as few statements as the parameter limit allows (`insert` ends
    with VALUES; `tail`, an ON CONFLICT clause, follows the rows).

    One statement for many rows instead of one per row: a statement that fires triggers
    (the kept counts) keeps a statement journal, a copy of every page it changes, and
    one statement copies each page once instead of once per row.
    """
    if not rows:
        return
    width = len(rows[0])
    step = max(1, _MAX_VARIABLES // width)
    one = "(" + ", ".join("?" * width) + ")"
    for start in range(0, len(rows), step):
        part = rows[start : start + step]
        conn.execute(
            insert + ", ".join([one] * len(part)) + tail,
            [value for row in part for value in row],
        )


_ROW_COLUMNS = (
    "a.id, a.key, a.title, a.link, a.feed_id, COALESCE(f.user_title, f.title), "
    "a.author, a.published, a.read, a.starred"
)


_ROW_BY_ID = (
    f"SELECT {_ROW_COLUMNS} FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE a.id = ?"
)


_Keys = tuple[str, str, list[tuple[str, str]]]
"""How a list query is ordered: (table, id column, [(column, 'ASC' | 'DESC'), …])."""


def _id_query(article_filter: ArticleFilter) -> tuple[str, list[object], _Keys | None]:
    """The SELECT of a filter's ids in its order (no LIMIT), its parameters, and the
    order's key columns (None for the feed order, which is not a plain index order).

    A tag's list reads `article_tags` alone, which carries each article's read state and
    sort key: one ordered index walk (tag_id, sort_key …, or tag_id, read, sort_key …
    when read ones are hidden), however many articles carry the tag."""
    f = article_filter
    order = f.order if f.order in SORT_ORDERS else "newest"
    if f.kind == "tag" and not f.starred_only and order != "feed":
        columns = _order_columns(order, "read", "sort_key", "article_id")
        where = "tag_id = ?" + (" AND read = 0" if f.unread_only else "")
        # Named for the plain newest/oldest list: with statistics made before the read
        # index existed, SQLite took that one and sorted the whole tag (30-130 ms at 400k).
        table = "article_tags" + (
            " INDEXED BY article_tags_order" if order != "unread" and not f.unread_only else ""
        )
        sql = (
            f"SELECT article_id FROM {table} WHERE {where} "
            f"ORDER BY {', '.join(f'{c} {d}' for c, d in columns)}"
        )
        return sql, [f.value], ("article_tags", "article_id", columns)
    where, params = f.where()
    sql = f"SELECT a.id FROM articles a WHERE {where} ORDER BY {_ORDER_BY[order]}"
    if order == "feed":
        return sql, params, None
    return sql, params, ("articles", "a.id", _order_columns(order, "a.read", "a.sort_key", "a.id"))


def _within_feed(article_filter: ArticleFilter, feed_id: int | None) -> ArticleFilter:
    """The part of an all/unread/starred/feed filter inside one feed (any feed when None),
    newest first: what the feed order lists under each feed."""
    f = article_filter
    return ArticleFilter(
        "all" if feed_id is None else "feed",
        feed_id,
        unread_only=f.kind == "unread" or f.unread_only,
        starred_only=f.kind == "starred" or f.starred_only,
    )


def _order_columns(order: str, read: str, sort_key: str, id_: str) -> list[tuple[str, str]]:
    if order == "oldest":
        return [(sort_key, "ASC"), (id_, "ASC")]
    newest = [(sort_key, "DESC"), (id_, "DESC")]
    return [(read, "ASC"), *newest] if order == "unread" else newest


def _before(columns: list[tuple[str, str]], anchor: tuple) -> list[tuple[str, list[object]]]:
    """Disjoint conditions (with their parameters) true of the rows that come before
    `anchor` in the order of `columns`: an equal prefix, then one row-value comparison on
    the next columns of one direction. Counted one by one: as one OR, SQLite collects
    every matching key in a row set first, ten times slower than a range count."""
    groups: list[list[int]] = []
    for index, (_, direction) in enumerate(columns):
        if groups and columns[groups[-1][-1]][1] == direction:
            groups[-1].append(index)
        else:
            groups.append([index])
    conditions: list[tuple[str, list[object]]] = []
    for group in groups:
        equal = [f"{columns[i][0]} = ?" for i in range(group[0])]
        names = ", ".join(columns[i][0] for i in group)
        marks = ", ".join("?" for _ in group)
        sign = "<" if columns[group[0]][1] == "ASC" else ">"
        compare = f"({names}) {sign} ({marks})" if len(group) > 1 else f"{names} {sign} ?"
        values = [*anchor[: group[0]], *(anchor[i] for i in group)]
        conditions.append((" AND ".join([*equal, compare]), values))
    return conditions


def _row(values: tuple) -> ArticleRow:
    return ArticleRow(
        id=values[0],
        key=values[1],
        title=values[2],
        link=values[3],
        feed_id=values[4],
        feed_title=values[5],
        author=values[6],
        published=values[7],
        read=bool(values[8]),
        starred=bool(values[9]),
    )


class Store:
    """The SQLite cache. One connection, safe to share between threads (calls serialise)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.notice: str | None = None
        """Set when opening had to do something the user should hear about."""
        self.read_only = False
        """True when the cache can only be read (read-only file or folder, full disk)."""
        self._immutable = False
        self._lock = threading.RLock()
        self._tag_cache: dict[str, tuple[int, str]] = {}
        """Tag key → (id, shown name) within one store_feed transaction."""
        self._pending_index: list[IndexEntry] = []
        """Articles written in the open transaction, indexed just before it commits."""
        self._batching = False
        """True while `batch()` holds one transaction open for several writes."""
        self._batch_failed = False
        self._conn = self._open()
        self._ensure_extra_tables()
        self._drop_stray_server_rows()
        self.kept_counts = self._ensure_kept_counts()
        """True when the cache keeps per-feed and per-tag counts (a read-only cache made
        by an older ketaread does not: its counts are then worked out from the articles)."""
        # Reads have connections of their own: in WAL mode a reader never waits for a
        # writer, so the screen stays responsive while another process (or thread) holds
        # the write lock or waits for it. A pool rather than one: a long read in a worker
        # (a search, the sidebar's counts, a batch to index) never holds up the short ones
        # a key press makes (a tag switch, a page of rows, an open).
        self._pool_lock = threading.Lock()
        self._idle_readers: list[sqlite3.Connection] = []
        self._closed = False
        self._idle_readers.append(self._new_reader())

    # -- opening and migrations -------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            # `immutable` where SQLite cannot make its -shm file (a read-only folder or
            # a full disk): nobody can be writing a cache in such a place anyway.
            params = {"mode": "ro", **({"immutable": "1"} if self._immutable else {})}
            target, as_uri = cache_file.uri(self.path, **params), True
        else:
            target, as_uri = str(self.path), False
        conn = sqlite3.connect(
            target,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
            uri=as_uri,
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return conn

    def _open(self) -> sqlite3.Connection:
        """Open the cache under the policy of core/cache_file.py: refuse what is not ours,
        report the disk's errors as such, recover only real damage."""
        try:
            header = cache_file.examine(self.path)
            cache_file.refuse_foreign(self.path, header)
        except cache_file.CacheFileError as error:
            raise StoreError(str(error)) from error
        if header is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(
                    f"cannot create the cache folder {self.path.parent}: {error.strerror or error}"
                ) from error
        if not cache_file.can_write(self.path):
            if header is None:
                raise StoreError(f"cannot create the cache {self.path}: its folder is not writable")
            return self._open_read_only(f"the cache {self.path} is read-only")
        try:
            return self._open_writable()
        except StoreError:
            raise
        except (sqlite3.Error, UnicodeDecodeError) as error:
            if cache_file.is_damage(error):
                return self._recover(_reason(error))
            plain = cache_file.describe(error, self.path)
            if plain is None:
                raise StoreError(f"cannot open the cache {self.path}: {error}") from error
            if "busy" in plain or header is None:
                raise StoreError(plain) from error
            # Full disk, read-only file system, no permission: still readable, and untouched.
            return self._open_read_only(plain)

    def _open_writable(self) -> sqlite3.Connection:
        conn = self._connect()
        try:
            self._check_ours(conn)
            _enable_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            application_id = conn.execute("PRAGMA application_id").fetchone()[0]
            if version < SCHEMA_VERSION or application_id != cache_file.APPLICATION_ID:
                self._migrate(conn, version)
            if self._marker.exists():
                # An earlier run met damage while reading: check the whole file now.
                if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    raise sqlite3.DatabaseError("database disk image is malformed")
                self._marker.unlink(missing_ok=True)
        except BaseException:
            conn.close()
            raise
        return conn

    def _check_ours(self, conn: sqlite3.Connection) -> None:
        """Refuse a newer cache, or an SQLite file with other tables, before any write."""
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the cache {self.path} was written by a newer ketaread (schema {version}; "
                f"this version knows {SCHEMA_VERSION}). Upgrade ketaread, or choose another "
                "cache with --db. The file was left untouched."
            )
        try:
            cache_file.check_tables(self.path, tables, application_id)
        except cache_file.CacheFileError as error:
            raise StoreError(str(error)) from error

    def _open_read_only(self, reason: str) -> sqlite3.Connection:
        """Read the cache without writing a byte; every write says why it cannot."""
        self.read_only = True
        last: BaseException | None = None
        for immutable in (False, True):
            self._immutable = immutable
            try:
                conn = self._connect()
                self._check_ours(conn)
                conn.execute("SELECT COUNT(*) FROM feeds").fetchone()
            except StoreError:
                raise
            except (sqlite3.Error, UnicodeDecodeError) as error:
                last = error
                continue
            self.notice = f"{reason}: reading only, nothing read, starred or fetched is saved"
            return conn
        raise StoreError(f"{reason}, and it cannot be read either ({last})") from last

    def _recover(self, reason: str) -> sqlite3.Connection:
        """Recover a damaged cache of ours: keep what can be read, say what was lost."""
        self.read_only = False
        try:
            # With the extra tables, so that a row-by-row copy keeps attachments and full
            # texts, and a rebuilt schema page lays them where a real cache has them.
            schema = _schema_sql() + ";\n" + _EXTRA_TABLES
            outcome = cache_file.recover(self.path, schema, SCHEMA_VERSION)
        except (OSError, sqlite3.Error) as error:
            plain = cache_file.describe(error, self.path) or str(error)
            raise StoreError(
                f"the cache {self.path} is damaged ({reason}) and could not be recovered: "
                f"{plain}. It was left where it is."
            ) from error
        self._marker.unlink(missing_ok=True)
        self.notice = outcome.sentence(self.path, reason)
        conn = self._open_writable()
        self._conn = conn
        self._ensure_kept_counts(rebuild=True)
        return conn

    @property
    def _marker(self) -> Path:
        """A file that says an earlier run met damage: the next open checks the whole file."""
        return Path(f"{self.path}.damaged")

    def _ensure_extra_tables(self) -> None:
        try:
            for statement in _EXTRA_TABLES.split(";"):
                if statement.strip():
                    self._conn.execute(statement)
        except sqlite3.OperationalError:
            pass  # a read-only cache that predates them: reads find no enclosures

    def _drop_stray_server_rows(self) -> None:
        """Drop the row an old bug made by reading `server:NAME` as a local file.

        `R` on a server account's feed refreshed "server:NAME" as a path: a failing feed of
        that location (and source) was cached for good. A server feed's location is
        "server:NAME/feed/ID", never its source; a real local one is an absolute path and
        a remote one a URL: such a row is none of them. Only a row with no articles and no
        title of the user's goes. A read first, so an open never waits for the write lock
        for nothing; busy or read-only, it is left for the next open."""
        stray = (
            "FROM feeds WHERE substr(location, 1, 7) = 'server:' AND location = source "
            "AND user_title IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM articles WHERE articles.feed_id = feeds.id)"
        )
        if self.read_only:
            return
        try:
            if self._conn.execute(f"SELECT 1 {stray} LIMIT 1").fetchone() is None:
                return
            with self._write(wait=1.0, report_damage=False) as conn:
                conn.execute(f"DELETE {stray}")
        except (StoreError, sqlite3.Error):
            pass  # busy, or the disk refuses: harmless until the next open

    def _ensure_kept_counts(self, rebuild: bool = False) -> bool:
        """Make the kept counts when the cache lacks them (or `rebuild`: counts copied by a
        recovery may not match the articles that came back). True when the cache has them."""
        conn = self._conn
        # The triggers too: a recovery copies the count tables but not their triggers,
        # and counts without triggers would go stale for good.
        present = set(conn.execute("SELECT type, name FROM sqlite_master"))
        if present.issuperset(_KEPT_COUNT_OBJECTS) and not rebuild:
            return True
        if self.read_only:
            return False
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return False  # busy for the whole busy timeout: counted from the articles
        try:
            # Triggers without their tables (or half a set) would fail every write.
            for kind, name in _KEPT_COUNT_OBJECTS:
                conn.execute(f"DROP {kind.upper()} IF EXISTS {name}")
            for statement in _statements(_KEPT_COUNTS):
                conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return True

    def _migrate(self, conn: sqlite3.Connection, version: int) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            for step in range(current, SCHEMA_VERSION):
                migration = _MIGRATIONS[step]
                script = migration if isinstance(migration, str) else migration()
                for statement in _statements(script):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {step + 1}")
            # Marks the file as ketaread's: only such a file is ever moved or recovered.
            conn.execute(f"PRAGMA application_id = {cache_file.APPLICATION_ID}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close every connection (a read still running keeps its own until it ends)."""
        with self._lock, self._pool_lock:
            self._closed = True
            for conn in self._idle_readers:
                conn.close()
            self._idle_readers.clear()
            self._conn.close()

    def _new_reader(self) -> sqlite3.Connection:
        conn = self._connect()
        conn.execute("PRAGMA query_only = ON")
        return conn

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A read connection no other thread is using (a new one when all are busy: as
        many as threads read at once, a handful)."""
        with self._pool_lock:
            if self._closed:
                raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
            conn = self._idle_readers.pop() if self._idle_readers else None
        if conn is None:
            conn = self._new_reader()
        try:
            yield conn
        finally:
            with self._pool_lock:
                if self._closed:
                    conn.close()
                else:
                    self._idle_readers.append(conn)

    @contextmanager
    def _write(
        self, wait: float | None = None, *, report_damage: bool = True
    ) -> Iterator[sqlite3.Connection]:
        """One write transaction that takes the write lock up front (no upgrade deadlocks).

        With `wait`, the lock is waited for that many seconds at most (instead of the
        busy timeout) and CacheBusy says it stayed taken: nothing was changed."""
        if self.read_only:
            raise ReadOnlyCache(self.notice or f"the cache {self.path} is read-only")
        if self._batching and self._lock.acquire(blocking=False):
            # Only the thread holding the batch gets the lock without waiting: its writes
            # join the batch's transaction.
            try:
                if self._batching:
                    if self._batch_failed or not self._conn.in_transaction:
                        # SQLite rolled the batch back itself (a full disk, an I/O error):
                        # a write now would commit on its own, outside the batch.
                        self._batch_failed = True
                        raise BatchFailed("the batch's transaction was rolled back")
                    try:
                        yield self._conn
                    except BaseException:
                        # Even if the caller handles it, the batch may hold half of this
                        # write: it is rolled back whole (see `batch`).
                        self._batch_failed = True
                        raise
                    return
            finally:
                self._lock.release()
        if wait is not None:
            # Our own writer (another thread) is not waited on for longer either.
            if not self._lock.acquire(timeout=max(wait, 0.001)):
                raise CacheBusy(f"the cache {self.path} is busy")
            self._lock.release()
        with self._lock, self._damage_reported() if report_damage else nullcontext():
            if wait is not None:
                self._conn.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                if cache_file.error_code(error) in (5, 6):  # SQLITE_BUSY, SQLITE_LOCKED
                    raise CacheBusy(
                        f"the cache {self.path} is busy (another program is writing it)"
                    ) from error
                raise
            finally:
                if wait is not None:
                    self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            try:
                yield self._conn
                if self._pending_index:
                    from ketaread.core.search import write_documents

                    write_documents(self._conn, self._pending_index)
                    self._pending_index.clear()
                self._conn.execute("COMMIT")
            except BaseException:
                self._pending_index.clear()
                self._tag_cache.clear()  # ids of tags this transaction made are gone with it
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Make the writes inside one transaction (a refresh's feeds that are ready together).

        One COMMIT instead of one per feed, and one index segment: see benchmarks/README.md.
        All or nothing: when any write inside fails, even one whose caller handled the
        error, the whole batch is rolled back and BatchFailed raised, so a caller redoes
        the writes one transaction each to learn which one failed. Only the calling
        thread's writes join; other threads' wait for the batch to end, so keep it short.
        """
        with self._write():
            self._batching, self._batch_failed = True, False
            self._tag_cache.clear()
            try:
                yield
            finally:
                self._batching = False
            if self._batch_failed:
                self._batch_failed = False
                raise BatchFailed("a write inside the batch failed; nothing of it was kept")

    def _query(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        with self._reading() as conn, self._damage_reported():
            return conn.execute(sql, tuple(params)).fetchall()

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """A write transaction, for core modules that keep tables of their own (core/sync)."""
        return self._write()

    def query(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        """Rows of a read on the reader connection, for core modules with their own tables."""
        return self._query(sql, params)

    @contextmanager
    def _damage_reported(self) -> Iterator[None]:
        """Turn SQLite's word that the file is damaged into CacheDamaged, and leave a mark
        so that the next open checks the whole file and recovers it."""
        try:
            yield
        except (sqlite3.DatabaseError, UnicodeDecodeError) as error:
            if not cache_file.is_damage(error):
                raise
            # In a read-only folder no mark: the next damaged read says the same again.
            with suppress(OSError):
                self._marker.touch()
            raise CacheDamaged(
                f"the cache {self.path} is damaged ({_reason(error)}); it is recovered the "
                "next time ketaread opens it"
            ) from error

    # -- feeds ------------------------------------------------------------------

    def feed_state(self, location: str) -> FeedState | None:
        """Validators and polling state of the feed stored at `location`."""
        rows = self._query(
            "SELECT id, location, etag, last_modified, body_hash, gone, retry_at, redirect_url "
            "FROM feeds WHERE location = ?",
            (location,),
        )
        if not rows:
            return None
        r = rows[0]
        return FeedState(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7])

    def feed_state_for_source(self, source: str) -> FeedState | None:
        """The state of a remote source's feed, wherever redirects have moved it."""
        rows = self._query(
            "SELECT location FROM feeds WHERE source = ? ORDER BY location = ? DESC, id LIMIT 1",
            (source, source),
        )
        return self.feed_state(rows[0][0]) if rows else None

    def feed_title(self, location: str) -> str | None:
        """The title a feed is shown under."""
        rows = self._query(
            "SELECT COALESCE(user_title, NULLIF(title, '')) FROM feeds WHERE location = ?",
            (location,),
        )
        return rows[0][0] if rows else None

    def feed_updated_at(self, location: str) -> float | None:
        """When a feed last stored articles."""
        rows = self._query("SELECT updated_at FROM feeds WHERE location = ?", (location,))
        return rows[0][0] if rows else None

    def store_feed(
        self,
        source: str,
        parsed: ParsedFeed,
        *,
        user_title: str | None = None,
        user_tags: Iterable[str] = (),
        etag: str | None = None,
        last_modified: str | None = None,
        body_hash: str | None = None,
        now: float | None = None,
    ) -> StoreResult:
        """Store a parsed feed, its articles and its validators in one transaction."""
        now = time.time() if now is None else now
        user_tags = list(user_tags)
        with self._write() as conn:
            if not self._batching:
                # Valid for this transaction only: another process may change tags meanwhile.
                self._tag_cache.clear()
            feed_id = self._upsert_feed(conn, source, parsed, user_title, now)
            conn.execute(
                "UPDATE feeds SET etag = ?, last_modified = ?, body_hash = ?, checked_at = ?, "
                "updated_at = ?, error = NULL, error_at = NULL, warning = ?, retry_at = NULL "
                "WHERE id = ?",
                (
                    etag,
                    last_modified,
                    body_hash,
                    now,
                    now,
                    "; ".join(parsed.warnings) or None,
                    feed_id,
                ),
            )
            # What COALESCE(user_title, title) reads back after the upsert.
            feed_title = parsed.title if user_title is None else user_title
            return self._store_articles(conn, feed_id, parsed, feed_title, user_tags, now)

    def _upsert_feed(
        self,
        conn: sqlite3.Connection,
        source: str,
        parsed: ParsedFeed,
        user_title: str | None,
        now: float,
    ) -> int:
        row = conn.execute(
            "SELECT id, COALESCE(user_title, title) FROM feeds WHERE location = ?",
            (parsed.location,),
        ).fetchone()
        if row:
            conn.execute(
                "UPDATE feeds SET source = ?, kind = ?, title = ?, user_title = ?, link = ?, "
                "gone = 0 WHERE id = ?",
                (source, parsed.kind, parsed.title, user_title, parsed.link, row[0]),
            )
            shown = user_title or parsed.title
            if shown != row[1]:
                from ketaread.core.search import rename_feed

                rename_feed(conn, row[0], shown)
            return row[0]
        cursor = conn.execute(
            "INSERT INTO feeds (source, location, kind, title, user_title, link) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (source, parsed.location, parsed.kind, parsed.title, user_title, parsed.link),
        )
        return int(cursor.lastrowid or 0)

    def _store_articles(
        self,
        conn: sqlite3.Connection,
        feed_id: int,
        parsed: ParsedFeed,
        feed_title: str,
        user_tags: list[str],
        now: float,
    ) -> StoreResult:
        existing = {
            uid: (article_id, digest, link)
            for article_id, uid, digest, link in conn.execute(
                "SELECT id, uid, content_hash, link FROM articles WHERE feed_id = ?", (feed_id,)
            )
        }
        incoming_uids = {a.uid for a in parsed.articles}
        deleted_uids: set[str] = set()
        deleted_links: set[str] = set()
        for uid, link in conn.execute(
            "SELECT uid, link FROM deleted_articles WHERE feed_id = ?", (feed_id,)
        ):
            deleted_uids.add(uid)
            if link:
                deleted_links.add(link)
        # Articles removed by the retention rules stay removed while the feed still carries
        # them; once it stops carrying one, its tombstone goes too.
        retired = {
            uid for (uid,) in conn.execute("SELECT uid FROM retired WHERE feed_id = ?", (feed_id,))
        }
        if retired - incoming_uids:
            conn.executemany(
                "DELETE FROM retired WHERE feed_id = ? AND uid = ?",
                [(feed_id, uid) for uid in retired - incoming_uids],
            )
        # Ids that change between fetches: an unseen uid whose link matches an article
        # that has vanished from the feed is the same article under a new name.
        vanished_by_link = {
            link: uid for uid, (_, _, link) in existing.items() if link and uid not in incoming_uids
        }
        new = updated = unchanged = 0
        respell: set[int] = set()
        user_part = "\x1d".join(user_tags)
        user_digest = f":{hash_text(user_part)}" if user_tags else ""
        from ketaread.core.search import document_from

        # An undated article sorts just after its feed's oldest dated one, in feed order (a
        # feed without any date: by first sight), never above every dated article.
        dates = [a.published for a in parsed.articles if isinstance(a.published, (int, float))]
        undated_base = min(dates) - 1 if dates else now
        # New articles' rows go in together, one executemany per table, after the loop:
        # their ids are given here (the write lock is held, so nothing else inserts), the
        # same ids SQLite would have chosen (the largest so far plus one).
        next_id = (conn.execute("SELECT MAX(id) FROM articles").fetchone()[0] or 0) + 1
        article_rows: list[tuple] = []
        body_rows: list[tuple] = []
        enclosure_rows: list[tuple] = []
        tag_rows: list[tuple] = []
        tag_ids = self._tag_ids(conn, user_tags, respell)
        for position, article in enumerate(parsed.articles):
            if article.uid in retired and article.uid not in existing:
                continue
            # User tags from the config are part of what is stored for the article.
            digest = (article.digest or content_hash(article)) + user_digest
            if article.uid not in existing and article.link in vanished_by_link:
                old_uid = vanished_by_link.pop(article.link)
                conn.execute(
                    "UPDATE articles SET uid = ? WHERE feed_id = ? AND uid = ?",
                    (article.uid, feed_id, old_uid),
                )
                existing[article.uid] = existing.pop(old_uid)
            if article.uid not in existing and (
                article.uid in deleted_uids or (article.link and article.link in deleted_links)
            ):
                unchanged += 1  # deleted by the reader: stays deleted
                continue
            if article.uid in existing:
                article_id, old_digest, _ = existing[article.uid]
                if old_digest == digest:
                    unchanged += 1
                    continue
                conn.execute(
                    "UPDATE articles SET title = ?, link = ?, author = ?, published = ?, "
                    "sort_key = COALESCE(?, sort_key), content_hash = ? WHERE id = ?",
                    (
                        article.title,
                        article.link,
                        article.author,
                        article.published,
                        article.published,
                        digest,
                        article_id,
                    ),
                )
                conn.execute(
                    "UPDATE bodies SET html = ?, base_url = ?, markdown = NULL, "
                    "analysis = NULL, render_version = 0 WHERE article_id = ?",
                    (article.html, article.base_url, article_id),
                )
                self._set_enclosures(conn, article_id, article, replace=True)
                respell |= self._set_article_tags(conn, article_id, article.tags, user_tags, None)
                updated += 1
                sort_key = None
            else:
                # The position keeps the feed's order of undated articles stable.
                sort_key = (
                    article.published if article.published is not None else undated_base - position
                )
                article_id = next_id
                next_id += 1
                article_rows.append(
                    (
                        article_id,
                        article_key(parsed.location, article.uid),
                        feed_id,
                        article.uid,
                        article.title,
                        article.link,
                        article.author,
                        article.published,
                        sort_key,
                        digest,
                    )
                )
                body_rows.append((article_id, article.html, article.base_url))
                enclosure_rows += [
                    (article_id, n, e.url, e.type, e.length, e.duration, e.title)
                    for n, e in enumerate(article.enclosures)
                ]
                wanted = dict(tag_ids)
                for name in article.tags:
                    if tag_key(name):
                        tag_id, other_spelling = self._tag_id(conn, name)
                        if tag_id not in wanted:
                            wanted[tag_id] = (name, "feed")
                            if other_spelling:
                                respell.add(tag_id)
                tag_rows += [
                    (article_id, tag_id, name, origin, 0, sort_key)
                    for tag_id, (name, origin) in wanted.items()
                ]
                new += 1
            # Indexed in the transaction that stores the article (just before it commits):
            # the index never lags.
            tags = list(dict.fromkeys([*user_tags, *article.tags]))
            document, pairs = document_from(article, feed_title, tags)
            self._pending_index.append((article_id, document, sort_key is None, pairs))
        if article_rows:
            insert_rows(
                conn,
                "INSERT INTO articles (id, key, feed_id, uid, title, link, author, published, "
                "sort_key, content_hash) VALUES ",
                article_rows,
            )
            insert_rows(conn, "INSERT INTO bodies (article_id, html, base_url) VALUES ", body_rows)
            if enclosure_rows:
                insert_rows(conn, _INSERT_ENCLOSURE, enclosure_rows)
            insert_rows(conn, _INSERT_ARTICLE_TAG, tag_rows)
        self._rename_tags(conn, respell)
        return StoreResult(new=new, updated=updated, unchanged=unchanged)

    @staticmethod
    def _set_enclosures(
        conn: sqlite3.Connection, article_id: int, article: ParsedArticle, *, replace: bool
    ) -> None:
        if replace:
            conn.execute("DELETE FROM enclosures WHERE article_id = ?", (article_id,))
        if article.enclosures:
            insert_rows(
                conn,
                _INSERT_ENCLOSURE,
                [
                    (article_id, n, e.url, e.type, e.length, e.duration, e.title)
                    for n, e in enumerate(article.enclosures)
                ],
            )

    def _tag_id(self, conn: sqlite3.Connection, name: str) -> tuple[int, bool]:
        """The id of the tag `name` normalises to, and whether this spelling may rename it."""
        key = tag_key(name)
        cached = self._tag_cache.get(key)
        if cached is None:
            conn.execute(
                "INSERT INTO tags (key, name) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
                (key, name),
            )
            row = conn.execute("SELECT id, name FROM tags WHERE key = ?", (key,)).fetchone()
            cached = (row[0], row[1])
            self._tag_cache[key] = cached
        return cached[0], cached[1] != name

    def _tag_ids(
        self, conn: sqlite3.Connection, user_tags: list[str], respell: set[int]
    ) -> dict[int, tuple[str, str]]:
        """Tag id → (spelling, 'user') of the config's tags for a feed, in order; adds to
        `respell` the tags this spelling may rename."""
        wanted: dict[int, tuple[str, str]] = {}
        for name in user_tags:
            if not tag_key(name):
                continue
            tag_id, other_spelling = self._tag_id(conn, name)
            if tag_id not in wanted:
                wanted[tag_id] = (name, "user")
                if other_spelling:
                    respell.add(tag_id)
        return wanted

    def _set_article_tags(
        self,
        conn: sqlite3.Connection,
        article_id: int,
        feed_tags: list[str],
        user_tags: list[str],
        new_sort_key: float | None,
    ) -> set[int]:
        """Replace an article's tags; returns the tags whose shown spelling may change.

        `new_sort_key` is given for a new article; an existing one's state is read back.
        Read state and sort key are copied so that tag lists and counts use one index.
        """
        respell: set[int] = set()
        read, sort_key = 0, new_sort_key
        if sort_key is None:
            respell = {
                r[0]
                for r in conn.execute(
                    "SELECT tag_id FROM article_tags WHERE article_id = ?", (article_id,)
                )
            }
            read, sort_key = conn.execute(
                "SELECT read, sort_key FROM articles WHERE id = ?", (article_id,)
            ).fetchone()
            conn.execute("DELETE FROM article_tags WHERE article_id = ?", (article_id,))
        wanted: dict[int, tuple[str, str]] = {}
        for origin, names in (("user", user_tags), ("feed", feed_tags)):
            for name in names:
                if not tag_key(name):
                    continue
                tag_id, other_spelling = self._tag_id(conn, name)
                if tag_id not in wanted:
                    wanted[tag_id] = (name, origin)
                    if other_spelling:
                        respell.add(tag_id)
        insert_rows(
            conn,
            _INSERT_ARTICLE_TAG,
            [
                (article_id, tag_id, name, origin, read, sort_key)
                for tag_id, (name, origin) in wanted.items()
            ],
        )
        return respell

    def _rename_tags(self, conn: sqlite3.Connection, tag_ids: set[int]) -> None:
        """Show each tag with its most common spelling; drop tags nothing carries any more."""
        for tag_id in tag_ids:
            row = conn.execute(
                "SELECT spelling FROM article_tags WHERE tag_id = ? GROUP BY spelling "
                "ORDER BY COUNT(*) DESC, spelling LIMIT 1",
                (tag_id,),
            ).fetchone()
            if row:
                conn.execute("UPDATE tags SET name = ? WHERE id = ?", (row[0], tag_id))
            else:
                conn.execute("DELETE FROM tags WHERE id = ?", (tag_id,))
        # Names or rows changed: forget cached names rather than track each one.
        if tag_ids:
            self._tag_cache.clear()

    def record_check(
        self,
        location: str,
        source: str,
        *,
        title: str = "",
        kind: str = "feed",
        error: str | None = None,
        gone: bool | None = None,
        retry_at: float | None = None,
        redirect_url: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        now: float | None = None,
    ) -> None:
        """Record a check that stored no articles: an error, a 304, a 410, a postponement.

        New validators (a 304 may carry a fresh ETag) replace the stored ones; None keeps them.
        """
        now = time.time() if now is None else now
        with self._write() as conn:
            row = conn.execute("SELECT id FROM feeds WHERE location = ?", (location,)).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO feeds (source, location, kind, title) VALUES (?, ?, ?, ?)",
                    (source, location, kind, title),
                )
            conn.execute(
                "UPDATE feeds SET checked_at = ?, error = ?, error_at = CASE WHEN ? IS NULL "
                "THEN NULL ELSE ? END, gone = COALESCE(?, gone), retry_at = ?, "
                "redirect_url = ?, etag = COALESCE(?, etag), "
                "last_modified = COALESCE(?, last_modified) WHERE location = ?",
                (
                    now,
                    error,
                    error,
                    now,
                    None if gone is None else int(gone),
                    retry_at,
                    redirect_url,
                    etag,
                    last_modified,
                    location,
                ),
            )

    def move_feed(self, old_location: str, new_location: str) -> None:
        """Follow a permanent redirect: the feed keeps its articles under its new URL."""
        with self._write() as conn:
            conn.execute(
                "UPDATE feeds SET location = ?, redirect_url = NULL WHERE location = ?",
                (new_location, old_location),
            )

    def remove_source(self, source: str) -> int:
        """Forget a source's feeds and articles; returns how many articles went."""
        with self._write() as conn:
            count = conn.execute(
                "SELECT COUNT(*) FROM articles WHERE feed_id IN "
                "(SELECT id FROM feeds WHERE source = ?)",
                (source,),
            ).fetchone()[0]
            tag_ids = {
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT tag_id FROM article_tags WHERE article_id IN (SELECT id FROM "
                    "articles WHERE feed_id IN (SELECT id FROM feeds WHERE source = ?))",
                    (source,),
                )
            }
            conn.execute("DELETE FROM feeds WHERE source = ?", (source,))
            self._rename_tags(conn, tag_ids)
            return int(count)

    def feeds(self) -> list[FeedInfo]:
        """Every stored feed with its counts, by title."""
        counts = (
            "feed_counts"
            if self.kept_counts
            else "(SELECT feed_id, COUNT(*) AS total, SUM(read = 0) AS unread FROM articles "
            "GROUP BY feed_id)"
        )
        rows = self._query(
            "SELECT f.id, f.source, f.location, COALESCE(f.user_title, f.title), f.kind, "
            "COALESCE(c.total, 0), COALESCE(c.unread, 0), f.checked_at, f.updated_at, f.error, "
            f"f.error_at, f.warning, f.gone FROM feeds f LEFT JOIN {counts} c "
            "ON c.feed_id = f.id ORDER BY COALESCE(f.user_title, f.title) COLLATE NOCASE, f.id"
        )
        return [
            FeedInfo(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                r[9],
                r[10],
                r[11],
                bool(r[12]),
            )
            for r in rows
        ]

    # -- tags and counts ----------------------------------------------------------

    def tags(self) -> list[TagInfo]:
        """Every tag with its article and unread counts, by name."""
        if self.kept_counts:
            rows = self._query(
                "SELECT t.id, t.key, t.name, c.total, c.unread FROM tags t "
                "JOIN tag_counts c ON c.tag_id = t.id WHERE c.total > 0 "
                "ORDER BY t.name COLLATE NOCASE"
            )
            return [TagInfo(r[0], r[1], r[2], r[3], r[4]) for r in rows]
        rows = self._query(
            "SELECT t.id, t.key, t.name, COUNT(*), SUM(at.read = 0) FROM tags t "
            "JOIN article_tags at ON at.tag_id = t.id GROUP BY t.id "
            "ORDER BY t.name COLLATE NOCASE"
        )
        return [TagInfo(r[0], r[1], r[2], r[3], r[4] or 0) for r in rows]

    def totals(self) -> dict[str, int]:
        """Counts for the sidebar's fixed entries: all, unread, starred."""
        if self.kept_counts:
            row = self._query(
                "SELECT COALESCE(SUM(total), 0), COALESCE(SUM(unread), 0), "
                "COALESCE(SUM(starred), 0) FROM feed_counts"
            )[0]
            return {"all": row[0], "unread": row[1], "starred": row[2]}
        # Three index-only counts: far cheaper than one pass summing over every row.
        row = self._query(
            "SELECT (SELECT COUNT(*) FROM articles), "
            "(SELECT COUNT(*) FROM articles WHERE read = 0), "
            "(SELECT COUNT(*) FROM articles WHERE starred = 1)"
        )[0]
        return {"all": row[0], "unread": row[1], "starred": row[2]}

    # -- articles ---------------------------------------------------------------

    def article_ids(
        self,
        article_filter: ArticleFilter = ALL_ARTICLES,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[int]:
        """Ids of the matching articles in the filter's order (undated ones by first sight);
        `limit` of them from position `offset` (an index walk to the offset: no table read)."""
        by_feed = self._feed_counts_for(article_filter)
        if by_feed is not None and limit is not None:
            return self._ids_by_feed(article_filter, by_feed, limit, max(int(offset), 0))
        sql, params, _ = _id_query(article_filter)
        if limit is not None or offset:
            sql += f" LIMIT {-1 if limit is None else int(limit)} OFFSET {max(int(offset), 0)}"
        return [r[0] for r in self._query(sql, params)]

    def newest_article_id(self) -> int | None:
        """The highest article id: articles stored later have higher ones."""
        return self._query("SELECT MAX(id) FROM articles")[0][0]

    def count(self, article_filter: ArticleFilter = ALL_ARTICLES) -> int:
        """How many articles the filter lets through (from the kept counts when it can)."""
        unread = article_filter.kind == "unread" or article_filter.unread_only
        starred = article_filter.kind == "starred" or article_filter.starred_only
        if self.kept_counts and not (unread and starred):
            column = "unread" if unread else "starred" if starred else "total"
            if article_filter.kind == "feed":
                sql = f"SELECT {column} FROM feed_counts WHERE feed_id = ?"
            elif article_filter.kind == "tag":
                sql = f"SELECT {column} FROM tag_counts WHERE tag_id = ?"
            else:
                sql = f"SELECT SUM({column}) FROM feed_counts"
            rows = self._query(sql, () if sql.endswith("feed_counts") else (article_filter.value,))
            return int(rows[0][0] or 0) if rows else 0
        where, params = article_filter.where()
        return int(self._query(f"SELECT COUNT(*) FROM articles a WHERE {where}", params)[0][0])

    def _feed_counts_for(self, article_filter: ArticleFilter) -> list[tuple[int, int]] | None:
        """For the feed order: (feed id, how many of its articles the filter lets through)
        of each feed in the order's feed order, from the kept counts; None when they
        cannot say (a tag's list, or unread and starred at once)."""
        f = article_filter
        unread = f.kind == "unread" or f.unread_only
        starred = f.kind == "starred" or f.starred_only
        if f.order != "feed" or not self.kept_counts or f.kind == "tag" or (unread and starred):
            return None
        column = "unread" if unread else "starred" if starred else "total"
        one = " AND f.id = ?" if f.kind == "feed" else ""
        return [
            (r[0], r[1])
            for r in self._query(
                f"SELECT f.id, c.{column} FROM feeds f JOIN feed_counts c ON c.feed_id = f.id "
                f"WHERE c.{column} > 0{one} "
                "ORDER BY COALESCE(f.user_title, f.title) COLLATE NOCASE, f.id",
                (f.value,) if one else (),
            )
        ]

    def _ids_by_feed(
        self, article_filter: ArticleFilter, feeds: list[tuple[int, int]], limit: int, offset: int
    ) -> list[int]:
        """A window of the feed order, feed by feed along each feed's own index (the
        plain query sorts every article by its feed's name for each window: 1 s at 400k)."""
        where, params = _within_feed(article_filter, None).where()
        found: list[int] = []
        for feed_id, count in feeds:
            if len(found) >= limit:
                break
            if offset >= count:
                offset -= count
                continue
            found += [
                r[0]
                for r in self._query(
                    f"SELECT a.id FROM articles a WHERE {where} AND a.feed_id = ? "
                    f"ORDER BY a.sort_key DESC, a.id DESC LIMIT {limit - len(found)} "
                    f"OFFSET {offset}",
                    [*params, feed_id],
                )
            ]
            offset = 0
        return found

    def next_unread(
        self,
        article_filter: ArticleFilter,
        article_id: int,
        backwards: bool = False,
        newest: int | None = None,
        shown_read: bool | None = None,
    ) -> tuple[int | None, bool] | None:
        """The unread article nearest after `article_id` in the filter's order (before it
        with `backwards`), wrapping round once: (its id or None when nothing is unread,
        whether it wrapped). Ids above `newest` (stored after the list was made) are left
        out. `shown_read`: in the unread-first order, the read state the article's place
        in the list stands for (an article read there stays where it was shown), which
        it is searched from rather than from its own.
        None when the order cannot be searched by its keys (the feed order), or the
        article is not in the list: the caller walks the list instead.

        Two or three indexed LIMIT 1 queries, however far away the article is: walking
        the rows of a read archive for the one unread article took seconds at 400,000."""
        if article_filter.order == "feed":
            return None
        _, _, keys = _id_query(article_filter)
        if keys is None:
            return None
        unread_sql, params, _ = _id_query(article_filter._replace(unread_only=True))
        _, id_column, columns = keys
        names = ", ".join(name for name, _ in columns)
        rest = unread_sql.partition(" ORDER BY ")[0].removeprefix(f"SELECT {id_column}")
        if newest is not None:
            rest += f" AND {id_column} <= {int(newest)}"
        # The article's own keys, from the whole list (it may be read itself).
        full_sql, full_params, _ = _id_query(article_filter)
        lookup = full_sql.partition(" ORDER BY ")[0].removeprefix(f"SELECT {id_column}")
        lookup = lookup.replace(" INDEXED BY article_tags_order", "")
        found = self._query(
            f"SELECT {names}{lookup} AND {id_column} = ?", [*full_params, article_id]
        )
        if not found:
            return None
        anchor = found[0]
        if shown_read is not None and columns[0][0].endswith("read"):
            # Read where it was shown among the unread ones (or the other way round): its
            # keys now put it with the others, far from the rows around it on screen.
            anchor = (int(shown_read), *anchor[1:])
        flipped = [(name, "DESC" if way == "ASC" else "ASC") for name, way in columns]
        # Walking away from the article: forwards, the rows "before" it in the reversed
        # order; backwards, the rows before it in the order itself, nearest first.
        away = columns if backwards else flipped
        toward = flipped if backwards else columns
        order = ", ".join(f"{name} {way}" for name, way in toward)
        # The conditions are disjoint, the later ones (a longer equal prefix) nearer.
        for condition, values in reversed(_before(away, anchor)):
            rows = self._query(
                f"SELECT {id_column}{rest} AND {condition} ORDER BY {order} LIMIT 1",
                [*params, *values],
            )
            if rows:
                return int(rows[0][0]), False
        rows = self._query(f"SELECT {id_column}{rest} ORDER BY {order} LIMIT 1", params)
        return (int(rows[0][0]) if rows else None), True

    def position(self, article_filter: ArticleFilter, article_id: int) -> int | None:
        """Where an article is in the filter's order (None when the filter leaves it out):
        a count of the index entries before it, not a walk of the list."""
        by_feed = self._feed_counts_for(article_filter)
        if by_feed is not None:
            where, params = article_filter.where()
            found = self._query(
                f"SELECT a.feed_id FROM articles a WHERE {where} AND a.id = ?",
                [*params, article_id],
            )
            if not found:
                return None
            before = 0
            for feed_id, count in by_feed:
                if feed_id == found[0][0]:
                    break
                before += count
            inside = self.position(_within_feed(article_filter, found[0][0]), article_id)
            return None if inside is None else before + inside
        sql, params, keys = _id_query(article_filter)
        if keys is None:
            # The feed order sorts on the feed's name: numbered rather than counted.
            rows = self._query(
                f"SELECT n FROM (SELECT id, row_number() OVER () - 1 AS n FROM ({sql}) AS x) "
                "WHERE id = ?",
                [*params, article_id],
            )
            return int(rows[0][0]) if rows else None
        _, id_column, columns = keys
        # "SELECT <id> FROM … WHERE …": the same rows, selecting their keys, then counting.
        rest = sql.partition(" ORDER BY ")[0].removeprefix(f"SELECT {id_column}")
        names = ", ".join(name for name, _ in columns)
        # Found by its primary key, not along the index the list is read by.
        lookup = rest.replace(" INDEXED BY article_tags_order", "")
        found = self._query(f"SELECT {names}{lookup} AND {id_column} = ?", [*params, article_id])
        if not found:
            return None
        counts: list[str] = []
        values: list[object] = []
        for condition, condition_values in _before(columns, found[0]):
            counts.append(f"(SELECT COUNT(*){rest} AND {condition})")
            values.extend([*params, *condition_values])
        return int(self._query(f"SELECT {' + '.join(counts)}", values)[0][0])

    def rows(self, ids: list[int]) -> list[ArticleRow]:
        """Rows for `ids`, in the order given."""
        if not ids:
            return []
        found: dict[int, ArticleRow] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for values in self._query(
                f"SELECT {_ROW_COLUMNS} FROM articles a JOIN feeds f ON f.id = a.feed_id "
                f"WHERE a.id IN ({marks})",
                chunk,
            ):
                found[values[0]] = _row(values)
        return [found[i] for i in ids if i in found]

    def list_articles(
        self, article_filter: ArticleFilter = ALL_ARTICLES, limit: int | None = None
    ) -> list[tuple[ArticleRow, list[str]]]:
        """Matching articles with their tag names, in the filter's order."""
        where, params = article_filter.where()
        sql = (
            f"SELECT {_ROW_COLUMNS}, (SELECT group_concat(t.name, char(31)) FROM article_tags at "
            "JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id) "
            f"FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE {where} "
            f"ORDER BY {_ORDER_BY.get(article_filter.order, _ORDER_BY['newest'])}"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [
            (
                _row(values[:10]),
                sorted(values[10].split("\x1f"), key=str.casefold) if values[10] else [],
            )
            for values in self._query(sql, params)
        ]

    def article_tag_ids(self, article_id: int) -> list[int]:
        """The ids of an article's tags."""
        return [
            r[0]
            for r in self._query(
                "SELECT tag_id FROM article_tags WHERE article_id = ?", (article_id,)
            )
        ]

    def resolve(self, given: str) -> int:
        """The article id for a public id or a unique prefix of one."""
        given = given.strip().lower()
        if not given or not all(c in "0123456789abcdef" for c in given):
            raise ArticleNotFound(f"no article with id {given!r}")
        rows = self._query(
            "SELECT id, key FROM articles WHERE key >= ? AND key < ? LIMIT 2",
            (given, given + "g"),
        )
        if not rows:
            raise ArticleNotFound(f"no article with id {given!r}")
        if len(rows) > 1:
            raise AmbiguousArticle(f"{given!r} matches more than one article; give more of the id")
        return int(rows[0][0])

    def article(self, article_id: int) -> ArticleDetail:
        """One article with its body and tags."""
        rows = self._query(
            f"SELECT {_ROW_COLUMNS}, b.html, b.base_url FROM articles a "
            "JOIN feeds f ON f.id = a.feed_id JOIN bodies b ON b.article_id = a.id "
            "WHERE a.id = ?",
            (article_id,),
        )
        if not rows:
            raise ArticleNotFound(f"no article with id {article_id}")
        values = rows[0]
        tags = [
            r[0]
            for r in self._query(
                "SELECT t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id "
                "WHERE at.article_id = ? ORDER BY t.name COLLATE NOCASE",
                (article_id,),
            )
        ]
        detail = ArticleDetail(
            row=_row(values[:10]),
            tags=tags,
            html=values[10],
            base_url=values[11],
            enclosures=[
                Enclosure(url, kind, length, duration, title)
                for url, kind, length, duration, title in self._extra_query(
                    "SELECT url, type, length, duration, title FROM enclosures "
                    "WHERE article_id = ? ORDER BY position",
                    (article_id,),
                )
            ],
        )
        for url, html, error in self._extra_query(
            "SELECT url, html, error FROM full_texts WHERE article_id = ?", (article_id,)
        ):
            if html:
                # The full text replaces the feed's excerpt everywhere: screen, show, analysis.
                detail.html, detail.base_url, detail.full_text = html, url, True
            else:
                detail.full_text_error = error
        return detail

    def _extra_query(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        """A query on the extra tables, which a read-only older cache may lack."""
        try:
            return self._query(sql, params)
        except sqlite3.OperationalError:
            return []

    # -- full text ------------------------------------------------------------------

    def save_full_text(
        self, article_id: int, url: str, html: str | None, error: str | None = None
    ) -> None:
        """Cache an article's fetched full text (or why it failed); re-render from it.

        A failure never replaces a full text fetched earlier.
        """
        with self._write() as conn:
            if html is None:
                conn.execute(
                    "INSERT INTO full_texts (article_id, url, html, error, fetched_at) "
                    "VALUES (?, ?, NULL, ?, ?) ON CONFLICT(article_id) DO UPDATE SET "
                    "error = excluded.error, fetched_at = excluded.fetched_at "
                    "WHERE full_texts.html IS NULL",
                    (article_id, url, error, time.time()),
                )
            else:
                conn.execute(
                    "INSERT OR REPLACE INTO full_texts (article_id, url, html, error, fetched_at) "
                    "VALUES (?, ?, ?, NULL, ?)",
                    (article_id, url, html, time.time()),
                )
            conn.execute(
                "UPDATE bodies SET markdown = NULL, analysis = NULL, render_version = 0 "
                "WHERE article_id = ?",
                (article_id,),
            )

    def articles_without_full_text(self, source: str, limit: int = 20) -> list[tuple[int, str]]:
        """(id, link) of a source's newest articles with a web link and no full text tried."""
        return self._extra_query(
            "SELECT a.id, a.link FROM articles a JOIN feeds f ON f.id = a.feed_id "
            "WHERE f.source = ? AND (a.link LIKE 'http://%' OR a.link LIKE 'https://%') "
            "AND a.id NOT IN (SELECT article_id FROM full_texts) "
            "ORDER BY a.sort_key DESC, a.id DESC LIMIT ?",
            (source, limit),
        )

    def site_links(self) -> dict[str, str]:
        """Each source's web page (the feed's own link), for OPML `htmlUrl`."""
        return dict(
            self._query(
                # Newest first, so that the oldest feed of a source wins in the dict.
                "SELECT source, link FROM feeds WHERE link LIKE 'http%' ORDER BY id DESC"
            )
        )

    def feed_body_samples(self, feed_id: int, limit: int = 20) -> list[str]:
        """The feed's own bodies (not full texts) of its newest articles, for excerpt checks."""
        return [
            r[0]
            for r in self._query(
                "SELECT b.html FROM articles a JOIN bodies b ON b.article_id = a.id "
                "WHERE a.feed_id = ? ORDER BY a.sort_key DESC, a.id DESC LIMIT ?",
                (feed_id, limit),
            )
        ]

    def recent_bodies(self, per_feed: int = 10) -> dict[int, list[str]]:
        """The feed's own bodies of each feed's newest articles, for excerpt checks (only
        those bodies are read, not every article's)."""
        found: dict[int, list[str]] = {}
        for feed_id, html in self._query(
            "WITH recent AS (SELECT id, feed_id FROM (SELECT id, feed_id, ROW_NUMBER() OVER "
            "(PARTITION BY feed_id ORDER BY sort_key DESC, id DESC) AS n FROM articles) "
            "WHERE n <= ?) SELECT r.feed_id, b.html FROM recent r "
            "JOIN bodies b ON b.article_id = r.id",
            (per_feed,),
        ):
            found.setdefault(feed_id, []).append(html)
        return found

    def full_text_feed_ids(self) -> set[int]:
        """Feeds with at least one fetched full text."""
        return {
            r[0]
            for r in self._extra_query(
                "SELECT DISTINCT a.feed_id FROM full_texts t JOIN articles a "
                "ON a.id = t.article_id WHERE t.html IS NOT NULL"
            )
        }

    def full_text_count(self, feed_id: int) -> int:
        """How many of a feed's articles have a fetched full text."""
        rows = self._extra_query(
            "SELECT COUNT(*) FROM full_texts t JOIN articles a ON a.id = t.article_id "
            "WHERE a.feed_id = ? AND t.html IS NOT NULL",
            (feed_id,),
        )
        return int(rows[0][0]) if rows else 0

    def rendering(self, article_id: int, version: int) -> tuple[str, str] | None:
        """The cached (markdown, analysis JSON) of an article, if made by this `version`."""
        rows = self._query(
            "SELECT markdown, analysis FROM bodies WHERE article_id = ? AND render_version = ? "
            "AND markdown IS NOT NULL AND analysis IS NOT NULL",
            (article_id, version),
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def save_rendering(self, article_id: int, version: int, markdown: str, analysis: str) -> bool:
        """Cache an article's rendering so that it is converted once: best effort, never
        waiting. While another program writes (or the cache is read-only, or the disk
        full) it is skipped, and made again next time. True when it was saved."""
        if self.read_only:
            return False
        try:
            with self._write(wait=0) as conn:
                conn.execute(
                    "UPDATE bodies SET markdown = ?, analysis = ?, render_version = ? "
                    "WHERE article_id = ?",
                    (markdown, analysis, version, article_id),
                )
        except CacheDamaged:
            raise
        except (StoreError, sqlite3.OperationalError):
            return False
        return True

    # -- retention ----------------------------------------------------------------

    def apply_retention(
        self,
        rules: dict[str, RetentionRule],
        default: RetentionRule,
        protected: frozenset[str] | set[str] = frozenset(),
        *,
        now: float | None = None,
        dry_run: bool = False,
    ) -> RetentionResult:
        """Remove articles past their source's keep_days/keep_items (see README, Retention).

        `rules` maps a source (as configured) to its rule; other feeds follow `default`.
        Starred articles, articles whose key is in `protected` (highlighted or noted), and
        unread articles younger than keep_days are never removed.
        """
        now = time.time() if now is None else now
        if dry_run:
            with self._reading() as conn:
                return self._retire(conn, rules, default, protected, now, remove=False)
        with self._write() as conn:
            return self._retire(conn, rules, default, protected, now, remove=True)

    @staticmethod
    def _retire(
        conn: sqlite3.Connection,
        rules: dict[str, RetentionRule],
        default: RetentionRule,
        protected: frozenset[str] | set[str],
        now: float,
        *,
        remove: bool,
    ) -> RetentionResult:
        doomed: list[tuple[int, int, str]] = []
        for feed_id, source in conn.execute("SELECT id, source FROM feeds").fetchall():
            days, items = rules.get(source, default)
            if not days and not items:
                continue
            parameters = {"feed": feed_id, "days": days, "items": items}
            parameters["cutoff"] = now - days * 86_400
            for article_id, key, uid in conn.execute(_RETENTION_CANDIDATES, parameters):
                if key not in protected:
                    doomed.append((article_id, feed_id, uid))
        total_bytes = 0
        chunk = 500  # below SQLite's bound-parameter limit
        for start in range(0, len(doomed), chunk):
            part = doomed[start : start + chunk]
            ids = [article_id for article_id, _, _ in part]
            marks = ",".join("?" * len(ids))
            total_bytes += conn.execute(_ARTICLE_BYTES.format(marks=marks), ids).fetchone()[0]
            if remove:
                conn.executemany(
                    "INSERT OR IGNORE INTO retired (feed_id, uid) VALUES (?, ?)",
                    [(feed_id, uid) for _, feed_id, uid in part],
                )
                # Bodies, tags, enclosures and full texts go with them (ON DELETE CASCADE).
                conn.execute(f"DELETE FROM articles WHERE id IN ({marks})", ids)
        return RetentionResult(articles=len(doomed), bytes=total_bytes)

    def compact(self) -> int:
        """Rewrite the cache file without its free pages; returns the bytes it shrank by."""
        with self._lock:
            before = self._file_bytes()
            self._conn.execute("VACUUM")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return max(0, before - self._file_bytes())

    def _file_bytes(self) -> int:
        pages = self._conn.execute("PRAGMA page_count").fetchone()[0]
        return int(pages) * int(self._conn.execute("PRAGMA page_size").fetchone()[0])

    def set_read(self, article_ids: Iterable[int], read: bool) -> None:
        """Mark articles read or unread."""
        ids = [(int(read), i) for i in article_ids]
        with self._write() as conn:
            conn.executemany("UPDATE articles SET read = ? WHERE id = ?", ids)
            conn.executemany("UPDATE article_tags SET read = ? WHERE article_id = ?", ids)

    def set_starred(self, article_id: int, starred: bool) -> None:
        """Star or unstar an article."""
        with self._write() as conn:
            conn.execute("UPDATE articles SET starred = ? WHERE id = ?", (int(starred), article_id))

    def toggle(
        self, article_id: int, state: str, wait: float | None = None
    ) -> tuple[ArticleRow, ArticleRow] | None:
        """Flip an article's 'read' or 'starred' state; the rows before and after.

        Flipped in SQL, in one transaction: two quick toggles always cancel out, whatever
        the screen showed when each was asked for. With `wait`, CacheBusy after that long.
        """
        if state not in ("read", "starred"):
            raise ValueError(f"not a state: {state}")
        with self._write(wait) as conn:
            before = conn.execute(_ROW_BY_ID, (article_id,)).fetchone()
            if before is None:
                return None
            conn.execute(f"UPDATE articles SET {state} = 1 - {state} WHERE id = ?", (article_id,))
            if state == "read":
                conn.execute(
                    "UPDATE article_tags SET read = (SELECT read FROM articles WHERE id = ?) "
                    "WHERE article_id = ?",
                    (article_id, article_id),
                )
            after = conn.execute(_ROW_BY_ID, (article_id,)).fetchone()
        return _row(before), _row(after)

    def mark_read(
        self, article_id: int, wait: float | None = None
    ) -> tuple[ArticleRow, ArticleRow] | None:
        """Mark one article read; the rows before and after (None if it is gone).
        With `wait`, CacheBusy after that long."""
        with self._write(wait) as conn:
            before = conn.execute(_ROW_BY_ID, (article_id,)).fetchone()
            if before is None:
                return None
            conn.execute("UPDATE articles SET read = 1 WHERE id = ?", (article_id,))
            conn.execute("UPDATE article_tags SET read = 1 WHERE article_id = ?", (article_id,))
            after = conn.execute(_ROW_BY_ID, (article_id,)).fetchone()
        return _row(before), _row(after)

    def set_state(
        self, article_ids: Iterable[int], state: str, value: bool
    ) -> list[tuple[ArticleRow, ArticleRow]]:
        """Set 'read' or 'starred' on articles; (before, after) of those it changed."""
        if state not in ("read", "starred"):
            raise ValueError(f"not a state: {state}")
        wanted = list(dict.fromkeys(article_ids))
        changed: list[tuple[ArticleRow, ArticleRow]] = []
        with self._write() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                before = {
                    values[0]: _row(values)
                    for values in conn.execute(
                        f"SELECT {_ROW_COLUMNS} FROM articles a JOIN feeds f ON f.id = a.feed_id "
                        f"WHERE a.id IN ({marks}) AND a.{state} != ?",
                        [*chunk, int(value)],
                    )
                }
                if not before:
                    continue
                ids = [i for i in chunk if i in before]
                marks = ",".join("?" * len(ids))
                conn.execute(
                    f"UPDATE articles SET {state} = ? WHERE id IN ({marks})", [int(value), *ids]
                )
                if state == "read":
                    conn.execute(
                        f"UPDATE article_tags SET read = ? WHERE article_id IN ({marks})",
                        [int(value), *ids],
                    )
                for article_id in ids:
                    row = before[article_id]
                    after = (
                        row._replace(read=value) if state == "read" else row._replace(starred=value)
                    )
                    changed.append((row, after))
        return changed

    def delete_articles(self, article_ids: Iterable[int]) -> list[ArticleRow]:
        """Delete articles for good: a refresh will not bring them back. The rows deleted."""
        wanted = list(dict.fromkeys(article_ids))
        gone: list[ArticleRow] = []
        now = time.time()
        with self._write() as conn:
            tag_ids: set[int] = set()
            for article_id in wanted:
                values = conn.execute(_ROW_BY_ID, (article_id,)).fetchone()
                if values is None:
                    continue
                row = _row(values)
                uid = conn.execute(
                    "SELECT uid FROM articles WHERE id = ?", (article_id,)
                ).fetchone()
                tag_ids |= {
                    r[0]
                    for r in conn.execute(
                        "SELECT tag_id FROM article_tags WHERE article_id = ?", (article_id,)
                    )
                }
                conn.execute(
                    "INSERT OR REPLACE INTO deleted_articles (feed_id, uid, link, deleted_at) "
                    "VALUES (?, ?, ?, ?)",
                    (row.feed_id, uid[0], row.link, now),
                )
                conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))
                gone.append(row)
            self._rename_tags(conn, tag_ids)
        return gone

    def reader_state(self, name: str) -> str | None:
        """A value the reader remembers in this cache (its reading position …)."""
        rows = self._query("SELECT value FROM reader_state WHERE name = ?", (name,))
        return str(rows[0][0]) if rows else None

    def set_reader_state(self, name: str, value: str) -> None:
        """Remember a value for the reader in this cache."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO reader_state (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                (name, value),
            )

    def find_by_link(self, url: str) -> int | None:
        """The cached article whose link is `url` (ignoring a trailing slash), if any."""
        if not url:
            return None
        variants = {url, url.rstrip("/"), url.rstrip("/") + "/"}
        marks = ",".join("?" * len(variants))
        rows = self._query(
            f"SELECT id FROM articles WHERE link IN ({marks}) ORDER BY id LIMIT 1", list(variants)
        )
        return int(rows[0][0]) if rows else None

    def articles_mentioning(
        self, needles: Iterable[str], exclude: int | None = None, limit: int = 30
    ) -> list[ArticleRow]:
        """Articles whose title or body contains any of `needles` (case-sensitive), newest first."""
        needles = [n for n in needles if n]
        if not needles:
            return []
        match = " OR ".join(["instr(b.html, ?) > 0 OR instr(a.title, ?) > 0"] * len(needles))
        params: list[object] = [p for n in needles for p in (n, n)]
        rows = self._query(
            f"SELECT {_ROW_COLUMNS} FROM articles a JOIN feeds f ON f.id = a.feed_id "
            f"JOIN bodies b ON b.article_id = a.id WHERE ({match}) AND a.id != ? "
            f"ORDER BY a.sort_key DESC, a.id DESC LIMIT {int(limit)}",
            [*params, exclude if exclude is not None else -1],
        )
        return [_row(v) for v in rows]

    def search_titles(self, query: str, limit: int = 40) -> list[ArticleRow]:
        """Articles whose title contains every word of `query` (case-insensitive), newest first."""
        words = [w for w in query.split() if w][:6]
        if not words:
            return []
        where = " AND ".join(["a.title LIKE ? ESCAPE '\\'"] * len(words))
        params = [
            "%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            for w in words
        ]
        rows = self._query(
            f"SELECT {_ROW_COLUMNS} FROM articles a JOIN feeds f ON f.id = a.feed_id "
            f"WHERE {where} ORDER BY a.sort_key DESC, a.id DESC LIMIT {int(limit)}",
            params,
        )
        return [_row(v) for v in rows]

    # -- search index (the queries are in core/search.py) ---------------------------

    def select(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        """Run a read-only query on the reader connection (for core modules such as search)."""
        return self._query(sql, params)

    def index_articles(self, article_ids: Iterable[int]) -> None:
        """(Re)index these articles in one transaction."""
        from ketaread.core.search import index_articles

        with self._write() as conn:
            index_articles(conn, list(article_ids))

    def clear_search_index(self) -> None:
        """Drop and recreate the full-text index, empty, before a rebuild (it may be damaged)."""
        from ketaread.core.search import SCHEMA_STATEMENTS

        with self._write() as conn:
            conn.execute("DELETE FROM search_state")
            conn.execute("DELETE FROM search_abbrevs")
            conn.execute("DROP TABLE IF EXISTS search")
            conn.execute(SCHEMA_STATEMENTS[0])

    def check_search_index(self) -> None:
        """FTS5's integrity check; raises sqlite3.DatabaseError when the index is damaged.
        A damaged index is rebuilt (search.build_index), not a reason to recover the cache."""
        with self._write(report_damage=False) as conn:
            conn.execute("INSERT INTO search(search) VALUES ('integrity-check')")

    def integrity_ok(self) -> bool:
        """True when SQLite's integrity check passes."""
        return self._query("PRAGMA integrity_check")[0][0] == "ok"
