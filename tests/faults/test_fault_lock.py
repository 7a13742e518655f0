"""Fault injection with another program holding the cache's write lock: reading never
waits for it, and read/star changes made meanwhile are kept, retried and landed."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from faults_support import build_cache
from textual.pilot import Pilot

from ketaread.cli import make_app
from ketaread.core.store import Store

RunCli = Callable[..., tuple[int, str, str]]
SIZE = (120, 40)


class Holder:
    """Another program's write transaction, held until released."""

    def __init__(self, path: Path) -> None:
        self.conn: sqlite3.Connection | None = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False
        )
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        if self.conn is None:
            return
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        self.conn.close()
        self.conn = None


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    path = tmp_path / "cache.db"
    build_cache(path, count=120)
    return path


@pytest.fixture
def held(cache: Path) -> Iterator[Holder]:
    holder = Holder(cache)
    yield holder
    holder.release()


def test_show_never_waits_for_the_write_lock(run_cli: RunCli, cache: Path, held: Holder) -> None:
    """Opening a never-opened article wrote its rendering: under another process's write
    lock, `show` failed after 15 s with "database is locked". Now the rendering cache is
    skipped and the article printed at once (the 10 s bound is under that busy timeout)."""
    store = Store(cache)
    key = store.rows(store.article_ids()[:1])[0].key
    store.close()
    code, out, err = run_cli("--db", str(cache), "show", key, timeout=10)
    assert code == 0, err
    assert "Paragraph" in out
    held.release()
    from ketaread.core.render import RENDER_VERSION

    store = Store(cache)
    try:
        # Not cached while the lock was held: made again (and cached) next time.
        assert store.rendering(store.resolve(key), RENDER_VERSION) is None
    finally:
        store.close()


