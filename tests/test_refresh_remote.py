"""Remote refresh end to end: `refresh()` and the real CLI against servers on 127.0.0.1.

A threaded pytest-httpserver (werkzeug) serves ordinary responses; `DripServer`,
a raw socket server in a thread, sends a body one byte at a time, which werkzeug
cannot. `refresh()` runs its own event loop, so these tests are synchronous and
the servers live in threads. Every test asserts on the SQLite cache afterwards,
read through a separate connection, the way a second process would see it.
"""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from email.utils import formatdate
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cli_support import CLI_TIMEOUT, cli
from ketaread.core.fetch import DEFAULT_BACKOFF, FetchSettings
from ketaread.core.refresh import FeedReport, RefreshStopped, SourceSpec, refresh, refresh_lock
from ketaread.core.store import Store

LAST_MODIFIED = "Mon, 02 Mar 2026 10:00:00 GMT"
MAX_BYTES = 64 * 1024

Responder = Response | Callable[[Request], Response]


# --- feeds -----------------------------------------------------------------------------


def item(guid: str, title: str) -> str:
    """One RSS item whose body cites a source inline and ends with a reference list."""
    return (
        f"<item><guid>{guid}</guid><title>{title}</title>"
        f"<link>https://example.org/notes/{guid}</link>"
        "<pubDate>Tue, 03 Mar 2026 09:00:00 GMT</pubDate>"
        "<description><![CDATA[<p>A single low dose blocks NMDA receptors on "
        "inhibitory interneurons, and the brief glutamate surge that follows engages "
        "AMPA receptors and BDNF release (Example Neuroscience Institute).</p>"
        "<h3>References</h3><ol><li>Example Neuroscience Institute. "
        "Notes on glutamate signalling. 2025.</li></ol>]]></description></item>"
    )


def rss(title: str, guids: list[str], build: str = "") -> bytes:
    """An RSS 2.0 feed with one item per guid; `build` varies the channel without new items."""
    items = "".join(item(guid, f"{title}: note {guid}") for guid in guids)
    stamp = f"<lastBuildDate>{build}</lastBuildDate>" if build else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://example.org/</link>{stamp}{items}"
        "</channel></rss>"
    ).encode()


FEED = rss("Glutamate notes", ["g1", "g2", "g3"])
OTHER_FEED = rss("Default mode network digest", ["d1", "d2"])


def feed_response(body: bytes = FEED, **headers: str) -> Response:
    """A 200 carrying a feed, with the given response headers."""
    return Response(body, status=200, content_type="application/rss+xml", headers=headers)


def conditional(body: bytes, etag: str | None, last_modified: str | None) -> Responder:
    """A handler that honours If-None-Match / If-Modified-Since like a careful server."""
    headers = {}
    if etag:
        headers["ETag"] = etag
    if last_modified:
        headers["Last-Modified"] = last_modified

    def handle(request: Request) -> Response:
        if etag and request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers=headers)
        if not etag and last_modified and request.headers.get("If-Modified-Since") == last_modified:
            return Response(status=304, headers=headers)
        return feed_response(body, **headers)

    return handle


# --- servers ---------------------------------------------------------------------------


def script(server: HTTPServer, path: str, *responses: Responder) -> str:
    """Answer requests for `path` with `responses` in turn, repeating the last; returns its URL."""
    served = [0]
    lock = threading.Lock()

    def handle(request: Request) -> Response:
        with lock:
            index = min(served[0], len(responses) - 1)
            served[0] += 1
        chosen = responses[index]
        return chosen if isinstance(chosen, Response) else chosen(request)

    server.expect_request(path).respond_with_handler(handle)
    return server.url_for(path)


def requests_to(server: HTTPServer, path: str) -> list[Request]:
    """Every request the server received for `path`, oldest first."""
    return [request for request, _ in server.log if request.path == path]


def refused_url() -> str:
    """A loopback URL nothing listens on: a port that was bound, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed"


class DripServer:
    """A raw HTTP server in a thread that sends a 200 and then its body one byte at a time."""

    def __init__(self, body: bytes, interval: float) -> None:
        self.body = body
        self.interval = interval
        self.requests = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path: str = "/feed") -> str:
        """The URL of `path` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            self.requests += 1
            try:
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                    b"Content-Length: %d\r\n\r\n" % len(self.body)
                )
                for byte in self.body:
                    if self._stop.wait(self.interval):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return  # the fetcher hung up, as it should

    def close(self) -> None:
        """Stop accepting and end every drip."""
        self._stop.set()
        self._listener.close()


# --- the cache -------------------------------------------------------------------------


