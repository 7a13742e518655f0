"""Open and quit times of the reader on huge articles (issue 15): 20,000 paragraphs, and
5,000 references cited in the text.

Run: PYTHONPATH=src python benchmarks/bench_huge_article.py [--paragraphs N] [--references N]
Builds a real cache in a temporary folder, drives the real app with Textual's Pilot at
120x40, and prints for each article: the seconds from Enter to the first screen painted
(ArticleShown), to every worker and message settled, how many Markdown blocks and plain-text
pieces were mounted, and the seconds from `q` to the app having exited; each article is
opened twice, the second time with its rendering cached.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from ketaread.core.models import ParsedArticle, ParsedFeed
from ketaread.core.store import Store


def paragraphs_html(count: int) -> str:
    """An article of `count` short paragraphs about glutamate (with the odd term)."""
    return "".join(
        f"<p>Paragraph {i}: ketamine blocks NMDA receptors, and glutamate release rises "
        f"in the prefrontal cortex; BDNF follows within hours ({i}).</p>"
        for i in range(count)
    )


def references_html(count: int) -> str:
    """An article citing `count` numbered references, then their list."""
    body = "".join(
        f"<p>Finding {i} on AMPA receptor signalling was replicated [{i + 1}].</p>"
        for i in range(count)
    )
    entries = "".join(
        f"<li>Author{i} A, Other B. Ketamine study number {i}. J Psychiatr Res. "
        f"2020;{i % 90}:{i}-{i + 9}. doi:10.1000/jpr.{i}</li>"
        for i in range(count)
    )
    return body + "<h2>References</h2><ol>" + entries + "</ol>"


def build(path: Path, paragraphs: int, references: int) -> None:
    """A cache holding the two huge articles (newest first: paragraphs, then references)."""
    store = Store(path)
    try:
        articles = [
            ParsedArticle(
                uid="paragraphs",
                title=f"{paragraphs:,} paragraphs",
                html=paragraphs_html(paragraphs),
                published=1.7e9 + 2,
            ),
            ParsedArticle(
                uid="references",
                title=f"{references:,} references",
                html=references_html(references),
                published=1.7e9 + 1,
            ),
        ]
        store.store_feed("/huge", ParsedFeed(location="/huge", title="Huge", articles=articles))
    finally:
        store.close()


async def measure(db: Path, config: Path, row: int) -> dict[str, float]:
    """Open the article at list row `row`, wait for it, then quit; the timings."""
    from textual.widgets._markdown import MarkdownBlock

    from ketaread.cli import make_app
    from ketaread.widgets.article_view import ArticleView

    app = make_app(db=db, config=config, offline=True)
    shown: list[float] = []

    def hook(message: object) -> None:
        if isinstance(message, ArticleView.ArticleShown):
            shown.append(time.perf_counter())

    figures: dict[str, float] = {}
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        for _ in range(row):
            await pilot.press("j")
        shown.clear()  # the article the last session ended on may have been reopened
        started = time.perf_counter()
        await pilot.press("enter")
        while not shown and time.perf_counter() - started < 600:
            await pilot.pause(0.01)
        figures["first screen (s)"] = shown[0] - started if shown else float("nan")
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        figures["settled (s)"] = time.perf_counter() - started
        figures["Markdown blocks mounted"] = len(app.screen.query(MarkdownBlock))
        figures["plain pieces mounted"] = len(app.screen.query(".article-plain"))
        quit_started = time.perf_counter()
        await pilot.press("q")
    figures["quit (s)"] = time.perf_counter() - quit_started
    return figures


def main() -> None:
    """Build the cache, measure both articles, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paragraphs", type=int, default=20_000)
    parser.add_argument("--references", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "cache.db"
        config = Path(folder) / "config.toml"
        config.write_text("")
        build(db, args.paragraphs, args.references)
        articles = ((f"{args.paragraphs:,} paragraphs", 0), (f"{args.references:,} references", 1))
        for name, row in articles:
            # The first open renders and caches the article (in the open worker); the
            # second finds the rendering cached, so it times what the reader does alone.
            for attempt in ("first open", "cached"):
                figures = asyncio.run(measure(db, config, row))
                shown = ", ".join(
                    f"{key} {value:.2f}" if isinstance(value, float) else f"{key} {value}"
                    for key, value in figures.items()
                )
                print(f"{name}, {attempt}: {shown}", flush=True)


if __name__ == "__main__":
    main()
