"""Abbreviations a text defines itself: "long form (SHORT)" and "SHORT (long form)".

`find_abbreviations` is ketaread's finder; `find_abbreviations_baseline` is a faithful
Schwartz–Hearst (2003) kept as the reference point. Both are pure functions of the text and
import nothing from the rest of ketaread.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Abbreviation", "find_abbreviations", "find_abbreviations_baseline"]

_TOKEN = re.compile(r"\S+")
"""A whitespace token as str.split() makes them (both go by str.isspace)."""
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
#
# After Schwartz & Hearst (2003) and Ab3P (Sohn et al. 2008). Every bracket that follows a space
# is a candidate, in both orders ("long form (SF)", "SF (long form)"). A short form candidate is
# classed by its shape; the long form is chosen among the word starts before the bracket by an
# alignment of the short form's characters that favours word initials and leaves no content word
# unexplained; and a pair is kept only when the alignment is strong enough for the short form's
# shape — Ab3P's idea that each strategy has its own precision, with thresholds set so that every
# kept strategy is precise (the development half of MED1250 measured it; see benchmarks/README).

_GREEK_AS_LATIN = dict(zip("αβγδεζηθικλμνξοπρσςτυφχψω", "abgdezetiklmnxoprsstupcpo", strict=True))
_GREEK_NAMES = frozenset(
    [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "zeta",
        "eta",
        "theta",
        "iota",
        "kappa",
        "lambda",
        "mu",
        "nu",
        "xi",
        "omicron",
        "pi",
        "rho",
        "sigma",
        "tau",
        "upsilon",
        "phi",
        "chi",
        "psi",
        "omega",
    ]
)
_BRACKETS = re.compile(r"[()\[\]]|\n[^\S\n]*\n")
_CLOSING = {")": "(", "]": "["}
# Where a long form cannot reach back past: clause punctuation, sentence ends, spaced dashes,
# blank lines and list items. Brackets are handled by the scan (an enclosing one is a floor).
_CLAUSE_BOUNDARY = re.compile(
    r"[;:,](?=\s)|[.!?](?=[\s\"”’)\]]|$)|\s[–—]\s|—|\n[^\S\n]*\n"
    r"|\n[^\S\n]*(?:[-*+•]|\d{1,3}[.)])[^\S\n]"
)
_ABBREVIATED_WORDS = (
    "e.g. i.e. vs. al. dr. fig. figs. cf. approx. no. st. mr. ms. mrs. prof. etc. ca. ref. refs. "
    "eq. vol. p. pp. sp. spp. var. subsp."
)
_NOT_SENTENCE_END = frozenset(_ABBREVIATED_WORDS.split())
_INITIALS = re.compile(r"(?:[A-Za-z]\.)+")
_FIRST_SEGMENT = re.compile(r";\s|,\s|\s[-–—]\s|\s=\s")
_TRIM = " \t\n*_\"'“”‘’"
# Words a long form never starts with, and parentheses that start with them are asides.
_STOP_WORDS = frozenset(
    [
        "see",
        "e.g",
        "eg",
        "i.e",
        "ie",
        "which",
        "that",
        "who",
        "whose",
        "where",
        "when",
        "also",
        "or",
        "and",
        "for",
        "including",
        "like",
        "such",
        "as",
        "not",
        "but",
        "with",
        "from",
        "via",
        "in",
        "on",
        "at",
        "of",
        "by",
        "to",
        "if",
        "the",
        "a",
        "an",
        "is",
        "are",
        "was",
        "were",
        "vs",
        "versus",
    ]
)
_ARTICLES = {"a", "an", "the"}
# Content words that need not carry a letter of the short form.
_MINOR_WORDS = frozenset(
    [
        "of",
        "the",
        "and",
        "in",
        "for",
        "to",
        "with",
        "on",
        "by",
        "at",
        "a",
        "an",
        "from",
        "or",
        "as",
        "its",
        "their",
    ]
)
# Not short forms: statistics, comparisons, years; asides and citations by their first word.
# Case-sensitive on purpose: "cf." is an aside, "CF" cystic fibrosis; "or" a word, "OR" a ratio.
_NOT_SHORT_FORM = re.compile(
    r"[=<>%±≤≥]|\b(?:1[5-9]|20)\d\d[a-z]?\b|^(?:see|e\.g|i\.e|cf|fig|figs|figure|table|ref|refs)\b"
    r"|^(?:et al|and|or|the|a|an|in|on|at|to|of|for|with|from|by|but|not|all|are|is|was|Fig|Figure"
    r"|Table|See)$"
)
_NUMBER = re.compile(r"[\d.,]*\d")
_MAX_BRACKET_SPAN = 400
_LONG_FORM_REACH = 250
_MAX_SHORT = 20


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


@lru_cache(maxsize=4096)
def _shape(short: str) -> str:
    """How a short form candidate looks: "acronym", "capitalised", "lower", "letter" or "".

    Remembered: the finder asks again for the same words (the one before every bracket).
    """
    core = _singular_short(short)
    letters = [ch for ch in core if ch.isalpha()]
    alnum = sum(ch.isalnum() for ch in core)
    if not letters or (not core[0].isalnum() and core[0] not in "αβγδκ"):
        return ""
    if alnum == 1:
        # Lower-case single letters are mostly variables or list markers: "(p)", "(n)", "(a)".
        return "letter" if len(core) == 1 and core.isupper() else ""
    capitals = sum(ch.isupper() for ch in letters)
    digits = alnum - len(letters)
    if capitals >= 2 or (capitals and digits) or (capitals == 1 and not core[0].isupper()):
        return "acronym"
    if digits and len(letters) <= 3:
        return "acronym"  # "5ht", "p53"
    if capitals == 1:
        return "capitalised"  # "Glu", "Smo", and also "Nature", "Lancet"
    return "lower"  # "bpm", "aa", and also "see", "which"


def _short_form_tokens(candidate: str) -> list[str] | None:
    """The tokens of a short form candidate, or None when it cannot be one."""
    if not candidate or len(candidate) > _MAX_SHORT or _NOT_SHORT_FORM.search(candidate):
        return None
    tokens = candidate.split()
    if not tokens:
        return None  # "(&nbsp;)": spaces _TRIM does not strip (no-break, thin, ideographic)
    if len(tokens) == 2 and re.fullmatch(r"[A-Z]\.", tokens[0]) and tokens[1].isalpha():
        return tokens  # a species: "H. pylori"
    if len(tokens) > 3 or not _shape(tokens[0]):
        return None
    for token in tokens[1:]:
        if token.lower() in _STOP_WORDS or re.fullmatch(r"\d*[.,]\d+", token):
            return None  # "n = 24", "CI 1.2": not a name
    return tokens


def _is_name_part(word: str) -> bool:
    """A trailing word that belongs to a name: a Greek letter, a number, a numeral, a letter."""
    return (
        word.lower() in _GREEK_NAMES
        or word.isdigit()
        or len(word) == 1
        or re.fullmatch(r"[IVX]+", word) is not None
    )


def _clause_start(text: str, end: int, floor: int) -> int:
    """Where the clause holding `end` starts: the long form cannot reach further back."""
    for boundary in reversed(list(_CLAUSE_BOUNDARY.finditer(text, floor, end))):
        if boundary.group() in ".!?":
            words = text[max(floor, boundary.start() - 12) : boundary.end()].split()
            token = words[-1] if words else ""
            if token.lower() in _NOT_SENTENCE_END or _INITIALS.fullmatch(token):
                continue  # "e.g.", "et al.", "U.S." do not end a sentence
        return boundary.end()
    return floor


@dataclass(slots=True)
class _Alignment:
    """The best placing of a short form's characters in a long form starting at `start`."""

    start: int
    initials: int
    """Characters that fall on a word or sub-word start ("N-methyl-D-aspartate" has four)."""
    uncovered: int
    """Content words of the long form holding none of the characters."""
    words: int