async def settle(pilot: Pilot) -> None:
    for _ in range(4):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def wait_for(pilot: Pilot, condition: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        await pilot.pause(0.05)
    return condition()


def notes(app: object) -> list[str]:
    return [n.message for n in app._notifications]  # type: ignore[attr-defined]


async def test_an_article_opens_while_another_program_writes(cache: Path, tmp_config: Path) -> None:
    """Opening marks read and caches the rendering: both used to wait the busy timeout
    (15 s) before the article showed. Now it shows at once, and the read mark lands
    when the lock is released."""
    app = make_app(db=cache, config=tmp_config, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.main_screen
        await pilot.press("down")  # the first article is read already; the second is not
        row = screen.article_list.current
        assert row is not None and not row.read
        holder = Holder(cache)
        try:
            await pilot.press("enter")
            shown = await wait_for(
                pilot, lambda: screen.detail is not None and screen.detail.row.id == row.id, 5
            )
            assert shown, "the article waited for the write lock"
        finally:
            holder.release()
        landed = await wait_for(
            pilot,
            lambda: screen.article_list.row_at(screen.article_list.ids.index(row.id)).read,
            10,
        )
        assert landed
    store = Store(cache)
    assert store.rows([row.id])[0].read
    store.close()


async def test_a_star_under_a_held_lock_is_kept_and_lands_later(
    cache: Path, tmp_config: Path
) -> None:
    """A star pressed under another process's lock was lost with "Something went wrong
    (_toggle): database is locked". Now the user is told it is kept, and it lands."""
    app = make_app(db=cache, config=tmp_config, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.main_screen
        row = screen.article_list.current
        assert row is not None
        holder = Holder(cache)
        try:
            await pilot.press("s")
            told = await wait_for(pilot, lambda: any("busy" in m for m in notes(app)), 5)
            assert told
            assert not any("went wrong" in m.lower() for m in notes(app))
        finally:
            holder.release()
        index = screen.article_list.ids.index(row.id)
        landed = await wait_for(
            pilot, lambda: screen.article_list.row_at(index).starred is not row.starred, 10
        )
        assert landed
    store = Store(cache)
    assert store.rows([row.id])[0].starred is not row.starred
    store.close()


def test_changes_that_cannot_land_are_reported_and_kept_in_order(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lock held past the patience: the user is told once; nothing is dropped; the
    changes land in the order made once the lock is free."""
    from ketaread.core import pending as pending_module
    from ketaread.core.pending import PendingChanges
    from ketaread.core.store import CacheBusy

    monkeypatch.setattr(pending_module, "PATIENCE", 0.5)
    monkeypatch.setattr(pending_module, "RETRY_WAIT", 0.1)
    store = Store(cache)
    article = store.article_ids()[0]
    starred = store.rows([article])[0].starred
    landed: list[int] = []
    stuck: list[str] = []
    changes = PendingChanges(store, lambda i, c: landed.append(i), stuck.append)
    holder = Holder(cache)
    try:
        for _ in range(3):  # three flips: must end flipped
            with pytest.raises(CacheBusy):
                changes.submit(article, "toggle-starred")
        # Told once the patience has passed (later on a loaded machine), then never again.
        deadline = time.monotonic() + 30
        while not stuck and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # five more tries while the lock is held: none may tell again
        assert len(stuck) == 1 and "kept" in stuck[0]
        assert len(changes) == 3 and not landed
    finally:
        holder.release()
    assert changes.close(wait=5) == 0
    assert landed == [article] * 3
    assert store.rows([article])[0].starred is not starred
    store.close()


def test_two_threads_do_not_lose_a_change(cache: Path) -> None:
    """Changes from two threads while the lock comes and goes: every one lands."""
    from ketaread.core.pending import PendingChanges
    from ketaread.core.store import CacheBusy

    store = Store(cache)
    ids = store.article_ids()[:20]
    landed: list[int] = []
    changes = PendingChanges(store, lambda i, c: landed.append(i), lambda m: None)
    holder = Holder(cache)
    threading.Timer(0.5, holder.release).start()

    def press(chunk: list[int]) -> None:
        for article_id in chunk:
            try:
                changes.submit(article_id, "toggle-starred")
                landed.append(article_id)
            except CacheBusy:
                pass

    threads = [threading.Thread(target=press, args=(ids[i::2],)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert changes.close(wait=10) == 0
    assert sorted(landed) == sorted(ids)
    starred_before = {i for i in ids if i in set(store.article_ids()[:120:10])}
    rows = store.rows(ids)
    assert {r.id for r in rows if r.starred} == set(ids) - starred_before
    store.close()


VACUUM_ELSEWHERE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("DELETE FROM articles WHERE id % 2 = 0")
conn.execute("VACUUM")
conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
conn.close()
"""


def test_a_second_store_keeps_the_first_ones_locks(cache: Path) -> None:
    """The reader opens a second Store for each refresh. Reading the cache's header closed
    a descriptor of the file, which drops every POSIX lock the process holds on it; another
    process's `vacuum` then took itself for the last user, deleted the -shm file, and the
    reader's next read failed with "disk I/O error" (found by trying vacuum beside a reader)."""
    reader = Store(cache)
    before = len(reader.article_ids())
    Store(cache).close()  # what a refresh in the reader does
    done = subprocess.run(
        [sys.executable, "-c", VACUUM_ELSEWHERE, str(cache)], capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert Path(f"{cache}-shm").exists()
    assert 0 < len(reader.article_ids()) < before
    reader.close()


def test_a_new_cache_waits_for_another_process_making_it(tmp_path: Path) -> None:
    """Two refreshes started together on a cache that does not exist yet: one failed "the
    cache is busy" now and then (CI). Switching to WAL needs the file to itself and SQLite
    answers "database is locked" at once, without its busy handler, while another
    connection holds a write lock in the old journal mode; the open now waits its turn."""
    path = tmp_path / "cache.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE being_made (x)")
    releaser = threading.Timer(0.5, lambda: other.execute("ROLLBACK"))
    releaser.start()
    try:
        store = Store(path)
    finally:
        releaser.join()
        other.close()
    try:
        assert not store.read_only
        assert store.notice is None
        mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
    finally:
        store.close()


def test_changes_queued_by_many_threads_at_once_land_once_each(cache: Path) -> None:
    """Presses queued at the same moment each started a thread to land the queue, and two
    such threads landed the same toggle twice (a star that came back off; 1 run in 8 of
    the test above under load). Eight presses queued at once, three times: each lands once."""
    store = Store(cache)
    try:
        for start in (1, 21, 41):
            ids = store.article_ids()[start : start + 8]
            before = {r.id: r.starred for r in store.rows(ids)}
            assert sorted(press_together(store, cache, ids)) == sorted(ids)
            after = {r.id: r.starred for r in store.rows(ids)}
            assert [i for i in ids if after[i] == before[i]] == []
    finally:
        store.close()


def press_together(store: Store, cache: Path, ids: list[int]) -> list[int]:
    """Toggle each article's star from its own thread, all at once, while another program
    holds the write lock; the articles whose change landed (at once or later)."""
    from ketaread.core.pending import PendingChanges
    from ketaread.core.store import CacheBusy

    landed: list[int] = []
    changes = PendingChanges(store, lambda i, c: landed.append(i), lambda m: None)
    holder = Holder(cache)
    together = threading.Barrier(len(ids))

    def press(article_id: int) -> None:
        together.wait()
        with contextlib.suppress(CacheBusy):
            changes.submit(article_id, "toggle-starred")
            landed.append(article_id)

    threads = [threading.Thread(target=press, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    holder.release()
    assert changes.close(wait=10) == 0
    return landed
