"""Turn bytes into cleaned articles: feeds (RSS, Atom, RDF) and standalone articles.

What a document is comes from its content, never its file name.
"""

from __future__ import annotations

import calendar
import codecs
import hashlib
import html as html_lib
import io
import re
import time
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from urllib.parse import urljoin

from ketaread.core.clean import PLAIN_ABSOLUTE_URL, clean_html, clean_line, clean_text
from ketaread.core.models import Enclosure, ParsedArticle, ParsedFeed

MAX_ITEMS_PER_FEED = 5_000
MAX_TAGS_PER_ARTICLE = 40
MAX_FIELD_CHARS = 2_000
"""Feed fields (author, title …) longer than this are cut before feedparser sees them."""
UNTITLED = "(untitled)"


class NotAFeed(Exception):
    """The document is not a feed or an article we can read; the message says why."""


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What a document looks like: its kind and its text (for text kinds)."""

    kind: str
    """'feed', 'html', 'markdown', 'text', 'json', 'empty' or 'binary'."""
    text: str = ""


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_FEED_ROOT = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?(rss|feed|RDF)\b", re.IGNORECASE)
# Every repetition here is unambiguous (no nested quantifiers over the same text), so an
# unterminated DOCTYPE like "<!DOCTYPE x [a][a][a]…" fails in linear time.
_PROLOG = re.compile(
    r"\s*(?:<\?[^>]*\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^\[>]*(?:\[.*?\]\s*)?>\s*)*", re.S
)
_HTML_START = re.compile(
    r"\s*(?:<!DOCTYPE\s+html|<html\b|<head\b|<body\b|<(?:h[1-6]|p|div|article)\b)", re.I
)
# Control characters other than the whitespace ones and ESC (a regular expression: a
# per-character Python loop cost half a millisecond a feed).
_SNIFF_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
_MARKDOWN_SIGNS = re.compile(r"^(?:---\s*$|#{1,6}\s+\S)", re.M)


def _bom_encoding(data: bytes) -> tuple[str | None, int]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    # UTF-16/32 without a BOM still starts with '<' next to NUL bytes.
    head = data[:4]
    if head.startswith(b"<\x00\x00\x00"):
        return "utf-32-le", 0
    if head.startswith(b"\x00\x00\x00<"):
        return "utf-32-be", 0
    if head.startswith(b"<\x00"):
        return "utf-16-le", 0
    if head.startswith(b"\x00<"):
        return "utf-16-be", 0
    return None, 0


def decode_text(data: bytes) -> str:
    """Best-effort text: BOM or UTF-16/32 pattern, else UTF-8, else Windows-1252."""
    encoding, skip = _bom_encoding(data)
    if encoding:
        return data[skip:].decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _looks_like_json(text: str) -> bool:
    """A JSON document (an API response, a config file) is data, not an article."""
    stripped = text.strip()
    if not stripped or stripped[0] not in "{[" or stripped[-1] not in "}]":
        return False
    import json

    try:
        json.loads(stripped)
    except RecursionError:  # nested too deep to read, but JSON all the same
        return True
    except ValueError:
        return False
    return True


def sniff(data: bytes, name: str = "") -> Sniffed:
    """Decide what a document is from its bytes (the name only separates Markdown from text)."""
    if not data.strip():
        return Sniffed("empty")
    encoding, _ = _bom_encoding(data)
    head = data[:8192]
    # Binary files are full of NULs; a feed with a few stray ones is still a feed, and
    # clean_text removes them (a single NUL used to make a whole feed unreadable).
    if encoding is None and head.count(b"\x00") > len(head) // 100:
        return Sniffed("binary")
    text = decode_text(data)
    sample = text[:8192]
    controls = len(_SNIFF_CONTROLS.findall(sample))
    if controls > len(sample) * 0.05 or sample.count("\ufffd") > len(sample) * 0.2:
        return Sniffed("binary")
    # The prolog is matched on the whole text: a long comment or DOCTYPE must not push
    # the root element out of the sniffing window and turn a feed into a text article.
    body = _PROLOG.match(text)
    start = body.end() if body else 0
    rest = text[start : start + 256]  # not text[start:][:256]: a copy of the whole document
    if _FEED_ROOT.match(rest):
        return Sniffed("feed", text)
    if _HTML_START.match(sample):
        return Sniffed("html", text)
    from ketaread.core.jsonfeed import looks_like_json_feed

    # A JSON Feed is a feed; parse_feed tells it apart from XML by its first character.
    if looks_like_json_feed(text):
        return Sniffed("feed", text)
    if _looks_like_json(text):
        return Sniffed("json", text)
    if name.lower().endswith((".md", ".markdown")) or _MARKDOWN_SIGNS.match(
        sample.lstrip("\ufeff")
    ):
        return Sniffed("markdown", text)
    return Sniffed("text", text)


# -- feeds ---------------------------------------------------------------------------

_OVERLONG_FIELD = re.compile(
    rb"(<(?:author|dc:creator|name|email|itunes:author)\b[^>]*>)([^<]{%d,})" % MAX_FIELD_CHARS
)


def _limit_fields(data: bytes) -> bytes:
    """Cut overlong author fields: feedparser's e-mail regex backtracks badly on them."""
    return _OVERLONG_FIELD.sub(lambda m: m.group(1) + m.group(2)[:MAX_FIELD_CHARS], data)


