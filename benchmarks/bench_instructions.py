"""Instructions to the first frame, counted by valgrind: a figure free of the machine's noise.

Launch-to-frame times on a shared 2-core machine swing by ±30 % from run to run, more than
the few milliseconds a start-up change saves. Valgrind's callgrind counts every instruction
the process executes (all threads) until it exits, which here is the moment its first frame
has been written; the count repeats to within about 0.1 %.

    python benchmarks/bench_instructions.py --work /tmp/kbench   (caches from bench_startup)

Each launch runs in tmux at 120×40 (or --terminal 80x24), like bench_startup's first-frame
launches. Printed per app: instructions after imports, and to the first frame.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from bench_startup import SIZE, launch_env  # noqa: E402  (the same terminal and environment)

PROBE = """
import gc, os, sys
gc.disable()  # as ketaread's launcher does; the bare app gets the same advantage
which, database, config, stop = sys.argv[1:5]
if which == "bare":
    sys.path.insert(0, {here!r})
    from bare_app import BareApp
    from textual.widgets import Static as Probe
else:
    import ketaread.app, ketaread.screens.main  # what make_app and the first screen import
    from ketaread.cli import make_app
    from ketaread.widgets.article_list import ArticleList as Probe
if stop == "imports":
    os._exit(0)
app = BareApp() if which == "bare" else make_app(db=database, config=config, offline=True)
drawn = []
render_line = Probe.render_line
def probe_render_line(self, y):
    drawn.append(y)
    return render_line(self, y)
Probe.render_line = probe_render_line
display = type(app)._display
def display_then_exit(self, screen, renderable):
    display(self, screen, renderable)
    if renderable is not None and drawn:
        os._exit(0)  # the first frame with the awaited widget in it is written
type(app)._display = display_then_exit
app.run()
"""


def count(
    which: str,
    stop: str,
    database: Path,
    config: Path,
    work: Path,
    size: tuple[int, int] = SIZE,
) -> int:
    """Instructions executed by one launch of `which` until `stop` ('imports' or 'frame')."""
    probe = work / "first_frame_probe.py"
    probe.write_text(PROBE.format(here=str(HERE)))
    log = work / f"callgrind-{which}-{stop}.log"
    done = f"instructions{os.getpid()}"
    command = (
        f"env -u PYTHONDONTWRITEBYTECODE "  # see bench_startup.WRITE_BYTECODE
        f"valgrind --tool=callgrind --callgrind-out-file=/dev/null {sys.executable} {probe} "
        f"{which} {database} {config} {stop} 2>{log}; tmux wait-for -S {done}"
    )
    session = f"instructions{os.getpid()}"
    width, height = size
    tmux = ["tmux", "new-session", "-d", "-s", session, "-x", str(width), "-y", str(height)]
    # A warm-up launch without valgrind first: compiled modules written, files cached.
    warm = command.replace("valgrind --tool=callgrind --callgrind-out-file=/dev/null ", "", 1)
    try:
        for line in (warm, command):
            subprocess.run([*tmux, line], check=True, env=launch_env())
            subprocess.run(["tmux", "wait-for", done], check=True, timeout=600)
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    found = re.search(r"Collected : (\d+)", log.read_text())
    if not found:
        raise RuntimeError(f"no count from valgrind: {log.read_text()[-500:]}")
    return int(found.group(1))


def terminal_size(text: str) -> tuple[int, int]:
    """`80x24` (or `80×24`) as columns and lines."""
    try:
        columns, lines = (int(part) for part in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not COLUMNSxLINES: {text!r}") from None
    return columns, lines


def main() -> None:
    """Count and print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, required=True, help="bench_startup's --work folder")
    parser.add_argument("--size", type=int, default=4000, help="which cache: 4000 or 40000")
    parser.add_argument(
        "--terminal",
        type=terminal_size,
        default=SIZE,
        help="COLUMNSxLINES (default: {}x{})".format(*SIZE),
    )
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed")
    database = args.work / f"cache-{args.size}.db"
    config = args.work / f"config-{args.size}.toml"
    if not database.exists():
        sys.exit(f"no cache at {database}: run bench_startup.py --work {args.work} first")
    size = args.terminal
    columns, lines = size
    work = Path(tempfile.mkdtemp(prefix="ketaread-instructions-"))
    print(
        f"instructions (millions) to the first frame, {args.size} cached articles,"
        f" {columns}×{lines}"
    )
    print(f"{'app':>10}{'imports':>10}{'frame':>10}{'after imports':>15}")
    figures = {}
    for which in ("bare", "ketaread"):
        imports = count(which, "imports", database, config, work, size)
        frame = count(which, "frame", database, config, work, size)
        figures[which] = frame
        print(
            f"{which:>10}{imports / 1e6:>10.0f}{frame / 1e6:>10.0f}{(frame - imports) / 1e6:>15.0f}"
        )
    print(f"ketaread / bare Textual app: {figures['ketaread'] / figures['bare']:.2f}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
