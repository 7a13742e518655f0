"""A sync's pages in a pipeline: the next page downloads while the items already here are
cleaned and indexed in worker processes, batch by batch, and the batch before is stored.

Most of a first sync's CPU time (4,000 items) goes to cleaning article HTML and working out
the search index's text: with the workers, the sync's own thread only stores. Small syncs
(an unchanged or a daily one) are prepared in the sync's own thread, as before: starting
workers would cost more than it saves.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Generator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from ketaread.core.sync.items import Prepared, RemoteItem, prepare_bodies

WORKERS_FROM = 200
"""New items in one batch from which they are prepared in worker processes; a batch
gathers items until it has that many new ones (or MAX_BATCH items, or the pages end)."""
MAX_BATCH = 1000
"""Items a batch gathers at most, new or not."""
CHUNK = 125
"""Items per worker task: small enough to spread a batch over the workers."""
PREPARE_DEADLINE = 60.0
"""Seconds one chunk may take in a worker before it is prepared here instead."""


@dataclass(slots=True)
class Batch:
    """Items in stream order and, for the new ones, their prepared bodies by item id."""

    items: list[RemoteItem]
    new: list[RemoteItem]
    prepared: dict[str, Prepared] = field(default_factory=dict)
    _pending: list[tuple[list[RemoteItem], concurrent.futures.Future[list[Prepared]]]] = field(
        default_factory=list
    )

    def submit(self, workers: Workers) -> None:
        """Hand the new items to the workers in chunks: when there are many, or when the
        workers are running anyway (the rest of a big sync)."""
        if not self.new or (len(self.new) < WORKERS_FROM and not workers.running):
            return
        for start in range(0, len(self.new), CHUNK):
            chunk = self.new[start : start + CHUNK]
            future = workers.submit([item.html for item in chunk])
            if future is None:
                return  # the rest is prepared as it is stored
            self._pending.append((chunk, future))

    def finish(self, workers: Workers) -> None:
        """Wait for the workers' chunks (or prepare here what they could not)."""
        for chunk, future in self._pending:
            results = workers.result(future)
            if results is None:
                results = prepare_bodies([item.html for item in chunk])
            self.prepared.update(zip((item.id for item in chunk), results, strict=True))
        self._pending.clear()


class Workers:
    """The parse workers' process pool, started on the first big batch, killed at the end."""

    def __init__(self) -> None:
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._unavailable = False

    @property
    def running(self) -> bool:
        """True once the workers have started (and not failed)."""
        return self._pool is not None

    def submit(self, htmls: list[str]) -> concurrent.futures.Future[list[Prepared]] | None:
        """Prepare bodies in a worker; None when no worker can be had."""
        if self._pool is None and not self._unavailable:
            # The refresh's pool (forkserver, workers that die with us, killed on a
            # signal by kill_all); its preloaded modules include the cleaner and index.
            from ketaread.core.parse_workers import MAX_WORKERS, _new_pool

            self._pool = _new_pool(min(os.cpu_count() or 1, MAX_WORKERS))
            self._unavailable = self._pool is None
        if self._pool is None:
            return None
        try:
            return self._pool.submit(prepare_bodies, htmls)
        except (BrokenProcessPool, RuntimeError):
            self._give_up()
            return None

    def result(self, future: concurrent.futures.Future[list[Prepared]]) -> list[Prepared] | None:
        """A chunk's results, or None (prepare it here) when its worker failed or hung."""
        try:
            return future.result(timeout=PREPARE_DEADLINE)
        except Exception:
            # Hung (only killing the pool stops it), crashed or killed: this chunk and
            # the rest of the sync are prepared here, as in a small sync.
            self._give_up()
        return None

    def _give_up(self) -> None:
        self.close()
        self._unavailable = True

    def close(self) -> None:
        """Kill the workers (nothing of ours is left running in them by then)."""
        if self._pool is not None:
            from ketaread.core.parse_workers import kill_pool

            pool, self._pool = self._pool, None
            kill_pool(pool)


def prefetched(
    pages: Generator[list[RemoteItem]], last: Callable[[list[RemoteItem]], bool]
) -> Generator[list[RemoteItem]]:
    """`pages`, each next one downloaded in a thread while the caller works on this one.

    No page is asked for after one that `last` says ends the sync. Errors reach the caller
    at the page where they happened. Closing the iterator early waits for the download
    under way (the connection is then free for the caller's next request).
    """
    handoff: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=1)
    closing = threading.Event()

    def run() -> None:
        try:
            for page in pages:
                while not closing.is_set():
                    with contextlib.suppress(queue.Full):
                        handoff.put(("page", page), timeout=0.1)
                        break
                if closing.is_set() or last(page):
                    break
            outcome: tuple[str, object] = ("end", None)
        except BaseException as error:  # handed to the caller, raised there
            outcome = ("error", error)
        while not closing.is_set():
            with contextlib.suppress(queue.Full):
                handoff.put(outcome, timeout=0.1)
                return

    thread = threading.Thread(target=run, name="ketaread-sync-pages", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "page":
                yield value  # type: ignore[misc]
            elif kind == "error":
                raise value  # type: ignore[misc]
            else:
                return
    finally:
        closing.set()
        thread.join()


def prepared_batches(
    pages: Generator[list[RemoteItem]],
    is_new: Callable[[RemoteItem], bool],
    last: Callable[[list[RemoteItem]], bool],
) -> Generator[Batch]:
    """Batches of about WORKERS_FROM new items (a Google Reader page of 1,000 makes five,
    four of Fever's pages of 50 make one), their new items' bodies cleaned and indexed in
    the workers; one batch is kept in hand, so that the workers always have the next
    while the caller stores one and the next page downloads."""
    workers = Workers()
    waiting: deque[Batch] = deque()
    source = prefetched(pages, last)
    try:
        batch = Batch([], [])
        failed: Exception | None = None
        try:
            for items in source:
                for item in items:
                    batch.items.append(item)
                    if is_new(item):
                        batch.new.append(item)
                    if len(batch.new) >= WORKERS_FROM or len(batch.items) >= MAX_BATCH:
                        batch.submit(workers)
                        waiting.append(batch)
                        batch = Batch([], [])
                while len(waiting) > 1:
                    ready = waiting.popleft()
                    ready.finish(workers)
                    yield ready
        except Exception as error:
            failed = error  # raised once the pages that came before it are stored
        batch.submit(workers)
        waiting.append(batch)
        while waiting:
            ready = waiting.popleft()
            if ready.items:
                ready.finish(workers)
                yield ready
        if failed is not None:
            raise failed
    finally:
        source.close()
        workers.close()
