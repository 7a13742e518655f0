"""A parse worker's faster passes give exactly what the slower ones they replaced gave.

Each reference below is the code as it was before (ketaread d3e6b88), kept as the
specification; random documents built from the pieces that matter to each pass (tags in
any case, entities and character references, control characters, every kind of space)
must come out the same from both.
"""

from __future__ import annotations

import html as html_lib
import random
import re

import pytest

from ketaread.core import search
from ketaread.core.clean import (
    _drop_unparsable_links,
    _sanitiser,
    clean_html,
    clean_text,
    link_bare_urls,
)
from ketaread.core.shapes import MAX_ATTRIBUTES, hostile_shape

REFERENCE_BLOCK = re.compile(
    r"</?(?:p|div|li|ol|ul|br|tr|td|th|table|blockquote|pre|section|article|header|footer|"
    r"figure|figcaption|dt|dd|dl|hr|h[1-6]|aside|nav|details|summary)\b[^>]*>",
    re.I,
)


def reference_text(fragment: str) -> str:
    """`search._text` before: each line checked on its own."""
    fragment = search._TAG.sub("", REFERENCE_BLOCK.sub("\n", fragment))
    if "&" in fragment:
        fragment = html_lib.unescape(fragment)
    lines = []
    for line in fragment.split("\n"):
        if not line:
            continue
        if not (line.isprintable() and "  " not in line and line[0] != " " and line[-1] != " "):
            line = " ".join(line.split())
            if not line:
                continue
        lines.append(line)
    return "\n\n".join(lines)


def reference_clean_html(html: str) -> str:
    """`clean_html` before: the sanitiser's output always cleaned again."""
    if not html:
        return ""
    cleaned = _sanitiser().clean(clean_text(html[:2_000_000]))
    return link_bare_urls(_drop_unparsable_links(clean_text(cleaned)))


def reference_hostile_shape(body: bytes) -> str | None:
    """`hostile_shape` before: the long-tag scan on every body."""
    for match in re.finditer(rb"<(?![!?])[^<>]{2048,}>", body):
        if match.group().count(b"=") > MAX_ATTRIBUTES:
            return "refused"
    return None


TAG_NAMES = [
    *(
        [
            "p",
            "div",
            "li",
            "ol",
            "ul",
            "br",
            "tr",
            "td",
            "th",
            "table",
            "blockquote",
            "pre",
            "section",
            "article",
            "header",
            "footer",
        ]
    ),
    *(
        [
            "figure",
            "figcaption",
            "dt",
            "dd",
            "dl",
            "hr",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "h7",
            "h0",
            "aside",
            "nav",
            "details",
            "summary",
        ]
    ),
    *(
        [
            "a",
            "b",
            "i",
            "em",
            "span",
            "strong",
            "sup",
            "sub",
            "code",
            "img",
            "param",
            "prefix",
            "divx",
            "lix",
            "tdx",
            "thead",
            "tbody",
        ]
    ),
    *(
        [
            "P",
            "DIV",
            "Pre",
            "H2",
            "BlockQuote",
            "ſection",
            "ſummary",
            "TABLE",
            "Hr",
            "pre-x",
            "p_x",
            "p1",
            "ul2",
            "d",
            "dlx",
        ]
    ),
]
TEXT_PIECES = [
    "word",
    "NMDA receptors",
    " ",
    "  ",
    "\n",
    "\n\n",
    " \n ",
    "\t",
    "\r",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x85",
    "\xa0",
    "\u2028",
    "\u2003",
    "\u3000",
    "\x00",
    "\x1b[2J",
    "\x7f",
    "\x9b",
    "\u200b",
    "\u202e",
    "\u00ad",
    "é",
    "Åsberg",
    "&amp;",
    "&amp;#27;",
    "&lt;b&gt;",
    "&#27;",
    "&#x1b;]52;c;x\x07",
    "&#13;",
    "&nbsp;",
    "&zwj;",
    "&ZeroWidthSpace;",
    "&lrm;",
    "&NewLine;",
    "&Tab;",
    "&#128;",
    "&#x202E;",
    "&",
    "&amp",
    "see https://doi.org/10.1/x.",
    "(https://example.org/a)",
    "http://[x",
    "<",
    ">",
    '"',
]


def random_html(rng: random.Random, size: int) -> str:
    """A document of random tags (any case, attributes, stray brackets) and text pieces."""
    parts = []
    for _ in range(size):
        roll = rng.random()
        if roll < 0.35:
            name = rng.choice(TAG_NAMES)
            closing = "/" if rng.random() < 0.4 else ""
            attributes = rng.choice(
                ["", ' id="x"', ' href="https://example.org/?a=1&amp;b=2"', " class=x", "  "]
            )
            parts.append(f"<{closing}{name}{attributes}>")
        else:
            parts.append(rng.choice(TEXT_PIECES))
    return "".join(parts)


