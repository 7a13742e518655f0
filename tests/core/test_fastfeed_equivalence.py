"""The fast path (lxml) and feedparser store the same articles wherever the fast path accepts.

Every field ketaread stores from a parsed feed is compared — the feed's title, link and
warnings; each article's id, title, link, author, date, tags, sanitised body, base URL,
enclosures and its search-index text and abbreviations — on feedparser's own test documents,
the hostile fixtures, generated hostile shapes, the bundled samples, make_corpus.py feeds
and the shared real feeds.
"""

from __future__ import annotations

import html as H
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from ketaread.core import parse as parse_module
from ketaread.core.fastfeed import read_well_formed
from ketaread.core.models import ParsedFeed
from ketaread.core.parse import NotAFeed, _cap_items, _limit_fields, parse_feed
from ketaread.core.search import prepare_index

BASE = "https://feeds.example.org/path/feed.xml"
HERE = Path(__file__).resolve()
FIXTURES = HERE.parents[1] / "fixtures"
FEEDPARSER_SUBSET = FIXTURES / "feedparser"
SAMPLES = HERE.parents[2] / "sample_feeds"


def _shared() -> Path | None:
    """The shared material (make_corpus.py, real feeds) beside the checkout, if any."""
    if os.environ.get("KETAREAD_SHARED"):
        return Path(os.environ["KETAREAD_SHARED"])
    for parent in HERE.parents:
        if (parent / "shared" / "bench" / "make_corpus.py").is_file():
            return parent / "shared"
    return None


def _stored(data: bytes, fast: bool, base: str = BASE) -> ParsedFeed | tuple[str, str]:
    """What a refresh would store from `data`, or the error it would report."""
    try:
        parsed = parse_feed(data, "feed.xml", base, fast=fast)
    except NotAFeed as error:
        return ("NotAFeed", str(error))
    prepare_index(parsed)  # the search text and abbreviations are stored too
    return parsed


def _accepted(data: bytes, base: str = BASE) -> bool:
    return read_well_formed(_limit_fields(_cap_items(data)[0]), base) is not None


def _compare(documents: list[tuple[str, bytes]], base: str = BASE) -> tuple[list[str], list[str]]:
    """(names the fast path accepted, names where the two paths differ)."""
    accepted: list[str] = []
    differ: list[str] = []
    for name, data in documents:
        if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
            continue  # JSON Feed: neither path
        if not _accepted(data, base):
            continue
        accepted.append(name)
        if _stored(data, True, base) != _stored(data, False, base):
            differ.append(name)
    return accepted, differ


