"""A local HTML page read as one article: its title, publication date and main content.

A page saved from a website carries its site around the article: a menu, a header, a
footer, a title like "Article | Site name". The main content is found by the same
readability-lxml extraction as full texts (`fulltext.extract_main`, which keeps reference
lists and figure captions), but only when the page has such chrome: a bare HTML document
is kept whole. The title loses a " | Site" suffix (or a "Site | " prefix) only when that
part is the site's name as the page states it (og:site_name, application-name, the
JSON-LD publisher or website, the author meta, the text of the link to the site's home).
The date comes from the page's metadata (article:published_time, JSON-LD datePublished,
meta date, itemprop datePublished, the article's `<time datetime>`); the caller falls back
to the file's modification time only when the page names none.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from dataclasses import dataclass

from ketaread.core.clean import clean_line

_TITLE = (re.compile(r"<title[^>]*>", re.I), re.compile(r"</title>", re.I))
_H1 = (re.compile(r"<h1[^>]*>", re.I), re.compile(r"</h1>", re.I))
_BODY = re.compile(r"<body[^>]*>(.*?)(?:</body>|\Z)", re.I | re.S)
_TAGS = re.compile(r"<[^>]+>")
_META = re.compile(r"<meta\s[^>]{0,2000}>", re.I)
_ATTR = re.compile(r"""([\w:.\-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_JSON_LD = re.compile(r"<script[^>]{0,200}application/ld\+json[^>]{0,200}>", re.I)
MAX_JSON_LD_CHARS = 200_000
_TIME = re.compile(r"<time\s[^>]{0,500}>", re.I)
_ITEMPROP_DATE = re.compile(r"itemprop\s*=\s*[\"']?datePublished\b", re.I)
_REGION = (
    re.compile(r"<article\b.*?(?:</article>|\Z)", re.I | re.S),
    re.compile(r"<main\b.*?(?:</main>|\Z)", re.I | re.S),
)
_HOME_LINK = re.compile(
    r"<a\s[^>]{0,500}href\s*=\s*[\"'](?:https?://[^/\"']+)?/?[\"'][^>]{0,500}>(.{1,300}?)</a>",
    re.I | re.S,
)
# Site chrome: a page with any of these is a saved web page, not a bare document.
_CHROME = re.compile(
    r"<(?:nav|header|footer|aside)\b|\brole\s*=\s*[\"']?(?:navigation|banner|contentinfo)", re.I
)
_SEPARATORS = re.compile(r"\s+(?:\||–|—|-|·|::|»|/)\s+")
_DATE_METAS = (
    "article:published_time",
    "og:published_time",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.date",
    "dcterms.created",
    "citation_publication_date",
    "citation_date",
    "pubdate",
    "publish-date",
    "publication_date",
)
_SITE_METAS = ("og:site_name", "application-name", "twitter:site", "author")
MAX_JSON_LD = 5
"""JSON-LD blocks read at most (each up to `MAX_JSON_LD_CHARS`)."""
_MAX_JSON_NODES = 2000
MAX_EXTRACT_CHARS = 5 * 1024 * 1024
MAX_EXTRACT_TAGS = 30_000
"""A page larger than this, or with more tags (a saved article has a few thousand), keeps
its whole body: extraction time grows faster than the number of elements."""


@dataclass(slots=True)
class HtmlPage:
    """What a local HTML page says about its article."""

    title: str
    body: str
    """The article's HTML (main content when the page had site chrome), not yet sanitised."""
    published: str
    """The publication date as the page writes it ('' when it names none)."""


def _text(fragment: str) -> str:
    """Plain text of an HTML fragment, on one line."""
    return clean_line(html_lib.unescape(_TAGS.sub(" ", fragment)))


def _attrs(tag: str) -> dict[str, str]:
    """The attributes of one start tag, names lowercased, values unescaped."""
    return {
        m.group(1).lower(): html_lib.unescape(m.group(2) or m.group(3) or m.group(4) or "")
        for m in _ATTR.finditer(tag)
    }


def _metas(page: str) -> dict[str, str]:
    """meta name/property (lowercased) -> content, the first of each."""
    found: dict[str, str] = {}
    for m in _META.finditer(page):
        attrs = _attrs(m.group(0))
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
        content = attrs.get("content", "").strip()
        if key and content and key not in found:
            found[key] = content
    return found


def _json_ld(page: str) -> tuple[str, list[str]]:
    """The first datePublished of the page's JSON-LD, and the publisher or website names."""
    published = ""
    names: list[str] = []
    for count, m in enumerate(_JSON_LD.finditer(page)):
        if count >= MAX_JSON_LD:
            break
        end = page.find("</script>", m.end(), m.end() + MAX_JSON_LD_CHARS)
        if end < 0:
            continue
        try:
            data = json.loads(page[m.end() : end])
        except (ValueError, RecursionError):
            continue
        stack: list[tuple[object, str]] = [(data, "")]
        seen = 0
        while stack and seen < _MAX_JSON_NODES:
            node, key = stack.pop()
            seen += 1
            if isinstance(node, list):
                stack.extend((item, key) for item in reversed(node))
            elif isinstance(node, dict):
                kind = node.get("@type")
                name = node.get("name")
                if isinstance(name, str) and (
                    key in ("publisher", "isPartOf") or kind in ("WebSite", "Organization")
                ):
                    names.append(name)
                date = node.get("datePublished")
                if not published and isinstance(date, str):
                    published = date.strip()
                stack.extend(
                    (value, k) for k, value in node.items() if isinstance(value, (dict, list))
                )
    return published, names


def _norm(name: str) -> str:
    """A name compared without case, punctuation or spacing."""
    return re.sub(r"\W+", " ", name.casefold()).strip()


def strip_site_name(title: str, site_names: list[str]) -> str:
    """The title without a " | Site" suffix or "Site | " prefix naming one of `site_names`."""
    names = {_norm(n) for n in site_names if n and _norm(n)}
    parts = _SEPARATORS.split(title)
    if len(parts) < 2 or not names:
        return title
    seps = _SEPARATORS.findall(title)
    if _norm(parts[-1]) in names:
        return title[: len(title) - len(parts[-1]) - len(seps[-1])].strip()
    if _norm(parts[0]) in names:
        return title[len(parts[0]) + len(seps[0]) :].strip()
    return title


def _date(body: str, metas: dict[str, str], json_date: str) -> str:
    """The page's publication date as written, best source first."""
    for key in _DATE_METAS[:2]:
        if metas.get(key):
            return metas[key]
    if json_date:
        return json_date
    for key in (*_DATE_METAS[2:], "datepublished"):
        if metas.get(key):
            return metas[key]
    if m := _ITEMPROP_DATE.search(body):
        # The whole tag around the attribute (bounded: a tag is short).
        start = body.rfind("<", max(0, m.start() - 500), m.start())
        end = body.find(">", m.end(), m.end() + 500)
        attrs = _attrs(body[start:end] if start >= 0 and end >= 0 else m.group(0))
        if value := (attrs.get("content") or attrs.get("datetime") or "").strip():
            return value
    # The article's own <time>, before one in a list of other posts.
    for region in (*(r.search(body) for r in _REGION), None):
        scope = region.group(0) if region else body
        for tag in _TIME.finditer(scope):
            if value := _attrs(tag.group(0)).get("datetime", "").strip():
                return value
        if region:
            break
    return ""


def _element(
    tags: tuple[re.Pattern[str], re.Pattern[str]], text: str
) -> tuple[int, int, str] | None:
    """Start, end and inner text of the first element whose tags are `tags`. Two searches,
    not one lazy pattern: `<h1[^>]*>(.*?)</h1>` tried again from every unclosed "<h1"
    scanned to the end each time (100 KB of "<h1>x" took 16 s)."""
    opened = tags[0].search(text)
    if opened is None:
        return None
    closed = tags[1].search(text, opened.end())
    if closed is None:
        return None
    return opened.start(), closed.end(), text[opened.end() : closed.start()]


def read_html_page(page: str, url: str = "") -> HtmlPage:
    """Title, main content and publication date of a standalone HTML page."""
    body_match = _BODY.search(page)
    if body_match:
        body = body_match.group(1)
    else:
        title_element = _element(_TITLE, page)
        body = page[: title_element[0]] + page[title_element[1] :] if title_element else page
    head = page[: body_match.start()] if body_match else page
    metas = _metas(head)
    json_date, json_names = _json_ld(page)
    site_names = [metas[k] for k in _SITE_METAS if metas.get(k)] + json_names
    site_names += [_text(m.group(1)) for m in _HOME_LINK.finditer(body[:50_000])][:3]
    found = _element(_TITLE, page)
    title = _text(found[2]) if found else ""
    title = strip_site_name(title, site_names)
    if not title and (h1 := _element(_H1, body)):
        title = _text(h1[2])
    published = _date(body, metas, json_date)
    if (
        _CHROME.search(body)
        and len(page) <= MAX_EXTRACT_CHARS
        and page.count("<", 0, MAX_EXTRACT_CHARS) <= MAX_EXTRACT_TAGS
    ):
        from ketaread.core.fulltext import extract_main

        main, _why = extract_main(page, url)
        if main is not None:
            body = main  # else the whole body stays, chrome and all, rather than nothing
    first_h1 = _element(_H1, body)
    if first_h1 and _text(first_h1[2]) == title:
        body = body[: first_h1[0]] + body[first_h1[1] :]
    return HtmlPage(title=title, body=body, published=published)
