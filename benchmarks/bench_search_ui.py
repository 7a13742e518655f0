"""Search in the reader, end to end: from the last key of a query to its results shown.

    python benchmarks/bench_search_ui.py --cache /tmp/bench-search/cache-40000.db

Runs the real reader (Textual's Pilot, 120×40, offline) on a copy of a cache that
`bench_search.py` built, opens the search line with `/`, types each of bench_search's 20
queries key by key as a user would, and times from the last key (put into the search line
as a keystroke is) to the moment the panel holds that query's results: the debounce
(`DEBOUNCE_SECONDS`), the query in its worker, the rows built. The repaint that shows them
comes at the next frame (Textual paints at most 60 times a second: up to 17 ms more). Each
query is typed `--rounds` times; the median per query is reported, then the median and
worst of them.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).parent))
from bench_search import QUERIES

from ketaread.cli import make_app

POLL_SECONDS = 0.002
KEY_NAMES = {" ": "space", '"': "quotation_mark", "*": "asterisk", ":": "colon", "@": "at"}


def key_names(text: str) -> list[str]:
    """Pilot key names for typing `text`."""
    names = []
    for character in text:
        if character in KEY_NAMES:
            names.append(KEY_NAMES[character])
        elif character.isalnum():
            names.append(character)
        else:
            names.append({"-": "minus", "+": "plus"}[character])
    return names


async def measure(cache: Path, rounds: int) -> dict[str, list[float]]:
    """Milliseconds from the last key to the results shown, per query."""
    work = Path(tempfile.mkdtemp(prefix="ketaread-search-ui-"))
    database = work / "cache.db"
    shutil.copyfile(cache, database)
    (work / "config.toml").write_text("", encoding="utf-8")
    app = make_app(db=database, config=work / "config.toml", offline=True)
    timings: dict[str, list[float]] = {query: [] for query in QUERIES}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(1.0)
        await pilot.press("slash")
        await pilot.pause(0.5)
        panel = app.main_screen._search_panel  # type: ignore[attr-defined]
        for _ in range(rounds):
            for query in QUERIES:
                await pilot.press("ctrl+a", "backspace")  # select all, then clear
                panel.input.value = ""
                await pilot.pause(0.2)
                await pilot.press(*key_names(query[:-1]))
                await pilot.pause(0.5)  # what the keys before started has finished
                # The last key goes in as a keystroke does (Input.Changed, the debounce),
                # not through Pilot.press, which waits for the whole app to go idle.
                typed = time.perf_counter()
                panel.input.insert_text_at_cursor(query[-1])
                while panel.outcome is None or panel.outcome.text != query:
                    await asyncio.sleep(POLL_SECONDS)
                    if time.perf_counter() - typed > 10:
                        raise TimeoutError(f"no results for {query!r} in 10 s")
                timings[query].append((time.perf_counter() - typed) * 1000)
    shutil.rmtree(work, ignore_errors=True)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    timings = asyncio.run(measure(args.cache, args.rounds))
    medians = {query: statistics.median(values) for query, values in timings.items()}
    print("   ms  query (last key to results in the panel, median of rounds)")
    for query, value in medians.items():
        print(f"{value:5.0f}  {query}")
    worst = max(medians, key=medians.__getitem__)
    print(
        f"median of {len(medians)} queries {statistics.median(medians.values()):.0f} ms; "
        f"worst {medians[worst]:.0f} ms ({worst})"
    )


if __name__ == "__main__":
    main()
