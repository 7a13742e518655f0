"""Parsing: what a document is comes from its content; feeds and articles become clean data."""

from __future__ import annotations

import codecs
import subprocess
import sys
from pathlib import Path

import pytest

from ketaread.core.models import ParsedFeed
from ketaread.core.parse import (
    MAX_ITEMS_PER_FEED,
    NotAFeed,
    decode_text,
    parse_article,
    parse_feed,
    sniff,
)
from ketaread.core.sources import scan_local

RSS_ITEM = (
    "<item><title>{title}</title><link>https://example.org/{n}</link>"
    "<guid>{guid}</guid>{extra}<description>Body {n}</description></item>"
)


def rss(items: str, title: str = "Test channel", prolog: str = "") -> str:
    """A small RSS 2.0 document around `items`."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{title}</title><link>https://example.org/</link>{items}"
        "</channel></rss>"
    )


def item(n: int, guid: str | None = None, extra: str = "", title: str | None = None) -> str:
    """One RSS item."""
    return RSS_ITEM.format(
        n=n, guid=guid or f"id-{n}", extra=extra, title=title or f"Item number {n}"
    )


def sample_documents(sample_feeds: Path) -> list[tuple[Path, bytes]]:
    """Every file under the sample feeds folder with its bytes."""
    files = sorted(p for p in sample_feeds.rglob("*") if p.is_file())
    assert files, f"no sample feeds under {sample_feeds}"
    return [(p, p.read_bytes()) for p in files]


def sample_feed_files(sample_feeds: Path, root: bytes) -> list[tuple[Path, bytes]]:
    """Sample files that sniff as feeds and whose bytes contain `root`."""
    return [
        (p, data)
        for p, data in sample_documents(sample_feeds)
        if sniff(data, p.name).kind == "feed" and root in data
    ]


# -- the bundled samples ---------------------------------------------------------------


def test_sample_wordpress_rss_parses_with_full_html_and_several_tags(sample_feeds: Path) -> None:
    """An RSS feed with content:encoded gives full HTML bodies and several categories each."""
    found = [(p, d) for p, d in sample_feed_files(sample_feeds, b"<rss") if b"content:encoded" in d]
    assert found, "no WordPress-shaped RSS feed among the samples"
    for path, data in found:
        feed = parse_feed(data, str(path))
        assert feed.kind == "feed"
        assert feed.title
        assert len(feed.articles) >= 1
        for article in feed.articles:
            assert article.title
            assert article.uid
            assert len(article.tags) >= 2, article.title
            assert "<p>" in article.html
            assert article.published is not None
        assert any("<h2" in a.html and "<ol" in a.html for a in feed.articles), (
            "no article ends with a numbered references list"
        )


def test_sample_atom_feed_parses(sample_feeds: Path) -> None:
    """An Atom 1.0 feed gives titled articles with bodies."""
    found = sample_feed_files(sample_feeds, b'http://www.w3.org/2005/Atom"')
    found = [(p, d) for p, d in found if b"<feed" in d]
    assert found, "no Atom feed among the samples"
    for path, data in found:
        feed = parse_feed(data, str(path))
        assert feed.title
        assert len(feed.articles) >= 1
        assert all(a.title and a.html and a.uid for a in feed.articles)
        assert all(a.published is not None for a in feed.articles)


def test_sample_summaries_only_rss_parses(sample_feeds: Path) -> None:
    """An RSS feed with only descriptions still gives an HTML body per article."""
    found = [
        (p, d) for p, d in sample_feed_files(sample_feeds, b"<rss") if b"content:encoded" not in d
    ]
    assert found, "no summaries-only RSS feed among the samples"
    for path, data in found:
        feed = parse_feed(data, str(path))
        assert len(feed.articles) >= 1
        assert all(a.title and a.html.strip() for a in feed.articles)
        assert any(a.tags for a in feed.articles)


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html"])
def test_sample_standalone_articles_parse(sample_feeds: Path, suffix: str) -> None:
    """Every standalone sample article of each kind becomes one titled article with a body."""
    files = sorted(p for p in sample_feeds.rglob(f"*{suffix}") if p.is_file())
    assert files, f"no {suffix} article among the samples"
    for path in files:
        scan = scan_local(str(path))
        assert scan.problems == []
        [(feed, _digest)] = scan.documents
        assert feed.kind == "articles"
        [article] = feed.articles
        assert article.title and article.title != path.stem, path
        assert len(article.html) > 200, path
        if suffix == ".md" and path.read_text(encoding="utf-8").startswith("---"):
            assert article.tags, f"{path}: front matter tags were not read"


def test_sample_collection_is_big_enough(sample_feeds: Path) -> None:
    """The samples hold at least three feeds and twelve articles in all."""
    scan = scan_local(str(sample_feeds))
    feeds = [f for f, _ in scan.documents if f.kind == "feed"]
    assert len(feeds) >= 3
    assert sum(len(f.articles) for f, _ in scan.documents) >= 12
    assert [p for p in scan.problems if not p.skipped] == []


# -- sniffing: content, not names ---------------------------------------------------------


@pytest.mark.parametrize("name", ["feed.txt", "feed", "feed.html", "feed.md", "feed.xml"])
def test_a_feed_is_a_feed_whatever_its_name(name: str) -> None:
    """RSS bytes sniff as a feed under any file name."""
    assert sniff(rss(item(1)).encode(), name).kind == "feed"


@pytest.mark.parametrize(
    "document",
    [
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title></feed>',
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"></rdf:RDF>',
        "\ufeff<?xml version='1.0'?>\n<!-- a comment -->\n<rss version='2.0'></rss>",
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "b">]><rss></rss>',
    ],
    ids=["atom", "rdf", "bom-and-comment", "doctype"],
)
def test_feed_roots_are_recognised_after_prologs(document: str) -> None:
    """Atom, RDF and RSS roots are found after BOMs, declarations, comments and DOCTYPEs."""
    assert sniff(document.encode("utf-8")).kind == "feed"


def test_a_feed_after_a_long_comment_is_still_a_feed() -> None:
    """A prolog longer than the sniffing window does not turn a feed into text."""
    document = rss(item(1), prolog="<!--" + "padding " * 8000 + "-->")
    assert sniff(document.encode()).kind == "feed"


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE rss " + b"[a]" * 3000,
        b"<!DOCTYPE rss [" + b"]" * 50_000,
        b"<?xml " + b"?" * 100_000,
        b"<!--" + b"-" * 100_000,
    ],
    ids=["doctype-brackets", "doctype-closers", "declaration", "comment"],
)
def test_sniffing_an_unterminated_prolog_takes_bounded_time(data: bytes) -> None:
    """Pathological prologs are sniffed in linear time (run in a subprocess with a deadline)."""
    code = (
        "import sys; from ketaread.core.parse import sniff; "
        "print(sniff(sys.stdin.buffer.read()).kind)"
    )
    done = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, timeout=20)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in (b"text", b"feed")


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"", "empty"),
        (b"  \n\t\n", "empty"),
        (bytes(range(256)) * 8, "binary"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary"),
        (b"A title\n\nSome text.", "text"),
        (b"# A heading\n\nSome text.", "markdown"),
        (b"<!DOCTYPE html><html><head><title>T</title></head></html>", "html"),
        (b'{"title": "json is data"}', "json"),
    ],
    ids=["empty", "blank", "all-bytes", "png", "text", "markdown", "html", "json"],
)
def test_sniff_kinds(data: bytes, kind: str) -> None:
    """Each kind of document is told apart by its bytes."""
    assert sniff(data).kind == kind


def test_a_feed_with_stray_nul_bytes_and_escapes_is_read_and_cleaned() -> None:
    """A few NUL bytes do not make a feed 'binary'; what it says is kept, cleaned."""
    data = rss(item(1, title="Clear\x1b[2J screen") + item(2, title="Nul\x00 byte")).encode()
    data = data.replace(b"<channel>", b"<channel>\x00\x00")
    assert sniff(data, "raw.xml").kind == "feed"
    feed = parse_feed(data, "raw.xml")
    assert [a.title for a in feed.articles] == ["Clear screen", "Nul byte"]


def test_markdown_is_told_by_name_when_content_is_ambiguous() -> None:
    """A .md file without headings or front matter is still Markdown."""
    assert sniff(b"Just *emphasis* here.", "note.md").kind == "markdown"
    assert sniff(b"Just *emphasis* here.", "note.txt").kind == "text"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_unicode_encodings_with_and_without_bom_parse(encoding: str) -> None:
    """UTF-16 and UTF-32 feeds (BOM or the '<' byte pattern) give correct text."""
    declared = {"utf-8-sig": "UTF-8"}.get(encoding, encoding.upper())
    document = rss(item(1, title="Plasticité – 可塑性"), title="Codé").replace("UTF-8", declared)
    data = document.encode(encoding)
    assert sniff(data).kind == "feed"
    feed = parse_feed(data, "enc.xml")
    assert feed.title == "Codé"
    assert [a.title for a in feed.articles] == ["Plasticité – 可塑性"]


def test_utf8_bytes_declared_as_latin1_are_read_as_utf8() -> None:
    """A wrong encoding declaration does not turn valid UTF-8 into mojibake."""
    document = rss(item(1, title="Нейропластичность · 神经 · 🧠"), title="Plasticité 🧠")
    data = document.replace("UTF-8", "ISO-8859-1").encode("utf-8")
    feed = parse_feed(data, "mislabelled.xml")
    assert feed.title == "Plasticité 🧠"
    assert [a.title for a in feed.articles] == ["Нейропластичность · 神经 · 🧠"]


def test_decode_text_falls_back_to_windows_1252() -> None:
    """Bytes that are not UTF-8 still decode to something readable."""
    assert decode_text("café – ok".encode("cp1252")) == "café – ok"


# -- feeds -------------------------------------------------------------------------------


def test_rss_item_fields_are_kept() -> None:
    """Title, link, author, date, categories and content:encoded body are all kept."""
    extra = (
        "<author>ed@example.org (Ed Itor)</author><pubDate>Tue, 10 Jun 2025 10:00:00 +0000"
        "</pubDate><category>NMDA receptors</category><category>Glutamate</category>"
        "<category>BDNF</category><content:encoded><![CDATA[<p>Full <b>body</b> "
        "(National Institutes of Health).</p><script>x()</script>]]></content:encoded>"
    )
    feed = parse_feed(rss(item(7, extra=extra)).encode(), "/tmp/feed.xml")
    [article] = feed.articles
    assert feed.title == "Test channel"
    assert article.uid == "id-7"
    assert article.title == "Item number 7"
    assert article.link == "https://example.org/7"
    assert "Ed Itor" in article.author
    assert article.published == 1749549600.0
    assert article.tags == ["NMDA receptors", "Glutamate", "BDNF"]
    assert "<b>body</b>" in article.html
    assert "(National Institutes of Health)" in article.html
    assert "<script" not in article.html and "x()" not in article.html


def test_duplicate_ids_in_one_feed_give_one_article_and_a_warning() -> None:
    """Items repeating a guid are skipped, and the user is told."""
    items = item(1, guid="same") + item(2, guid="same") + item(3)
    feed = parse_feed(rss(items).encode(), "dups.xml")
    assert [a.uid for a in feed.articles] == ["same", "id-3"]
    assert any("repeated an id" in w for w in feed.warnings)


def test_items_without_guid_use_link_then_a_stable_hash() -> None:
    """The id falls back to the link, then to a hash that is the same on every parse."""
    items = (
        "<item><title>Linked</title><link>https://example.org/linked</link></item>"
        "<item><title>Bare</title><description>Only a body</description></item>"
    )
    first = parse_feed(rss(items).encode(), "ids.xml")
    second = parse_feed(rss(items).encode(), "ids.xml")
    assert first.articles[0].uid == "https://example.org/linked"
    assert first.articles[1].uid.startswith("sha1:")
    assert [a.uid for a in first.articles] == [a.uid for a in second.articles]


def test_untitled_items_take_their_first_words_or_a_placeholder() -> None:
    """A missing title never leaves an empty row."""
    items = (
        "<item><guid>a</guid><description>Words that start the body</description></item>"
        "<item><guid>b</guid></item>"
    )
    feed = parse_feed(rss(items).encode(), "untitled.xml")
    assert feed.articles[0].title == "Words that start the body"
    assert feed.articles[1].title == "(untitled)"


@pytest.mark.parametrize(
    "date",
    [
        "",
        "not a date",
        "Mon, 01 Jan 0000 00:00:00 +0000",
        "Fri, 31 Dec 9999 23:59:59 +0000",
        "Tue, 10 Jun 2025 10:00:00 +9999",
        "2025-13-45T99:99:99Z",
        "-1",
    ],
)
def test_garbage_dates_never_crash_and_are_none_or_believable(date: str) -> None:
    """A published date is either missing or a believable moment."""
    feed = parse_feed(rss(item(1, extra=f"<pubDate>{date}</pubDate>")).encode(), "dates.xml")
    published = feed.articles[0].published
    assert published is None or 0 <= published < 4102444800  # before 2100


def test_too_many_items_are_capped_with_a_warning() -> None:
    """A feed with more items than the cap keeps the first ones and says so."""
    count = MAX_ITEMS_PER_FEED + 10
    feed = parse_feed(rss("".join(item(n) for n in range(count))).encode(), "many.xml")
    assert len(feed.articles) == MAX_ITEMS_PER_FEED
    assert feed.articles[0].uid == "id-0"
    assert feed.articles[-1].uid == f"id-{MAX_ITEMS_PER_FEED - 1}"
    assert feed.warnings == [f"{count:,} items; kept the first {MAX_ITEMS_PER_FEED:,}"]


def test_capped_atom_feed_keeps_its_title_and_first_entries() -> None:
    """Cutting an over-long Atom feed keeps it well formed: title, entries, no bozo."""
    entries = "".join(
        f"<entry><id>e{n}</id><title>Entry {n}</title></entry>"
        for n in range(MAX_ITEMS_PER_FEED + 5)
    )
    atom = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>Long atom</title>{entries}</feed>'
    feed = parse_feed(atom.encode(), "long.atom")
    assert feed.title == "Long atom"
    assert [a.uid for a in feed.articles[:2]] == ["e0", "e1"]
    assert len(feed.articles) == MAX_ITEMS_PER_FEED
    assert not any("malformed" in w for w in feed.warnings)


def test_recoverable_malformed_feed_keeps_what_parsed_and_says_so() -> None:
    """Bozo feeds with items are kept with a warning."""
    data = rss(item(1) + item(2, title="Q&A and AT&T")).encode()
    feed = parse_feed(data, "bozo.xml")
    assert len(feed.articles) == 2
    assert any("malformed" in w for w in feed.warnings)


def test_truncated_feed_keeps_complete_items() -> None:
    """A download that stopped early still gives the items before the cut."""
    data = rss(item(1) + item(2) + item(3)).encode()
    cut = data[: data.index(b"<guid>id-3")]
    feed = parse_feed(cut, "truncated.xml")
    assert [a.uid for a in feed.articles][:2] == ["id-1", "id-2"]
    assert any("malformed" in w for w in feed.warnings)


def test_unreadable_feed_raises_not_a_feed() -> None:
    """A feed root with nothing readable is refused with a reason."""
    with pytest.raises(NotAFeed, match="malformed"):
        parse_feed(b"<rss><<<<&&&&", "broken.xml")


def test_external_entities_are_never_resolved(tmp_path: Path) -> None:
    """A SYSTEM entity pointing at a local file never brings its content in."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    prolog = f'<!DOCTYPE rss [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
    data = rss(item(1, title="Leak &x;"), prolog=prolog).encode()
    feed = parse_feed(data, "xxe.xml")
    everything = repr(feed)
    assert "TOP-SECRET-CONTENT" not in everything