def quick(**overrides: float | int) -> FetchSettings:
    """A small size cap; time limits as generous as the reader's own, shortened by the tests
    about them. The refresh parses and stores small feeds in the thread that runs the
    fetches: on a loaded machine (the first parse also imports the parser) it held a
    redirect's second request past a 1 s connect timeout and 2 s deadline, and a test of
    redirects failed on a timeout it was not about."""
    values: dict[str, float | int] = {
        "connect_timeout": 10.0,
        "read_timeout": 20.0,
        "deadline": 30.0,
        "max_bytes": MAX_BYTES,
    }
    values.update(overrides)
    return FetchSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_db: Path) -> Iterator[Store]:
    """A fresh cache in tmp_path."""
    opened = Store(tmp_db)
    yield opened
    opened.close()


def run_refresh(
    store: Store, *locations: str, settings: FetchSettings | None = None, offline: bool = False
) -> list[FeedReport]:
    """Refresh `locations` in-process with short limits; returns every report."""
    reports: list[FeedReport] = []
    refresh(
        store,
        [SourceSpec(location) for location in locations],
        offline=offline,
        report=reports.append,
        fetch_settings=settings or quick(),
    )
    return reports


def only(reports: list[FeedReport]) -> FeedReport:
    """The single report of a one-source refresh."""
    assert len(reports) == 1, [r.line() for r in reports]
    return reports[0]


def query(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple]:
    """Read the cache through its own connection, as another process would."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, params).fetchall()


def feed_row(db: Path, source: str) -> dict[str, object]:
    """The one feeds row of `source` as a dict."""
    with closing(sqlite3.connect(db)) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM feeds WHERE source = ?", (source,)).fetchall()
    assert len(rows) == 1, f"{len(rows)} feeds rows for {source}"
    return dict(rows[0])


def titles(db: Path, source: str) -> list[str]:
    """Titles of the cached articles of `source`, sorted."""
    return sorted(
        r[0]
        for r in query(
            db,
            "SELECT a.title FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE f.source = ?",
            (source,),
        )
    )


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Everything stored except when feeds were last checked."""
    return {
        "feeds": query(
            db,
            "SELECT id, source, location, title, etag, last_modified, body_hash, updated_at, "
            "error, error_at, gone, retry_at, redirect_url FROM feeds ORDER BY id",
        ),
        "articles": query(db, "SELECT * FROM articles ORDER BY id"),
        "bodies": query(db, "SELECT * FROM bodies ORDER BY article_id"),
        "tags": query(db, "SELECT * FROM tags ORDER BY id"),
        "article_tags": query(db, "SELECT * FROM article_tags ORDER BY article_id, tag_id"),
    }


FEED_TITLES = ["Glutamate notes: note g1", "Glutamate notes: note g2", "Glutamate notes: note g3"]


# --- 200 and conditional requests ------------------------------------------------------


def test_200_stores_articles_etag_and_last_modified(
    server: HTTPServer, tmp_db: Path, store: Store
) -> None:
    url = script(server, "/feed", feed_response(ETag='"v1"', **{"Last-Modified": LAST_MODIFIED}))
    report = only(run_refresh(store, url))
    assert (report.status, report.new) == ("updated", 3)
    row = feed_row(tmp_db, url)
    assert (row["etag"], row["last_modified"]) == ('"v1"', LAST_MODIFIED)
    assert row["location"] == url and row["error"] is None
    assert titles(tmp_db, url) == FEED_TITLES


def test_second_refresh_sends_both_validators_and_304_only_updates_checked_at(
    server: HTTPServer, tmp_db: Path, store: Store
) -> None:
    url = script(server, "/feed", conditional(FEED, '"v1"', LAST_MODIFIED))
    run_refresh(store, url)
    before = snapshot(tmp_db)
    checked_before = feed_row(tmp_db, url)["checked_at"]
    time.sleep(0.01)  # so that a new checked_at is visibly later
    report = only(run_refresh(store, url))
    second = requests_to(server, "/feed")[1]
    assert second.headers.get("If-None-Match") == '"v1"'
    assert second.headers.get("If-Modified-Since") == LAST_MODIFIED
    assert report.status == "not_modified"
    assert snapshot(tmp_db) == before
    assert feed_row(tmp_db, url)["checked_at"] > checked_before


def test_a_304_with_a_new_etag_stores_it_and_the_next_request_sends_it(
    server: HTTPServer, tmp_db: Path, store: Store
) -> None:
    url = script(
        server,
        "/feed",
        feed_response(ETag='"v1"'),
        Response(status=304, headers={"ETag": '"v2"'}),
        Response(status=304, headers={"ETag": '"v2"'}),
    )
    run_refresh(store, url)
    before = titles(tmp_db, url)
    assert only(run_refresh(store, url)).status == "not_modified"
    assert feed_row(tmp_db, url)["etag"] == '"v2"'
    assert titles(tmp_db, url) == before
    run_refresh(store, url)
    assert requests_to(server, "/feed")[2].headers.get("If-None-Match") == '"v2"'


