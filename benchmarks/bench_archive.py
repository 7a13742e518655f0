"""A 400,000-article archive (400 feeds × 1,000 articles): first frame beside a bare
Textual app, tag switch, list page, open, peak memory and cache size per article.

The cache is built directly in SQLite, not by `make_corpus.py` + refresh: refreshing 400
feeds of 1,000 make_corpus articles (about 4 GB of XML) would take most of an hour on two
cores. The rows have the shape a refresh stores (the real schema, opened by `Store`): the
bodies are 40 real make_corpus article bodies (2,000-3,000 words with a reference list)
parsed by feedparser and cycled, each article carries five of make_corpus's twelve tags,
a third are read and about 1 % starred.

    python benchmarks/bench_archive.py [--work DIR] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_startup import (
    bare_textual_launch,
    interaction_figures,
    ketaread_launch,
    median_first_frames,
)

FEEDS = 400
PER_FEED = 1_000
MAKE_CORPUS = next(
    (
        folder / "shared" / "bench" / "make_corpus.py"
        for folder in Path(__file__).resolve().parents
        if (folder / "shared" / "bench" / "make_corpus.py").exists()
    ),
    Path("make_corpus.py"),
)
"""The kit's corpus maker, in the shared folder beside the repository (or a worktree's)."""


def corpus_bodies(work: Path) -> tuple[list[str], list[str]]:
    """Article bodies and the tag names of a small make_corpus run, parsed by feedparser."""
    import feedparser

    folder = work / "corpus-2x20"
    if not folder.exists():
        subprocess.run([sys.executable, str(MAKE_CORPUS), str(folder), "2", "20"], check=True)
    bodies: list[str] = []
    tags: set[str] = set()
    for path in sorted(folder.glob("*.xml")):
        for entry in feedparser.parse(path.read_bytes()).entries:
            bodies.append(entry.content[0].value)
            tags.update(t.term for t in entry.tags)
    return bodies, sorted(tags)


def build_archive(
    database: Path, work: Path, feeds: int = FEEDS, per_feed: int = PER_FEED
) -> float:
    """Fill a new cache with feeds × per_feed articles; returns the seconds it took."""
    from ketaread.core.store import Store, tag_key

    start = time.perf_counter()
    bodies, tags = corpus_bodies(work)
    Store(database).close()  # the real schema, with the kept counts' triggers
    total = feeds * per_feed
    conn = sqlite3.connect(database, isolation_level=None)
    # Built once, not by the reader: no write-ahead log (4 GB written twice) nor journal.
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.execute("CREATE TEMP TABLE pool (n INTEGER PRIMARY KEY, html TEXT)")
    conn.executemany("INSERT INTO pool VALUES (?, ?)", list(enumerate(bodies)))
    conn.execute(
        "INSERT INTO feeds (id, source, location, title, link) "
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "SELECT i, '/archive', 'http://127.0.0.1/feed' || i || '.xml', 'Feed ' || i, "
        "'https://blog.example.org/' || i || '/' FROM n",
        (feeds,),
    )
    conn.executemany(
        "INSERT INTO tags (id, key, name) VALUES (?, ?, ?)",
        [(i + 1, tag_key(name), name) for i, name in enumerate(tags)],
    )
    # Dates interleave the feeds, as a year of 400 blogs would.
    conn.execute(
        "INSERT INTO articles (id, key, feed_id, uid, title, link, author, published, "
        "sort_key, content_hash, read, starred) "
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "SELECT i, printf('%012x', i), (i - 1) % ? + 1, 'https://blog.example.org/?p=' || i, "
        "'Ketamine explained, part ' || i || ': NMDA receptor and BDNF', "
        "'https://blog.example.org/' || i || '/', 'Dr. Example', 1.7e9 + i * 60, "
        "1.7e9 + i * 60, printf('%016x', i), i % 3 = 0, i % 97 = 0 FROM n",
        (total, feeds),
    )
    conn.execute(
        "INSERT INTO bodies (article_id, html, base_url) "
        "SELECT a.id, p.html, 'https://blog.example.org/' FROM articles a "
        "JOIN pool p ON p.n = a.id % ?",
        (len(bodies),),
    )
    conn.execute(
        "INSERT INTO article_tags (article_id, tag_id, spelling, read, sort_key) "
        "SELECT a.id, t.id, t.name, a.read, a.sort_key FROM articles a JOIN tags t "
        "ON (t.id + a.id) % ? < 5",
        (len(tags),),
    )
    index_archive(conn, bodies)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode = WAL")  # as the reader keeps it
    conn.close()
    return time.perf_counter() - start


def index_archive(conn: sqlite3.Connection, bodies: list[str]) -> None:
    """Index every article for search as a refresh does (`document_for` per article), with
    each distinct body split once: titles, feeds and tags are the article's own."""
    from ketaread.core.search import (
        INDEX_VERSION,
        Document,
        defined_abbreviations,
        fold,
        split_html,
    )

    conn.execute("CREATE TEMP TABLE docs (n INTEGER PRIMARY KEY, summary, body, refs)")
    conn.execute("CREATE TEMP TABLE pairs (n INTEGER, short, long, long_key)")
    for n, html in enumerate(bodies):
        summary, body, refs = split_html(html)
        conn.execute("INSERT INTO docs VALUES (?, ?, ?, ?)", (n, summary, body, refs))
        document = Document("", summary, body, refs, "", "", "")
        conn.executemany(
            "INSERT INTO pairs VALUES (?, ?, ?, ?)",
            [(n, short, long, fold(long)) for short, long in defined_abbreviations(document)],
        )
    conn.execute(
        "INSERT INTO search (rowid, title, summary, body, refs, author, feed, tags) "
        "SELECT a.id, a.title, d.summary, d.body, d.refs, a.author, f.title, "
        "(SELECT group_concat(t.name, char(10)) FROM article_tags at JOIN tags t "
        " ON t.id = at.tag_id WHERE at.article_id = a.id) "
        "FROM articles a JOIN feeds f ON f.id = a.feed_id JOIN docs d ON d.n = a.id % ?",
        (len(bodies),),
    )
    conn.execute(
        "INSERT INTO search_abbrevs (article_id, short, long, long_key) "
        "SELECT a.id, p.short, p.long, p.long_key FROM articles a JOIN pairs p "
        "ON p.n = a.id % ?",
        (len(bodies),),
    )
    conn.execute(
        "INSERT INTO search_state (article_id, version) SELECT id, ? FROM articles",
        (INDEX_VERSION,),
    )