def _epoch(parsed: time.struct_time | None) -> float | None:
    """UTC epoch seconds from feedparser's struct_time, or None when not believable."""
    if not parsed:
        return None
    try:
        value = float(calendar.timegm(parsed))
    except (OverflowError, ValueError, TypeError):
        return None
    if value < 0 or value > time.time() + 2 * 86400:
        return None
    return value


def _entry_html(entry: dict) -> tuple[str, str]:
    """The fullest body an entry offers and its base URL."""
    for content in entry.get("content") or []:
        value = content.get("value") or ""
        if value.strip():
            kind = content.get("type", "text/html")
            body = value if "html" in kind else _plain_to_html(value)
            return body, content.get("base") or ""
    detail = entry.get("summary_detail") or {}
    summary = entry.get("summary") or ""
    kind = detail.get("type", "text/html")
    body = summary if "html" in kind else _plain_to_html(summary)
    return body, detail.get("base") or ""


def _safe_link(link: str, base: str) -> str:
    link = clean_line(link, limit=2000)
    if not link:
        return ""
    if PLAIN_ABSOLUTE_URL.fullmatch(link):
        return link  # absolute: joining returns it unchanged (or raises, and it is kept)
    try:
        return urljoin(base, link) if base else link
    except ValueError:
        return link


def _content_type(data: bytes) -> str:
    """The content type to tell feedparser: UTF-8 when the bytes are valid UTF-8.

    Non-ASCII text that decodes as UTF-8 is UTF-8 whatever its declaration says; a
    document mislabelled ISO-8859-1 otherwise turns into mojibake, and its C1-range
    bytes then read as terminal controls that take the rest of a title with them.
    """
    if _bom_encoding(data)[0] is None and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return "application/xml"
        return "application/xml; charset=utf-8"
    return "application/xml"


_ITEM_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s>/]")
_ITEM_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>")


def _cap_items(data: bytes) -> tuple[bytes, int]:
    """Cut a document after MAX_ITEMS_PER_FEED items, keeping its closing tags.

    feedparser builds every entry before the cap could apply, so a 50,000-item feed took
    ten times as long as the 5,000 items kept. Returns the bytes and the item count.
    """
    starts = [m.start() for m in _ITEM_START.finditer(data)]
    if len(starts) <= MAX_ITEMS_PER_FEED:
        return data, len(starts)
    # What follows the last item's end tag closes the document (</channel></rss>, </feed>).
    ends = list(_ITEM_END.finditer(data, starts[-1]))
    if not ends:
        return data, len(starts)
    return data[: starts[MAX_ITEMS_PER_FEED]] + data[ends[-1].end() :], len(starts)


def _read_entries(
    document: bytes, original: bytes, base_url: str, fast: bool
) -> tuple[dict, list, list[str]]:
    """(channel, entries, warnings) as feedparser gives them: from the fast path when the
    document is well-formed RSS 2.0 or Atom 1.0 it reads exactly as feedparser would."""
    if fast:
        from ketaread.core.fastfeed import read_well_formed

        found = read_well_formed(document, base_url)
        if found is not None:
            return found[0], found[1], []
    import feedparser  # deferred: heavy, and only refreshes need it

    # A file-like object: feedparser would treat a bytes value that looks like a path
    # or URL as something to open.
    try:
        parsed = feedparser.parse(
            io.BytesIO(document),
            sanitize_html=False,  # nh3 sanitises, several times faster
            resolve_relative_uris=False,  # links are resolved when rendering, from base_url
            # Without a content type feedparser flags every document as malformed.
            response_headers={
                "content-type": _content_type(original),
                "content-location": base_url,
            },
        )
    except (ValueError, LookupError, RecursionError) as error:
        # feedparser's loose parser raises on some hostile documents (a character
        # reference to a lone surrogate, "&#xD800;", raises UnicodeEncodeError).
        raise NotAFeed(
            f"malformed feed, the parser failed on it ({error.__class__.__name__})"
        ) from None
    channel = parsed.get("feed", {})
    entries = parsed.get("entries", [])
    warnings: list[str] = []
    if parsed.get("bozo"):
        reason = clean_line(str(parsed.get("bozo_exception", "malformed")), limit=160)
        if not entries and not channel.get("title"):
            raise NotAFeed(f"malformed feed, nothing could be read ({reason})")
        warnings.append(f"malformed feed, kept what parsed ({reason})")
    return channel, entries, warnings