def _files(root: Path) -> list[tuple[str, bytes]]:
    return [
        (str(path.relative_to(root)), path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.suffix not in (".md", ".py") and path.name != "LICENSE"
    ]


def test_feedparser_subset_is_read_the_same() -> None:
    """The committed feedparser documents all take the fast path and store the same."""
    documents = _files(FEEDPARSER_SUBSET)
    accepted, differ = _compare(documents)
    assert differ == []
    assert len(accepted) == len(documents) == 156


@pytest.mark.skipif(
    not os.environ.get("KETAREAD_FEEDPARSER_TESTS"),
    reason="KETAREAD_FEEDPARSER_TESTS (feedparser's sdist tests/ folder) not set",
)
def test_feedparser_whole_corpus_is_read_the_same() -> None:
    """feedparser's whole test corpus: wherever the fast path accepts, the same articles."""
    documents = _files(Path(os.environ["KETAREAD_FEEDPARSER_TESTS"]))
    accepted, differ = _compare(documents)
    assert differ == []
    assert len(accepted) > 500


def _generated_hostile() -> list[tuple[str, bytes]]:
    """Hostile shapes built here: over the item cap, deep nesting, many attributes."""
    each = [
        f"<item><title>Item {i}</title><guid>g-{i}</guid><description>d {i}</description></item>"
        for i in range(parse_module.MAX_ITEMS_PER_FEED + 50)
    ]
    items = "".join(each)
    repeated = "".join(each[:30] * 2)
    deep = "<div>" * 3000 + "deep" + "</div>" * 3000
    attributes = " ".join(f'a{i}="x"' for i in range(2000))
    rss = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>{}'
    return [
        ("over-cap", (rss.format(items) + "</channel></rss>").encode()),
        (
            "deep-escaped",
            rss.format(
                f"<item><title>x</title><description>{deep.replace('<', '&lt;')}"
                "</description></item>"
            ).encode()
            + b"</channel></rss>",
        ),
        (
            "deep-elements",
            rss.format(f"<item><title>x</title><description>{deep}</description></item>").encode()
            + b"</channel></rss>",
        ),
        (
            "many-attributes",
            rss.format(f"<item {attributes}><title>x</title></item>").encode()
            + b"</channel></rss>",
        ),
        ("duplicate-guids", rss.format(repeated).encode() + b"</channel></rss>"),
    ]


def test_hostile_documents_are_read_the_same() -> None:
    """Hostile fixtures: wherever the fast path accepts, the same; entities never take it."""
    documents = _files(FIXTURES / "hostile") + _generated_hostile()
    accepted, differ = _compare(documents)
    assert differ == []
    for name in accepted:
        assert "entity" not in name and "laughs" not in name
    # Well-formed RSS of the hostile set is read fast: markup titles, escapes, dates.
    assert {"markup-titles.xml", "escape-sequences.xml", "garbage-dates.xml"} <= set(accepted)
    assert {"over-cap", "deep-escaped", "duplicate-guids"} <= set(accepted)


def test_samples_make_corpus_and_real_feeds_are_read_the_same(tmp_path: Path) -> None:
    """The bundled samples, make_corpus.py feeds and the shared real feeds."""
    documents = _files(SAMPLES)
    shared = _shared()
    corpus: list[tuple[str, bytes]] = []
    if shared is not None:
        subprocess.run(
            [sys.executable, str(shared / "bench" / "make_corpus.py"), str(tmp_path), "6", "20"],
            check=True,
        )
        corpus = _files(tmp_path)
        documents += corpus + _files(shared / "real-feeds")
    accepted, differ = _compare(documents)
    assert differ == []
    # neuroscience-notes.atom has an xml:base on its root, as WordPress's Atom feeds do.
    samples = {"research-digest.rss", "clinic-learning-center.xml", "neuroscience-notes.atom"}
    assert samples <= set(accepted)
    assert {name for name, _ in corpus} <= set(accepted)


@pytest.mark.parametrize(
    "base",
    ["", (SAMPLES / "x.xml").as_uri(), "https://a.example/", "javascript:alert(1)", "rel/x.xml"],
)
def test_bases_are_joined_as_feedparser_joins_them(base: str) -> None:
    """Local files (file:/// bases, which feedparser rewrites), no base, odd bases."""
    documents = _files(SAMPLES) + _files(FEEDPARSER_SUBSET / "wellformed" / "base")
    accepted, differ = _compare(documents, base)
    assert differ == []
    samples = {"research-digest.rss", "clinic-learning-center.xml", "neuroscience-notes.atom"}
    assert samples <= set(accepted)


def test_parse_feed_uses_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """A well-formed RSS feed is read without feedparser; a malformed one still with it."""
    import feedparser

    calls: list[int] = []
    real = feedparser.parse

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(feedparser, "parse", counting)
    data = (SAMPLES / "research-digest.rss").read_bytes()
    feed = parse_feed(data, "research-digest.rss", BASE)
    assert feed.articles and calls == []
    parse_feed(data.replace(b"</channel>", b"</chanel>"), "broken.rss", BASE)
    assert calls == [1]


RSS = (
    '<?xml version="1.0" encoding="{encoding}"?>{prolog}<rss version="2.0"{ns}><channel>'
    "<title>T</title>{channel}<item><title>A</title><link>https://example.org/a</link>{item}"
    "</item></channel></rss>"
)


def _rss(
    item: str = "", channel: str = "", ns: str = "", prolog: str = "", encoding: str = "UTF-8"
) -> bytes:
    return RSS.format(item=item, channel=channel, ns=ns, prolog=prolog, encoding=encoding).encode(
        "utf-8"
    )


MEDIA = ' xmlns:media="http://search.yahoo.com/mrss/"'


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            _rss(prolog='<!DOCTYPE rss [<!ENTITY e "x">]>', item="<p>&e;</p>"), id="doctype"
        ),
        pytest.param(_rss(item="<description>&nbsp;</description>"), id="html-entity"),
        pytest.param(_rss(channel='<link xml:base="https://b.example/">x</link>'), id="xml-base"),
        pytest.param(_rss(item="<media:title>M</media:title>", ns=MEDIA), id="media-title"),
        pytest.param(_rss(item="<title>B</title>"), id="second-title"),
        pytest.param(_rss(item='<description type="text/plain">x</description>'), id="typed"),
        pytest.param(_rss(item='<enclosure href="https://e.example/a.mp3"/>'), id="enclosure-href"),
        pytest.param(_rss(item="<source>S</source>"), id="source"),
        pytest.param(_rss(item="<x:y xmlns:x='urn:unknown'>z</x:y>"), id="unknown-namespace"),
        pytest.param(_rss(ns=' xmlns:r="http://purl.org/rss/1.0/"'), id="rss10-namespace"),
        pytest.param(_rss(encoding="ISO-8859-1"), id="latin-1"),
        pytest.param(b"\xef\xbb\xbf" + _rss(), id="bom"),
        pytest.param(_rss().replace(b'version="2.0"', b'version="0.91"'), id="rss-0.91"),
        pytest.param(_rss().replace(b"</item>", b"</itm>"), id="malformed"),
        pytest.param(
            b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="xhtml">'
            b'<div xmlns="http://www.w3.org/1999/xhtml">x</div></content></entry></feed>',
            id="atom-xhtml",
        ),
        pytest.param(b'<feed version="0.3" xmlns="http://purl.org/atom/ns#"></feed>', id="atom03"),
        pytest.param(
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
            b' xmlns="http://purl.org/rss/1.0/"><channel><title>T</title></channel></rdf:RDF>',
            id="rdf",
        ),
    ],
)
def test_what_the_fast_path_leaves_to_feedparser(data: bytes) -> None:
    """Documents the fast path is not sure of go to feedparser, and still parse the same."""
    assert read_well_formed(data, BASE) is None
    assert _stored(data, fast=True) == _stored(data, fast=False)


