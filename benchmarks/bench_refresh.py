"""Refresh benchmark: N synthetic feeds × M articles served on loopback.

Reports the first refresh (empty cache) and a second one (nothing changed) for ketaread,
and for newsboat (`-x reload`, reload-threads 8) when it is installed, on the same feeds
from the same server. Wall time, peak resident memory of the refreshing process, articles
per second.

    python benchmarks/bench_refresh.py --feeds 200 --articles 20
    python benchmarks/bench_refresh.py --make-corpus --feeds 200 --articles 20
    python benchmarks/bench_refresh.py --make-corpus --compare-src ../old-checkout/src

With --make-corpus the feeds come from the shared make_corpus.py (2,000-3,000-word
articles with reference lists, as the seed feeds carry) and both readers take their
subscriptions from one newsboat urls file (ketaread through `ketaread import`).

With --compare-src and --rounds N, both checkouts then refresh N more times each, alternating
which goes first, with means (one run on a shared machine swings more than most changes).
With --timeline SECONDS, each thread's share of a core over ketaread's first refresh, the
parse workers and the forkserver included (Linux, from /proc).

With --without-index ketaread also refreshes a second, fresh cache with the search index
switched off (in every process, the parse workers included), in the same run: what keeping
the index in step costs the refresh.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from feedgen import generate


def serve(folder: Path, validators: bool = True) -> tuple[ThreadingHTTPServer, int]:
    """A loopback server for the feeds, honouring If-None-Match when `validators`."""
    bodies = {f"/{p.name}": p.read_bytes() for p in folder.glob("*.xml")}
    etags = {k: '"' + hashlib.sha1(v).hexdigest() + '"' for k, v in bodies.items()}
    modified = formatdate(time.time() - 3600, usegmt=True)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = bodies.get(self.path)
            if body is None:
                self.send_error(404)
                return
            if validators and self.headers.get("If-None-Match") == etags[self.path]:
                self.send_response(304)
                self.send_header("ETag", etags[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if validators:
                self.send_header("ETag", etags[self.path])
                self.send_header("Last-Modified", modified)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        # socketserver's default listen backlog is 5: with eight connections opened at
        # once (both readers fetch eight at a time) a SYN was dropped and retried after
        # 1 s, a stall no web server makes (nginx listens with 511).
        request_queue_size = 128

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def _vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux), so the parse workers' CPU time is counted: they
    are the forkserver's children, and it is not waited for by the process that started it."""
    try:
        import ctypes

        pr_set_child_subreaper = 36
        return ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _reap_children(deadline: float) -> None:
    """Wait for every remaining (adopted) child, up to `deadline` (perf_counter seconds)."""
    while time.perf_counter() < deadline:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.02)


def _process_tree(root: int) -> list[int]:
    """`root` and every process descended from it (the forkserver's workers included)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    tree = [root]
    for pid in tree:
        tree.extend(children.get(pid, []))
    return tree


def _thread_name(pid: int, tid: int) -> str:
    try:
        if tid != pid:
            return "  thread " + Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "?"
    for known in ("resource_tracker", "forkserver", "refresh"):
        if known in command:
            return known
    return command[:30]


class Timeline:
    """CPU of every thread of a process tree, sampled from /proc (Linux): where a core sits
    idle, or which thread holds the others up, during a refresh."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.samples: list[tuple[float, dict[int, int]]] = []
        self.names: dict[int, str] = {}

    def sample(self, root: int, elapsed: float) -> None:
        """Record every thread's CPU nanoseconds so far (/proc/TID/schedstat)."""
        row: dict[int, int] = {}
        for pid in _process_tree(root):
            try:
                tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
            except OSError:
                continue
            for tid in tids:
                try:
                    ran = int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[0])
                except (OSError, ValueError, IndexError):
                    continue
                if tid not in self.names:
                    self.names[tid] = _thread_name(pid, tid)
                row[tid] = ran
        self.samples.append((elapsed, row))

    def report(self) -> str:
        """One row per `step` seconds: each thread's share of a core; then CPU seconds."""
        tids = [t for t in self.names if any(row.get(t, 0) > 1e7 for _, row in self.samples)]
        lines = ["t s   " + " ".join(f"{self.names[t][-10:]:>10}" for t in tids)]
        last: dict[int, int] = {}
        start, used = 0.0, dict.fromkeys(tids, 0)
        for elapsed, row in self.samples:
            for tid in tids:
                if tid in row:
                    used[tid] += row[tid] - last.get(tid, 0)
                    last[tid] = row[tid]
            if elapsed - start >= self.step:
                span = (elapsed - start) * 1e9
                lines.append(f"{start:5.2f} " + " ".join(f"{used[t] / span:>10.0%}" for t in tids))
                start, used = elapsed, dict.fromkeys(tids, 0)
        lines.append("CPU s " + " ".join(f"{last.get(t, 0) / 1e9:>10.2f}" for t in tids))
        return "\n".join(f"  {line}" for line in lines)


