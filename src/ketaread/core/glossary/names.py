"""Names: folding, plurals, case rules, and the compiled matcher of every name."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Hyphens and dashes that join the words of a name; em dashes separate clauses, not words.
_DASHES = r"\-" + "\u2010\u2011\u2012\u2013\u2212"  # for character classes
_WORD_SPLIT = re.compile(rf"[\s{_DASHES}]+")
# Between two words of a name: spaces (a line break too), a hyphen or an en dash. Kept to
# plain alternatives: character classes make the combined regex several times slower to compile.
_SEPARATOR = r"(?:\s++|-|\u2013)"


def _words(text: str) -> list[str]:
    """A name's words: split at spaces, hyphens and dashes; curly apostrophes made straight."""
    return [w for w in _WORD_SPLIT.split(text.replace("\u2019", "'")) if w]


def fold(text: str) -> str:
    """Compare names loosely: words joined by single spaces, lower case."""
    return " ".join(_words(text)).lower()


def _is_acronym(word: str) -> bool:
    """A capital after the first character (NMDA, mTOR, TrkB, eEF2): the case carries meaning."""
    return any(ch.isupper() for ch in word[1:])


def singular_folds(folded: str) -> list[str]:
    """Guesses at the singular of a folded name, for lookups of plurals."""
    guesses = []
    if folded.endswith("ies"):
        guesses.append(folded[:-3] + "y")
    if folded.endswith("ses"):
        guesses.append(folded[:-2] + "is")
    if folded.endswith("es"):
        guesses.append(folded[:-2])
    if folded.endswith("s") and not folded.endswith("ss"):
        guesses.append(folded[:-1])
    return guesses


def surface_forms(surface: str, exact: bool = False) -> list[str]:
    """A name and its plural (or, for an abbreviation written in the plural, its singular)."""
    words = _words(surface)
    if not words:
        return []
    forms = [surface]
    last = words[-1]
    if exact or _is_acronym(last):
        if len(last) >= 3 and last.endswith("s") and (last[-2].isupper() or last[-2].isdigit()):
            forms.append(surface[:-1])  # "SSRIs" defined: "SSRI" is the same thing
        elif last[-1].isupper() and last[-1] != "S":
            forms.append(surface + "s")  # SSRI → SSRIs; TMS → no "TMSs"
        return forms
    lower = last.lower()
    if len(lower) < 3 or not lower[-1].isalpha():
        return forms
    if lower.endswith("sis"):
        forms.append(surface[:-2] + "es")  # meta-analysis → meta-analyses
    elif lower.endswith(("ss", "x", "z", "ch", "sh")):
        forms.append(surface + "es")
    elif lower.endswith("s"):
        pass  # already plural ("opioid receptors") or Latin ("nucleus"): list by hand
    elif lower.endswith("y") and lower[-2] not in "aeiou":
        forms.append(surface[:-1] + "ies")
    else:
        forms.append(surface + "s")
    return forms


def _units(surface: str, exact: bool) -> list[str]:
    """Regex pieces for one name, one per character, for a pattern compiled case-insensitively.

    Letters of acronym words turn case-sensitivity back on, one by one: per-character pieces
    let names that share a beginning share trie branches, which makes scanning faster.
    """
    units: list[str] = []
    for index, word in enumerate(_words(surface)):
        if index:
            units.append(_SEPARATOR)
        word_exact = exact or _is_acronym(word)
        for ch in word:
            if ch == "'":
                units.append("['\u2019]")
            elif word_exact and ch.lower() != ch.upper():
                units.append(f"(?-i:{re.escape(ch)})")
            else:
                units.append(re.escape(ch.lower()))
    return units


def _trie_pattern(unit_lists: Iterable[list[str]]) -> str:
    """One regex for many names: a trie, so that each position tries few branches."""
    root: dict[str, dict] = {}
    for units in unit_lists:
        node = root
        for unit in units:
            node = node.setdefault(unit, {})
        node[""] = {}
    return _emit_trie(root)


def _emit_trie(node: dict[str, dict]) -> str:
    branches = [unit + _emit_trie(child) for unit, child in node.items() if unit]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # Greedy "?": a longer name is tried before the shorter one that ends here.
    return f"(?:{body})?" if "" in node else body


BLOCKED = object()
"""What a `not_in` name resolves to: matched so that nothing inside it is, then skipped."""


class Matcher:
    """Names compiled into one regex, and the way back from matched text to what it names."""

    def __init__(self, names: Iterable[tuple[str, object, bool]]) -> None:
        self.index: dict[str, list[tuple[tuple[str, ...], tuple[bool, ...], object]]] = {}
        self._resolved: dict[str, object | None] = {}
        unit_lists = []
        for surface, payload, exact in names:
            for form in surface_forms(surface, exact):
                words = tuple(_words(form))
                flags = tuple(exact or _is_acronym(w) for w in words)
                bucket = self.index.setdefault(" ".join(words).lower(), [])
                if any(w == words and f == flags for w, f, _ in bucket):
                    continue  # first entry with this spelling wins
                bucket.append((words, flags, payload))
                unit_lists.append(_units(form, exact))
        self.pattern: re.Pattern[str] | None = None
        if unit_lists:
            # Letters or digits may not touch either end; underscores (Markdown emphasis) may.
            trie = _trie_pattern(unit_lists)
            # A few names (an article's own) start with few letters: test those first.
            initials = {form[0].lower() for form in self.index}
            check = ""
            if len(initials) <= 12:
                check = "(?=[" + "".join(re.escape(ch) for ch in sorted(initials)) + "])"
            self.pattern = re.compile(rf"(?<![^\W_]){check}(?:{trie})(?![^\W_])", re.IGNORECASE)

    def resolve(self, text: str) -> object | None:
        """What a matched piece of text names (acronym words compared case-sensitively)."""
        try:
            return self._resolved[text]
        except KeyError:
            pass
        found = None
        words = _words(text)
        for names, flags, payload in self.index.get(" ".join(words).lower(), ()):
            if all(a == b or not exact for a, b, exact in zip(words, names, flags, strict=True)):
                found = payload
                break
        if len(self._resolved) < 10_000:  # articles repeat the same few spellings
            self._resolved[text] = found
        return found
