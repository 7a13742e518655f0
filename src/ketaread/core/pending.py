"""Read and star changes that could not land because another program held the cache's
write lock: kept in order and retried in the background, never dropped silently."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ketaread.core.models import ArticleRow
from ketaread.core.store import CacheBusy, Store

Change = tuple[ArticleRow, ArticleRow] | None
"""What a landed change did: the article's row before and after (None if it is gone)."""

FIRST_WAIT = 0.25
"""Seconds a change waits for the lock before it is handed to the background."""
RETRY_WAIT = 2.0
"""Seconds each background attempt waits for the lock."""
PATIENCE = 30.0
"""Seconds of retrying before the user is told their change has not landed yet."""


@dataclass
class PendingChange:
    """One change waiting for the lock."""

    article_id: int
    state: str
    """'read' (mark read), 'toggle-read' or 'toggle-starred'."""
    since: float
    told: bool = False


def apply(store: Store, change: PendingChange, wait: float) -> Change:
    """Try one change once; CacheBusy when the lock stayed taken for `wait` seconds."""
    if change.state == "read":
        return store.mark_read(change.article_id, wait=wait)
    return store.toggle(change.article_id, change.state.removeprefix("toggle-"), wait=wait)


class PendingChanges:
    """Changes the reader made while the cache was busy, landed in order by one thread."""

    def __init__(
        self,
        store: Store,
        landed: Callable[[int, Change], None],
        stuck: Callable[[str], None],
    ) -> None:
        self.store = store
        self._landed = landed
        self._stuck = stuck
        self._queue: list[PendingChange] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._running = False
        """Whether a thread is landing changes (set and cleared under `_lock`: two presses
        at once started two threads, which landed the same toggle twice)."""

    def __len__(self) -> int:
        with self._lock:
            return len(self._queue)

    def submit(self, article_id: int, state: str) -> Change | None:
        """Make a change now if the lock is free within FIRST_WAIT; else queue it (after any
        change already queued, so that they land in the order they were made). Returns
        the change when it landed at once; raises CacheBusy when it was queued."""
        change = PendingChange(article_id, state, time.monotonic())
        with self._lock:
            queued = bool(self._queue)
            if queued:
                self._queue.append(change)
        if not queued:
            try:
                return apply(self.store, change, FIRST_WAIT)
            except CacheBusy:
                with self._lock:
                    self._queue.append(change)
        self._start()
        raise CacheBusy("the cache is busy; the change is kept and saved when it is free")

    def _start(self) -> None:
        with self._lock:
            self._wake.set()
            if self._running:
                return
            self._running = True
            self._thread = threading.Thread(
                target=self._run, name="ketaread-pending-changes", daemon=True
            )
        self._thread.start()

    def _run(self) -> None:
        try:
            self._land_queued()
        except BaseException:
            with self._lock:
                self._running = False
            raise

    def _land_queued(self) -> None:
        """Land the queue in order; every way out clears `_running` under the lock."""
        while not self._closed.is_set():
            with self._lock:
                change = self._queue[0] if self._queue else None
            if change is None:
                self._wake.wait(1.0)
                self._wake.clear()
                with self._lock:
                    if not self._queue:
                        # Decided under the lock that `submit` queues under: a change
                        # queued after this starts a new thread.
                        self._running = False
                        return
                continue
            try:
                result = apply(self.store, change, RETRY_WAIT)
            except CacheBusy:
                if not change.told and time.monotonic() - change.since > PATIENCE:
                    change.told = True
                    self._stuck(
                        f"{len(self)} read/star change(s) not saved yet: another program has "
                        "held the cache's write lock for "
                        f"{int(time.monotonic() - change.since)} s. They are kept and "
                        "saved as soon as it is free."
                    )
                continue
            except Exception as error:  # the store is closed or broken: stop, and say so
                self._stuck(f"{len(self)} read/star change(s) could not be saved: {error}")
                with self._lock:
                    self._running = False
                return
            with self._lock:
                self._queue.pop(0)
            self._landed(change.article_id, result)
        with self._lock:
            self._running = False

    def close(self, wait: float = 0.0) -> int:
        """Stop retrying (after up to `wait` seconds for the queue to empty); returns how
        many changes were left unsaved."""
        deadline = time.monotonic() + wait
        while len(self) and time.monotonic() < deadline:
            time.sleep(0.05)
        self._closed.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(RETRY_WAIT + 1)
        return len(self)
