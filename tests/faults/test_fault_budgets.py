"""Fault injection after the fetch: hostile shapes, slow parses, slow servers and signals
during a refresh. Every refresh here ends within its budget and leaves no process behind."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from faults_support import alive, assert_none_left, big_feed, descendants
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from ketaread.core.refresh import FeedReport, SourceSpec, refresh
from ketaread.core.store import Store

RunCli = Callable[..., tuple[int, str, str]]

SMALL = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Small</title>'
    b"<item><title>Small item</title><guid>s1</guid></item></channel></rss>"
)


def write_config(path: Path, urls: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f'[[source]]\nlocation = "{url}"\n' for url in urls))


def test_ninety_thousand_attributes_are_refused_before_the_parser(
    run_cli: RunCli, server: HTTPServer, tmp_config: Path
) -> None:
    """A 956 KB feed with 90,000 attributes on one element: refresh took 124 s (feedparser
    is quadratic in them). Now refused in one linear pass; the other feed is stored."""
    attributes = " ".join(f'a{i}="x"' for i in range(90_000))
    hostile = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>H</title>'
        f"<item {attributes}><title>I</title></item></channel></rss>"
    ).encode()
    server.expect_request("/hostile.xml").respond_with_data(hostile, content_type="text/xml")
    server.expect_request("/small.xml").respond_with_data(SMALL, content_type="text/xml")
    write_config(tmp_config, [server.url_for("/hostile.xml"), server.url_for("/small.xml")])
    code, out, err = run_cli("refresh", timeout=30)
    assert "Traceback" not in err
    assert "more than 256 attributes" in out
    assert "Small: 1 new" in out
    assert code == 0


def test_a_parse_past_its_deadline_is_stopped_and_its_worker_killed(
    server: HTTPServer, tmp_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A parse that outlives the per-feed deadline is stopped (its worker process killed):
    the feed is reported, the others stored, no worker left."""
    from ketaread.core import parse_workers

    monkeypatch.setattr(parse_workers, "PARSE_DEADLINE", 0.3)
    server.expect_request("/big.xml").respond_with_data(big_feed(6000), content_type="text/xml")
    server.expect_request("/small.xml").respond_with_data(SMALL, content_type="text/xml")
    reports: list[FeedReport] = []
    store = Store(tmp_db)
    try:
        refresh(
            store,
            [SourceSpec(server.url_for("/big.xml")), SourceSpec(server.url_for("/small.xml"))],
            report=reports.append,
        )
        titles = [r.title for r, _ in store.list_articles()]
    finally:
        store.close()
    [big] = [r for r in reports if r.location.endswith("/big.xml")]
    assert big.status == "error" and "parsing took longer than 0.3 s" in big.message
    assert titles == ["Small item"]
    # The forkserver and the resource tracker live as long as this (test) process; the
    # workers they started must be gone.
    from multiprocessing import forkserver, resource_tracker

    helpers = {
        getattr(forkserver._forkserver, "_forkserver_pid", None),
        getattr(resource_tracker._resource_tracker, "_pid", None),
    }

    def workers() -> set[int]:
        return {
            pid
            for pid in alive(descendants(os.getpid())) - helpers
            if b"python" in Path(f"/proc/{pid}/cmdline").read_bytes()
        }

    deadline = time.monotonic() + 5
    while workers() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not workers()