def _align(short: str, window: str) -> _Alignment | None:
    """The best long form of `short` that ends where `window` ends, or None.

    Right to left like Schwartz–Hearst, but exhaustive: the characters are placed to maximise
    word initials and content words covered; every word start where the first character can
    go is a candidate start, scored by initials minus uncovered content words, the shorter
    winning ties.
    """
    wanted = _fold_chars(short if short.isalnum() else "".join(ch for ch in short if ch.isalnum()))
    if not wanted:
        return None
    # Only the last min(|A| + 5, |A| * 2) words can hold an acceptable long form.
    limit = max(2, min(len(wanted) + 5, len(wanted) * 2))
    offset = 0
    parts = window.rsplit(maxsplit=limit)
    if len(parts) > limit:
        offset = window.find(parts[1], len(parts[0]))
        window = window[offset:]
    folded = _fold_chars(window)
    # Cheap test first: Schwartz–Hearst's greedy right-to-left match exists or nothing does.
    at = len(folded)
    for ch in reversed(wanted):
        at = folded.rfind(ch, 0, at)
        if at < 0:
            return None
    size = len(window)
    # Only the positions holding one of the wanted characters are ever placed, so the
    # word, initial and next-word facts are worked out for those alone, and each row's
    # "best at or after" comes from a sorted list by bisection: the same values as a walk
    # of every character of the window for each character of the short form, for a
    # fraction of its cost (the finder's largest part on real articles).
    starts = [match.start() for match in _TOKEN.finditer(window)]
    words = window.split()
    is_content = [
        w.strip(_TRIM + ".,").lower() not in _MINOR_WORDS and any(ch.isalpha() for ch in w)
        for w in words
    ]
    places: dict[str, list[int]] = {}
    for ch in set(wanted):
        found = []
        at = folded.find(ch)
        while at >= 0:
            found.append(at)
            at = folded.find(ch, at + 1)
        places[ch] = found

    def facts(p: int) -> tuple[int, bool, int]:
        """(word index, starts a run of letters and digits, next whitespace token's start)."""
        after = bisect_right(starts, p)
        word = after - 1  # p holds a wanted character, never a space: inside a token
        initial = window[p].isalnum() and (p == 0 or not window[p - 1].isalnum())
        return word, initial, starts[after] if after < len(starts) else size

    # best[p] for the current k: (2 * initials + covered content words, initials, covered)
    # placing wanted[k:] with wanted[k] at p; positions in increasing order.
    Value = tuple[int, int, int]
    known: dict[int, tuple[int, bool, int]] = {}
    best: dict[int, Value] = {}
    for p in places[wanted[-1]]:
        word, initial, _ = known[p] = facts(p)
        bonus = is_content[word] if word < len(words) else 0
        best[p] = (2 * initial + bonus, int(initial), bonus)
    for k in range(len(wanted) - 2, -1, -1):
        if not best:
            return None
        # suffix[j]: the best of best's j-th position and every later one.
        keys = list(best)
        suffix: list[Value] = list(best.values())
        for j in range(len(suffix) - 2, -1, -1):
            if not suffix[j] > suffix[j + 1]:
                suffix[j] = suffix[j + 1]
        row: dict[int, Value] = {}
        for p in places[wanted[k]]:
            if p not in known:
                known[p] = facts(p)
            word, initial, next_word = known[p]
            j = bisect_right(keys, p)
            same = suffix[j] if j < len(keys) else None
            j = bisect_left(keys, next_word)
            later = suffix[j] if j < len(keys) else None
            bonus = is_content[word]
            options = []
            if same is not None:
                options.append(same)
            if later is not None:
                options.append((later[0] + bonus, later[1], later[2] + bonus))
            if not options:
                continue
            top = max(options)
            row[p] = (top[0] + 2 * initial, top[1] + initial, top[2])
        best = row
    content_from = [0] * (len(words) + 1)
    for w in range(len(words) - 1, -1, -1):
        content_from[w] = content_from[w + 1] + is_content[w]
    choice: _Alignment | None = None
    choice_key: tuple[int, int, int] | None = None
    for p, (_score, initials, covered) in best.items():
        w, initial, _ = known[p]
        if not initial:
            continue
        uncovered = content_from[w] - covered
        key = (initials - uncovered, w, p)
        if choice_key is None or key > choice_key:
            choice_key = key
            choice = _Alignment(p, initials, uncovered, len(words) - w)
    if choice is not None:
        choice.start += offset
    return choice


