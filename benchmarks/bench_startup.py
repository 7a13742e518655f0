"""Reading-screen benchmark with 4,000 and 40,000 cached articles.

- first frame: a real `ketaread --offline` process in tmux at 120×40, from launch until
  the first article title is on screen (median of several runs), next to newsboat's first
  screen on the same feeds when newsboat is installed;
- article open (Enter → article rendered), tag switch, article-list page down, Tab to the
  next pane: the real app driven by Textual's Pilot, median of several;
- peak resident memory after opening 50 articles.

    python benchmarks/bench_startup.py --sizes 4000 40000 --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from feedgen import generate

ARTICLES_PER_FEED = 20
SIZE = (120, 40)


def peak_rss_mb() -> float:
    """This process's own peak resident memory.

    VmHWM, not getrusage: Linux carries ru_maxrss over from the parent across fork and
    exec, so a child of a large benchmark process would report the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cache_name(articles: int, per_feed: int = ARTICLES_PER_FEED) -> str:
    """`4000` at the usual 20 articles a feed, the shape otherwise (`20x200`)."""
    return str(articles) if per_feed == ARTICLES_PER_FEED else f"{articles // per_feed}x{per_feed}"


def build_cache(
    work: Path, articles: int, per_feed: int = ARTICLES_PER_FEED
) -> tuple[Path, Path, Path]:
    """Synthetic feeds on disk (feeds-NAME) and a cache holding all their articles."""
    from ketaread.core.refresh import SourceSpec, refresh
    from ketaread.core.store import Store

    feeds = articles // per_feed
    name = cache_name(articles, per_feed)
    folder = work / f"feeds-{name}"
    generate(folder, feeds, per_feed, words=400)
    database = work / f"cache-{name}.db"
    config = work / f"config-{name}.toml"
    config.write_text(f'[[source]]\nlocation = "{folder}"\n')
    store = Store(database)
    refresh(store, [SourceSpec(str(folder))])
    store.close()
    return folder, database, config


