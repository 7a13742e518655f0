"""A fast path for well-formed RSS 2.0 and Atom 1.0 feeds: lxml instead of feedparser's SAX.

feedparser stays the parser of record. This module reads only documents whose every
element it knows and gives feedparser's answer for each field ketaread stores, as the
entry dictionaries feedparser would build (`parse.py` turns both into articles the same
way). Anything else — a DOCTYPE or entity, an encoding other than UTF-8, malformed XML,
`xml:base`, RSS 1.0/RDF, CDF, Atom 0.3, XHTML content, an element or namespace not listed
here, a field given twice — returns None, and feedparser parses the document as before.
`tests/core/test_fastfeed_equivalence.py` checks both paths store the same articles on
feedparser's own test corpus, the hostile fixtures, the samples and real feeds.

Hand-written rather than fastfeedparser: its output follows its own rules (dates, links,
authors, content choice), where this path must give feedparser's, quirks included; dates
and URL joins are feedparser's own functions, so they cannot drift.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any

from lxml import etree

from ketaread.core.clean import PLAIN_ABSOLUTE_URL

_ATOM = "http://www.w3.org/2005/atom"
_CONTENT = "http://purl.org/rss/1.0/modules/content/"
_DC = "http://purl.org/dc/elements/1.1/"
_ITUNES = ("http://www.itunes.com/dtds/podcast-1.0.dtd", "http://example.com/dtds/podcast-1.0.dtd")
_SY = "http://purl.org/rss/1.0/modules/syndication/"
_WFW = "http://wellformedweb.org/commentapi/"
_SLASH = "http://purl.org/rss/1.0/modules/slash/"

_DECLARED_ENCODING = re.compile(rb"""\A<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']""")
_QUERY_ENTITY = re.compile("&([A-Za-z0-9_]+);")
_VERSION_NAMESPACES = {"http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/"}


class _Decline(Exception):
    """The document is not one this path can read exactly as feedparser does."""


_SPLIT_TAGS: dict[str, tuple[str, str]] = {}
"""`_split`'s answers: a feed repeats a dozen tag names in every item."""


def _split(tag: object) -> tuple[str, str]:
    """(namespace URI, local name), both lower case as feedparser matches them."""
    if not isinstance(tag, str):
        raise _Decline  # an entity reference or other non-element node
    found = _SPLIT_TAGS.get(tag)
    if found is None:
        if tag[:1] == "{":
            uri, _, local = tag[1:].partition("}")
            found = (uri.lower(), local.lower())
        else:
            found = ("", tag.lower())
        if len(_SPLIT_TAGS) < 4096:  # bounded: a hostile feed's invented names
            _SPLIT_TAGS[tag] = found
    return found


def _attrs(element: Any) -> dict[str, str]:
    """Attributes by lower-cased name; `rel` and `type` values lower-cased (feedparser's
    normalisation). Namespaced attributes and a `base` change what feedparser does: declined."""
    found: dict[str, str] = {}
    for name, value in element.items():  # items(): no attribute proxy object made
        if name[:1] == "{":
            if name == "{http://www.w3.org/XML/1998/namespace}lang":
                continue  # language: nothing ketaread stores depends on it
            raise _Decline
        key = name.lower()
        if key in ("base", "lang"):
            raise _Decline
        found[key] = value.lower() if key in ("rel", "type") else value
    return found


def _text(element: Any) -> str:
    """Text of an element with no child elements (comments were dropped at parsing)."""
    if len(element):
        raise _Decline
    return (element.text or "").strip()


