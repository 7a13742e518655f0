"""Cleaning hostile text: control sequences, control characters, bidi tricks, HTML, URLs."""

from __future__ import annotations

import pytest

from ketaread.core.clean import clean_html, clean_line, clean_text, link_bare_urls, openable_url

ESC = "\x1b"


def forbidden(text: str) -> list[str]:
    """Every character in `text` that must never be stored or shown."""
    bad = []
    for ch in text:
        code = ord(ch)
        if (
            (code < 0x20 and ch not in "\n\t")
            or 0x7F <= code <= 0x9F
            or 0x200B <= code <= 0x200F
            or 0x202A <= code <= 0x202E
            or 0x2060 <= code <= 0x2069
            or ch in "\ufeff\u061c"
        ):
            bad.append(f"U+{code:04X}")
    return bad


# (name, hostile text, visible text that must survive)
HOSTILE = [
    ("csi-clear-screen", f"before{ESC}[2Jafter", "beforeafter"),
    ("csi-colour", f"{ESC}[1;31mred{ESC}[0m text", "red text"),
    ("csi-title-report", f"ask{ESC}[21t done", "ask done"),
    ("osc52-clipboard-bel", f"copy{ESC}]52;c;aGVsbG8=\x07 me", "copy me"),
    ("osc0-window-title-st", f"x{ESC}]0;pwned{ESC}\\y", "xy"),
    ("osc8-hyperlink", f"{ESC}]8;;http://x\x07link{ESC}]8;;\x07", "link"),
    ("dcs-string", f"a{ESC}Pq#0;2;0;0;0{ESC}\\b", "ab"),
    ("two-char-escape", f"reset{ESC}c now", "reset now"),
    ("c1-csi", "one\x9b2Jtwo", "onetwo"),
    ("c1-osc", "t\x9d0;evil\x9cail", "tail"),
    ("nul-and-bell", "a\x00b\x07c", "abc"),
    ("del", "de\x7fl", "del"),
    ("backspace-and-vt", "ab\x08c\x0bd\x0ce", "abcde"),
    ("bidi-override", "file\u202egpj.exe", "filegpj.exe"),
    ("bidi-embeddings", "\u202aleft\u202b right\u202c", "left right"),
    ("bidi-isolates", "\u2066a\u2067b\u2068c\u2069", "abc"),
    ("bidi-marks", "x\u200ey\u200fz\u061c", "xyz"),
    ("zero-width", "zero\u200bwidth\u200cjoin\u200d\u2060er", "zerowidthjoiner"),
    ("bom-inside", "mid\ufeffdle", "middle"),
    ("unterminated-osc", f"safe{ESC}]52;c;never-ends", "safe"),
]