def parse_feed(data: bytes, location: str, base_url: str = "", *, fast: bool = True) -> ParsedFeed:
    """Parse an RSS/Atom/RDF document or a JSON Feed; keep what parses, with warnings.

    `fast=False` forces feedparser for every document (the equivalence tests compare).
    """
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        from ketaread.core.jsonfeed import NotAJsonFeed, parse_json_feed

        try:
            return parse_json_feed(decode_text(data), location, base_url)
        except NotAJsonFeed as error:
            raise NotAFeed(str(error)) from None
    capped, item_count = _cap_items(data)
    channel, entries, warnings = _read_entries(_limit_fields(capped), data, base_url, fast)
    feed_base = base_url or ""
    # File names are as untrusted as feed text: the fallback is cleaned too.
    title = clean_line(channel.get("title")) or clean_line(Path(location).name or location)
    feed = ParsedFeed(
        location=location,
        title=title,
        link=_safe_link(channel.get("link", ""), feed_base),
        kind="feed",
    )
    if max(len(entries), item_count) > MAX_ITEMS_PER_FEED:
        total = max(len(entries), item_count)
        warnings.append(f"{total:,} items; kept the first {MAX_ITEMS_PER_FEED:,}")
        entries = entries[:MAX_ITEMS_PER_FEED]
    seen: set[str] = set()
    duplicates = 0
    for entry in entries:
        article = _entry_article(entry, location, feed_base)
        if article.uid in seen:
            duplicates += 1
            continue
        seen.add(article.uid)
        feed.articles.append(article)
    if duplicates:
        warnings.append(f"{duplicates} items repeated an id and were skipped")
    feed.warnings = warnings
    return feed


def _entry_article(entry: dict, location: str, feed_base: str) -> ParsedArticle:
    raw_html, content_base = _entry_html(entry)
    base = content_base or feed_base
    body = clean_html(raw_html)
    link = _safe_link(entry.get("link", ""), base)
    title = clean_line(entry.get("title"))
    if not title:
        words = clean_line(re.sub(r"<[^>]+>", " ", html_lib.unescape(body)), limit=70)
        title = words or UNTITLED
    author = clean_line(
        entry.get("author") or (entry.get("author_detail") or {}).get("name"), limit=200
    )
    tags: list[str] = []
    for tag in entry.get("tags") or []:
        name = clean_line(tag.get("term") or tag.get("label"), limit=80)
        if name and name not in tags:
            tags.append(name)
    uid = clean_line(entry.get("id"), limit=1000) or link
    if not uid:
        uid = "sha1:" + hashlib.sha1(f"{location}\0{title}\0{body}".encode()).hexdigest()
    # dict.get: feedparser's own lookup of updated_parsed warns about a legacy fallback.
    published = _epoch(dict.get(entry, "published_parsed")) or _epoch(
        dict.get(entry, "updated_parsed")
    )
    return ParsedArticle(
        uid=uid,
        title=title,
        link=link,
        author=author,
        published=published,
        tags=tags[:MAX_TAGS_PER_ARTICLE],
        html=body,
        base_url=base or link,
        enclosures=_entry_enclosures(entry, base or link),
    )


MAX_ENCLOSURES = 20
_DURATION = re.compile(r"^(?:(?:(\d{1,3}):)?(\d{1,2}):)?(\d{1,7})(?:\.\d+)?$")


