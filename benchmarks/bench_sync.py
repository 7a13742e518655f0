"""Sync benchmark: N feeds × M articles in a real FreshRSS, synced by ketaread.

Starts FreshRSS from the kit (`../shared/servers/freshrss` beside the repository, or
`--kit`/KETAREAD_FRESHRSS_KIT) on loopback, subscribes it to N synthetic feeds served on
loopback (OPML import with FreshRSS's CLI, then its own refresh), and times, each as a
fresh process:

- ketaread's first sync over the Google Reader API (empty cache), then an unchanged sync;
- the same over the Fever API;
- newsboat 2.21 `-x reload` with `urls-source "feedhq"` pointed at FreshRSS's greader.php
  (the only Google Reader client it has; its 2.21 has no "freshrss" source), reporting how
  many articles it stored;
- newsboat `-x reload` fetching the same N feeds directly (reload-threads 8), first and
  second run, for comparison when the feedhq route stores nothing.

Rounds (`--runs`) interleave the programs, so that each sees the same load. CPU time is
that of the whole process tree (ketaread's parse workers and their forkserver included):
the benchmark makes itself the subreaper of what it starts and reaps every descendant.
`--work DIR` keeps the feeds and FreshRSS's data in DIR and reuses them on the next run
(FreshRSS's own fetch of 200 feeds takes minutes on a loaded machine).

    python benchmarks/bench_sync.py --feeds 200 --articles 20 --runs 3 [--work DIR]
        [--baseline DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

sys.path.insert(0, str(Path(__file__).parent))
from bench_refresh import _vm_hwm_mb, serve
from feedgen import generate

ROOT = Path(__file__).resolve().parent.parent


def become_subreaper() -> None:
    """Adopt orphaned descendants (Linux), so that their CPU time is counted when reaped."""
    import ctypes

    pr_set_child_subreaper = 36
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0)


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Run a command; (wall seconds, CPU seconds user+sys of it and every process it
    started, peak RSS MB of its main process).

    CPU time is given beside wall time: on a shared machine the wall time also counts
    the time spent waiting for a core. Descendants still running when the command exits
    (a forkserver winding down) are waited for, up to 10 s, and counted.
    """
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak = 0.0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _vm_hwm_mb(process.pid) or 0.0)
        time.sleep(0.01)
    elapsed = time.perf_counter() - start
    cpu = usage.ru_utime + usage.ru_stime
    until = time.monotonic() + 10
    while time.monotonic() < until:
        try:
            orphan, _, orphan_usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if orphan:
            cpu += orphan_usage.ru_utime + orphan_usage.ru_stime
        else:
            time.sleep(0.02)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        error = process.stderr.read().decode(errors="replace") if process.stderr else ""
        raise RuntimeError(f"{command[0]} failed ({process.returncode}): {error[-500:]}")
    return elapsed, cpu, peak


