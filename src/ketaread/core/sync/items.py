"""What both APIs give: feeds with folders and items with state, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field

from ketaread.core.clean import clean_html, clean_line

MAX_TAGS = 20
Prepared = tuple[str, tuple[str, str, str, tuple[tuple[str, str], ...]] | None]
"""An item's cleaned HTML and its search index text (ParsedArticle.html and .index)."""


@dataclass(slots=True)
class RemoteFeed:
    """A subscription on the server."""

    id: str
    """The server's id for the feed (Google Reader 'feed/3' → '3'; Fever's number)."""
    title: str
    url: str = ""
    site: str = ""
    folders: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RemoteItem:
    """An article on the server; its text is cleaned, its HTML when it is stored."""

    id: str
    """The decimal item id (both APIs' common form)."""
    feed_id: str
    title: str
    link: str = ""
    author: str = ""
    published: float | None = None
    html: str = ""
    """The server's HTML as sent; cleaned (`body`) only when the item is stored."""
    labels: list[str] = field(default_factory=list)
    read: bool = False
    starred: bool = False


def decimal_id(value: object) -> str | None:
    """An item id in decimal form, from either form the Google Reader API uses.

    'tag:google.com,2005:reader/item/000661b55eef7072' is hex (always, even when its
    digits are all decimal ones); a bare number is decimal; anything else is refused.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    prefix = "tag:google.com,2005:reader/item/"
    if value.startswith(prefix):
        digits = value[len(prefix) :]
        if 0 < len(digits) <= 16 and all(c in "0123456789abcdefABCDEF" for c in digits):
            return str(int(digits, 16))
        return None
    if value.isascii() and value.isdigit() and len(value) <= 20:
        return str(int(value))
    return None


def hex_id(decimal: str) -> str:
    """The long hex form of a decimal item id."""
    return f"tag:google.com,2005:reader/item/{int(decimal):016x}"


def text(value: object, limit: int = 500) -> str:
    """A cleaned single line from a JSON value that should be a string."""
    return clean_line(value, limit=limit) if isinstance(value, str) else ""


def link(value: object) -> str:
    """An http(s) link from the server, or '' (other schemes are not kept)."""
    url = text(value, 2000)
    return url if url.lower().startswith(("http://", "https://")) else ""


def body(value: object) -> str:
    """Article HTML from the server through the same sanitiser as feed content."""
    return clean_html(value) if isinstance(value, str) else ""


def prepare_bodies(htmls: list[str]) -> list[Prepared]:
    """Clean each body and work out its search index text, as a refresh's parse worker does
    for a feed's articles (run in a worker process for big pages)."""
    from ketaread.core.models import ParsedArticle, ParsedFeed
    from ketaread.core.search import prepare_index

    parsed = ParsedFeed(location="", title="")
    parsed.articles = [ParsedArticle(uid="", title="", html=body(html)) for html in htmls]
    prepare_index(parsed)
    return [(article.html, article.index) for article in parsed.articles]


def epoch(value: object) -> float | None:
    """A believable publication time in epoch seconds, or None."""
    import time

    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    if not 0 < number < time.time() + 2 * 86400:
        return None
    return number
