"""Make hostile text safe to store and show: control sequences, bidi tricks, HTML, URLs.

Everything read from a feed or a file passes through here before it is stored.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import nh3

# ESC-introduced sequences: CSI (ESC [ ... final), OSC / DCS / SOS / PM / APC
# (ESC ] ... terminated by BEL or ST), and two-character escapes (ESC x).
_ESCAPE_SEQUENCE = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]?                 # CSI
    | \x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?  # OSC, DCS, SOS, PM, APC
    | \x1b[ -/]*[0-~]?                       # other ESC sequences
    | \x9b[0-?]*[ -/]*[@-~]?                 # 8-bit CSI
    | [\x90\x9d\x98\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?  # 8-bit string controls
    """,
    re.VERBOSE,
)

# C0 controls except tab and newline, DEL, C1 controls, bidi embeddings, overrides
# and isolates, directional marks, zero-width characters, the BOM, and the Unicode TAG
# block (U+E0000–U+E007F: invisible text a terminal shows as nothing, but a copy keeps).
_CONTROL_CHARS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
    "\U000e0000-\U000e007f]"
)
_ASCII_CONTROLS = bytes([*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F])
"""The ASCII part of _CONTROL_CHARS (CR and ESC among them), for bytes.translate."""
_NOT_PLAIN = r"\x00-\x20\x7f-\U0010ffff"
PLAIN_ABSOLUTE_URL = re.compile(
    rf"https?://[^/?#;\[\]\\{_NOT_PLAIN}]+(?:/[^?#;{_NOT_PLAIN}]*)?"
    rf"(?:\?[^#{_NOT_PLAIN}]+)?(?:#[^{_NOT_PLAIN}]+)?"
)
"""An absolute http(s) URL in printable ASCII with no parameters (";"), empty query or
fragment, brackets, backslash or extra slashes after "//": `urljoin` returns it unchanged
whatever the base, unless the base itself cannot be parsed (another scheme, or
urlunparse(urlparse(url)) is the URL), so the links most feeds give need no parsing."""
_ESCAPE_INTRODUCER = re.compile("[\x1b\x80-\x9f]")


def clean_text(text: str | None) -> str:
    """Remove terminal control sequences and invisible control characters.

    Line breaks and tabs are kept; CR LF and lone CR become LF so that a
    carriage return can never overwrite what is already on a line.
    """
    if not text:
        return ""
    # Most text has nothing to remove: one cheap check instead of three passes. Every
    # character the passes below change (CR, ESC, C1, the rest) is in _CONTROL_CHARS.
    if text.isascii():
        if len(text.encode("ascii").translate(None, _ASCII_CONTROLS)) == len(text):
            return text
    elif not _CONTROL_CHARS.search(text):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _ESCAPE_INTRODUCER.search(text):
        text = _ESCAPE_SEQUENCE.sub("", text)
    return _CONTROL_CHARS.sub("", text)


def clean_line(text: str | None, limit: int = 500) -> str:
    """Clean text meant for one line (titles, authors, tags): whitespace folded, length bounded."""
    # Each whitespace run one space, none at the ends: as a regular expression's "\s+" and
    # strip() would, both splitting on str.isspace, for a third of the cost on short fields.
    line = " ".join(clean_text(text).split())
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line


_ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "dd",
    "del",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
    "var",
    "section",
    "article",
    "aside",
    "header",
    "footer",
    "main",
    "nav",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id", "name"},
    "img": {"src", "alt", "title"},
    "li": {"id", "value"},
    "ol": {"start"},
    "sup": {"id"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "h1": {"id"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "h5": {"id"},
    "h6": {"id"},
    "p": {"id"},
    "section": {"id"},
    "div": {"id"},
    "span": {"id"},
}
_DROPPED_WITH_CONTENT = {"script", "style", "template", "noscript", "iframe", "object", "svg"}
MAX_HTML_CHARS = 2_000_000
"""Bodies longer than this are cut before sanitising; no real article comes close."""


def clean_html(html: str | None) -> str:
    """Sanitise feed HTML to a safe subset, with control characters removed."""
    if not html:
        return ""
    safe = clean_text(html[:MAX_HTML_CHARS])
    cleaned = _sanitiser().clean(safe)
    # Character references such as &#27; are decoded by the sanitiser: clean again. Without
    # a reference (no "&" but those of "&amp;") its output holds only the characters of its
    # input, already clean, and what it writes itself (markup, "&amp;", "&lt;", "&nbsp;").
    if "&" in safe and safe.count("&") != safe.count("&amp;"):
        cleaned = clean_text(cleaned)
    return link_bare_urls(_drop_unparsable_links(cleaned))


@cache
def _sanitiser() -> nh3.Cleaner:
    """One nh3 sanitiser built once: building it from the option sets on every call cost
    as much as the sanitising itself."""
    import nh3  # deferred: only refreshes and syncs need it

    return nh3.Cleaner(
        tags=_ALLOWED_TAGS,
        clean_content_tags=_DROPPED_WITH_CONTENT,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
    )


_TAG_SPLIT = re.compile(r"(<[^>]*>)")
_NO_LINKS_INSIDE = re.compile(r"<(/?)(a|code|pre)\b", re.I)
# Stops before an escaped "<", ">" or quote: "&lt;https://…&gt;" is a URL in angle brackets.
_BARE_URL = re.compile(r"https?://[A-Za-z0-9](?:(?!&(?:lt|gt|quot|#39|#x27);)[^\s<>\"'\[\]])*")
_TRAILING_PUNCTUATION = ".,;:!?"


def _bare_link(match: re.Match[str]) -> str:
    """A link for a bare URL, leaving sentence punctuation and an unbalanced ')' outside."""
    url = match.group(0)
    tail = ""
    while url and (
        url[-1] in _TRAILING_PUNCTUATION or (url[-1] == ")" and url.count(")") > url.count("("))
    ):
        url, tail = url[:-1], url[-1] + tail
    if url.endswith("&amp"):  # "…&amp;" cut at the ';': the entity belongs to the text
        url, tail = url[: -len("&amp")], "&amp" + tail
    return f'<a href="{url}">{url}</a>{tail}'


_HREF = re.compile(r'\s(href|src)="([^"]*)"')


def _drop_unparsable_links(html: str) -> str:
    """Remove link targets Python cannot parse ("http://[x"): converters would raise on them."""
    if "//[" not in html:  # "://[" included
        return html
    import html as html_lib  # here: html.entities is large, and only refreshes need it

    def check(match: re.Match[str]) -> str:
        try:
            urlsplit(html_lib.unescape(match.group(2)))
        except ValueError:
            return ""
        return match.group(0)

    return _HREF.sub(check, html)


def link_bare_urls(html: str) -> str:
    """Make bare http(s) URLs in sanitised HTML's text into links ("Source: https://doi…"),
    so that the reference panel lists them and keyboard users can open or copy them."""
    if "http" not in html or _only_linked_urls(html):
        return html
    return _link_bare_urls_everywhere(html)


def _link_bare_urls_everywhere(html: str) -> str:
    """link_bare_urls without the shortcut: every text part looked at."""
    parts = _TAG_SPLIT.split(html)
    inside = 0
    for index, part in enumerate(parts):
        if index % 2:
            if match := _NO_LINKS_INSIDE.match(part):
                inside = max(inside + (-1 if match.group(1) else 1), 0)
        elif not inside and "http" in part:
            parts[index] = _BARE_URL.sub(_bare_link, part)
    return "".join(parts)


_URL_START = re.compile(r"https?://")


def _only_linked_urls(html: str) -> bool:
    """True when link_bare_urls would change nothing: every URL is inside a tag or is the
    first text after an opening <a>, <code> or <pre> (the common "<a href=u>u</a>").

    Decided without splitting the whole text: for each URL, look back to the nearest "<"
    and ">" and reason as _TAG_SPLIT splits (a tag runs from the first "<" after the
    previous ">" to the next ">"). Anything less plain answers False (the full pass).
    """
    for match in _URL_START.finditer(html):
        at = match.start()
        close = html.rfind(">", 0, at)
        start = html.rfind("<", 0, at)
        if start > close:
            if html.find(">", at) >= 0:
                continue  # inside a tag (an attribute value)
            return False
        if close < 0 or start < 0:
            return False
        # `at` is in the text after `close`, which follows a tag starting at `start` when
        # no unclosed "<" comes before it (else that "<" began the tag). The tag must
        # open a link, code or pre: then the full pass leaves this text alone.
        if html.rfind("<", 0, start) > html.rfind(">", 0, start):
            return False
        opened = _NO_LINKS_INSIDE.match(html, start)
        if opened is None or opened.group(1):
            return False
    return True


_UNSAFE_URL_CHARS = re.compile(r"[\s\"'`<>\\^{}|]|\$\(")


def openable_url(url: str) -> tuple[bool, str]:
    """Decide whether a link may be opened or copied: (ok, reason when refused).

    Only absolute http(s) URLs with a host and no shell-significant or
    whitespace characters pass.
    """
    if not url:
        return False, "the link is empty"
    if url != url.strip() or url.startswith("-"):
        return False, "the link starts with a space or a dash"
    if _CONTROL_CHARS.search(url) or "\n" in url or "\t" in url:
        return False, "the link contains control characters"
    try:
        parts = urlsplit(url)
    except ValueError:
        return False, "the link is not a valid URL"
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = scheme or "relative"
        return False, f"only http and https links open ({shown}: links are refused)"
    if not parts.hostname:
        return False, "the link has no host"
    if _UNSAFE_URL_CHARS.search(url):
        return False, "the link contains spaces, quotes or shell characters"
    return True, ""


_EMAIL_NAME = re.compile(r"^\s*[^\s@()<>]+@[^\s@()<>]+\s*\((?P<name>[^()]+)\)\s*$")
_NAME_EMAIL = re.compile(r"^\s*(?P<name>[^<>@]+?)\s*<[^\s@<>]+@[^\s@<>]+>\s*$")


def author_name(author: str) -> str:
    """The name in an RSS author such as "editor@site (Lena Marsh)" or "Lena Marsh <a@b>";
    anything else as given."""
    match = _EMAIL_NAME.match(author) or _NAME_EMAIL.match(author)
    return match.group("name").strip() if match else author
