"""Article HTML to Markdown, with references and abbreviations worked out once and cached.

The cached Markdown is plain (what `ketaread show` prints); the reading screen
adds its `ketaread://` links for citations and glossary terms on top, which is
cheap, so a changed glossary never needs a re-conversion.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from html import unescape
from typing import TYPE_CHECKING
from urllib.parse import unquote

from ketaread.core.clean import clean_text
from ketaread.core.links import web_link
from ketaread.core.markdown_regions import outside_code as markdown_pieces

if TYPE_CHECKING:
    from ketaread.core.glossary import Abbreviation, Glossary, TermHit
    from ketaread.core.models import ArticleDetail
    from ketaread.core.references import ReferenceAnalysis
    from ketaread.core.store import Store

RENDER_VERSION = 7
"""Bump when conversion or analysis changes: cached renderings of older versions are redone."""

_EXCESS_BLANK_LINES = re.compile(r"\n{3,}")

# A <sup> holding only what Unicode can write raised: citation numbers ("8", "4,5", "4-6")
# and powers or charges ("2+", "-1"). Sanitised HTML, so a tag is plainly written; a <sup>
# holding a link or other tags is left to html2text.
_SUP = re.compile(r"<sup\b[^>]*>([^<]{1,40})</sup>", re.IGNORECASE)
_RAISABLE = re.compile(r"[0-9 ,+\-−–—=]+")
_RAISE = str.maketrans("0123456789+-−–—=", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁻⁻⁼")


def _raise_superscripts(html: str) -> str:
    """Write `<sup>` numbers as Unicode superscripts, which Markdown cannot mark up.

    html2text drops the tag, gluing "adherence.<sup>8</sup>" into "adherence.8" and
    "10<sup>4</sup>" into "104"; "adherence.⁸" and "10⁴" read as written.
    """
    if "<sup" not in html and "<SUP" not in html:
        return html

    def raised(m: re.Match[str]) -> str:
        inner = unescape(m.group(1)).strip()
        if not inner or not any(ch.isdigit() for ch in inner) or not _RAISABLE.fullmatch(inner):
            return m.group(0)
        # A comma and a space stay as they are: "⁴,⁵", "⁴, ⁵".
        return inner.translate(_RAISE)

    return _SUP.sub(raised, html)


@cache
def _converter_class() -> type:
    """html2text's converter, escaping '[' and ']' in the article's own text.

    Text that merely looks like a Markdown link, "[x](ketaread://…)", would otherwise reach
    the Markdown widget as a live link: only links the HTML made may be clickable.
    """
    import html2text
    from html2text.utils import escape_md_section

    class Converter(html2text.HTML2Text):
        def handle_data(self, data: str, entity_char: bool = False) -> None:
            if not self.code and not self.pre and ("[" in data or "]" in data):
                if not entity_char:
                    data = escape_md_section(data, snob=self.escape_snob)
                data = data.replace("[", "\\[").replace("]", "\\]")
                entity_char = True  # escaped here: html2text must not escape it again
            super().handle_data(data, entity_char)

    return Converter


def html_to_markdown(html: str, base_url: str = "") -> str:
    """Convert sanitised HTML to Markdown: no hard wrapping, links kept inline."""

    from ketaread.core.render_budget import MAX_MARKDOWN_CHARS, limit_nesting, plain_fallback

    html = limit_nesting(html)
    converter = _converter_class()(baseurl=base_url or "")
    converter.body_width = 0
    converter.unicode_snob = True
    converter.images_to_alt = True
    converter.single_line_break = False
    converter.wrap_links = False
    converter.wrap_list_items = False
    converter.pad_tables = False
    converter.mark_code = False
    html = _raise_superscripts(html)
    try:
        markdown = converter.handle(html)
    except ValueError:
        # A malformed URL that slipped past sanitising: show the text without its links
        # rather than nothing at all.
        converter = _converter_class()(baseurl="")
        converter.body_width = 0
        converter.ignore_links = True
        markdown = converter.handle(html)
    if len(markdown) > MAX_MARKDOWN_CHARS:
        return plain_fallback(
            html, f"formatted, it would be larger than {MAX_MARKDOWN_CHARS // 1000:,} KB"
        )
    return _EXCESS_BLANK_LINES.sub("\n\n", clean_text(markdown)).strip() + "\n"


# Link text may not contain brackets and targets may not contain parentheses, so each
# match attempt stops at the next bracket: linear time, even on thousands of unclosed '['.
_MARKDOWN_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()]*\)")
_HEADING_MARK = re.compile(r"^#{1,6}\s*", re.M)
# Emphasis markers, but not a '*' or '_' inside a word ("STAR*D", "snake_case").
_EMPHASIS = re.compile(r"(?<!\w)[*_]{1,3}|[*_]{1,3}(?!\w)|`+")


def plain_text(markdown: str) -> str:
    """Markdown reduced to its words, for sentence and abbreviation finding."""
    text = _MARKDOWN_LINK.sub(r"\1", markdown)
    text = _HEADING_MARK.sub("", text)
    return _EMPHASIS.sub("", text)


# A link's "](url)"; an escaped "\]" is text that only looks like a link, and stays text.
_LINK_TARGET = re.compile(r"(?<!\\)\]\((https?://(?:\\.|[^()\\\s])*)(\s+\"[^\"\n]*\")?\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_MD_ESCAPE = re.compile(r"\\(.)")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]])")
_ESCAPED = r"\\\1"


@dataclass(slots=True)
class MarkedArticle:
    """Markdown for the reading screen, and the web links its `ketaread://link/N` stand for."""

    markdown: str
    links: list[str] = field(default_factory=list)
    app_links: frozenset[str] = frozenset()
    """The `ketaread://` targets ketaread made for this article (percent-decoded, as a click
    delivers them). A `ketaread://` link written by the feed itself is not among them."""


_APP_TARGET = re.compile(r"\]\((ketaread://[^)\s]*)\)")


def _app_targets(markdown: str) -> set[str]:
    return set(_APP_TARGET.findall(markdown))


def index_links(markdown: str) -> MarkedArticle:
    """Point every web link at `ketaread://link/N`, N indexing the URLs as written.

    Textual's Markdown widget percent-decodes a clicked link, which would turn
    "a%20b" into "a b" (then refused) and "q=a%26b" into another query; routing by index
    opens exactly the URL the article gave.
    """
    links: list[str] = []

    def target(url: str) -> str:
        links.append(_MD_ESCAPE.sub(r"\1", url))
        return web_link(len(links) - 1)

    def autolink(match: re.Match[str]) -> str:
        url = match.group(1)
        return f"[{_MD_SPECIAL.sub(_ESCAPED, url)}]({target(url)})"

    def outside_code(text: str) -> str:
        text = _LINK_TARGET.sub(lambda m: f"]({target(m.group(1))}{m.group(2) or ''})", text)
        return _AUTOLINK.sub(autolink, text)

    # Code keeps its text (markdown_regions says where code is, for every reader of it).
    markdown = "".join(
        markdown[start:end] if is_code else outside_code(markdown[start:end])
        for start, end, is_code in markdown_pieces(markdown)
    )
    return MarkedArticle(markdown, links)


@dataclass(slots=True)
class Rendering:
    """An article's Markdown with everything worked out from it."""

    markdown: str
    analysis: ReferenceAnalysis
    abbreviations: list[Abbreviation] = field(default_factory=list)

    def terms(self, glossary: Glossary) -> list[TermHit]:
        """The glossary terms and article-defined abbreviations found in the text."""
        from ketaread.core.glossary import article_terms

        return article_terms(self.markdown, glossary, self.abbreviations)

    def marked_markdown(self, glossary: Glossary | None, mode: str = "first") -> MarkedArticle:
        """Markdown with citations, glossary terms and web links as `ketaread://` links."""
        from ketaread.core.references import link_citations

        markdown = link_citations(self.markdown, self.analysis)
        if glossary is not None and mode != "off":
            from ketaread.core.glossary import mark_terms

            markdown = mark_terms(markdown, glossary, self.abbreviations, every=mode == "every")
        marked = index_links(markdown)
        # Targets already in the plain rendering came from the feed (in code, say): only
        # the ones marking added are the app's own.
        made = _app_targets(marked.markdown) - _app_targets(self.markdown)
        marked.app_links = frozenset(unquote(target) for target in made)
        return marked

    def to_json(self) -> str:
        """The analysis part, for the cache."""
        return json.dumps(
            {
                "analysis": self.analysis.to_json(),
                "abbreviations": [[a.short, a.long, a.start] for a in self.abbreviations],
            }
        )


