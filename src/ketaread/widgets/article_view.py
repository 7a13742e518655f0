"""The article pane: a header (title, author, date, source) over the article's Markdown."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

if TYPE_CHECKING:
    from textual.widgets import Markdown

from ketaread.core.models import ArticleRow

WELCOME = Content.assemble(
    ("Welcome to ketaread", "bold $accent"),
    "\n\nPick an article in the list and press ",
    ("Enter", "bold"),
    " to read it.\n\n",
    ("n / p", "bold"),
    "  next / previous unread article\n",
    ("r", "bold"),
    "      the reference panel: sources and links\n",
    ("g / G", "bold"),
    "  the glossary: this article's terms / every term\n",
    ("?", "bold"),
    "      every key",
)


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
        header = ArticleHeader(id="article-header", markup=False)
        header.display = False  # until an article is open
        yield header
        # The Markdown widget (and markdown-it) load with the first article, not before
        # the first frame.
        yield Static(WELCOME, id="article-welcome")

    @property
    def markdown(self) -> Markdown:
        """The Markdown widget (exists once an article or message has been shown)."""
        from textual.widgets import Markdown

        return self.query_one("#article-body", Markdown)

    async def _ensure_markdown(self) -> Markdown:
        from textual.widgets import Markdown

        existing = self.query("#article-body")
        if existing:
            return self.query_one("#article-body", Markdown)
        await self.query("#article-welcome").remove()
        # open_links=False: every link goes through the app's router (MarkdownViewer
        # would swallow the clicks).
        body = Markdown(id="article-body", open_links=False)
        await self.mount(body)
        return body

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
        header.display = True
        body = await self._ensure_markdown()
        await body.update(markdown)
        position = self._positions.get(row.id, 0.0)
        self.call_after_refresh(self.scroll_to, y=position, animate=False)

    async def show_message(self, title: str, text: str) -> None:
        """Show a message in place of an article (nothing to show, an error)."""
        self.remember_position()
        self.article_id = None
        header = self.query_one(ArticleHeader)
        header.update(Content.styled(title, "bold"))
        header.display = True
        body = await self._ensure_markdown()
        await body.update(text)
        self.scroll_home(animate=False)

    @staticmethod
    def header_content(row: ArticleRow, tags: list[str]) -> Content:
        """Title, then a byline and the tags: feed text kept literal, kept short."""
        feed = row.feed_title if len(row.feed_title) <= 40 else row.feed_title[:39] + "…"
        byline = [part for part in (row.author, feed) if part]
        if row.published:
            byline.append(time.strftime("%Y-%m-%d", time.localtime(row.published)))
        parts: list[Content | str | tuple[str, str]] = [Content.styled(row.title, "bold $accent")]
        if byline:
            parts += ["\n", (" · ".join(byline), "$text-muted")]
        if tags:
            shown = ", ".join(tags)
            if len(shown) > 90:
                shown = shown[:89] + "…"
            parts += ["\n", ("Tags: " + shown, "italic $text-muted")]
        return Content.assemble(*parts)

    def scroll_to_text(self, needle: str) -> bool:
        """Scroll to the first Markdown block containing `needle`; True when found."""
        needle = " ".join(needle.split())[:80]
        if not needle:
            return False
        if not self.query("#article-body"):
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
