"""`ketaread add` of a web page finds its feeds, served by a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pytest_httpserver import HTTPServer

from cli_support import cli
from ketaread.core.discover import feed_links
from test_import_export_cli import rss

ATOM = (
    b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
    b"<title>Clinic comments</title><id>urn:x</id></feed>"
)
JSON_FEED = b'{"version": "https://jsonfeed.org/version/1.1", "title": "Clinic JSON", "items": []}'


def page(head: str) -> str:
    """A clinic blog page with a head, navigation and a long body."""
    return (
        f"<!DOCTYPE html><html><head><title>Clinic blog</title>{head}</head><body>"
        "<nav><a href='/'>Home</a></nav>"
        + "<p>Ketamine and glutamate.</p>" * 500
        + "</body></html>"
    )


def configured(config: Path) -> list[str]:
    """The configured locations."""
    return [s["location"] for s in tomllib.loads(config.read_text())["source"]]


def test_feed_links_reads_rss_atom_and_json_alternates_resolved_against_the_page() -> None:
    html = page(
        '<link rel="alternate" type="application/rss+xml" title="Posts" href="/feed/">'
        '<link rel="Alternate stylesheet" type="application/atom+xml" href="comments.atom">'
        '<link rel="alternate" type="application/feed+json" href="https://cdn.example/f.json">'
        '<link rel="alternate" type="text/html" href="/fr/">'
        '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">'
        '<link rel="stylesheet" href="/style.css">'
    )
    feeds, title = feed_links(html, "https://clinic.example/blog/")
    assert title == "Clinic blog"
    assert [(f.url, f.kind, f.title) for f in feeds] == [
        ("https://clinic.example/feed/", "RSS", "Posts"),
        ("https://clinic.example/blog/comments.atom", "Atom", ""),
        ("https://cdn.example/f.json", "JSON Feed", ""),
    ]


def test_links_in_the_body_are_not_feeds() -> None:
    html = (
        "<html><head></head><body>" + '<link rel="alternate" type="application/rss+xml" href="/x">'
    )
    assert feed_links(html, "https://a.example/")[0] == []


def test_add_of_a_page_with_one_feed_adds_that_feed(
    server: HTTPServer, tmp_db: Path, tmp_config: Path
) -> None:
    server.expect_request("/blog/").respond_with_data(
        page('<link rel="alternate" type="application/rss+xml" href="/blog/feed/">'),
        content_type="text/html",
    )
    server.expect_request("/blog/feed/").respond_with_data(
        rss("Clinic posts", ["p1"], "clinic"), content_type="application/rss+xml"
    )
    done = cli(tmp_db, tmp_config, "add", server.url_for("/blog/"), "--full-text")
    assert done.returncode == 0, done.stderr
    feed = server.url_for("/blog/feed/")
    assert f"offers one feed: {feed} (RSS)" in done.stdout
    assert f"added {feed} with full text" in done.stdout
    assert configured(tmp_config) == [feed]
    assert tomllib.loads(tmp_config.read_text())["source"][0]["full_text"] is True
    refreshed = cli(tmp_db, tmp_config, "refresh")
    assert "1 new" in refreshed.stdout


def test_add_of_a_page_with_several_feeds_lists_them_and_pick_chooses(
    server: HTTPServer, tmp_db: Path, tmp_config: Path
) -> None:
    server.expect_request("/").respond_with_data(
        page(
            '<link rel="alternate" type="application/rss+xml" title="Posts" href="/rss">'
            '<link rel="alternate" type="application/atom+xml" title="Comments" href="/c.atom">'
            '<link rel="alternate" type="application/feed+json" title="JSON" href="/f.json">'
        ),
        content_type="text/html",
    )
    url = server.url_for("/")
    listed = cli(tmp_db, tmp_config, "add", url)
    assert listed.returncode == 1
    assert "offers 3 feeds:" in listed.stdout
    assert f'  3. {server.url_for("/f.json")} (JSON Feed, "JSON")' in listed.stdout
    assert "add one with --pick N" in listed.stderr
    assert not tmp_config.exists()  # nothing added
    out_of_range = cli(tmp_db, tmp_config, "add", url, "--pick", "4")
    assert out_of_range.returncode == 1 and "from 1 to 3" in out_of_range.stderr
    picked = cli(tmp_db, tmp_config, "add", url, "--pick", "2")
    assert picked.returncode == 0, picked.stderr
    assert configured(tmp_config) == [server.url_for("/c.atom")]


def test_add_of_a_page_without_links_finds_the_wordpress_path(
    server: HTTPServer, tmp_db: Path, tmp_config: Path
) -> None:
    server.expect_request("/about").respond_with_data(page(""), content_type="text/html")
    server.expect_request("/feed/").respond_with_data(
        rss("Clinic posts", ["p1"], "clinic"), content_type="application/rss+xml"
    )
    done = cli(tmp_db, tmp_config, "add", server.url_for("/about"))
    assert done.returncode == 0, done.stderr
    assert "at a common feed path" in done.stdout
    assert configured(tmp_config) == [server.url_for("/feed/")]


def test_add_of_a_page_with_no_feed_says_what_it_looked_for(
    server: HTTPServer, tmp_db: Path, tmp_config: Path
) -> None:
    server.expect_request("/plain").respond_with_data(page(""), content_type="text/html")
    done = cli(tmp_db, tmp_config, "add", server.url_for("/plain"))
    assert done.returncode == 1
    assert "a web page with no feed" in done.stderr and "/feed/" in done.stderr
    assert "Traceback" not in done.stderr
    assert not tmp_config.exists()


def test_add_of_a_feed_url_and_a_json_feed_url_says_what_it_found(
    server: HTTPServer, tmp_db: Path, tmp_config: Path
) -> None:
    server.expect_request("/atom").respond_with_data(ATOM, content_type="application/atom+xml")
    server.expect_request("/f.json").respond_with_data(
        JSON_FEED, content_type="application/feed+json"
    )
    done = cli(tmp_db, tmp_config, "add", server.url_for("/atom"))
    assert "found a feed at" in done.stdout and "Clinic comments" in done.stdout
    done = cli(tmp_db, tmp_config, "add", server.url_for("/f.json"))
    assert "Clinic JSON" in done.stdout
    assert configured(tmp_config) == [server.url_for("/atom"), server.url_for("/f.json")]


def test_add_of_a_url_that_answers_404_or_410_is_refused_unless_forced(
    server: HTTPServer, tmp_db: Path, tmp_config: Path
) -> None:
    server.expect_request("/typo.xml").respond_with_data("no", status=404)
    server.expect_request("/old.xml").respond_with_data("gone", status=410)
    for path in ("/typo.xml", "/old.xml"):
        url = server.url_for(path)
        refused = cli(tmp_db, tmp_config, "add", url)
        assert refused.returncode == 1
        [line] = refused.stderr.strip().splitlines()
        assert url in line and "nothing added" in line and "--force" in line
        assert ("404" if path == "/typo.xml" else "410") in line
        assert not tmp_config.exists()
    forced = cli(tmp_db, tmp_config, "add", server.url_for("/typo.xml"), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "adding it as given" in forced.stdout
    assert configured(tmp_config) == [server.url_for("/typo.xml")]


def test_add_of_a_page_with_no_feed_is_added_with_force(
    server: HTTPServer, tmp_db: Path, tmp_config: Path
) -> None:
    server.expect_request("/plain").respond_with_data(page(""), content_type="text/html")
    done = cli(tmp_db, tmp_config, "add", server.url_for("/plain"), "--force")
    assert done.returncode == 0, done.stderr
    assert "a web page with no feed" in done.stdout and "(--force)" in done.stdout
    assert configured(tmp_config) == [server.url_for("/plain")]


def test_add_when_the_server_fails_with_5xx_still_adds_with_the_warning(
    server: HTTPServer, tmp_db: Path, tmp_config: Path
) -> None:
    server.expect_request("/feed.xml").respond_with_data("down", status=500)
    url = server.url_for("/feed.xml")
    done = cli(tmp_db, tmp_config, "add", url)
    assert done.returncode == 0, done.stderr
    assert f"could not check {url}" in done.stdout and "adding it as given" in done.stdout
    assert configured(tmp_config) == [url]