def parse_duration(value: object) -> int | None:
    """itunes:duration as seconds: '3600', '59:30' or '1:02:03'; None when unreadable."""
    if not isinstance(value, str):
        return None
    match = _DURATION.match(value.strip())
    if not match:
        return None
    hours, minutes, seconds = (int(part) if part else 0 for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _entry_enclosures(entry: dict, base: str) -> list[Enclosure]:
    """RSS <enclosure> and Atom rel="enclosure" links, with itunes:duration when given."""
    found: list[Enclosure] = []
    links = [
        link
        for link in entry.get("links") or []
        if isinstance(link, dict) and link.get("rel") == "enclosure"
    ]
    duration = parse_duration(dict.get(entry, "itunes_duration"))
    for link in links[:MAX_ENCLOSURES]:
        url = _safe_link(link.get("href") or "", base)
        # Only what could be opened or copied is kept (never javascript:, data: or file:).
        if not url.lower().startswith(("http://", "https://")) or any(e.url == url for e in found):
            continue
        length_text = str(link.get("length") or "").strip()
        length = (
            int(length_text)
            if length_text.isascii() and length_text.isdigit() and len(length_text) < 16
            else None
        )
        found.append(
            Enclosure(
                url=url,
                type=clean_line(link.get("type"), limit=100),
                length=length or None,
                duration=duration,
                title=clean_line(link.get("title"), limit=200),
            )
        )
    return found


# -- standalone articles -------------------------------------------------------------

_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n(?:---|\.\.\.)\s*(?:\n|\Z)", re.S)
_ATX_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


_LINE_STARTS_ITEM = re.compile(r"^\s*(?:\d{1,3}[.)]|\[\d{1,3}\]|[-*•]\s)")


def _plain_to_html(text: str) -> str:
    """Plain text as HTML: blank-line blocks become paragraphs, URLs become links.

    Hard-wrapped lines are joined so the text reflows; a line break is kept before a
    list item ("1. …", "- …", "[2] …") and after a line ending in a colon.
    """
    blocks = [b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    out = []
    for block in blocks:
        pieces: list[str] = []
        for line in block.splitlines():
            line = line.strip()
            if not line:
                continue
            escaped = _link_urls(html_lib.escape(line, quote=False))
            if pieces and not _LINE_STARTS_ITEM.match(line) and not pieces[-1].endswith(":"):
                pieces[-1] += " " + escaped
            else:
                pieces.append(escaped)
        out.append("<p>" + "<br>\n".join(pieces) + "</p>")
    return "\n".join(out)


def _link_urls(escaped_line: str) -> str:
    def link(match: re.Match[str]) -> str:
        url = match.group(0)
        return f'<a href="{url}">{url}</a>'

    return _URL_IN_TEXT.sub(link, escaped_line)


def _front_matter(text: str) -> tuple[dict[str, object], str]:
    """A small YAML subset: `key: value`, `key: [a, b]` and `- item` lists."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    fields: dict[str, object] = {}
    current: str | None = None
    for line in match.group(1).splitlines():
        if current and re.match(r"^\s+-\s+", line):
            value = line.split("-", 1)[1].strip().strip("'\"")
            items = fields.setdefault(current, [])
            if isinstance(items, list):
                items.append(value)
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        current = key.strip().lower()
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            fields[current] = [v.strip().strip("'\"") for v in value[1:-1].split(",") if v.strip()]
        elif value:
            fields[current] = value.strip("'\"")
        else:
            fields[current] = []
    return fields, text[match.end() :]


def _markdown_to_html(text: str) -> str:
    from markdown_it import MarkdownIt  # ships with Textual

    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


def _date_from(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    from datetime import datetime
    from email.utils import parsedate_to_datetime

    for parse in (
        lambda v: datetime.fromisoformat(v),
        lambda v: parsedate_to_datetime(v),
    ):
        try:
            moment = parse(value.strip())
        except (ValueError, TypeError, IndexError):
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        stamp = moment.timestamp()
        return stamp if 0 <= stamp <= time.time() + 2 * 86400 else None
    return None


def parse_article(
    sniffed: Sniffed, uid: str, fallback_title: str, mtime: float | None, base_url: str = ""
) -> ParsedArticle:
    """One standalone article from text, Markdown or HTML."""
    text = clean_text(sniffed.text.lstrip("\ufeff"))
    title = ""
    tags: list[str] = []
    published: float | None = None
    if sniffed.kind == "html":
        from ketaread.core.html_page import read_html_page

        page = read_html_page(text, base_url)
        title, html, published = page.title, page.body, _date_from(page.published)
    elif sniffed.kind == "markdown":
        fields, body = _front_matter(text)
        raw_title = fields.get("title")
        title = clean_line(raw_title) if isinstance(raw_title, str) else ""
        raw_tags = fields.get("tags") or fields.get("categories") or []
        if isinstance(raw_tags, str):
            raw_tags = [t for t in re.split(r"[,\s]+", raw_tags) if t]
        tag_list = raw_tags if isinstance(raw_tags, list) else []
        tags = [clean_line(t, limit=80) for t in tag_list if isinstance(t, str) and t.strip()]
        published = _date_from(fields.get("date"))
        if not title and (heading := _ATX_HEADING.search(body)):
            title = clean_line(heading.group(1))
            body = body[: heading.start()] + body[heading.end() :]
        elif (
            title
            and (heading := _ATX_HEADING.search(body))
            and clean_line(heading.group(1)) == title
        ):
            body = body[: heading.start()] + body[heading.end() :]
        html = _markdown_to_html(body)
    else:
        lines = text.splitlines()
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        if first is not None:
            title = clean_line(lines[first])
            text = "\n".join(lines[first + 1 :])
        html = _plain_to_html(text)
    return ParsedArticle(
        uid=uid,
        title=title or clean_line(fallback_title) or UNTITLED,
        link="",
        author="",
        published=published if published is not None else mtime,
        tags=tags[:MAX_TAGS_PER_ARTICLE],
        html=clean_html(html),
        base_url=base_url,
    )