def test_last_modified_only_is_sent_back_and_304_keeps_the_cache(
    server: HTTPServer, tmp_db: Path, store: Store
) -> None:
    url = script(server, "/feed", conditional(FEED, None, LAST_MODIFIED))
    run_refresh(store, url)
    assert feed_row(tmp_db, url)["etag"] is None
    before = snapshot(tmp_db)
    report = only(run_refresh(store, url))
    second = requests_to(server, "/feed")[1]
    assert second.headers.get("If-Modified-Since") == LAST_MODIFIED
    assert "If-None-Match" not in second.headers
    assert report.status == "not_modified"
    assert snapshot(tmp_db) == before


def test_no_validators_and_unchanged_body_is_not_stored_again(
    server: HTTPServer, tmp_db: Path, store: Store
) -> None:
    url = script(server, "/feed", feed_response(FEED))
    run_refresh(store, url)
    # A marker no parse of FEED can produce: storing the feed again would overwrite it.
    with closing(sqlite3.connect(tmp_db)) as conn, conn:
        conn.execute("UPDATE articles SET content_hash = 'marker', read = 1")
    before = snapshot(tmp_db)
    report = only(run_refresh(store, url))
    assert report.status == "unchanged"
    assert len(requests_to(server, "/feed")) == 2
    assert snapshot(tmp_db) == before
    assert {r[0] for r in query(tmp_db, "SELECT content_hash FROM articles")} == {"marker"}


def test_no_validators_and_a_changed_body_is_stored(
    server: HTTPServer, tmp_db: Path, store: Store
) -> None:
    url = script(
        server, "/feed", feed_response(FEED), feed_response(rss("Glutamate notes", ["g1", "g4"]))
    )
    run_refresh(store, url)
    with closing(sqlite3.connect(tmp_db)) as conn, conn:
        conn.execute("UPDATE articles SET content_hash = 'marker'")
    report = only(run_refresh(store, url))
    assert (report.status, report.new) == ("updated", 1)
    assert "Glutamate notes: note g4" in titles(tmp_db, url)
    hashes = [r[0] for r in query(tmp_db, "SELECT content_hash FROM articles WHERE uid = 'g1'")]
    assert hashes != ["marker"]


# --- redirects -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 308])
def test_permanent_redirect_once_keeps_the_stored_location(
    server: HTTPServer, tmp_db: Path, store: Store, status: int
) -> None:
    old = script(server, "/old", Response(status=status, headers={"Location": "/new"}))
    new = script(server, "/new", feed_response(FEED))
    run_refresh(store, old)
    row = feed_row(tmp_db, old)
    assert row["location"] == old
    assert row["redirect_url"] == new
    assert titles(tmp_db, old) == FEED_TITLES


@pytest.mark.parametrize("status", [301, 308])
def test_permanent_redirect_twice_moves_the_feed_and_keeps_its_articles(
    server: HTTPServer, tmp_db: Path, store: Store, status: int
) -> None:
    old = script(server, "/old", Response(status=status, headers={"Location": "/new"}))
    new = script(server, "/new", feed_response(FEED))
    run_refresh(store, old)
    keys = query(tmp_db, "SELECT id, key, uid FROM articles ORDER BY id")
    run_refresh(store, old)
    row = feed_row(tmp_db, old)
    assert row["location"] == new
    assert row["redirect_url"] is None
    assert query(tmp_db, "SELECT id, key, uid FROM articles ORDER BY id") == keys
    assert query(tmp_db, "SELECT COUNT(*) FROM feeds") == [(1,)]
    # Once moved, the old URL is no longer asked.
    run_refresh(store, old)
    assert len(requests_to(server, "/old")) == 2
    assert len(requests_to(server, "/new")) == 3


def test_temporary_redirect_never_moves_the_feed(
    server: HTTPServer, tmp_db: Path, store: Store
) -> None:
    old = script(server, "/old", Response(status=302, headers={"Location": "/new"}))
    script(server, "/new", feed_response(FEED))
    for _ in range(3):
        run_refresh(store, old)
    row = feed_row(tmp_db, old)
    assert row["location"] == old
    assert row["redirect_url"] is None
    assert len(requests_to(server, "/old")) == 3
    assert titles(tmp_db, old) == FEED_TITLES