class _Reader:
    """Shared state of one document's reading: base URI and feedparser's helpers."""

    def __init__(self, base: str) -> None:
        from feedparser.datetimes import _parse_date
        from feedparser.html import _cp1252
        from feedparser.urls import _urljoin

        self.base = base
        self._parsed_base: tuple[str, bool] | None = None
        self.parse_date: Callable[[str], Any] = _parse_date
        self.cp1252 = _cp1252
        self.urljoin: Callable[[str, str], str] = _urljoin

    def fix(self, text: str) -> str:
        """What feedparser does to every text it keeps: undo UTF-8 read as Latin-1, map
        Windows-1252's C1 range to its characters."""
        if text.isascii():
            return text
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            text = text.encode("iso-8859-1").decode("utf-8")
        return text.translate(self.cp1252)

    def value(self, element: Any) -> str:
        return self.fix(_text(element))

    def uri(self, element: Any) -> str:
        """A link's text as feedparser keeps it: joined to the base (when not empty), fixed."""
        raw = _text(element)
        if raw and PLAIN_ABSOLUTE_URL.fullmatch(raw) and self._base_parses():
            return raw  # what the join and the fix give it (see PLAIN_ABSOLUTE_URL)
        return self.fix(self.urljoin(self.base or "", raw)) if raw else raw

    def resolve(self, uri: str) -> str:
        if PLAIN_ABSOLUTE_URL.fullmatch(uri) and self._base_parses():
            return uri
        return self.urljoin(self.base or "", uri)

    def _base_parses(self) -> bool:
        """Whether joining to the base can succeed: feedparser's join gives "" when the
        base itself is not a URL Python can parse ("http://[x")."""
        known = self._parsed_base
        if known is None or known[0] != self.base:
            known = self._parsed_base = (self.base, self.urljoin(self.base, "http://a/") != "")
        return known[1]


def _once(seen: set[str], key: str) -> None:
    """A field given twice: feedparser's choice depends on order and depth; not ours."""
    if key in seen:
        raise _Decline
    seen.add(key)


def _text_only_subtree(element: Any, allowed: frozenset[str]) -> None:
    """An ignored element's children must be text-only elements of `allowed` names."""
    for child in element:
        uri, local = _split(child.tag)
        if uri or local not in allowed or len(child):
            raise _Decline
        _attrs(child)


_IMAGE_CHILDREN = frozenset({"title", "link", "description", "url", "width", "height"})
_RSS_CHANNEL_IGNORED = frozenset(
    {
        "description",
        "language",
        "copyright",
        "managingeditor",
        "webmaster",
        "pubdate",
        "lastbuilddate",
        "generator",
        "docs",
        "ttl",
        "category",
    }
)
_RSS_ITEM_IGNORED = frozenset({"comments"})
_ENCLOSURE_ATTRS = frozenset({"url", "length", "type"})
_HARMLESS_NS = {_SY: None, _WFW: None, _SLASH: None}


def _rss(root: Any, reader: _Reader) -> tuple[dict, list[dict]]:
    _root_base(root, reader)
    if root.get("version") != "2.0" or len(root) != 1 or _attrs(root).keys() - {"version"}:
        raise _Decline
    channel = root[0]
    if _split(channel.tag) != ("", "channel") or _attrs(channel):
        raise _Decline
    feed: dict[str, Any] = {}
    entries: list[dict] = []
    seen: set[str] = set()
    for child in channel:
        uri, local = _split(child.tag)
        if uri == "":
            if local == "item":
                entries.append(_rss_item(child, reader))
            elif local == "title":
                _once(seen, local)
                if _attrs(child):
                    raise _Decline
                feed["title"] = reader.value(child)
            elif local == "link":
                _once(seen, local)
                if _attrs(child):
                    raise _Decline
                feed["link"] = _QUERY_ENTITY.sub(r"&\g<1>", reader.uri(child))
            elif local == "image":
                _attrs(child)
                _text_only_subtree(child, _IMAGE_CHILDREN)
            elif local in _RSS_CHANNEL_IGNORED:
                _attrs(child)
                _text(child)
            elif local == "cloud":
                if len(child):
                    raise _Decline
            else:
                raise _Decline
        elif uri == _ATOM and local == "link":
            attrs = _attrs(child)
            # rel="self" or "hub" only: an alternate link would become the feed's link.
            if len(child) or attrs.get("rel", "alternate") == "alternate" or not attrs.get("href"):
                raise _Decline
        elif uri in _HARMLESS_NS:
            _text(child)
        else:
            raise _Decline
    return feed, entries


