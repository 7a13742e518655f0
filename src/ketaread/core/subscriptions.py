"""Import and export subscription lists: OPML 1.0/2.0 and newsboat `urls` files.

Imported lists come from elsewhere and are treated as hostile: OPML is parsed
with expat directly so that entity declarations (billion laughs, external
entities) are refused before anything expands, every string is cleaned, and no
location that would run a command (newsboat `exec:`, `filter:`, `|…`) or use an
unexpected scheme is ever accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from xml.parsers import expat
from xml.sax.saxutils import escape

from ketaread.core.clean import clean_line, clean_text

_TITLE_LIMIT = 300
_TAG_LIMIT = 100
_ENTRY_LIMIT = 200
_LOCATION_LIMIT = 4000
_NON_FEED_OUTLINE_TYPES = frozenset({"link", "include", "redirect"})
_FEED_SCHEME = re.compile(r"^feed:(?://)?", re.I)


@dataclass
class Subscription:
    """One source to follow: an http(s) URL, a file:// URL or an absolute local path."""

    location: str
    title: str | None = None
    tags: list[str] = field(default_factory=list)
    hidden: bool = False
    """newsboat's "!" tag: read, but kept out of the feed list."""
    html_url: str | None = None
    """The site's web page (OPML `htmlUrl`), exported for other readers; not compared."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Subscription):
            return NotImplemented
        return (self.location, self.title, self.tags, self.hidden) == (
            other.location,
            other.title,
            other.tags,
            other.hidden,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value


@dataclass
class ImportReport:
    """What an import accepted, and each refused entry with the reason."""

    subscriptions: list[Subscription] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(entry as shown to the user, reason it was skipped)."""


class _Refused(Exception):
    """A whole OPML document is refused (entities, external DTD)."""


def feed_scheme_to_http(location: str) -> str:
    """`feed://host/x` is `http://host/x`; `feed:https://host/x` is `https://host/x`."""
    match = _FEED_SCHEME.match(location)
    if not match:
        return location
    rest = location[match.end() :]
    if match.group().endswith("//"):
        return "http://" + rest
    return rest if rest.lower().startswith(("http://", "https://")) else location


def check_location(location: str) -> str | None:
    """Why `location` may not be subscribed to, or None when it is acceptable.

    Accepted: http(s) URLs with a host, file:// URLs and absolute local paths.
    """
    if not location:
        return "no location"
    if len(location) > _LOCATION_LIMIT:
        return "location is too long"
    if clean_text(location) != location or "\n" in location or "\t" in location:
        return "location contains control characters"
    lowered = location.lower()
    if location.startswith("|"):
        return "runs a command (newsboat '|' source); refused"
    if lowered.startswith("exec:"):
        return "runs a command (newsboat exec: source); refused"
    if lowered.startswith("filter:"):
        return "runs a command (newsboat filter: source); refused"
    if lowered.startswith("query:"):
        return "newsboat query feeds are searches, not sources"
    if location.startswith("/"):
        return None
    try:
        parts = urlsplit(location)
    except ValueError:
        return "not a valid URL"
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        if not parts.hostname:
            return "URL has no host"
        if any(ch.isspace() for ch in location):
            return "URL contains spaces"
        return None
    if scheme == "file":
        if not parts.path.startswith("/"):
            return "file URL has no absolute path"
        return None
    if scheme and len(scheme) > 1:
        # (len 1 would be a Windows drive letter, which falls through to "relative".)
        shown = clean_line(scheme, limit=20)
        return f"unsupported scheme '{shown}:' (only http, https and local files)"
    return "not a URL or an absolute path"


