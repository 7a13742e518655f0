"""Search benchmark: query times on a large cache, index size, and what indexing adds to a refresh.

    python benchmarks/bench_search.py --work /tmp/bench-search --articles 40000

Builds a cache from feedgen.py feeds (20 articles of 400 words each per feed) with
`refresh_local`, then: 20 typical queries (each run 5 times; the median per query), the
index's share of the file, the time to index the whole cache from scratch (the migration
of an existing cache), and the first refresh of `--refresh-articles` articles with and
without indexing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).parent))
from feedgen import generate

from ketaread.core import search
from ketaread.core.glossary import load_glossary
from ketaread.core.refresh import SourceSpec, refresh_local
from ketaread.core.store import Store

QUERIES = [
    "ketamine",
    "BDNF",
    "brain-derived neurotrophic factor",
    "N-methyl-D-aspartate",
    "NMDA receptors",
    '"lateral habenula"',
    "habenula burst firing",
    "treatment-resistant depression",
    "TRD",
    "SSRIs serotonin",
    "synap*",
    "dissociation -therapy",
    "title:mTOR",
    "ref:nature",
    "esketamine OR spravato",
    "default mode network rumination",
    "integration KAP +therapy",
    "depression is:unread",
    "glutamate @2026-01-01--2026-06-30",
    "neurons sort:newest",
]


def build(folder: Path, db: Path, articles: int) -> float:
    """Generate feeds and refresh them into `db`; seconds spent refreshing."""
    feeds = folder / f"feeds-{articles}"
    if not feeds.exists():
        generate(feeds, feeds=articles // 20, articles=20, words=400)
    store = Store(db)
    start = time.perf_counter()
    refresh_local(store, SourceSpec(str(feeds)), lambda report: None)
    took = time.perf_counter() - start
    store.close()
    return took


def refresh_overhead(
    work: Path, feeds: int, rounds: int, baseline: Path
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """First remote refresh (bench_refresh's server and feeds) with this code and with
    `baseline` (a checkout without search), interleaved: (wall, CPU seconds) each.

    CPU time (the refresh, its parse workers included) is the steadier figure on a shared
    machine, where wall time swings with the neighbours' load.
    """
    import os
    import resource
    import subprocess

    from bench_refresh import serve

    folder = work / f"remote-{feeds}"
    if not folder.exists():
        generate(folder, feeds=feeds, articles=20)
    server, port = serve(folder)
    config = work / "remote.toml"
    config.write_text(
        "".join(
            f'[[source]]\nlocation = "http://127.0.0.1:{port}/{p.name}"\n\n'
            for p in sorted(folder.glob("*.xml"))
        )
    )
    ours, theirs = [], []
    try:
        for _ in range(rounds):
            for source, results in (
                (Path(__file__).parent.parent / "src", ours),
                (baseline, theirs),
            ):
                db = work / "remote.db"
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
                env = dict(os.environ, PYTHONPATH=str(source), NO_PROXY="127.0.0.1")
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "ketaread",
                        "--db",
                        str(db),
                        "--config",
                        str(config),
                        "refresh",
                    ],
                    env=env,
                    check=True,
                    capture_output=True,
                )
                wall = time.perf_counter() - start
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                results.append((wall, cpu))
    finally:
        server.shutdown()
    return ours, theirs


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--articles", type=int, default=40_000)
    parser.add_argument("--refresh-feeds", type=int, default=200, help="× 20 articles")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=int, default=20, help="results per query (20)")
    parser.add_argument(
        "--queries-only", action="store_true", help="only the query times (the cache exists)"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a `src` folder without search (`git archive 9227bcb src | tar -x -C DIR`) for "
        "the refresh comparison; skipped without it",
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    db = args.work / f"cache-{args.articles}.db"
    if not db.exists():
        took = build(args.work, db, args.articles)
        print(f"built a cache of {args.articles:,} articles in {took:.1f} s (indexing included)")
    store = Store(db)
    glossary = load_glossary()
    expander = search.expander_for(glossary)
    print(f"index: {search.index_status(store)}")
    rows = []
    for query in QUERIES:
        times, cpu = [], []
        for _ in range(5):
            start, start_cpu = time.perf_counter(), time.thread_time()
            results = search.search(store, query, limit=args.limit, expander=expander)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.thread_time() - start_cpu) * 1000)
        rows.append((statistics.median(times), statistics.median(cpu), query, results.total))
    print("    wall       CPU   matches  query   (CPU time: what the query costs on an idle core)")
    for took, cpu_ms, query, total in rows:
        print(f"{took:8.1f} {cpu_ms:8.1f} ms {total:6}  {query}")
    for label, column in (("wall", 0), ("CPU", 1)):
        values = [r[column] for r in rows]
        print(
            f"{label}: median of 20 queries ({args.limit} results each) "
            f"{statistics.median(values):.1f} ms; worst {max(values):.1f} ms"
        )
    if args.queries_only:
        return
    size = db.stat().st_size
    store.close()
    bare = args.work / "without-index.db"
    bare.unlink(missing_ok=True)
    shutil.copy(db, bare)
    import sqlite3

    conn = sqlite3.connect(bare)
    conn.execute("DROP TABLE search")
    conn.execute("DROP TABLE search_abbrevs")
    conn.execute("DROP TABLE search_state")
    conn.execute("VACUUM")
    conn.close()
    print(
        f"cache {size / 1e6:.0f} MB, without the index {bare.stat().st_size / 1e6:.0f} MB "
        f"(index {(size - bare.stat().st_size) / 1e6:.0f} MB)"
    )
    store = Store(db)
    start = time.perf_counter()
    search.build_index(store, rebuild=True)
    print(f"indexing the whole cache from scratch: {time.perf_counter() - start:.1f} s")
    store.close()
    if args.baseline is None:
        return
    ours, theirs = refresh_overhead(args.work, args.refresh_feeds, args.rounds, args.baseline)
    for label, runs in (("with search", ours), ("without", theirs)):
        print(
            f"first remote refresh, {args.refresh_feeds * 20:,} articles, {label}: wall "
            f"{statistics.median(r[0] for r in runs):.2f} s, CPU "
            f"{statistics.median(r[1] for r in runs):.2f} s  {runs}"
        )
    wall = statistics.median(r[0] for r in ours) / statistics.median(r[0] for r in theirs)
    cpu = statistics.median(r[1] for r in ours) / statistics.median(r[1] for r in theirs)
    print(f"indexing adds {(wall - 1) * 100:+.0f} % wall, {(cpu - 1) * 100:+.0f} % CPU")


if __name__ == "__main__":
    main()
