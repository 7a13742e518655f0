"""Per-feed parse cost in a parse worker: feedparser's path against the fast path.

Generates make_corpus.py feeds (or reads the XML files of --folder) and reports CPU time
per feed, the median of --rounds, for each step a worker runs on a fetched body
(`refresh.prepare_body`): the shape and sniffing checks, reading the XML (feedparser, or
lxml on the fast path), sanitising the bodies (`clean_html`), the rest of turning entries
into articles, and the search-index text and abbreviations (`prepare_index`).

    python benchmarks/bench_parse.py --feeds 20 --articles 20
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).parent))
from bench_refresh import MAKE_CORPUS

from ketaread.core import parse as parse_module
from ketaread.core.clean import clean_html
from ketaread.core.fastfeed import read_well_formed
from ketaread.core.refresh import prepare_body
from ketaread.core.search import prepare_index
from ketaread.core.shapes import hostile_shape

BASE = "http://127.0.0.1/feed.xml"


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
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