def test_the_fast_path_accepts_the_plain_case() -> None:
    """The well-formed shape the declined cases above are variations of is accepted."""
    assert read_well_formed(_rss(), BASE) is not None


# -- random documents: every combination of the fields the fast path reads -----------------

PIECES_RSS_ITEM = [
    "<title>{t}</title>",
    "<title></title>",
    "<link>{u}</link>",
    "<link>  </link>",
    "<link>rel/{w}?a=1&amp;b=2</link>",
    "<link>{u}?a=1&amp;amp;b=2&amp;c_d;e</link>",
    "<guid>{u}</guid>",
    '<guid isPermaLink="false">{w}</guid>',
    '<guid isPermaLink="true">rel/{w}</guid>',
    "<guid></guid>",
    "<description>{h}</description>",
    "<description><![CDATA[{r}]]></description>",
    "<description></description>",
    "<content:encoded><![CDATA[{r}]]></content:encoded>",
    "<content:encoded>  </content:encoded>",
    "<author>{e}</author>",
    "<dc:creator>{t}</dc:creator>",
    "<pubDate>{d}</pubDate>",
    "<dc:date>{d}</dc:date>",
    "<category>{t}</category>",
    '<category domain="x">{t}</category>',
    '<category domain="y"></category>',
    "<category></category>",
    '<enclosure url="{u}.mp3" length="{n}" type="Audio/MPEG"/>',
    '<enclosure url="rel/{w}.mp3"/>',
    '<enclosure url="" type="a/b"/>',
    "<itunes:duration>{dur}</itunes:duration>",
    "<comments>{u}</comments>",
    "<wfw:commentRss>{u}</wfw:commentRss>",
    "<!-- c -->",
]
PIECES_ATOM_ENTRY = [
    "<title>{t}</title>",
    '<title type="html">{h}</title>',
    '<title type="text"></title>',
    "<id>{u}</id>",
    "<id>rel/{w}</id>",
    "<id></id>",
    '<link href="{u}"/>',
    '<link rel="alternate" type="text/html" href="rel/{w}"/>',
    '<link rel="enclosure" href="{u}.mp3" length="{n}"/>',
    '<link rel="related" href="{u}"/>',
    '<link rel="alternate" type="application/pdf" href="{u}.pdf"/>',
    '<link href="{u}" type="HTML"/>',
    "<published>{d}</published>",
    "<updated>{d}</updated>",
    "<author><name>{t}</name></author>",
    "<author><name>{t}</name><email>{e}</email></author>",
    "<author><email>{e}</email></author>",
    "<author><uri>{u}</uri></author>",
    "<author><name></name><email>{e}</email></author>",
    '<category term="{t}"/>',
    '<category term="" label="{t}"/>',
    '<category scheme="s" term="{t}"/>',
    "<summary>{t2}</summary>",
    '<summary type="html">{h}</summary>',
    '<content type="html">{h}</content>',
    "<content>{t2}</content>",
    '<content type="text/html">{h}</content>',
    "<content></content>",
    "<contributor><name>{t}</name></contributor>",
    "<rights>{t}</rights>",
]
TEXTS = [
    "Plain title",
    "  spaced  \n title ",
    "Caf\u00e9 \u00e9t\u00e9",
    "Ã©tÃ© mojibake",
    "c1 \u0080\u0093\u009d ctl",
    "emoji \U0001f600",
    "&amp;lt;b&amp;gt;esc",
    "a &amp; b",
    "\u202eRTL",
    "tab\there",
    "x [/] y",
    "Dr. X (x@y.org)",
    "ALLCAPS (NMDA)",
    "",
]
DATES = [
    "Wed, 13 May 2026 04:01:00 +0000",
    "2026-05-13T04:01:00Z",
    "2026-05-13",
    "garbage",
    "",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "9999-12-31T00:00:00Z",
    "13 May 2026",
    "2026-05-13T04:01:00+25:00",
    "Wed, 13 May 26 04:01 EST",
]


