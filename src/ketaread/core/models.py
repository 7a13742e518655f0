"""Plain data shared by the core and the UI. No I/O, no Textual."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class Enclosure:
    """A podcast episode, video or file attached to an article."""

    url: str
    type: str = ""
    """MIME type as the feed gave it ('audio/mpeg'), or ''."""
    length: int | None = None
    """Size in bytes, when the feed says."""
    duration: int | None = None
    """Playing time in seconds, when the feed says (itunes:duration, JSON Feed)."""
    title: str = ""


@dataclass(slots=True)
class ParsedArticle:
    """One article as parsed from a feed or a file, cleaned, not yet stored."""

    uid: str
    """Stable identity within its feed: guid, else link, else a content hash."""
    title: str
    link: str = ""
    author: str = ""
    published: float | None = None
    """UTC epoch seconds, or None when missing or not believable."""
    tags: list[str] = field(default_factory=list)
    html: str = ""
    """Sanitised HTML body (or summary when the feed has no full content)."""
    base_url: str = ""
    """Base for resolving relative links in `html` (xml:base, feed URL or file URL)."""
    enclosures: list[Enclosure] = field(default_factory=list)
    index: tuple[str, str, str, tuple[tuple[str, str], ...]] | None = None
    """The search index's (summary, body, references, defined abbreviations), worked out
    where the article was parsed (a worker process) so storing it costs less; None: later."""
    digest: str | None = None
    """`store.content_hash` of the article, worked out where it was parsed (a worker
    process) so storing it costs less; None: when it is stored."""


@dataclass(slots=True)
class ParsedFeed:
    """A parsed document: a feed with its items, or a folder's loose articles."""

    location: str
    """Where it was read from: a file path, a folder path or a URL."""
    title: str
    link: str = ""
    kind: str = "feed"
    """'feed' for RSS/Atom/RDF documents, 'articles' for standalone article files."""
    articles: list[ParsedArticle] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """Recoverable problems (malformed XML that still parsed, items dropped)."""


class ArticleRow(NamedTuple):
    """A stored article as the article list shows it (no body)."""

    id: int
    key: str
    """Public id: the hex string `ketaread list` prints and `show` accepts."""
    title: str
    link: str
    feed_id: int
    feed_title: str
    author: str
    published: float | None
    read: bool
    starred: bool


@dataclass(slots=True)
class ArticleDetail:
    """A stored article with its body and tags, for the article pane and `show`."""

    row: ArticleRow
    tags: list[str]
    html: str
    base_url: str
    enclosures: list[Enclosure] = field(default_factory=list)
    full_text_error: str | None = None
    """Why fetching the full text failed (the feed's excerpt is shown instead), if it did."""
    full_text: bool = False
    """True when `html` is the article's full text fetched from its web page."""


class FeedInfo(NamedTuple):
    """A stored feed with its state and counts, for the sidebar and `sources`."""

    id: int
    source: str
    location: str
    title: str
    kind: str
    total: int
    unread: int
    checked_at: float | None
    updated_at: float | None
    error: str | None
    error_at: float | None
    warning: str | None
    gone: bool


class TagInfo(NamedTuple):
    """A tag (feed category or user tag) with its counts."""

    id: int
    key: str
    name: str
    total: int
    unread: int
