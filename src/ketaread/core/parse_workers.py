"""Parsing fetched feeds where it can be stopped: worker processes, killed at a deadline.

feedparser is pure Python and, on hostile shapes, far slower than the fetch that brought
the body. A parse that outlives PARSE_DEADLINE is stopped by killing its worker (a thread
cannot be stopped), and the other feeds carry on in fresh workers. Workers die with the
process that started them, however it ends (SIGTERM, SIGHUP, SIGINT or SIGKILL).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import Any

PARSE_DEADLINE = 30.0
"""Seconds one feed's parse may take before its worker is killed and the feed skipped."""
INLINE_PARSE_MAX = 128 * 1024
"""Bodies up to this size parse in the refresh's own thread when no workers are running
(starting workers costs more than parsing them); larger ones always go to a worker."""
MAX_WORKERS = 4
START_POLL_SECONDS = 0.02
"""How often a parse waiting for the workers to start looks whether they have."""
CLOSE_JOIN_SECONDS = 0.5
"""How long `close` waits for a start under way: a hung forkserver held a quit up to
PARSE_DEADLINE. A start still running after this kills its own pool when it ends."""
_live: set[concurrent.futures.ProcessPoolExecutor] = set()
_live_lock = threading.Lock()


def _die_with_parent() -> None:
    """In a worker: exit when the process that started it dies, even by SIGKILL (Linux),
    and leave Ctrl-C to the parent, which stops the workers itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass


@contextlib.contextmanager
def _real_stderr() -> Iterator[None]:
    """sys.stderr as the process's own, for starting multiprocessing's resource tracker:
    it hands stderr's descriptor to the tracker, and inside the reader Textual's stand-in
    stderr has none (-1), which made every pool fail to start ("bad value(s) in
    fds_to_keep"), so the reader parsed every feed inline, with no deadline."""
    try:
        usable = sys.stderr is not None and sys.stderr.fileno() >= 0
    except (OSError, ValueError, AttributeError):
        usable = False
    if usable or sys.__stderr__ is None:
        yield
        return
    saved, sys.stderr = sys.stderr, sys.__stderr__
    try:
        yield
    finally:
        sys.stderr = saved


def _new_pool(workers: int) -> concurrent.futures.ProcessPoolExecutor | None:
    try:
        from multiprocessing import resource_tracker

        with _real_stderr():
            resource_tracker.ensure_running()
        # Not "fork": the reading screen refreshes from a thread, and forking a threaded
        # process can copy a held lock into the child.
        method = "forkserver" if sys.platform == "linux" else "spawn"
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload(
                [
                    "ketaread.core.parse",
                    "ketaread.core.fastfeed",  # and lxml.etree, which it imports
                    "ketaread.core.search",
                    "feedparser",
                    "nh3",
                ]
            )
        pool = concurrent.futures.ProcessPoolExecutor(
            workers, mp_context=context, initializer=_die_with_parent
        )
    except (OSError, ValueError):
        return None
    with _live_lock:
        _live.add(pool)
    return pool


def kill_pool(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """Stop a pool now: its workers are killed, not waited for."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AssertionError, AttributeError):
            process.join(2)
    with _live_lock:
        _live.discard(pool)


def kill_all() -> None:
    """Kill every worker this process started (on a signal, or as the reader exits)."""
    with _live_lock:
        pools = list(_live)
    for pool in pools:
        kill_pool(pool)


class ParseWorkers:
    """Runs `function(*args)` for each feed: inline when small and no workers are up,
    else in a worker process with a deadline."""

    def __init__(self, deadline: float | None = None, start_early: bool = False) -> None:
        self.deadline = PARSE_DEADLINE if deadline is None else deadline
        self.workers = min(os.cpu_count() or 1, MAX_WORKERS)
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._unavailable = False
        self._starting: threading.Thread | None = None
        self._start_watch: asyncio.Future[None] | None = None
        self._slots: asyncio.Semaphore | None = None
        self._closed = threading.Event()
        self._pool_lock = threading.Lock()
        """Between the start thread's new pool and `close`: one of them kills it."""
        if start_early:
            # Started in a thread of its own: the first submit starts the forkserver and
            # waits while it imports the parser (~0.5 s of CPU), which on the event loop
            # held up every fetch meanwhile (benchmarks/README.md, "Refresh on make_corpus
            # feeds"). The fetches go on; the first parse waits for the workers instead.
            self._starting = threading.Thread(
                target=self._start_workers, name="ketaread-parse-start", daemon=True
            )
            self._starting.start()

    def _start_workers(self) -> None:
        """Start the pool and every one of its workers (each submit starts at most one)."""
        pool = self._ensure()
        if pool is None:
            return
        with contextlib.suppress(Exception):  # a broken pool is found again by run()
            pending = {pool.submit(os.getpid) for _ in range(self.workers)}
            end = time.monotonic() + self.deadline
            # In slices: closed meanwhile, the thread ends rather than waiting on (a
            # killed pool's futures are not always settled).
            while pending and not self._closed.is_set() and time.monotonic() < end:
                _, pending = concurrent.futures.wait(pending, timeout=START_POLL_SECONDS * 5)

    async def _watch_start(self) -> None:
        """Return once the workers' start has ended. Polled rather than joined in a thread:
        the loop's default executor also resolves the fetches' host names."""
        while not self._started():
            await asyncio.sleep(START_POLL_SECONDS)

    def _started(self) -> bool:
        """Whether no start is under way (the pool may be up, or not wanted)."""
        return self._starting is None or not self._starting.is_alive()

    def _ensure(self) -> concurrent.futures.ProcessPoolExecutor | None:
        if self._pool is None and not self._unavailable and not self._closed.is_set():
            pool = _new_pool(max(self.workers, 1))
            with self._pool_lock:
                late = self._closed.is_set()
                if not late:
                    self._pool = pool
                    self._unavailable = pool is None
            if late:
                # Closed while this pool was starting: nobody else will kill it.
                if pool is not None:
                    kill_pool(pool)
                return None
        return self._pool

    async def run(self, size: int, function: Callable[..., Any], *args: Any) -> Any:
        """The result of `function(*args)`; TimeoutError when it outlived the deadline."""
        loop = asyncio.get_running_loop()
        if not self._started():
            if self._start_watch is None:
                self._start_watch = asyncio.ensure_future(self._watch_start())
            # One watcher for every waiting parse (each polling made thousands of wakeups);
            # shielded, so a parse cancelled while waiting leaves the watch to the others.
            await asyncio.shield(self._start_watch)
        if self._pool is None and size <= INLINE_PARSE_MAX:
            return function(*args)
        if self._slots is None:
            self._slots = asyncio.Semaphore(max(self.workers, 1))
        # No more parses handed over than there are workers: the deadline then counts a
        # parse's own time, not the time it queued behind other feeds' (with all of a big
        # refresh's bodies handed over at once, the last ones passed it unparsed).
        async with self._slots:
            return await self._run_in_pool(loop, function, *args)

    async def _run_in_pool(
        self, loop: asyncio.AbstractEventLoop, function: Callable[..., Any], *args: Any
    ) -> Any:
        for _attempt in range(2):
            if self._closed.is_set():
                # A parse retried after its pool was killed by close: no new pool, and
                # no parse on the loop, once the refresh has ended.
                raise InterruptedError("the parse workers were closed")
            pool = self._ensure()
            if pool is None:
                return function(*args)
            try:
                # Inside the try: a pool whose worker died while idle (the OOM killer)
                # refuses the submit itself, and every later feed would fail with it.
                future = loop.run_in_executor(pool, function, *args)
                return await asyncio.wait_for(future, self.deadline)
            except TimeoutError:
                # The only way to stop a parse: kill its worker (and so the pool). Other
                # feeds in flight there are retried in a fresh pool.
                self._discard(pool)
                raise
            except BrokenProcessPool:
                self._discard(pool)  # another feed's deadline killed it: try once more
        raise TimeoutError

    def call(self, size: int, function: Callable[..., Any], *args: Any, stop: Any = None) -> Any:
        """`run` for a thread without an event loop (local files): the result of
        `function(*args)`; TimeoutError past the deadline, InterruptedError once `stop`
        (a threading.Event) is set; either way the worker is killed."""
        if self._starting is not None:
            self._starting.join()
        if self._pool is None and size <= INLINE_PARSE_MAX:
            return function(*args)
        for _attempt in range(2):
            pool = self._ensure()
            if pool is None:
                return function(*args)
            deadline = time.monotonic() + self.deadline
            try:
                future = pool.submit(function, *args)  # a broken pool refuses it (see run)
                while True:
                    try:
                        return future.result(timeout=0.1)
                    except TimeoutError:
                        if stop is not None and stop.is_set():
                            self._discard(pool)
                            raise InterruptedError from None
                        if time.monotonic() >= deadline:
                            self._discard(pool)
                            raise
            except BrokenProcessPool:
                self._discard(pool)
        raise TimeoutError

    def _discard(self, pool: concurrent.futures.ProcessPoolExecutor) -> None:
        if self._pool is pool:
            self._pool = None
        kill_pool(pool)

    def close(self) -> None:
        """Stop the workers without waiting for any parse still running."""
        with self._pool_lock:
            self._closed.set()
            pool, self._pool = self._pool, None
        if pool is not None:
            kill_pool(pool)  # a start waiting on its workers then ends
        if self._starting is not None:
            # Bounded: a start hung in the forkserver kills its pool itself once it returns.
            self._starting.join(CLOSE_JOIN_SECONDS)
