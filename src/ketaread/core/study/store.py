"""The study file: highlights, notes, the terms a reader is learning, flashcards and reviews.

The reader's own writing lives in a SQLite file of its own, never in the cache: whatever
happens to the cache (moved aside when corrupt, refused when newer, a source removed, an
article re-fetched with another body) leaves it alone. Articles are named by their stable key
(feed and entry id), with their title, link and feed copied, so a highlight outlives its
article and can still be exported. Every write is one transaction, synced to disk (WAL,
synchronous=FULL): a process killed mid-write leaves the file as before the write. A copy,
`<file>.bak`, is refreshed at most once a day by SQLite's backup API.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

from ketaread.core.study.anchors import Anchor

APPLICATION_ID = 0x4B545344  # "KTSD": a ketaread study file
SCHEMA_VERSION = 1
BACKUP_EVERY = 24 * 3600.0
STATUSES = ("new", "learning", "known")
COLORS = ("finding", "method", "definition", "question")
"""Highlight colours by what they mean; the names can be changed in the config."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS highlight (
    id INTEGER PRIMARY KEY,
    article TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    link TEXT NOT NULL DEFAULT '',
    feed TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    quote TEXT NOT NULL,
    prefix TEXT NOT NULL DEFAULT '',
    suffix TEXT NOT NULL DEFAULT '',
    start INTEGER NOT NULL,
    stop INTEGER NOT NULL,
    color TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS highlight_article ON highlight(article);
