"""Command palette providers of the reading screen: jump to an article, a tag, a source or a
glossary term."""

from __future__ import annotations

import asyncio
import textwrap
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

if TYPE_CHECKING:
    from ketaread.screens.main import MainScreen


def literal_highlight(matcher: Matcher, text: str) -> Content:
    """`text` exactly as typed, with the characters the query matched highlighted.

    Matcher.highlight parses its argument as markup: a feed title such as
    `[@click=app.quit]q[/]` became a link that quit, and `a [/] b` crashed the search.
    """
    content = Content(text)
    score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    if score:
        for offset in offsets:
            if not text[offset].isspace():
                content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


def literal_prompt(matcher: Matcher, text: str, note: str) -> Content:
    """The highlighted `text` over a muted `note`, both literal.

    The note is not passed as the hit's help: the palette parses help as markup, and
    `x [/` in a feed title raised an error there.
    """
    return Content.assemble(literal_highlight(matcher, text), "\n", (note, "$text-muted"))


class _ReadingProvider(Provider):
    @property
    def reading(self) -> MainScreen:
        """The reading screen, which the palette was opened over (see MainScreen.COMMANDS)."""
        return cast("MainScreen", self.screen)


class ArticleCommands(_ReadingProvider):
    """Jump to any cached article by words of its title."""

    async def search(self, query: str) -> Hits:
        """Titles containing the typed words, scored by the fuzzy matcher."""
        store = self.reading.store
        if store is None or len(query.strip()) < 2:
            return
        rows = await asyncio.to_thread(store.search_titles, query, 40)
        matcher = self.matcher(query)
        for row in rows:
            text = f"Article: {row.title}"
            yield Hit(
                max(matcher.match(text), 0.1),
                literal_prompt(matcher, text, row.feed_title),
                partial(self.reading.open_article_by_id, row.id),
                text=text,
            )


class FilterCommands(_ReadingProvider):
    """Show the articles of one tag or source."""

    def _entries(self) -> list[tuple[str, str]]:
        return self.reading.filter_entries()

    async def discover(self) -> Hits:
        """Every tag and source, for browsing."""
        for option_id, label in self._entries():
            yield DiscoveryHit(
                Content(label), partial(self.reading.choose_filter, option_id), text=label
            )

    async def search(self, query: str) -> Hits:
        """Tags and sources matching the typed text."""
        matcher = self.matcher(query)
        for option_id, label in self._entries():
            score = matcher.match(label)
            if score > 0:
                yield Hit(
                    score,
                    literal_highlight(matcher, label),
                    partial(self.reading.choose_filter, option_id),
                    text=label,
                )


class GlossaryCommands(_ReadingProvider):
    """Open the glossary at one term."""

    async def search(self, query: str) -> Hits:
        """Glossary terms matching the typed text."""
        glossary = self.reading.context.glossary_if_loaded
        if glossary is None:
            return
        matcher = self.matcher(query)
        for term in glossary.terms:
            text = f"Glossary: {term.term}"
            names = [text, *(f"Glossary: {alias}" for alias in term.aliases)]
            score = max(matcher.match(name) for name in names)
            if score > 0:
                yield Hit(
                    score,
                    # A user's glossary may hold brackets: no markup anywhere.
                    literal_prompt(
                        matcher, text, textwrap.shorten(term.definition, 80, placeholder="…")
                    ),
                    partial(self.reading.show_glossary, term.key, True),
                    text=text,
                )
