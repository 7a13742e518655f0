"""Abbreviations a text defines itself: "long form (SHORT)" and "SHORT (long form)".

`find_abbreviations` is ketaread's finder; `find_abbreviations_baseline` is a faithful
Schwartz–Hearst (2003) kept as the reference point. Both are pure functions of the text and
import nothing from the rest of ketaread.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Abbreviation", "find_abbreviations", "find_abbreviations_baseline"]

_WORD_SPLIT = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2212]+")


def _words(text: str) -> list[str]:
    """A long form's words: split at spaces, hyphens and dashes."""
    return [w for w in _WORD_SPLIT.split(text.replace("\u2019", "'")) if w]


@dataclass(slots=True, frozen=True)
class Abbreviation:
    """An abbreviation a text defines: "treatment-resistant depression (TRD)"."""

    short: str
    """As written, plural included ("SSRIs")."""
    long: str
    """The long form as written, whitespace folded."""
    start: int
    """Offset in the text where the definition starts (its long or its short form)."""


# -- abbreviations: the Schwartz–Hearst baseline --------------------------------------------------

_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?![^\S\n]*\n)[^\n]*)*")


def find_abbreviations_baseline(text: str) -> list[Abbreviation]:
    """Schwartz & Hearst (2003), as in their reference implementation; every pair found.

    Per paragraph: each " (" with its ")" gives a candidate; the long form candidate runs
    back to the last ". " or ", "; when the parenthesis holds more than two words, or more
    characters than that candidate, the orders swap (SHORT (long form)). A short form has a
    letter and starts with a letter or digit; the long form is the shortest stretch whose
    characters match the short form's right to left, the first at a word start, with at most
    min(|A| + 5, |A| * 2) words. Kept as the reference point for `find_abbreviations`.
    """
    found: list[Abbreviation] = []
    for paragraph in _PARAGRAPH.finditer(text):
        _baseline_paragraph(paragraph.group().replace("\n", " "), paragraph.start(), found)
    return found


def _baseline_paragraph(s: str, base: int, found: list[Abbreviation]) -> None:
    current = 0  # the reference code keeps cutting its sentence buffer; this is where it starts
    while True:
        open_at = s.find(" (", current)
        if open_at < 0:
            return
        open_at += 1
        close_at = s.find(")", open_at)
        if close_at < 0:
            return
        sentence_end = max(s.rfind(". ", current, open_at), s.rfind(", ", current, open_at))
        long_from = current if sentence_end < 0 else sentence_end + 2
        long_form = s[long_from:open_at]
        short_from = open_at + 1
        short_form = s[short_from:close_at]
        if len(short_form) > 1 and len(long_form) > 1:
            if "(" in short_form:
                next_close = s.find(")", close_at + 1)
                if next_close > -1:
                    short_form = s[short_from:next_close]
                    close_at = next_close
            for separator in (", ", "; "):
                cut = short_form.find(separator)
                if cut > -1:
                    short_form = short_form[:cut]
            swapped = len(short_form.split()) > 2 or len(short_form) > len(long_form)
            if swapped:
                space = s.rfind(" ", current, open_at - 1)
                word_from = space + 1 if space >= 0 else current
                word = s[word_from : open_at - 1]
                long_form, long_from = short_form, short_from
                short_form = word if any(ch.isupper() for ch in word) else ""
                short_from = word_from
            if any(ch.isalpha() for ch in short_form) and (
                short_form[0].isalnum() or short_form[0] == "("
            ):
                pair = _baseline_pair(short_form.strip(), long_form.strip())
                if pair is not None:
                    short, long = pair
                    if swapped:  # the definition starts at the short form
                        start = short_from
                    else:
                        stripped = long_form.strip()
                        lead = len(long_form) - len(long_form.lstrip())
                        start = long_from + lead + len(stripped) - len(long)
                    found.append(Abbreviation(short, long, base + start))
        current = close_at + 1


def _baseline_pair(short: str, long: str) -> tuple[str, str] | None:
    if len(short) == 1:
        return None
    best = _baseline_best_long_form(short, long)
    if best is None:
        return None
    long_words = len([w for w in re.split(r"[ \t\n\r\f-]+", best) if w])
    short_size = sum(1 for ch in short if ch.isalnum())
    if (
        len(best) < len(short)
        or short + " " in best
        or best.endswith(short)
        or long_words > short_size * 2
        or long_words > short_size + 5
        or short_size > 10
    ):
        return None
    return short, best


