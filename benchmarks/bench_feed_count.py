"""First frame against the number of feeds, at one article count: ketaread, newsboat, bare.

The same 4,000 articles can come from 20 feeds or from 2,000. newsboat reads its cache feed
by feed at start-up, so its first screen grows with the number of feeds as well as with the
articles; ketaread's first frame queries one page of the list and does not. This shows where
the two cross, on the synthetic feeds of the refresh benchmark.

    python benchmarks/bench_feed_count.py --work /tmp/kfeeds --feeds 20 200 1000 2000

Give it a folder of its own: bench_startup's interaction run marks articles read and
clears renderings in the caches it uses, and `cache-4000` is the name both would use.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_startup import (  # the same caches, launches and timing
    SIZE,
    build_cache,
    cache_name,
    median_first_frames,
    three_launches,
)


def main() -> None:
    """Build one cache per shape, time the three first frames, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=4000)
    parser.add_argument("--feeds", type=int, nargs="+", default=[20, 200, 1000, 2000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, help="keep caches here (reused when present)")
    args = parser.parse_args()
    for feeds in args.feeds:
        if not 0 < feeds <= args.articles or args.articles % feeds:
            parser.error(f"{feeds} feeds cannot share {args.articles} articles evenly")
    work = args.work or Path(tempfile.mkdtemp(prefix="ketaread-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "settings.toml").unlink(missing_ok=True)  # the default theme, as bench_startup
    print(f"{os.cpu_count()} cores; terminal {SIZE[0]}×{SIZE[1]}; runs {args.runs}")
    print(f"first frame, median seconds, {args.articles} articles in each row")
    print(f"{'feeds':>6}{'per feed':>10}{'ketaread':>10}{'newsboat':>10}{'bare':>7}")
    for feeds in args.feeds:
        per_feed = args.articles // feeds
        name = cache_name(feeds * per_feed, per_feed)
        database, config = work / f"cache-{name}.db", work / f"config-{name}.toml"
        folder = work / f"feeds-{name}"
        if not database.exists():
            folder, database, config = build_cache(work, feeds * per_feed, per_feed)
        frames = median_first_frames(three_launches(database, config, folder, work), args.runs)
        newsboat_shown = f"{frames['newsboat']:.2f}" if "newsboat" in frames else "n/a"
        print(
            f"{feeds:>6}{per_feed:>10}{frames['ketaread']:>10.2f}{newsboat_shown:>10}"
            f"{frames['bare']:>7.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