def _clean_tags(tags: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for tag in tags:
        cleaned = clean_line(tag, limit=_TAG_LIMIT)
        if cleaned and cleaned not in seen:
            seen.add(cleaned)
            out.append(cleaned)
    return out


class _Collector:
    """Accumulate subscriptions, merging tags when a location appears twice."""

    def __init__(self) -> None:
        self.report = ImportReport()
        self._by_location: dict[str, Subscription] = {}

    def add(
        self,
        entry: str,
        location: str,
        title: str | None,
        tags: list[str],
        html_url: str | None = None,
    ) -> None:
        location = feed_scheme_to_http(location.strip())
        reason = check_location(location)
        if reason:
            self.skip(entry or location, reason)
            return
        title = clean_line(title, limit=_TITLE_LIMIT) or None
        # newsboat hides a feed that has a tag starting with "!"; the rest is a tag.
        hidden = any(tag.strip().startswith("!") for tag in tags)
        tags = _clean_tags([tag.strip().removeprefix("!") for tag in tags])
        html_url = clean_line(html_url, limit=_LOCATION_LIMIT) or None
        if html_url and not html_url.lower().startswith(("http://", "https://")):
            html_url = None
        existing = self._by_location.get(location)
        if existing is not None:
            # The same feed filed in two folders is the OPML way of giving it two tags.
            existing.tags = _clean_tags(existing.tags + tags)
            existing.title = existing.title or title
            existing.hidden = existing.hidden or hidden
            existing.html_url = existing.html_url or html_url
            return
        sub = Subscription(
            location=location, title=title, tags=tags, hidden=hidden, html_url=html_url
        )
        self._by_location[location] = sub
        self.report.subscriptions.append(sub)

    def skip(self, entry: str, reason: str) -> None:
        self.report.skipped.append((clean_line(entry, limit=_ENTRY_LIMIT), reason))


def _folder_tag(path: list[str]) -> str:
    """Nested folders as one tag, the way newsboat imports them: 'Science/Neuro'."""
    return "/".join(segment for segment in path if segment)


def _category_tags(category: str) -> list[str]:
    """'a, /b/c' → ['a', 'b/c']: comma-separated OPML 2.0 category paths."""
    tags: list[str] = []
    for path in category.split(","):
        tag = _folder_tag([segment.strip() for segment in path.split("/")])
        if tag:
            tags.append(tag)
    return tags


MAX_FOLDER_DEPTH = 16
"""Folders an OPML feed's tag is made of, innermost first: deeper ones are dropped."""

_Folders = tuple[str, "_Folders"] | None
"""A folder name and the chain of folders around it (None outside every folder)."""


def _folder_names(chain: _Folders) -> list[str]:
    """The names of the (at most MAX_FOLDER_DEPTH) innermost folders, outermost first."""
    names: list[str] = []
    while chain is not None and len(names) < MAX_FOLDER_DEPTH:
        names.append(chain[0])
        chain = chain[1]
    names.reverse()
    return names


def parse_opml(data: bytes, name: str = "") -> ImportReport:
    """Read an OPML 1.0/2.0 subscription list; documents declaring entities are refused."""
    label = clean_line(name, limit=_ENTRY_LIMIT) or "OPML file"
    collector = _Collector()
    # Per open <outline>: the folder chain it passes to outlines nested inside it, as a
    # linked (name, parent) pair: opening a level costs the same however deep it is (a
    # list copied per level made a 20,000-deep file quadratic: 2.35 GB).
    stack: list[_Folders] = []
    root: list[str] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if not root:
            root.append(tag)
        if tag.lower() != "outline":
            return
        chain = stack[-1] if stack else None
        lower = {key.lower(): value for key, value in attrs.items()}
        text = lower.get("title") or lower.get("text") or ""
        kind = lower.get("type", "").strip().lower()
        feed_url = (lower.get("xmlurl") or "").strip()
        if not feed_url and kind not in _NON_FEED_OUTLINE_TYPES:
            feed_url = (lower.get("url") or "").strip()
        if feed_url:
            folder_tag = _folder_tag(_folder_names(chain))
            tags = ([folder_tag] if folder_tag else []) + _category_tags(lower.get("category", ""))
            # Exporters often repeat the URL as the text of an untitled feed.
            title = None if text.strip() == feed_url else text
            collector.add(feed_url, feed_url, title, tags, lower.get("htmlurl"))
            stack.append(chain)
            return
        folder = clean_line(lower.get("text") or lower.get("title"), limit=_TAG_LIMIT)
        if kind in _NON_FEED_OUTLINE_TYPES:
            collector.skip(
                lower.get("url") or text, f"an OPML '{clean_line(kind, limit=20)}' outline"
            )
        elif lower.get("htmlurl"):
            collector.skip(lower.get("htmlurl", "") or text, "no feed URL (only a web page link)")
        stack.append((folder, chain) if folder else chain)

    def end(tag: str) -> None:
        if tag.lower() == "outline" and stack:
            stack.pop()

    def entity_declared(*_args: object) -> None:
        raise _Refused("OPML declares entities; refusing to expand them")

    def doctype(_name: str, sysid: str | None, pubid: str | None, _internal: int) -> None:
        if sysid or pubid:
            raise _Refused("OPML refers to an external DTD; refusing to load it")

    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Leniency: a BOM or blank lines before the XML declaration are common
        # in hand-edited files and would otherwise fail the whole import.
        data = data.lstrip(b" \t\r\n")
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:].lstrip(b" \t\r\n")
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.EntityDeclHandler = entity_declared
    parser.UnparsedEntityDeclHandler = entity_declared
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(data, True)
    except _Refused as refused:
        return ImportReport(skipped=[(label, str(refused))])
    except expat.ExpatError as exc:
        detail = expat.ErrorString(exc.code) if exc.code else str(exc)
        reason = f"not well-formed XML: {detail} (line {exc.lineno}, column {exc.offset})"
        return ImportReport(skipped=[(label, reason)])
    if not root or root[0].lower() != "opml":
        shown = clean_line(root[0], limit=40) if root else "nothing"
        return ImportReport(skipped=[(label, f"not an OPML document (root element is {shown})")])
    return collector.report


