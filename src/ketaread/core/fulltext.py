"""Full text for excerpt-only feeds: fetch the article's web page and keep its main content.

The page comes through the same polite, bounded fetcher as feeds (size, time, redirects,
http(s) only). The main content is found by readability-lxml (chosen over trafilatura
by `benchmarks/bench_fulltext.py`: it keeps numbered reference lists and figure captions,
which the reference panel and figures need, and imports in a fraction of the time); site
chrome it might let through (cookie banners, newsletter boxes, related posts, comments)
is removed first by class and id. The result is sanitised like any feed body. When
extraction fails, the feed's excerpt stays and the reason is kept to be shown.
"""

from __future__ import annotations

import re
import statistics
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ketaread.core.clean import clean_html, clean_line

if TYPE_CHECKING:
    from ketaread.core.fetch import Fetcher, FetchSettings
    from ketaread.core.store import Store

MAX_PAGE_BYTES = 5 * 1024 * 1024
MIN_TEXT_CHARS = 200
"""Less main text than this is not an article (a login wall, a cookie page, an error)."""
PER_REFRESH = 20
"""Most full texts fetched for one source in one refresh (newest articles first)."""

_CHROME = re.compile(
    r"(?:^|[\s_-])(?:cookie|cookies|consent|newsletter|subscribe|subscription|related|"
    r"share|sharing|social|comments?|respond|sidebar|widget|footer|menu|navbar|nav|"
    r"breadcrumbs?|banner|promo|advert|ads?|popup|modal|signup)(?:$|[\s_-])",
    re.I,
)
_CHROME_TAGS = ("nav", "footer", "aside", "form", "script", "style", "noscript", "iframe")
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def text_length(html: str) -> int:
    """Characters of text in an HTML fragment (tags removed, whitespace folded)."""
    return len(_SPACE.sub(" ", _TAG.sub(" ", html)).strip())


def _without_chrome(html: str) -> str:
    """The page with navigation, footers and boxes whose class or id says 'chrome' removed."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return html
    for element in list(root.iter(*_CHROME_TAGS)):
        if element.getparent() is not None:
            element.drop_tree()
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or element.tag in ("html", "body", "article", "main"):
            continue
        names = f"{element.get('class', '')} {element.get('id', '')}"
        if _CHROME.search(names) and element.getparent() is not None:
            element.drop_tree()
    return lxml.html.tostring(root, encoding="unicode")


def extract_main(html: str, url: str) -> tuple[str | None, str]:
    """The page's main content as sanitised HTML, or None with the reason it failed."""
    import logging

    try:
        from readability import Document
    except ImportError:
        return None, "readability-lxml is not installed"
    # It logs each failure itself; the reason is returned (and shown) here instead.
    logging.getLogger("readability.readability").setLevel(logging.CRITICAL)
    try:
        summary = Document(_without_chrome(html), url=url).summary(html_partial=True)
    except Exception as error:  # readability raises its own, lxml's and ValueError
        reason = clean_line(str(error), limit=100) or error.__class__.__name__
        return None, f"the page could not be read ({reason})"
    body = clean_html(summary)
    length = text_length(body)
    if length < MIN_TEXT_CHARS:
        return None, f"no article text found on the page ({length} characters)"
    return body, ""


@dataclass(slots=True)
class FullText:
    """The outcome of fetching one article's full text."""

    article_id: int
    url: str
    html: str | None
    error: str = ""


async def fetch_full_text(
    fetcher: Fetcher, article_id: int, url: str, excerpt: str = ""
) -> FullText:
    """Fetch one article's page and extract its main content (never raises on bad input)."""
    import asyncio

    from ketaread.core.parse import decode_text, sniff

    result = await fetcher.fetch(url)
    if result.outcome != "ok" or result.body is None:
        return FullText(article_id, url, None, result.error or "the page could not be fetched")
    kind = sniff(result.body).kind
    if kind != "html":
        return FullText(article_id, url, None, f"the link is not a web page ({kind} content)")
    # Extraction is CPU work: off the event loop, so other fetches keep going.
    html, error = await asyncio.to_thread(extract_main, decode_text(result.body), result.final_url)
    if html is not None and excerpt and text_length(html) < text_length(excerpt):
        return FullText(article_id, url, None, "the page's text was shorter than the excerpt")
    return FullText(article_id, result.final_url, html, error)