def _baseline_best_long_form(short: str, long: str) -> str | None:
    s_index = len(short) - 1
    l_index = len(long) - 1
    while s_index >= 0:
        ch = short[s_index].lower()
        if not ch.isalnum():
            s_index -= 1
            continue
        while (l_index >= 0 and long[l_index].lower() != ch) or (
            s_index == 0 and l_index > 0 and long[l_index - 1].isalnum()
        ):
            l_index -= 1
        if l_index < 0:
            return None
        l_index -= 1
        s_index -= 1
    l_index = long.rfind(" ", 0, l_index + 1) + 1
    return long[l_index:]


# -- abbreviations: ketaread's finder ------------------------------------------------------------

_GREEK_AS_LATIN = dict(zip("αβγδεζηθικλμνξοπρσςτυφχψω", "abgdezetiklmnxoprsstupcpo", strict=True))
_PAREN_OR_GAP = re.compile(r"[()]|\n[^\S\n]*\n")
# Where a long form cannot reach back past: brackets, clause punctuation, sentence ends,
# spaced dashes, blank lines and list items.
_CLAUSE_BOUNDARY = re.compile(
    r"[()\[\]{}]|[;:,](?=\s)|[.!?](?=[\s\"”’)\]]|$)|\s[–—]\s|—|\n[^\S\n]*\n"
    r"|\n[^\S\n]*(?:[-*+•]|\d{1,3}[.)])[^\S\n]"
)
_ABBREVIATED_WORDS = (
    "e.g. i.e. vs. al. dr. fig. figs. cf. approx. no. st. mr. ms. mrs. prof. etc. ca. ref. refs. "
    "eq. vol. p. pp."
)
_NOT_SENTENCE_END = frozenset(_ABBREVIATED_WORDS.split())
_INITIALS = re.compile(r"(?:[A-Za-z]\.)+")
_FIRST_SEGMENT = re.compile(r"[;,]\s|\s[-–—]\s|\(")
_TRIM = " \t\n*_\"'“”‘’"
# Words a long form never starts with: asides ("see", "e.g."), relative clauses, articles.
_ASIDE_WORDS = (
    "see e.g eg i.e ie which that who whose where when also or and for including like such as "
    "not but with from via in on at of by to if the a an is are was were"
)
_NOT_LONG_FORM_START = frozenset(_ASIDE_WORDS.split())
_ARTICLES = {"a", "an", "the"}
_YEAR = re.compile(r"\d{4}[a-z]?")
_MAX_PAREN_SPAN = 400
_LONG_FORM_REACH = 250


def _fold_char(ch: str) -> str:
    """One character as abbreviation matching sees it: lower case, unaccented, Greek as Latin."""
    lower = ch.lower()
    if lower.isascii():
        return lower
    if lower in _GREEK_AS_LATIN:
        return _GREEK_AS_LATIN[lower]
    return unicodedata.normalize("NFKD", lower)[:1] or lower