CREATE TABLE IF NOT EXISTS article_note (
    article TEXT PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    link TEXT NOT NULL DEFAULT '',
    feed TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS term_status (
    term TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('new', 'learning', 'known')),
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS card (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    front TEXT NOT NULL,
    back TEXT NOT NULL,
    article TEXT NOT NULL DEFAULT '',
    schedule TEXT NOT NULL,
    due REAL NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS card_due ON card(due);
CREATE TABLE IF NOT EXISTS review (
    id INTEGER PRIMARY KEY,
    card INTEGER NOT NULL,
    rating INTEGER NOT NULL,
    reviewed REAL NOT NULL
);
"""


class NewCard(NamedTuple):
    """A card to add: what it was made from, its two sides and its first schedule."""

    source: str
    kind: str
    front: str
    back: str
    schedule: str
    due: float


class StudyError(Exception):
    """The study file cannot be used; one line, fit to show. The file is never moved."""


@dataclass(slots=True)
class ArticleRef:
    """What a highlight keeps of its article, so it outlives it in the cache."""

    key: str
    title: str = ""
    link: str = ""
    feed: str = ""
    author: str = ""


@dataclass(slots=True)
class Highlight:
    """A highlighted passage of an article, with its meaning (colour) and a note."""

    id: int
    article: str
    title: str
    link: str
    feed: str
    author: str
    quote: str
    prefix: str
    suffix: str
    start: int
    stop: int
    color: str
    note: str
    created: float
    updated: float

    @property
    def anchor(self) -> Anchor:
        """Where it was made."""
        return Anchor(self.quote, self.prefix, self.suffix, self.start, self.stop)


@dataclass(slots=True)
class Card:
    """A flashcard and its FSRS schedule (as the `fsrs` package writes it, JSON)."""

    id: int
    source: str
    """What it was made from: `term:<key>`, `abbr:<short>` or `highlight:<id>`."""
    kind: str
    front: str
    back: str
    article: str
    schedule: str
    due: float
    created: float


class StudyStore:
    """The study file. One connection, shared between threads (calls serialise)."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        self._lock = threading.RLock()
        if not path.exists() and not create:
            raise StudyError(f"{path}: no study file yet (nothing highlighted or reviewed)")
        if path.exists() and not path.is_file():
            raise StudyError(f"{path}: not a regular file; the study file must be one")
        try:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA busy_timeout = 5000")
            self._check_identity()
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            with self._write():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except (sqlite3.DatabaseError, StudyError) as error:
            with contextlib.suppress(Exception):
                self._db.close()
            if isinstance(error, StudyError):
                raise
            raise StudyError(self._explain(error)) from error

    def _explain(self, error: sqlite3.Error) -> str:
        backup = self.backup_path
        hint = f"; the last backup is {backup}" if backup.exists() else "; there is no backup yet"
        return f"{self.path}: the study file cannot be used ({error}); it was left as it is{hint}"

    def _check_identity(self) -> None:
        application_id = self._db.execute("PRAGMA application_id").fetchone()[0]
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        tables = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if tables and application_id != APPLICATION_ID:
            raise StudyError(f"{self.path}: not a ketaread study file; it was left as it is")
        if version > SCHEMA_VERSION:
            raise StudyError(
                f"{self.path}: written by a newer ketaread (study schema {version}); "
                "it was left as it is"
            )
        if tables:
            result = self._db.execute("PRAGMA quick_check").fetchone()[0]
            if result != "ok":
                raise StudyError(self._explain(sqlite3.DatabaseError(result)))

    @property
    def backup_path(self) -> Path:
        """The daily copy beside the study file."""
        return self.path.with_name(self.path.name + ".bak")

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def backup(self, force: bool = False) -> bool:
        """Copy the file to `<file>.bak` when the copy is older than a day (or `force`).
        Written beside it under a temporary name and renamed over the old copy, so a copy
        is always whole. True when a copy was made."""
        target = self.backup_path
        with contextlib.suppress(OSError):
            if not force and time.time() - target.stat().st_mtime < BACKUP_EVERY:
                return False
        temporary = target.with_name(target.name + ".tmp")
        try:
            with self._lock:
                # A file gone bad must not replace the last good copy.
                if self._db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    return False
                copy = sqlite3.connect(temporary)
                try:
                    self._db.backup(copy)
                finally:
                    copy.close()
            os.replace(temporary, target)
        except (OSError, sqlite3.Error):
            with contextlib.suppress(OSError):
                temporary.unlink()
            return False
        return True

    def close(self) -> None:
        """Close the file (its write-ahead log folded in), after a backup if one is due."""
        with self._lock:
            self.backup()
            self._db.close()

    # -- highlights and notes -------------------------------------------------------

    def add_highlight(
        self,
        article: ArticleRef,
        anchor: Anchor,
        color: str,
        note: str = "",
        card: Callable[[int], NewCard] | None = None,
    ) -> Highlight:
        """Save a highlight and the card `card(id)` makes of it, in one transaction (a
        process killed between the two leaves neither)."""
        now = time.time()
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO highlight (article, title, link, feed, author, quote, prefix,"
                " suffix, start, stop, color, note, created, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    article.key,
                    article.title,
                    article.link,
                    article.feed,
                    article.author,
                    anchor.quote,
                    anchor.prefix,
                    anchor.suffix,
                    anchor.start,
                    anchor.end,
                    color,
                    note,
                    now,
                    now,
                ),
            )
            highlight_id = int(cursor.lastrowid or 0)
            if card is not None:
                self._insert_card(db, card(highlight_id), article.key)
        return self.highlight(highlight_id)

    def highlight(self, highlight_id: int) -> Highlight:
        """One highlight by id."""
        with self._lock:
            row = self._db.execute("SELECT * FROM highlight WHERE id = ?", (highlight_id,))
            found = row.fetchone()
        if found is None:
            raise StudyError(f"no highlight {highlight_id}")
        return Highlight(**dict(found))

    def highlights(self, article: str | None = None) -> list[Highlight]:
        """Highlights of one article (by key), or all, in the order they were made."""
        with self._lock:
            if article is None:
                rows = self._db.execute("SELECT * FROM highlight ORDER BY created, id")
            else:
                rows = self._db.execute(
                    "SELECT * FROM highlight WHERE article = ? ORDER BY start, id", (article,)
                )
            return [Highlight(**dict(row)) for row in rows.fetchall()]

    def update_highlight(
        self, highlight_id: int, *, note: str | None = None, color: str | None = None
    ) -> None:
        """Change a highlight's note or colour."""
        with self._write() as db:
            if note is not None:
                db.execute(
                    "UPDATE highlight SET note = ?, updated = ? WHERE id = ?",
                    (note, time.time(), highlight_id),
                )
            if color is not None:
                db.execute(
                    "UPDATE highlight SET color = ?, updated = ? WHERE id = ?",
                    (color, time.time(), highlight_id),
                )

    def delete_highlight(self, highlight_id: int) -> None:
        """Delete a highlight (and the card made from it)."""
        with self._write() as db:
            db.execute("DELETE FROM highlight WHERE id = ?", (highlight_id,))
            db.execute("DELETE FROM card WHERE source = ?", (f"highlight:{highlight_id}",))

    def set_article_note(self, article: ArticleRef, note: str) -> None:
        """The reader's note on a whole article (an empty note deletes it)."""
        with self._write() as db:
            if not note.strip():
                db.execute("DELETE FROM article_note WHERE article = ?", (article.key,))
                return
            db.execute(
                "INSERT INTO article_note (article, title, link, feed, note, updated)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(article) DO UPDATE SET"
                " note = excluded.note, updated = excluded.updated,"
                " title = excluded.title, link = excluded.link, feed = excluded.feed",
                (article.key, article.title, article.link, article.feed, note, time.time()),
            )

    def article_note(self, article: str) -> str:
        """The note on an article, or ''."""
        with self._lock:
            row = self._db.execute(
                "SELECT note FROM article_note WHERE article = ?", (article,)
            ).fetchone()
        return row[0] if row else ""

    def article_notes(self) -> list[dict[str, object]]:
        """Every article note."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM article_note ORDER BY updated").fetchall()
        return [dict(row) for row in rows]

    # -- terms ----------------------------------------------------------------------

    def set_term_status(
        self, term_key: str, name: str, status: str, cards: Sequence[NewCard] = ()
    ) -> None:
        """Mark a term new, learning or known, adding `cards` in the same transaction."""
        if status not in STATUSES:
            raise StudyError(f"status must be one of {', '.join(STATUSES)}")
        with self._write() as db:
            db.execute(
                "INSERT INTO term_status (term, name, status, updated) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(term) DO UPDATE SET status = excluded.status,"
                " name = excluded.name, updated = excluded.updated",
                (term_key, name, status, time.time()),
            )
            for card in cards:
                self._insert_card(db, card, "")

    def term_statuses(self) -> dict[str, str]:
        """term key -> status, for the terms the reader has marked."""
        with self._lock:
            rows = self._db.execute("SELECT term, status FROM term_status").fetchall()
        return {row[0]: row[1] for row in rows}

    def terms(self) -> list[dict[str, object]]:
        """Every marked term with its name and status."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM term_status ORDER BY name").fetchall()
        return [dict(row) for row in rows]

    # -- cards ----------------------------------------------------------------------

    @staticmethod
    def _insert_card(db: sqlite3.Connection, card: NewCard, article: str) -> bool:
        cursor = db.execute(
            "INSERT OR IGNORE INTO card (source, kind, front, back, article, schedule, due,"
            " created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                card.source,
                card.kind,
                card.front,
                card.back,
                article,
                card.schedule,
                card.due,
                time.time(),
            ),
        )
        return cursor.rowcount > 0

    def card(self, card_id: int) -> Card | None:
        """One card by id."""
        with self._lock:
            row = self._db.execute("SELECT * FROM card WHERE id = ?", (card_id,)).fetchone()
        return Card(**dict(row)) if row else None

    def add_card(
        self,
        source: str,
        kind: str,
        front: str,
        back: str,
        schedule: str,
        due: float,
        article: str = "",
    ) -> bool:
        """Add a card unless one was already made from `source`; True when added."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO card (source, kind, front, back, article, schedule, due,"
                " created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (source, kind, front, back, article, schedule, due, time.time()),
            )
            return cursor.rowcount > 0

    def cards(self, due_before: float | None = None, limit: int | None = None) -> list[Card]:
        """Every card, or those due by `due_before`, soonest first."""
        query = "SELECT * FROM card"
        params: list[object] = []
        if due_before is not None:
            query += " WHERE due <= ?"
            params.append(due_before)
        query += " ORDER BY due, id"
        if limit is not None:
            query += " LIMIT ?"
            params.append(max(0, min(limit, 1_000_000)))
        with self._lock:
            rows = self._db.execute(query, params).fetchall()
        return [Card(**dict(row)) for row in rows]

    def due_count(self, now: float | None = None) -> int:
        """How many cards are due now."""
        with self._lock:
            row = self._db.execute(
                "SELECT count(*) FROM card WHERE due <= ?", (time.time() if now is None else now,)
            ).fetchone()
        return int(row[0])

    def card_count(self) -> int:
        """How many cards there are, due or not."""
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM card").fetchone()[0])

    def record_review(self, card_id: int, rating: int, schedule: str, due: float) -> None:
        """A review: the card's new schedule and the review itself, in one transaction."""
        with self._write() as db:
            db.execute(
                "UPDATE card SET schedule = ?, due = ? WHERE id = ?", (schedule, due, card_id)
            )
            db.execute(
                "INSERT INTO review (card, rating, reviewed) VALUES (?, ?, ?)",
                (card_id, rating, time.time()),
            )

    def reviews(self) -> list[dict[str, object]]:
        """Every review, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM review ORDER BY reviewed, id").fetchall()
        return [dict(row) for row in rows]

    # -- lossless export and import -------------------------------------------------

    def dump(self) -> dict[str, object]:
        """Everything, as plain data (the JSON export)."""
        return {
            "format": "ketaread-study",
            "version": SCHEMA_VERSION,
            "highlights": [asdict(h) for h in self.highlights()],
            "notes": self.article_notes(),
            "terms": self.terms(),
            "cards": [asdict(c) for c in self.cards()],
            "reviews": self.reviews(),
        }

    def load(self, data: dict[str, object]) -> dict[str, int]:
        """Merge a `dump` into this file: what is already here (same highlight made at the
        same time on the same article, same card source, same note) is kept. Counts added."""
        if not isinstance(data, dict) or data.get("format") != "ketaread-study":
            raise StudyError('not a ketaread study export (its "format" is not ketaread-study)')
        added = {"highlights": 0, "notes": 0, "terms": 0, "cards": 0, "reviews": 0}
        card_ids: dict[int, int] = {}
        highlight_ids: dict[int, int] = {}
        """The export's highlight ids -> this file's: a cloze card's source names its highlight."""
        with self._write() as db:
            for item in _records(data, "highlights"):
                old_id = item.get("id")
                exists = db.execute(
                    "SELECT id FROM highlight WHERE article = ? AND created = ? AND quote = ?",
                    (item.get("article"), item.get("created"), item.get("quote")),
                ).fetchone()
                if exists:
                    if isinstance(old_id, int):
                        highlight_ids[old_id] = exists[0]
                    continue
                cursor = _insert(db, "INSERT", "highlight", item, _HIGHLIGHT_COLUMNS)
                if isinstance(old_id, int):
                    highlight_ids[old_id] = int(cursor.lastrowid or 0)
                added["highlights"] += 1
            for item in _records(data, "notes"):
                cursor = _insert(db, "INSERT OR IGNORE", "article_note", item, _NOTE_COLUMNS)
                added["notes"] += cursor.rowcount
            for item in _records(data, "terms"):
                status = item.get("status")
                if status not in STATUSES:
                    continue
                cursor = db.execute(
                    "INSERT OR IGNORE INTO term_status (term, name, status, updated)"
                    " VALUES (?, ?, ?, ?)",
                    (
                        _field(item, "term", ""),
                        _field(item, "name", ""),
                        status,
                        _field(item, "updated", 0.0),
                    ),
                )
                added["terms"] += cursor.rowcount
            for item in _records(data, "cards"):
                source = _field(item, "source", "")
                if isinstance(source, str) and source.startswith("highlight:"):
                    old = source.removeprefix("highlight:")
                    new = highlight_ids.get(int(old)) if old.isdigit() else None
                    if new is None:
                        continue  # its highlight is not in the export
                    item = {**item, "source": f"highlight:{new}"}
                cursor = _insert(db, "INSERT OR IGNORE", "card", item, _CARD_COLUMNS)
                row = db.execute(
                    "SELECT id FROM card WHERE source = ?", (_field(item, "source", ""),)
                ).fetchone()
                old_id = item.get("id")
                if isinstance(old_id, int) and row:
                    card_ids[old_id] = row[0]
                added["cards"] += cursor.rowcount
            for item in _records(data, "reviews"):
                old_card = item.get("card")
                card = card_ids.get(old_card) if isinstance(old_card, int) else None
                if card is None:
                    continue
                exists = db.execute(
                    "SELECT 1 FROM review WHERE card = ? AND reviewed = ?",
                    (card, item.get("reviewed")),
                ).fetchone()
                if not exists:
                    db.execute(
                        "INSERT INTO review (card, rating, reviewed) VALUES (?, ?, ?)",
                        (card, _field(item, "rating", 3), _field(item, "reviewed", 0.0)),
                    )
                    added["reviews"] += 1
        return added