ARCHIVE_QUERIES = [
    "ketamine",
    "BDNF",
    "brain-derived neurotrophic factor",
    "N-methyl-D-aspartate",
    "NMDA receptors",
    '"dendritic spine"',
    "hippocampus plasticity",
    "AMPA glutamate",
    "default mode network",
    "synap*",
    "infusion -anxiety",
    "title:ketamine",
    "ref:nature",
    '"Mayo Clinic" OR "American Journal of Psychiatry"',
    "integration therapy",
    "ketamine +depression",
    "depression is:unread",
    "glutamate @2024-01-01--2024-03-31",
    "neurons sort:newest",
    "PTSD anxiety +neuroscience",
]
"""Twenty typical queries in the archive's own words (its make_corpus bodies and tags), each
matching most of its 400,000 articles: bench_search's twenty (feedgen's words) are measured
too, though half of them match nothing here."""


def search_figures(database: Path, runs: int, source: Path | None = None) -> None:
    """Query times on the archive, glossary expansion on, 20 results with snippets and
    `matched` as `ketaread search` gives them: wall and CPU time, median of `runs` each.
    With `source` (another checkout's `src`), that ketaread's, in a process of its own."""
    import statistics

    if source is not None:
        code = (
            f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r});"
            "from pathlib import Path; from bench_archive import search_figures;"
            f"search_figures(Path({str(database)!r}), {runs})"
        )
        env = dict(os.environ, PYTHONPATH=str(source))
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
        return

    from ketaread.core import search
    from ketaread.core.glossary import load_glossary
    from ketaread.core.store import Store

    # After ketaread: bench_search puts this checkout's src first on the path, which would
    # make a baseline's process measure this checkout.
    queries_of_bench_search = importlib.import_module("bench_search").QUERIES

    store = Store(database)
    expander = search.expander_for(load_glossary())
    for label, queries in (
        ("archive's words", ARCHIVE_QUERIES),
        ("bench_search's", queries_of_bench_search),
    ):
        rows = []
        for query in queries:
            times, cpu = [], []
            for _ in range(max(runs, 3)):
                start, start_cpu = time.perf_counter(), time.thread_time()
                results = search.search(store, query, limit=20, expander=expander)
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.thread_time() - start_cpu) * 1000)
            rows.append((statistics.median(times), statistics.median(cpu), query, results.total))
        print(f"search, {label} queries: wall / CPU ms, matches (5001: more than 5,000)")
        for took, cpu_ms, query, total in rows:
            print(f"{took:8.1f} {cpu_ms:8.1f} {total:6}  {query}")
        for name, column in (("wall", 0), ("CPU", 1)):
            values = [r[column] for r in rows]
            print(
                f"  {name}: median of {len(rows)} {statistics.median(values):.1f} ms, "
                f"worst {max(values):.1f} ms"
            )
    store.close()


