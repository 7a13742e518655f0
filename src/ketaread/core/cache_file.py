"""Which files are ketaread caches, what went wrong with one, and how a damaged one is recovered.

The policy (README, "The cache"): ketaread only ever moves a file it can tell is its own
cache (SQLite with ketaread's application id, or an older cache with ketaread's tables),
and only when SQLite says it is damaged. Anything else at the cache path is refused and
left untouched. Out-of-space, read-only and permission errors are reported as such.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import stat
import subprocess
import time
from pathlib import Path
from typing import NamedTuple

APPLICATION_ID = 0x6B657461
"""`PRAGMA application_id` of every ketaread cache: b"keta" as a big-endian integer."""

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_SIZE = 100
OUR_TABLES = frozenset({"feeds", "articles", "bodies"})
"""Tables that mark an older cache (made before the application id) as ketaread's."""

KEPT_TABLES = (
    "feeds",
    "articles",
    "bodies",
    "tags",
    "article_tags",
    "deleted_articles",
    "reader_state",
    "enclosures",
    "retired",
    "full_texts",
)
"""Tables a row-by-row recovery copies, parents before children: the articles and their
marks, and what the user sees or set (attachments, fetched full texts, deletions, where
reading stopped). The search index is not among them: it is rebuilt from the articles."""

RECOVER_TIMEOUT = 300.0
"""Seconds the `sqlite3 .recover` may take before the row-by-row copy takes over."""

# SQLite's primary result codes (the low byte of an extended code).
_PERM, _BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = (
    3,
    5,
    6,
    8,
    10,
    11,
    13,
    14,
    26,
)


class CacheFileError(Exception):
    """The path cannot be used as a cache; the message says why. The file was not touched."""


class Header(NamedTuple):
    """What the first 100 bytes of an existing file say."""

    size: int
    sqlite: bool
    application_id: int
    user_version: int


def examine(path: Path) -> Header | None:
    """The header of the file at `path` (None when absent), refusing anything that is not
    a regular file or not SQLite. Never blocks (a FIFO is refused by its type) and never
    writes."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise CacheFileError(f"cannot use the cache {path}: {error.strerror or error}") from error
    if not stat.S_ISREG(info.st_mode):
        raise CacheFileError(
            f"{path} is not a ketaread cache (not a regular file); it was left untouched. "
            "Choose another cache with --db."
        )
    try:
        head = _read_header(path, info)
    except PermissionError as error:
        raise CacheFileError(f"cannot read the cache {path}: permission denied") from error
    except OSError as error:
        raise CacheFileError(f"cannot read the cache {path}: {error.strerror or error}") from error
    if not head:
        return Header(0, False, 0, 0)  # an empty file is an empty cache (checked by reading:
        # files under /proc say 0 bytes and hold text)
    if not head.startswith(SQLITE_MAGIC) or len(head) < HEADER_SIZE:
        raise CacheFileError(
            f"{path} is not a ketaread cache (not an SQLite database); it was left untouched. "
            "Move it away or choose another cache with --db."
        )
    return Header(
        info.st_size,
        True,
        int.from_bytes(head[68:72], "big", signed=True),
        int.from_bytes(head[60:64], "big", signed=True),
    )


_header_descriptors: dict[tuple[int, int], int] = {}
"""Descriptors of the cache files whose header this process read, kept open on purpose."""


def _read_header(path: Path, info: os.stat_result) -> bytes:
    """The first bytes of the file, read without ever closing a descriptor of it.

    Closing any descriptor of a file drops every POSIX lock this process holds on it,
    SQLite's included ("How To Corrupt An SQLite Database File", 2.2.1). A reader that
    opens a second Store for a refresh would lose its WAL read locks, and another
    process's `vacuum` would then delete the -shm file under it ("disk I/O error"). One
    descriptor per cache file (by device and inode) stays open for the process's life.
    """
    key = (info.st_dev, info.st_ino)
    fd = _header_descriptors.get(key)
    if fd is None:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        opened = os.fstat(fd)
        if (opened.st_dev, opened.st_ino) != key:  # replaced between stat and open
            key = (opened.st_dev, opened.st_ino)
            fd = _header_descriptors.setdefault(key, fd)
        else:
            _header_descriptors[key] = fd
    return os.pread(fd, HEADER_SIZE, 0)


def refuse_foreign(path: Path, header: Header | None) -> None:
    """Refuse an SQLite file that another program marked as its own."""
    if header is not None and header.application_id not in (0, APPLICATION_ID):
        raise CacheFileError(
            f"{path} is an SQLite database of another program (application id "
            f"{header.application_id:#x}), not a ketaread cache; it was left untouched."
        )


def check_tables(path: Path, tables: set[str], application_id: int) -> None:
    """Refuse an SQLite file without our mark whose tables are not ketaread's."""
    if application_id == APPLICATION_ID or not tables or tables >= OUR_TABLES:
        return
    shown = ", ".join(sorted(tables)[:5])
    raise CacheFileError(
        f"{path} is an SQLite database that is not a ketaread cache (tables: {shown}); "
        "it was left untouched. Choose another cache with --db."
    )