def _rss_item(item: Any, reader: _Reader) -> dict:
    if _attrs(item):
        raise _Decline
    entry: dict[str, Any] = {"links": []}
    seen: set[str] = set()
    guid: str | None = None
    guid_is_link = False
    for child in item:
        uri, local = _split(child.tag)
        attrs = _attrs(child)
        if uri == "":
            if local == "title":
                _once(seen, local)
                if attrs:
                    raise _Decline
                entry["title"] = reader.value(child)
            elif local == "link":
                _once(seen, local)
                if attrs:
                    raise _Decline
                link = reader.uri(child)
                link = _QUERY_ENTITY.sub(r"&\g<1>", link.replace("&amp;", "&"))
                entry["link"] = link
            elif local == "guid":
                _once(seen, local)
                if attrs.keys() - {"ispermalink"}:
                    raise _Decline
                guid_is_link = attrs.get("ispermalink", "true") == "true"
                guid = reader.uri(child) if guid_is_link else reader.value(child)
                entry["id"] = guid
            elif local == "description":
                _once(seen, local)
                if attrs:
                    raise _Decline
                entry["summary"] = reader.value(child)
                entry["summary_detail"] = {"type": "text/html", "base": reader.base}
            elif local == "author":
                _once(seen, "author")
                if attrs:
                    raise _Decline
                entry["author"] = reader.value(child)
            elif local == "pubdate":
                _once(seen, local)
                if attrs:
                    raise _Decline
                entry["published_parsed"] = reader.parse_date(reader.value(child))
            elif local == "category":
                if attrs.keys() - {"domain"}:
                    raise _Decline
                name = reader.value(child)
                if name:
                    entry.setdefault("tags", []).append({"term": name})
            elif local == "enclosure":
                if len(child) or (child.text or "").strip() or attrs.keys() - _ENCLOSURE_ATTRS:
                    raise _Decline
                enclosure = dict(attrs)
                href = enclosure.pop("url", "")
                if href:
                    enclosure["href"] = href
                enclosure["rel"] = "enclosure"
                entry["links"].append(enclosure)
            elif local in _RSS_ITEM_IGNORED:
                _text(child)
            else:
                raise _Decline
        elif uri == _CONTENT and local == "encoded":
            _once(seen, "content")
            if attrs:
                raise _Decline
            entry["content"] = [
                {"type": "text/html", "base": reader.base, "value": reader.value(child)}
            ]
        elif uri == _DC and local == "creator":
            _once(seen, "author")
            if attrs:
                raise _Decline
            entry["author"] = reader.value(child)
        elif uri == _DC and local == "date":
            _once(seen, "updated")
            if attrs:
                raise _Decline
            entry["updated_parsed"] = reader.parse_date(reader.value(child))
        elif uri in _ITUNES and local == "duration":
            _once(seen, local)
            if attrs:
                raise _Decline
            entry["itunes_duration"] = reader.value(child)
        elif uri in _HARMLESS_NS:
            _text(child)
        else:
            raise _Decline
    if guid is not None and guid_is_link and "link" not in entry:
        entry["link"] = guid  # feedparser: a permalink guid is the link when none is given
    return entry


_ATOM_TEXT_TYPES = {
    None: "text/plain",
    "text": "text/plain",
    "html": "text/html",
    "text/plain": "text/plain",
    "text/html": "text/html",
}
_PERSON_CHILDREN = frozenset({"name", "email", "uri"})


def _atom_text(element: Any, reader: _Reader, allowed: frozenset[str]) -> tuple[str, str]:
    """(value, content type) of an Atom text construct; XHTML and src= are declined."""
    attrs = _attrs(element)
    if attrs.keys() - allowed:
        raise _Decline
    kind = _ATOM_TEXT_TYPES.get(attrs.get("type"))
    if kind is None:
        raise _Decline
    return reader.value(element), kind