class MarkedCache:
    """The marked Markdown of the articles opened last, so that reopening one skips linking
    its citations and marking its terms (~10 ms for a 2,500-word article, on every open).

    An entry stands while the article's Markdown, the glossary object and the marking mode
    are the ones it was made from: a changed article, a reloaded glossary or another mode
    marks again. Each caller gets its own copy (the screen edits the Markdown it gets).
    """

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._entries: OrderedDict[int, tuple[str, object, str, MarkedArticle]] = OrderedDict()
        self._lock = threading.Lock()

    def marked(
        self, article_id: int, rendering: Rendering, glossary: Glossary | None, mode: str
    ) -> MarkedArticle:
        """`rendering.marked_markdown(glossary, mode)`, made once per article and state."""
        with self._lock:
            entry = self._entries.get(article_id)
            if entry is not None:
                markdown, used, used_mode, marked = entry
                if used is glossary and used_mode == mode and markdown == rendering.markdown:
                    self._entries.move_to_end(article_id)
                    return MarkedArticle(marked.markdown, list(marked.links), marked.app_links)
        marked = rendering.marked_markdown(glossary, mode)
        with self._lock:
            self._entries[article_id] = (rendering.markdown, glossary, mode, marked)
            self._entries.move_to_end(article_id)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return MarkedArticle(marked.markdown, list(marked.links), marked.app_links)


