"""Read and star changes, landed one at a time in the order they were made by one thread;
those that could not land at once because the cache's write lock was taken (by another
program, or by this reader's own refresh) are kept and retried, never dropped silently."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ketaread.core.models import ArticleRow
from ketaread.core.store import CacheBusy, Store
from ketaread.core.write_turns import TURNS

Change = tuple[ArticleRow, ArticleRow] | None
"""What a landed change did: the article's row before and after (None if it is gone)."""

FIRST_WAIT = 0.25
"""Seconds a change waits for the lock before its maker is told it is kept for later."""
RETRY_WAIT = 2.0
"""Seconds each later attempt waits for the lock."""
PATIENCE = 30.0
"""Seconds of retrying before the user is told their change has not landed yet."""


@dataclass(eq=False)
class PendingChange:
    """One change, queued until it lands."""

    article_id: int
    state: str
    """'read' (mark read), 'toggle-read' or 'toggle-starred'."""
    since: float
    told: bool = False
    tried: bool = False
    """Whether an attempt found the lock taken (later attempts wait RETRY_WAIT)."""
    claimed: bool = False
    """Whether its maker takes the outcome (`take`); else `landed` reports it."""
    done: bool = False
    result: Change = None
    error: Exception | None = None
    """Why it could not be made at all (a read-only or damaged cache): it is not retried."""


def apply(store: Store, change: PendingChange, wait: float) -> Change:
    """Try one change once; CacheBusy when the lock stayed taken for `wait` seconds."""
    if change.state == "read":
        # An open marks read: most opens are of read articles, and a write each would cost
        # a transaction. Changes land in order, so the row read here is the latest.
        rows = store.rows([change.article_id])
        if not rows:
            return None
        if rows[0].read:
            return rows[0], rows[0]
        return store.mark_read(change.article_id, wait=wait)
    return store.toggle(change.article_id, change.state.removeprefix("toggle-"), wait=wait)


