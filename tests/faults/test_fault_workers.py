"""Parse workers that die while idle (the OOM killer, a stray `kill`): the next parse
starts fresh workers instead of failing every feed left in the refresh."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import signal
import threading
import time

from ketaread.core import parse_workers
from ketaread.core.parse_workers import INLINE_PARSE_MAX, ParseWorkers

BIG = INLINE_PARSE_MAX + 1
"""A size that always goes to a worker."""


def _broken(workers: ParseWorkers) -> bool:
    pool = workers._pool
    return pool is not None and bool(getattr(pool, "_broken", False))


def test_a_worker_killed_while_idle_does_not_fail_the_next_parses() -> None:
    async def main() -> tuple[int, list[int]]:
        workers = ParseWorkers(start_early=True)
        try:
            first = await workers.run(BIG, os.getpid)
            os.kill(first, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while not _broken(workers) and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            assert _broken(workers), "the pool did not notice its worker's death"
            after = [await workers.run(BIG, os.getpid) for _ in range(3)]
        finally:
            workers.close()
        return first, after

    first, after = asyncio.run(main())
    assert all(pid not in (first, os.getpid()) for pid in after)


def test_a_worker_killed_while_idle_does_not_fail_the_next_local_parses() -> None:
    workers = ParseWorkers(start_early=True)
    try:
        first = workers.call(BIG, os.getpid)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not _broken(workers) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _broken(workers), "the pool did not notice its worker's death"
        after = [workers.call(BIG, os.getpid) for _ in range(3)]
    finally:
        workers.close()
    assert all(pid not in (first, os.getpid()) for pid in after)


def test_the_parse_deadline_counts_a_parse_own_time_not_its_wait_for_a_worker() -> None:
    """Twelve parses of 0.3 s each on at most four workers, with a 1 s deadline: handed
    over all at once, the later ones passed the deadline queued behind the others."""

    async def main() -> list[str]:
        workers = ParseWorkers(deadline=1.0, start_early=True)

        async def one() -> str:
            try:
                await workers.run(BIG, time.sleep, 0.3)
            except TimeoutError:
                return "stopped at the deadline"
            return "parsed"

        try:
            return await asyncio.gather(*(one() for _ in range(12)))
        finally:
            workers.close()

    assert asyncio.run(main()) == ["parsed"] * 12


def _close_in_a_thread(workers: ParseWorkers) -> threading.Thread:
    closer = threading.Thread(target=workers.close, daemon=True)
    closer.start()
    closer.join(10)
    return closer


def test_a_quit_does_not_wait_for_a_start_hung_before_its_pool(monkeypatch) -> None:
    """The pool's start hung (a forkserver that never answers): `close` joined the start
    thread without a bound, so a quit waited on it. The pool made once it returns is
    killed, not left running."""
    release = threading.Event()
    made: list[concurrent.futures.ProcessPoolExecutor | None] = []
    real_new_pool = parse_workers._new_pool

    def hung_new_pool(workers: int) -> concurrent.futures.ProcessPoolExecutor | None:
        release.wait(30)
        made.append(real_new_pool(workers))
        return made[-1]

    monkeypatch.setattr(parse_workers, "_new_pool", hung_new_pool)
    workers = ParseWorkers(deadline=60, start_early=True)
    assert workers._starting is not None
    closer = _close_in_a_thread(workers)
    assert not closer.is_alive(), "close waited for the hung start"
    assert not release.is_set() and workers._starting.is_alive()
    release.set()
    workers._starting.join(10)
    assert not workers._starting.is_alive()
    assert made and made[0] is not None
    assert made[0] not in parse_workers._live, "the late pool was left running"
    assert workers._pool is None


class _NeverStartingPool:
    """A pool whose workers never come up: nothing submitted ever runs."""

    def __init__(self) -> None:
        self.shut = False

    def submit(self, *_args: object) -> concurrent.futures.Future[object]:
        return concurrent.futures.Future()

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        self.shut = True


def test_a_quit_does_not_wait_for_workers_that_never_start(monkeypatch) -> None:
    """The pool made, its workers never answered: the start waited the whole parse
    deadline for them, and `close` with it. Now close returns and the start thread ends."""
    pool = _NeverStartingPool()
    monkeypatch.setattr(parse_workers, "_new_pool", lambda workers: pool)
    workers = ParseWorkers(deadline=20, start_early=True)
    assert workers._starting is not None
    deadline = time.monotonic() + 10
    while workers._pool is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert workers._pool is pool
    closer = _close_in_a_thread(workers)
    assert not closer.is_alive(), "close waited for workers that never started"
    assert pool.shut
    workers._starting.join(5)
    assert not workers._starting.is_alive(), "the start thread went on waiting after close"
