"""Per-feed parse cost in a parse worker: feedparser's path against the fast path.

Generates make_corpus.py feeds (or reads the XML files of --folder) and reports CPU time
per feed, the median of --rounds, for each step a worker runs on a fetched body
(`refresh.prepare_body`): the shape and sniffing checks, reading the XML (feedparser, or
lxml on the fast path), sanitising the bodies (`clean_html`), the rest of turning entries
into articles, and the search-index text and abbreviations (`prepare_index`).

    python benchmarks/bench_parse.py --feeds 20 --articles 20 [--compare-src DIR]

With --compare-src, the same feeds are timed with this checkout's code and with DIR's
(another checkout, e.g. `git worktree add DIR COMMIT`), in alternating child processes
(--alternations of each), and each step's best per-feed time is shown for both.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# KETAREAD_SRC: the code to time (--compare-src runs this script again with another's).
sys.path.insert(0, os.environ.get("KETAREAD_SRC") or str(Path(__file__).parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).parent))
from bench_refresh import MAKE_CORPUS

from ketaread.core import parse as parse_module
from ketaread.core.clean import clean_html
from ketaread.core.fastfeed import read_well_formed
from ketaread.core.refresh import prepare_body
from ketaread.core.search import prepare_index
from ketaread.core.shapes import hostile_shape

BASE = "http://127.0.0.1/feed.xml"
ROOT = Path(__file__).resolve().parents[1]


def per_feed(bodies: list[bytes], step: Callable[[bytes], object], rounds: int) -> float:
    """Median CPU milliseconds per feed of `step` over the bodies."""
    times = []
    for _ in range(rounds):
        start = time.process_time()
        for body in bodies:
            step(body)
        times.append((time.process_time() - start) / len(bodies) * 1000)
    return statistics.median(times)


def _feedparser_read(body: bytes) -> object:
    import io

    import feedparser

    return feedparser.parse(
        io.BytesIO(body),
        sanitize_html=False,
        resolve_relative_uris=False,
        response_headers={"content-type": "application/xml", "content-location": BASE},
    )


def main() -> None:
    """Generate or read the feeds, time each step, print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=20)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--folder", type=Path, help="parse these *.xml feeds instead")
    parser.add_argument("--compare-src", type=Path, help="also time this checkout's code")
    parser.add_argument("--alternations", type=int, default=3)
    args = parser.parse_args()
    if args.compare_src is not None:
        compare(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder
        if folder is None:
            folder = Path(tmp)
            subprocess.run(
                [sys.executable, str(MAKE_CORPUS), tmp, str(args.feeds), str(args.articles)],
                check=True,
            )
        bodies = [path.read_bytes() for path in sorted(folder.glob("*.xml"))]
    fast = sum(read_well_formed(body, BASE) is not None for body in bodies)
    size = sum(map(len, bodies)) / len(bodies) / 1024
    print(f"{len(bodies)} feeds, {size:.0f} KB each; {fast} take the fast path")
    parsed = [parse_module.parse_feed(body, "x", BASE) for body in bodies]
    htmls = [a.html for feed in parsed for a in feed.articles]
    raw = [
        entry["content"][0]["value"]
        for body in bodies
        if (found := read_well_formed(body, BASE))
        for entry in found[1]
        if entry.get("content")
    ]
    rows = [
        ("shape + sniff", lambda b: (hostile_shape(b), parse_module.sniff(b))),
        ("read XML: feedparser", _feedparser_read),
        ("read XML: fast path (lxml)", lambda b: read_well_formed(b, BASE)),
        (
            "parse_feed, feedparser",
            lambda b: parse_module.parse_feed(b, "x", BASE, fast=False),
        ),
        ("parse_feed, fast path", lambda b: parse_module.parse_feed(b, "x", BASE)),
    ]
    print(f"{'step':<34}{'ms/feed':>9}")
    for name, step in rows:
        print(f"{name:<34}{per_feed(bodies, step, args.rounds):>9.2f}")
    share = len(raw) / len(bodies)
    cleaned = per_feed([b"x"], lambda _b: [clean_html(h) for h in raw], args.rounds) / len(raw)
    print(f"{'  of which clean_html':<34}{cleaned * share:>9.2f}")

    def index(_body: bytes, feeds: list = parsed) -> None:
        for feed in feeds:
            prepare_index(feed)

    indexed = per_feed([b"x"], index, args.rounds) / len(parsed)
    print(f"{'prepare_index (search text)':<34}{indexed:>9.2f}")
    print(f"({len(htmls)} articles)")

    def whole(body: bytes) -> object:
        return prepare_body(body, "x", BASE)

    print(f"{'prepare_body, all of it':<34}{per_feed(bodies, whole, args.rounds):>9.2f}")


def compare(args: argparse.Namespace) -> None:
    """Time this checkout and --compare-src on the same feeds, alternating child processes."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder
        if folder is None:
            folder = Path(tmp)
            subprocess.run(
                [sys.executable, str(MAKE_CORPUS), tmp, str(args.feeds), str(args.articles)],
                check=True,
                capture_output=True,
            )
        trees = {"this": ROOT, "compared": args.compare_src.resolve()}
        best: dict[tuple[str, str], float] = {}
        order: list[str] = []
        for _ in range(args.alternations):
            for label, tree in trees.items():
                command = [sys.executable, __file__, "--folder", str(folder)]
                command += ["--rounds", str(args.rounds)]
                env = dict(os.environ, KETAREAD_SRC=str(tree / "src"))
                output = subprocess.run(
                    command, env=env, check=True, capture_output=True, text=True
                ).stdout
                for line in output.splitlines():
                    name, _, value = line.rpartition(" ")
                    try:
                        seconds = float(value)
                    except ValueError:
                        continue
                    name = name.strip()
                    if name not in order:
                        order.append(name)
                    key = (label, name)
                    best[key] = min(best.get(key, seconds), seconds)
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"best of {args.alternations} alternations, ms/feed; load average now {load}")
    print(f"{'step':<34}{'this':>9}{'compared':>10}{'ratio':>7}")
    for name in order:
        this, other = best.get(("this", name)), best.get(("compared", name))
        if this is None or other is None:
            continue
        print(f"{name:<34}{this:>9.2f}{other:>10.2f}{this / other:>7.2f}")


if __name__ == "__main__":
    main()