def test_the_whole_refresh_has_a_deadline(
    server: HTTPServer, tmp_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that answers after a long wait cannot hold the refresh past its deadline."""
    from ketaread.core import refresh as refresh_module

    monkeypatch.setattr(refresh_module, "REFRESH_DEADLINE", 1.0, raising=False)
    release = threading.Event()

    def slow(_request: Request) -> Response:
        release.wait(10)
        return Response(SMALL, content_type="text/xml")

    server.expect_request("/slow.xml").respond_with_handler(slow)
    server.expect_request("/small.xml").respond_with_data(SMALL, content_type="text/xml")
    reports: list[FeedReport] = []
    store = Store(tmp_db)
    started = time.monotonic()
    try:
        refresh(
            store,
            [SourceSpec(server.url_for("/slow.xml")), SourceSpec(server.url_for("/small.xml"))],
            report=reports.append,
        )
    finally:
        release.set()
        store.close()
    assert time.monotonic() - started < 9  # well under the slow server's 10 s
    [slow_report] = [r for r in reports if r.location.endswith("/slow.xml")]
    assert "deadline" in slow_report.message
    assert any(r.location.endswith("/small.xml") and r.status == "updated" for r in reports)


def test_slow_servers_cannot_starve_a_quick_feed(server: HTTPServer) -> None:
    """16 slow feeds made one good feed wait 2 minutes: they held all 8 start slots. Now
    a fetch still waiting gives its slot up, and the quick feed finishes first."""
    import asyncio

    from ketaread.core.fetch import Fetcher, FetchSettings, Validators

    release = threading.Event()

    def slow(_request: Request) -> Response:
        release.wait(6)
        return Response(SMALL, content_type="text/xml")

    for index in range(16):
        server.expect_request(f"/slow{index}.xml").respond_with_handler(slow)
    server.expect_request("/good.xml").respond_with_data(SMALL, content_type="text/xml")
    urls = [server.url_for(f"/slow{index}.xml") for index in range(16)]
    urls.append(server.url_for("/good.xml"))
    order: list[str] = []

    async def go() -> None:
        settings = FetchSettings(deadline=20, read_timeout=20, connect_timeout=5)
        async with Fetcher(settings) as fetcher:
            await fetcher.fetch_all(
                [(url, Validators()) for url in urls], on_result=lambda r: order.append(r.url)
            )

    try:
        asyncio.run(go())
    finally:
        release.set()
    assert order[0].endswith("/good.xml"), order[:3]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_during_a_refresh_leaves_no_process_behind(
    server: HTTPServer, tmp_path: Path, tmp_db: Path, tmp_config: Path, signum: int
) -> None:
    """SIGTERM or SIGHUP (closing the terminal) during a refresh left the resource
    tracker, the forkserver and two workers running."""
    for index in range(9):
        server.expect_request(f"/f{index}.xml").respond_with_data(
            big_feed(3000, title=f"F{index}"), content_type="text/xml"
        )
    write_config(tmp_config, [server.url_for(f"/f{index}.xml") for index in range(9)])
    # stderr to a file: orphaned workers holding a pipe open would keep it from ending.
    err_path = tmp_path / "stderr.txt"
    seen: set[int] = set()
    with open(err_path, "wb") as err_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "ketaread", "refresh"],
            stdout=subprocess.DEVNULL,
            stderr=err_file,
            stdin=subprocess.DEVNULL,
            cwd=tmp_path,
        )
    try:
        deadline = time.monotonic() + 30
        # Wait for the parse workers (forkserver, tracker and workers: 4 or more).
        while time.monotonic() < deadline and len(alive(seen)) < 4:
            seen |= descendants(process.pid)
            time.sleep(0.05)
        assert len(alive(seen)) >= 3, "the parse workers never started"
        process.send_signal(signum)
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in list(seen):
            seen |= descendants(pid)
    err = err_path.read_bytes()
    assert_none_left(seen)
    assert b"Traceback" not in err, err.decode(errors="replace")


@pytest.mark.parametrize(
    ("signum", "terminal_closed"),
    [
        (signal.SIGTERM, False),
        (signal.SIGHUP, False),
        (signal.SIGHUP, True),  # the terminal emulator's window closed, then the signal
        (signal.SIGINT, False),
    ],
)
def test_a_signal_to_the_reader_during_a_refresh_leaves_no_process_behind(
    server: HTTPServer,
    tmp_path: Path,
    tmp_db: Path,
    tmp_config: Path,
    signum: int,
    terminal_closed: bool,
) -> None:
    """The reader had no handlers of its own: SIGTERM or SIGHUP (closing the terminal)
    during its start-up refresh killed it on the spot, the terminal left in raw mode and
    the parse workers to their fate. Now it stops the refresh, kills the workers, puts the
    terminal back and exits with 128 + the signal."""
    import pty

    for index in range(9):
        server.expect_request(f"/f{index}.xml").respond_with_data(
            big_feed(3000, title=f"F{index}"), content_type="text/xml"
        )
    write_config(tmp_config, [server.url_for(f"/f{index}.xml") for index in range(9)])
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = dict(os.environ, TERM="xterm-256color")
    process = subprocess.Popen(
        [sys.executable, "-m", "ketaread"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=tmp_path,
        env=env,
        start_new_session=True,  # its own terminal, as a terminal emulator would give it
    )
    os.close(slave)
    screen = bytearray()

    def drain() -> None:  # the reader blocks on a full terminal if nobody reads it
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            screen.extend(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and len(alive(seen)) < 4:
            seen |= descendants(process.pid)
            time.sleep(0.05)
        assert len(alive(seen)) >= 3, f"the parse workers never started: {process.poll()} " + bytes(
            screen
        )[-3000:].decode(errors="replace")
        if terminal_closed:
            os.close(master)  # writes to the terminal fail from now on
        process.send_signal(signum)
        code = process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in list(seen):
            seen |= descendants(pid)
        if not terminal_closed:
            with contextlib.suppress(OSError):
                os.close(master)
        reader.join(5)
    assert_none_left(seen)
    output = bytes(screen)
    assert b"Traceback" not in output, output[-2000:].decode(errors="replace")
    assert code == 128 + signum
    if not terminal_closed:
        assert b"\x1b[?1049l" in output  # the terminal's own screen is back


def slow_feed(title: str) -> bytes:
    """4,000 items and one undefined entity: not well-formed, so feedparser's loose parser
    reads it (no fast path), in about 2.4 s on this machine: far past the test's 0.3 s."""
    return big_feed(4000, title=title).replace(
        f"<title>{title} item 7</title>".encode(), f"<title>{title} item 7 &nbsp;</title>".encode()
    )


def test_a_slow_local_file_is_stopped_at_the_parse_deadline(
    tmp_path: Path, tmp_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Local files parsed in the refresh itself, with no time limit: a feed file that takes
    feedparser minutes held the refresh (and a reader quitting) for as long. Now it parses in
    a worker killed at the deadline: one error naming the file, the other files stored."""
    from ketaread.core import parse_workers

    monkeypatch.setattr(parse_workers, "PARSE_DEADLINE", 0.3)
    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "slow.xml").write_bytes(slow_feed("Slow"))
    (folder / "small.xml").write_bytes(SMALL)
    single = tmp_path / "alone.xml"
    single.write_bytes(slow_feed("Alone"))
    reports: list[FeedReport] = []
    store = Store(tmp_db)
    try:
        refresh(store, [SourceSpec(str(folder)), SourceSpec(str(single))], report=reports.append)
        titles = [r.title for r, _ in store.list_articles()]
    finally:
        store.close()
    failed = {Path(r.location).name: r for r in reports if r.failed}
    assert set(failed) == {"slow.xml", "alone.xml"}
    for name, report in failed.items():
        assert "parsing took longer than 0.3 s" in report.message
        assert name in report.line()
    assert titles == ["Small item"]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _workers():
        time.sleep(0.1)
    assert not _workers()


def _workers() -> set[int]:
    """Parse workers of this (test) process still running: its forkserver and resource
    tracker live as long as it does, the workers they started must not."""
    from multiprocessing import forkserver, resource_tracker

    helpers = {
        getattr(forkserver._forkserver, "_forkserver_pid", None),
        getattr(resource_tracker._resource_tracker, "_pid", None),
    }
    found = set()
    for pid in alive(descendants(os.getpid())) - helpers:
        with contextlib.suppress(OSError):
            if b"python" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.add(pid)
    return found


class SilentServer:
    """A raw server in a thread: a 200's head and a few body bytes, then nothing."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/feed.xml"
        self._connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed
            self._connections.append(conn)
            with contextlib.suppress(OSError):
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n<rss>")
            self.asked.set()

    def close(self) -> None:
        """Stop listening and drop every connection."""
        self._listener.close()
        for conn in self._connections:
            conn.close()


def test_a_signal_ends_a_refresh_held_by_a_silent_server_at_once(
    tmp_path: Path, tmp_config: Path
) -> None:
    """A quit never waits for a slow server: with a feed's body stalled (its read timeout
    20 s, its deadline 60 s), SIGTERM ends the refresh within a couple of seconds."""
    silent = SilentServer()
    write_config(tmp_config, [silent.url])
    process = subprocess.Popen(
        [sys.executable, "-m", "ketaread", "refresh"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    try:
        assert silent.asked.wait(30), "the refresh never asked for the feed"
        time.sleep(0.3)  # the fetch is now blocked reading the body
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
        spent = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        silent.close()
    assert spent < 3.0, f"the refresh took {spent:.1f} s to stop"
    assert b"refresh stopped" in err and b"Traceback" not in err, err.decode(errors="replace")
