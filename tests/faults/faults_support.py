"""Fault injection: helpers that build a real cache and break its surroundings."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ketaread.core.models import ParsedArticle, ParsedFeed
from ketaread.core.store import Store

ARTICLES = 400
"""Articles in the cache the faults are injected into: several pages of every table."""


def build_cache(path: Path, count: int = ARTICLES) -> dict[str, set[str]]:
    """A real cache of `count` articles, every third read and every tenth starred; returns
    the public ids of the read and the starred ones."""
    store = Store(path)
    try:
        articles = [
            ParsedArticle(
                uid=str(i),
                title=f"Article {i}: a long title about NMDA receptors and glutamate " * 2,
                link=f"https://example.org/{i}",
                published=1_700_000_000.0 + i,
                tags=[f"topic {i % 7}"],
                html="<p>" + f"Paragraph {i} of the body. " * 150 + "</p>",
            )
            for i in range(count)
        ]
        location = "https://example.org/feed.xml"
        store.store_feed(location, ParsedFeed(location=location, title="Feed", articles=articles))
        ids = store.article_ids()
        store.set_read(ids[::3], True)
        for article_id in ids[::10]:
            store.set_starred(article_id, True)
        rows = store.rows(ids)
    finally:
        store.close()
    return {
        "read": {r.key for r in rows if r.read},
        "starred": {r.key for r in rows if r.starred},
    }


def is_root() -> bool:
    """True when the tests run as root (mounting a tmpfs is possible)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs of its own, filled on demand, unmounted afterwards (root only)."""
    if not is_root() or shutil.which("mount") is None:
        pytest.skip("a full disk needs a tmpfs of its own: mounting one needs root")
    where = tmp_path / "small-disk"
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)],
        capture_output=True,
        timeout=20,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=20)


def fill(disk: Path) -> Path:
    """Fill the file system holding `disk` to the last byte; returns the filler file."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                continue
    finally:
        os.close(fd)
    return filler


def make_read_only(folder: Path) -> None:
    """Make `folder` read-only for this process: chmod for users, a read-only bind mount
    for root (whom file modes do not stop)."""
    if not is_root():
        for path in folder.iterdir():
            path.chmod(0o444)
        folder.chmod(0o555)
        return
    for command in (
        ["mount", "--bind", str(folder), str(folder)],
        ["mount", "-o", "remount,ro,bind", str(folder)],
    ):
        done = subprocess.run(command, capture_output=True, timeout=20)
        if done.returncode != 0:
            pytest.skip(f"cannot make a read-only mount: {done.stderr.decode(errors='replace')}")


def undo_read_only(folder: Path) -> None:
    """Undo make_read_only."""
    if is_root():
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=20)
    else:
        folder.chmod(0o755)


def big_feed(items: int, title: str = "Big") -> bytes:
    """A valid RSS feed of `items` items that feedparser reads (3,000 took it about 2 s on
    a loaded machine): an element of a namespace the fast path for well-formed RSS does
    not know keeps the feed off it (that path reads them in about 0.35 s of CPU), so that
    a deadline of a few tenths of a second is passed whatever the load."""
    body = "".join(
        f"<item><title>{title} item {i}</title><guid>{title}-{i}</guid>"
        f"<description>&lt;p&gt;Text about glutamate {i}&lt;/p&gt;</description></item>"
        for i in range(items)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0" xmlns:k="urn:ketaread:test"><channel>'
        f"<title>{title}</title><k:slow>1</k:slow>{body}</channel></rss>"
    ).encode()


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, from /proc (empty where there is no /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat_line = handle.read().decode(errors="replace")
        except OSError:
            continue
        # pid (comm) state ppid …: comm may hold spaces and parentheses.
        ppid = int(stat_line.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of `pids` still running (zombies count as gone)."""
    running = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                state = handle.read().decode(errors="replace").rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            running.add(pid)
    return running


def assert_none_left(seen: set[int]) -> None:
    """None of the processes `seen` outlives 10 s; those that do are killed (a failing run
    must not leave them running on the machine) and named."""
    deadline = time.monotonic() + 10
    while alive(seen) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = alive(seen)
    for pid in left | {p for q in left for p in descendants(q)}:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"left behind: {sorted(left)}"


SLOW_PARSE_SECONDS = 4.0


def slow_prepare_body(body: bytes, location: str, base_url: str) -> object:
    """`refresh.prepare_body` after a wait (run in a parse worker, which imports this)."""
    from ketaread.core.refresh import prepare_body

    time.sleep(SLOW_PARSE_SECONDS)
    return prepare_body(body, location, base_url)