def run_measured(
    command: list[str], env: dict[str, str] | None = None, timeline: Timeline | None = None
) -> tuple[float, float, float]:
    """Run a command; return (wall seconds, peak RSS of its main process in MB, CPU seconds
    user+sys of it and all its descendants, parse workers included).

    Peak memory is sampled from /proc/PID/status (VmHWM) while it runs: getrusage's
    ru_maxrss would carry over this benchmark process's own peak into the child. CPU time
    is given beside wall time: on a shared machine wall time also counts waiting for a core.
    """
    subreaper = _become_subreaper()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, _vm_hwm_mb(process.pid) or 0.0)
        if timeline is not None:
            timeline.sample(process.pid, time.perf_counter() - start)
            time.sleep(0.04)  # reading /proc for every thread takes a few ms itself
        time.sleep(0.01)
    elapsed = time.perf_counter() - start
    if subreaper:
        _reap_children(time.perf_counter() + 5)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if process.returncode != 0:
        error = process.stderr.read().decode(errors="replace") if process.stderr else ""
        raise RuntimeError(f"{command[0]} failed ({process.returncode}): {error[-500:]}")
    return elapsed, peak, cpu


def _find_make_corpus() -> Path:
    """The shared make_corpus.py beside the checkout (a git worktree sits one level deeper)."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "bench" / "make_corpus.py"
        if candidate.is_file():
            return candidate
    return Path(__file__).resolve().parents[2] / "shared" / "bench" / "make_corpus.py"


MAKE_CORPUS = _find_make_corpus()


NO_INDEX_SITE = '''"""Run by every process of the benchmark's no-index run, parse workers too."""
import ketaread.core.search as search

