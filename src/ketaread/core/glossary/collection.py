"""The loaded glossary: its terms, lookup and search, and its matcher."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from urllib.parse import unquote

from ketaread.core.abbreviations import Abbreviation
from ketaread.core.glossary.finding import ArticleTerms
from ketaread.core.glossary.model import Term, term_key
from ketaread.core.glossary.names import BLOCKED, Matcher, fold, singular_folds


class Glossary:
    """The loaded glossary: its terms, lookup and search, and a compiled matcher for articles."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self._terms = tuple(terms)
        self._by_key = {t.key: t for t in self._terms}
        # Display names win over aliases, aliases over expansions, when two entries share one.
        self._names: dict[str, Term] = {}
        for tier in range(3):
            for t in self._terms:
                names = [t.term] if tier == 0 else list(t.aliases) if tier == 1 else [t.expansion]
                for name in names:
                    if name:
                        self._names.setdefault(fold(name), t)
        self._matcher: Matcher | None = None
        self._matcher_lock = threading.Lock()
        self._articles: dict[tuple[Abbreviation, ...], ArticleTerms] = {}
        self._articles_lock = threading.Lock()

    @property
    def matcher(self) -> Matcher:
        """Every name in one compiled regex: built on first use (~50 ms), then reused."""
        # Not at load: `ketaread define` and the popup's lists never need it.
        with self._matcher_lock:
            if self._matcher is None:
                names: list[tuple[str, object, bool]] = [
                    (name, term, False) for term in self._terms for name in term.names()
                ]
                # Longer names that are other things ("adrenal cortex"): matched, then dropped,
                # so that the shorter name inside them is not found there.
                names += [(n, BLOCKED, False) for term in self._terms for n in term.not_in]
                self._matcher = Matcher(names)
            return self._matcher

    def for_article(self, abbreviations: Iterable[Abbreviation]) -> ArticleTerms:
        """An article's abbreviations resolved and compiled, kept for the next few calls."""
        # find_terms and mark_terms are called on the same article one after the other.
        key = tuple(abbreviations)
        with self._articles_lock:
            found = self._articles.get(key)
        if found is None:
            found = ArticleTerms(self, key)  # outside the lock: it may build the matcher
            with self._articles_lock:
                if len(self._articles) >= 8:
                    del self._articles[next(iter(self._articles))]
                self._articles[key] = found
        return found

    def forget_articles(self) -> None:
        """Drop the articles kept by `for_article` (a benchmark run starts afresh)."""
        with self._articles_lock:
            self._articles.clear()

    def with_key(self, key: str) -> Term | None:
        """The entry whose link key is exactly `key`, or None."""
        return self._by_key.get(key)

    @property
    def terms(self) -> tuple[Term, ...]:
        """Every entry, in file order (curated first, then the user's new ones)."""
        return self._terms

    def __len__(self) -> int:
        return len(self._terms)

    def __iter__(self) -> Iterator[Term]:
        return iter(self._terms)

    def lookup(self, name_or_key: str) -> Term | None:
        """The entry with this key, term, alias or expansion (any case, plurals too), or None."""
        if not name_or_key or not name_or_key.strip():
            return None
        found = self._by_key.get(name_or_key)
        if found is not None:
            return found
        name = unquote(name_or_key)
        folded = fold(name)
        for candidate in (folded, *singular_folds(folded)):
            found = self._names.get(candidate)
            if found is not None:
                return found
        return self._by_key.get(term_key(name))

    def related(self, term: Term) -> list[Term]:
        """The entries a term's `related` names resolve to (unknown names are skipped)."""
        result: list[Term] = []
        for name in term.related:
            other = self.lookup(name)
            if other is not None and other.key != term.key and other not in result:
                result.append(other)
        return result

    def search(self, query: str) -> list[Term]:
        """Entries whose term, aliases or expansion contain the query, best matches first.

        Ranked: whole name, name prefix, word prefix, anywhere; the display name before
        aliases at each step; then alphabetically. An empty query lists every term A–Z.
        """
        wanted = fold(query)
        if not wanted:
            return sorted(self._terms, key=lambda t: t.term.casefold())
        scored: list[tuple[int, str, Term]] = []
        for t in self._terms:
            best: int | None = None
            for position, name in enumerate(t.names()):
                folded = fold(name)
                if folded == wanted:
                    rank = 0
                elif folded.startswith(wanted):
                    rank = 2
                elif f" {wanted}" in f" {folded}":
                    rank = 4
                elif wanted in folded:
                    rank = 6
                else:
                    continue
                rank += 1 if position else 0
                best = rank if best is None else min(best, rank)
            if best is not None:
                scored.append((best, t.term.casefold(), t))
        scored.sort(key=lambda item: (item[0], item[1]))
        return [t for _, _, t in scored]
