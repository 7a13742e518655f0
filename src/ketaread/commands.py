"""Command palette providers: jump to an article, a tag, a source or a glossary term."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from ketaread.app import KetareadApp


class _KetareadProvider(Provider):
    @property
    def ketaread(self) -> KetareadApp:
        return cast("KetareadApp", self.app)


class ArticleCommands(_KetareadProvider):
    """Jump to any cached article by words of its title."""

    async def search(self, query: str) -> Hits:
        """Titles containing the typed words, scored by the fuzzy matcher."""
        store = self.ketaread.store
        if store is None or len(query.strip()) < 2:
            return
        rows = await asyncio.to_thread(store.search_titles, query, 40)
        matcher = self.matcher(query)
        for row in rows:
            text = f"Article: {row.title}"
            yield Hit(
                max(matcher.match(text), 0.1),
                matcher.highlight(text),
                partial(self.ketaread.open_article_by_id, row.id),
                text=text,
                help=row.feed_title,
            )


class FilterCommands(_KetareadProvider):
    """Show the articles of one tag or source."""

    def _entries(self) -> list[tuple[str, str]]:
        return self.ketaread.filter_entries()

    async def discover(self) -> Hits:
        """Every tag and source, for browsing."""
        for option_id, label in self._entries():
            yield DiscoveryHit(label, partial(self.ketaread.choose_filter, option_id), text=label)

    async def search(self, query: str) -> Hits:
        """Tags and sources matching the typed text."""
        matcher = self.matcher(query)
        for option_id, label in self._entries():
            score = matcher.match(label)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(label),
                    partial(self.ketaread.choose_filter, option_id),
                    text=label,
                )


class GlossaryCommands(_KetareadProvider):
    """Open the glossary at one term."""

    async def search(self, query: str) -> Hits:
        """Glossary terms matching the typed text."""
        glossary = self.ketaread.glossary
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
                    matcher.highlight(text),
                    partial(self.ketaread.show_glossary, term.key, True),
                    text=text,
                    help=term.definition[:80],
                )