def can_write(path: Path) -> bool:
    """True when the cache (or its folder, for a new one) and its folder are writable:
    WAL mode needs to create the -wal and -shm files beside it."""
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


def error_code(error: BaseException) -> int:
    """SQLite's primary result code of an error (0 when unknown)."""
    return int(getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF


def is_damage(error: BaseException) -> bool:
    """True for errors that mean the file itself is damaged, not the disk or the lock."""
    if isinstance(error, UnicodeDecodeError):
        # A flipped byte in stored text or in the schema SQLite quotes in its message.
        return True
    if not isinstance(error, sqlite3.DatabaseError):
        return False
    code = error_code(error)
    if code in (_CORRUPT, _NOTADB):
        return True
    text = str(error).lower()
    return code == 0 and ("malformed" in text or "not a database" in text)


def describe(error: BaseException, path: Path) -> str | None:
    """A plain sentence for environment errors (full disk, read-only, permission, busy)."""
    code = error_code(error)
    text = str(error).lower()
    if code == _FULL or "disk is full" in text or (code == _IOERR and _disk_full(path)):
        return f"the disk holding the cache {path} is full"
    if code == _READONLY or "readonly" in text:
        return f"the cache {path} is read-only"
    if code == _PERM or "permission" in text:
        return f"no permission to write the cache {path}"
    if code in (_BUSY, _LOCKED) or "locked" in text:
        return f"the cache {path} is busy (another program holds its write lock)"
    if code == _CANTOPEN:
        return f"cannot open the cache {path} (check the folder exists and is accessible)"
    if code == _IOERR:
        return f"the disk reported an error reading or writing the cache {path}"
    return None


def _disk_full(path: Path) -> bool:
    """True when the file system holding `path` has (nearly) no room left: SQLite reports
    some out-of-space failures (growing the -shm file) as plain I/O errors."""
    try:
        return shutil.disk_usage(path.parent).free < 64 * 1024
    except OSError:
        return False


# -- recovery ---------------------------------------------------------------------------


class Recovery(NamedTuple):
    """What a recovery kept, and where the damaged file went."""

    moved_to: Path
    method: str
    articles_before: int | None
    articles_after: int
    read: int
    starred: int

    def sentence(self, path: Path, reason: str) -> str:
        """The notice shown to the user."""
        if self.articles_before is not None and self.articles_before >= self.articles_after:
            lost = self.articles_before - self.articles_after
            kept = (
                f"{self.articles_after} of {self.articles_before} articles were recovered "
                f"({lost} lost)"
            )
        else:
            kept = f"{self.articles_after} articles were recovered"
        return (
            f"the cache {path} was damaged ({reason}); {kept}, with {self.read} read and "
            f"{self.starred} starred marks kept ({self.method}). Lost articles come back at "
            f"the next refresh. The damaged file was kept as {self.moved_to}"
        )


def aside_name(path: Path) -> Path:
    """A fresh name beside `path` for its damaged copy (never overwrites one)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    moved = path.with_name(f"{path.name}.corrupt-{stamp}")
    attempt = 1
    while moved.exists():
        attempt += 1
        moved = path.with_name(f"{path.name}.corrupt-{stamp}-{attempt}")
    return moved


def uri(path: Path, **params: str) -> str:
    """An SQLite URI for `path` (any characters in the name) with query parameters."""
    from urllib.parse import quote

    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"file:{quote(str(Path(path).absolute()))}" + (f"?{query}" if query else "")


def _count(path: Path, sql: str) -> int | None:
    try:
        conn = sqlite3.connect(uri(path, mode="ro"), uri=True, timeout=1)
        try:
            return int(conn.execute(sql).fetchone()[0])
        finally:
            conn.close()
    except (sqlite3.Error, UnicodeDecodeError, TypeError):
        return None


def _recover_with_cli(damaged: Path, target: Path) -> bool:
    """SQLite's own `.recover` (reads every page it can, even past a broken b-tree)."""
    program = shutil.which("sqlite3")
    if program is None:
        return False
    try:
        dump = subprocess.run(
            [program, "-readonly", str(damaged), ".recover"],
            capture_output=True,
            timeout=RECOVER_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
        if dump.returncode != 0 or not dump.stdout:
            return False
        load = subprocess.run(
            [program, str(target)],
            input=dump.stdout,
            capture_output=True,
            timeout=RECOVER_TIMEOUT,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    if load.returncode != 0:
        return False
    conn = sqlite3.connect(target)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return tables >= OUR_TABLES
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def _copy_rows(damaged: Path, target: Path, schema: str, version: int) -> None:
    """Copy every row that can still be read, table by table, into a fresh cache."""
    new = sqlite3.connect(target, isolation_level=None)
    try:
        new.executescript(schema)
        new.execute(f"PRAGMA user_version = {int(version)}")
        old = sqlite3.connect(uri(damaged, mode="ro"), uri=True)
        old.text_factory = bytes  # decode ourselves: a flipped byte must not stop the copy
        try:
            for table in (*KEPT_TABLES, *_other_tables(old, new)):
                _copy_table(old, new, table)
        finally:
            old.close()
    finally:
        new.close()


def _other_tables(old: sqlite3.Connection, new: sqlite3.Connection) -> list[str]:
    """Tables of the damaged cache that the fresh schema lacks (sync accounts, and any a
    newer build of the same schema version added), created in the new file as they were.
    The search index is left out: it is rebuilt from the articles."""
    try:
        found = old.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL"
        ).fetchall()
        have = {r[0] for r in new.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.Error:
        return []
    wanted = []
    for raw_name, raw_sql in found:
        try:
            name, sql = raw_name.decode(), raw_sql.decode()
        except UnicodeDecodeError:
            continue
        if name in have or name.startswith(("sqlite_", "search")) or name in KEPT_TABLES:
            continue
        if not sql.upper().startswith("CREATE TABLE"):
            continue  # a virtual table needs its module's shadow tables: not copied
        try:
            new.execute(sql)
        except sqlite3.Error:
            continue
        wanted.append(name)
    return wanted


def _copy_table(old: sqlite3.Connection, new: sqlite3.Connection, table: str) -> None:
    try:
        columns = [r[1] for r in new.execute(f"PRAGMA table_info({table})")]
        present = {
            r[1].decode() if isinstance(r[1], bytes) else r[1]
            for r in old.execute(f"PRAGMA table_info({table})")
        }
    except (sqlite3.Error, UnicodeDecodeError):
        return
    wanted = [c for c in columns if c in present]
    if not wanted:
        return
    names = ", ".join(wanted)
    marks = ", ".join("?" * len(wanted))
    insert = f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({marks})"
    try:
        (sql,) = new.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
    except (sqlite3.Error, TypeError):
        return
    # Such a table has no rowid to page through: read in one pass, up to a damaged page.
    without_rowid = "WITHOUT ROWID" in sql.upper()
    new.execute("BEGIN")
    try:
        if without_rowid:
            try:
                for row in old.execute(f"SELECT {names} FROM {table}"):
                    new.execute(insert, [_text(v) for v in row])
            except sqlite3.DatabaseError:
                pass  # keep what was read before the damaged page
            return
        position = -(2**63)
        step = 1
        while True:
            try:
                rows = old.execute(
                    f"SELECT rowid, {names} FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT 256",
                    (position,),
                ).fetchall()
            except sqlite3.DatabaseError:
                # A damaged page: jump ahead, further each time, until rows read again.
                if position > 2**62:
                    break
                position = max(position, 0) + step
                step *= 2
                continue
            if not rows:
                break
            step = 1
            for row in rows:
                new.execute(insert, [_text(v) for v in row[1:]])
            position = rows[-1][0]
    finally:
        new.execute("COMMIT")


def _text(value: object) -> object:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _repair_text(target: Path) -> None:
    """Replace bytes that are not UTF-8 in recovered text (flipped bits), so every later
    read decodes."""
    conn = sqlite3.connect(target, isolation_level=None)
    conn.text_factory = bytes
    try:
        tables = [
            r[0].decode() for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        conn.execute("BEGIN")
        for table in tables:
            columns = [r[1].decode() for r in conn.execute(f'PRAGMA table_info("{table}")')]
            for column in columns:
                for rowid, value in conn.execute(
                    f'SELECT rowid, "{column}" FROM "{table}" WHERE typeof("{column}") = \'text\''
                ).fetchall():
                    try:
                        value.decode("utf-8")
                    except UnicodeDecodeError:
                        conn.execute(
                            f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?',
                            (value.decode("utf-8", "replace"), rowid),
                        )
        conn.execute("COMMIT")
    except sqlite3.Error:
        pass  # a WITHOUT ROWID table has no rowid; its text is re-read at the next refresh
    finally:
        conn.close()


def _recover_into(damaged: Path, target: Path, schema: str, version: int) -> str:
    """Recover `damaged` into a new file `target`; returns how."""
    if _recover_with_cli(damaged, target):
        return "SQLite's .recover"
    target.unlink(missing_ok=True)
    _copy_rows(damaged, target, schema, version)
    return "copied row by row"


def _patch_schema_page(damaged: Path, patched: Path, schema: str, version: int) -> None:
    """A copy of `damaged` whose page 1 (the schema) comes from a cache built afresh with
    the same page size: tables made in the same order get the same root pages."""
    data = damaged.read_bytes()
    page_size = int.from_bytes(data[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    template = patched.with_name(f"{patched.name}.template")
    template.unlink(missing_ok=True)
    conn = sqlite3.connect(template, isolation_level=None)
    try:
        conn.execute(f"PRAGMA page_size = {page_size}")
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.executescript(schema)
        conn.execute(f"PRAGMA user_version = {int(version)}")
    finally:
        conn.close()
    clean = template.read_bytes()
    template.unlink(missing_ok=True)
    patched.write_bytes(data[:HEADER_SIZE] + clean[HEADER_SIZE:page_size] + data[page_size:])


LOST_BODY = (
    "<p>The text of this article was lost when the damaged cache was recovered. It comes "
    "back at the next refresh of its feed.</p>"
)


def _mark_lost_bodies(conn: sqlite3.Connection) -> None:
    """Articles whose row survived but whose text did not: a placeholder body saying so
    (an article without one cannot be opened), and their feeds' validators and their own
    hashes forgotten, so that the next refresh stores the text again over it."""
    lost = "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM bodies)"
    conn.execute(
        "UPDATE feeds SET etag = NULL, last_modified = NULL, body_hash = NULL "
        f"WHERE id IN (SELECT feed_id FROM articles WHERE id IN ({lost}))"
    )
    conn.execute(f"UPDATE articles SET content_hash = '' WHERE id IN ({lost})")
    conn.execute(
        f"INSERT INTO bodies (article_id, html) SELECT id, ? FROM articles WHERE id IN ({lost})",
        (LOST_BODY,),
    )


def recover(path: Path, schema: str, version: int) -> Recovery:
    """Recover a damaged cache: copy what can be read into a new file, keep the damaged
    one under a new name, and put the new one in its place."""
    before = _count(path, "SELECT COUNT(*) FROM articles")
    target = path.with_name(f"{path.name}.recovering")
    for leftover in (target, Path(f"{target}-journal")):
        leftover.unlink(missing_ok=True)
    method = _recover_into(path, target, schema, version)
    if _count(target, "SELECT COUNT(*) FROM articles") in (None, 0):
        # Nothing came back: the damage may be in the schema page itself. Our schema is
        # known, so lay a clean copy of it over page 1 and try again.
        patched = path.with_name(f"{path.name}.patched")
        second = path.with_name(f"{path.name}.recovering-2")
        try:
            _patch_schema_page(path, patched, schema, version)
            second.unlink(missing_ok=True)
            second_method = _recover_into(patched, second, schema, version)
            if (_count(second, "SELECT COUNT(*) FROM articles") or 0) > 0:
                second.replace(target)
                method = f"{second_method}, with the schema page rebuilt"
        finally:
            for leftover in (patched, second):
                leftover.unlink(missing_ok=True)
    _repair_text(target)
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {int(version)}")
        # Keep the per-tag copies of the read state in step with the articles.
        conn.execute(
            "UPDATE article_tags SET read = COALESCE((SELECT read FROM articles "
            "WHERE id = article_id), read)"
        )
        conn.execute("DELETE FROM article_tags WHERE article_id NOT IN (SELECT id FROM articles)")
        _mark_lost_bodies(conn)
        # Attachments and full texts of articles that were lost would only take up room
        # (and an article stored again under the same id must not inherit them).
        for table in ("enclosures", "full_texts"):
            with contextlib.suppress(sqlite3.OperationalError):  # a cache from before them
                conn.execute(
                    f"DELETE FROM {table} WHERE article_id NOT IN (SELECT id FROM articles)"
                )
        conn.execute("DROP TABLE IF EXISTS lost_and_found")
        after, read, starred = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(read), 0), COALESCE(SUM(starred), 0) FROM articles"
        ).fetchone()
    finally:
        conn.close()
    moved = aside_name(path)
    for suffix in ("", "-wal", "-shm"):
        candidate = Path(f"{path}{suffix}")
        if candidate.exists():
            candidate.replace(Path(f"{moved}{suffix}"))
    target.replace(path)
    return Recovery(moved, method, before, int(after), int(read), int(starred))
