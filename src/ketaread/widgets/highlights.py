"""Highlights drawn on the article's rendered Markdown, as styles.

Why after rendering, not in the Markdown: wrapping article text in a construct of our own
(`==…==`, HTML) would mean writing Markdown around untrusted text, and Textual's Markdown
widget has no highlight construct to read it back. Instead each text block's `Content` (its
plain words and spans, built by the widget) gets a style span over the highlighted words,
found by their words with any whitespace between them. Styles are Content styles with theme
variables, so nothing of the article's text is ever parsed as markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple, cast

from textual.content import Content

if TYPE_CHECKING:
    # Only for types: the Markdown widget loads with the first article, not at start-up.
    from textual.widgets import Markdown
    from textual.widgets._markdown import MarkdownBlock

from ketaread.config import DEFAULT_MEANINGS, HighlightMeaning


def meaning_style(color: str) -> str:
    """A highlight's style in a theme colour (config.HIGHLIGHT_COLORS): underlined too, so it
    shows with NO_COLOR and 16 colours."""
    return f"underline on ${color}-muted"


def meaning_text_style(color: str) -> str:
    """A meaning's label in lists, in the theme colour's text shade."""
    return f"bold $text-{color}"


def meaning_styles(meanings: Iterable[HighlightMeaning]) -> dict[str, str]:
    """Stored meaning key -> its style."""
    return {meaning.key: meaning_style(meaning.color) for meaning in meanings}


COLOR_STYLES = meaning_styles(DEFAULT_MEANINGS)
"""The default style per highlight meaning."""
CURSOR_STYLE = "reverse"
"""The keyboard sentence cursor."""


class Mark(NamedTuple):
    """Words to style in the article, and the style."""

    text: str
    style: str
    key: str
    """What it marks (`highlight:<id>`, `cursor`): the first block a key is drawn in is kept."""


def _pattern(text: str) -> re.Pattern[str] | None:
    words = text.split()
    if not words:
        return None
    return re.compile(r"\s+".join(re.escape(word) for word in words[:400]))


def _pieces(text: str) -> list[str]:
    """A quote's parts as the blocks hold them: a quote over paragraphs is one per paragraph."""
    return [line.strip(" #>*-") for line in text.splitlines() if line.strip(" #>*-")]


def text_blocks(body: Markdown) -> list[MarkdownBlock]:
    """The article's blocks that hold words (paragraphs, headings, list items, quotes)."""
    blocks = [
        block for block in body.query("MarkdownBlock") if getattr(block, "_inline_token", None)
    ]
    return cast("list[MarkdownBlock]", blocks)


def paint(body: Markdown, marks: Sequence[Mark], original: dict[int, Content]) -> dict[str, object]:
    """Style every mark's words in the blocks of `body`; blocks painted before are first put
    back as they were (`original`, block id → Content, kept across calls). The first block
    each mark's key was drawn in."""
    placed: dict[str, object] = {}
    patterns = [
        (mark, [p for piece in _pieces(mark.text) if (p := _pattern(piece))]) for mark in marks
    ]
    for block in text_blocks(body):
        saved = original.get(id(block))
        content = saved if saved is not None else block._content
        painted = content
        plain = content.plain
        for mark, pieces in patterns:
            for pattern in pieces:
                match = pattern.search(plain)
                if match is None:
                    continue
                painted = painted.stylize(mark.style, match.start(), match.end())
                placed.setdefault(mark.key, block)
        if painted is not content or id(block) in original:
            original.setdefault(id(block), content)
            block.set_content(painted)
    return placed


def highlight_marks(
    items: Iterable[tuple[int, str, str]], styles: dict[str, str] | None = None
) -> list[Mark]:
    """Marks for (id, current text, meaning key) of anchored highlights, styled by `styles`
    (meaning key -> style; the defaults when None)."""
    styles = COLOR_STYLES if styles is None else styles
    return [
        Mark(text, styles.get(color, "underline"), f"highlight:{highlight_id}")
        for highlight_id, text, color in items
    ]


class SentenceCursor:
    """The keyboard's sentence cursor: which sentence (and how many after it) is chosen."""

    def __init__(self, text: str, spans: list[tuple[int, int]], start: int = 0) -> None:
        self.text = text
        self.spans = spans
        self.index = max(0, min(start, len(spans) - 1))
        self.extent = 0
        """Sentences after `index` that are chosen too."""

    def move(self, step: int) -> None:
        """To the next or previous sentence (the choice shrinks back to one)."""
        self.extent = 0
        self.index = max(0, min(self.index + step, len(self.spans) - 1))

    def extend(self) -> None:
        """Take in the next sentence too."""
        if self.index + self.extent + 1 < len(self.spans):
            self.extent += 1

    @property
    def range(self) -> tuple[int, int]:
        """Where the chosen sentences are in the text."""
        return self.spans[self.index][0], self.spans[self.index + self.extent][1]

    @property
    def chosen(self) -> str:
        """The chosen sentences' text."""
        start, end = self.range
        return self.text[start:end]