@pytest.mark.parametrize(("text", "visible"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_clean_text_strips_controls_and_keeps_visible_text(text: str, visible: str) -> None:
    """Nothing hostile survives clean_text, and the readable text does."""
    cleaned = clean_text(text)
    assert forbidden(cleaned) == []
    assert cleaned == visible


@pytest.mark.parametrize(("text", "visible"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_clean_line_strips_controls(text: str, visible: str) -> None:
    """One-line fields (titles, authors, tags) are as clean as bodies."""
    cleaned = clean_line(text)
    assert forbidden(cleaned) == []
    assert cleaned == " ".join(visible.split())


@pytest.mark.parametrize(
    "reference",
    ["&#27;[2J", "&#x1b;]52;c;aGk=&#7;", "&#x9b;2J", "&#x202e;", "&#8203;", "&#127;", "&#0;"],
)
def test_clean_html_strips_controls_given_as_character_references(reference: str) -> None:
    """The sanitiser decodes references; what they decode to is cleaned too."""
    cleaned = clean_html(f"<p>safe {reference} text</p>")
    assert forbidden(cleaned) == []
    assert "safe" in cleaned
    assert "text" in cleaned


def test_clean_text_keeps_newlines_and_tabs_and_turns_cr_into_newline() -> None:
    """Line structure survives; a carriage return can never overwrite a line."""
    assert clean_text("a\tb\nc\r\nd\re") == "a\tb\nc\nd\ne"


def test_clean_text_of_nothing_is_empty() -> None:
    """None and '' both clean to ''."""
    assert clean_text(None) == ""
    assert clean_text("") == ""


def test_clean_line_folds_whitespace_and_bounds_length() -> None:
    """Titles become one line and never grow without bound."""
    assert clean_line("  two\n\tlines  here ") == "two lines here"
    long = clean_line("word " * 1000, limit=50)
    assert len(long) == 50
    assert long.endswith("…")


def test_clean_html_drops_scripts_styles_and_event_handlers() -> None:
    """Only the safe subset of HTML is kept."""
    cleaned = clean_html(
        '<p onclick="evil()">ok</p><script>alert(1)</script><style>p{}</style>'
        '<a href="javascript:alert(1)">js</a><a href="https://example.org/x">fine</a>'
    )
    assert "<script" not in cleaned
    assert "alert(1)" not in cleaned
    assert "onclick" not in cleaned
    assert "javascript:" not in cleaned
    assert 'href="https://example.org/x"' in cleaned
    assert "<p>ok</p>" in cleaned


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "file:///etc/passwd",
        "ssh://host",
        "-oProxyCommand=x",
        " https://example.org/",
        "https://example.org/a b",
        "https://example.org/$(touch /tmp/pwned)",
        "https://example.org/`id`",
        "https://example.org/\x1b]52;c;x\x07",
        "https://example.org/a\nb",
        "/relative/path",
        "",
    ],
)
def test_openable_url_refuses_unsafe_links_with_a_reason(url: str) -> None:
    """Only plain absolute http(s) links may be opened; the reason is given."""
    ok, reason = openable_url(url)
    assert not ok
    assert reason


@pytest.mark.parametrize("url", ["https://example.org/a?b=c#d", "http://example.net/"])
def test_openable_url_accepts_plain_http_links(url: str) -> None:
    """Ordinary web links open."""
    assert openable_url(url) == (True, "")


def test_bare_urls_in_text_become_links_but_not_inside_links_or_code() -> None:
    from ketaread.core.clean import clean_html

    html = clean_html(
        "<p>Source: https://doi.org/10.1/x. Also <a href='https://a.org'>https://a.org</a>, "
        "<code>https://c.org</code> and https://e.org/?a=1&amp;b=2</p>"
    )
    assert '<a href="https://doi.org/10.1/x">https://doi.org/10.1/x</a>.' in html
    assert html.count("https://a.org") == 2  # the existing link untouched
    assert "<code>https://c.org</code>" in html
    assert '<a href="https://e.org/?a=1&amp;b=2">' in html


def test_unparsable_link_targets_are_dropped_and_bare_urls_need_a_host() -> None:
    from ketaread.core.clean import clean_html

    html = clean_html('<p><a href="http://[x">bad</a> and text https://[bold] too</p>')
    assert "href" not in html
    assert "bad" in html and "https://[bold]" in html


@pytest.mark.parametrize(
    ("text", "url", "after"),
    [
        ("&lt;https://doi.org/10.1000/xyz&gt;", "https://doi.org/10.1000/xyz", "&gt;"),
        (
            "See https://en.wikipedia.org/wiki/Ketamine_(drug).",
            "https://en.wikipedia.org/wiki/Ketamine_(drug)",
            ".",
        ),
        ("(https://x.org/a)", "https://x.org/a", ")"),
    ],
    ids=["angle-brackets", "balanced-parenthesis", "enclosing-parentheses"],
)
def test_bare_url_links_stop_where_the_url_ends(text: str, url: str, after: str) -> None:
    from ketaread.core.clean import clean_html

    assert f'<a href="{url}">{url}</a>{after}' in clean_html(f"<p>{text}</p>")


def _clean_text_in_full(text: str) -> str:
    """clean_text as it was before its shortcut: all three passes, always."""
    from ketaread.core import clean

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if clean._ESCAPE_INTRODUCER.search(text):
        text = clean._ESCAPE_SEQUENCE.sub("", text)
    return clean._CONTROL_CHARS.sub("", text)


# Pieces of text: plain, non-ASCII, and every kind of character clean_text removes.
TEXT_PIECES = [
    "plain words ",
    "\n",
    "\t",
    "\r\n",
    "\r",
    "é—“quoted”",
    "\u00a0",
    ESC,
    f"{ESC}[31m",
    f"{ESC}]0;t\x07",
    "\x9b2J",
    "\x9d",
    "\x00",
    "\x7f",
    "\x85",
    "\u200b",
    "\u202e",
    "\u2066",
    "\ufeff",
    "\u061c",
    "\U000e0041",
    "\U0001f600",
    "[",
    "0;",
]


def test_clean_text_shortcut_gives_what_all_passes_give() -> None:
    """The cheap "nothing to remove" check never skips a change: on random mixes of plain,
    non-ASCII and control text (ASCII and not), the result is the three passes' result."""
    import random

    rng = random.Random(22)
    unchanged = 0
    for _ in range(20_000):
        text = "".join(rng.choices(TEXT_PIECES, k=rng.randint(1, 8)))
        if rng.random() < 0.3:  # many strings with nothing to remove, ASCII or not
            text = "".join(p for p in text if p.isprintable() or p in "\n\t")
        assert clean_text(text) == _clean_text_in_full(text), repr(text)
        unchanged += clean_text(text) is text
    assert unchanged > 1000  # the shortcut was taken, for ASCII and non-ASCII text
    assert clean_text("abc\u00e9 d\n") is not None


# Pieces of sanitised (and not so sanitised) HTML around URLs.
HTML_PIECES = [
    "<",
    ">",
    "a",
    " ",
    '"',
    "http://x.org/p",
    "https://y.net",
    "http://",
    "http:// ",
    '<a href="',
    '">',
    "</a>",
    "<a>",
    "<A HREF=u>",
    "<abbr>",
    "<code>",
    "</code>",
    "<pre>",
    "</pre>",
    "<b>",
    "</b>",
    "<p>",
    '<img src="',
    "&lt;",
    "&gt;",
    "</",
]


def test_bare_url_shortcut_gives_what_the_full_pass_gives() -> None:
    """Whenever link_bare_urls takes its shortcut (every URL already inside a link or a
    tag), the full pass over every text part would have changed nothing either."""
    import random

    from ketaread.core.clean import _link_bare_urls_everywhere, _only_linked_urls

    rng = random.Random(7)
    shortcuts = 0
    for _ in range(30_000):
        html = "".join(rng.choices(HTML_PIECES, k=rng.randint(1, 12)))
        if _only_linked_urls(html):
            shortcuts += "http" in html
            assert _link_bare_urls_everywhere(html) == html, repr(html)
        assert link_bare_urls(html) == _link_bare_urls_everywhere(html), repr(html)
    assert shortcuts > 1000
    plain = '<p>See <a href="https://doi.org/1">https://doi.org/1</a> and <img src="http://i/x.png"></p>'
    assert _only_linked_urls(plain)
    assert not _only_linked_urls("<p>See https://doi.org/1</p>")
