"""Finding the terms a text uses, with the abbreviations the article defines."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from ketaread.core.abbreviations import Abbreviation
from ketaread.core.glossary.model import Term, TermHit, term_key
from ketaread.core.glossary.names import Matcher, fold, singular_folds

if TYPE_CHECKING:
    from ketaread.core.glossary.collection import Glossary


def _agrees(long: str, term: Term) -> bool:
    """True when an article's long form means the same as a glossary entry's names."""
    wanted = fold(long)
    wanted_forms = {wanted, *singular_folds(wanted)}
    for name in term.names():
        folded = fold(name)
        for form in wanted_forms:
            if form == folded or folded.startswith(form + " ") or form.startswith(folded + " "):
                return True
    return False


def _glossary_term_for(glossary: Glossary, short: str, long: str) -> Term | None:
    """The glossary entry an article-defined abbreviation stands for, if the meanings agree."""
    by_long = glossary.lookup(long)
    if by_long is not None:
        return by_long
    by_short = glossary.lookup(short)
    if by_short is None:
        return None
    singular = short[:-1] if short.endswith("s") else short
    exact = any(name in (short, singular) for name in by_short.names())
    return by_short if exact and _agrees(long, by_short) else None


class ArticleTerms:
    """An article's own abbreviations, resolved against the glossary, ready to match."""

    def __init__(self, glossary: Glossary, abbreviations: Iterable[Abbreviation]) -> None:
        self.hits: dict[str, TermHit] = {}
        """Hits by key: the article's own first, the glossary's added as they are met."""
        names: list[tuple[str, object, bool]] = []
        used_keys: set[str] = set()
        seen: set[str] = set()
        for abbreviation in abbreviations:
            short = abbreviation.short.strip()
            long = " ".join(abbreviation.long.split())
            if not short or not long or short in seen:
                continue
            seen.add(short)
            term = _glossary_term_for(glossary, short, long)
            if term is not None:
                hit = self.hits.get(term.key)
                if hit is None:
                    expansion = term.expansion if fold(long) == fold(term.term) else long
                    hit = TermHit(term.key, term.term, expansion, term.definition, "article")
                    self.hits[term.key] = hit
            else:
                key = term_key(short)
                if glossary.lookup(short) is not None or key in used_keys:
                    # The glossary means something else by this name ("ACC"): a key of its own.
                    key = f"{key}-article"
                definition = (
                    f"This article uses {short} as short for “{long}”. It is not in the glossary."
                )
                hit = TermHit(key, short, long, definition, "article")
                self.hits[key] = hit
            used_keys.add(hit.key)
            for name, exact in ((short, True), (long, False)):
                known = glossary.matcher.resolve(name)
                if not (isinstance(known, Term) and known.key == hit.key):
                    names.append((name, hit, exact))  # the glossary's regex does not cover it
        self.matcher = Matcher(names) if names else None

    def hit_for(self, term: Term) -> TermHit:
        """The hit a glossary term gives in this article (the article's own when it has one)."""
        hit = self.hits.get(term.key)
        if hit is None:
            hit = TermHit(term.key, term.term, term.expansion, term.definition, term.origin)
            self.hits[term.key] = hit
        return hit


_AMPERSAND_AFTER = re.compile(r"[ \t]*&[ \t]*[A-Z]")
_AMPERSAND_BEFORE = re.compile(r"[A-Z][\w'-]*[ \t]*&[ \t]*$")


def _in_brand_name(text: str, match: re.Match[str], term: Term) -> bool:
    """A common word capitalised beside an ampersand is a name ("Cortex & Mind"), not a term."""
    found = match.group()
    if not found[:1].isupper() or not term.term[:1].islower():
        return False
    return bool(
        _AMPERSAND_AFTER.match(text, match.end())
        or _AMPERSAND_BEFORE.search(text, max(0, match.start() - 40), match.start())
    )


