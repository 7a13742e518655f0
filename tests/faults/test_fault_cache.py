"""Fault injection on the cache file: only a damaged ketaread cache is ever moved.

Each test names a failure found by the fault-injection audit (issue 15) and fails without
the policy in core/cache_file.py.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from faults_support import build_cache, fill, is_root, make_read_only, undo_read_only

from ketaread.core.store import Store, StoreError

APPLICATION_ID = 0x6B657461
"""b"keta": the mark core/cache_file.py puts on every cache (spelled out, so that this file
also runs, and fails, against code without it)."""

RunCli = Callable[..., tuple[int, str, str]]


def listing(run_cli: RunCli, db: Path) -> tuple[int, list[dict[str, object]], str]:
    """`list --json` against `db`: status, articles, stderr."""
    code, out, err = run_cli("--db", str(db), "list", "--json")
    return code, (json.loads(out) if code == 0 and out.strip() else []), err


def assert_one_clear_line(err: str, *words: str) -> None:
    """No traceback, one line on stderr, naming the words given."""
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for word in words:
        assert word in lines[0], lines[0]


def folder_listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- a --db that is not a ketaread cache is refused and never touched -------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.txt", b"my notes\nnothing to do with ketaread\n"),
        ("config.toml", b'[[source]]\nlocation = "https://example.org/feed.xml"\n'),
        ("other.db", None),  # an SQLite database of another program
        ("marked.db", "foreign-id"),  # SQLite, with another program's application id
    ],
)
def test_a_file_that_is_not_a_cache_is_refused_and_left_untouched(
    run_cli: RunCli, tmp_path: Path, name: str, content: bytes | str | None
) -> None:
    """`--db notes.txt list` used to rename notes.txt and put a cache in its place."""
    folder = tmp_path / "user-files"
    folder.mkdir()
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE recipes (name TEXT, steps TEXT)")
        conn.execute("INSERT INTO recipes VALUES ('bread', 'knead')")
        if content == "foreign-id":
            conn.execute("PRAGMA application_id = 1234")
        conn.commit()
        conn.close()
    before = path.read_bytes()
    for command in (("list",), ("--offline", "refresh"), ("tags",)):
        code, _out, err = run_cli("--db", str(path), *command)
        assert code == 1, err
        assert_one_clear_line(err, str(path), "not a ketaread cache", "untouched")
        assert path.read_bytes() == before
        assert folder_listing(folder) == [name]


def test_a_device_is_refused_and_never_renamed(run_cli: RunCli, tmp_path: Path) -> None:
    """As root, `--db /dev/null list` renamed the device; a device node of our own stands in."""
    if not is_root():
        pytest.skip("making a device node needs root (as a user, /dev/null cannot be renamed)")
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    code, _out, err = run_cli("--db", str(device), "list")
    assert code == 1
    assert_one_clear_line(err, "not a regular file", "untouched")
    assert stat.S_ISCHR(os.stat(device).st_mode)
    assert folder_listing(tmp_path).count("null") == 1
    assert not any("corrupt" in name for name in folder_listing(tmp_path))


def test_a_proc_file_is_refused(run_cli: RunCli) -> None:
    """`--db /proc/version` (0 bytes by its size, text when read): a traceback before.

    /dev/null itself is never tried here: on code without the policy, a test run as root
    would rename the system's device (the device test above uses a node of its own)."""
    if not os.path.exists("/proc/version"):
        pytest.skip("no /proc here")
    code, _out, err = run_cli("--db", "/proc/version", "list")
    assert code == 1
    assert_one_clear_line(err, "/proc/version", "not a ketaread cache")


def test_a_fifo_is_refused_without_waiting(run_cli: RunCli, tmp_path: Path) -> None:
    """A FIFO at the cache path is refused by its type, never opened (opening would block)."""
    fifo = tmp_path / "cache.fifo"
    os.mkfifo(fifo)
    code, _out, err = run_cli("--db", str(fifo), "list", timeout=20)
    assert code == 1
    assert_one_clear_line(err, "not a regular file")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


# -- our caches are marked; older ones are still ours --------------------------------------


