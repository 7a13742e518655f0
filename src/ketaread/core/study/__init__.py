"""The study layer: what a reader learns from articles, kept in a file of its own.

`store` keeps highlights, notes, term statuses, cards and reviews; `anchors` finds a
highlight again after its article changed; `cards` makes flashcards and schedules them
(FSRS); `export` writes them for Obsidian, Anki and Readwise. This module ties them to the
cache's articles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from ketaread.core.study.anchors import Anchor, Placement, attach, find_quote
from ketaread.core.study.cards import (
    abbreviation_card,
    highlight_card,
    new_schedule,
    term_card,
)
from ketaread.core.study.store import (
    COLORS,
    STATUSES,
    ArticleRef,
    Highlight,
    NewCard,
    StudyError,
    StudyStore,
)

if TYPE_CHECKING:
    from ketaread.core.abbreviations import Abbreviation
    from ketaread.core.glossary import Glossary, Term
    from ketaread.core.models import ArticleDetail
    from ketaread.core.render import Rendering

__all__ = [
    "COLORS",
    "STATUSES",
    "Anchor",
    "ArticleRef",
    "Highlight",
    "PlacedHighlight",
    "StudyError",
    "StudyStore",
    "abbreviation_key",
    "add_highlight",
    "article_abbreviation_keys",
    "article_ref",
    "article_text",
    "next_status",
    "place_highlights",
    "set_abbreviation_status",
    "set_term_status",
]


class PlacedHighlight(NamedTuple):
    """A highlight and where it sits in the article's text now (None: detached)."""

    highlight: Highlight
    placement: Placement | None

    @property
    def anchored(self) -> bool:
        """Whether it was found in the article's current text."""
        return self.placement is not None


# CommonMark's backslash escapes (any ASCII punctuation): html2text writes "\[1\]" for a
# citation's "[1]", and the reader, a mouse selection and a typed quote all have "[1]".
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def article_text(rendering: Rendering) -> str:
    """The text highlights are anchored in: the article's words as the reader shows them,
    without Markdown (its escapes included)."""
    from ketaread.core.render import plain_text

    return _MARKDOWN_ESCAPE.sub(r"\1", plain_text(rendering.markdown))


def article_ref(detail: ArticleDetail) -> ArticleRef:
    """What a highlight keeps of its article."""
    row = detail.row
    return ArticleRef(row.key, row.title, row.link or "", row.feed_title, row.author or "")


# A sentence ends at . ! or ? and a space, or at a line break (Markdown is converted without
# hard wrapping, so a line break ends a paragraph, heading or list item).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")


def sentence_around(text: str, start: int, end: int) -> str:
    """The sentence (or sentences) holding text[start:end]."""
    left = max(
        (m.end() for m in _SENTENCE_END.finditer(text, 0, start) if m.end() <= start), default=0
    )
    right_match = _SENTENCE_END.search(text, max(end - 1, 0))
    right = right_match.start() if right_match and right_match.start() >= end else len(text)
    if right_match and right_match.start() < end:
        later = _SENTENCE_END.search(text, end)
        right = later.start() if later else len(text)
    return text[left:right]


def add_highlight(
    study: StudyStore,
    detail: ArticleDetail,
    text: str,
    quote: str,
    *,
    color: str = COLORS[0],
    note: str = "",
    start: int | None = None,
) -> Highlight:
    """Highlight `quote` in the article (at `start` when given, else its first place) and
    make a cloze card from it."""
    if start is not None:
        from ketaread.core.study.anchors import make_anchor

        anchor: Anchor | None = make_anchor(text, start, start + len(quote))
    else:
        anchor = find_quote(text, quote)
    if anchor is None:
        raise StudyError("that passage is not in the article's text")
    if color not in COLORS:
        raise StudyError(f"colour must be one of {', '.join(COLORS)}")
    sentence = sentence_around(text, anchor.start, anchor.end)
    schedule, due = new_schedule()

    def card(highlight_id: int) -> NewCard:
        return NewCard(*highlight_card(highlight_id, anchor.quote, sentence), schedule, due)

    return study.add_highlight(article_ref(detail), anchor, color, note, card=card)


def place_highlights(study: StudyStore, article_key: str, text: str) -> list[PlacedHighlight]:
    """The article's highlights, each found again in its current text (or detached)."""
    return [PlacedHighlight(h, attach(h.anchor, text)) for h in study.highlights(article_key)]