def fetch_full_texts(
    store: Store,
    articles: list[tuple[int, str]],
    settings: FetchSettings | None = None,
    stop: threading.Event | None = None,
) -> list[FullText]:
    """Fetch and cache the full text of each (article id, link); failures keep the excerpt.

    Setting `stop` (the reader quitting) ends the fetches within a tenth of a second;
    nothing of an unfinished batch is stored.
    """
    import asyncio
    import contextlib

    from ketaread.core.fetch import Fetcher, FetchSettings

    if not articles:
        return []
    settings = settings or FetchSettings(max_bytes=MAX_PAGE_BYTES, deadline=30.0)
    excerpts = {article_id: store.article(article_id).html for article_id, _ in articles}

    async def run() -> list[FullText]:
        async with Fetcher(settings) as fetcher:
            work = asyncio.gather(
                *(
                    fetch_full_text(fetcher, article_id, url, excerpts[article_id])
                    for article_id, url in articles
                )
            )
            while not work.done():
                if stop is not None and stop.is_set():
                    work.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await work
                    return []
                await asyncio.wait({work}, timeout=0.1)
            return work.result()

    results = asyncio.run(run())
    for found in results:
        store.save_full_text(found.article_id, found.url, found.html, found.error or None)
    return results


# -- excerpt-only feeds ----------------------------------------------------------------

_EXCERPT_MARKS = (
    "appeared first on",
    "[…]",
    "[&#8230;]",
    "[...]",
    "[&hellip;]",
    "continue reading",
    "read more",
    "read the full article",
    "read the full post",
)
"""How feeds end an excerpt (WordPress: 'The post X appeared first on Y.', '[…]')."""
SHORT_BODY_CHARS = 600
"""A feed whose typical item has less text than this carries excerpts, not articles."""
LONG_BODY_CHARS = 3000
"""An item with this much text is an article whatever its last line says (WordPress puts
"The post X appeared first on Y" under full-content items too)."""
STRUCTURED_BODY_CHARS = 1200
"""An item with this much text and a heading or a numbered list is an article too."""
_STRUCTURE = re.compile(r"<(?:h[2-6]|ol)\b", re.IGNORECASE)


def _marked(tail: str) -> bool:
    return any(mark in tail for mark in _EXCERPT_MARKS)


def _is_article(body: str) -> bool:
    """Whether a body is a whole article by its length and shape (headings, a numbered
    reference list), so that an excerpt marker at its end does not make it one."""
    # Bounded: enough of the start to tell, so a huge body costs no more than a long one.
    head = body[: 4 * LONG_BODY_CHARS]
    length = _rough_text_length(head)
    if length >= LONG_BODY_CHARS:
        return True
    return length >= STRUCTURED_BODY_CHARS and bool(_STRUCTURE.search(head))


def _rough_text_length(html: str) -> int:
    """Characters outside tags (spaces not folded): plain string work, no regex."""
    pieces = html.split("<")
    return len(pieces[0]) + sum(len(piece.partition(">")[2]) for piece in pieces[1:])


def excerpt_reason(bodies: list[str]) -> str | None:
    """Why a feed looks excerpt-only, from its items' bodies; None when it does not."""
    if not bodies:
        return None
    # Only the ends and the starts are read: excerpts are marked at their end, and a body
    # is known not to be short long before its end (the check runs on every sidebar load).
    marked = sum(1 for body in bodies if _marked(body[-800:].lower()) and not _is_article(body))
    if marked * 2 >= len(bodies):
        return f'{marked} of {len(bodies)} items end like excerpts ("appeared first on", "[…]")'
    if len(bodies) >= 3:
        head = 8 * SHORT_BODY_CHARS
        typical = int(statistics.median(_rough_text_length(body[:head]) for body in bodies))
        if typical < SHORT_BODY_CHARS:
            return f"its items are short (typically {typical} characters)"
    return None


def excerpt_hint(store: Store, feed_id: int, source: str = "URL") -> str | None:
    """'looks excerpt-only (…); for full text: …' for a feed, or None."""
    if store.full_text_count(feed_id):
        return None  # full text already on for this feed
    reason = excerpt_reason(store.feed_body_samples(feed_id))
    if reason is None:
        return None
    return (
        f"looks excerpt-only ({reason}); for full articles: `ketaread add {source} --full-text` "
        "(or full_text = true in the config)"
    )


def excerpt_only_feeds(store: Store, full_text_sources: set[str]) -> dict[int, str]:
    """Feed id → why it looks excerpt-only, for feeds whose source has no full text on."""
    skip = store.full_text_feed_ids()
    sources = {feed.id: feed.source for feed in store.feeds()}
    found: dict[int, str] = {}
    for feed_id, bodies in store.recent_bodies().items():
        if feed_id in skip or sources.get(feed_id) in full_text_sources:
            continue
        if reason := excerpt_reason(bodies):
            found[feed_id] = reason
    return found
