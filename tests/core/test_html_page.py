"""A local HTML page saved from a website: main content, title without the site, its date."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ketaread.core.html_page import read_html_page, strip_site_name
from ketaread.core.sources import scan_local

SAMPLES = Path(__file__).resolve().parents[2] / "sample_feeds" / "articles"
FILE_TIME = datetime(2026, 11, 30, tzinfo=UTC).timestamp()
PARAGRAPH = (
    "<p>Ketamine blocks NMDA receptors on inhibitory interneurons, and the glutamate surge "
    "that follows activates AMPA receptors and releases BDNF, which supports new dendritic "
    "spines in the prefrontal cortex within a day (Journal of Examples).</p>"
)


def saved_page(head: str = "", byline: str = "", title: str = "Spines and Stress") -> str:
    """A clinic library page as a browser saves it: a menu, the article, a footer."""
    return (
        f"<!DOCTYPE html><html><head><title>{title} | Lakeside Library</title>{head}</head>"
        "<body><header class='site-header'><a href='https://lakeside.example/'>Lakeside "
        "Library</a><nav><ul><li><a href='/t/mood'>Mood topics</a></li><li><a href='/about'>"
        "About us</a></li></ul></nav></header>"
        f"<main><article><h1>Spines and Stress</h1>{byline}"
        + PARAGRAPH
        * 6
        + "<figure><img src='spine.png' alt='spines'><figcaption>Figure 1. Dendritic spines "
        "before and after stress.</figcaption></figure>"
        "<h2>Works cited</h2><ol><li>Journal of Examples. A rodent study of spines. "
        "<a href='https://doi.org/10.1000/abc'>https://doi.org/10.1000/abc</a></li></ol>"
        "</article></main><footer><p>© Lakeside Library. <a href='/privacy'>Privacy</a></p>"
        "</footer></body></html>"
    )


def day(value: str) -> str:
    """The UTC day a page's date string means, through the same reader as articles."""
    from ketaread.core.parse import parse_article, sniff

    page = (
        "<html><head><title>T</title>"
        + value
        + "</head><body><p>Body text of the article.</p></body></html>"
    )
    parsed = parse_article(sniff(page.encode(), "a.html"), "u", "a", mtime=FILE_TIME)
    assert parsed.published is not None
    return datetime.fromtimestamp(parsed.published, UTC).date().isoformat()


def test_the_menu_and_footer_go_the_article_references_and_captions_stay() -> None:
    page = read_html_page(saved_page(), "")
    assert "Mood topics" not in page.body and "About us" not in page.body
    assert "Privacy" not in page.body
    assert "dendritic spines in the prefrontal cortex" in page.body
    assert "Works cited" in page.body and "https://doi.org/10.1000/abc" in page.body
    assert "Figure 1. Dendritic spines" in page.body
    assert "<h1>" not in page.body  # the heading repeats the title


def test_a_bare_html_document_is_kept_whole() -> None:
    page = read_html_page("<html><body><p>Short note.</p><p>Second.</p></body></html>")
    assert "Short note." in page.body and "Second." in page.body


def test_the_title_loses_the_site_name_only() -> None:
    # The site's name: the link to its home page.
    assert read_html_page(saved_page()).title == "Spines and Stress"
    # og:site_name, with another separator and as a prefix.
    assert strip_site_name("Lakeside – Spines", ["Lakeside"]) == "Spines"
    assert strip_site_name("Spines — Lakeside", ["lakeside"]) == "Spines"
    # A suffix that is not the site's name is part of the title.
    assert strip_site_name("Ketamine | NMDA receptors", ["Lakeside"]) == (
        "Ketamine | NMDA receptors"
    )
    assert strip_site_name("Spines | Lakeside", []) == "Spines | Lakeside"
    page = saved_page(head='<meta property="og:site_name" content="Other Site">')
    assert read_html_page(page.replace("Lakeside Library</a>", "Home</a>")).title == (
        "Spines and Stress | Lakeside Library"
    )


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (
            '<meta property="article:published_time" content="2026-05-12T08:00:00+00:00">',
            "2026-05-12",
        ),
        (
            '<script type="application/ld+json">{"@context": "https://schema.org", '
            '"@type": "Article", "datePublished": "2025-03-04"}</script>',
            "2025-03-04",
        ),
        ('<meta name="date" content="2024-01-02">', "2024-01-02"),
        ('<meta name="citation_publication_date" content="2023-07-08">', "2023-07-08"),
    ],
    ids=["article-published-time", "json-ld", "meta-date", "citation"],
)
def test_the_date_comes_from_the_page_metadata(head: str, expected: str) -> None:
    assert day(head) == expected


def test_the_date_comes_from_the_articles_time_element_else_the_file() -> None:
    byline = '<p>By the library, <time datetime="2026-05-12">12 May 2026</time></p>'
    page = read_html_page(saved_page(byline=byline))
    assert page.published == "2026-05-12"
    assert read_html_page(saved_page()).published == ""
    assert day("") == "2026-11-30"  # no date on the page: the file's time


def test_garbage_metadata_is_survived() -> None:
    head = (
        '<script type="application/ld+json">{"datePublished": [[[[</script>'
        '<meta property="article:published_time" content="not a date">'
        "<script type='application/ld+json'>" + "[" * 50_000 + "</script>"
    )
    assert day(head) == "2026-11-30"


def test_the_sample_page_reads_as_its_article(tmp_path: Path) -> None:
    copy = tmp_path / "neuroplasticity-hypothesis.html"
    copy.write_bytes((SAMPLES / copy.name).read_bytes())
    os.utime(copy, (FILE_TIME, FILE_TIME))
    [(feed, _digest)] = scan_local(str(copy)).documents
    [article] = feed.articles
    assert article.title == "Stress, Synapses and the Neuroplasticity Hypothesis of Depression"
    assert datetime.fromtimestamp(article.published or 0, UTC).date().isoformat() == "2026-05-12"
    assert "Brain science" not in article.html and "Privacy" not in article.html
    assert "Works cited" in article.html and "doi.org/10.1126/science.aat8078" in article.html


def test_a_page_with_too_many_elements_keeps_its_body_unextracted() -> None:
    """Extraction is bounded: 100,000 paragraphs behind a menu are kept as they are."""
    page = "<html><body><nav>Menu</nav>" + "<p>word " * 100_000 + "</body></html>"
    assert "Menu" in read_html_page(page).body


@pytest.mark.parametrize("shape", ["<h1>x", "<title>x"])
def test_unclosed_titles_and_headings_read_in_one_pass(shape: str) -> None:
    """A review found `<h1[^>]*>(.*?)</h1>` retried from every unclosed "<h1": 100 KB of
    them took 16 s, inline in a local scan that no deadline stops. Checked in a child
    process with a bound far above a linear pass (milliseconds) and far below the old
    quadratic one (about a minute for 200 KB)."""
    import subprocess
    import sys

    code = (
        "from ketaread.core.html_page import read_html_page\n"
        f"page = '<body>' + {shape!r} * 40_000\n"
        "print(repr(read_html_page(page).title))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "''"