def _tokenize_urls_line(line: str) -> list[str]:
    """Split a newsboat `urls` line: spaces separate, double quotes group, `\\` escapes."""
    tokens: list[str] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "#":
            break  # a comment runs to the end of the line
        if ch == '"':
            i += 1
            buf: list[str] = []
            while i < n and line[i] != '"':
                if line[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(line[i])
                i += 1
            i += 1  # closing quote (an unterminated quote runs to the end of the line)
            tokens.append("".join(buf))
            continue
        start = i
        while i < n and not line[i].isspace():
            i += 1
        tokens.append(line[start:i])
    return tokens


def parse_newsboat_urls(text: str) -> ImportReport:
    """Read a newsboat `urls` file: a URL per line, then tags; `"~Title"` renames the feed."""
    collector = _Collector()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        tokens = _tokenize_urls_line(line)
        if not tokens:
            continue
        location, rest = tokens[0], tokens[1:]
        title: str | None = None
        tags: list[str] = []
        for token in rest:
            if token.startswith("~"):
                title = token[1:]
            else:
                tags.append(token)
        collector.add(line, location, title, tags)
    return collector.report


def read_subscriptions(data: bytes, name: str = "") -> ImportReport:
    """Read a subscription list, telling OPML from a newsboat `urls` file by its content."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<", b"\xff\xfe", b"\xfe\xff")) or b"<opml" in head.lower():
        return parse_opml(data, name)
    return parse_newsboat_urls(data.decode("utf-8", errors="replace"))


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


@dataclass
class _Folder:
    """One folder of an OPML export: sub-folders by name, then its feeds."""

    folders: dict[str, _Folder] = field(default_factory=dict)
    feeds: list[Subscription] = field(default_factory=list)


def _folder_tree(subs: list[Subscription]) -> _Folder:
    """Each tag a folder ('a/b' nested as a > b); a feed with two tags sits in both."""
    root = _Folder()
    for sub in subs:
        paths = [
            [segment for segment in tag.split("/") if segment.strip()]
            for tag in _clean_tags(sub.tags)
        ]
        paths = [path for path in paths if path] or [[]]
        for path in paths:
            node = root
            for segment in path:
                node = node.folders.setdefault(segment, _Folder())
            if sub not in node.feeds:
                node.feeds.append(sub)
    return root


def to_opml(subs: list[Subscription], title: str = "ketaread subscriptions") -> str:
    """Write subscriptions as OPML 2.0, tags as nested folders, which import (ours and
    newsboat's) reads back as the same tags. Locations import would refuse are left out.
    """
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{escape(clean_line(title, limit=_TITLE_LIMIT))}</title>",
        "  </head>",
        "  <body>",
    ]
    usable = [sub for sub in subs if not check_location(sub.location.strip())]

    def feed_line(sub: Subscription, indent: str) -> str:
        location = sub.location.strip()
        name = clean_line(sub.title, limit=_TITLE_LIMIT)
        attrs = f'type="rss" text="{_attr(name or location)}"'
        if name:
            attrs += f' title="{_attr(name)}"'
        attrs += f' xmlUrl="{_attr(location)}"'
        html_url = clean_line(sub.html_url, limit=_LOCATION_LIMIT)
        if html_url and html_url.lower().startswith(("http://", "https://")):
            attrs += f' htmlUrl="{_attr(html_url)}"'
        return f"{indent}<outline {attrs}/>"

    def emit(node: _Folder, depth: int) -> None:
        indent = "  " * (depth + 2)
        for name, child in node.folders.items():
            lines.append(f'{indent}<outline text="{_attr(name)}" title="{_attr(name)}">')
            emit(child, depth + 1)
            lines.append(f"{indent}</outline>")
        lines.extend(feed_line(sub, indent) for sub in node.feeds)

    emit(_folder_tree(usable), 0)
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _quote(token: str) -> str:
    return '"' + token.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_newsboat_urls(subs: list[Subscription]) -> str:
    """Write subscriptions as a newsboat `urls` file: `URL "tag" "~Title"` per line.

    Tags that start with '~' or '!' cannot be written (newsboat reads them as a
    title or as "hidden") and are left out, as are locations that import would refuse.
    A hidden subscription gets newsboat's "!" tag.
    """
    lines: list[str] = []
    for sub in subs:
        location = sub.location.strip()
        if check_location(location):
            continue
        shown = _quote(location) if any(ch.isspace() or ch in '"#' for ch in location) else location
        parts = [shown]
        parts += [_quote(tag) for tag in _clean_tags(sub.tags) if not tag.startswith(("~", "!"))]
        if sub.hidden:
            parts.append(_quote("!"))
        name = clean_line(sub.title, limit=_TITLE_LIMIT)
        if name:
            parts.append(_quote("~" + name))
        lines.append(" ".join(parts))
    return "\n".join(lines) + ("\n" if lines else "")