def test_permanent_redirect_must_repeat_on_consecutive_fetches_to_move_the_feed(
    server: HTTPServer, tmp_db: Path, store: Store
) -> None:
    moved = Response(status=301, headers={"Location": "/new"})
    # The middle fetch is served directly with new content: the redirect did not repeat.
    old = script(server, "/old", moved, feed_response(rss("Glutamate notes", ["g4"])), moved)
    script(server, "/new", feed_response(FEED))
    for _ in range(3):
        run_refresh(store, old)
    row = feed_row(tmp_db, old)
    assert row["location"] == old
    assert row["redirect_url"] == server.url_for("/new")


def test_permanent_redirect_onto_another_cached_feed_never_stops_the_refresh(
    server: HTTPServer, tmp_db: Path, store: Store
) -> None:
    old = script(server, "/old", Response(status=301, headers={"Location": "/new"}))
    new = script(server, "/new", feed_response(FEED))
    other = script(server, "/other", feed_response(OTHER_FEED))
    run_refresh(store, old, new, other)
    before = query(tmp_db, "SELECT feed_id, uid FROM articles ORDER BY id")
    reports = run_refresh(store, old, new, other)
    assert sorted(r.location for r in reports) == sorted([old, new, other])
    assert not [r.line() for r in reports if r.status == "error"]
    locations = sorted(r[0] for r in query(tmp_db, "SELECT location FROM feeds"))
    assert locations == sorted([old, new, other])
    assert query(tmp_db, "SELECT feed_id, uid FROM articles ORDER BY id") == before


def test_a_cache_write_failure_for_one_source_never_stops_the_others(
    server: HTTPServer, tmp_db: Path, store: Store
) -> None:
    stuck = script(server, "/stuck", conditional(FEED, '"s1"', None))
    fine = script(server, "/fine", feed_response(OTHER_FEED), feed_response(FEED))
    run_refresh(store, stuck, fine)
    with closing(sqlite3.connect(tmp_db)) as conn, conn:
        conn.execute(
            "CREATE TRIGGER stuck BEFORE UPDATE OF checked_at ON feeds "
            "WHEN NEW.location LIKE '%/stuck' BEGIN SELECT RAISE(ABORT, 'stuck'); END"
        )
    reports = {r.location: r for r in run_refresh(store, stuck, fine)}
    assert reports[stuck].status == "error" and "stuck" in reports[stuck].message
    assert reports[fine].status == "updated"
    assert "Glutamate notes: note g1" in titles(tmp_db, fine)
    assert titles(tmp_db, stuck) == FEED_TITLES


# --- faults after a good refresh: error recorded, cache intact ------------------------------


def gzip_bomb() -> Response:
    """A small gzip body that inflates to 16 MiB of zeros."""
    return Response(
        gzip.compress(b"\0" * (16 * 1024 * 1024)),
        content_type="application/rss+xml",
        headers={"Content-Encoding": "gzip"},
    )


def streamed_oversize(_request: Request) -> Response:
    """A body past the cap sent without Content-Length (close-delimited)."""
    chunk = b"<!-- " + b"x" * 8186 + b" -->\n"

    def chunks() -> Iterator[bytes]:
        yield b'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>'
        for _ in range(4 * MAX_BYTES // len(chunk)):
            yield chunk

    return Response(chunks(), content_type="application/rss+xml")


HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign in</title></head>"
    b"<body><p>Please sign in to continue.</p></body></html>"
)

