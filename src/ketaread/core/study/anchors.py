"""Anchors that survive a re-fetch: a highlight is kept as its quote with the words around it
and its offsets (the W3C Web Annotation TextQuoteSelector and TextPositionSelector), and is
found again in the article's new text by those, in that order of trust."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import NamedTuple

CONTEXT = 32
"""Characters of prefix and suffix kept around a quote."""
FUZZY_FLOOR = 0.85
"""How alike a changed passage must be to the quote to count as the same passage."""
MAX_QUOTE = 4000
"""The longest quote kept (a highlight is a sentence or a paragraph, not an article)."""

_SPACES = re.compile(r"\s+")


class Anchor(NamedTuple):
    """Where a highlight is: its exact words, the words around them, and where they were."""

    quote: str
    prefix: str
    suffix: str
    start: int
    end: int


class Placement(NamedTuple):
    """Where an anchor sits in a text now, and how it was found."""

    start: int
    end: int
    how: str
    """"exact" (same place), "moved" (the quote elsewhere), "fuzzy" (the passage changed)."""


def make_anchor(text: str, start: int, end: int) -> Anchor:
    """The anchor of text[start:end]."""
    start, end = max(0, start), min(len(text), end)
    if end <= start:
        raise ValueError("an empty passage cannot be highlighted")
    if end - start > MAX_QUOTE:
        raise ValueError(f"a highlight is at most {MAX_QUOTE} characters")
    return Anchor(
        text[start:end],
        text[max(0, start - CONTEXT) : start],
        text[end : end + CONTEXT],
        start,
        end,
    )


def find_quote(text: str, quote: str) -> Anchor | None:
    """The anchor of the first place `quote` appears in `text` (spaces compared loosely)."""
    quote = quote.strip()
    if not quote:
        return None
    at = text.find(quote)
    if at >= 0:
        return make_anchor(text, at, at + len(quote))
    pattern = r"\s+".join(re.escape(word) for word in quote.split())
    match = re.search(pattern, text)
    return make_anchor(text, match.start(), match.end()) if match else None


def _context_score(text: str, start: int, end: int, anchor: Anchor) -> float:
    before = text[max(0, start - len(anchor.prefix)) : start]
    after = text[end : end + len(anchor.suffix)]
    score = 0.0
    if anchor.prefix:
        score += SequenceMatcher(None, before, anchor.prefix, autojunk=False).ratio()
    if anchor.suffix:
        score += SequenceMatcher(None, after, anchor.suffix, autojunk=False).ratio()
    return score


def attach(anchor: Anchor, text: str) -> Placement | None:
    """Find the anchor in `text`: at its offsets, else the occurrence of its quote whose
    surroundings fit best, else the most alike passage; None when it is gone."""
    if text[anchor.start : anchor.end] == anchor.quote:
        return Placement(anchor.start, anchor.end, "exact")
    places = [m.start() for m in re.finditer(re.escape(anchor.quote), text)] if anchor.quote else []
    if places:
        size = len(anchor.quote)
        best = max(
            places,
            key=lambda at: (
                _context_score(text, at, at + size, anchor),
                -abs(at - anchor.start),
            ),
        )
        return Placement(best, best + size, "moved")
    return _fuzzy(anchor, text)


def _fuzzy(anchor: Anchor, text: str) -> Placement | None:
    """The passage of about the quote's length most like it, if alike enough."""
    quote = _SPACES.sub(" ", anchor.quote).strip()
    if len(quote) < 12:
        return None  # too short to tell a changed passage from another one
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(quote)
    size = len(quote)
    best: tuple[float, int, int] | None = None
    # Candidate passages start at sentence or word starts near where quote-like text is.
    words = quote.split()
    seeds = {words[0], words[-1]} if words else set()
    starts: set[int] = set()
    for seed in seeds:
        for match in re.finditer(re.escape(seed), text):
            starts.update({match.start(), max(0, match.end() - size)})
            if len(starts) > 400:
                break
    for start in sorted(starts):
        for length in (size, int(size * 0.9), int(size * 1.1)):
            candidate = text[start : start + length]
            matcher.set_seq1(_SPACES.sub(" ", candidate))
            if matcher.real_quick_ratio() < FUZZY_FLOOR or matcher.quick_ratio() < FUZZY_FLOOR:
                continue
            ratio = matcher.ratio()
            if ratio >= FUZZY_FLOOR and (best is None or ratio > best[0]):
                best = (ratio, start, start + length)
    if best is None:
        return None
    return Placement(best[1], best[2], "fuzzy")