def _accept(
    shape: str, short: str, long: str, alignment: _Alignment, before_word: str = ""
) -> bool:
    """Whether an alignment is strong enough for a short form of this shape.

    `before_word` is the word before the long form, lower-cased ("" when none).
    """
    return _rule(shape, short, long, alignment, before_word) is not None


def _rule(
    shape: str, short: str, long: str, alignment: _Alignment, before_word: str = ""
) -> str | None:
    """The name of the acceptance rule a pair passes (each has its own precision), or None."""
    core = _singular_short(short)
    size = sum(ch.isalnum() for ch in core)
    if len(long) <= len(short) or any(w in (short, core) for w in _words(long)):
        return None
    first = long.split()[0].strip(_TRIM).lower()
    if first in _STOP_WORDS:
        return None
    words = alignment.words
    if words > min(size + 5, size * 2) and not (size == 1 and words == 1):
        return None
    initials, uncovered = alignment.initials, alignment.uncovered
    if shape == "letter":
        # One-letter short forms: only a single word starting with the letter.
        ok = words == 1 and len(long) >= 4 and long[0].lower() == core[0].lower()
        return "letter" if ok else None
    if words == 1:
        if shape == "acronym":
            return "one word, acronym"
        # "Glu" glutamate, "Ub" ubiquitin: the short form starts the word.
        prefix = 0
        while (
            prefix < len(core)
            and prefix < len(long)
            and core[prefix].lower() == long[prefix].lower()
        ):
            prefix += 1
        if prefix >= 2 or initials >= 2:
            return "one word, prefix"
        # Two characters in one word ("Hh" Hedgehog), unless the word before starts with the
        # second: "transepithelial resistance (Rt)" is two words in the other order.
        second = [ch for ch in core if ch.isalnum()][-1].lower()
        if size == 2 and not before_word.startswith(second):
            return "one word, two characters"
        # "Epo" erythropoietin, "cod" cyclooctadiene: a long word holding every character.
        if 3 <= size <= 4 and len(long) >= 3 * size:
            return "one long word"
        return None
    # "verapamil + 30 microM of nitroglycerin (VP-NTG)": a measurement; but a number that ends
    # the long form names a grade, as in "poly(ethyleneglycol) 2000 (DSPE-PEG)".
    if not any(ch.isdigit() for ch in core) and any(
        _NUMBER.fullmatch(w) for w in long.split()[:-1]
    ):
        return None
    if uncovered == 0 and initials >= 2:
        if shape == "acronym":
            return "words covered, acronym"
        return "words covered, all initials" if initials == size else "words covered"
    if uncovered <= 1 and initials >= 2 and shape == "acronym":
        return "one word uncovered"
    # "arcuate nucleus (ARC)", "bispectral index (BIS)": the first word's start and a head noun.
    lowered = long.lower()
    if (
        shape == "acronym"
        and words == 2
        and uncovered <= 1
        and size >= 3
        and lowered.startswith(core.lower())
        and lowered[len(core) : len(core) + 1].isalpha()
    ):
        return "first word's prefix, head noun"
    return None


