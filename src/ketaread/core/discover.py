"""Find the feeds a web page offers: its `<link rel="alternate">` tags, else common paths.

Used by `ketaread add URL` when the URL is a page rather than a feed. Every request goes
through the polite, bounded fetcher; the page's HTML is read with the standard library's
tolerant parser, only up to the end of its <head>, and at most `MAX_FOUND` feeds are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from ketaread.core.clean import clean_line

if TYPE_CHECKING:
    from ketaread.core.fetch import Fetcher

FEED_TYPES = {
    "application/rss+xml": "RSS",
    "application/atom+xml": "Atom",
    "application/rdf+xml": "RDF",
    "application/feed+json": "JSON Feed",
    "application/json": "JSON Feed",
}
COMMON_PATHS = ("/feed/", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml", "/feed.json")
"""Where sites without <link> tags usually keep a feed (WordPress: /feed/; Hugo: /index.xml)."""
MAX_FOUND = 20
MAX_PAGE_CHARS = 1_000_000


@dataclass(frozen=True, slots=True)
class FoundFeed:
    """One feed a page offers."""

    url: str
    title: str = ""
    kind: str = ""
    """'RSS', 'Atom', 'RDF', 'JSON Feed', or '' when only the content says."""
    how: str = "link"
    """'link' (a <link rel="alternate"> tag) or 'path' (found at a common path)."""

    def describe(self) -> str:
        """'https://x/feed (RSS, "Clinic news")'."""
        details = [self.kind] if self.kind else []
        if self.title:
            details.append(f'"{self.title}"')
        if self.how == "path":
            details.append("at a common feed path")
        return clean_line(f"{self.url} ({', '.join(details)})" if details else self.url, 1000)


@dataclass(slots=True)
class Discovery:
    """What a URL turned out to be, and the feeds found from it."""

    url: str
    kind: str
    """'feed' (the URL is a feed), 'page' (an HTML page), 'error' or 'other'."""
    feeds: list[FoundFeed] = field(default_factory=list)
    error: str = ""
    """Why the URL could not be read ('error'), or what it was instead ('other')."""
    title: str = ""
    """The feed's or page's title."""
    status: int | None = None
    """The HTTP status of an 'error' (404, 410...), None when no answer came."""

    def wrong_address(self) -> bool:
        """Whether the server answered for certain that no feed lives at this URL (404, 410),
        unlike a network error, a timeout or a 5xx that may pass."""
        return self.kind == "error" and self.status in (404, 410)


class _HeadLinks(HTMLParser):
    """Collect <link rel="alternate" type="…feed…"> and the <title> until </head>."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.feeds: list[FoundFeed] = []
        self.title = ""
        self._in_title = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if tag == "body":
            self.done = True  # feeds are announced in the head; the body may be huge
            return
        if tag == "title":
            self._in_title = True
            return
        if tag == "base":
            href = dict(attrs).get("href")
            if href:
                self.base = _join(self.base, href) or self.base
            return
        if tag != "link" or len(self.feeds) >= MAX_FOUND:
            return
        values = {key.lower(): (value or "") for key, value in attrs}
        rels = values.get("rel", "").lower().split()
        kind = FEED_TYPES.get(values.get("type", "").split(";")[0].strip().lower())
        if "alternate" not in rels or kind is None:
            return
        url = _join(self.base, values.get("href", ""))
        if url and all(found.url != url for found in self.feeds):
            self.feeds.append(FoundFeed(url, clean_line(values.get("title"), 200), kind))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self._in_title and not self.done and len(self.title) < 500:
            self.title += data


def _join(base: str, href: str) -> str:
    href = href.strip()
    if not href:
        return ""
    try:
        url = urljoin(base, href)
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return url


def feed_links(html: str, base_url: str) -> tuple[list[FoundFeed], str]:
    """The feeds a page's head links to, and the page's title."""
    parser = _HeadLinks(base_url)
    text = html[:MAX_PAGE_CHARS]
    # Fed in pieces so that parsing stops soon after </head> on a long page.
    for start in range(0, len(text), 16_384):
        parser.feed(text[start : start + 16_384])
        if parser.done:
            break
    return parser.feeds, clean_line(parser.title, 200)


async def discover(url: str, fetcher: Fetcher) -> Discovery:
    """Fetch `url`: a feed is itself; a page yields its linked feeds, else common paths."""
    from ketaread.core.parse import NotAFeed, decode_text, parse_feed, sniff

    result = await fetcher.fetch(url)
    if result.outcome != "ok" or result.body is None:
        return Discovery(
            url, "error", error=result.error or f"HTTP {result.status}", status=result.status
        )
    sniffed = sniff(result.body)
    if sniffed.kind == "feed":
        try:
            title = parse_feed(result.body, url, result.final_url).title
        except NotAFeed as error:
            return Discovery(url, "other", error=str(error))
        return Discovery(url, "feed", title=title)
    if sniffed.kind != "html":
        return Discovery(url, "other", error=f"the server sent {sniffed.kind} content")
    feeds, title = feed_links(decode_text(result.body), result.final_url)
    if feeds:
        return Discovery(url, "page", feeds, title=title)
    # No <link> tags: try the usual places, on the page's own site.
    for path in COMMON_PATHS:
        candidate = urljoin(result.final_url, path)
        tried = await fetcher.fetch(candidate)
        if tried.outcome == "ok" and tried.body is not None and sniff(tried.body).kind == "feed":
            try:
                feed_title = parse_feed(tried.body, candidate, tried.final_url).title
            except NotAFeed:
                continue
            feeds.append(FoundFeed(candidate, feed_title, "", how="path"))
            break  # one is enough: the paths usually serve the same feed
    return Discovery(url, "page", feeds, title=title)