@pytest.mark.parametrize("seed", range(40))
def test_text_matches_the_line_by_line_version(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(150):
        fragment = random_html(rng, rng.randint(0, 40))
        assert search._text(fragment) == reference_text(fragment), repr(fragment)


@pytest.mark.parametrize("seed", range(10))
def test_text_matches_on_plain_ascii_lines(seed: int) -> None:
    """The fast path's own ground: ASCII with single spaces, spaces at line ends or none."""
    rng = random.Random(seed)
    pieces = ["word", "Word.", " ", "\n", "<p>", "</p>", "<br>", "<b>", "</b>", "(TRD)", "\t"]
    for _ in range(300):
        fragment = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        assert search._text(fragment) == reference_text(fragment), repr(fragment)


def test_block_pattern_matches_the_flat_alternation() -> None:
    rng = random.Random(7)
    for name in TAG_NAMES:
        for tag in (f"<{name}>", f"</{name}>", f"<{name} id=x>", f"<{name}", f"<{name}/>"):
            assert search._BLOCK.sub("\n", tag) == REFERENCE_BLOCK.sub("\n", tag), tag
    for _ in range(2000):
        html = random_html(rng, rng.randint(0, 30))
        assert search._BLOCK.sub("\n", html) == REFERENCE_BLOCK.sub("\n", html), repr(html)


def test_split_html_matches_on_real_shaped_articles() -> None:
    """split_html on whole articles (headings, references) as the reference pieces give."""
    rng = random.Random(3)
    for _ in range(300):
        html = clean_html(random_html(rng, rng.randint(0, 80)))
        summary, body, refs = search.split_html(html)
        for part in (summary, body, refs):
            for line in part.split("\n\n"):
                assert line == " ".join(line.split())  # normalised, whichever path ran


@pytest.mark.parametrize("seed", range(30))
def test_clean_html_matches_cleaning_the_sanitiser_output_always(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(100):
        html = random_html(rng, rng.randint(0, 40))
        assert clean_html(html) == reference_clean_html(html), repr(html)


def test_clean_html_still_removes_controls_from_character_references() -> None:
    """The skipped second pass is needed exactly when a reference is there."""
    assert clean_html("<p>a&#27;]52;c;eA==&#7;b</p>") == "<p>ab</p>"
    assert clean_html("<p>x&#x202E;y&zwj;z&#13;w</p>") == "<p>xyz\nw</p>"
    assert clean_html("<p>x &amp;#27; y</p>") == "<p>x &amp;#27; y</p>"


def test_hostile_shape_matches_the_scan_on_both_sides_of_the_count() -> None:
    many = b"<item " + b" ".join(b'a%d="1"' % i for i in range(MAX_ATTRIBUTES + 1)) + b">"
    just = b"<item " + b" ".join(b'a%d="1"' % i for i in range(MAX_ATTRIBUTES)) + b">"
    spread = b"".join(b'<p a="%d" b="%d">' % (i, i) for i in range(400))
    for body in (many, just, spread, many + spread, b"", b"=" * 300, b"<x " + b"=" * 3000 + b">"):
        assert (hostile_shape(body) is None) == (reference_hostile_shape(body) is None)
    assert hostile_shape(many) is not None
    assert hostile_shape(just) is None


URL_PIECES = [
    "http://",
    "https://",
    "HTTP://",
    "ftp://",
    "example.org",
    "a:b@host:8080",
    "[::1]",
    "[x",
    "/",
    "//",
    "/./",
    "/../",
    "path",
    "?",
    "?q=1",
    "&amp;",
    "#",
    "#top",
    ";p",
    "\\",
    " ",
    "\t",
    "\x00",
    "é",
    "%20",
    "..",
    ":",
    "@",
]


@pytest.mark.parametrize(
    "base",
    ["", "http://127.0.0.1/feed.xml", "https://example.org/a/b", "file:///tmp/x", "http://[x"],
)
def test_fastfeed_links_skip_the_join_only_where_it_changes_nothing(base: str) -> None:
    """The fast path's URLs read as feedparser's join (then its fix) makes them."""
    from feedparser.urls import _urljoin

    from ketaread.core.clean import PLAIN_ABSOLUTE_URL
    from ketaread.core.fastfeed import _Reader

    reader = _Reader(base)
    rng = random.Random(base)
    plain = 0
    for _ in range(3000):
        url = "".join(rng.choice(URL_PIECES) for _ in range(rng.randint(1, 8)))
        if rng.random() < 0.5:
            url = rng.choice(["http://", "https://"]) + url
        plain += bool(PLAIN_ABSOLUTE_URL.fullmatch(url))
        assert reader.resolve(url) == _urljoin(base, url), repr(url)
    assert plain > 150  # the fast path was taken, not only the join


@pytest.mark.parametrize("base", ["", "http://127.0.0.1/feed.xml", "https://a.org/b/", "http://[x"])
def test_safe_link_matches_joining_every_link(base: str) -> None:
    from urllib.parse import urljoin

    from ketaread.core.parse import _safe_link

    def reference(link: str) -> str:
        link = reference_clean_line(link, 2000)
        if not link:
            return ""
        try:
            return urljoin(base, link) if base else link
        except ValueError:
            return link

    rng = random.Random(base)
    for _ in range(3000):
        url = "".join(rng.choice(URL_PIECES) for _ in range(rng.randint(1, 8)))
        if rng.random() < 0.5:
            url = rng.choice(["http://", "https://"]) + url
        assert _safe_link(url, base) == reference(url), repr(url)


def reference_clean_line(text: str | None, limit: int = 500) -> str:
    """`clean_line` before: a regular expression for the whitespace runs."""
    line = re.sub(r"\s+", " ", clean_text(text)).strip()
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line


@pytest.mark.parametrize("seed", range(10))
def test_clean_line_matches_the_regular_expression(seed: int) -> None:
    from ketaread.core.clean import clean_line

    rng = random.Random(seed)
    for _ in range(500):
        text = "".join(rng.choice(TEXT_PIECES) for _ in range(rng.randint(0, 12)))
        limit = rng.choice([5, 20, 500])
        assert clean_line(text, limit) == reference_clean_line(text, limit), repr(text)