# What may come before a sub-word start inside a chemical name: locants, primes, stereo marks.
_LOCANTS = re.compile(
    r"(?:[\d,'′″()\[\]+/±-]|(?<![A-Za-z])[A-Za-z](?![A-Za-z])|alpha|beta|gamma|delta|[αβγδ])+"
)


def _word_start(text: str, at: int) -> int:
    """`at`, or the start of its token when only locants come before ("2,4-dinitrophenyl")."""
    start = at
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    if start < at and _LOCANTS.fullmatch(text, start, at) and text[at - 1] in "-)]([":
        return start
    return at


def _aside_floor(text: str, start: int, end: int) -> int:
    """After the last bracketed aside " (…) " or stray closing bracket in text[start:end].

    A long form does not reach back over them; brackets inside a name ("E(2)", "2-(4-…)")
    do not stop it.
    """
    floor = start
    opened: list[int] = []
    for at in range(start, end):
        ch = text[at]
        if ch in "([":
            opened.append(at)
        elif ch in ")]":
            if not opened:
                floor = at + 1
                continue
            open_at = opened.pop()
            spaced_before = open_at == start or text[open_at - 1].isspace()
            spaced_after = at + 1 >= end or text[at + 1].isspace() or text[at + 1] in ",.;:"
            if spaced_before and spaced_after:
                floor = at + 1
    return floor


