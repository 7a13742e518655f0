"""What the kept counts cost: the refresh's write path with and without their triggers,
and making them for an existing cache (what opening an older cache does once).

The write path is `Store.store_feed` (what a refresh runs in its main process) on
make_corpus feeds parsed by ketaread (2,000-3,000-word articles, five tags each), each feed
stored under several locations so that every article is new; parsing is done before timing.

    python benchmarks/bench_kept_counts.py [--copies 10] [--runs 3] [--archive CACHE]

With --archive, also times making the counts for an existing cache (its counts
tables are dropped first, as in a cache from before them: give it a cache you can spare).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_archive import corpus_bodies


def parsed_feeds(work: Path, copies: int) -> list:
    """The 2×20 make_corpus feeds parsed, each under `copies` locations."""
    from ketaread.core.parse import parse_feed
    from ketaread.core.search import prepare_index

    corpus_bodies(work)  # writes work/corpus-2x20 when missing
    feeds = []
    for path in sorted((work / "corpus-2x20").glob("*.xml")):
        data = path.read_bytes()
        for copy in range(copies):
            parsed = parse_feed(data, f"http://127.0.0.1/{copy}/{path.name}")
            prepare_index(parsed)  # done in the parse workers by a refresh
            feeds.append(parsed)
    return feeds


def store_all(database: Path, feeds: list, with_counts: bool) -> float:
    """Seconds to store every feed into a new cache, the counts' triggers (and the index
    made with them) kept or dropped."""
    from ketaread.core.store import _KEPT_COUNT_OBJECTS, Store

    store = Store(database)
    if not with_counts:
        with store.transaction() as conn:
            for kind, name in _KEPT_COUNT_OBJECTS:
                if kind == "trigger":
                    conn.execute(f"DROP TRIGGER {name}")
            # Made with the counts: a tag's list with read ones hidden, in index order.
            conn.execute("DROP INDEX article_tags_read_order")
    # CPU seconds of this process (SQLite runs in it): on a machine shared with other work,
    # wall time moved by ±20 % from run to run, more than what is measured here.
    start = time.process_time()
    for parsed in feeds:
        store.store_feed(parsed.location, parsed)
    seconds = time.process_time() - start
    store.close()
    return seconds


def main() -> None:
    """Time both write paths in turn, then (optionally) making the counts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=10, help="locations per corpus feed")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--archive", type=Path)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ketaread-counts-"))
    feeds = parsed_feeds(work, args.copies)
    articles = sum(len(f.articles) for f in feeds)
    times: dict[bool, list[float]] = {True: [], False: []}
    for run in range(args.runs):
        for with_counts in (False, True):
            database = work / f"cache-{run}-{with_counts}.db"
            times[with_counts].append(store_all(database, feeds, with_counts))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
    without, with_ = statistics.median(times[False]), statistics.median(times[True])
    print(
        f"store_feed, {len(feeds)} feeds, {articles} new articles, median CPU time of {args.runs}:"
    )
    print(
        f"  without kept counts {without:.2f} s ({without / articles * 1000:.2f} ms/article)"
        f", with {with_:.2f} s ({with_ / articles * 1000:.2f} ms/article): "
        f"+{(with_ - without) / without * 100:.1f} %"
    )
    if args.archive:
        from ketaread.core.store import Store

        with sqlite3.connect(args.archive) as conn:
            conn.execute("DROP TABLE IF EXISTS feed_counts")
            conn.execute("DROP TABLE IF EXISTS tag_counts")
        start = time.perf_counter()
        Store(args.archive).close()
        print(f"counts made for {args.archive}: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
