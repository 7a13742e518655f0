"""Turns between this process's refresh batches and the reader's read/star changes.

A refresh stores its feeds a batch per transaction, each batch close behind the one
before. A read/star change left to SQLite's busy handler (which sleeps up to 100 ms between
looks at the lock) mostly found the next batch under way already, and waited out batch
after batch. Here a change waits for the batch being stored to end, and the next batch
waits for the change: it lands between the two."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

BATCH_WAIT = 1.0
"""Seconds at most a batch waits for changes that are landing (one that another program's
lock holds up must not hold up the refresh for longer)."""


class WriteTurns:
    """Batches and changes taking turns at the write lock, within one process."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._batches = 0
        self._changes = 0

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Around one batch's transaction: begins once the changes waiting have landed."""
        with self._cond:
            self._cond.wait_for(lambda: not self._changes, BATCH_WAIT)
            self._batches += 1
        try:
            yield
        finally:
            with self._cond:
                self._batches -= 1
                self._cond.notify_all()

    @contextmanager
    def change(self, wait: float) -> Iterator[None]:
        """Around one change's transaction: begins once the batch being stored has ended
        (or after `wait` seconds); the next batch waits for it."""
        with self._cond:
            self._changes += 1
            self._cond.wait_for(lambda: not self._batches, wait)
        try:
            yield
        finally:
            with self._cond:
                self._changes -= 1
                self._cond.notify_all()


TURNS = WriteTurns()
"""The process's turns: a refresh in a reader's worker thread and the reader's changes."""
