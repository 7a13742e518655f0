"""Full text for excerpt-only feeds, end to end against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from cli_support import cli
from ketaread.core.fulltext import excerpt_reason, extract_main, fetch_full_texts
from ketaread.core.models import ParsedArticle, ParsedFeed
from ketaread.core.store import Store

SENTENCES = [
    "Ketamine blocks NMDA receptors on inhibitory interneurons in the prefrontal cortex [1].",
    "The glutamate surge that follows activates AMPA receptors and triggers BDNF release [2].",
    "Within hours, new dendritic spines appear in animal models of chronic stress [3].",
    "Clinicians usually give six infusions over two to three weeks, monitoring blood pressure.",
]
REFERENCES = [
    "Example A, et al. Ketamine and interneurons. J Neurosci Examples. 2021;41:100-110.",
    "Example B, et al. BDNF and rapid antidepressant action. Neuron Examples. 2020;12:1-9.",
    "Example C. Synaptogenesis after ketamine. Nat Example. 2019;5:33-40.",
]


def clinic_page(n: int) -> str:
    """An article page as clinics publish them: navigation, article, related posts, footer."""
    paragraphs = "".join(f"<p>{s}</p>" for s in SENTENCES)
    refs = "".join(f"<li>{r}</li>" for r in REFERENCES)
    return (
        f"<!DOCTYPE html><html><head><title>Note {n}</title></head><body>"
        "<header><nav><a href='/'>Home</a> <a href='/book'>Book a consultation</a></nav></header>"
        "<div class='cookie-banner'>We use cookies to improve your experience.</div>"
        f"<main><article><h1>How ketamine works, part {n}</h1>{paragraphs}"
        f"<h2>References</h2><ol>{refs}</ol></article>"
        "<aside class='related-posts'><h3>Related posts</h3><a href='/x'>Insurance FAQ</a></aside>"
        "</main><footer>Copyright 2026 Lakeside Clinic. All rights reserved.</footer>"
        "</body></html>"
    )


def excerpt_feed(base: str, paths: list[str]) -> bytes:
    """An RSS feed whose items carry only an excerpt and 'appeared first on'."""
    items = "".join(
        f"<item><guid>{path}</guid><title>Note {n}</title><link>{base}{path}</link>"
        "<description><![CDATA[<p>Ketamine acts on glutamate signalling [&#8230;]</p>"
        "<p>The post Note appeared first on Lakeside Clinic.</p>]]></description></item>"
        for n, path in enumerate(paths)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Lakeside Clinic</title>'
        f"<link>{base}/</link>{items}</channel></rss>"
    ).encode()


def ok(done: subprocess.CompletedProcess[str]) -> str:
    """Stdout of a command that must succeed."""
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def test_extract_main_keeps_the_article_and_its_references_and_drops_the_chrome() -> None:
    html, reason = extract_main(clinic_page(1), "https://clinic.example/notes/1")
    assert reason == "" and html is not None
    for sentence in SENTENCES:
        assert sentence in html
    assert "<ol>" in html and REFERENCES[2] in html
    for chrome in ("Book a consultation", "We use cookies", "Related posts", "rights reserved"):
        assert chrome not in html


def test_extract_main_drops_chrome_that_readability_alone_lets_through() -> None:
    """Div soup (no <article>, no <p>): readability kept the cookie banner and newsletter."""
    body = "".join(f"<div>{s} More words to make a paragraph of it.</div>" for s in SENTENCES)
    page = (
        "<html><body><div class='cookie-banner'>We use cookies to improve your experience."
        f"</div><div><div><div class='c1'><h1>Title</h1>{body}</div></div>"
        "<div class='c2'><div class='newsletter'><h4>Subscribe to our newsletter</h4></div>"
        "</div></div></body></html>"
    )
    html, _ = extract_main(page, "https://clinic.example/x")
    assert html is not None and SENTENCES[0] in html
    assert "We use cookies" not in html and "Subscribe to our newsletter" not in html


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        ("<html><body><form>Log in to read</form></body></html>", "no article text"),
        ("", "could not be read (Document is empty)"),
        ("<html><body>" + "<div>" * 5000 + "x" + "</div>" * 5000 + "</body></html>", "no article"),
    ],
    ids=["login", "empty", "deep"],
)
def test_extract_main_fails_with_a_reason(page: str, reason: str) -> None:
    html, why = extract_main(page, "https://clinic.example/x")
    assert html is None and reason in why


def test_excerpt_reason_from_markers_and_from_short_bodies() -> None:
    marked = ["<p>Intro […]</p><p>The post X appeared first on Y.</p>"] * 3
    assert "3 of 3 items end like excerpts" in (excerpt_reason(marked) or "")
    short = ["<p>" + "word " * 20 + "</p>"] * 5
    assert "short (typically 100 characters)" in (excerpt_reason(short) or "")
    full = ["<p>" + "word " * 400 + "</p>"] * 5
    assert excerpt_reason(full) is None
    assert excerpt_reason([]) is None


WP_FOOTER = (
    '<p>The post <a href="https://clinic.example/{slug}/">{title}</a> appeared first on '
    '<a href="https://clinic.example">Lakeside Clinic</a>.</p>'
)


def wordpress_full_item(n: int, sections: int = 6) -> str:
    """A full-content WordPress body: headings, paragraphs, a numbered reference list, a
    disclaimer and the 'appeared first on' footer WordPress adds to every item."""
    section = "<h2>Part {k}</h2>" + "".join(f"<p>{s} {s}</p>" for s in SENTENCES)
    refs = "".join(
        f"<li>{r} <a href='https://doi.org/10.1000/x{n}'>link</a></li>" for r in REFERENCES
    )
    return (
        "".join(section.format(k=k) for k in range(sections))
        + f"<h2>References</h2><ol>{refs}</ol>"
        + "<p><em>Medical Disclaimer: educational content only.</em></p>"
        + WP_FOOTER.format(slug=f"note-{n}", title=f"Note {n}")
    )


def wordpress_excerpt_item(n: int) -> str:
    """A WordPress excerpt: the first 55 words, '[&#8230;]' and the same footer."""
    words = " ".join((" ".join(SENTENCES)).split()[:55])
    return f"<p>{words} [&#8230;]</p>" + WP_FOOTER.format(slug=f"note-{n}", title=f"Note {n}")


def test_a_full_content_feed_with_the_wordpress_footer_is_not_called_excerpt_only() -> None:
    full = [wordpress_full_item(n) for n in range(10)]
    assert all(len(body) > 5000 and "appeared first on" in body[-800:] for body in full)
    assert excerpt_reason(full) is None
    # A shorter article still is one when it has headings or a numbered list.
    structured = [wordpress_full_item(n, sections=2) for n in range(4)]
    assert excerpt_reason(structured) is None
    excerpts = [wordpress_excerpt_item(n) for n in range(10)]
    assert "10 of 10 items end like excerpts" in (excerpt_reason(excerpts) or "")
    # A short body ending in the footer is an excerpt even with a heading.
    teaser = ["<h2>Why</h2>" + wordpress_excerpt_item(n) for n in range(4)]
    assert "4 of 4 items end like excerpts" in (excerpt_reason(teaser) or "")


def test_sources_gives_no_full_text_advice_for_a_full_content_wordpress_feed(
    tmp_path: Path, tmp_db: Path, tmp_config: Path
) -> None:
    items = "".join(
        f"<item><guid>n{n}</guid><title>Note {n}</title><link>https://clinic.example/n{n}</link>"
        f"<description><![CDATA[{wordpress_excerpt_item(n)}]]></description>"
        f"<content:encoded><![CDATA[{wordpress_full_item(n)}]]></content:encoded></item>"
        for n in range(3)
    )
    feed = tmp_path / "clinic.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>Lakeside Clinic</title><link>https://clinic.example/</link>{items}"
        "</channel></rss>"
    )
    ok(cli(tmp_db, tmp_config, "add", str(feed)))
    ok(cli(tmp_db, tmp_config, "refresh"))
    assert "looks excerpt-only" not in ok(cli(tmp_db, tmp_config, "sources"))


def serve_clinic(server: HTTPServer, pages: dict[str, Response]) -> str:
    """Serve the excerpt feed at /feed and each page at its path; returns the feed URL."""
    base = server.url_for("/").rstrip("/")
    server.expect_request("/feed").respond_with_data(
        excerpt_feed(base, list(pages)), content_type="application/rss+xml"
    )
    for path, response in pages.items():
        server.expect_request(path).respond_with_response(response)
    return server.url_for("/feed")


def html_response(text: str, status: int = 200) -> Response:
    """A text/html response."""
    return Response(text, status=status, content_type="text/html; charset=utf-8")


def test_excerpt_only_feed_with_full_text_gives_full_articles_with_references(
    server: HTTPServer, tmp_db: Path, tmp_config: Path
) -> None:
    feed = serve_clinic(
        server,
        {
            "/notes/1": html_response(clinic_page(1)),
            "/notes/2": html_response(clinic_page(2)),
            "/notes/login": html_response("<html><body><p>Please log in.</p></body></html>"),
            "/notes/gone": html_response("Not here", status=404),
        },
    )
    ok(cli(tmp_db, tmp_config, "add", feed))
    ok(cli(tmp_db, tmp_config, "refresh"))
    listing = ok(cli(tmp_db, tmp_config, "sources"))
    assert "looks excerpt-only (4 of 4 items end like excerpts" in listing
    assert f"`ketaread add {feed} --full-text`" in listing
    # Without the option, no article page is fetched (add and refresh fetch the feed).
    assert {r.path for r, _ in server.log} == {"/feed"}

    added = ok(cli(tmp_db, tmp_config, "add", feed, "--full-text"))
    assert "updated" in added and "with full text" in added
    out = ok(cli(tmp_db, tmp_config, "refresh"))
    assert "fetched the full text of 2 of 4 articles; kept the excerpt of 2" in out
    assert "4 feeds checked" not in out and "1 feed checked" in out

    articles = {
        a["title"]: a["id"] for a in json.loads(ok(cli(tmp_db, tmp_config, "list", "--json")))
    }
    shown = json.loads(ok(cli(tmp_db, tmp_config, "show", articles["Note 0"], "--json")))
    assert shown["full_text"] is True and shown["full_text_error"] is None
    assert "new dendritic spines" in shown["markdown"]
    assert "appeared first on" not in shown["markdown"]
    assert len(shown["references"]) == 3
    assert {c["marker"] for c in shown["citations"]} >= {"1", "2", "3"}
    assert any(t["term"] == "BDNF" for t in shown["terms"])

    login = json.loads(ok(cli(tmp_db, tmp_config, "show", articles["Note 2"], "--json")))
    assert login["full_text"] is False
    assert "no article text found" in login["full_text_error"]
    assert "appeared first on" in login["markdown"]  # the excerpt stays
    gone_text = ok(cli(tmp_db, tmp_config, "show", articles["Note 3"]))
    assert "full text failed: HTTP 404 Not Found" in gone_text

    assert "looks excerpt-only" not in ok(cli(tmp_db, tmp_config, "sources"))
    before = len(server.log)
    ok(cli(tmp_db, tmp_config, "refresh"))
    # Cached: the next refresh fetches the feed only (pages already tried are not refetched).
    assert [r.path for r, _ in server.log[before:]] == ["/feed"]
    offline = json.loads(
        ok(cli(tmp_db, tmp_config, "--offline", "show", articles["Note 1"], "--json"))
    )
    assert "new dendritic spines" in offline["markdown"]


def test_a_later_failure_never_replaces_a_full_text(server: HTTPServer, tmp_path: Path) -> None:
    pages = iter([html_response(clinic_page(1)), html_response("", status=500)])
    server.expect_request("/a").respond_with_handler(lambda _r: next(pages))
    store = Store(tmp_path / "c.db")
    link = server.url_for("/a")
    feed = ParsedFeed("f", "F", articles=[ParsedArticle("a", "A", link=link, html="<p>x</p>")])
    store.store_feed("f", feed)
    ((article_id, _),) = store.articles_without_full_text("f")
    assert fetch_full_texts(store, [(article_id, link)])[0].html
    assert store.articles_without_full_text("f") == []
    failed = fetch_full_texts(store, [(article_id, link)])[0]
    assert failed.html is None and "500" in failed.error
    detail = store.article(article_id)
    assert detail.full_text and "new dendritic spines" in detail.html
    store.close()


def test_stop_ends_full_text_fetches_at_once_and_stores_nothing(
    server: HTTPServer, tmp_path: Path
) -> None:
    import threading
    import time

    def slow(_request: object) -> Response:
        time.sleep(3)
        return html_response(clinic_page(1))

    server.expect_request("/slow").respond_with_handler(slow)
    store = Store(tmp_path / "c.db")
    link = server.url_for("/slow")
    feed = ParsedFeed("f", "F", articles=[ParsedArticle("a", "A", link=link, html="<p>x</p>")])
    store.store_feed("f", feed)
    wanted = store.articles_without_full_text("f")
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    assert fetch_full_texts(store, wanted, stop=stop) == []
    assert time.monotonic() - started < 1.5
    assert store.articles_without_full_text("f") == wanted  # nothing stored: tried again later
    store.close()