FAULTS: dict[str, tuple[Responder, str]] = {
    "404": (Response("missing", status=404), "HTTP 404 Not Found"),
    "500": (Response("broken", status=500), "HTTP 500 Internal Server Error"),
    "html": (Response(HTML_PAGE, content_type="text/html"), "HTML page, not a feed"),
    "empty": (Response(b"", content_type="application/rss+xml"), "empty response"),
    "oversize-with-length": (
        feed_response(b"<rss>" + b" " * (2 * MAX_BYTES) + b"</rss>"),
        "body larger than 64 KiB",
    ),
    "oversize-without-length": (streamed_oversize, "body larger than 64 KiB"),
    "gzip-bomb": (gzip_bomb(), "body larger than 64 KiB"),
    "redirect-loop": (Response(status=302, headers={"Location": "/feed"}), "too many redirects"),
    "redirect-to-file": (
        Response(status=302, headers={"Location": "file:///etc/passwd"}),
        "redirect to a non-http(s) URL: file:///etc/passwd",
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_records_time_and_reason_and_keeps_the_cache(
    server: HTTPServer, tmp_db: Path, store: Store, fault: str
) -> None:
    bad, reason = FAULTS[fault]
    url = script(server, "/feed", feed_response(FEED, ETag='"v1"'), bad)
    run_refresh(store, url)
    before = snapshot(tmp_db)
    started = time.time()
    report = only(run_refresh(store, url))
    assert report.status == "error"
    assert reason in report.message
    assert "cached, last updated" in report.message
    row = feed_row(tmp_db, url)
    assert reason in str(row["error"])
    assert started - 1 <= float(row["error_at"]) <= time.time() + 1  # type: ignore[arg-type]
    after = snapshot(tmp_db)
    assert after["articles"] == before["articles"] and after["bodies"] == before["bodies"]
    assert row["etag"] == '"v1"'
    assert titles(tmp_db, url) == FEED_TITLES


def test_redirect_to_a_file_url_stores_nothing_from_the_file(
    server: HTTPServer, tmp_db: Path, store: Store
) -> None:
    url = script(server, "/feed", Response(status=301, headers={"Location": "file:///etc/passwd"}))
    report = only(run_refresh(store, url))
    assert report.status == "error"
    assert query(tmp_db, "SELECT COUNT(*) FROM articles") == [(0,)]
    assert query(tmp_db, "SELECT location FROM feeds") == [(url,)]
    stored = query(tmp_db, "SELECT group_concat(html) FROM bodies")[0][0] or ""
    assert "root:" not in stored


def test_refused_connection_is_an_error_for_that_source(tmp_db: Path, store: Store) -> None:
    url = refused_url()
    report = only(run_refresh(store, url))
    port = url.split(":")[2].split("/")[0]
    assert report.status == "error"
    assert f"connection refused by 127.0.0.1:{port}" in report.message
    row = feed_row(tmp_db, url)
    assert "connection refused" in str(row["error"]) and row["error_at"] is not None


def test_dripping_server_fails_at_the_deadline(tmp_db: Path, store: Store) -> None:
    # 0.05 s per byte: the whole feed would take about a minute; the deadline is 1 s.
    drip = DripServer(FEED, interval=0.05)
    try:
        started = time.monotonic()
        report = only(run_refresh(store, drip.url(), settings=quick(deadline=1.0)))
        spent = time.monotonic() - started
    finally:
        drip.close()
    assert report.status == "error"
    assert "timed out after 1 s" in report.message
    assert spent < 10, f"the fetch ran {spent:.1f} s past a 1 s deadline"
    assert drip.requests == 1
    assert query(tmp_db, "SELECT COUNT(*) FROM articles") == [(0,)]
    assert "timed out" in str(feed_row(tmp_db, drip.url())["error"])


def test_one_failing_source_never_stops_the_others(
    server: HTTPServer, tmp_db: Path, store: Store
) -> None:
    first = script(server, "/first", feed_response(FEED))
    broken = script(server, "/broken", Response("broken", status=500))
    refused = refused_url()
    second = script(server, "/second", feed_response(OTHER_FEED))
    reports = run_refresh(store, first, broken, refused, second)
    status = {r.location: r.status for r in reports}
    assert status == {first: "updated", broken: "error", refused: "error", second: "updated"}
    assert titles(tmp_db, first) == FEED_TITLES
    assert titles(tmp_db, second) == [
        "Default mode network digest: note d1",
        "Default mode network digest: note d2",
    ]


# --- 410 and postponement ----------------------------------------------------------------


def test_410_marks_the_feed_gone_keeps_its_cache_and_stops_polling(
    server: HTTPServer, tmp_db: Path, store: Store
) -> None:
    url = script(server, "/feed", feed_response(FEED), Response("gone", status=410))
    run_refresh(store, url)
    report = only(run_refresh(store, url))
    assert report.status == "gone"
    assert feed_row(tmp_db, url)["gone"] == 1
    assert titles(tmp_db, url) == FEED_TITLES
    later = only(run_refresh(store, url))
    assert later.status == "gone"
    assert len(requests_to(server, "/feed")) == 2
    assert titles(tmp_db, url) == FEED_TITLES


def http_date(epoch: float) -> str:
    """An IMF-fixdate as servers send it."""
    return formatdate(epoch, usegmt=True)


# (Retry-After value or a function of now, expected delay from now, or None: the default)
RETRY_AFTER: dict[str, tuple[str | Callable[[float], str] | None, float]] = {
    "seconds": ("120", 120.0),
    "http-date": (lambda now: http_date(now + 3600), 3600.0),
    "invalid": ("after lunch", DEFAULT_BACKOFF),
    "missing": (None, DEFAULT_BACKOFF),
    "huge": ("9" * 40, 7 * 24 * 3600.0),
}


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("form", list(RETRY_AFTER))
def test_retry_after_postpones_the_source_and_the_next_refresh_skips_it(
    server: HTTPServer, tmp_db: Path, store: Store, status: int, form: str
) -> None:
    value, delay = RETRY_AFTER[form]
    now = time.time()
    header = value(now) if callable(value) else value
    busy = Response("busy", status=status, headers={"Retry-After": header} if header else {})
    url = script(server, "/feed", feed_response(FEED), busy)
    run_refresh(store, url)
    report = only(run_refresh(store, url))
    assert report.status == "postponed"
    retry_at = float(feed_row(tmp_db, url)["retry_at"])  # type: ignore[arg-type]
    # An HTTP date has whole seconds; allow for them and for the time the refresh took.
    assert now + delay - 2 <= retry_at <= time.time() + delay + 1
    later = only(run_refresh(store, url))
    assert later.status == "postponed"
    assert len(requests_to(server, "/feed")) == 2
    assert titles(tmp_db, url) == FEED_TITLES


def test_retry_after_in_the_past_does_not_postpone_the_next_refresh(
    server: HTTPServer, tmp_db: Path, store: Store
) -> None:
    busy = Response("busy", status=503, headers={"Retry-After": http_date(time.time() - 600)})
    url = script(server, "/feed", busy, feed_response(FEED))
    assert only(run_refresh(store, url)).status == "postponed"
    assert float(feed_row(tmp_db, url)["retry_at"]) <= time.time()  # type: ignore[arg-type]
    assert only(run_refresh(store, url)).status == "updated"
    assert len(requests_to(server, "/feed")) == 2


# --- offline -----------------------------------------------------------------------------


def test_offline_refresh_makes_no_request(server: HTTPServer, tmp_db: Path, store: Store) -> None:
    url = script(server, "/feed", feed_response(FEED))
    reports = run_refresh(store, url, refused_url(), offline=True)
    assert [r.status for r in reports] == ["offline", "offline"]
    assert server.log == []
    assert query(tmp_db, "SELECT COUNT(*) FROM articles") == [(0,)]


# --- atomicity ---------------------------------------------------------------------------

BOOM_TRIGGER = (
    "CREATE TRIGGER boom BEFORE INSERT ON articles WHEN NEW.title = 'boom' "
    "BEGIN SELECT RAISE(ABORT, 'boom'); END"
)


def boom_feed(guids_before: list[str]) -> bytes:
    """A feed whose items after `guids_before` include one the trigger refuses to insert."""
    items = "".join(item(g, f"fine {g}") for g in guids_before)
    items += item("b1", "boom") + item("b2", "after the boom")
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Boom</title>'
        f"{items}</channel></rss>"
    ).encode()


def install_trigger(db: Path) -> None:
    """Make the cache refuse to insert any article titled 'boom'."""
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(BOOM_TRIGGER)


def test_failed_first_store_leaves_no_etag_and_no_article(
    server: HTTPServer, tmp_db: Path, store: Store
) -> None:
    install_trigger(tmp_db)
    url = script(server, "/feed", feed_response(boom_feed(["n1"]), ETag='"boom-1"'))
    report = only(run_refresh(store, url))
    assert report.status == "error" and "boom" in report.message
    assert query(tmp_db, "SELECT etag FROM feeds WHERE etag IS NOT NULL") == []
    assert query(tmp_db, "SELECT COUNT(*) FROM articles") == [(0,)]
    assert query(tmp_db, "SELECT COUNT(*) FROM bodies") == [(0,)]


def test_failed_update_keeps_the_old_etag_and_the_old_articles(
    server: HTTPServer, tmp_db: Path, store: Store
) -> None:
    url = script(
        server,
        "/feed",
        feed_response(FEED, ETag='"v1"'),
        feed_response(boom_feed(["n1"]), ETag='"v2"'),
    )
    run_refresh(store, url)
    install_trigger(tmp_db)
    before = snapshot(tmp_db)
    report = only(run_refresh(store, url))
    assert report.status == "error" and "boom" in report.message
    after = snapshot(tmp_db)
    assert feed_row(tmp_db, url)["etag"] == '"v1"'
    assert after["articles"] == before["articles"] and after["bodies"] == before["bodies"]
    assert titles(tmp_db, url) == FEED_TITLES


# --- the real CLI ------------------------------------------------------------------------


def write_config(config: Path, locations: list[str]) -> None:
    """A config file following `locations`."""
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        "".join(f'[[source]]\nlocation = "{location}"\n\n' for location in locations),
        encoding="utf-8",
    )


