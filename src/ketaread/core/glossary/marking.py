"""Marking terms in Markdown as links, and the terms of a whole article."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import replace

from ketaread.core.abbreviations import Abbreviation
from ketaread.core.glossary.collection import Glossary
from ketaread.core.glossary.finding import FoundTerm, finish_hit, note_hit, scan_terms
from ketaread.core.glossary.model import TermHit
from ketaread.core.links import term_link
from ketaread.core.markdown_regions import Layout, markdown_layout, prose_segments

# Sections and lines that are not the article's own text. Headings are matched whole.
_REFERENCE_TITLE = re.compile(
    r"(?:references?|sources?|citations?|bibliography|works\s+cited|notes|footnotes|endnotes"
    r"|literature\s+cited)\s*:?",
    re.IGNORECASE,
)
_BOILERPLATE_TITLE = re.compile(
    r"(?:related(?:\s+(?:posts?|articles?|reading|stories|content|links))?|more\s+from\b.{0,60}"
    r"|you\s+(?:may|might)\s+also\s+(?:like|enjoy)|share(?:\s+(?:this|on)\b.{0,40})?"
    r"|about\s+the\s+authors?|comments?|leave\s+a\s+(?:reply|comment)|tags?|categories"
    r"|navigation|menu|subscribe\b.{0,60}|newsletter|footer|(?:popular|recent)\s+posts"
    r"|read\s+next|keep\s+reading|disclaimer|(?:medical\s+)?disclaimer)\s*:?",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"(?:by\s+(?:[A-Z][\w.'’-]*\s*){1,4}(?:,|\||·|$|\band\b)"
    r"|(?:written|posted|reviewed|medically\s+reviewed|edited|fact[- ]checked)\s+by\b"
    r"|posted\s+(?:in|on)\b|filed\s+under\b|tags?\s*:|categories\s*:|share\s+this\b)",
    re.IGNORECASE,
)
_FOOTER_MARK = re.compile(
    r"©|\bcopyright\b|all\s+rights\s+reserved|\bappeared\s+first\s+on\b", re.IGNORECASE
)
_NAV_SEPARATORS = re.compile(r"\s[|·•]\s")
_MD_LINK_TEXT = re.compile(r"!?\[([^\[\]]*)\]\([^()]*\)")
_MD_EMPHASIS = re.compile(r"(?<!\w)[*_]{1,3}|[*_]{1,3}(?!\w)|`+")
_MD_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|])")
_HEADING_MARKS = re.compile(r"^[ ]{0,3}#{1,6}[ \t]*|[ \t]+#+[ \t]*$")


def _plain_markdown(text: str) -> str:
    """Markdown inline text as the reader sees it: link texts, no emphasis, no escapes."""
    # Each substitution only where its character occurs: most paragraphs need one or none.
    if "[" in text:
        text = _MD_LINK_TEXT.sub(r"\1", text)
    if "*" in text or "_" in text or "`" in text:
        text = _MD_EMPHASIS.sub("", text)
    return _MD_ESCAPED.sub(r"\1", text) if "\\" in text else text


def _heading_title(markdown: str, offset: int) -> str:
    end = markdown.find("\n", offset)
    line = markdown[offset : len(markdown) if end < 0 else end]
    return " ".join(_plain_markdown(_HEADING_MARKS.sub("", line)).split()).strip(" :")


def _paragraph_kind(flat: str) -> str:
    """ "boilerplate" for a byline, navigation row or footer line; else "text"."""
    if len(flat) <= 160 and _BYLINE.match(flat):
        return "boilerplate"
    if len(flat) <= 300 and _FOOTER_MARK.search(flat):
        return "boilerplate"
    if len(flat) <= 200 and len(_NAV_SEPARATORS.findall(flat)) >= 2 and flat[-1:] not in ".!?":
        return "boilerplate"
    return "text"


def _run_kinds(markdown: str, layout: Layout) -> list[str]:
    """For each paragraph run: "text", "references" or "boilerplate" (not the article's own
    prose: bylines, navigation, footers, "Related posts" sections)."""
    kinds: list[str] = []
    current = "text"
    section = 0
    for start, end in layout.runs:
        while section < len(layout.sections) and layout.sections[section] <= start:
            title = _heading_title(markdown, layout.sections[section])
            current = (
                "references"
                if _REFERENCE_TITLE.fullmatch(title)
                else "boilerplate"
                if _BOILERPLATE_TITLE.fullmatch(title)
                else "text"
            )
            section += 1
        raw = markdown[start:end]
        if raw.lstrip(" >").startswith("|"):
            kinds.append(current)  # a table: its pipes are not a navigation row
            continue
        if len(raw) > 2000:
            # Every test below is for short lines; a long paragraph is prose.
            kinds.append(current)
            continue
        flat = " ".join(_plain_markdown(raw).split())
        title = flat.strip(" :")
        if len(title) <= 60 and _REFERENCE_TITLE.fullmatch(title):
            current = "references"  # a bold line standing in for a heading
            kinds.append("boilerplate")
            continue
        if len(title) <= 60 and _BOILERPLATE_TITLE.fullmatch(title):
            current = "boilerplate"
            kinds.append("boilerplate")
            continue
        kinds.append(current if current != "text" else _paragraph_kind(flat))
    return kinds


def _text_layout(markdown: str, layout: Layout) -> Layout:
    """The layout with only the article's own paragraphs left to mark."""
    kinds = _run_kinds(markdown, layout)
    runs = [run for run, kind in zip(layout.runs, kinds, strict=True) if kind == "text"]
    return replace(layout, runs=runs)