def _fill(s: str, rng: random.Random) -> str:
    """A piece with random values: text, URLs, HTML, e-mails, dates, lengths, durations."""
    t = rng.choice(TEXTS)
    return s.format(
        t=H.escape(t),
        t2=H.escape(rng.choice(TEXTS)),
        u=rng.choice(
            [
                "https://e.org/a",
                "http://e.org/b?x=1&amp;y=2",
                "//e.org/c",
                "urn:uuid:1234",
                "tag:e.org,2026:1",
                "javascript:alert(1)",
                "file:///etc/passwd",
                "https://e.org/caf\u00e9",
            ]
        ),
        w=rng.choice(["p1", "a/b", "../up", "?q=1", "#frag", "caf\u00e9"]),
        h=H.escape(
            rng.choice(
                [
                    "<p>para (TRD) is treatment-resistant depression (TRD)</p>",
                    "<b>bold</b> https://bare.example/x.",
                    "text only",
                    "<script>x</script>ok",
                    "<p>\u00e9t\u00e9</p>",
                ]
            )
        ),
        r=rng.choice(
            [
                "<p>raw <a href='x'>link</a></p>",
                "<h2>References</h2><ol><li>Ref https://doi.org/1</li></ol>",
                "plain text\n\nsecond para",
                "<p>Ã©</p>",
            ]
        ),
        e=rng.choice(["x@y.org", "X Y <x@y.org>", "x@y.org (X Y)", "name only", ""]),
        d=rng.choice(DATES),
        n=rng.choice(["123", "", "abc", "99999999999999999999"]),
        dur=rng.choice(["1:02:03", "59:30", "3600", "x", ""]),
    )


def _random_rss(rng: random.Random) -> bytes:
    """A random RSS 2.0 document."""
    items = []
    for _ in range(rng.randint(0, 4)):
        ps = rng.sample(PIECES_RSS_ITEM, rng.randint(0, 8))
        items.append("<item>" + "".join(_fill(p, rng) for p in ps) + "</item>")
    ch = _fill(rng.choice(["<title>{t}</title>", "", "<title></title>"]), rng) + _fill(
        rng.choice(["<link>{u}</link>", "", "<link>rel/{w}</link>", "<link>{u}?a&amp;b_c;</link>"]),
        rng,
    )
    extra = rng.choice(
        [
            "",
            '<atom:link href="{u}" rel="self" type="application/rss+xml"/>',
            "<image><url>{u}</url><title>IMG</title><link>{u}</link></image>",
            "<description>{t}</description><language>en</language>",
            "<sy:updatePeriod>hourly</sy:updatePeriod>",
        ]
    )
    parts = [ch, _fill(extra, rng), *items]
    if rng.random() < 0.3:
        rng.shuffle(parts)
    decl = rng.choice(['<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0"?>', ""])
    return (
        decl
        + '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        + ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom"'
        + ' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
        + ' xmlns:wfw="http://wellformedweb.org/CommentAPI/"'
        + ' xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel>'
        + "".join(parts)
        + "</channel></rss>"
    ).encode("utf-8")


def _random_atom(rng: random.Random) -> bytes:
    """A random Atom 1.0 document."""
    es = []
    for _ in range(rng.randint(0, 4)):
        ps = rng.sample(PIECES_ATOM_ENTRY, rng.randint(0, 8))
        es.append("<entry>" + "".join(_fill(p, rng) for p in ps) + "</entry>")
    head = [
        _fill(x, rng)
        for x in rng.sample(
            [
                "<title>{t}</title>",
                '<link href="{u}"/>',
                '<link rel="self" href="{u}"/>',
                "<id>{u}</id>",
                "<updated>{d}</updated>",
                "<author><name>{t}</name></author>",
                "<subtitle>{t}</subtitle>",
            ],
            rng.randint(0, 5),
        )
    ]
    parts = head + es
    if rng.random() < 0.3:
        rng.shuffle(parts)
    base = rng.choice(
        ["", ' xml:base="https://b.example/dir/"', ' xml:base="rel/"', ' xml:lang="en"']
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
        + base
        + ">"
        + "".join(parts)
        + "</feed>"
    ).encode("utf-8")


@pytest.mark.parametrize("seed", range(3))
def test_random_documents_are_read_the_same(seed: int) -> None:
    """Random RSS and Atom documents built from the fields the fast path reads (missing,
    empty, repeated, reordered, relative, mojibake, C1 controls, odd dates and bases)."""
    rng = random.Random(seed)
    documents = [(f"{seed}-{i}", (_random_rss if i % 2 else _random_atom)(rng)) for i in range(150)]
    accepted, differ = _compare(documents)
    assert differ == []
    assert len(accepted) > 50
