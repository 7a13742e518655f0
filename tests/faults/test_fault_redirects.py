"""Fault injection on redirects and answers: where a feed may send ketaread, and what a
304 may mean. No traffic leaves loopback: a connect hook records every attempt and
refuses anything that is not 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from ketaread.core import fetch as fetch_module
from ketaread.core.fetch import Fetcher, FetchResult, FetchSettings, Validators

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every address a socket tries to connect to; only loopback is let through."""
    attempts: list[object] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def allowed(address: object) -> bool:
        host = address[0] if isinstance(address, tuple) else ""
        return host in ("127.0.0.1", "::1")

    def connect(self: socket.socket, address: object) -> None:
        attempts.append(address)
        if not allowed(address):
            raise ConnectionRefusedError(111, "refused by the test's connect hook")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        attempts.append(address)
        if not allowed(address):
            return 111
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield attempts


def fetch(url: str, validators: Validators | None = None) -> FetchResult:
    async def go() -> FetchResult:
        settings = FetchSettings(connect_timeout=2.0, read_timeout=5.0, deadline=5.0)
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(url, validators or Validators())

    return asyncio.run(go())


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[fe80::1]/feed.xml",
        "http://[::ffff:169.254.169.254]/latest/",
    ],
)
def test_a_redirect_to_a_link_local_address_is_never_followed(
    server: HTTPServer, connects: list[object], target: str
) -> None:
    """A feed redirecting to the cloud metadata address: refused before any connect."""
    server.expect_request("/feed.xml").respond_with_response(
        Response(status=302, headers={"Location": target})
    )
    result = fetch(server.url_for("/feed.xml"))
    assert result.outcome == "error"
    assert "link-local" in (result.error or "")
    assert not [a for a in connects if isinstance(a, tuple) and a[0] not in ("127.0.0.1", "::1")]


def test_a_redirect_from_a_public_host_to_loopback_is_refused(
    server: HTTPServer, connects: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """From a public host, a redirect to this machine (another port) is refused.

    The loopback server plays the public host: the classifier is told 127.0.0.1 is public,
    `localhost` (the redirect's target) stays loopback."""
    real = fetch_module.host_classes

    def classes(host: str) -> set[str]:
        return {"public"} if host == "127.0.0.1" else real(host)

    monkeypatch.setattr(fetch_module, "host_classes", classes)
    server.expect_request("/admin").respond_with_data("secret", content_type="text/plain")
    server.expect_request("/feed.xml").respond_with_response(
        Response(status=302, headers={"Location": f"http://localhost:{server.port}/admin"})
    )
    result = fetch(server.url_for("/feed.xml"))
    assert result.outcome == "error"
    assert "loopback" in (result.error or "") and "localhost" in (result.error or "")
    assert [r.path for r, _ in server.log] == ["/feed.xml"]


def test_a_loopback_feed_may_redirect_within_loopback(
    server: HTTPServer, connects: list[object]
) -> None:
    """A feed served on this machine that moved to another path or port is still followed."""
    server.expect_request("/new.xml").respond_with_data(FEED, content_type="application/rss+xml")
    server.expect_request("/old.xml").respond_with_response(
        Response(status=301, headers={"Location": f"http://localhost:{server.port}/new.xml"})
    )
    result = fetch(server.url_for("/old.xml"))
    assert result.outcome == "ok", result.error
    assert result.body == FEED


def test_an_error_after_a_redirect_names_the_host_that_failed(
    server: HTTPServer, connects: list[object]
) -> None:
    """The error used to name the feed's own host, not the hop that failed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    server.expect_request("/feed.xml").respond_with_response(
        Response(status=302, headers={"Location": f"http://127.0.0.1:{closed_port}/x.xml"})
    )
    result = fetch(server.url_for("/feed.xml"))
    assert result.outcome == "error"
    assert f"127.0.0.1:{closed_port}" in (result.error or "")


def test_a_304_to_an_unconditional_request_is_an_error(
    server: HTTPServer, connects: list[object]
) -> None:
    """A 304 when nothing was asked conditionally used to read as 'not modified'."""
    server.expect_request("/feed.xml").respond_with_response(Response(status=304))
    result = fetch(server.url_for("/feed.xml"))
    assert result.outcome == "error"
    assert "304" in (result.error or "")
    server.clear()
    server.expect_request("/feed.xml").respond_with_response(Response(status=304))
    result = fetch(server.url_for("/feed.xml"), Validators(etag='"v1"'))
    assert result.outcome == "not_modified"
