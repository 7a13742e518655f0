"""A search's hits in the open article: highlighted as styles, stepped through with keys.

Kept apart from the search panel: the article view holds one from the start, and this module
imports nothing the first frame would not load anyway.
"""

from __future__ import annotations

import re

from textual.content import Content
from textual.widget import Widget

HIT_STYLE = "bold reverse"
"""How a hit looks in a snippet and in the article: reverse video reads in 16 colours and
with NO_COLOR too."""


class SearchHits:
    """A search's hits in an article view: styled where they are, and stepped through.

    Blocks are marked as they arrive (an article's first screen, then the rest), each once.
    The style goes onto the block's own Content: no markup is built from article text.
    """

    def __init__(self, view: Widget) -> None:
        self._view = view
        self.pattern: re.Pattern[str] | None = None
        self.blocks: list[Widget] = []
        """The blocks that hold a hit, in reading order."""
        self._marked: set[int] = set()
        self.index = -1
        self.wrapped = False
        """True when the last step went round the end (last hit → first, or back)."""

    def start(self, pattern: re.Pattern[str] | None) -> None:
        """A new article: forget the last one's hits (None: this one is not from a search)."""
        self.pattern = pattern
        self.blocks = []
        self._marked = set()
        self.index = -1

    def mark(self, markdown: Widget) -> bool:
        """Style the hits of blocks not seen yet; scroll to the first hit when it first
        appears. True when there is a hit now."""
        if self.pattern is None:
            return False
        had = bool(self.blocks)
        for block in markdown.query("MarkdownBlock"):
            if id(block) in self._marked:
                continue
            self._marked.add(id(block))
            # Textual keeps a block's inline text as Content in `_content` (pinned version).
            content = getattr(block, "_content", None)
            if not isinstance(content, Content) or not content.plain:
                continue
            spans = [m.span() for m in self.pattern.finditer(content.plain) if m.end() > m.start()]
            if not spans:
                continue
            for start, end in spans:
                content = content.stylize(HIT_STYLE, start, end)
            block.set_content(content)  # type: ignore[attr-defined]
            self.blocks.append(block)
        if self.blocks and not had:
            # After the next refresh: blocks just mounted have no place in the layout yet.
            self.index = -1
            self._view.call_after_refresh(self.step, 1)
        return bool(self.blocks)

    def step(self, direction: int) -> bool:
        """Scroll to the next (1) or previous (-1) hit, round the end; False when none."""
        if not self.blocks:
            return False
        before = self.index
        self.index = (self.index + direction) % len(self.blocks)
        self.wrapped = before >= 0 and (
            self.index < before if direction > 0 else self.index > before
        )
        block = self.blocks[self.index]
        self._view.scroll_to_widget(block, top=True, animate=False)
        return True
