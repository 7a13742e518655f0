"""Where a Markdown document's code, links and prose are: one reading, by every part of
ketaread that changes or reads article Markdown (web-link indexing in render, citation
linking in references, term marking in the glossary), so that none of them rewrites inside
what another calls code.

It reads Markdown as html2text writes it and as CommonMark defines it, line by line, in
linear time (hostile input such as thousands of unclosed brackets or backticks included).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "CODE_SPAN",
    "INLINE_PROTECTED",
    "Layout",
    "code_regions",
    "markdown_layout",
    "outside_code",
    "prose_segments",
]

_QUOTE_MARKERS = re.compile(r"(?:[ ]{0,3}>[ ]?)*")
_FENCE_OPEN = re.compile(r"[ ]{0,3}(`{3,}|~{3,})(.*)$")
_ATX_HEADING = re.compile(r"[ ]{0,3}#{1,6}(?:[ \t]|$)")
_SETEXT_UNDERLINE = re.compile(r"[ ]{0,3}(?:=+|-+)[ \t]*$")
_LIST_ITEM = re.compile(r"([ ]{0,3})([*+-]|\d{1,9}[.)])([ \t]+|$)")
_LINK_DEFINITION = re.compile(r"[ ]{0,3}\[([^\]\n]{1,999})\]:[ \t]*\S")
_HTML_BLOCK = re.compile(r"[ ]{0,3}<(pre|script|style|textarea|!--)", re.IGNORECASE)
_HTML_BLOCK_END = {
    "pre": "</pre>",
    "script": "</script>",
    "style": "</style>",
    "textarea": "</textarea>",
    "!--": "-->",
}

# Inline constructs whose text must stay as it is. Possessive and bounded where it matters:
# linear on hostile input such as thousands of unclosed brackets or backticks.
_NEST = r"\[(?:[^\[\]\\\n]|\\.)*+\]"
INLINE_PROTECTED = re.compile(
    # Each construct starts with one of these: a cheap test at every position first.
    r"(?=[`<!\[hHfFwW])(?:"
    r"(?<!`)(`+)(?!`)[\s\S]{1,3000}?(?<!`)\1(?!`)"  # code span
    r"|<!--[\s\S]{0,5000}?-->"  # HTML comment
    r"|<((?i:code|kbd|samp|pre))\b[^>]{0,500}>[\s\S]{0,5000}?</\2\s*>"  # inline code in HTML
    r"|<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*+>"  # autolink
    r"|<[^\s<>@]++@[^\s<>]++>"  # e-mail autolink
    r"|</?[A-Za-z][A-Za-z0-9-]{0,30}(?:\s[^<>]*+)?/?>"  # HTML tag
    # (not at an escaped "\[": the renderer escapes every bracket of article text, and a
    # match begun there would scan to the end of the text, quadratic in its length)
    r"|(?<!\\)!?\[(?:[^\[\]\\\n]|\\.|\n(?![^\S\n]*\n)|" + _NEST + r")*+\]"  # link text …
    r"(?:\([^\S\n]*(?:<[^<>\n]*+>|(?:[^()\\\s]|\\.|\((?:[^()\\\s]|\\.)*+\))*+)"
    r"(?:\s+(?:\"[^\"\n]*+\"|'[^'\n]*+'|\([^()\n]*+\)))?\s*\)"  # … (url "title")
    r"|\[[^\[\]\n]*+\])"  # … [reference]
    r"|(?i:https?|ftp)://[^\s<>]*+|(?i:www)\.[^\s<>]++"  # bare URL
    r")"
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)++")
_SHORTCUT_REFERENCE = re.compile(r"!?\[([^\[\]\n]{1,999})\](?![(\[])")


@dataclass(slots=True)
class Layout:
    """Where a Markdown document's prose, code and sections are."""

    runs: list[tuple[int, int]]
    """Paragraph and list text (not code, headings or raw HTML blocks)."""
    sections: list[int]
    """Offsets of headings: each starts a section."""
    labels: set[str]
    """Link reference definitions' labels, lower case."""
    blocks: list[tuple[int, int]]
    """Code blocks (fenced, with their fences; indented) and raw HTML blocks, in order."""


