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

Reports the storing CPU (this process: SQLite runs in it) and the cache size.

    python benchmarks/bench_index_store.py [--feeds 200] [--articles 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).parent))
from bench_refresh import MAKE_CORPUS

from ketaread.core import search
from ketaread.core import store as store_module
from ketaread.core.parse import parse_feed

MODES = ("index", "no index", "contentless")


def parsed_feeds(folder: Path) -> list:
    """Every feed in `folder` parsed and prepared as a parse worker leaves it."""
    feeds = []
    for path in sorted(folder.glob("*.xml")):
        location = f"http://127.0.0.1/{path.name}"
        parsed = parse_feed(path.read_bytes(), location, location)
        search.prepare_index(parsed)
        feeds.append(parsed)
    return feeds


def store_all(database: Path, feeds: list, mode: str) -> tuple[float, float]:
    """(CPU seconds, cache MB) to store the feeds into a new cache in batches of 10."""
    real = search.write_documents
    if mode == "no index":
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


def main() -> None:
    """Generate the feeds, store them each way in interleaved rounds, print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
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
        load = os.getloadavg()[0]
        results: dict[str, list[tuple[float, float]]] = {mode: [] for mode in MODES}
        for round_number in range(args.rounds):
            for mode in MODES:
                database = work / f"{mode.replace(' ', '-')}-{round_number}.db"
                results[mode].append(store_all(database, feeds, mode))
                for leftover in work.glob(f"{database.name}*"):
                    leftover.unlink()
    print(
        f"{len(feeds)} feeds, {articles} articles; load average {load:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after"
    )
    print(f"{'storing':<14}{'CPU s (rounds)':<28}{'best':>6}{'cache MB':>10}")
    for mode in MODES:
        cpus = [cpu for cpu, _ in results[mode]]
        rounds = " / ".join(f"{cpu:.2f}" for cpu in cpus)
        print(f"{mode:<14}{rounds:<28}{min(cpus):>6.2f}{results[mode][0][1]:>10.0f}")


if __name__ == "__main__":
    main()
