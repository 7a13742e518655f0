"""The article pane: a header (title, author, date, source) over the article's Markdown."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Markdown, Static

from ketaread.core.models import ArticleRow

WELCOME = """\
# Welcome to ketaread

Pick an article in the list and press **Enter** to read it.

- **n** / **p**: next / previous unread article
- **r**: the reference panel (sources and links of the article)
- **g**: the glossary of terms in the article; **G**: the whole glossary
- **?**: every key
"""


class ArticleHeader(Static):
    """Title and byline of the open article, shown literally."""


class ArticleView(VerticalScroll, can_focus=True):
    """Scrollable article: header plus Markdown whose links the app routes itself."""

    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
        Binding("space", "page_down", "Page down", show=False),
        Binding("b,shift+space", "page_up", "Page up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.article_id: int | None = None
        self._positions: dict[int, float] = {}

    def compose(self) -> ComposeResult:
        """A header and the Markdown body."""
        yield ArticleHeader(id="article-header", markup=False)
        # open_links=False: every link goes through the app's router (MarkdownViewer
        # would swallow the clicks).
        yield Markdown(WELCOME, id="article-body", open_links=False)

    @property
    def markdown(self) -> Markdown:
        """The Markdown widget."""
        return self.query_one("#article-body", Markdown)

    def remember_position(self) -> None:
        """Keep where the reader is in the current article, for when it is reopened."""
        if self.article_id is not None:
            self._positions[self.article_id] = self.scroll_y

    async def show_article(self, row: ArticleRow, markdown: str, tags: list[str]) -> None:
        """Show an article: a new one from the top, a reopened one where it was left."""
        self.remember_position()
        self.article_id = row.id
        header = self.query_one(ArticleHeader)
        header.update(self.header_content(row, tags))
        await self.markdown.update(markdown)
        position = self._positions.get(row.id, 0.0)
        self.call_after_refresh(self.scroll_to, y=position, animate=False)

    async def show_message(self, title: str, text: str) -> None:
        """Show a message in place of an article (nothing to show, an error)."""
        self.remember_position()
        self.article_id = None
        self.query_one(ArticleHeader).update(Content.styled(title, "bold"))
        await self.markdown.update(text)
        self.scroll_home(animate=False)

    @staticmethod
    def header_content(row: ArticleRow, tags: list[str]) -> Content:
        """Title, then byline and tags: feed text kept literal."""
        byline = [part for part in (row.author, row.feed_title) if part]
        if row.published:
            byline.append(time.strftime("%Y-%m-%d", time.localtime(row.published)))
        parts: list[Content | str | tuple[str, str]] = [Content.styled(row.title, "bold $accent")]
        if byline:
            parts += ["\n", (" · ".join(byline), "$text-muted")]
        if tags:
            parts += ["\n", ("Tags: " + ", ".join(tags), "italic $text-muted")]
        if row.link:
            parts += ["\n", (row.link, "underline $text-muted")]
        return Content.assemble(*parts)

    def scroll_to_text(self, needle: str) -> bool:
        """Scroll to the first Markdown block containing `needle`; True when found."""
        needle = " ".join(needle.split())[:80]
        if not needle:
            return False
        for block in self.markdown.query("MarkdownBlock"):
            source = getattr(block, "source", None) or ""
            text = " ".join(str(source).split())
            if needle in text or needle in " ".join(_plain(block).split()):
                self.scroll_to_widget(block, top=True, animate=False)
                block.add_class("-flash")
                self.set_timer(1.5, lambda b=block: b.remove_class("-flash"))
                return True
        return False


def _plain(block: object) -> str:
    content = getattr(block, "_content", None)
    return getattr(content, "plain", "") if content is not None else ""