def markdown_layout(markdown: str) -> Layout:
    """Split a Markdown document into paragraphs, code and the rest, line by line, as
    CommonMark does: fences indented up to three spaces (also in block quotes), indented
    code only after a blank line or more code and four columns past a list item's text
    (a more indented line inside a paragraph continues it), raw HTML blocks."""
    runs: list[tuple[int, int]] = []
    blocks: list[tuple[int, int]] = []
    block_start = 0
    sections: list[int] = []
    labels: set[str] = set()
    paragraph: list[tuple[int, int]] = []  # lines of the open paragraph
    paragraph_is_list = False
    fence: tuple[str, int] | None = None
    html_end: str | None = None
    list_indent: int | None = None
    previous_blank = True
    previous_code = False
    previous_code_end = -2

    def close_paragraph() -> None:
        nonlocal paragraph_is_list
        if paragraph:
            runs.append((paragraph[0][0], paragraph[-1][1]))
            paragraph.clear()
        paragraph_is_list = False

    position = 0
    size = len(markdown)
    while position < size:
        newline = markdown.find("\n", position)
        line_end = size if newline < 0 else newline
        line_start, position = position, (size if newline < 0 else newline + 1)
        line = markdown[line_start:line_end]
        inner = line[_QUOTE_MARKERS.match(line).end() :]  # type: ignore[union-attr]
        if fence is not None:
            stripped = inner.strip()
            if stripped and set(stripped) == {fence[0]} and len(stripped) >= fence[1]:
                fence = None
                blocks.append((block_start, line_end))
            continue
        if html_end is not None:
            if html_end in line.lower():
                html_end = None
                blocks.append((block_start, line_end))
            continue
        if not inner.strip():
            close_paragraph()
            previous_blank = True
            continue
        expanded = inner.expandtabs(4)
        indent = len(expanded) - len(expanded.lstrip(" "))
        code_indent = 4 + (list_indent or 0)
        if indent >= code_indent and not paragraph and (previous_blank or previous_code):
            previous_code, previous_blank = True, False
            if blocks and previous_code_end == line_start - 1 and blocks[-1][1] == line_start - 1:
                blocks[-1] = (blocks[-1][0], line_end)  # the block goes on
            else:
                blocks.append((line_start, line_end))
            previous_code_end = line_end
            continue  # indented code block
        previous_code = False
        was_blank, previous_blank = previous_blank, False
        opening = _FENCE_OPEN.match(inner)
        if opening and not (opening.group(1)[0] == "`" and "`" in opening.group(2)):
            close_paragraph()
            fence = (opening.group(1)[0], len(opening.group(1)))
            block_start = line_start
            continue
        html = _HTML_BLOCK.match(inner)
        if html:
            close_paragraph()
            end_marker = _HTML_BLOCK_END[html.group(1).lower()]
            if end_marker not in line.lower()[html.end() :]:
                html_end = end_marker
                block_start = line_start
            else:
                blocks.append((line_start, line_end))
            continue
        if _ATX_HEADING.match(inner):
            close_paragraph()
            sections.append(line_start)
            continue
        if _SETEXT_UNDERLINE.match(inner) and paragraph and not paragraph_is_list:
            sections.append(paragraph[0][0])  # the paragraph above was a heading
            paragraph.clear()
            continue
        definition = _LINK_DEFINITION.match(inner)
        if definition and not paragraph:
            labels.add(" ".join(definition.group(1).split()).lower())
            continue
        item = _LIST_ITEM.match(expanded)
        if item:
            close_paragraph()
            list_indent = len(item.group(0)) if item.group(3) else len(item.group(0)) + 1
            paragraph_is_list = True
        elif was_blank and list_indent is not None and indent < list_indent:
            list_indent = None  # a paragraph outside the list ends it
        if not paragraph:
            paragraph_is_list = bool(item)
        paragraph.append((line_start, line_end))
    close_paragraph()
    if fence is not None or html_end is not None:
        blocks.append((block_start, size))  # unclosed: code to the end, as CommonMark says
    return Layout(runs, sections, labels, blocks)


def prose_segments(markdown: str, layout: Layout) -> Iterator[tuple[int, int]]:
    """The stretches of paragraph text outside links, code spans, HTML and URLs."""
    for run_start, run_end in layout.runs:
        protected = [m.span() for m in INLINE_PROTECTED.finditer(markdown, run_start, run_end)]
        if "@" in markdown[run_start:run_end]:
            protected += [m.span() for m in _EMAIL.finditer(markdown, run_start, run_end)]
        if layout.labels:
            for match in _SHORTCUT_REFERENCE.finditer(markdown, run_start, run_end):
                if " ".join(match.group(1).split()).lower() in layout.labels:
                    protected.append(match.span())
        protected.sort()
        cursor = run_start
        for start, end in protected:
            if start > cursor:
                yield cursor, start
            cursor = max(cursor, end)
        if cursor < run_end:
            yield cursor, run_end


CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)[\s\S]{1,3000}?(?<!`)\1(?!`)")
"""An inline code span (bounded, so an unclosed run of backticks costs linear time)."""


def code_regions(markdown: str, layout: Layout | None = None) -> list[tuple[int, int]]:
    """Every stretch whose text is code and must stay as written: code and raw HTML blocks,
    and inline code spans in the text between them; sorted, not overlapping."""
    layout = layout or markdown_layout(markdown)
    regions: list[tuple[int, int]] = []
    cursor = 0
    for start, end in [*layout.blocks, (len(markdown), len(markdown))]:
        if cursor < start and "`" in markdown[cursor:start]:
            regions.extend(match.span() for match in CODE_SPAN.finditer(markdown, cursor, start))
        if start < end:
            regions.append((start, end))
        cursor = max(cursor, end)
    return regions


def outside_code(markdown: str, layout: Layout | None = None) -> Iterator[tuple[int, int, bool]]:
    """The document as consecutive (start, end, is_code) pieces that cover all of it."""
    cursor = 0
    for start, end in code_regions(markdown, layout):
        if cursor < start:
            yield cursor, start, False
        yield start, end, True
        cursor = end
    if cursor < len(markdown):
        yield cursor, len(markdown), False
