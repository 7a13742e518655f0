"""Parse workers that die while idle (the OOM killer, a stray `kill`): the next parse
starts fresh workers instead of failing every feed left in the refresh."""

from __future__ import annotations

import asyncio
import os
import signal
import time

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
