"""The article pane: a header (title, author, date, source) over the article's Markdown."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import Static

if TYPE_CHECKING:
    from textual.widgets import Markdown

from ketaread.core.models import ArticleRow
from ketaread.widgets.search_hits import SearchHits

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


_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_PARAGRAPH_START = re.compile(r"^(?:#{1,6}\s|[A-Za-z(\"“‘'*_\[])")


def split_first_screen(markdown: str, budget: int) -> tuple[str, str]:
    """Split Markdown after about `budget` characters, at a blank line before a paragraph
    or heading and outside code fences, so that the parts render as the whole would."""
    if len(markdown) <= budget * 1.5:
        return markdown, ""
    lines = markdown.splitlines(keepends=True)
    in_fence = False
    position = 0
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
        position += len(line)
        if position < budget or in_fence or line.strip():
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if _PARAGRAPH_START.match(following):
            return "".join(lines[: index + 1]), "".join(lines[index + 1 :])
    return markdown, ""


class ArticleHeader(Static):
    """Title and byline of the open article, shown literally."""


class ArticleView(VerticalScroll, can_focus=True):
    """Scrollable article: header plus Markdown whose links the app routes itself."""

    SCROLL = Binding.Group("Scroll the article (↑ ↓ pgup pgdn too)")
    PAGE = Binding.Group("Scroll the article by a page")
    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False, group=SCROLL),
        Binding("k", "scroll_up", "Up", show=False, group=SCROLL),
        Binding("space", "page_down", "Page down", show=False, group=PAGE),
        Binding("b,shift+space", "page_up", "Page up", show=False, group=PAGE),
    ]

    class ArticleShown(Message):
        """An article's first screen has been painted (the rest may still be coming)."""

        def __init__(self, article_id: int) -> None:
            super().__init__()
            self.article_id = article_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.article_id: int | None = None
        self._body: Markdown | None = None
        self._positions: dict[int, float] = {}
        self._generation = 0
        """Counts articles shown, so that late work for an earlier one is dropped."""
        self.hits = SearchHits(self)
        """A search's hits in the open article: highlighted, stepped through with ] and [."""

    def compose(self) -> ComposeResult:
        """A header and the welcome text (the Markdown body comes with the first article)."""
        header = ArticleHeader(id="article-header", markup=False)
        header.display = False  # until an article is open
        yield header
        # The Markdown widget (and markdown-it) load with the first article, not before
        # the first frame.
        yield Static(WELCOME, id="article-welcome")

    @property
    def markdown(self) -> Markdown:
        """The open article's Markdown widget."""
        if self._body is None:
            raise NoMatches("no article has been shown yet")
        return self._body

    def remember_position(self) -> None:
        """Keep where the reader is in the current article, for when it is reopened."""
        if self.article_id is not None:
            self._positions[self.article_id] = self.scroll_y

    async def show_article(
        self,
        row: ArticleRow,
        markdown: str,
        tags: list[str],
        notes: Sequence[str] = (),
        hits: re.Pattern[str] | None = None,
    ) -> None:
        """Show an article: a new one from the top, a reopened one where it was left; with
        `hits` (a search's words), at the first of them, each highlighted.

        `notes` are extra header lines (attachments, where the text came from)."""
        from textual.widgets import Markdown

        self.remember_position()
        self.hits.start(hits)
        self.article_id = row.id
        self._generation += 1
        position = self._positions.get(row.id, 0.0)
        if position:
            # Reopened: the whole article, to go back to where the reader was.
            head, tail = markdown, ""
        else:
            # Opened afresh: the first screenful now, the rest once it is painted. The
            # Markdown widget costs a widget per block, and only the first screen is needed
            # at once.
            budget = max(int(self.size.width * self.size.height * 0.5), 600)
            head, tail = split_first_screen(markdown, budget)
        previous = self._body
        # A new document per article: removing the last one's blocks (a widget each) cost
        # as much as drawing the new first screen, so it goes once that is painted.
        # open_links=False: every link goes through the app's router.
        body = Markdown(classes="article-body", open_links=False)
        # One repaint for the header, the swap and the first blocks, not one per step.
        with self.app.batch_update():
            header = self.query_one(ArticleHeader)
            header.update(self.header_content(row, tags, notes))
            header.display = True
            if previous is None:
                await self.query("#article-welcome").remove()
            else:
                previous.display = False
            await self.mount(body)
            # Through append: after update(), a later append would merge the tail's first
            # paragraph into the head's last block (it re-parses from the end, not from
            # the start of the last block).
            await body.append(head)
            self._body = body
            if self.hits.mark(body):
                position = 0.0  # a search's hits matter more than where reading stopped
            elif not position:
                self.scroll_home(animate=False)
        self.call_after_refresh(self._shown, self._generation, body, tail, position, previous)

    async def _shown(
        self,
        generation: int,
        body: Markdown,
        tail: str,
        position: float,
        previous: Markdown | None,
    ) -> None:
        """The article's first screen is painted: announce it, drop the document it
        replaced, then add the rest."""
        if generation == self._generation and self.article_id is not None:
            self.post_message(self.ArticleShown(self.article_id))
        if previous is not None:
            async with previous.lock:  # the rest of its article may still be going in
                await previous.remove()
        if generation != self._generation:
            return  # another article was opened meanwhile: this one is hidden
        if tail:
            await body.append(tail)
            self.hits.mark(body)
        if position and not self.hits.blocks:
            self.scroll_to(y=position, animate=False)

    @staticmethod
    def header_content(row: ArticleRow, tags: list[str], notes: Sequence[str] = ()) -> Content:
        """Title, then a byline, the tags and any notes: feed text kept literal, kept short."""
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
        for note in notes:
            parts += ["\n", (note if len(note) <= 200 else note[:199] + "…", "$text-muted")]
        return Content.assemble(*parts)

    def scroll_to_text(self, needle: str) -> bool:
        """Scroll to the first Markdown block containing `needle`; True when found."""
        needle = " ".join(needle.split())[:80]
        if not needle or self._body is None:
            return False
        for block in self._body.query("MarkdownBlock"):
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
