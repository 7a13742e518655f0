"""A remote refresh keeps its event loop free for fetching: batches are stored, and the
parse workers started, in threads of their own.

Storing a batch (~0.2-0.5 s for 20 big feeds) or starting the forkserver (it imports the
parser first) on the loop stopped every fetch and every hand-off to the parse workers
meanwhile, leaving both workers idle (benchmarks/README.md, "Refresh on make_corpus
feeds"). Checked by where the work runs, not by timing it.
"""

from __future__ import annotations

import concurrent.futures
import threading
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from ketaread.core.refresh import SourceSpec, refresh
from ketaread.core.store import Store
from test_refresh_batches import FEEDS, count, serve_feeds
from test_refresh_remote import conditional, quick, rss, script


def test_batches_are_stored_and_workers_started_off_the_event_loop(
    server: HTTPServer, tmp_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = serve_feeds(server, FEEDS)
    stored_in: set[threading.Thread] = set()
    started_in: set[threading.Thread] = set()
    store_feed = Store.store_feed
    spawn = concurrent.futures.ProcessPoolExecutor._spawn_process  # type: ignore[attr-defined]

    def storing(self: Store, *args: Any, **kwargs: Any) -> Any:
        stored_in.add(threading.current_thread())
        return store_feed(self, *args, **kwargs)

    def spawning(self: concurrent.futures.ProcessPoolExecutor) -> None:
        started_in.add(threading.current_thread())
        spawn(self)

    monkeypatch.setattr(Store, "store_feed", storing)
    monkeypatch.setattr(concurrent.futures.ProcessPoolExecutor, "_spawn_process", spawning)
    store = Store(tmp_db)
    try:
        # refresh() runs its event loop in the calling thread: this one.
        summary = refresh(store, [SourceSpec(url) for url in urls], fetch_settings=quick())
    finally:
        store.close()
    assert [r.status for r in summary.reports] == ["updated"] * FEEDS
    assert count(tmp_db, "SELECT COUNT(*) FROM articles") == 4 * FEEDS
    loop_thread = threading.current_thread()
    assert stored_in and loop_thread not in stored_in
    assert started_in, "the feeds were not parsed in worker processes"
    assert loop_thread not in started_in
    # Every write of the refresh went through one thread.
    assert len(stored_in) == 1


def test_an_unchanged_refresh_records_its_checks_without_a_store_thread(
    server: HTTPServer, tmp_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Handing each 304's small record to another thread cost more than the record."""
    urls = [
        script(server, f"/same{n}.xml", conditional(rss(f"Feed {n}", [f"s{n}"]), f'"v{n}"', None))
        for n in range(FEEDS)
    ]
    specs = [SourceSpec(url) for url in urls]
    store = Store(tmp_db)
    try:
        refresh(store, specs, fetch_settings=quick())
        recorded_in: set[threading.Thread] = set()
        record_check = Store.record_check

        def recording(self: Store, *args: Any, **kwargs: Any) -> Any:
            recorded_in.add(threading.current_thread())
            return record_check(self, *args, **kwargs)

        monkeypatch.setattr(Store, "record_check", recording)
        summary = refresh(store, specs, fetch_settings=quick())
    finally:
        store.close()
    assert [r.status for r in summary.reports] == ["not_modified"] * FEEDS
    assert recorded_in == {threading.current_thread()}
    assert count(tmp_db, "SELECT COUNT(*) FROM feeds WHERE checked_at IS NOT NULL") == FEEDS