def application_id(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA application_id").fetchone()[0]
    finally:
        conn.close()


def test_a_new_cache_carries_ketaread_application_id(tmp_path: Path) -> None:
    """Every cache is marked, so that a later damaged one can be told from a user's file."""
    path = tmp_path / "new.db"
    Store(path).close()
    assert application_id(path) == APPLICATION_ID


def test_an_unmarked_cache_with_our_tables_is_migrated_not_refused(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """A cache made before the mark keeps its articles and marks and gains the mark."""
    path = tmp_path / "old.db"
    state = build_cache(path, count=30)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 0")
    conn.commit()
    conn.close()
    code, articles, err = listing(run_cli, path)
    assert code == 0, err
    assert len(articles) == 30
    assert {a["id"] for a in articles if a["starred"]} == state["starred"]
    assert application_id(path) == APPLICATION_ID


# -- the disk's errors are the disk's: nothing moved ----------------------------------------


def test_a_full_disk_is_reported_as_such_and_the_cache_stays(
    run_cli: RunCli, small_disk: Path
) -> None:
    """On a full disk, `list` took WAL's out-of-space error for corruption, moved the good
    cache aside, and after space was freed showed 0 articles."""
    path = small_disk / "cache.db"
    state = build_cache(path, count=60)
    filler = fill(small_disk)
    for _ in range(3):
        code, articles, err = listing(run_cli, path)
        assert code == 0, err
        assert len(articles) == 60
        assert "full" in err and "Traceback" not in err
        assert not [n for n in folder_listing(small_disk) if "corrupt" in n]
    code, out, err = run_cli("--db", str(path), "--offline", "refresh")
    assert "Traceback" not in err
    assert "full" in out + err
    filler.unlink()
    code, articles, err = listing(run_cli, path)
    assert code == 0 and err == ""
    assert len(articles) == 60
    assert {a["id"] for a in articles if a["read"]} == state["read"]


def test_a_read_only_cache_in_a_read_only_folder_is_read(run_cli: RunCli, tmp_path: Path) -> None:
    """A read-only cache in a read-only folder: a traceback before (it tried to move it)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "cache.db"
    build_cache(path, count=25)
    before = path.read_bytes()
    make_read_only(folder)
    try:
        code, articles, err = listing(run_cli, path)
        assert code == 0, err
        assert len(articles) == 25
        assert_one_clear_line(err, "read-only", "reading only")
        code, _out, err = run_cli("--db", str(path), "--offline", "refresh")
        assert "Traceback" not in err
        assert folder_listing(folder) == ["cache.db"]
    finally:
        undo_read_only(folder)
    assert path.read_bytes() == before


# -- real damage is found and recovered, keeping read and starred marks -----------------------


def _sqlite_finds_no_damage(path: Path) -> bool:
    """Whether SQLite's own integrity check passes on a copy of `path` (the copy, so the
    check cannot change what the test then gives ketaread)."""
    import shutil
    import sqlite3

    copy = path.with_name("integrity-probe.db")
    shutil.copyfile(path, copy)
    try:
        connection = sqlite3.connect(copy)
        try:
            return connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        return False
    finally:
        copy.unlink(missing_ok=True)


def _schema_unreadable(path: Path) -> bool:
    """Whether SQLite fails to read the schema of a copy of `path` (damage met at open)."""
    import shutil
    import sqlite3

    copy = path.with_name("schema-probe.db")
    shutil.copyfile(path, copy)
    try:
        connection = sqlite3.connect(copy)
        try:
            connection.execute("SELECT count(*) FROM feeds").fetchone()
            return False
        finally:
            connection.close()
    except (sqlite3.DatabaseError, UnicodeDecodeError):
        return True
    finally:
        copy.unlink(missing_ok=True)


def flip_bytes(path: Path, seed: int, start: int, span: int, count: int = 200) -> None:
    """Flip `count` bytes of `path` at random places in [start, start + span)."""
    data = bytearray(path.read_bytes())
    chooser = random.Random(seed)
    for _ in range(count):
        data[chooser.randrange(start, min(len(data), start + span))] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("seed", range(4))
def test_flipped_bytes_after_the_header_are_recovered(
    run_cli: RunCli, tmp_path: Path, seed: int
) -> None:
    """200 flipped bytes after the header gave a permanent UnicodeDecodeError traceback on
    every command; now the cache is recovered with its read and starred marks."""
    path = tmp_path / "cache.db"
    state = build_cache(path)
    flip_bytes(path, seed, start=100, span=4000)
    if _sqlite_finds_no_damage(path):
        # The flips landed in page 1's free space: nothing is damaged, nothing to recover,
        # and nothing may be moved or lost.
        code, articles, err = listing(run_cli, path)
        assert code == 0 and "Traceback" not in err and "corrupt-" not in err
        assert {a["id"] for a in articles if a["read"]} == state["read"]
        assert sorted(p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name) == []
        return
    code, articles, err = listing(run_cli, path)
    assert code == 0, err
    assert "Traceback" not in err
    assert "damaged" in err and "recovered" in err and "corrupt-" in err
    assert len(articles) == 400
    assert {a["id"] for a in articles if a["read"]} == state["read"]
    assert {a["id"] for a in articles if a["starred"]} == state["starred"]
    [moved] = [
        p
        for p in tmp_path.iterdir()
        if p.name.startswith("cache.db.corrupt-") and not p.name.endswith(("-wal", "-shm"))
    ]
    assert moved.stat().st_size > 0
    code, again, err = listing(run_cli, path)
    assert code == 0 and err == "" and len(again) == 400


def test_damage_met_while_reading_is_recovered_and_the_command_rerun(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """Damage in the article bodies is only met by `show`: the command says so, recovers
    the cache, and answers; every other article and mark is kept."""
    path = tmp_path / "cache.db"
    state = build_cache(path)
    store = Store(path)
    article_id = store.article_ids()[200]
    key = store.rows([article_id])[0].key
    store.close()
    # Trash pages of the article bodies (found through SQLite's own dbstat).
    _damage_bodies(path)
    store = Store(path)
    with pytest.raises(StoreError, match="damaged"):
        for article_id in store.article_ids():
            store.article(article_id)
    store.close()
    code, _out, err = run_cli("--db", str(path), "show", key)
    assert "Traceback" not in err
    assert "damaged" in err and "recovered" in err
    code, articles, err = listing(run_cli, path)
    assert code == 0 and err == ""
    kept = {a["id"] for a in articles}
    assert len(kept) >= 380
    assert {a["id"] for a in articles if a["starred"]} == state["starred"] & kept


def test_a_recovery_without_the_sqlite3_program_copies_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the `sqlite3` program the readable rows are copied table by table."""
    monkeypatch.setattr(shutil, "which", lambda name: None)
    path = tmp_path / "cache.db"
    state = build_cache(path)
    pristine = path.read_bytes()
    for seed in range(7, 60):  # the first seed whose flips break the schema page (page 1)
        path.write_bytes(pristine)
        flip_bytes(path, seed, start=100, span=4000)
        if _schema_unreadable(path):
            break
    store = Store(path)
    try:
        assert store.notice and "row by row" in store.notice
        rows = store.rows(store.article_ids())
        assert len(rows) == 400
        assert {r.key for r in rows if r.starred} == state["starred"]
    finally:
        store.close()


def test_newer_cache_still_refused_untouched(tmp_path: Path) -> None:
    """The policy keeps refusing a newer cache without changing a byte."""
    path = tmp_path / "cache.db"
    build_cache(path, count=5)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer"):
        Store(path)
    assert path.read_bytes() == before


def _cache_with_extras(path: Path) -> dict[str, object]:
    """A real cache of 400 articles whose every tenth has an attachment and every seventh
    a fetched full text; a few deleted and retired articles and a saved reading position.
    Returns what a recovery must keep."""
    from ketaread.core.models import Enclosure, ParsedArticle, ParsedFeed

    store = Store(path)
    try:
        articles = [
            ParsedArticle(
                uid=str(i),
                title=f"Article {i} about glutamate and the NMDA receptor",
                link=f"https://example.org/{i}",
                published=1_700_000_000.0 + i,
                html="<p>" + f"Paragraph {i} of the body. " * 150 + "</p>",
                enclosures=(
                    [Enclosure(f"https://example.org/{i}.mp3", "audio/mpeg", 1000 + i, 60)]
                    if i % 10 == 0
                    else []
                ),
            )
            for i in range(400)
        ]
        location = "https://example.org/feed.xml"
        store.store_feed(location, ParsedFeed(location=location, title="Feed", articles=articles))
        ids = store.article_ids()
        for article_id in ids[::7]:
            store.save_full_text(
                article_id, f"https://example.org/page/{article_id}", "<p>Full text.</p>"
            )
        store.delete_articles(ids[-3:])
        store.set_reader_state("position", '{"article": 12, "scroll": 40}')
        store.set_starred(ids[5], True)
    finally:
        store.close()
    conn = sqlite3.connect(path)
    try:
        conn.execute("INSERT INTO retired (feed_id, uid) VALUES (1, 'retired-1')")
        conn.commit()
        kept = {
            table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("enclosures", "full_texts", "deleted_articles", "retired")
        }
    finally:
        conn.close()
    assert kept["enclosures"] >= 38 and kept["full_texts"] >= 55
    assert kept["deleted_articles"] == 3 and kept["retired"] == 1
    return kept


def _damage_bodies(path: Path) -> None:
    """Trash three leaf pages of the article bodies (1 is no page type)."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = [
        r[0]
        for r in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = 'bodies' AND pagetype = 'leaf'"
        )
    ]
    conn.close()
    with open(path, "r+b") as handle:
        for page in pages[len(pages) // 2 : len(pages) // 2 + 3]:
            handle.seek((page - 1) * page_size)
            handle.write(b"\x01" + os.urandom(page_size - 1))


# "as found": with the sqlite3 program when there is one (its 3.40 `.recover` stops with
# "SQL logic error" on this schema, and the row copy takes over).
@pytest.mark.parametrize("program", ["as found", "row by row"])
def test_a_recovery_keeps_attachments_full_texts_and_what_the_reader_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, program: str
) -> None:
    """The row-by-row recovery copied five tables: attachments (enclosures), fetched full
    texts, deleted articles (which the next refresh brought back), retired articles and the
    saved reading position were lost. Now every table a reader sees or set is carried."""
    if program == "row by row":
        monkeypatch.setattr(shutil, "which", lambda name: None)
    path = tmp_path / "cache.db"
    before = _cache_with_extras(path)
    _damage_bodies(path)
    store = Store(path)
    with pytest.raises(StoreError, match="damaged"):
        for article_id in store.article_ids():
            store.article(article_id)
    store.close()
    store = Store(path)  # recovers
    try:
        assert store.notice and "recovered" in store.notice
        if program == "row by row":
            assert "row by row" in store.notice
        ids = set(store.article_ids())
        assert len(ids) == 397  # no article row was on the trashed pages: every one kept
        assert store.reader_state("position") == '{"article": 12, "scroll": 40}'
        # Those whose text was on them open, and say it comes back at the next refresh.
        lost = [i for i in ids if "was lost" in store.article(i).html]
        assert 0 < len(lost) < 200
        with_attachments = [i for i in ids if store.article(i).enclosures]
        with_full_text = [i for i in ids if store.article(i).full_text]
    finally:
        store.close()
    conn = sqlite3.connect(path)
    try:
        after = {
            table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("enclosures", "full_texts", "deleted_articles", "retired")
        }
        orphans = conn.execute(
            "SELECT COUNT(*) FROM enclosures WHERE article_id NOT IN (SELECT id FROM articles)"
        ).fetchone()[0]
    finally:
        conn.close()
    # The damaged pages took a few articles (and their attachments) with them; no more.
    assert after["deleted_articles"] == before["deleted_articles"]
    assert after["retired"] == before["retired"]
    assert after["enclosures"] >= before["enclosures"] - 5
    assert after["full_texts"] >= before["full_texts"] - 5
    assert len(with_attachments) == after["enclosures"] and orphans == 0
    assert len(with_full_text) == after["full_texts"]
