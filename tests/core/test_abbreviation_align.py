"""The abbreviation finder's alignment: the sparse version gives what the dense one gave."""

from __future__ import annotations

import random

from ketaread.core.abbreviations import (
    _MINOR_WORDS,
    _TRIM,
    _align,
    _Alignment,
    _fold_chars,
)

# The reference: `_align` before it visited only the positions of the wanted characters
# (ketaread 8b0a128), kept here as the specification the faster one must match.


def dense_align(short: str, window: str) -> _Alignment | None:
    """`_align` as first written: every position of the window visited per character.

    Right to left like Schwartz–Hearst, but exhaustive: the characters are placed to maximise
    word initials and content words covered; every word start where the first character can
    go is a candidate start, scored by initials minus uncovered content words, the shorter
    winning ties.
    """
    wanted = _fold_chars("".join(ch for ch in short if ch.isalnum()))
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
    word_of = [0] * size
    initial = [False] * size
    next_word = [size] * size  # where the next whitespace token starts
    word = 0
    for i, ch in enumerate(window):
        if ch.isspace():
            if i and not window[i - 1].isspace():
                word += 1
        else:
            initial[i] = ch.isalnum() and (i == 0 or not window[i - 1].isalnum())
        word_of[i] = word
    following = size
    for i in range(size - 1, -1, -1):
        next_word[i] = following
        if not window[i].isspace() and (i == 0 or window[i - 1].isspace()):
            following = i
    words = window.split()
    is_content = [
        w.strip(_TRIM + ".,").lower() not in _MINOR_WORDS and any(ch.isalpha() for ch in w)
        for w in words
    ]
    # best[p] for the current k: (2 * initials + covered content words, initials, covered)
    # placing wanted[k:] with wanted[k] at p.
    Value = tuple[int, int, int]
    best: dict[int, Value] = {}
    for p in range(size):
        if folded[p] == wanted[-1]:
            bonus = is_content[word_of[p]] if word_of[p] < len(words) else 0
            best[p] = (2 * initial[p] + bonus, int(initial[p]), bonus)
    for k in range(len(wanted) - 2, -1, -1):
        if not best:
            return None
        suffix: list[Value | None] = [None] * (size + 1)
        for i in range(size - 1, -1, -1):
            here = best.get(i)
            after = suffix[i + 1]
            suffix[i] = here if after is None or (here is not None and here > after) else after
        row: dict[int, Value] = {}
        for p in range(size):
            if folded[p] != wanted[k]:
                continue
            same = suffix[p + 1]
            later = suffix[next_word[p]]
            bonus = is_content[word_of[p]]
            options = []
            if same is not None:
                options.append(same)
            if later is not None:
                options.append((later[0] + bonus, later[1], later[2] + bonus))
            if not options:
                continue
            top = max(options)
            row[p] = (top[0] + 2 * initial[p], top[1] + initial[p], top[2])
        best = row
    content_from = [0] * (len(words) + 1)
    for w in range(len(words) - 1, -1, -1):
        content_from[w] = content_from[w + 1] + is_content[w]
    choice: _Alignment | None = None
    choice_key: tuple[int, int, int] | None = None
    for p, (_score, initials, covered) in best.items():
        if not initial[p]:
            continue
        w = word_of[p]
        uncovered = content_from[w] - covered
        key = (initials - uncovered, w, p)
        if choice_key is None or key > choice_key:
            choice_key = key
            choice = _Alignment(p, initials, uncovered, len(words) - w)
    if choice is not None:
        choice.start += offset
    return choice


def _facts(found: _Alignment | None) -> tuple[int, int, int, int] | None:
    return None if found is None else (found.start, found.initials, found.uncovered, found.words)


def test_the_sparse_alignment_matches_the_dense_one_on_random_windows() -> None:
    """Same long form start, initials, uncovered words and length on 60,000 random short
    forms and windows: hyphens, repeated letters, minor words, Greek, ligatures, accents,
    digits and every kind of Unicode space that str.split() and the regex must agree on."""
    rng = random.Random(23)
    pieces = [
        "a", "b", "c", "d", "n", "m", "r", "A", "N", "M", "D", "T", "R", "-", " ", "  ", "\t",
        "\n", "\xa0", "\u2009", "\u3000", "\x1c", "\x85", "of", "the", "and", "in", "é",
        "β", "Β", "2", "5", "ht", "receptor", "treatment", "resistant", "depression", "(", ".",
        ",", "İ", "ﬁ", "①", "N-methyl-D-aspartate",
    ]  # fmt: skip
    shorts = ["NMDA", "ab", "5-HT", "TRD", "Aβ", "nm", "DAB", "ABC", "a", "β2", "M2N", "ﬁA"]
    placed = 0
    for _ in range(60_000):
        window = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 22)))
        if rng.random() < 0.7:
            short = rng.choice(shorts)
        else:
            short = "".join(rng.choice("abcdnmrtANDTR25β-") for _ in range(rng.randint(1, 6)))
        expected = dense_align(short, window)
        assert _facts(_align(short, window)) == _facts(expected), (short, window)
        placed += expected is not None
    assert placed > 5_000  # many windows hold a long form, not only the easy "None"