_HIGHLIGHT_COLUMNS: tuple[tuple[str, object], ...] = (
    ("article", ""),
    ("title", ""),
    ("link", ""),
    ("feed", ""),
    ("author", ""),
    ("quote", ""),
    ("prefix", ""),
    ("suffix", ""),
    ("start", 0),
    ("stop", 0),
    ("color", COLORS[0]),
    ("note", ""),
    ("created", 0.0),
    ("updated", 0.0),
)
_NOTE_COLUMNS: tuple[tuple[str, object], ...] = (
    ("article", ""),
    ("title", ""),
    ("link", ""),
    ("feed", ""),
    ("note", ""),
    ("updated", 0.0),
)
_CARD_COLUMNS: tuple[tuple[str, object], ...] = (
    ("source", ""),
    ("kind", ""),
    ("front", ""),
    ("back", ""),
    ("article", ""),
    ("schedule", "{}"),
    ("due", 0.0),
    ("created", 0.0),
)
"""The columns an import fills, each with the default a missing or mistyped value takes."""


def _insert(
    db: sqlite3.Connection,
    verb: str,
    table: str,
    item: dict[str, object],
    columns: tuple[tuple[str, object], ...],
) -> sqlite3.Cursor:
    """Insert one exported record (table and column names are ours, never the file's)."""
    names = ", ".join(name for name, _ in columns)
    marks = ", ".join("?" for _ in columns)
    values = tuple(_field(item, name, default) for name, default in columns)
    return db.execute(f"{verb} INTO {table} ({names}) VALUES ({marks})", values)


def _records(data: dict[str, object], name: str) -> list[dict[str, object]]:
    items = data.get(name, [])
    if not isinstance(items, list):
        raise StudyError(f'"{name}" must be a list')
    return [item for item in items if isinstance(item, dict)]


def _field(item: dict[str, object], name: str, default: object) -> object:
    """A value of the type `default` has (JSON from elsewhere may hold anything)."""
    value = item.get(name, default)
    if isinstance(default, float) and isinstance(value, int | float):
        return float(value)
    if isinstance(value, type(default)) and not isinstance(value, bool):
        return value
    return default


def dump_json(store: StudyStore) -> str:
    """The lossless JSON export."""
    return json.dumps(store.dump(), indent=2, ensure_ascii=False)