class PendingChanges:
    """Read and star changes in the order they were made, landed by one thread.

    Every change goes through the queue, even when the lock is free: a change applied at
    once beside one still waiting for the lock could land before it (an open's mark read
    after the `m` pressed next, leaving the article read)."""

    def __init__(
        self,
        store: Store,
        landed: Callable[[int, Change], None],
        stuck: Callable[[str], None],
    ) -> None:
        self.store = store
        self._landed = landed
        self._stuck = stuck
        self.own_writer: Callable[[], bool] = lambda: False
        """Whether this reader's own refresh is writing the cache (it is then to blame
        for a wait, not another program)."""
        self._queue: list[PendingChange] = []
        self._cond = threading.Condition(threading.Lock())
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._running = False
        """Whether a thread is landing changes (set and cleared under `_cond`: two
        threads would land the same toggle twice)."""

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue)

    def put(self, article_id: int, state: str, *, claim: bool = False) -> PendingChange:
        """Queue a change after every change made before it, without waiting. With `claim`
        its maker takes the outcome with `take` (or gives it up with `release`); else
        `landed` reports it."""
        change = PendingChange(article_id, state, time.monotonic(), claimed=claim)
        with self._cond:
            self._queue.append(change)
            self._cond.notify_all()
        self._start()
        return change

    def take(self, change: PendingChange, wait: float = FIRST_WAIT) -> Change:
        """The outcome of a claimed change once it has landed. CacheBusy when the lock has
        been taken for `wait` seconds: the change stays queued and `landed` reports it."""
        begun = time.monotonic()
        with self._cond:
            while not change.done and change.claimed:
                waited = time.monotonic() - begun
                # Not longer than `wait`, even behind a batch of this reader's own refresh
                # (an open would show that much later).
                if self._closed.is_set() or not self._running or waited >= wait:
                    break
                self._cond.wait(max(min(wait - waited, 0.1), 0.01))
            if change.done and change.claimed:
                change.claimed = False
                if change.error is not None:
                    raise change.error
                return change.result
            given_up = change.claimed
            change.claimed = False
        if not given_up:
            return None  # reported through `landed` (released by `release`)
        self._start()  # a thread that could not start before is tried again
        raise CacheBusy("the cache is busy; the change is kept and saved when it is free")

    def release(self, change: PendingChange) -> None:
        """Give up the outcome of a claimed change: `landed` reports it instead."""
        with self._cond:
            report = change.done and change.claimed
            change.claimed = False
        if report:
            self._landed(change.article_id, change.result)

    def submit(self, article_id: int, state: str) -> Change:
        """Make a change, waiting up to FIRST_WAIT for the lock. Returns the change when it
        landed; raises CacheBusy when it was kept for later (`landed` reports it)."""
        return self.take(self.put(article_id, state, claim=True))

    def _start(self) -> None:
        with self._cond:
            self._cond.notify_all()
            if self._running or self._closed.is_set() or not self._queue:
                return
            self._running = True
            thread = threading.Thread(
                target=self._run, name="ketaread-pending-changes", daemon=True
            )
            self._thread = thread
        try:
            thread.start()
        except BaseException:
            # No thread (too many threads, the interpreter ending): the changes stay
            # queued and the next change or `take` tries again.
            with self._cond:
                self._running = False
                self._cond.notify_all()

    def _run(self) -> None:
        try:
            self._land_queued()
        finally:
            with self._cond:
                self._running = False
                self._cond.notify_all()

    def _land_queued(self) -> None:
        """Land the queue in order, until it has been empty for a second."""
        while not self._closed.is_set():
            with self._cond:
                if not self._queue:
                    self._cond.wait(1.0)
                    if not self._queue:
                        # Decided under the lock that `put` queues under: a change
                        # queued after this starts a new thread.
                        self._running = False
                        return
                    continue
                wait = RETRY_WAIT if self._queue[0].tried else FIRST_WAIT
            landed: list[PendingChange] = []
            try:
                # One turn between this reader's own refresh's batches for every change
                # queued (a turn each let the next batch in after the first).
                with TURNS.change(wait):
                    self._land_some(wait, landed)
            except CacheBusy:
                self._busy()
            finally:
                for change in landed:  # reported outside the turn: the UI may be slow
                    if change.error is not None:
                        self._stuck(f"A read/star change could not be saved: {change.error}")
                    else:
                        self._landed(change.article_id, change.result)

    def _land_some(self, wait: float, landed: list[PendingChange]) -> None:
        """Land the queued changes in order, until the queue is empty or the lock taken;
        the changes whose maker takes no outcome go to `landed` to be reported (those that
        failed for good too, with their error)."""
        while not self._closed.is_set():
            with self._cond:
                if not self._queue:
                    return
                change = self._queue[0]
            result, error = None, None
            try:
                result = apply(self.store, change, wait)
            except CacheBusy:
                with self._cond:
                    change.tried = True
                    self._cond.notify_all()
                raise
            except Exception as failure:  # a read-only, damaged or closed cache
                error = failure  # not retried: kept, it would hold up every change after it
            with self._cond:
                self._queue.pop(0)
                change.done, change.result, change.error = True, result, error
                if not change.claimed:
                    landed.append(change)
                self._cond.notify_all()

    def _busy(self) -> None:
        """Tell the user, once per change, when it has waited past the patience."""
        with self._cond:
            change = self._queue[0] if self._queue else None
        if change is None or change.told or time.monotonic() - change.since <= PATIENCE:
            return
        change.told = True
        holder = "the refresh has" if self.own_writer() else "another program has"
        self._stuck(
            f"{len(self)} read/star change(s) not saved yet: {holder} held the cache's "
            f"write lock for {int(time.monotonic() - change.since)} s. They are kept and "
            "saved as soon as it is free."
        )

    def close(self, wait: float = 0.0) -> int:
        """Stop retrying (after up to `wait` seconds for the queue to empty); returns how
        many changes were left unsaved."""
        deadline = time.monotonic() + wait
        while len(self) and time.monotonic() < deadline:
            time.sleep(0.05)
        self._closed.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(RETRY_WAIT + 1)
        return len(self)