def scan_terms(
    text: str, glossary: Glossary, article: ArticleTerms, start: int = 0, end: int | None = None
) -> Iterator[tuple[int, int, TermHit]]:
    """Occurrences in text[start:end], leftmost first, longest at each place, article first."""
    end = len(text) if end is None else end
    names = glossary.matcher
    if names.pattern is None:
        return
    if article.matcher is None or article.matcher.pattern is None:
        for match in names.pattern.finditer(text, start, end):
            term = names.resolve(match.group())
            if isinstance(term, Term) and not _in_brand_name(text, match, term):
                yield match.start(), match.end(), article.hit_for(term)
        return
    own = article.matcher
    own_pattern = own.pattern
    assert own_pattern is not None  # an article with no names of its own returned above
    g_iter = names.pattern.finditer(text, start, end)
    a_iter = own_pattern.finditer(text, start, end)
    g_match = next(g_iter, None)
    a_match = next(a_iter, None)
    while g_match is not None or a_match is not None:
        hit: TermHit | None = None
        if a_match is not None and (
            g_match is None
            or a_match.start() < g_match.start()
            or (a_match.start() == g_match.start() and a_match.end() >= g_match.end())
        ):
            match = a_match
            found = own.resolve(match.group())
            hit = found if isinstance(found, TermHit) else None
            a_match = next(a_iter, None)
        else:
            assert g_match is not None
            match = g_match
            term = names.resolve(match.group())
            if isinstance(term, Term) and not _in_brand_name(text, match, term):
                hit = article.hit_for(term)
            g_match = next(g_iter, None)
        if hit is not None:
            yield match.start(), match.end(), hit
        # The other regex may have matched across this one: look again after it (rare).
        position = match.end()
        if g_match is not None and g_match.start() < position:
            g_iter = names.pattern.finditer(text, position, end)
            g_match = next(g_iter, None)
        if a_match is not None and a_match.start() < position:
            a_iter = own_pattern.finditer(text, position, end)
            a_match = next(a_iter, None)


def find_terms(
    text: str, glossary: Glossary, article_abbreviations: list[Abbreviation]
) -> list[TermHit]:
    """The glossary terms and article-defined abbreviations a text uses, once each, in order.

    Names match at word boundaries, plurals included, the longest name first ("NMDA
    receptor" before "NMDA"); acronyms match in their exact case, words in any case. A
    definition the article gives wins for that article (origin "article", see the module
    docstring). Each hit carries the sentences that use it and, for an entry with senses,
    the sense its context chose.
    """
    article = glossary.for_article(article_abbreviations)
    found: dict[str, FoundTerm] = {}
    for start, end, hit in scan_terms(text, glossary, article):
        note_hit(found, hit, text, start, end)
    return [finish_hit(glossary, f, text) for f in found.values()]


_MAX_SENTENCES = 8
_MAX_SENTENCE = 300
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"”’)\]]*\s+(?=[\"“‘(\[]*[A-Z0-9])|\n\s*\n")


@dataclass(slots=True)
class FoundTerm:
    """A term met in an article: its hit and the sentences it was met in."""

    hit: TermHit
    sentences: list[str] = field(default_factory=list)


def _sentence_around(text: str, start: int, end: int) -> str:
    """The sentence of `text` that holds text[start:end], whitespace folded, bounded."""
    floor = max(0, start - 2000)
    begin = floor
    # Past `start` by a few characters: the break's lookahead must see the sentence's start.
    for boundary in _SENTENCE_BREAK.finditer(text, floor, min(len(text), start + 4)):
        if boundary.end() <= start:
            begin = boundary.end()
    stop = _SENTENCE_BREAK.search(text, end, min(len(text), end + 2000))
    finish = stop.start() if stop else min(len(text), end + 2000)
    sentence = " ".join(text[begin:finish].split())
    if len(sentence) > _MAX_SENTENCE:
        # Keep the term in view: a window around it.
        offset = len(" ".join(text[begin:start].split()))
        left = max(0, offset - _MAX_SENTENCE // 2)
        sentence = ("…" if left else "") + sentence[left : left + _MAX_SENTENCE] + "…"
    return sentence


def note_hit(found: dict[str, FoundTerm], hit: TermHit, text: str, start: int, end: int) -> None:
    """Record one occurrence: the hit once, its sentence if new."""
    entry = found.get(hit.key)
    if entry is None:
        entry = found[hit.key] = FoundTerm(hit)
    if len(entry.sentences) < _MAX_SENTENCES:
        sentence = _sentence_around(text, start, end)
        if sentence and sentence not in entry.sentences:
            entry.sentences.append(sentence)


def _cue_fold(text: str) -> str:
    """Words only, lower case, single spaces, for comparing context cues."""
    return " ".join(_NON_WORD.split(text.lower())).strip()


_NON_WORD = re.compile(r"[\W_]+")


def _choose_sense(term: Term, near: str, everywhere: str) -> str:
    """The label of the sense whose cues the context uses most (near the term first)."""
    for context in (near, everywhere):
        folded = f" {_cue_fold(context)} "
        scores = [
            sum(folded.count(f" {_cue_fold(cue)} ") for cue in sense.cues) for sense in term.senses
        ]
        best = max(scores, default=0)
        if best:
            return term.senses[scores.index(best)].label
    return term.senses[0].label if term.senses else ""


def finish_hit(
    glossary: Glossary, found: FoundTerm, text: str, references_only: bool = False
) -> TermHit:
    """The hit with its sentences and chosen sense."""
    hit = found.hit
    term = glossary.with_key(hit.key)
    sense = ""
    if term is not None and term.senses:
        sense = _choose_sense(term, " ".join(found.sentences), text)
    return replace(
        hit,
        sense=sense,
        sentences=tuple(found.sentences),
        in_references_only=references_only,
    )
