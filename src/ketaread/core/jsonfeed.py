"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1) into the same cleaned data as XML.

The document is untrusted: its nesting depth is checked before `json.loads` builds
anything, every field is read with its expected type (a wrong type is a missing
field, never an exception), strings are bounded, and items are capped like XML items.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import urljoin

from ketaread.core.clean import clean_html, clean_line
from ketaread.core.models import Enclosure, ParsedArticle, ParsedFeed

MAX_JSON_DEPTH = 64
"""A JSON Feed needs 5 levels; anything far deeper is hostile."""
MAX_JSON_CHARS = 20 * 1024 * 1024
MAX_BODY_CHARS = 2_000_000
MAX_ATTACHMENTS = 20
_VERSION = re.compile(r"^https?://jsonfeed\.org/version/1(?:\.1)?/?$")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


class NotAJsonFeed(Exception):
    """The document is JSON but not a JSON Feed we can read; the message says why."""


def looks_like_json_feed(text: str) -> bool:
    """True when the text's head declares a JSON Feed version (cheap, before parsing)."""
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    return head.startswith("{") and "jsonfeed.org/version/1" in head.replace("\\/", "/")


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects, in linear time (strings skipped)."""
    deepest = depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
        else:
            depth -= 1
    return deepest


def _str(value: object, limit: int = 500) -> str:
    """A cleaned one-line string, or '' when the value is not a string (or a number)."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        value = str(value)
    return clean_line(value, limit=limit) if isinstance(value, str) else ""


def _url(value: object, base: str) -> str:
    text = clean_line(value, limit=2000) if isinstance(value, str) else ""
    if not text:
        return ""
    try:
        return urljoin(base, text) if base else text
    except ValueError:
        return text


def _number(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != value or value < 0 or value > 1e15:  # NaN, negative, absurd
        return None
    return int(value)


def _authors(container: dict) -> str:
    """JSON Feed 1.1 `authors` (a list), else 1.0 `author` (an object)."""
    names: list[str] = []
    authors = container.get("authors")
    candidates = authors if isinstance(authors, list) else [container.get("author")]
    for author in candidates[:20]:
        if isinstance(author, dict):
            name = _str(author.get("name"), 200)
            if name and name not in names:
                names.append(name)
    return clean_line(", ".join(names), limit=200)


def _enclosures(item: dict, base: str) -> list[Enclosure]:
    found: list[Enclosure] = []
    attachments = item.get("attachments")
    if not isinstance(attachments, list):
        return found
    for attachment in attachments[:MAX_ATTACHMENTS]:
        if not isinstance(attachment, dict):
            continue
        url = _url(attachment.get("url"), base)
        if not url.lower().startswith(("http://", "https://")):
            continue  # only what could be opened or copied
        found.append(
            Enclosure(
                url=url,
                type=_str(attachment.get("mime_type"), 100),
                length=_number(attachment.get("size_in_bytes")),
                duration=_number(attachment.get("duration_in_seconds")),
                title=_str(attachment.get("title"), 200),
            )
        )
    return found


def _item_html(item: dict) -> str:
    html = item.get("content_html")
    if isinstance(html, str) and html.strip():
        return html[:MAX_BODY_CHARS]
    for key in ("content_text", "summary"):
        text = item.get(key)
        if isinstance(text, str) and text.strip():
            from ketaread.core.parse import _plain_to_html

            return _plain_to_html(text[:MAX_BODY_CHARS])
    return ""


def parse_json_feed(text: str, location: str, base_url: str = "") -> ParsedFeed:
    """Parse a JSON Feed 1.0/1.1 document; raise NotAJsonFeed with one clear reason."""
    from ketaread.core.parse import MAX_ITEMS_PER_FEED, MAX_TAGS_PER_ARTICLE, UNTITLED, _date_from

    if len(text) > MAX_JSON_CHARS:
        raise NotAJsonFeed(f"JSON Feed larger than {MAX_JSON_CHARS // (1024 * 1024)} MiB")
    if _depth(text) > MAX_JSON_DEPTH:
        raise NotAJsonFeed(f"JSON nested deeper than {MAX_JSON_DEPTH} levels; refused")
    try:
        document = json.loads(text.lstrip("\ufeff"))
    except (ValueError, RecursionError) as error:
        raise NotAJsonFeed(f"not valid JSON ({clean_line(str(error), limit=120)})") from None
    if not isinstance(document, dict):
        raise NotAJsonFeed("JSON Feed must be an object at the top")
    version = document.get("version")
    if not isinstance(version, str) or not _VERSION.match(version.strip()):
        raise NotAJsonFeed("a JSON document without a JSON Feed version")
    warnings: list[str] = []
    feed_base = base_url or _url(document.get("feed_url"), "")
    title = _str(document.get("title")) or clean_line(Path(location).name or location)
    feed = ParsedFeed(
        location=location,
        title=title,
        link=_url(document.get("home_page_url"), feed_base),
        kind="feed",
    )
    items = document.get("items")
    if not isinstance(items, list):
        raise NotAJsonFeed("JSON Feed has no 'items' list")
    if len(items) > MAX_ITEMS_PER_FEED:
        warnings.append(f"{len(items):,} items; kept the first {MAX_ITEMS_PER_FEED:,}")
        items = items[:MAX_ITEMS_PER_FEED]
    feed_author = _authors(document)
    seen: set[str] = set()
    wrong = duplicates = 0
    for item in items:
        if not isinstance(item, dict):
            wrong += 1
            continue
        body = clean_html(_item_html(item))
        link = _url(item.get("url"), feed_base) or _url(item.get("external_url"), feed_base)
        item_title = _str(item.get("title"))
        if not item_title:
            words = clean_line(re.sub(r"<[^>]+>", " ", body), limit=70)
            item_title = words or UNTITLED
        uid = _str(item.get("id"), 1000) or link
        if not uid:
            digest = hashlib.sha1(f"{location}\0{item_title}\0{body}".encode()).hexdigest()
            uid = "sha1:" + digest
        if uid in seen:
            duplicates += 1
            continue
        seen.add(uid)
        tags: list[str] = []
        raw_tags = item.get("tags")
        for tag in raw_tags[:MAX_TAGS_PER_ARTICLE] if isinstance(raw_tags, list) else []:
            name = _str(tag, 80)
            if name and name not in tags:
                tags.append(name)
        published = _date_from(item.get("date_published")) or _date_from(item.get("date_modified"))
        feed.articles.append(
            ParsedArticle(
                uid=uid,
                title=item_title,
                link=link,
                author=_authors(item) or feed_author,
                published=published,
                tags=tags,
                html=body,
                base_url=feed_base or link,
                enclosures=_enclosures(item, feed_base),
            )
        )
    if wrong:
        warnings.append(f"{wrong} items were not objects and were skipped")
    if duplicates:
        warnings.append(f"{duplicates} items repeated an id and were skipped")
    feed.warnings = warnings
    return feed