def user_environment() -> dict[str, str]:
    """The environment without PYTHONDONTWRITEBYTECODE (set by some shells here), as on a
    user's machine, where pip compiled ketaread's modules at install time: else every run
    compiles them afresh, in the sync's process and in its parse workers' (~0.3 s CPU)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def find_kit(given: str | None) -> Path:
    """The FreshRSS kit folder."""
    for candidate in (given, os.environ.get("KETAREAD_FRESHRSS_KIT")):
        if candidate:
            return Path(candidate)
    return ROOT.parent / "shared" / "servers" / "freshrss"


def count(db: Path, sql: str) -> int:
    """One number from a SQLite file."""
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


Row = tuple[str, float, float, float, int]


def ketaread_sync(
    work: Path, info: dict, api: str, root: Path = ROOT, label: str = "ketaread"
) -> list[Row]:
    """First (empty cache) and unchanged `ketaread sync` of one account, with the code in
    `root` (this repository, or a --baseline checkout)."""
    config = work / f"ketaread-{api}.toml"
    url = info["greader_url"] if api == "greader" else info["fever_url"]
    config.write_text(
        f'[[server]]\nname = "bench"\nurl = "{url}"\napi = "{api}"\nuser = "{info["user"]}"\n'
        'password_env = "BENCH_PASSWORD"\n'
    )
    db = work / f"k-{api}.db"
    for old in work.glob(f"k-{api}.db*"):
        old.unlink()
    command = [sys.executable, "-m", "ketaread", "--db", str(db), "--config", str(config), "sync"]
    env = dict(
        user_environment(),
        BENCH_PASSWORD=info["api_password"],
        NO_PROXY="127.0.0.1",
        no_proxy="127.0.0.1",
        PYTHONPATH=str(root / "src"),
    )
    first = run_measured(command, env)
    stored = count(db, "SELECT COUNT(*) FROM articles")
    second = run_measured(command, env)
    return [
        (f"{label} {api} first", *first, stored),
        (f"{label} {api} unchanged", *second, count(db, "SELECT COUNT(*) FROM articles")),
    ]


def newsboat_runs(work: Path, name: str, conf: str, urls: list[str]) -> list[Row]:
    """First (empty cache) and second `newsboat -x reload` with a config; articles stored
    after each."""
    newsboat = shutil.which("newsboat")
    if newsboat is None:
        return []
    folder = work / name
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "home").mkdir(parents=True)
    (folder / "urls").write_text("".join(u + "\n" for u in urls))
    (folder / "conf").write_text(conf)
    db = folder / "cache.db"
    command = [newsboat, "-u", str(folder / "urls"), "-c", str(db), "-C", str(folder / "conf")]
    command += ["-x", "reload"]
    env = dict(os.environ, HOME=str(folder / "home"), NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
    rows = []
    for run in ("first", "second"):
        measured = run_measured(command, env)
        rows.append((f"{name} {run}", *measured, count(db, "SELECT COUNT(*) FROM rss_item")))
    return rows


def start_freshrss(kit: Path, work: Path, urls: list[str]) -> tuple[dict, float | None]:
    """FreshRSS with the feeds subscribed and fetched: set up in work/freshrss, or only
    restarted when an earlier run left it there; (server info, its fetch time or None)."""
    srv = work / "freshrss"
    ready = (srv / "fetched").is_file()
    up = subprocess.run(
        ["bash", str(kit / "up"), str(srv)], capture_output=True, text=True, check=True
    )
    info = json.loads(up.stdout.strip().splitlines()[-1])
    if ready:
        return info, None
    opml = work / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>b</title></head><body>'
        + "".join(f'<outline type="rss" xmlUrl={quoteattr(u)}/>' for u in urls)
        + "</body></opml>"
    )
    php = ["php", str(srv / "app/cli/import-for-user.php"), "--user", info["user"]]
    subprocess.run([*php, "--filename", str(opml)], capture_output=True, check=True)
    started = time.perf_counter()
    subprocess.run(["bash", info["refresh"]], capture_output=True, check=False)
    fetched = time.perf_counter() - started
    (srv / "fetched").write_text(f"{fetched:.1f}\n")
    return info, fetched


def main() -> None:
    """Generate, serve, subscribe FreshRSS, sync, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--runs", type=int, default=1, help="interleaved rounds")
    parser.add_argument("--kit", help="the FreshRSS kit folder")
    parser.add_argument("--work", type=Path, help="keep the feeds and FreshRSS here, reuse them")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also time the Google Reader sync of the ketaread in this folder (its src/), "
        "e.g. `git archive COMMIT | tar -x -C DIR`, in the same rounds",
    )
    args = parser.parse_args()
    kit = find_kit(args.kit)
    if not (kit / "up").is_file():
        sys.exit(f"no FreshRSS kit at {kit} (give --kit or set KETAREAD_FRESHRSS_KIT)")
    with contextlib.ExitStack() as stack:
        work = args.work or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        work.mkdir(parents=True, exist_ok=True)
        feeds = work / "feeds"
        if len(list(feeds.glob("*.xml"))) != args.feeds:
            shutil.rmtree(work / "freshrss", ignore_errors=True)  # a different corpus
            shutil.rmtree(feeds, ignore_errors=True)
            generate(feeds, args.feeds, args.articles)
        server, port = serve(feeds)
        stack.callback(server.shutdown)
        urls = [f"http://127.0.0.1:{port}/{p.name}" for p in sorted(feeds.glob("*.xml"))]
        info, freshrss_fetch = start_freshrss(kit, work, urls)
        stack.callback(
            subprocess.run, ["bash", str(kit / "down"), str(work / "freshrss")], capture_output=True
        )
        # Compiled once here (bytecode cached as after an install), not in the first run.
        for root in (ROOT, args.baseline) if args.baseline else (ROOT,):
            subprocess.run(
                [sys.executable, "-m", "compileall", "-q", str(root / "src" / "ketaread")],
                env=user_environment(),
                check=True,
            )
        # After `up`: its server, orphaned when `up` exits, must not become ours to wait for.
        become_subreaper()
        load = Path("/proc/loadavg").read_text().split()[0]
        feedhq = (
            'urls-source "feedhq"\n'
            f'feedhq-url "{info["greader_url"]}/"\n'
            f'feedhq-login "{info["user"]}"\nfeedhq-password "{info["api_password"]}"\n'
            "reload-threads 8\n"
        )
        rows: list[Row] = []
        for round_number in range(args.runs):
            if args.baseline:
                rows += ketaread_sync(work, info, "greader", args.baseline, "baseline")
            rows += ketaread_sync(work, info, "greader")
            rows += newsboat_runs(work, "newsboat direct", "reload-threads 8\n", urls)
            rows += ketaread_sync(work, info, "fever")
            if round_number == 0:
                rows += newsboat_runs(work, "newsboat feedhq", feedhq, [])
        load_after = Path("/proc/loadavg").read_text().split()[0]
    total = args.feeds * args.articles
    fetch = f"{freshrss_fetch:.1f} s" if freshrss_fetch is not None else "reused from --work"
    print(
        f"{args.feeds} feeds × {args.articles} articles = {total} in FreshRSS "
        f"(its own fetch of them: {fetch}); {os.cpu_count()} cores"
    )
    print(f"load average before / after: {load} / {load_after}")
    print(f"{'run':<26}{'wall s':>8}{'CPU s':>8}{'peak MB':>9}{'articles':>10}")
    for name, wall, cpu, peak, stored in rows:
        print(f"{name:<26}{wall:>8.2f}{cpu:>8.2f}{peak:>9.0f}{stored:>10}")
    print("\nby run, over the rounds (wall s | CPU s, min–max):")
    for name in dict.fromkeys(row[0] for row in rows):
        mine = [row for row in rows if row[0] == name]
        walls = [row[1] for row in mine]
        cpus = [row[2] for row in mine]
        print(
            f"{name:<26}{min(walls):>6.2f}–{max(walls):<6.2f}|{min(cpus):>6.2f}–{max(cpus):<6.2f}"
        )


if __name__ == "__main__":
    main()