OPEN_SAMPLE = 12
"""Articles opened per round by `--opens-only` (each never converted, then again), and as
many never converted opened at once."""
REST = 0.3
"""Seconds between putting the list's cursor on an article and Enter (a glance at the title;
the reader converts the article under a cursor resting 0.1 s)."""


async def open_times(database: Path, config: Path, sample: int, offset: int) -> dict[str, list]:
    """Open `sample` articles of the archive in the real app (Pilot, 120×40): Enter until
    the first screen is painted (ArticleShown) and until the whole article is in (the
    screen settled, workers done), never converted (cached rendering cleared) then again.
    `offset` picks other articles each round, so that "never converted" stays true."""
    import gc
    import sqlite3

    from bench_startup import SIZE

    from ketaread.cli import make_app
    from ketaread.screens.main import MainScreen
    from ketaread.widgets.article_list import ArticleList
    from ketaread.widgets.article_view import ArticleView

    shown = asyncio.Event()
    shown_at: list[float] = []
    shown_cpu: list[float] = []  # the process's CPU time (every thread) at the first paint
    # The UI thread's part: from the worker's hand-over (show_article) to the first paint
    # (ArticleView._shown is called after it), wall and the UI thread's CPU time.
    ui_marks: dict[str, tuple[float, float]] = {}
    show, painted = ArticleView.show_article, ArticleView._shown

    async def timed_show(self: ArticleView, *args: object, **kwargs: object) -> None:
        ui_marks.setdefault("show", (time.perf_counter(), time.thread_time()))
        await show(self, *args, **kwargs)  # type: ignore[arg-type]

    async def timed_painted(self: ArticleView, *args: object) -> None:
        ui_marks.setdefault("painted", (time.perf_counter(), time.thread_time()))
        await painted(self, *args)  # type: ignore[arg-type]

    ArticleView.show_article = timed_show  # type: ignore[method-assign]
    ArticleView._shown = timed_painted  # type: ignore[method-assign]

    def hook(message: object) -> None:
        if isinstance(message, ArticleView.ArticleShown) and not shown.is_set():
            shown_at.append(time.perf_counter())
            shown_cpu.append(time.process_time())
            shown.set()

    gc.disable()  # as the entry point leaves it until the first frame
    app = make_app(db=database, config=config, offline=True)
    times: dict[str, list] = {}
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        article_list = screen.query_one(ArticleList)

        async def settle() -> None:
            await app.workers.wait_for_complete()
            await pilot.pause()

        # Articles for three kinds of open: never converted, Enter pressed after the cursor
        # rested on the article (REST, a glance at its title); never converted, Enter at
        # once (in the same frame as the move); the first ones again.
        chosen = [article_list.ids[200 + offset + index * 7] for index in range(2 * sample)]
        with sqlite3.connect(database) as conn:
            conn.executemany(
                "UPDATE bodies SET markdown = NULL, analysis = NULL WHERE article_id = ?",
                [(i,) for i in chosen],
            )
        article_list.move_to(article_list.ids[0])  # loads the glossary and Markdown widget
        await pilot.press("enter")
        await settle()
        for key, articles, rest in (
            ("first", chosen[:sample], REST),
            ("at_once", chosen[sample:], None),
            ("again", chosen[:sample], REST),
        ):
            for article_id in articles:
                article_list.focus()
                await settle()
                article_list.move_to(article_id)
                if rest is not None:
                    await asyncio.sleep(rest)
                    await settle()
                shown.clear()
                shown_at.clear()
                shown_cpu.clear()
                ui_marks.clear()
                start, start_cpu = time.perf_counter(), time.process_time()
                await pilot.press("enter")
                await shown.wait()
                await settle()
                whole = time.perf_counter()
                (show_wall, show_cpu), (paint_wall, paint_cpu) = (
                    ui_marks["show"],
                    ui_marks["painted"],
                )
                for name, value in (
                    (key, shown_at[0] - start),
                    (key + "_cpu", shown_cpu[0] - start_cpu),
                    (key + "_whole", whole - start),
                    (key + "_ui", paint_wall - show_wall),
                    (key + "_ui_cpu", paint_cpu - show_cpu),
                ):
                    times.setdefault(name, []).append(value * 1000)
                assert screen.article_view.article_id == article_id
    return times


