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


def plain_fallback(html: str, reason: str) -> str:
    """The article's text without formatting, under a one-line notice (Markdown)."""
    text = html_module.unescape(re.sub(r"<[^>]*>", " ", html))
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"\n\s*\n+", "\n\n", text).strip()
    # Escaped so that nothing in the text is read as Markdown.
    escaped = re.sub(r"([\\`*_\[\]#<>|!-])", r"\\\1", text)
    return f"*Shown as plain text: {reason}.*\n\n{escaped}\n"
