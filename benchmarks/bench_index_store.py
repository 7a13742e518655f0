"""What keeping the search index in step costs the refreshing process, and what a
contentless FTS5 table would save.

Parses make_corpus feeds once (with `prepare_index`, as the parse workers do), then stores
them into fresh caches the way a refresh does (`Store.batch()` of 10 feeds), in
interleaved rounds, three ways:

- `index`: the cache as it is (FTS5 table storing its text, for snippets and matches);
- `no index`: `write_documents` a no-op (the search tables stay empty);
- `contentless`: the same FTS5 table made with `content=''` (an evaluation only: such a
  table keeps no text, so snippets, "matched" and `rename_feed` could not read it, and
  with SQLite before 3.43 a row can be deleted only by giving its indexed text again).

Each store runs in a fresh child process (SQLite runs in it: its CPU is the storing CPU),
which reads the prepared feeds from a pickle. `--compare-src DIR` also stores them with
another checkout's code (its `src/`) in the same rounds, alternating, for before/after
figures from one run. Reports the storing CPU and the cache size.

    python benchmarks/bench_index_store.py [--feeds 200] [--articles 20] [--rounds 3]
        [--modes index,no-index,contentless] [--compare-src ../old/src]
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# A child storing with another checkout's code is told where it is (see `measured`).
sys.path.insert(
    0, os.environ.get("BENCH_INDEX_STORE_SRC") or str(Path(__file__).resolve().parents[1] / "src")
)
sys.path.insert(0, str(Path(__file__).parent))
from bench_refresh import MAKE_CORPUS

from ketaread.core import search
from ketaread.core import store as store_module
from ketaread.core.parse import parse_feed

MODES = ("index", "no-index", "contentless")


def parsed_feeds(folder: Path) -> list:
    """Every feed in `folder` parsed and prepared as a parse worker leaves it."""
    feeds = []
    for path in sorted(folder.glob("*.xml")):
        location = f"http://127.0.0.1/{path.name}"
        parsed = parse_feed(path.read_bytes(), location, location)
        search.prepare_index(parsed)
        for article in parsed.articles:
            # As the parse workers do (core/refresh.py): the storing process hashes nothing.
            article.digest = store_module.content_hash(article)
        feeds.append(parsed)
    return feeds


def store_all(database: Path, feeds: list, mode: str) -> tuple[float, float]:
    """(CPU seconds, cache MB) to store the feeds into a new cache in batches of 10."""
    real = search.write_documents
    if mode == "no-index":
        search.write_documents = lambda conn, entries: None
    try:
        store = store_module.Store(database)
        if mode == "contentless":
            with store.transaction() as conn:
                conn.execute("DROP TRIGGER search_forget")
                conn.execute("DROP TABLE search")
                conn.execute(
                    f"CREATE VIRTUAL TABLE search USING fts5({', '.join(search.COLUMNS)}, "
                    "tokenize='porter unicode61 remove_diacritics 2', content='')"
                )
        start = time.process_time()
        for first in range(0, len(feeds), 10):
            with store.batch():
                for parsed in feeds[first : first + 10]:
                    store.store_feed(parsed.location, parsed)
        seconds = time.process_time() - start
        store.close()
    finally:
        search.write_documents = real
    return seconds, database.stat().st_size / 1e6


def child(pickled: Path, database: Path, mode: str) -> None:
    """Store the pickled feeds into `database` one way; print CPU seconds and cache MB."""
    with pickled.open("rb") as file:
        feeds = pickle.load(file)  # our own file, written by the parent
    seconds, megabytes = store_all(database, feeds, mode)
    print(f"{seconds} {megabytes} {store_module.__file__}")


def measured(src: Path, pickled: Path, database: Path, mode: str) -> tuple[float, float]:
    """(CPU seconds, cache MB) of one store in a child process running the code in `src`."""
    env = dict(os.environ, BENCH_INDEX_STORE_SRC=str(src))
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(pickled), str(database), mode],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for leftover in database.parent.glob(f"{database.name}*"):
        leftover.unlink()
    if not out[2].startswith(str(src)):
        sys.exit(f"the child stored with {out[2]}, not the code in {src}")
    return float(out[0]), float(out[1])


def main() -> None:
    """Generate the feeds, store them each way in interleaved rounds, print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", default=",".join(MODES), help="of " + ", ".join(MODES))
    parser.add_argument("--compare-src", type=Path, help="another checkout's src/ to time too")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.child[2])
        return
    modes = [mode for mode in args.modes.split(",") if mode]
    if unknown := set(modes) - set(MODES):
        sys.exit(f"unknown modes: {', '.join(sorted(unknown))}")
    codes = {"this": Path(__file__).resolve().parents[1] / "src"}
    if args.compare_src:
        codes["other"] = args.compare_src.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        subprocess.run(
            [sys.executable, str(MAKE_CORPUS), str(corpus), str(args.feeds), str(args.articles)],
            check=True,
            capture_output=True,
        )
        feeds = parsed_feeds(corpus)
        articles = sum(len(f.articles) for f in feeds)
        pickled = work / "feeds.pickle"
        with pickled.open("wb") as file:
            pickle.dump(feeds, file)
        load = os.getloadavg()[0]
        started = time.strftime("%H:%M UTC", time.gmtime())
        results: dict[str, list[tuple[float, float]]] = {}
        for round_number in range(args.rounds):
            for mode in modes:
                # Alternating which code goes first, so neither always has the warmer cache.
                order = list(codes.items())
                if round_number % 2:
                    order.reverse()
                for code, src in order:
                    database = work / f"{code}-{mode}-{round_number}.db"
                    key = f"{mode} ({code})" if len(codes) > 1 else mode
                    results.setdefault(key, []).append(measured(src, pickled, database, mode))
    print(
        f"{len(feeds)} feeds, {articles} articles; {started}; load average {load:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after"
    )
    width = max(len(key) for key in results) + 2
    print(f"{'storing':<{width}}{'CPU s (rounds)':<34}{'best':>6}{'median':>8}{'cache MB':>10}")
    for key in sorted(results, key=lambda k: (modes.index(k.split(" (")[0]), k)):
        cpus = [cpu for cpu, _ in results[key]]
        rounds = " / ".join(f"{cpu:.2f}" for cpu in cpus)
        middle = sorted(cpus)[len(cpus) // 2]
        print(
            f"{key:<{width}}{rounds:<34}{min(cpus):>6.2f}{middle:>8.2f}{results[key][0][1]:>10.0f}"
        )


if __name__ == "__main__":
    main()