def open_figures(database: Path, config: Path, rounds: int, sources: dict[str, Path]) -> None:
    """Open times of each checkout in `sources`, in processes of their own taken in turn
    (one round of each, then the next), so the machine's load falls on all alike."""
    import json
    import statistics

    collected: dict[str, dict[str, list[float]]] = {name: {} for name in sources}
    for index in range(rounds):
        for name, source in sources.items():
            code = (
                f"import asyncio, json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r});"
                "from pathlib import Path; from bench_archive import open_times;"
                f"print(json.dumps(asyncio.run(open_times(Path({str(database)!r}),"
                f" Path({str(config)!r}), {OPEN_SAMPLE}, {index * OPEN_SAMPLE * 14 + 1}))))"
            )
            env = dict(os.environ, PYTHONPATH=str(source))
            run = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, env=env
            )
            if run.returncode != 0:
                raise RuntimeError(f"the opens failed ({name}):\n{run.stderr}")
            for key, values in json.loads(run.stdout.strip().splitlines()[-1]).items():
                collected[name].setdefault(key, []).extend(values)
    print(
        f"open, median of {rounds} × {OPEN_SAMPLE} in ms: Enter to the first screen painted, "
        f"never converted (Enter {REST} s after the cursor came to it / at once) and again; "
        "to the whole article in and the screen settled (Pilot's own waits included); the UI "
        "thread's part, from the worker's hand-over to the first paint, wall and CPU; the "
        "process's CPU time (all its threads) from Enter to the first paint"
    )
    for name, figures in collected.items():
        m = {key: statistics.median(values) for key, values in figures.items()}
        print(
            f"  {name}: painted {m['first']:.1f}, at once {m['at_once']:.1f} / again "
            f"{m['again']:.1f}; whole {m['first_whole']:.1f}, {m['at_once_whole']:.1f} / "
            f"{m['again_whole']:.1f}; UI {m['first_ui']:.1f}, {m['at_once_ui']:.1f} / "
            f"{m['again_ui']:.1f}, CPU {m['first_ui_cpu']:.1f}, {m['at_once_ui_cpu']:.1f} / "
            f"{m['again_ui_cpu']:.1f}; process CPU {m['first_cpu']:.1f}, "
            f"{m['at_once_cpu']:.1f} / {m['again_cpu']:.1f}"
        )


