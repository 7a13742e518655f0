"""Flashcards and their schedule: cards from glossary terms, abbreviations and highlights,
scheduled by FSRS (the `fsrs` package: the scheduler Anki itself ships, well kept)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import NamedTuple

RATINGS = {"again": 1, "hard": 2, "good": 3, "easy": 4}
"""The four answers, as FSRS numbers them."""


class CardText(NamedTuple):
    """What a card asks and answers, and what it was made from."""

    source: str
    kind: str
    front: str
    back: str


def new_schedule(now: datetime | None = None) -> tuple[str, float]:
    """A new card's schedule (FSRS's JSON) and when it is first due (now)."""
    from fsrs import Card

    card = Card(due=now or datetime.now(UTC))
    return card.to_json(), card.due.timestamp()


def review(schedule: str, rating: str, now: datetime | None = None) -> tuple[str, float]:
    """The schedule after answering `rating` (again, hard, good or easy), and the next due."""
    from fsrs import Card, Rating, Scheduler

    if rating not in RATINGS:
        raise ValueError(f"rating must be one of {', '.join(RATINGS)}")
    card = Card.from_json(schedule)
    # No fuzz: the same answers give the same schedule (tests, and two devices agreeing).
    scheduler = Scheduler(enable_fuzzing=False)
    card, _log = scheduler.review_card(card, Rating(RATINGS[rating]), now or datetime.now(UTC))
    return card.to_json(), card.due.timestamp()


def term_card(key: str, term: str, definition: str) -> CardText:
    """Term on the front, its definition on the back."""
    return CardText(f"term:{key}", "term", term, definition)


def abbreviation_card(short: str, long: str) -> CardText:
    """ "NMDA = ?" on the front, the long form on the back."""
    return CardText(f"abbr:{short}", "abbreviation", f"{short} = ?", long)


_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]{3,}")
# An acronym is often three letters ("TRD", "DMN", "FDA"): shorter than a telling word.
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9-]*[A-Z][A-Z0-9-]*\b")


def highlight_card(highlight_id: int, quote: str, sentence: str) -> CardText:
    """A cloze: the sentence with the highlighted words hidden; when the highlight is the
    whole sentence, its most telling word (an acronym, else the longest word) is hidden."""
    quote = " ".join(quote.split())
    sentence = " ".join(sentence.split()) or quote
    if quote and quote in sentence and len(quote) < len(sentence) * 0.8:
        hidden = quote
    else:
        words = _WORD.findall(quote)
        acronyms = _ACRONYM.findall(quote)
        hidden = max(acronyms or words or [quote], key=len)
        sentence = quote
    front = sentence.replace(hidden, "[…]", 1)
    return CardText(f"highlight:{highlight_id}", "cloze", front, hidden)
