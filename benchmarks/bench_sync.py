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

    python benchmarks/bench_sync.py --feeds 200 --articles 20
"""

from __future__ import annotations

import argparse
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


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Run a command; (wall seconds, CPU seconds user+sys, peak RSS MB of its process).

    CPU time is given beside wall time: on a shared machine the wall time also counts
    the time spent waiting for a core.
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
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        error = process.stderr.read().decode(errors="replace") if process.stderr else ""
        raise RuntimeError(f"{command[0]} failed ({process.returncode}): {error[-500:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, peak


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


def ketaread_sync(work: Path, info: dict, api: str) -> list[Row]:
    """First and unchanged `ketaread sync` of one account."""
    config = work / f"ketaread-{api}.toml"
    url = info["greader_url"] if api == "greader" else info["fever_url"]
    config.write_text(
        f'[[server]]\nname = "bench"\nurl = "{url}"\napi = "{api}"\nuser = "{info["user"]}"\n'
        'password_env = "BENCH_PASSWORD"\n'
    )
    db = work / f"k-{api}.db"
    command = [sys.executable, "-m", "ketaread", "--db", str(db), "--config", str(config), "sync"]
    env = dict(
        os.environ,
        BENCH_PASSWORD=info["api_password"],
        NO_PROXY="127.0.0.1",
        no_proxy="127.0.0.1",
        PYTHONPATH=str(ROOT / "src"),
    )
    first = run_measured(command, env)
    stored = count(db, "SELECT COUNT(*) FROM articles")
    second = run_measured(command, env)
    return [
        (f"ketaread {api} first", *first, stored),
        (f"ketaread {api} unchanged", *second, count(db, "SELECT COUNT(*) FROM articles")),
    ]


def newsboat_runs(work: Path, name: str, conf: str, urls: list[str]) -> list[Row]:
    """First and second `newsboat -x reload` with a config; articles stored after each."""
    newsboat = shutil.which("newsboat")
    if newsboat is None:
        return []
    folder = work / name
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


def main() -> None:
    """Generate, serve, subscribe FreshRSS, sync, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--kit", help="the FreshRSS kit folder")
    args = parser.parse_args()
    kit = find_kit(args.kit)
    if not (kit / "up").is_file():
        sys.exit(f"no FreshRSS kit at {kit} (give --kit or set KETAREAD_FRESHRSS_KIT)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        paths = generate(work / "feeds", args.feeds, args.articles)
        server, port = serve(work / "feeds")
        urls = [f"http://127.0.0.1:{port}/{p.name}" for p in paths]
        srv = work / "freshrss"
        up = subprocess.run(
            ["bash", str(kit / "up"), str(srv)], capture_output=True, text=True, check=True
        )
        info = json.loads(up.stdout.strip().splitlines()[-1])
        try:
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
            freshrss_fetch = time.perf_counter() - started
            load = Path("/proc/loadavg").read_text().split()[0]
            rows = ketaread_sync(work, info, "greader") + ketaread_sync(work, info, "fever")
            feedhq = (
                'urls-source "feedhq"\n'
                f'feedhq-url "{info["greader_url"]}/"\n'
                f'feedhq-login "{info["user"]}"\nfeedhq-password "{info["api_password"]}"\n'
                "reload-threads 8\n"
            )
            rows += newsboat_runs(work, "newsboat feedhq", feedhq, [])
            rows += newsboat_runs(work, "newsboat direct", "reload-threads 8\n", urls)
        finally:
            subprocess.run(["bash", str(kit / "down"), str(srv)], capture_output=True)
            server.shutdown()
    total = args.feeds * args.articles
    print(
        f"{args.feeds} feeds × {args.articles} articles = {total} in FreshRSS "
        f"(its own fetch of them: {freshrss_fetch:.1f} s); {os.cpu_count()} cores"
    )
    print(f"load average before: {load}")
    print(f"{'run':<26}{'wall s':>8}{'CPU s':>8}{'peak MB':>9}{'articles':>10}")
    for name, wall, cpu, peak, stored in rows:
        print(f"{name:<26}{wall:>8.2f}{cpu:>8.2f}{peak:>9.0f}{stored:>10}")


if __name__ == "__main__":
    main()