def launch_env(**extra: str) -> dict[str, str]:
    """The environment a user's terminal gives: Python caches its compiled modules.

    Some shells here set PYTHONDONTWRITEBYTECODE, which would make every launch of an
    editable install compile ketaread's modules afresh (about 40 ms no user pays after their
    first launch; pip compiles them at install time).
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return dict(env, TERM="xterm-256color", **extra)


Launch = tuple[list[str], str, dict[str, str]]
"""A command, the text that shows its first screen is drawn, and its environment."""


def median_first_frames(launches: dict[str, Launch], runs: int) -> dict[str, float]:
    """Median first-frame time of each launch over `runs`, taken in turn (one run of each,
    then the next round), so the machine's changing load falls on all of them alike.

    One discarded warm-up launch each first: compiled modules and the page cache as after
    any earlier use.
    """
    for command, needle, env in launches.values():
        first_title_time(command, needle, env)
    times: dict[str, list[float]] = {name: [] for name in launches}
    for _ in range(runs):
        for name, (command, needle, env) in launches.items():
            times[name].append(first_title_time(command, needle, env))
    return {name: statistics.median(values) for name, values in times.items()}


def first_title_time(command: list[str], needle: str, env: dict[str, str]) -> float:
    """Seconds from launching `command` in tmux until `needle` is on screen."""
    session = f"bench{os.getpid()}"
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    start = time.perf_counter()
    subprocess.run(
        [
            "tmux",
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            str(SIZE[0]),
            "-y",
            str(SIZE[1]),
            *command,
        ],
        check=True,
        env=env,
    )
    try:
        deadline = start + 30
        while time.perf_counter() < deadline:
            screen = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout
            if needle in screen:
                return time.perf_counter() - start
            time.sleep(0.005)
        raise TimeoutError(f"{needle!r} never appeared")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


WRITE_BYTECODE = ["env", "-u", "PYTHONDONTWRITEBYTECODE"]
"""Prefixed to each launched command: a tmux server started from such a shell gives every
new session its own environment, PYTHONDONTWRITEBYTECODE included, whatever `launch_env`
passes; a module changed since its last compile was then compiled at every launch (~75 M
instructions for screens/main.py alone), and a checkout never run before compiled all of
ketaread each time."""


def ketaread_launch(database: Path, config: Path) -> Launch:
    """ketaread reading the cache, offline."""
    command = [
        *WRITE_BYTECODE,
        sys.executable,
        "-m",
        "ketaread",
        "--offline",
        "--db",
        str(database),
        "--config",
        str(config),
    ]
    return command, "explained, part", launch_env()


def bare_textual_launch() -> Launch:
    """A bare Textual app: the floor any Textual app starts from."""
    script = str(Path(__file__).parent / "bare_app.py")
    return [*WRITE_BYTECODE, sys.executable, script], "explained, part", launch_env()


def newsboat_launch(folder: Path, work: Path) -> Launch | None:
    """newsboat on the same feeds, its cache filled by a reload from 127.0.0.1 first."""
    newsboat = shutil.which("newsboat")
    if newsboat is None:
        return None
    from bench_refresh import serve

    server, port = serve(folder)
    urls = work / f"urls-{folder.name}"
    urls.write_text(
        "".join(f"http://127.0.0.1:{port}/{p.name}\n" for p in sorted(folder.glob("*.xml")))
    )
    cache = work / f"newsboat-{folder.name}.db"
    # A fresh cache each time: the server's port changes between runs, and newsboat would
    # otherwise keep every earlier run's feeds beside the new ones.
    for stale in (cache, cache.with_name(cache.name + ".lock")):
        stale.unlink(missing_ok=True)
    conf = work / "newsboat.conf"
    conf.write_text("reload-threads 8\n")
    home = work / "home"
    home.mkdir(exist_ok=True)
    env = launch_env(HOME=str(home), NO_PROXY="127.0.0.1")
    base = [newsboat, "-u", str(urls), "-c", str(cache), "-C", str(conf)]
    subprocess.run([*base, "-x", "reload"], check=True, env=env, capture_output=True)
    server.shutdown()
    return base, "Synthetic clinic feed", env


def three_launches(database: Path, config: Path, folder: Path, work: Path) -> dict[str, Launch]:
    """ketaread on the cache, the bare app, and newsboat on the feeds when it is installed."""
    launches = {
        "ketaread": ketaread_launch(database, config),
        "bare": bare_textual_launch(),
    }
    if (newsboat := newsboat_launch(folder, work)) is not None:
        launches["newsboat"] = newsboat
    return launches


async def bench_interaction(database: Path, config: Path, runs: int) -> dict[str, float]:
    """Article open, tag switch and list paging in the real app, in milliseconds.

    Open: Enter until the article's first screen is painted (the app's ArticleShown
    message), first for articles never converted (their cached rendering is cleared), then
    for the same articles again. Tag and page: until every worker is done and the screen
    has settled, less Pilot's own cost of the same step with an unbound key.
    """
    import sqlite3

    from ketaread.cli import make_app
    from ketaread.screens.main import MainScreen
    from ketaread.widgets.article_list import ArticleList
    from ketaread.widgets.article_view import ArticleView

    shown = asyncio.Event()
    shown_at: list[float] = []

    def hook(message: object) -> None:
        # Stamped when the message is first seen: Pilot's press returns later, once idle.
        if isinstance(message, ArticleView.ArticleShown) and not shown.is_set():
            shown_at.append(time.perf_counter())
            shown.set()

    # As the `ketaread` entry point leaves it: the collector paused until the first frame,
    # after which the app freezes what start-up built (see ketaread.__main__).
    gc.disable()
    app = make_app(db=database, config=config, offline=True)
    results: dict[str, list[float]] = {
        "open_first": [],
        "open_again": [],
        "tag": [],
        "page": [],
        "focus": [],
        "press": [],
        "idle": [],
    }
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        article_list = screen.query_one(ArticleList)

        async def settle() -> None:
            await app.workers.wait_for_complete()
            await pilot.pause()

        def elapsed(start: float) -> float:
            return (time.perf_counter() - start) * 1000

        for _ in range(runs):
            start = time.perf_counter()
            await pilot.press("f12")
            results["press"].append(elapsed(start))
            await settle()
            start = time.perf_counter()
            await pilot.press("f12")
            await settle()
            results["idle"].append(elapsed(start))

        chosen = [article_list.ids[10 + index * 3] for index in range(runs)]
        with sqlite3.connect(database) as conn:
            conn.executemany(
                "UPDATE bodies SET markdown = NULL, analysis = NULL WHERE article_id = ?",
                [(i,) for i in chosen],
            )
        # A first open loads the glossary and the Markdown widget: not part of the figure.
        article_list.move_to(article_list.ids[0])
        await pilot.press("enter")
        await settle()
        for key in ("open_first", "open_again"):
            for article_id in chosen:
                article_list.focus()
                article_list.move_to(article_id)
                await settle()
                shown.clear()
                shown_at.clear()
                start = time.perf_counter()
                await pilot.press("enter")
                await shown.wait()
                results[key].append((shown_at[0] - start) * 1000)
                await settle()
                assert screen.article_view.article_id == article_id
        tags = screen.sidebar_data.tags
        for index in range(runs):
            tag = tags[index % len(tags)]
            start = time.perf_counter()
            screen.sidebar.choose(f"tag:{tag.id}")
            await settle()
            results["tag"].append(elapsed(start))
        screen.sidebar.choose("all")
        await settle()
        article_list.focus()
        for _ in range(runs):
            start = time.perf_counter()
            await pilot.press("pagedown")
            await settle()
            results["page"].append(elapsed(start))
        for _ in range(runs):
            start = time.perf_counter()
            await pilot.press("tab")  # the next pane: borders and the footer's keys change
            await settle()
            results["focus"].append(elapsed(start))
        for index in range(50):
            article_list.cursor = index
            await pilot.press("enter")
            await settle()
    peak = peak_rss_mb()
    medians = {k: statistics.median(v) for k, v in results.items()}
    press, idle = medians.pop("press"), medians.pop("idle")
    return {
        "open_first": medians["open_first"],
        "open_again": medians["open_again"],
        "tag": max(medians["tag"] - idle, 0.0),
        "page": max(medians["page"] - idle, 0.0),
        "focus": max(medians["focus"] - idle, 0.0),
        "press": press,
        "idle": idle,
        "peak_mb": peak,
    }


def interaction_figures(
    database: Path, config: Path, runs: int, source: Path | None = None
) -> dict[str, float]:
    """`bench_interaction`'s figures, run in a process of its own so that peak memory is
    this cache's alone; with `source` (a checkout's `src`), that checkout's ketaread."""
    code = (
        "import asyncio, json, sys; sys.path.insert(0, 'benchmarks');"
        "from bench_startup import bench_interaction; from pathlib import Path;"
        f"print(json.dumps(asyncio.run(bench_interaction(Path({str(database)!r}),"
        f" Path({str(config)!r}), {runs}))))"
    )
    env = None if source is None else dict(os.environ, PYTHONPATH=str(source))
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
        env=env,
    )
    if run.returncode != 0:
        raise RuntimeError(f"the interactions failed ({source or 'this checkout'}):\n{run.stderr}")
    output = run.stdout
    figures: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return figures


