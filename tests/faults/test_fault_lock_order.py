"""Read/star changes land in the order they were made, whatever the write lock does
meanwhile: the user's last press wins (an open's mark read, then `m`, leaves the article
unread)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from faults_support import build_cache
from pytest_httpserver import HTTPServer
from test_fault_lock import SIZE, Holder, settle, wait_for
from textual import events
from textual.app import App

from ketaread.cli import make_app
from ketaread.core import pending as pending_module
from ketaread.core.models import ParsedArticle, ParsedFeed
from ketaread.core.pending import PendingChange, PendingChanges
from ketaread.core.store import CacheBusy, Store

ARTICLES = 400


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    path = tmp_path / "cache.db"
    build_cache(path, count=ARTICLES)
    return path


@pytest.fixture
def store(cache: Path) -> Iterator[Store]:
    opened = Store(cache)
    yield opened
    opened.close()


def add_long_article(cache: Path) -> None:
    """A long article (a review's worth of paragraphs) at the top of the list, unread:
    opening it takes its worker a while (loading, converting, marking terms)."""
    store = Store(cache)
    try:
        html = "".join(
            f"<p>Paragraph {i}: ketamine blocks NMDA receptors on GABA interneurons; "
            "the glutamate surge that follows raises BDNF and mTOR signalling.</p>"
            for i in range(1500)
        )
        article = ParsedArticle(
            uid="long", title="A long review", published=1_800_000_000.0, html=html
        )
        location = "https://example.org/long.xml"
        store.store_feed(location, ParsedFeed(location=location, title="Long", articles=[article]))
    finally:
        store.close()


def type_at_once(app: App[object], *keys: tuple[str, str]) -> None:
    """Keys arriving together, as a terminal delivers keys typed faster than the screen
    answers (Pilot's `press` waits for the screen to settle after each)."""
    for key, char in keys:
        event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)  # type: ignore[union-attr]


ENTER_THEN_M = (("enter", "\r"), ("m", "m"))


def unread_ids(store: Store, count: int) -> list[int]:
    ids = store.article_ids()
    return [r.id for r in store.rows(ids) if not r.read and not r.starred][:count]


def in_thread(function: Callable[[], object]) -> threading.Thread:
    thread = threading.Thread(target=lambda: _swallow_busy(function))
    thread.start()
    return thread


def _swallow_busy(function: Callable[[], object]) -> None:
    with contextlib.suppress(CacheBusy):
        function()


def test_a_press_during_the_first_wait_lands_after_the_one_before(
    cache: Path, store: Store
) -> None:
    """A mark read waiting its first 0.25 s for another program's lock, then `m` pressed:
    the `m` was applied at once when the first wait ended (it found nothing queued yet)
    and the mark read queued after it, so the article ended read. Now in order: unread."""
    article = unread_ids(store, 1)[0]
    changes = PendingChanges(store, lambda i, c: None, lambda m: None)
    holder = Holder(cache)
    releaser = threading.Timer(0.3, holder.release)  # just after the first wait ends
    releaser.start()
    try:
        opened = in_thread(lambda: changes.submit(article, "read"))
        time.sleep(0.1)
        pressed = in_thread(lambda: changes.submit(article, "toggle-read"))
        opened.join()
        pressed.join()
    finally:
        releaser.join()
        holder.release()
    assert changes.close(wait=10) == 0
    assert not store.rows([article])[0].read


def test_a_thread_that_could_not_start_is_started_again(
    cache: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thread.start failing (too many threads) left the queue marked as being landed:
    nothing queued was ever saved again. Now the next change starts a thread, and both
    land."""
    article = unread_ids(store, 1)[0]
    landed: list[int] = []
    changes = PendingChanges(store, lambda i, c: landed.append(i), lambda m: None)
    real_start = threading.Thread.start

    def cannot_start(thread: threading.Thread) -> None:
        if thread.name == "ketaread-pending-changes":
            raise RuntimeError("can't start new thread")
        real_start(thread)

    holder = Holder(cache)
    monkeypatch.setattr(threading.Thread, "start", cannot_start)
    try:
        with pytest.raises((CacheBusy, RuntimeError)):
            changes.submit(article, "toggle-starred")
    finally:
        monkeypatch.setattr(threading.Thread, "start", real_start)
        holder.release()
    second = changes.submit(article, "toggle-read")  # the lock is free: lands at once
    assert second is not None and second[1].read
    assert changes.close(wait=10) == 0
    row = store.rows([article])[0]
    assert row.starred and row.read
    assert landed == [article]  # the first, kept, reported once it landed


async def test_open_then_m_leaves_the_article_unread(cache: Path, tmp_config: Path) -> None:
    """Enter on a long unread article then `m` at once: the open marked read in its
    worker, after loading the article, so the `m` (flipping it read) landed first and the
    mark read after it: the article stayed read. Now the last press wins: unread."""
    add_long_article(cache)
    app = make_app(db=cache, config=tmp_config, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.main_screen
        row = screen.article_list.current
        assert row is not None and not row.read
        type_at_once(app, *ENTER_THEN_M)
        await settle(pilot)
        assert await wait_for(pilot, lambda: len(app.pending) == 0, 10)
        await settle(pilot)
        shown = screen.article_list.row_at(screen.article_list.ids.index(row.id))
        assert not shown.read
    check = Store(cache)
    try:
        assert not check.rows([row.id])[0].read
    finally:
        check.close()


async def test_open_then_m_under_a_held_lock_leaves_the_article_unread(
    cache: Path, tmp_config: Path
) -> None:
    """The same two presses while another program holds the lock, released 0.3 s later:
    both are kept, and land in the order pressed."""
    app = make_app(db=cache, config=tmp_config, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.main_screen
        await pilot.press("down")
        row = screen.article_list.current
        assert row is not None and not row.read
        holder = Holder(cache)
        try:
            type_at_once(app, *ENTER_THEN_M)
            await pilot.pause(0.3)
        finally:
            holder.release()
        assert await wait_for(pilot, lambda: len(app.pending) == 0, 10)
        await settle(pilot)
        shown = screen.article_list.row_at(screen.article_list.ids.index(row.id))
        assert not shown.read
    check = Store(cache)
    try:
        assert not check.rows([row.id])[0].read
    finally:
        check.close()


FEEDS, PER_FEED = 200, 20


def feed_xml(index: int) -> str:
    """A feed of PER_FEED articles of about 500 words each."""
    words = " ".join(
        f"ketamine{i % 13} glutamate receptor plasticity synapse{i % 7}" for i in range(100)
    )
    items = "".join(
        f"<item><guid>f{index}-a{a}</guid><title>Feed {index} article {a}: a long title "
        f"about NMDA receptors</title><link>https://example.org/{index}/{a}</link>"
        f"<pubDate>Mon, 0{1 + a % 9} Jan 2024 10:00:00 GMT</pubDate>"
        f"<description><![CDATA[<p>{words}</p><p>{words}</p>]]></description></item>"
        for a in range(PER_FEED)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel>'
        f"<title>Feed {index}</title><link>https://example.org/{index}</link>"
        f"<description>d</description>{items}</channel></rss>"
    )


async def test_presses_during_the_readers_own_refresh_queue_silently_and_land(
    cache: Path, tmp_config: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first refresh of 200 feeds x 20 articles stores them a batch per transaction, the
    batches close behind each other: `s` pressed meanwhile hit the 0.25 s first wait and
    said "The cache is busy (another program is writing it)", of the reader's own refresh.
    Now each press lands between two batches, without a notice."""
    sources = []
    for index in range(FEEDS):
        path = f"/feed{index}.xml"
        httpserver.expect_request(path).respond_with_data(
            feed_xml(index), content_type="application/rss+xml"
        )
        sources.append(f'[[source]]\nlocation = "{httpserver.url_for(path)}"\n')
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text("".join(sources))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    landed: list[float] = []
    real_apply = pending_module.apply

    def counted(store: Store, change: PendingChange, wait: float) -> object:
        result = real_apply(store, change, wait)
        landed.append(time.monotonic() - change.since)
        return result

    monkeypatch.setattr(pending_module, "apply", counted)
    app = make_app(db=cache, config=tmp_config, offline=False)
    told: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        real_notify = app.notify

        def notify(message: str, *args: object, **kwargs: object) -> None:
            told.append(str(message))
            real_notify(message, *args, **kwargs)  # type: ignore[arg-type]

        app.notify = notify  # type: ignore[method-assign]
        assert await wait_for(pilot, lambda: app.refreshing, 10)
        presses = 0
        while app.refreshing:
            type_at_once(app, ("s", "s"), ("j", "j"))
            presses += 1
            await pilot.pause(0.1)
        assert presses >= 10, "the refresh ended before the presses could overlap it"
        assert await wait_for(pilot, lambda: len(app.pending) == 0, 20)
        status = app.refresh_message or ""
    assert f"{FEEDS} feeds checked" in status and "0 failed" in status, status
    assert not [m for m in told if "busy" in m or "another program" in m]
    assert len(landed) == presses


def test_a_change_lands_between_a_refreshs_batches(cache: Path, store: Store) -> None:
    """A refresh's batches back to back, as its storing thread writes them (the way
    refresh.py's `_Batches` takes its turns): a change waiting for the lock lands between
    two of them, not after the last (SQLite's busy handler, looking every 100 ms, mostly
    found the next batch under way already)."""
    from ketaread.core.write_turns import TURNS

    article = unread_ids(store, 1)[0]
    stored: list[int] = []
    landed_after: list[int] = []
    changes = PendingChanges(store, lambda i, c: landed_after.append(len(stored)), lambda m: None)
    refreshing = Store(cache)  # the refresh writes through a connection of its own
    started = threading.Event()

    def batches() -> None:
        for number in range(12):
            with TURNS.batch(), refreshing.batch():
                refreshing.set_read([article + 1], bool(number % 2))  # joins the batch
                started.set()
                time.sleep(0.25)
            stored.append(number)

    writer = threading.Thread(target=batches)
    writer.start()
    try:
        started.wait(5)
        with contextlib.suppress(CacheBusy):
            changes.submit(article, "toggle-starred")
            landed_after.append(len(stored))
    finally:
        writer.join()
        refreshing.close()
    assert changes.close(wait=5) == 0
    assert store.rows([article])[0].starred
    assert landed_after and landed_after[0] < 4, landed_after


def test_a_change_that_cannot_be_made_holds_up_no_other(tmp_path: Path) -> None:
    """A read-only cache: a change fails for good (said once, as an error), and is not
    kept at the head of the queue, where every change after it would wait forever."""
    from faults_support import make_read_only, undo_read_only

    from ketaread.core.store import StoreError

    folder = tmp_path / "ro"
    folder.mkdir()
    build_cache(folder / "cache.db", count=ARTICLES)
    make_read_only(folder)
    try:
        store = Store(folder / "cache.db")
        assert store.read_only
        article = unread_ids(store, 1)[0]
        stuck: list[str] = []
        changes = PendingChanges(store, lambda i, c: None, stuck.append)
        with pytest.raises(StoreError, match="read-only"):
            changes.submit(article, "toggle-starred")
        changes.put(article, "toggle-read")  # reported by `stuck`, not taken
        assert changes.close(wait=5) == 0
        assert len(stuck) == 1 and "read-only" in stuck[0]
        store.close()
    finally:
        undo_read_only(folder)