def _fold_chars(text: str) -> str:
    """`_fold_char` for each character; the result has the same length as the text."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(ch)[:1] for ch in text)


def _singular_short(short: str) -> str:
    """A plural short form without its "s" ("SSRIs" → "SSRI"); others unchanged."""
    if len(short) >= 3 and short.endswith("s") and (short[-2].isupper() or short[-2].isdigit()):
        return short[:-1]
    return short


def _looks_like_short_form(word: str) -> bool:
    """2–10 characters, no spaces, a letter, a capital or a digit; not a capitalised word."""
    if not 2 <= len(word) <= 10 or not word[0].isalnum():
        return False
    capitals = digits = letters = 0
    for ch in word:
        if ch.isalpha():
            letters += 1
            capitals += ch.isupper()
        elif ch.isdigit():
            digits += 1
        elif ch not in "-/&.'":
            return False  # "n=24", "p<0.05", "25–50%"
    if capitals == 0 and digits == 0:
        return False  # an ordinary lower-case word: "see", "e.g."
    if letters == 0 or letters + digits < 2:
        return False
    if capitals == 1 and word[0].isupper() and digits == 0:
        return False  # a capitalised word: "Nature", "Lancet", "Mayo"
    return not (digits >= 4 and _YEAR.fullmatch(word))  # a year: "2019a"


def _is_locant(word: str) -> bool:
    """Chemical-name pieces that do not count as words: "3", "D", "α"."""
    return len(word) == 1 or word.isdigit()


def _clause_start(text: str, end: int, floor: int) -> int:
    """Where the clause holding `end` starts: the long form cannot reach further back."""
    # The latest boundary wins; look at them from the end (C builds the list, Python stops early).
    for boundary in reversed(list(_CLAUSE_BOUNDARY.finditer(text, floor, end))):
        if boundary.group() in ".!?":
            words = text[max(floor, boundary.start() - 12) : boundary.end()].split()
            token = words[-1] if words else ""
            if token.lower() in _NOT_SENTENCE_END or _INITIALS.fullmatch(token):
                continue  # "e.g.", "et al.", "U.S." do not end a sentence
        return boundary.end()
    return floor


def _match_long_form(short: str, candidate: str) -> int | None:
    """Schwartz–Hearst matching, folded: where in `candidate` the long form of `short` starts."""
    # A plural short form matches without its "s": "SSRIs" for "... inhibitors".
    wanted = _fold_chars("".join(ch for ch in _singular_short(short) if ch.isalnum()))
    folded = _fold_chars(candidate)
    alnum = [ch.isalnum() for ch in candidate]
    at = len(candidate) - 1
    for index in range(len(wanted) - 1, -1, -1):
        ch = wanted[index]
        while at >= 0 and (folded[at] != ch or (index == 0 and at > 0 and alnum[at - 1])):
            at -= 1
        if at < 0:
            return None
        at -= 1
    first = at + 1
    while first > 0 and not candidate[first - 1].isspace():
        first -= 1
    return first


def _word_initials(short: str, long: str, needed: int) -> bool:
    """True when `needed` of the short form's characters can fall on word starts of the long
    form, matched in order."""
    wanted = _fold_chars("".join(ch for ch in _singular_short(short) if ch.isalnum()))
    folded = _fold_chars(long)
    initial = [ch.isalnum() and (i == 0 or not long[i - 1].isalnum()) for i, ch in enumerate(long)]
    # Quick try: each character on the next word start that still leaves room for the rest.
    latest = [0] * len(wanted)  # the last place each character can go, from the right
    at = len(long)
    for k in range(len(wanted) - 1, -1, -1):
        at = folded.rfind(wanted[k], 0, at)
        if at < 0:
            return False
        latest[k] = at
    count = at = 0
    for k, ch in enumerate(wanted):
        place = at
        while True:
            place = folded.find(ch, place, latest[k] + 1)
            if place < 0 or initial[place]:
                break
            place += 1
        if place < 0:
            place = folded.find(ch, at, latest[k] + 1)
        else:
            count += 1
        at = place + 1
    if count >= needed:
        return True
    # Exact: best[i] = most word starts with wanted[k:] matched within long[i:].
    impossible = -1
    below = [0] * (len(long) + 1)
    for k in range(len(wanted) - 1, -1, -1):
        row = [impossible] * (len(long) + 1)
        for i in range(len(long) - 1, -1, -1):
            row[i] = row[i + 1]
            if folded[i] == wanted[k] and below[i + 1] != impossible:
                row[i] = max(row[i], below[i + 1] + initial[i])
        below = row
    return below[0] >= needed


def _accept(short: str, long: str) -> bool:
    """The checks a long form must pass beyond matching characters."""
    if len(long) <= len(short):
        return False
    core = _singular_short(short)
    if any(word in (short, core) for word in long.split()):
        return False  # the short form is one of the words: not a definition
    words = [w for w in _words(long) if not _is_locant(w)]
    if not words or words[0].lower().rstrip(".") in _NOT_LONG_FORM_START:
        return False
    size = sum(ch.isalnum() for ch in core)
    if len(words) > min(size + 5, size * 2):
        return False
    # Chance matches fall in the middle of words; real ones mostly on word starts.
    return len(words) < 2 or _word_initials(short, long, (size + 1) // 2)


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(_TRIM)


def _definition_at(
    text: str, open_at: int, close_at: int, floor: int, seen: set[str]
) -> Abbreviation | None:
    """The abbreviation a parenthesis defines, if any, in either order."""
    content = text[open_at + 1 : close_at]
    segment = _FIRST_SEGMENT.split(content, maxsplit=1)[0]
    inner = segment.strip(_TRIM)
    if inner in seen:
        return None  # "(TRD)" again: the first definition stands
    # Cheap test first: most parentheses hold asides, citations or numbers, not definitions.
    nearby = text[max(floor, open_at - 80) : open_at].split()[-3:] + inner.split()[:1]
    if not any(_looks_like_short_form(word.strip(_TRIM)) for word in nearby):
        return None
    clause_from = _clause_start(text, open_at, floor)
    before = text[clause_from:open_at].rstrip()
    before_end = clause_from + len(before)
    # Shared last words: "NMDA receptors (N-methyl-D-aspartate receptors)".
    inner_words = list(re.finditer(r"\S+", inner))
    before_words = list(re.finditer(r"\S+", before))
    shared = 0
    while (
        shared < len(inner_words) - 1
        and shared < len(before_words) - 1
        and _same_word(inner_words[-1 - shared].group(), before_words[-1 - shared].group())
    ):
        shared += 1
    if shared:
        inner = inner[: inner_words[-shared].start()].rstrip()
        before_end = clause_from + before_words[-shared].start()
        before = text[clause_from:before_end].rstrip()
        before_end = clause_from + len(before)
    if not inner:
        return None
    if _looks_like_short_form(inner):
        # long form (SHORT)
        start = _match_long_form(inner, before)
        if start is None:
            return None
        long = _tidy(before[start:])
        if not _accept(inner, long):
            return None
        lead = len(before[start:]) - len(before[start:].lstrip(_TRIM))
        return Abbreviation(inner, long, clause_from + start + lead)
    # SHORT (long form)
    last = re.search(r"(\S+)$", before)
    if last is None:
        return None
    short = last.group(1).strip("*_\"'“”‘’")
    if not _looks_like_short_form(short):
        return None
    start = _match_long_form(short, inner)
    if start is None:
        return None
    skipped = inner[:start].split()
    if any(word.lower() not in _ARTICLES for word in skipped):
        return None  # the long form must be the whole parenthesis, bar "a" or "the"
    long = _tidy(inner[start:])
    if not _accept(short, long):
        return None
    short_at = clause_from + last.start(1) + last.group(1).find(short)
    return Abbreviation(short, long, short_at)


def _same_word(a: str, b: str) -> bool:
    a, b = a.strip(_TRIM).lower(), b.strip(_TRIM).lower()
    return a.rstrip("s") == b.rstrip("s") and bool(a)


def find_abbreviations(text: str) -> list[Abbreviation]:
    """The abbreviations a text defines, first definition of each short form, in text order.

    Schwartz–Hearst at heart (right-to-left character matching, the first character on a word
    start, at most min(|A| + 5, |A| * 2) words), plus: both "long form (SHORT)" and "SHORT
    (long form)" however long the sentence; short forms must look like abbreviations (2–10
    characters, no spaces, a capital or a digit, not a capitalised word or a year); plural
    short forms ("SSRIs"); accents and Greek letters folded ("Åsberg", "3β"); long forms kept
    within their clause and free of Markdown emphasis; shared trailing words ("NMDA receptors
    (N-methyl-D-aspartate receptors)"); asides ("see", "e.g.", "which …") refused; and most
    characters must fall on word starts when the long form has several words.
    """
    found: list[Abbreviation] = []
    seen: set[str] = set()
    stack: list[int] = []
    floor = 0
    for mark in _PAREN_OR_GAP.finditer(text):
        symbol = mark.group()
        if symbol == "(":
            stack.append(mark.start())
        elif symbol == ")":
            if not stack:
                continue
            open_at = stack.pop()
            if mark.start() - open_at > _MAX_PAREN_SPAN:
                continue
            # A nested parenthesis cannot take its long form from outside its enclosing one.
            reach = stack[-1] + 1 if stack else floor
            if open_at - reach > _LONG_FORM_REACH:
                # Far enough back for any long form; start at a space, not inside a word.
                reach = text.find(" ", open_at - _LONG_FORM_REACH, open_at) + 1 or open_at
            abbreviation = _definition_at(text, open_at, mark.start(), reach, seen)
            if abbreviation is not None and abbreviation.short not in seen:
                seen.add(abbreviation.short)
                found.append(abbreviation)
        else:
            stack.clear()  # a blank line: a new paragraph
            floor = mark.end()
    found.sort(key=lambda a: a.start)
    return found