def _enumerated(text: str, open_at: int, letter: str) -> bool:
    """True when "(A)" is one of a list of labels: "(B)" or "(C)" nearby."""
    letter = letter.strip()  # "(A&nbsp;)": a space _TRIM leaves is no part of the label
    if len(letter) != 1:
        return False
    nearby = text[max(0, open_at - 300) : open_at + 300]
    code = ord(letter.upper())
    neighbours = [chr(c) for c in (code - 1, code + 1) if 65 <= c <= 90]
    return any(f"({n})" in nearby or f"[{n}]" in nearby for n in neighbours)


def _tidy(text: str) -> str:
    return " ".join(text.split()).strip(_TRIM)


def _same_word(a: str, b: str) -> bool:
    a, b = a.strip(_TRIM).lower(), b.strip(_TRIM).lower()
    return a.rstrip("s") == b.rstrip("s") and bool(a)


def _long_before(
    short: str, shape: str, text: str, open_at: int, floor: int, tokens: list[str]
) -> Abbreviation | None:
    """ "long form (SHORT)": the long form ends at the bracket."""
    clause_from = _clause_start(text, open_at, floor)
    clause_from = _aside_floor(text, clause_from, open_at)
    before = text[clause_from:open_at].rstrip()
    # Shared last words: "N-methyl-D-aspartate receptors (NMDA receptors)", "TNF alpha".
    keep_tail = ""
    if len(tokens) > 1:
        before_words = before.split()
        tail = tokens[1:]
        if re.fullmatch(r"[A-Z]\.", tokens[0]) and len(tokens) == 2:
            return _species(tokens, before, clause_from)
        if len(before_words) > len(tail) and all(
            _same_word(a, b) for a, b in zip(before_words[-len(tail) :], tail, strict=True)
        ):
            cut = before
            for _ in tail:
                cut = cut[: cut.rstrip().rfind(" ") + 1] if " " in cut.rstrip() else ""
            if all(_is_name_part(t) for t in tail):
                keep_tail = before[len(cut.rstrip()) :]
            else:
                short = tokens[0]
                shape = _shape(short)
                if shape != "acronym":
                    return _letter_and_noun(tokens, cut.rstrip(), before, clause_from)
            before = cut.rstrip()
        elif not all(_is_name_part(t) or _shape(t) == "acronym" for t in tail):
            return None
    if not before:
        return None
    if keep_tail == "" and shape == "" and len(tokens) == 2:
        return _species(tokens, before, clause_from)
    alignment = _align(
        _singular_short(short.replace(keep_tail.strip(), "").strip())
        if keep_tail
        else _singular_short(short),
        before,
    )
    if alignment is None:
        return None
    alignment.start = _word_start(before, alignment.start)
    long = _tidy(before[alignment.start :] + keep_tail)
    previous = before[: alignment.start].split()
    before_word = previous[-1].strip(_TRIM).lower() if previous else ""
    if not _accept(shape, short, long, alignment, before_word):
        return None
    if shape == "letter" and _enumerated(text, open_at, short):
        return None
    lead = len(before[alignment.start :]) - len(before[alignment.start :].lstrip(_TRIM))
    return Abbreviation(short, long, clause_from + alignment.start + lead)


def _letter_and_noun(
    tokens: list[str], head: str, before: str, clause_from: int
) -> Abbreviation | None:
    """ "tRNA exit site (E site)": a letter and a shared noun; never "E" for "exit" alone."""
    words = head.split()
    if len(tokens) != 2 or _shape(tokens[0]) != "letter" or not words:
        return None
    word = words[-1].strip(_TRIM)
    if len(word) < 3 or not word.isalpha() or word[0].lower() != tokens[0].lower():
        return None
    start = len(head) - len(words[-1])
    return Abbreviation(" ".join(tokens), _tidy(before[start:]), clause_from + start)


