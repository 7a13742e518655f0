"""Bounds on turning an article into Markdown: nesting depth and output size.

html2text indents each nested list level, so a 2,000-deep `<ul>` made one 4 MB line
(and a 10,000-deep one 100 MB). Nesting past MAX_NESTING is flattened before conversion;
a conversion still larger than MAX_MARKDOWN_CHARS is replaced by the article's plain text,
with a notice saying so.
"""

from __future__ import annotations

import html as html_module
import re

MAX_NESTING = 24
"""Deepest nesting of elements kept; deeper tags are dropped (their text stays)."""
MAX_MARKDOWN_CHARS = 1_000_000
"""Largest Markdown shown formatted; a larger article is shown as plain text."""

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
_VOID = frozenset(
    {"br", "hr", "img", "wbr", "col", "area", "base", "embed", "input", "link", "meta", "source"}
)


def limit_nesting(html: str, limit: int = MAX_NESTING) -> str:
    """`html` with every element nested deeper than `limit` unwrapped (one linear pass;
    the sanitiser has balanced the tags already)."""
    if html.count("<") < limit:
        return html
    out: list[str] = []
    depth = 0
    dropped: dict[str, int] = {}
    position = 0
    for match in _TAG.finditer(html):
        closing, name, self_closing = match.group(1), match.group(2).lower(), match.group(3)
        if name in _VOID or self_closing:
            continue
        if closing:
            if dropped.get(name):
                dropped[name] -= 1
                out.append(html[position : match.start()])
                position = match.end()
            else:
                depth = max(0, depth - 1)
            continue
        if depth >= limit:
            dropped[name] = dropped.get(name, 0) + 1
            # A space keeps words of dropped block elements apart.
            out.append(html[position : match.start()] + " ")
            position = match.end()
        else:
            depth += 1
    out.append(html[position:])
    return "".join(out)


_BLOCK_TAG = re.compile(
    r"</?(?:p|div|li|h[1-6]|tr|blockquote|pre|table|ul|ol|dl|dt|dd|section|article)\b[^>]*>"
    r"|<br\s*/?>",
    re.I,
)


def plain_fallback(html: str, reason: str) -> str:
    """The article's text without formatting, under a one-line notice (Markdown)."""
    # Block elements end paragraphs: 20,000 paragraphs stay 20,000, not one.
    text = re.sub(_BLOCK_TAG, "\n\n", html)
    text = html_module.unescape(re.sub(r"<[^>]*>", " ", text))
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n\s*\n+", "\n\n", text).strip()
    # Escaped so that nothing in the text is read as Markdown.
    escaped = re.sub(r"([\\`*_\[\]#<>|!-])", r"\\\1", text)
    return f"*Shown as plain text: {reason}.*\n\n{escaped}\n"


MAX_FORMATTED_BLOCKS = 150
"""Blocks (paragraphs, headings, list items, table rows) the reader formats at once: each
costs Textual widgets, built and later removed on the UI thread (a list item ~30 ms on a
loaded machine). The rest of a longer article is shown as plain text."""
MAX_FORMATTED_CHARS = 60_000
"""Characters of Markdown the reader formats at once (one huge paragraph is one widget,
but wrapping it costs as much as many)."""
PLAIN_CHUNK_CHARS = 12_000
"""Characters of plain text per piece: the pieces are added as the reader scrolls."""

_BLOCK_START = re.compile(r"^\s{0,3}(?:[-*+]\s|\d{1,9}[.)]\s|\||#{1,6}\s|>)")
_FENCE_LINE = re.compile(r"^\s{0,3}(```|~~~)")


def split_formatted(
    markdown: str, max_blocks: int = MAX_FORMATTED_BLOCKS, max_chars: int = MAX_FORMATTED_CHARS
) -> tuple[str, str]:
    """`markdown` cut after `max_blocks` blocks or `max_chars` characters, at a line break
    outside code (a single overlong line is cut at a space): (formatted part, the rest)."""
    if len(markdown) <= max_chars and markdown.count("\n") <= max_blocks:
        return markdown, ""
    blocks = 0
    position = 0
    in_fence = False
    previous_blank = True
    for line in markdown.splitlines(keepends=True):
        stripped = line.strip()
        if _FENCE_LINE.match(line):
            in_fence = not in_fence
        elif not in_fence and stripped and (previous_blank or _BLOCK_START.match(line)):
            blocks += 1
            if blocks > max_blocks or position >= max_chars:
                return markdown[:position], markdown[position:]
        if not in_fence and position + len(line) > max_chars * 2:
            # One paragraph or line far over the budget: cut it at a space.
            if position >= max_chars:
                cut = position  # a line break inside a paragraph
            else:
                cut = markdown.rfind(" ", max(position, max_chars // 2), max_chars)
                cut = cut if cut > 0 else max_chars
            return markdown[:cut], markdown[cut:]
        previous_blank = not stripped
        position += len(line)
    if position > max_chars * 2:  # an unclosed code fence running to the end
        return markdown[:max_chars], markdown[max_chars:]
    return markdown, ""


_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()]*\)")
_UNESCAPE = re.compile(r"\\([\\`*_\[\]{}()#+\-.!<>|~])")
_EMPHASIS_MARKS = re.compile(r"(?<!\w)[*_]{1,3}|[*_]{1,3}(?!\w)|`+")


def plain_chunks(markdown: str, size: int = PLAIN_CHUNK_CHARS) -> list[str]:
    """The words of `markdown` (links, emphasis and escapes gone) in pieces of about `size`
    characters, cut at paragraph breaks where there are any."""
    text = _LINK.sub(r"\1", markdown)
    text = _EMPHASIS_MARKS.sub("", text)
    text = _UNESCAPE.sub(r"\1", text).strip()
    chunks: list[str] = []
    start = 0
    while start < len(text):
        end = start + size
        if end < len(text):
            cut = text.rfind("\n\n", start + size // 2, end)
            if cut < 0:
                cut = text.rfind(" ", start + size // 2, end)
            end = cut if cut > 0 else end
        chunks.append(text[start:end].strip("\n"))
        start = end
    return [chunk for chunk in chunks if chunk.strip()]