def test_feed_fields_are_cleaned_of_controls() -> None:
    """Title, author, tags, feed title and body never keep control characters."""
    extra = (
        "<author>a&#x202e;b</author><category>ta&#x200b;g</category>"
        "<content:encoded><![CDATA[<p>bo&#x1b;[2Jdy\x7f</p>]]></content:encoded>"
    )
    data = rss(item(1, extra=extra, title="ti&#x9b;2Jtle"), title="fe&#x202e;ed").encode()
    feed = parse_feed(data, "ctl.xml")
    [article] = feed.articles
    for text in (feed.title, article.title, article.author, article.html, *article.tags):
        assert not any(
            (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F or c in "\u202e\u200b"
            for c in text
        ), repr(text)
    assert "bo" in article.html and "dy" in article.html


# -- standalone articles ---------------------------------------------------------------


def article_from(text: str, name: str) -> tuple[str, list[str], str]:
    """(title, tags, html) of a standalone article file's text."""
    sniffed = sniff(text.encode(), name)
    article = parse_article(sniffed, uid="file:" + name, fallback_title=Path(name).stem, mtime=1.0)
    return article.title, article.tags, article.html


def test_plain_text_title_is_the_first_non_empty_line() -> None:
    """Plain text: the first non-empty line is the title, the rest the body."""
    title, tags, html = article_from(
        "\n\n  Ketamine and the Brain  \n\nGlutamate https://example.org/x.\n", "a.txt"
    )
    assert title == "Ketamine and the Brain"
    assert tags == []
    assert "Ketamine and the Brain" not in html
    assert '<a href="https://example.org/x">' in html


def test_markdown_front_matter_gives_title_and_tags() -> None:
    """Markdown: front matter title and tags (inline list or block list)."""
    inline = (
        "---\ntitle: \"Front Title\"\ntags: [BDNF, 'NMDA receptors']\n---\n\n# Front Title\n\nBody."
    )
    title, tags, html = article_from(inline, "a.md")
    assert (title, tags) == ("Front Title", ["BDNF", "NMDA receptors"])
    assert "Front Title" not in html and "Body." in html
    block = "---\ntitle: Block\ntags:\n  - glutamate\n  - AMPA\n---\nText."
    assert article_from(block, "b.md")[:2] == ("Block", ["glutamate", "AMPA"])


def test_markdown_without_front_matter_takes_the_first_heading() -> None:
    """Markdown: the first heading is the title."""
    title, _tags, html = article_from("Intro line\n\n## The Heading\n\nText.", "c.md")
    assert title == "The Heading"
    assert "Intro line" in html


def test_html_article_title_from_title_else_h1() -> None:
    """HTML: <title>, else the first <h1>; scripts never reach the body."""
    with_title = "<html><head><title>Page Title</title></head><body><p>Text</p></body></html>"
    assert article_from(with_title, "a.html")[0] == "Page Title"
    with_h1 = "<html><body><h1>Heading One</h1><p>Text</p><script>bad()</script></body></html>"
    title, _tags, html = article_from(with_h1, "b.html")
    assert title == "Heading One"
    assert "bad()" not in html and "Heading One" not in html


def test_article_without_any_title_uses_a_cleaned_file_name() -> None:
    """The file-name fallback title is cleaned like every other stored string."""
    title, _tags, _html = article_from("<p>no title</p>", "\x1b]0;pwned\x07evil\u202e.html")
    assert title == "evil"


def test_standalone_article_returns_a_parsed_feed_of_kind_articles(tmp_path: Path) -> None:
    """A single article file is stored as an 'articles' feed holding it."""
    path = tmp_path / "note.txt"
    path.write_text("A note\nBody")
    [(feed, _digest)] = scan_local(str(path)).documents
    assert isinstance(feed, ParsedFeed)
    assert feed.kind == "articles"
    assert [a.title for a in feed.articles] == ["A note"]


def test_bom_is_not_part_of_a_text_title() -> None:
    """A UTF-8 BOM never ends up in the title."""
    data = codecs.BOM_UTF8 + b"Titled\nbody"
    article = parse_article(sniff(data, "x.txt"), uid="u", fallback_title="x", mtime=None)
    assert article.title == "Titled"


def test_a_lone_surrogate_reference_is_one_clear_error(tmp_path: Path) -> None:
    """ "&#xD800;" made feedparser's loose parser raise UnicodeEncodeError: `ketaread
    refresh` of a local file ended in a traceback. Now the file is reported, others read."""
    bad = rss(item(1, title="a&#xD800;b")).encode()
    with pytest.raises(NotAFeed, match="UnicodeEncodeError"):
        parse_feed(bad, "bad.xml")
    (tmp_path / "bad.xml").write_bytes(bad)
    (tmp_path / "good.xml").write_bytes(rss(item(2)).encode())
    scan = scan_local(str(tmp_path))
    assert [Path(p.location).name for p in scan.problems] == ["bad.xml"]
    assert "UnicodeEncodeError" in scan.problems[0].reason
    assert [feed.title for feed, _digest in scan.documents] == ["Test channel"]