def _species(tokens: list[str], before: str, clause_from: int) -> Abbreviation | None:
    """ "Helicobacter pylori (H. pylori)": a genus shortened to its capital."""
    genus, _, name = tokens[0], None, tokens[1]
    words = before.split()
    if len(words) < 2 or words[-1].lower() != name.lower():
        return None
    if not (words[-2][:1] == genus[0] and words[-2][1:].isalpha() and words[-2][1:].islower()):
        return None
    long = f"{words[-2]} {words[-1]}"
    return Abbreviation(f"{genus} {name}", long, clause_from + before.rfind(long))


def _long_inside(text: str, open_at: int, content: str, floor: int) -> Abbreviation | None:
    """ "SHORT (long form)": the short form is the word before the bracket."""
    before = text[max(floor, open_at - 80) : open_at].split()
    inner_words = content.split()
    # Shared last words: "NMDA receptors (N-methyl-D-aspartate receptors)".
    while len(before) > 1 and len(inner_words) > 1 and _same_word(before[-1], inner_words[-1]):
        before.pop()
        inner_words.pop()
    if not before:
        return None
    content = " ".join(inner_words)
    short = before[-1].strip(_TRIM)
    shape = _shape(short)
    if (shape != "acronym" and shape != "lower") or _NOT_SHORT_FORM.search(short):
        return None
    inner = _tidy(content.split("; ")[0])
    words = inner.split()
    while words and words[0].lower() in _ARTICLES:
        words = words[1:]
    if not words:
        return None
    for long in (" ".join(words), " ".join(words).split(", ")[0]):
        alignment = _align(_singular_short(short), long)
        if alignment is None or alignment.start != 0:
            continue
        if _accept(shape, short, long, alignment) and (
            shape == "acronym"
            or alignment.initials == sum(ch.isalnum() for ch in _singular_short(short))
        ):
            return Abbreviation(short, long, text.rfind(short, floor, open_at))
    return None


# A quantity and its subscript: "V(T)" tidal volume, "T(a)" ambient temperature, "Rt"
# transepithelial resistance. The subscript names the qualifier, which comes first in English.
# Glued, only one lower-case letter: "Met", "Prl" are names far more often than quantities.
_SUBSCRIPTED = re.compile(r"([A-Z])(?:\(([A-Za-z]{1,3})\)|([a-z]))")
# A concentration: "[Ca2+]i" intracellular Ca2+ concentration, "[Na+]o", "[Ca2+]c".
_CONCENTRATION = re.compile(r"\[([A-Za-z][A-Za-z0-9+\-]{0,9})\]([a-z]{1,3})")
_CONCENTRATION_WORDS = frozenset(["concentration", "concentrations", "level", "levels"])


def _clause_words(text: str, open_at: int, floor: int) -> tuple[str, int]:
    """The clause before a bracket (asides excluded) and where it starts in the text."""
    clause_from = _clause_start(text, open_at, floor)
    clause_from = _aside_floor(text, clause_from, open_at)
    return text[clause_from:open_at].rstrip(), clause_from


def _subscripted(short: str, text: str, open_at: int, floor: int) -> Abbreviation | None:
    """ "tidal volume (V(T))": a quantity's letter on the last word, its subscript on the one
    before; Schwartz–Hearst's order test refuses these, the letters being in reverse order."""
    match = _SUBSCRIPTED.fullmatch(short)
    if match is None:
        return None
    quantity = match.group(1).lower()
    subscript = _fold_chars(match.group(2) or match.group(3))
    before, clause_from = _clause_words(text, open_at, floor)
    words = before.split()
    if len(words) < 2:
        return None
    modifier, head = (w.strip(_TRIM) for w in words[-2:])
    folded = _fold_chars(modifier)
    if (
        head[:1].lower() != quantity
        or not head.isalpha()
        or not modifier.replace("-", "").isalpha()
        or modifier.lower() in _STOP_WORDS
        or not folded.startswith(subscript[0])
        or len(modifier) < 3
        or len(head) < 3
    ):
        return None
    at = 0
    for ch in subscript:  # every subscript letter, in order, in the qualifier
        at = folded.find(ch, at) + 1
        if not at:
            return None
    start = before.rfind(words[-2])
    return Abbreviation(short, _tidy(before[start:]), clause_from + start)