def set_term_status(study: StudyStore, term: Term, status: str) -> None:
    """Mark a term new, learning or known; learning it makes its cards."""
    cards: list[NewCard] = []
    if status == "learning":
        schedule, due = new_schedule()
        cards.append(NewCard(*term_card(term.key, term.term, term.definition), schedule, due))
        front = _abbreviation_front(term)
        if front and term.expansion:
            cards.append(NewCard(*abbreviation_card(front, term.expansion), schedule, due))
    study.set_term_status(term.key, term.term, status, cards)


def _looks_abbreviated(word: str) -> bool:
    return word.isupper() or any(c.isupper() for c in word[1:])


def _abbreviation_front(term: Term) -> str | None:
    """What an abbreviation card asks about: the term's own name when it is the
    abbreviation ("HAM-D", "STAR*D", "mTOR") or the abbreviation with the words its
    expansion ends with ("NMDA receptor" for "N-methyl-D-aspartate receptor"), else its
    shortest abbreviated alias ("PET" of "PET scan")."""
    if not term.expansion:
        return None
    words, expansion = term.term.split(), term.expansion.split()
    rest = words[1:]
    if words and _looks_abbreviated(words[0]) and (not rest or expansion[-len(rest) :] == rest):
        return term.term
    short = [a for a in term.aliases if " " not in a and _looks_abbreviated(a)]
    return min(short, key=len) if short else None


ABBREVIATION_PREFIX = "abbr:"


def abbreviation_key(short: str, long: str) -> str:
    """The study file's key of an abbreviation an article defines (the glossary has no entry
    for it): its short form with its long form, so that "PD" learnt as "Parkinson's disease"
    is not taken as known where another article defines "PD" as "pharmacodynamics"."""
    return f"{ABBREVIATION_PREFIX}{short.strip()}={' '.join(long.casefold().split())}"


def set_abbreviation_status(study: StudyStore, short: str, long: str, status: str) -> None:
    """Mark an abbreviation an article defines new, learning or known; learning it makes its
    card ("NMDA = ?"), named by the same key as its status."""
    key = abbreviation_key(short, long)
    long = " ".join(long.split())
    cards: list[NewCard] = []
    if status == "learning":
        schedule, due = new_schedule()
        _source, kind, front, back = abbreviation_card(short.strip(), long)
        cards.append(NewCard(key, kind, front, back, schedule, due))
    study.set_term_status(key, f"{short.strip()} ({long})", status, cards)


def article_abbreviation_keys(
    glossary: Glossary, abbreviations: Iterable[Abbreviation]
) -> dict[str, str]:
    """Link key -> study key of each abbreviation an article defines that the glossary has
    no entry for (those it has are learnt as the glossary's terms)."""
    article = glossary.for_article(abbreviations)
    return {
        key: abbreviation_key(hit.term, hit.expansion or "")
        for key, hit in list(article.hits.items())
        if hit.origin == "article" and glossary.with_key(key) is None and hit.expansion
    }


def next_status(status: str | None) -> str:
    """The status after `status` in new -> learning -> known -> new."""
    index = STATUSES.index(status) if status in STATUSES else 0
    return STATUSES[(index + 1) % len(STATUSES)]


_SENTENCE = re.compile(r"[^\s].*?(?:[.!?](?=\s|$)|(?=\n\s*\n)|$)", re.S)


def sentence_spans(text: str, limit: int = 20_000) -> list[tuple[int, int]]:
    """Where each sentence of `text` is (a paragraph break ends one too); at most `limit`."""
    spans: list[tuple[int, int]] = []
    for match in _SENTENCE.finditer(text):
        chunk = match.group()
        # A sentence never runs over a blank line (headings and list items end there).
        for part in re.finditer(r"[^\n]+(?:\n(?!\s*\n)[^\n]+)*", chunk):
            if part.group().strip():
                spans.append((match.start() + part.start(), match.start() + part.end()))
        if len(spans) >= limit:
            break
    return spans


def unmark_terms(markdown: str, keys: Iterable[str]) -> str:
    """Markdown with the term links of `keys` (terms the reader knows) turned back to text."""
    from ketaread.core.links import term_link

    for key in keys:
        target = re.escape(f"]({term_link(key)})")
        markdown = re.sub(r"\[([^\[\]]*)" + target, r"\1", markdown)
    return markdown