search.prepare_index = lambda parsed: None
search.write_documents = lambda conn, entries: None
search.write_document = lambda *args, **kwargs: None  # what older checkouts call
'''


WARM_FEEDS = 10
"""Feeds of the untimed warm-up refresh: more than the 8 new feeds that start the workers."""


def _ketaread(folder: Path, *arguments: str) -> list[str]:
    """The command line of `ketaread ARGUMENTS` on the cache and config in `folder`."""
    return [
        *(sys.executable, "-m", "ketaread", "--db", str(folder / "k.db")),
        *("--config", str(folder / "ketaread.toml"), *arguments),
    ]


def _warm_up(urls: list[str], folder: Path, env: dict[str, str]) -> None:
    """Import `urls` into a cache of their own and refresh it once, untimed."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "urls").write_text("\n".join(urls) + "\n")
    for arguments in (("import", str(folder / "urls")), ("refresh",)):
        subprocess.run(_ketaread(folder, *arguments), check=True, capture_output=True, env=env)


def bench_ketaread(
    urls: list[str],
    work: Path,
    src: Path | None = None,
    label: str = "ketaread",
    *,
    index: bool = True,
    timeline: float | None = None,
) -> list[tuple[str, float, float, float]]:
    """First and second refresh with ketaread, subscribed by importing the urls file;
    the code under `src` when given (another checkout's src folder), else this one's;
    without `index`, with the search index switched off in every process."""
    work = work / label.replace(" ", "-").strip("()")
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
    if src is not None:
        env["PYTHONPATH"] = str(src)
    # As installed, with its bytecode: where PYTHONDONTWRITEBYTECODE is set (as in CI),
    # every process compiled ketaread's modules from source on each run (~0.1 s of CPU in
    # the refresh and again in the forkserver), while its dependencies had theirs. Compiled
    # here, outside the checkout, before anything is timed.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    code = src if src is not None else Path(__file__).resolve().parents[1] / "src"
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(code)],
        check=True,
        capture_output=True,
        env=env,
    )
    # With PYTHONPYCACHEPREFIX set, Python reads bytecode from that folder only: the
    # standard library's and the dependencies' own __pycache__ are not looked at, so the
    # first timed refresh compiled httpx, feedparser, multiprocessing... from source (~0.5 s
    # of CPU in the refreshing process and ~0.3 s in the forkserver, where an installed
    # reader has its bytecode). An untimed refresh of a few feeds into a cache of its own
    # compiles every module a refresh imports, in every process (the parse workers start
    # from WARM_FEEDS new feeds).
    _warm_up(urls[:WARM_FEEDS], work / "warm", env)
    if not index:
        site = work / "site"
        site.mkdir(exist_ok=True)
        (site / "sitecustomize.py").write_text(NO_INDEX_SITE)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    config = work / "ketaread.toml"
    urls_file = work / "urls"
    urls_file.write_text("\n".join(urls) + "\n")
    subprocess.run(
        [
            *(sys.executable, "-m", "ketaread", "--config", str(config)),
            *("--db", str(work / "k.db"), "import", str(urls_file)),
        ],
        check=True,
        capture_output=True,
        env=env,
    )
    command = [
        sys.executable,
        "-m",
        "ketaread",
        "--db",
        str(work / "k.db"),
        "--config",
        str(config),
        "refresh",
    ]
    sampled = Timeline(timeline) if timeline else None
    first = run_measured(command, env, sampled)
    if sampled is not None:
        print(f"{label} first refresh, share of a core per thread:\n{sampled.report()}")
    second = run_measured(command, env)
    return [(f"{label} first", *first), (f"{label} second", *second)]


def bench_newsboat(urls: list[str], work: Path) -> list[tuple[str, float, float, float]]:
    """First and second `newsboat -x reload` with 8 reload threads."""
    newsboat = shutil.which("newsboat")
    if newsboat is None:
        return []
    (work / "urls").write_text("\n".join(urls) + "\n")
    (work / "newsboat.conf").write_text("reload-threads 8\n")
    home = work / "home"
    home.mkdir(exist_ok=True)
    command = [
        newsboat,
        "-u",
        str(work / "urls"),
        "-c",
        str(work / "newsboat.db"),
        "-C",
        str(work / "newsboat.conf"),
        "-x",
        "reload",
    ]
    env = dict(os.environ, HOME=str(home), NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
    first = run_measured(command, env)
    second = run_measured(command, env)
    return [("newsboat first", *first), ("newsboat second", *second)]


def _alternate(urls: list[str], work: Path, other: Path, rounds: int) -> None:
    """First and unchanged refreshes of this checkout and `other`, alternating; per round
    and mean: wall / CPU seconds."""
    runs: dict[str, list[list[float]]] = {"this": [], "other": []}
    print(f"{'round':<7}{'checkout':<10}{'first wall/CPU s':>20}{'unchanged wall/CPU s':>24}")
    for round_ in range(rounds):
        order = ["this", "other"] if round_ % 2 == 0 else ["other", "this"]
        for name in order:
            src = other if name == "other" else None
            label = f"round{round_}-{name}"
            (_, wall, _, cpu), (_, wall2, _, cpu2) = bench_ketaread(urls, work, src, label)
            runs[name].append([wall, cpu, wall2, cpu2])
            first, unchanged = f"{wall:.2f} / {cpu:.2f}", f"{wall2:.2f} / {cpu2:.2f}"
            load = os.getloadavg()[0]
            row = f"{round_ + 1:<7}{name:<10}{first:>20}{unchanged:>24}"
            print(f"{row}  load {load:.1f}", flush=True)
    for name, values in runs.items():
        mean = [sum(column) / len(column) for column in zip(*values, strict=True)]
        first, unchanged = f"{mean[0]:.2f} / {mean[1]:.2f}", f"{mean[2]:.2f} / {mean[3]:.2f}"
        print(f"{'mean':<7}{name:<10}{first:>20}{unchanged:>24}")


def main() -> None:
    """Generate, serve, refresh, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument(
        "--no-validators",
        action="store_true",
        help="serve without ETag/Last-Modified (exercises the body-hash path)",
    )
    parser.add_argument(
        "--make-corpus", action="store_true", help="feeds from the shared make_corpus.py"
    )
    parser.add_argument(
        "--compare-src",
        type=Path,
        help="also refresh with the code in this src folder (an older checkout), same run",
    )
    parser.add_argument(
        "--without-index",
        action="store_true",
        help="also refresh a fresh cache with the search index off (same run)",
    )
    parser.add_argument(
        "--timeline",
        type=float,
        metavar="SECONDS",
        help="print each thread's CPU over ketaread's first refreshes in steps of SECONDS "
        "(Linux; sampling costs a little CPU itself)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="with --compare-src: then this many more rounds of both checkouts, alternating "
        "which goes first, each on a fresh cache (on a shared machine one run swings more "
        "than most changes)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.make_corpus:
            folder = work / "feeds"
            subprocess.run(
                [
                    sys.executable,
                    str(MAKE_CORPUS),
                    str(folder),
                    str(args.feeds),
                    str(args.articles),
                ],
                check=True,
            )
            paths = sorted(folder.glob("*.xml"))
        else:
            paths = generate(work / "feeds", args.feeds, args.articles)
        size = sum(p.stat().st_size for p in paths) / 1e6
        server, port = serve(work / "feeds", validators=not args.no_validators)
        urls = [f"http://127.0.0.1:{port}/{p.name}" for p in paths]
        total = args.feeds * args.articles
        print(
            f"{args.feeds} feeds × {args.articles} articles = {total} articles, {size:.1f} MB,"
            f" validators {'off' if args.no_validators else 'on'}; {os.cpu_count()} cores"
        )
        rows = bench_ketaread(urls, work, timeline=args.timeline)
        if args.compare_src:
            rows += bench_ketaread(
                urls, work, args.compare_src.resolve(), "ketaread (other)", timeline=args.timeline
            )
        if args.without_index:
            rows += bench_ketaread(urls, work, label="ketaread no-index", index=False)
        rows += bench_newsboat(urls, work)
        if args.compare_src and args.rounds > 1:
            _alternate(urls, work, args.compare_src.resolve(), args.rounds)
        server.shutdown()
    print(f"{'run':<26}{'wall s':>8}{'CPU s':>8}{'peak MB':>9}{'articles/s':>12}")
    for name, wall, rss, cpu in rows:
        rate = total / wall if "first" in name else float("nan")
        print(f"{name:<26}{wall:>8.2f}{cpu:>8.2f}{rss:>9.0f}{rate:>12.0f}")
    times = {name: (wall, cpu) for name, wall, _, cpu in rows}
    if "newsboat first" in times:
        wall = times["ketaread first"][0] / times["newsboat first"][0]
        cpu = times["ketaread first"][1] / times["newsboat first"][1]
        print(f"ketaread first / newsboat first = {wall:.2f} (wall), {cpu:.2f} (CPU)")
        if "ketaread (other) first" in times:
            wall = times["ketaread (other) first"][0] / times["newsboat first"][0]
            cpu = times["ketaread (other) first"][1] / times["newsboat first"][1]
            print(f"other code first / newsboat first = {wall:.2f} (wall), {cpu:.2f} (CPU)")
    if "ketaread no-index first" in times:
        wall = times["ketaread first"][0] / times["ketaread no-index first"][0]
        cpu = times["ketaread first"][1] / times["ketaread no-index first"][1]
        print(
            f"ketaread first with / without the search index = {wall:.2f} (wall), {cpu:.2f} (CPU)"
        )


if __name__ == "__main__":
    main()