def _concentration(short: str, text: str, open_at: int, floor: int) -> Abbreviation | None:
    """ "intracellular Ca2+ concentration ([Ca2+]i)": the bracketed ion, a concentration word
    and a first word starting with the subscript (i intracellular, o outside, c cytosolic)."""
    match = _CONCENTRATION.fullmatch(short)
    if match is None:
        return None
    ion, subscript = match.group(1), match.group(2)
    ion_letters = re.match(r"[A-Za-z]+", ion)
    before, clause_from = _clause_words(text, open_at, floor)
    words = [w.strip(_TRIM) for w in before.split()[-5:]]
    if not words or (words[-1].lower() not in _CONCENTRATION_WORDS and words[-1] != ion):
        return None
    for first in range(len(words) - 2, -1, -1):
        if not words[first].lower().startswith(subscript[0]):
            continue
        rest = words[first:]
        has_ion = any(
            w == ion
            or (ion_letters is not None and w.lower().startswith(ion_letters.group().lower()))
            for w in rest[1:]
        )
        if has_ion and any(w.lower() in _CONCENTRATION_WORDS for w in rest[1:]):
            long = " ".join(rest)
            start = before.rfind(long)
            if start < 0:
                return None
            return Abbreviation(short, long, clause_from + start)
    return None


# Coordinated modifiers sharing a head noun: "scanning (SEM) and transmission (TEM) electron
# microscopy", "dimethyl-[DMP], diethyl-[DEP] and di-n-octyl [DnOP] phthalate".
_COORDINATION = re.compile(r",?\s+(?:and|or)\s+|,\s+")
_COORDINATED_ITEM = re.compile(
    r"(?:,?\s+(?:and|or)\s+|,\s+)[^\s()\[\]]{2,40}\s?[(\[][^()\[\]]{1,20}[)\]]"
)
_HEAD_WORDS = re.compile(r"\s+([A-Za-z][\w\-]*(?:\s+[A-Za-z][\w\-]*){0,3})")


def _coordinated(short: str, text: str, open_at: int, close_at: int) -> Abbreviation | None:
    """ "scanning (SEM) and transmission (TEM) electron microscopy": the modifier before the
    bracket and the head noun after the last bracket of the list, written as one long form."""
    shape = _shape(short)
    if shape != "acronym" or " " in short or open_at == 0:
        return None
    glued = text[open_at - 1] == "-"
    modifier_from = text.rfind(" ", max(0, open_at - 41), open_at - 1) + 1
    modifier = text[modifier_from:open_at].strip().lstrip("([")
    if not modifier or not re.fullmatch(r"[A-Za-z0-9][\w,'\-]*", modifier):
        return None
    # The list: an earlier item just before the modifier, or a later one just after the bracket.
    earlier = re.search(
        r"[)\]](?:,?\s+(?:and|or)\s+|,\s+)$", text[max(0, modifier_from - 8) : modifier_from]
    )
    at = close_at + 1
    later = 0
    while later < 10:
        item = _COORDINATED_ITEM.match(text, at)
        if item is None:
            break
        at = item.end()
        later += 1
    if not earlier and not later:
        return None
    head = _HEAD_WORDS.match(text, at)
    if head is None:
        return None
    words = head.group(1).split()
    for count in range(1, len(words) + 1):
        if words[count - 1].lower() in _STOP_WORDS:
            break
        joiner = "" if glued or modifier.endswith("-") else " "
        long = modifier + joiner + " ".join(words[:count])
        alignment = _align(_singular_short(short), long)
        if alignment is None or alignment.start != 0 or alignment.uncovered:
            continue
        if _accept(shape, short, long, alignment):
            return Abbreviation(short, long, modifier_from)
    return None