def main() -> None:
    """Build caches, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[4000, 40000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, help="keep caches here (reused when present)")
    parser.add_argument(
        "--first-frame-only", action="store_true", help="skip the Pilot-driven interactions"
    )
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="ketaread-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    # The default theme: a theme saved beside the configs by an earlier run is not measured.
    (work / "settings.toml").unlink(missing_ok=True)
    print(f"{os.cpu_count()} cores; terminal {SIZE[0]}×{SIZE[1]}; runs {args.runs}")
    print("first frames: median seconds, the three launched in turn")
    print("open: Enter until the article's first screen is painted (new: never converted;")
    print("again: reopened); tag, page, focus (Tab to the next pane): until settled, less")
    print("Pilot's own cost of a bare key")
    print(
        f"{'articles':>9}{'1st frame':>11}{'newsboat':>10}{'bare':>7}{'open new':>10}"
        f"{'open again':>12}{'tag ms':>8}{'page ms':>9}{'focus ms':>10}{'peak MB':>9}"
    )
    for size in args.sizes:
        database = work / f"cache-{size}.db"
        folder = work / f"feeds-{size}"
        config = work / f"config-{size}.toml"
        if not database.exists():
            folder, database, config = build_cache(work, size)
        frames = median_first_frames(three_launches(database, config, folder, work), args.runs)
        newsboat_shown = f"{frames['newsboat']:.2f} s" if "newsboat" in frames else "n/a"
        frame_columns = (
            f"{size:>9}{frames['ketaread']:>9.2f} s{newsboat_shown:>10}{frames['bare']:>7.2f}"
        )
        if args.first_frame_only:
            print(frame_columns)
            continue
        figures = interaction_figures(database, config, args.runs)
        print(
            f"{frame_columns}{figures['open_first']:>10.1f}"
            f"{figures['open_again']:>12.1f}{figures['tag']:>8.1f}{figures['page']:>9.1f}"
            f"{figures['focus']:>10.1f}"
            f"{figures['peak_mb']:>9.0f}"
        )


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