def _atom_person(element: Any) -> str:
    """An Atom author as feedparser's `author`: "name (email)", name, email or text."""
    if _attrs(element):
        raise _Decline
    if not len(element):
        raise _Decline  # bare text in an Atom author: feedparser's e-mail regex decides
    if (element.text or "").strip():
        raise _Decline
    parts: dict[str, str] = {}
    for child in element:
        uri, local = _split(child.tag)
        if uri != _ATOM or local not in _PERSON_CHILDREN or local in parts or _attrs(child):
            raise _Decline
        if (child.tail or "").strip():
            raise _Decline
        parts[local] = _text(child)
    name, email = parts.get("name"), parts.get("email")
    if name and email:
        return f"{name} ({email})"
    return name or email or ""


def _atom_link(element: Any, reader: _Reader) -> dict[str, str]:
    attrs = _attrs(element)
    if len(element) or (element.text or "").strip():
        raise _Decline
    if attrs.keys() - {"href", "rel", "type", "length", "title", "hreflang"}:
        raise _Decline
    if not attrs.get("href"):
        raise _Decline  # feedparser would read the element's text as the link
    attrs.setdefault("rel", "alternate")
    attrs.setdefault("type", "application/atom+xml" if attrs["rel"] == "self" else "text/html")
    attrs["href"] = reader.resolve(attrs["href"])
    return attrs


_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")


def _is_html_alternate(link: dict[str, str]) -> bool:
    """feedparser's test for the link it keeps as `link` (last one wins)."""
    return link["rel"] == "alternate" and link["type"] in _HTML_TYPES


_ATOM_FEED_IGNORED = frozenset({"updated", "icon", "logo"})
_ATOM_FEED_TEXTS = frozenset({"subtitle", "rights"})


_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


def _root_base(root: Any, reader: _Reader) -> None:
    """The base URI everything below the root is read with, as feedparser works it out.

    feedparser joins the base to itself at every element (which rewrites file:/// as
    file://, for one) and to an xml:base on the root (WordPress's Atom feeds have one);
    xml:base anywhere else is declined by `_attrs`. A base that would still change one
    level down is declined too.
    """
    from feedparser.urls import make_safe_absolute_uri

    def step(base: str, given: str) -> str:
        if base:
            return make_safe_absolute_uri(base, given) or base
        return reader.urljoin(base, given)

    given = root.attrib.pop(_XML_BASE, None) or reader.base
    base = step(reader.base, given)
    if step(base, base) != base:
        raise _Decline
    reader.base = base


def _atom(root: Any, reader: _Reader) -> tuple[dict, list[dict]]:
    _root_base(root, reader)
    if _attrs(root):
        raise _Decline
    feed: dict[str, Any] = {}
    entries: list[dict] = []
    seen: set[str] = set()
    feed_id: str | None = None
    for child in root:
        uri, local = _split(child.tag)
        if uri != _ATOM:
            if uri in _HARMLESS_NS:
                _text(child)
                continue
            raise _Decline
        if local == "entry":
            entries.append(_atom_entry(child, reader))
        elif local == "title":
            _once(seen, local)
            feed["title"] = _atom_text(child, reader, frozenset({"type"}))[0]
        elif local == "link":
            link = _atom_link(child, reader)
            if _is_html_alternate(link):
                feed["link"] = link["href"]
        elif local == "id":
            _once(seen, local)
            if _attrs(child):
                raise _Decline
            feed_id = reader.uri(child)
        elif local in _ATOM_FEED_IGNORED:
            if _attrs(child):
                raise _Decline
            _text(child)
        elif local in _ATOM_FEED_TEXTS:
            _atom_text(child, reader, frozenset({"type"}))
        elif local == "generator":
            if _attrs(child).keys() - {"uri", "version"}:
                raise _Decline
            _text(child)
        elif local in ("author", "contributor"):
            _atom_person(child)
        elif local == "category":
            if _attrs(child).keys() - {"term", "scheme", "label"} or len(child) or child.text:
                raise _Decline
        else:
            raise _Decline
    if feed_id is not None and "link" not in feed:
        feed["link"] = feed_id  # feedparser: the id doubles as the link, as for entries
    return feed, entries