class ArticleLocks:
    """One lock per article while it is being converted: an open that comes while the
    article is converted ahead (the highlighted one) waits for that work instead of doing
    it again beside it, then finds it cached."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[int, tuple[threading.Lock, list[int]]] = {}

    @contextmanager
    def hold(self, article_id: int) -> Iterator[None]:
        """Hold the article's lock (waiting while another thread holds it)."""
        with self._lock:
            lock, users = self._held.setdefault(article_id, (threading.Lock(), [0]))
            users[0] += 1
        try:
            with lock:
                yield
        finally:
            with self._lock:
                users[0] -= 1
                if not users[0]:  # nobody holds or waits: the entry goes (kept bounded)
                    del self._held[article_id]

    def __len__(self) -> int:
        return len(self._held)


def render(detail: ArticleDetail) -> Rendering:
    """Convert and analyse an article (5–20 ms): callers cache the result."""
    from ketaread.core.abbreviations import find_abbreviations
    from ketaread.core.figures import figures_as_lines
    from ketaread.core.references import analyse

    html = figures_as_lines(detail.html)
    markdown = html_to_markdown(html, detail.base_url)
    analysis = analyse(html, detail.base_url)
    abbreviations = find_abbreviations(plain_text(markdown))
    return Rendering(markdown=markdown, analysis=analysis, abbreviations=abbreviations)


def _from_cache(markdown: str, data: str) -> Rendering:
    from ketaread.core.glossary import Abbreviation
    from ketaread.core.references import ReferenceAnalysis

    decoded = json.loads(data)
    return Rendering(
        markdown=markdown,
        analysis=ReferenceAnalysis.from_json(decoded["analysis"]),
        abbreviations=[Abbreviation(s, long, start) for s, long, start in decoded["abbreviations"]],
    )


def rendering_for(store: Store, detail: ArticleDetail) -> Rendering:
    """The article's rendering from the cache, made and cached on first use."""
    cached = store.rendering(detail.row.id, RENDER_VERSION)
    if cached is not None:
        try:
            return _from_cache(*cached)
        except (ValueError, KeyError, TypeError):
            pass  # an unreadable cached analysis is simply made again
    result = render(detail)
    store.save_rendering(detail.row.id, RENDER_VERSION, result.markdown, result.to_json())
    return result
