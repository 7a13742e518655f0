"""The article pane: a header (title, author, date, source) over the article's Markdown."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from functools import cache
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

from ketaread.core.clean import author_name
from ketaread.core.models import ArticleRow
from ketaread.widgets.article_list import ArticleList
from ketaread.widgets.highlights import CURSOR_STYLE, Mark, SentenceCursor, paint, text_blocks
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


MAX_CODE_CHARS = 100_000
"""Longest code block highlighted; longer ones are cut, with a line saying so."""


@cache
def article_markdown_class() -> type[Markdown]:
    """Textual's Markdown, except that a code block without a language is shown as plain
    text: Textual would ask Pygments to guess its language, which, on the UI thread, took
    minutes on one 4 MB line. Very long code blocks are cut."""
    from markdown_it import MarkdownIt
    from textual.events import Mount
    from textual.widget import Widget
    from textual.widgets import Markdown
    from textual.widgets._markdown import MarkdownFence

    class PlainFence(MarkdownFence):
        def __init__(self, markdown: Markdown, token: object, code: str) -> None:
            if not getattr(token, "info", ""):
                token.info = "text"  # type: ignore[attr-defined]
            if len(code) > MAX_CODE_CHARS:
                code = code[:MAX_CODE_CHARS] + f"\n… (cut at {MAX_CODE_CHARS:,} characters)"
            super().__init__(markdown, token, code)  # type: ignore[arg-type]

    class ArticleMarkdown(Markdown):
        BLOCKS = {**Markdown.BLOCKS, "fence": PlainFence, "code_block": PlainFence}

        def __init__(self, *, classes: str | None = None, open_links: bool = True) -> None:
            super().__init__(classes=classes, open_links=open_links)
            self._prebuilt: list[Widget] | None = None

        def prebuild(self, markdown: str) -> None:
            """Build the blocks of `markdown` before mounting, as `append` would into an
            empty document: mounted with the document in one go, not in a second round
            (Markdown's own mount parses "" in a worker thread first, then `append` mounts
            the blocks)."""
            tokens = MarkdownIt("gfm-like").parse(markdown)
            self._markdown = markdown
            for token in reversed(tokens):
                # Where a later `append` starts parsing again (its last top-level block).
                if token.map is not None and token.level == 0:
                    self._last_parsed_line = token.map[0]
                    break
            self._prebuilt = list(self._parse_markdown(tokens))

        def compose(self) -> ComposeResult:
            blocks, self._prebuilt = self._prebuilt or [], []
            yield from blocks

        # Async as Markdown's own is (mypy compares with Widget's, which is not).
        async def _on_mount(self, event: Mount) -> None:  # type: ignore[override]
            if self._prebuilt is None:
                return  # not prebuilt: Markdown's own mount (next in the MRO) loads it
            # Markdown's own mount would replace the prebuilt blocks by an empty document.
            event.prevent_default()
            Widget._on_mount(self, event)

    return ArticleMarkdown


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


class PlainPart(Static):
    """A piece of an article past the formatting budget, shown as plain text."""


OVERFLOW_NOTICE = (
    "The rest of this article is shown as plain text: it is longer than the reader formats "
    "at once. Its links, terms and citations are not marked; more loads as you scroll."
)


class ArticleView(VerticalScroll, can_focus=True):
    """Scrollable article: header plus Markdown whose links the app routes itself."""

    SCROLL = Binding.Group("Scroll the article (↑ ↓ pgup pgdn too)")
    PAGE = Binding.Group("Scroll the article by a page")
    # Shared with the list: one help row each says what they do in both.
    HALF = ArticleList.HALF
    ENDS = ArticleList.ENDS
    CURSOR = Binding.Group("Sentence cursor: next / previous sentence")
    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False, group=SCROLL),
        Binding("k", "scroll_up", "Up", show=False, group=SCROLL),
        Binding(
            "x",
            "sentence_cursor",
            "Sentences",
            show=False,
            tooltip="Sentence cursor: j/k move, J takes the next one in, enter highlights",
        ),
        Binding(
            "J",
            "extend_cursor",
            "Extend",
            show=False,
            tooltip="Sentence cursor: take in the next sentence",
        ),
        Binding("enter", "choose_sentences", "Highlight", tooltip="Highlight the chosen sentences"),
        Binding("escape", "leave_cursor", "Leave", tooltip="Leave the sentence cursor"),
        Binding("space", "page_down", "Page down", show=False, group=PAGE),
        Binding("b,shift+space", "page_up", "Page up", show=False, group=PAGE),
        Binding("ctrl+d", "half_page_down", "Half page down", show=False, group=HALF),
        Binding("ctrl+u", "half_page_up", "Half page up", show=False, group=HALF),
        Binding("home,less_than_sign", "scroll_home", "Top", show=False, group=ENDS),
        Binding("end,greater_than_sign", "scroll_end", "Bottom", show=False, group=ENDS),
    ]

    class CursorRequested(Message):
        """`x` was pressed: the screen answers with `start_cursor` (it has the text)."""

    class SentencesChosen(Message):
        """Enter in the sentence cursor: highlight text[start:end]."""

        def __init__(self, start: int, end: int) -> None:
            super().__init__()
            self.start = start
            self.end = end

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
        self.cursor: SentenceCursor | None = None
        """The sentence cursor, while the reader is choosing sentences by keyboard."""
        self.marks: list[Mark] = []
        """The open article's highlights, drawn over its blocks."""
        self.mark_blocks: dict[str, object] = {}
        """Where each mark was drawn (its first block), for jumping to it."""
        self._unpainted: dict[int, Content] = {}
        self.hits = SearchHits(self)
        """A search's hits in the open article: highlighted, stepped through with ] and [."""
        self._overflow: list[str] = []
        """Plain-text pieces of the open article not mounted yet (added on scrolling)."""
        self._plain_parts: list[Static] = []
        """The open article's notice and plain-text pieces, after its Markdown."""
        self._adding_plain = False
        self._welcome: Static | None = None
        """The welcome text, or a message in the article's place, while one is shown."""

    def compose(self) -> ComposeResult:
        """A header and the welcome text (the Markdown body comes with the first article)."""
        header = ArticleHeader(id="article-header", markup=False)
        header.display = False  # until an article is open
        yield header
        # The Markdown widget (and markdown-it) load with the first article, not before
        # the first frame.
        self._welcome = Static(WELCOME, id="article-welcome")
        yield self._welcome

    @property
    def markdown(self) -> Markdown:
        """The open article's Markdown widget."""
        if self._body is None:
            raise NoMatches("no article has been shown yet")
        return self._body

    def action_half_page_down(self) -> None:
        """Scroll down half a screen."""
        self.scroll_relative(y=max(self.scrollable_content_region.height // 2, 1), animate=False)

    def action_half_page_up(self) -> None:
        """Scroll up half a screen."""
        self.scroll_relative(y=-max(self.scrollable_content_region.height // 2, 1), animate=False)

    async def show_message(self, message: Content) -> None:
        """Show a message where the article was (it was deleted): no header, no body."""
        self.article_id = None
        self._generation += 1
        with self.app.batch_update():
            self.query_one(ArticleHeader).display = False
            if self._body is not None:
                self._body.display = False
            parts, self._plain_parts, self._overflow = self._plain_parts, [], []
            for part in parts:
                await part.remove()
            if self._welcome is not None:
                await self._welcome.remove()
            self._welcome = Static(message, id="article-welcome")
            await self.mount(self._welcome)
            self.scroll_home(animate=False)

    @property
    def positions(self) -> dict[int, float]:
        """How far each article shown was scrolled (article id → rows), this session."""
        return self._positions

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
        overflow: Sequence[str] = (),
    ) -> None:
        """Show an article: a new one from the top, a reopened one where it was left; with
        `hits` (a search's words), at the first of them, each highlighted.

        `notes` are extra header lines (attachments, where the text came from); `overflow`,
        the rest of an article past the formatting budget, as plain-text pieces."""

        self.remember_position()
        self.hits.start(hits)
        self.article_id = row.id
        self._generation += 1
        self.cursor = None
        self.marks = []
        self._unpainted = {}
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
        stale_parts, self._plain_parts = self._plain_parts, []
        self._overflow = list(overflow)
        # A new document per article: removing the last one's blocks (a widget each) cost
        # as much as drawing the new first screen, so it goes once that is painted.
        # open_links=False: every link goes through the app's router.
        body = article_markdown_class()(classes="article-body", open_links=False)
        # One repaint for the header, the swap and the first blocks, not one per step.
        with self.app.batch_update():
            header = self.query_one(ArticleHeader)
            header.update(self.header_content(row, tags, notes))
            header.display = True
            # The welcome (or a message in the article's place) goes for good: by its
            # reference, as a query would walk the last article's blocks.
            welcome, self._welcome = self._welcome, None
            if welcome is not None:
                await welcome.remove()
            if previous is not None:
                previous.display = False
            for part in stale_parts:
                part.display = False
            # The first screen's blocks are built here and mounted with their document.
            body.prebuild(head)  # type: ignore[attr-defined]  # ArticleMarkdown, made lazily
            await self.mount(body)
            if self._overflow:
                notice = Static(OVERFLOW_NOTICE, classes="article-overflow-notice", markup=False)
                self._plain_parts.append(notice)
                await self.mount(notice)
                await self._mount_plain()
            self._body = body
            if self.hits.mark(body):
                position = 0.0  # a search's hits matter more than where reading stopped
            elif not position:
                self.scroll_home(animate=False)
        self.call_after_refresh(
            self._shown, self._generation, body, tail, position, previous, stale_parts
        )

    async def _mount_plain(self) -> None:
        """Add the next plain-text piece of the open article."""
        if self._overflow:
            part = PlainPart(Content(self._overflow.pop(0)), classes="article-plain")
            self._plain_parts.append(part)
            await self.mount(part)

    def watch_scroll_y(self, old: float, new: float) -> None:
        """Near the end of what is shown, add the next plain-text piece (one at a time)."""
        super().watch_scroll_y(old, new)
        if (
            self._overflow
            and not self._adding_plain
            and new >= self.max_scroll_y - 2 * max(self.size.height, 1)
        ):
            self._adding_plain = True  # one piece at a time, however many scroll events
            generation = self._generation

            async def more() -> None:
                try:
                    if generation == self._generation:
                        await self._mount_plain()
                finally:
                    self._adding_plain = False

            self.call_later(more)

    async def _shown(
        self,
        generation: int,
        body: Markdown,
        tail: str,
        position: float,
        previous: Markdown | None,
        stale_parts: Sequence[Static] = (),
    ) -> None:
        """The article's first screen is painted: announce it, drop the document it
        replaced, then add the rest."""
        if generation == self._generation and self.article_id is not None:
            self.post_message(self.ArticleShown(self.article_id))
        if previous is not None:
            async with previous.lock:  # the rest of its article may still be going in
                await previous.remove()
        for part in stale_parts:
            await part.remove()
        if generation != self._generation:
            return  # another article was opened meanwhile: this one is hidden
        if tail:
            await body.append(tail)
            self.hits.mark(body)
            self.repaint()
        if position and not self.hits.blocks:
            self.scroll_to(y=position, animate=False)

    @staticmethod
    def header_content(row: ArticleRow, tags: list[str], notes: Sequence[str] = ()) -> Content:
        """Title, then a byline, the tags and any notes: feed text kept literal, kept short."""
        feed = row.feed_title if len(row.feed_title) <= 40 else row.feed_title[:39] + "…"
        byline = [part for part in (author_name(row.author), feed) if part]
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

    # -- highlights and the sentence cursor ----------------------------------------

    def show_marks(self, marks: list[Mark]) -> None:
        """Draw the open article's highlights."""
        self.marks = marks
        self.repaint()

    def repaint(self) -> None:
        """Draw the highlights and the sentence cursor over the blocks shown now."""
        if self._body is None:
            return
        marks = list(self.marks)
        if self.cursor is not None:
            marks.append(Mark(self.cursor.chosen, CURSOR_STYLE, "cursor"))
        self.mark_blocks = paint(self._body, marks, self._unpainted)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The cursor's keys only while the cursor is on."""
        if action in ("extend_cursor", "choose_sentences", "leave_cursor"):
            return self.cursor is not None
        return True

    def start_cursor(self, text: str, spans: list[tuple[int, int]]) -> None:
        """Turn the sentence cursor on, at the first sentence of the part on screen."""
        if not spans:
            return
        start = 0
        if self._body is not None and self.scroll_y > 0:
            # The first block on screen: its first words, found in the text.
            for block in text_blocks(self._body):
                if block.region.y >= self.region.y:
                    words = block._content.plain.split()[:4]
                    at = text.find(" ".join(words)) if words else -1
                    if at >= 0:
                        start = next((i for i, (_a, b) in enumerate(spans) if b > at), 0)
                    break
        self.cursor = SentenceCursor(text, spans, start)
        self._cursor_moved()

    def _cursor_moved(self) -> None:
        self.repaint()
        self.refresh_bindings()
        block = self.mark_blocks.get("cursor")
        if block is not None:
            self.scroll_to_widget(block, animate=False)  # type: ignore[arg-type]

    def action_sentence_cursor(self) -> None:
        """Turn the sentence cursor on (or off)."""
        if self.cursor is not None:
            self.action_leave_cursor()
        elif self._body is not None:
            self.post_message(self.CursorRequested())

    def action_scroll_down(self) -> None:
        """j: the next sentence under the cursor, else scroll."""
        if self.cursor is not None:
            self.cursor.move(1)
            self._cursor_moved()
        else:
            super().action_scroll_down()

    def action_scroll_up(self) -> None:
        """k: the previous sentence under the cursor, else scroll."""
        if self.cursor is not None:
            self.cursor.move(-1)
            self._cursor_moved()
        else:
            super().action_scroll_up()

    def action_extend_cursor(self) -> None:
        """Take the next sentence into the choice."""
        if self.cursor is not None:
            self.cursor.extend()
            self._cursor_moved()

    def action_choose_sentences(self) -> None:
        """Highlight the chosen sentences (the screen asks for the colour and note)."""
        if self.cursor is not None:
            self.post_message(self.SentencesChosen(*self.cursor.range))

    def action_leave_cursor(self) -> None:
        """Turn the sentence cursor off."""
        self.cursor = None
        self.repaint()
        self.refresh_bindings()

    def scroll_to_mark(self, key: str) -> bool:
        """Scroll to where a mark is drawn; True when it is."""
        block = self.mark_blocks.get(key)
        if block is None:
            return False
        self.scroll_to_widget(block, top=True, animate=False)  # type: ignore[arg-type]
        return True

    def scroll_to_text(self, needle: str) -> bool:
        """Scroll to the first Markdown block containing `needle`; True when found."""
        needle = " ".join(needle.split())[:80]
        if not needle or self._body is None:
            return False
        blocks = [*self._body.query("MarkdownBlock"), *self._plain_parts]
        for block in blocks:
            source = getattr(block, "source", None) or ""
            text = " ".join(str(source).split())
            if needle in text or needle in " ".join(_plain(block).split()):
                self.scroll_to_widget(block, top=True, animate=False)
                block.add_class("-flash")
                self.set_timer(1.5, lambda b=block: b.remove_class("-flash"))
                return True
        return False


def _plain(block: object) -> str:
    if isinstance(block, PlainPart):
        return str(block.visual)
    content = getattr(block, "_content", None)
    return getattr(content, "plain", "") if content is not None else ""
