"""A server that goes away mid-sync, answers with errors, HTML, garbage or too slowly.

The mid-sync cut runs against the real FreshRSS through a proxy that drops every
connection after a chosen request; the bad answers come from a loopback HTTP server
(they are not a fake of the API: no request gets a real answer).
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sync_support import CuttingProxy, FeedServer, FreshRSS
from werkzeug import Request, Response

from ketaread.core.fetch import FetchSettings
from ketaread.core.store import Store
from ketaread.core.sync import greader, state
from ketaread.core.sync.accounts import ServerAccount
from ketaread.core.sync.engine import sync_account


def account(url: str, api: str = "greader", name: str = "acct") -> ServerAccount:
    return ServerAccount(name, url, api, "tester", password_env="KETAREAD_TEST_PASSWORD")


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


def test_server_gone_mid_sync_keeps_what_was_stored_and_the_cursor(
    freshrss: FreshRSS, feeds: FeedServer, tmp_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cut after the first page of items: the page stays stored, the error is one line, the
    queue and the cursor are untouched; the next sync completes without duplicates."""
    monkeypatch.setenv("KETAREAD_TEST_PASSWORD", freshrss.password)
    url = feeds.add("mid-sync", 30)
    freshrss.subscribe(url, "Cut")
    freshrss.refresh()
    monkeypatch.setattr(greader, "PAGE_ITEMS", 10)
    monkeypatch.setattr(greader, "FIRST_PAGE_ITEMS", 10)
    store = Store(tmp_db)
    try:
        first = sync_account(store, account(freshrss.greader_url))
        assert first.status == "synced", first.line()
        total = count(tmp_db, "SELECT COUNT(*) FROM articles")
        before = state.account_state(store, "acct")
        assert before is not None and before.cursor
        # One local change waits; then the server goes away after five requests: login,
        # token, edit-tag (the push), the subscription list and one page of items.
        some = store.article_ids()[0]
        store.toggle(some, "starred")
        more = feeds.add("mid-sync", 25, start=30)
        assert more == url
        freshrss.refresh()
        proxy = CuttingProxy(freshrss.port, allow=5)
        try:
            cut_url = freshrss.greader_url.replace(str(freshrss.port), str(proxy.port))
            cut = sync_account(store, account(cut_url), settings=FetchSettings(read_timeout=5))
        finally:
            proxy.close()
        assert cut.status == "error"
        assert "connection reset" in cut.message or "disconnected" in cut.message, cut.line()
        assert "1 changes pushed" not in cut.line()
        assert cut.pushed == 1  # the push went through before the cut, and is recorded
        assert cut.new == 10  # one page of the 25 new items was stored before the cut
        after = state.account_state(store, "acct")
        assert after is not None and after.cursor == before.cursor  # not advanced
        assert after.error and after.error == cut.message.split(";")[0]
        assert count(tmp_db, "SELECT COUNT(*) FROM articles") == total + 10
        again = sync_account(store, account(freshrss.greader_url))
        assert again.status == "synced", again.line()
        assert again.new == 15
        assert count(tmp_db, "SELECT COUNT(*) FROM articles") == total + 25
        assert count(tmp_db, "SELECT COUNT(*) FROM sync_queue") == 0
        assert store.integrity_ok()
    finally:
        store.close()


slow_calls = [0, 0]
"""How many requests `slow` has started and finished answering."""
slow_changed = threading.Condition()


def slow(request: Request) -> Response:
    with slow_changed:
        slow_calls[0] += 1
        slow_changed.notify_all()
    time.sleep(1.5)
    with slow_changed:
        slow_calls[1] += 1
        slow_changed.notify_all()
    return Response("SID=x\nLSID=null\nAuth=tester/abc\n")


@pytest.mark.parametrize(
    ("api", "responder", "expected"),
    [
        ("greader", Response("no", status=401), "HTTP 401 Unauthorized: the server refused"),
        ("greader", Response("no", status=403), "HTTP 403 Forbidden: the server refused"),
        ("greader", Response("oops", status=500), "HTTP 500 Internal Server Error"),
        ("greader", Response("busy", status=503), "HTTP 503 Service Unavailable"),
        (
            "greader",
            Response("<!DOCTYPE html><html><body>Log in</body></html>", content_type="text/html"),
            "HTML page",
        ),
        ("greader", slow, "timed out after 0.5 s"),
        (
            "fever",
            Response("<!doctype html><html><title>Login</title></html>"),
            "HTML page, not an API reply",
        ),
        ("fever", Response("\x00\x01garbage{"), "not JSON"),
        ("fever", Response("[1, 2]"), "JSON that is not an object"),
        ("fever", Response('{"api_version": 3, "auth": 0}'), "refused the user name or password"),
        ("fever", Response("[" * 30_000 + "]" * 30_000), "not JSON"),
        ("fever", Response("x" * 70_000), "larger than 64 KiB"),
        (
            "fever",
            Response('{"api_version": 3, "auth": 1, "groups": 5, "feeds": []}'),
            "the server's reply could not be read (TypeError",
        ),
        (
            "greader",
            Response("", status=302, headers={"Location": "https://elsewhere.example/"}),
            "redirects to https://elsewhere.example/",
        ),
    ],
)
def test_bad_answers_are_one_clear_line_and_keep_the_cache(
    api: str,
    responder: Response | object,
    expected: str,
    httpserver: HTTPServer,
    tmp_db: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each bad answer: status 'error', one line naming the reason, nothing raised."""
    monkeypatch.setenv("KETAREAD_TEST_PASSWORD", "pw")
    if callable(responder) and not isinstance(responder, Response):
        httpserver.expect_request(re.compile("/api.*")).respond_with_handler(responder)
    else:
        httpserver.expect_request(re.compile("/api.*")).respond_with_response(responder)
    store = Store(tmp_db)
    try:
        settings = FetchSettings(read_timeout=0.5, max_bytes=64 * 1024)
        outcome = sync_account(store, account(httpserver.url_for("/api"), api), settings=settings)
        assert outcome.status == "error"
        assert expected in outcome.message, outcome.message
        assert "\n" not in outcome.line()
        recorded = state.account_state(store, "acct")
        assert recorded is not None and recorded.error
    finally:
        store.close()
        if responder is slow:
            # The single-threaded server finishes the slow reply first (the next test's
            # requests would queue behind it and time out); on a loaded machine it may
            # even start on it after the client has given up.
            with slow_changed:
                assert slow_changed.wait_for(lambda: 0 < slow_calls[0] == slow_calls[1], 30)


def test_an_unset_password_variable_is_reported_without_a_request(
    httpserver: HTTPServer, tmp_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No password: the account's line says which variable is missing; no request is sent."""
    monkeypatch.delenv("KETAREAD_TEST_PASSWORD", raising=False)
    store = Store(tmp_db)
    try:
        outcome = sync_account(store, account(httpserver.url_for("/api")))
    finally:
        store.close()
    assert outcome.status == "error"
    assert "environment variable KETAREAD_TEST_PASSWORD is not set" in outcome.message
    assert httpserver.log == []