def test_sources_command_shows_each_error_with_its_time(
    server: HTTPServer, tmp_db: Path, tmp_config: Path
) -> None:
    missing = script(server, "/missing", Response("no", status=404))
    broken = script(server, "/broken", Response("no", status=500))
    good = script(server, "/good", feed_response(FEED))
    write_config(tmp_config, [missing, broken, good])
    done = cli(tmp_db, tmp_config, "refresh")
    assert done.returncode == 0, done.stderr
    assert re.search(r"^! .*/missing.*HTTP 404 Not Found", done.stdout, re.M)
    assert re.search(r"^! .*/broken.*HTTP 500 Internal Server Error", done.stdout, re.M)
    shown = cli(tmp_db, tmp_config, "sources")
    assert shown.returncode == 0, shown.stderr
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    assert re.search(rf"error at {stamp}: HTTP 404 Not Found", shown.stdout)
    assert re.search(rf"error at {stamp}: HTTP 500 Internal Server Error", shown.stdout)
    assert "3 articles" in shown.stdout


def test_offline_cli_makes_no_request_and_lists_the_cache(
    server: HTTPServer, tmp_db: Path, tmp_config: Path
) -> None:
    url = script(server, "/feed", feed_response(FEED))
    write_config(tmp_config, [url])
    assert cli(tmp_db, tmp_config, "refresh").returncode == 0
    requests_before = len(server.log)
    offline = cli(tmp_db, tmp_config, "--offline", "refresh")
    assert offline.returncode == 0, offline.stderr
    assert "offline" in offline.stdout
    listed = cli(tmp_db, tmp_config, "--offline", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert sorted(a["title"] for a in json.loads(listed.stdout)) == FEED_TITLES
    assert len(server.log) == requests_before


def test_two_refreshing_processes_and_a_reader_share_one_cache(
    server: HTTPServer, tmp_db: Path, tmp_config: Path
) -> None:
    feeds, per_feed = 30, 5
    served = [0]
    lock = threading.Lock()

    def varying(request: Request) -> Response:
        # No validators and a new lastBuildDate each time: both refreshes store every feed.
        with lock:
            served[0] += 1
            build = http_date(1_700_000_000 + served[0])
        number = request.path.rsplit("/", 1)[1]
        guids = [f"f{number}-{i}" for i in range(per_feed)]
        return feed_response(rss(f"Feed {number}", guids, build=build))

    server.expect_request(re.compile(r"/feed/\d+")).respond_with_handler(varying)
    write_config(tmp_config, [server.url_for(f"/feed/{n}") for n in range(feeds)])
    command = [sys.executable, "-m", "ketaread", "--db", str(tmp_db), "--config", str(tmp_config)]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    refreshers = [
        subprocess.Popen(
            [*command, "refresh"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    reads = 0
    # `list` refuses a cache that does not exist yet (it never creates one): read once the
    # first refresher has made it.
    deadline = time.monotonic() + CLI_TIMEOUT
    while not tmp_db.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        while any(p.poll() is None for p in refreshers) or reads == 0:
            listed = subprocess.run(
                [*command, "list", "--json"],
                capture_output=True,
                text=True,
                timeout=CLI_TIMEOUT,
                env=env,
                stdin=subprocess.DEVNULL,
            )
            assert listed.returncode == 0, listed.stderr
            assert isinstance(json.loads(listed.stdout), list)
            reads += 1
        outputs = [p.communicate(timeout=CLI_TIMEOUT) for p in refreshers]
    finally:
        for p in refreshers:
            if p.poll() is None:
                p.kill()
    for process, (out, err) in zip(refreshers, outputs, strict=True):
        assert process.returncode == 0, err
        assert "database is locked" not in err and "Traceback" not in err
        assert f"{feeds} feeds checked" in out and "0 failed" in out
    assert len(requests_to(server, "/feed/0")) == 2
    assert query(tmp_db, "SELECT COUNT(*) FROM articles") == [(feeds * per_feed,)]
    assert query(tmp_db, "SELECT COUNT(*) FROM feeds") == [(feeds,)]
    duplicates = query(
        tmp_db,
        "SELECT uid, feed_id, COUNT(*) FROM articles GROUP BY uid, feed_id HAVING COUNT(*) > 1",
    )
    assert duplicates == []


# --- issue 4, done when ------------------------------------------------------------------


def test_done_when_imported_newsboat_urls_refresh_offline_and_faults(
    server: HTTPServer, tmp_db: Path, tmp_config: Path, tmp_path: Path
) -> None:
    """Import a newsboat list, refresh, refresh unchanged, go offline, then survive faults."""
    tagged = script(
        server,
        "/tagged",
        conditional(FEED, '"t1"', LAST_MODIFIED),
        conditional(FEED, '"t1"', LAST_MODIFIED),
        Response("broken", status=500),
    )
    plain = script(
        server,
        "/plain",
        feed_response(OTHER_FEED),
        feed_response(OTHER_FEED),
        Response(HTML_PAGE, content_type="text/html"),
    )
    urls = tmp_path / "urls"
    urls.write_text(
        "# moved from newsboat\n"
        f'{tagged} ketamine "glutamate" "~Receptor notes"\n'
        f"{plain} networks\n"
        'exec:~/bin/make-feed.sh "ketamine"\n',
        encoding="utf-8",
    )
    imported = cli(tmp_db, tmp_config, "import", str(urls))
    assert imported.returncode == 0, imported.stderr
    assert "imported 2 new sources" in imported.stdout
    assert re.search(r"skipped exec:.*runs a command", imported.stdout)

    first = cli(tmp_db, tmp_config, "refresh")
    assert first.returncode == 0, first.stderr
    assert "+ Receptor notes: 3 new" in first.stdout
    assert re.search(r"^\+ .*: 2 new", first.stdout, re.M)
    listed = json.loads(cli(tmp_db, tmp_config, "list", "--json").stdout)
    assert len(listed) == 5
    assert {tuple(a["tags"]) for a in listed if a["feed"] == "Receptor notes"} == {
        ("glutamate", "ketamine")
    }

    second = cli(tmp_db, tmp_config, "refresh")
    assert second.returncode == 0, second.stderr
    assert "Receptor notes: not modified" in second.stdout
    assert "Default mode network digest: unchanged" in second.stdout
    assert "0 new, 0 updated articles, 0 failed" in second.stdout
    before = snapshot(tmp_db)

    requests_before = len(server.log)
    offline = cli(tmp_db, tmp_config, "--offline", "refresh")
    assert offline.returncode == 0, offline.stderr
    assert len(server.log) == requests_before
    assert len(json.loads(cli(tmp_db, tmp_config, "--offline", "list", "--json").stdout)) == 5

    faulty = cli(tmp_db, tmp_config, "refresh")
    assert faulty.returncode == 1, "every source failed, so the exit status says so"
    assert re.search(r"^! Receptor notes: error — HTTP 500", faulty.stdout, re.M)
    assert re.search(r"^! .*: error — .*HTML page, not a feed", faulty.stdout, re.M)
    assert "Traceback" not in faulty.stderr
    after = snapshot(tmp_db)
    assert after["articles"] == before["articles"] and after["bodies"] == before["bodies"]
    assert len(json.loads(cli(tmp_db, tmp_config, "list", "--json").stdout)) == 5


# --- stopping ------------------------------------------------------------------------------


def test_stop_ends_a_refresh_held_up_by_a_slow_server_and_keeps_what_was_stored(
    server: HTTPServer, tmp_db: Path, store: Store
) -> None:
    fast = script(server, "/fast", feed_response(FEED))
    # 0.5 s per byte: the feed would take minutes; only the 60 s deadline would end it.
    drip = DripServer(OTHER_FEED, interval=0.5)
    stop = threading.Event()
    reports: list[FeedReport] = []

    def report(feed_report: FeedReport) -> None:
        reports.append(feed_report)
        stop.set()  # the reader quits as soon as the first feed is in

    try:
        started = time.monotonic()
        summary = refresh(
            store,
            [SourceSpec(fast), SourceSpec(drip.url())],
            report=report,
            fetch_settings=quick(read_timeout=60.0, deadline=60.0),
            stop=stop,
        )
        spent = time.monotonic() - started
    finally:
        drip.close()
    assert summary.stopped
    assert [(r.location, r.status) for r in reports] == [(fast, "updated")]
    assert spent < 10, f"the refresh ran {spent:.1f} s after it was stopped"
    assert titles(tmp_db, fast) == FEED_TITLES
    # The slow feed was never checked: nothing stored, no error recorded against it.
    assert query(tmp_db, "SELECT COUNT(*) FROM feeds WHERE source = ?", (drip.url(),)) == [(0,)]


def test_stop_ends_a_refresh_waiting_for_another_one(tmp_db: Path) -> None:
    lock_path = Path(f"{tmp_db}.refresh-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    outcome: list[str] = []

    def wait_for_the_lock() -> None:
        try:
            with refresh_lock(tmp_db, wait=60.0, on_wait=stop.set, stop=stop):
                outcome.append("acquired")
        except RefreshStopped:
            outcome.append("stopped")

    with open(lock_path, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another refresh is running
        waiter = threading.Thread(target=wait_for_the_lock)
        waiter.start()
        waiter.join(timeout=10)
        finished = not waiter.is_alive()
    waiter.join()
    assert finished, "the waiting refresh ignored its stop signal"
    assert outcome == ["stopped"]