def _definition_at(text: str, open_at: int, close_at: int, floor: int) -> Abbreviation | None:
    """The abbreviation a bracket defines, if any, in either order."""
    content = text[open_at + 1 : close_at]
    segment = _FIRST_SEGMENT.split(content, maxsplit=1)[0].strip(_TRIM)
    if "(" in segment:  # "V(T)": a bracketed subscript is read as one before anything else
        found = _subscripted(segment, text, open_at, floor)
        if found is not None:
            return found
    tokens = _short_form_tokens(segment)
    if tokens is not None:
        found = _long_before(segment, _shape(tokens[0]), text, open_at, floor, tokens)
        if found is None and len(tokens) == 1:
            found = _coordinated(segment, text, open_at, close_at)
        if found is not None:
            return found
    found = _subscripted(segment, text, open_at, floor) or _concentration(
        segment, text, open_at, floor
    )
    if found is not None:
        return found
    if len(content) > 2:
        found = _long_inside(text, open_at, content, floor)
        if found is not None:
            return found
        return _both_inside(content, open_at + 1)
    return None


def _both_inside(content: str, base: int) -> Abbreviation | None:
    """ "(long form, SHORT)": both in the bracket, the short form last."""
    long, comma, short = content.rpartition(", ")
    short = short.strip(_TRIM)
    if not comma or ", " in long or _shape(short) != "acronym" or " " in short:
        return None
    long = _tidy(long)
    alignment = _align(_singular_short(short), long)
    if alignment is None or alignment.start != 0:
        return None
    if not _accept("acronym", short, long, alignment):
        return None
    return Abbreviation(short, long, base + len(content) - len(content.lstrip(_TRIM)))


_GLUED_WORD = re.compile(r"[a-z]{4,}$")


def _glued(text: str, open_at: int) -> bool:
    """ "clozapine(CLP)": a bracket right after a plain lower-case word still defines."""
    # Bounded look-back: a text with no spaces must not cost the square of its length.
    start = max(0, open_at - 40)
    word = _GLUED_WORD.search(text, start, open_at)
    return (
        word is not None
        and word.end() == open_at
        and (word.start() == 0 or text[word.start() - 1].isspace())
    )


def find_abbreviations(text: str) -> list[Abbreviation]:
    """The abbreviations a text defines, first definition of each short form, in text order.

    After Schwartz–Hearst and Ab3P: "long form (SHORT)" and "SHORT (long form)", round or
    square brackets after a space; short forms of one to three tokens ("TNF alpha", "FEV(1)",
    one letter); the long form chosen by an alignment that favours word initials and leaves
    no content word unexplained, kept when strong enough for the short form's shape.
    """
    found: list[Abbreviation] = []
    seen: set[str] = set()
    stack: list[tuple[str, int]] = []
    floor = 0
    for mark in _BRACKETS.finditer(text):
        symbol = mark.group()
        if symbol in "([":
            stack.append((symbol, mark.start()))
            continue
        if symbol not in _CLOSING:
            stack.clear()  # a blank line: a new paragraph
            floor = mark.end()
            continue
        opening = _CLOSING[symbol]
        depth = len(stack) - 1
        while depth >= 0 and stack[depth][0] != opening:
            depth -= 1
        if depth < 0:
            continue
        open_at = stack[depth][1]
        del stack[depth:]
        if mark.start() - open_at > _MAX_BRACKET_SPAN:
            continue
        if open_at > 1 and text[open_at - 1] == "-" and text[open_at - 2].isalpha():
            # "dimethyl-[DMP], diethyl-[DEP] … phthalate": only as one of a list.
            short = text[open_at + 1 : mark.start()].strip()
            abbreviation = _coordinated(short, text, open_at, mark.start())
            if abbreviation is not None and abbreviation.short not in seen:
                seen.add(abbreviation.short)
                found.append(abbreviation)
            continue
        if open_at > 0 and not text[open_at - 1].isspace() and not _glued(text, open_at):
            continue  # "Pt(II)", "FEV(1)", "E(2)": part of a name, not a definition
        reach = stack[-1][1] + 1 if stack else floor
        if open_at - reach > _LONG_FORM_REACH:
            reach = text.find(" ", open_at - _LONG_FORM_REACH, open_at) + 1 or open_at
        abbreviation = _definition_at(text, open_at, mark.start(), reach)
        if abbreviation is not None and abbreviation.short not in seen:
            seen.add(abbreviation.short)
            found.append(abbreviation)
    found.sort(key=lambda a: a.start)
    return found