def mark_terms(
    markdown: str,
    glossary: Glossary,
    article_abbreviations: list[Abbreviation],
    every: bool = False,
) -> str:
    """Markdown with term occurrences as `[text](ketaread://term/<key>)` links.

    Only the first occurrence of each term per section (sections start at headings; an
    everyday word marked `common` only once per article) unless `every`. Never inside links
    (text or URL), images, autolinks, bare URLs, inline code, fenced or indented code, raw
    HTML, or headings (a heading is a title, not prose; links there would clutter it), nor
    in what is not the article's own text: reference lists, bylines, navigation rows,
    footers and "Related posts" sections. Every other byte stays as it was.
    """
    layout = _text_layout(markdown, markdown_layout(markdown))
    article = glossary.for_article(article_abbreviations)
    parts: list[str] = []
    done = 0
    marked: set[tuple[int, str]] = set()
    size = len(markdown)
    for segment_start, segment_end in prose_segments(markdown, layout):
        for start, end, hit in scan_terms(markdown, glossary, article, segment_start, segment_end):
            if end == segment_end and end < size and markdown[end].isalnum():
                continue  # the segment cut a word short
            if start > 0 and markdown[start - 1] in "!]":
                continue  # "![" would make an image, "][" a reference link
            if not every:
                term = glossary.with_key(hit.key)
                section = (
                    -1 if term is not None and term.common else bisect_right(layout.sections, start)
                )
                if (section, hit.key) in marked:
                    continue
                marked.add((section, hit.key))
            parts.append(markdown[done:start])
            parts.append(f"[{markdown[start:end]}]({term_link(hit.key)})")
            done = end
    parts.append(markdown[done:])
    return "".join(parts)


def article_terms(
    markdown: str, glossary: Glossary, article_abbreviations: list[Abbreviation]
) -> list[TermHit]:
    """The terms an article's Markdown uses, for the popup: each with the sentences that use
    it and its chosen sense; terms met only in the reference list come last, flagged
    `in_references_only`. Bylines, navigation, footers and "Related posts" do not count.
    """
    layout = markdown_layout(markdown)
    kinds = _run_kinds(markdown, layout)
    article = glossary.for_article(article_abbreviations)
    found: dict[str, FoundTerm] = {}
    in_references: dict[str, FoundTerm] = {}
    pieces: list[str] = []
    for (start, end), kind in zip(layout.runs, kinds, strict=True):
        if kind == "boilerplate":
            continue
        plain = _plain_markdown(markdown[start:end])
        pieces.append(plain)
        target = found if kind == "text" else in_references
        for hit_start, hit_end, hit in scan_terms(plain, glossary, article):
            note_hit(target, hit, plain, hit_start, hit_end)
    for offset in layout.sections:  # headings count as text, except the boilerplate ones
        title = _heading_title(markdown, offset)
        if _REFERENCE_TITLE.fullmatch(title) or _BOILERPLATE_TITLE.fullmatch(title):
            continue
        for hit_start, hit_end, hit in scan_terms(title, glossary, article):
            note_hit(found, hit, title, hit_start, hit_end)
    everything = "\n\n".join(pieces)
    hits = [finish_hit(glossary, f, everything) for f in found.values()]
    hits += [
        finish_hit(glossary, f, everything, references_only=True)
        for key, f in in_references.items()
        if key not in found
    ]
    return hits