def _atom_entry(element: Any, reader: _Reader) -> dict:
    if _attrs(element):
        raise _Decline
    entry: dict[str, Any] = {"links": []}
    seen: set[str] = set()
    entry_id: str | None = None
    for child in element:
        uri, local = _split(child.tag)
        if uri != _ATOM:
            if uri in _ITUNES and local == "duration":
                _once(seen, local)
                if _attrs(child):
                    raise _Decline
                entry["itunes_duration"] = reader.value(child)
                continue
            if uri in _HARMLESS_NS:
                _text(child)
                continue
            raise _Decline
        if local == "title":
            _once(seen, local)
            entry["title"] = _atom_text(child, reader, frozenset({"type"}))[0]
        elif local == "id":
            _once(seen, local)
            if _attrs(child):
                raise _Decline
            entry_id = entry["id"] = reader.uri(child)
        elif local == "link":
            link = _atom_link(child, reader)
            entry["links"].append(link)
            if _is_html_alternate(link):
                entry["link"] = link["href"]
        elif local in ("published", "updated"):
            _once(seen, local)
            if _attrs(child):
                raise _Decline
            entry[f"{local}_parsed"] = reader.parse_date(reader.value(child))
        elif local == "author":
            _once(seen, local)
            entry["author"] = _atom_person(child)
        elif local == "contributor":
            _atom_person(child)
        elif local == "category":
            attrs = _attrs(child)
            if attrs.keys() - {"term", "scheme", "label"} or len(child) or child.text:
                raise _Decline
            term, label = attrs.get("term"), attrs.get("label")
            if term or label:
                entry.setdefault("tags", []).append({"term": term, "label": label})
        elif local == "summary":
            _once(seen, local)
            value, kind = _atom_text(child, reader, frozenset({"type"}))
            entry["summary"] = value
            entry["summary_detail"] = {"type": kind, "base": reader.base}
        elif local == "content":
            _once(seen, local)
            value, kind = _atom_text(child, reader, frozenset({"type"}))
            entry["content"] = [{"type": kind, "base": reader.base, "value": value}]
        elif local == "rights":
            _atom_text(child, reader, frozenset({"type"}))
        else:
            raise _Decline
    if entry_id is not None and "link" not in entry:
        entry["link"] = entry_id  # feedparser: an Atom id counts as a permalink guid
    if "content" in entry and "summary" not in entry:
        entry["summary"] = entry["content"][0]["value"]  # feedparser copies content over
    return entry


_PARSER = None


def _parser() -> Any:
    global _PARSER
    if _PARSER is None:
        _PARSER = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
    return _PARSER


def read_well_formed(data: bytes, base_url: str = "") -> tuple[dict, list[dict]] | None:
    """(channel, entries) as feedparser would give them for a well-formed RSS 2.0 or Atom
    1.0 document in UTF-8, or None: then feedparser must parse it."""
    if data[:3] == b"\xef\xbb\xbf" or b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return None
    declared = _DECLARED_ENCODING.match(data)
    if declared and declared.group(1).lower() != b"utf-8":
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        root = etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError):
        return None
    for _event, (_prefix, uri) in etree.iterwalk(root, events=("start-ns",)):
        if uri.lower() in _VERSION_NAMESPACES:
            return None  # feedparser would take the document for RSS 0.90/1.0, whatever its root
    from feedparser.urls import make_safe_absolute_uri

    base = make_safe_absolute_uri("", base_url) or make_safe_absolute_uri(base_url) or ""
    reader = _Reader(base)
    try:
        kind = _split(root.tag)
        if kind == ("", "rss"):
            return _rss(root, reader)
        if kind == (_ATOM, "feed"):
            return _atom(root, reader)
    except _Decline:
        return None
    return None