def main() -> None:
    """Build the archive (or reuse it), measure, print one table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, help="keep the archive here (reused when present)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--search-only", action="store_true", help="only the search figures (the archive exists)"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (e.g. `git worktree add /tmp/base COMMIT`), measured in the same "
        "run: its first frames interleaved with these, then its interactions and queries",
    )
    parser.add_argument(
        "--opens-only",
        action="store_true",
        help="only the open times (the archive exists): --runs rounds of "
        f"{OPEN_SAMPLE} articles, with --baseline interleaved",
    )
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="ketaread-archive-"))
    work.mkdir(parents=True, exist_ok=True)
    (work / "settings.toml").unlink(missing_ok=True)
    database = work / "archive.db"
    config = work / "config.toml"
    config.write_text('[[source]]\nlocation = "/archive"\n')
    if not database.exists():
        seconds = build_archive(database, work)
        print(f"built {FEEDS * PER_FEED:,} articles directly in SQLite in {seconds:.0f} s")
    size = database.stat().st_size
    print(f"{os.cpu_count()} cores; runs {args.runs}; load {os.getloadavg()[0]:.1f}")
    before = args.baseline.resolve() / "src" if args.baseline else None
    if args.opens_only:
        sources = {"this checkout": Path(__file__).resolve().parent.parent / "src"}
        if before is not None:
            sources[f"baseline {args.baseline}"] = before
        open_figures(database, config, args.runs, sources)
        print(f"load {os.getloadavg()[0]:.1f}")
        return
    if args.search_only:
        search_figures(database, args.runs)
        if before is not None:
            print(f"-- the baseline, {args.baseline}:")
            search_figures(database, args.runs, before)
        return
    print(f"cache {size / 1e9:.2f} GB: {size / (FEEDS * PER_FEED) / 1024:.1f} KiB per article")
    # The same app on 400 articles of the same shape: what start-up costs whatever the size.
    small = work / "small.db"
    if not small.exists():
        build_archive(small, work, feeds=4, per_feed=100)
    # A tmux server already running gives new sessions its own environment, not ours:
    # say where ketaread is (it is not installed in the benchmark's environment).
    sources = {"": Path(__file__).resolve().parent.parent / "src"}
    if before is not None:
        sources["before "] = before
    launches = {"bare": bare_textual_launch()}
    for prefix, source in sources.items():
        for name, cache in (("ketaread", database), ("small", small)):
            command, _needle, env = ketaread_launch(cache, config)
            launches[prefix + name] = (["env", f"PYTHONPATH={source}", *command], "", env)
    # At 120 columns the list cuts the archive's titles after "explained, par…": wait for
    # what both screens show.
    for name, (command, _needle, env) in launches.items():
        if name == "bare":
            command = ["env", f"PYTHONPATH={sources['']}", *command]
        launches[name] = (command, "explained, par", env)
    frames = median_first_frames(launches, args.runs)
    for prefix in sources:
        ratio = frames[prefix + "ketaread"] / frames["bare"]
        print(
            f"{prefix}first frame: ketaread {frames[prefix + 'ketaread']:.2f} s, bare Textual "
            f"{frames['bare']:.2f} s ({ratio:.2f}×); ketaread on 400 articles "
            f"{frames[prefix + 'small']:.2f} s ({frames[prefix + 'small'] / frames['bare']:.2f}×)"
        )
    for prefix, source in sources.items():
        figures = interaction_figures(database, config, args.runs, source)
        print(
            f"{prefix}open new {figures['open_first']:.1f} ms, open again "
            f"{figures['open_again']:.1f} ms, tag switch {figures['tag']:.1f} ms, list page "
            f"{figures['page']:.1f} ms, peak {figures['peak_mb']:.0f} MB"
        )
    print(f"load {os.getloadavg()[0]:.1f}")
    for prefix, source in sources.items():
        print(f"-- {prefix or 'this checkout'}:")
        search_figures(database, args.runs, source if prefix else None)


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
