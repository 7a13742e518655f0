"""The glossary: curated terms, abbreviations an article defines, finding and marking terms.

Four jobs, all without Textual:

- loading `ketaread/data/glossary.toml` (cached once per process) and the user's own glossary
  on top of it (`load_glossary`);
- finding the abbreviations a text defines itself, "long form (SHORT)" and "SHORT (long
  form)" (`find_abbreviations`), next to a faithful Schwartz–Hearst (2003) baseline
  (`find_abbreviations_baseline`) that the evaluation set compares it with;
- finding which terms a text uses (`find_terms`) and turning their occurrences into
  `ketaread://term/<key>` links in Markdown (`mark_terms`);
- printing one definition (`format_definition`).

Article-defined abbreviations and the glossary meet in `find_terms`: when the article defines
a term the glossary also has ("default mode network (DMN)"), the hit keeps the glossary's key
and definition text, shows the article's long form as its expansion, and has origin "article";
an abbreviation the glossary does not know becomes a hit of its own whose definition says what
the article uses it for. Either way the popup can label it "defined in this article".

Link keys: a glossary term's key is `term_key(term)` ("nmda%20receptor"); an abbreviation only
the article defines has `term_key(short)` ("tau"), or "<that>-article" when the glossary means
something else by the same name, so that a link never opens the wrong definition.
"""

from __future__ import annotations

import re
import textwrap
import threading
import tomllib
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from urllib.parse import quote, unquote

from ketaread.core.clean import clean_line
from ketaread.core.links import TERM_LINK_PREFIX, term_link
from ketaread.core.markdown_regions import markdown_layout, prose_segments

__all__ = [
    "TERM_LINK_PREFIX",
    "Abbreviation",
    "Glossary",
    "GlossaryError",
    "Term",
    "TermHit",
    "find_abbreviations",
    "find_abbreviations_baseline",
    "find_terms",
    "format_definition",
    "load_glossary",
    "mark_terms",
    "term_key",
]


# -- data types --------------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class Term:
    """One glossary entry, curated or from the user's glossary file."""

    key: str
    """`term_key(term)`: stable, URL-safe, what `ketaread://term/<key>` links carry."""
    term: str
    aliases: tuple[str, ...]
    expansion: str
    """The long form of an abbreviation, or "" when the term is not one."""
    definition: str
    related: tuple[str, ...]
    """Names of other entries (a term or an alias); `Glossary.related` resolves them."""
    source: str
    """Where a definition follows a public-domain source, a note naming it; else ""."""
    origin: str
    """"curated" (shipped with ketaread) or "user" (the user's glossary file)."""

    def names(self) -> tuple[str, ...]:
        """The term, its aliases and its expansion: every name it is known and matched by."""
        names = [self.term, *self.aliases]
        if self.expansion:
            names.append(self.expansion)
        seen: set[str] = set()
        unique = []
        for name in names:
            folded = _fold(name)
            if folded and folded not in seen:
                seen.add(folded)
                unique.append(name)
        return tuple(unique)


@dataclass(slots=True, frozen=True)
class Abbreviation:
    """An abbreviation a text defines: "treatment-resistant depression (TRD)"."""

    short: str
    """As written, plural included ("SSRIs")."""
    long: str
    """The long form as written, whitespace folded."""
    start: int
    """Offset in the text where the definition starts (its long or its short form)."""


@dataclass(slots=True, frozen=True)
class TermHit:
    """A term found in an article, with the definition the reader should see there."""

    key: str
    term: str
    expansion: str
    definition: str
    origin: str
    """"article" (defined in this article), "curated" or "user"."""

    def to_json(self) -> dict[str, str]:
        """The hit as `ketaread show --json` prints it."""
        return {
            "term": self.term,
            "expansion": self.expansion,
            "definition": self.definition,
            "origin": self.origin,
        }


class GlossaryError(Exception):
    """A glossary file that cannot be used; the message is one line, fit to show."""


def term_key(name: str) -> str:
    """The link key of a term name: lower case, whitespace folded, URL-quoted."""
    return quote(" ".join(name.split()).lower(), safe="")


# -- names: folding, plurals, case rules -------------------------------------------------------

# Hyphens and dashes that join the words of a name; em dashes separate clauses, not words.
_DASHES = r"\-" + "\u2010\u2011\u2012\u2013\u2212"  # for character classes
_WORD_SPLIT = re.compile(rf"[\s{_DASHES}]+")
# Between two words of a name: spaces (a line break too), a hyphen or an en dash. Kept to
# plain alternatives: character classes make the combined regex several times slower to compile.
_SEPARATOR = r"(?:\s++|-|\u2013)"


def _words(text: str) -> list[str]:
    """A name's words: split at spaces, hyphens and dashes; curly apostrophes made straight."""
    return [w for w in _WORD_SPLIT.split(text.replace("\u2019", "'")) if w]


def _fold(text: str) -> str:
    """Compare names loosely: words joined by single spaces, lower case."""
    return " ".join(_words(text)).lower()


def _is_acronym(word: str) -> bool:
    """A capital after the first character (NMDA, mTOR, TrkB, eEF2): the case carries meaning."""
    return any(ch.isupper() for ch in word[1:])


def _singular_folds(folded: str) -> list[str]:
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


def _surface_forms(surface: str, exact: bool = False) -> list[str]:
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


class _Matcher:
    """Names compiled into one regex, and the way back from matched text to what it names."""

    def __init__(self, names: Iterable[tuple[str, object, bool]]) -> None:
        self.index: dict[str, list[tuple[tuple[str, ...], tuple[bool, ...], object]]] = {}
        self._resolved: dict[str, object | None] = {}
        unit_lists = []
        for surface, payload, exact in names:
            for form in _surface_forms(surface, exact):
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


# -- the glossary ------------------------------------------------------------------------------


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
                        self._names.setdefault(_fold(name), t)
        self._matcher: _Matcher | None = None
        self._matcher_lock = threading.Lock()
        self._articles: dict[tuple[Abbreviation, ...], _ArticleTerms] = {}
        self._articles_lock = threading.Lock()

    @property
    def matcher(self) -> _Matcher:
        """Every name in one compiled regex: built on first use (~50 ms), then reused."""
        # Not at load: `ketaread define` and the popup's lists never need it.
        with self._matcher_lock:
            if self._matcher is None:
                self._matcher = _Matcher(
                    (name, term, False) for term in self._terms for name in term.names()
                )
            return self._matcher

    def _article_terms(self, abbreviations: Iterable[Abbreviation]) -> _ArticleTerms:
        """An article's abbreviations resolved and compiled, kept for the next few calls."""
        # find_terms and mark_terms are called on the same article one after the other.
        key = tuple(abbreviations)
        with self._articles_lock:
            found = self._articles.get(key)
        if found is None:
            found = _ArticleTerms(self, key)  # outside the lock: it may build the matcher
            with self._articles_lock:
                if len(self._articles) >= 8:
                    del self._articles[next(iter(self._articles))]
                self._articles[key] = found
        return found

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
        folded = _fold(name)
        for candidate in (folded, *_singular_folds(folded)):
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
        wanted = _fold(query)
        if not wanted:
            return sorted(self._terms, key=lambda t: t.term.casefold())
        scored: list[tuple[int, str, Term]] = []
        for t in self._terms:
            best: int | None = None
            for position, name in enumerate(t.names()):
                folded = _fold(name)
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


# -- loading -----------------------------------------------------------------------------------

_ENTRY_KEYS = {"term", "aliases", "expansion", "definition", "related", "source"}
# Characters that would break Markdown links or tables if a name contained them.
_BAD_NAME_CHARS = re.compile(r"[\[\]\\`*_<>|#{}]")
_MAX_USER_FILE = 2_000_000
_MAX_DEFINITION = 2000
_MAX_NAME = 120

_curated_lock = threading.Lock()
_curated: Glossary | None = None


def _parse_terms(data: bytes, label: str, origin: str) -> list[Term]:
    """Validate a glossary document and turn its entries into terms."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GlossaryError(f"{label}: not UTF-8 text") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise GlossaryError(f"{label}: not valid TOML: {clean_line(str(error), 200)}") from None
    unknown = sorted(set(document) - {"term"})
    if unknown:
        raise GlossaryError(f"{label}: unknown table {unknown[0]!r}; entries are [[term]] tables")
    entries = document.get("term", [])
    if not isinstance(entries, list):
        raise GlossaryError(f"{label}: 'term' must be a list of [[term]] tables")
    terms = []
    for number, entry in enumerate(entries, 1):
        terms.append(_parse_entry(entry, f"{label}: entry {number}", origin))
    return terms


def _parse_entry(entry: object, where: str, origin: str) -> Term:
    if not isinstance(entry, dict):
        raise GlossaryError(f"{where}: must be a [[term]] table")
    name = entry.get("term")
    if isinstance(name, str) and name.strip():
        where = f"{where} ({clean_line(name, 60)!r})"
    unknown = sorted(set(entry) - _ENTRY_KEYS)
    if unknown:
        raise GlossaryError(f"{where}: unknown key {unknown[0]!r}")

    def text(key: str, required: bool, limit: int) -> str:
        value = entry.get(key, "")
        if not isinstance(value, str):
            raise GlossaryError(f"{where}: {key!r} must be a string")
        value = clean_line(value, limit + 1)
        if required and not value:
            raise GlossaryError(f"{where}: {key!r} is missing or empty")
        if len(value) > limit:
            raise GlossaryError(f"{where}: {key!r} is longer than {limit} characters")
        return value

    def text_list(key: str) -> list[str]:
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise GlossaryError(f"{where}: {key!r} must be a list of strings")
        return [v for v in (clean_line(v, _MAX_NAME + 1) for v in value) if v]

    term = text("term", True, _MAX_NAME)
    definition = text("definition", True, _MAX_DEFINITION)
    expansion = text("expansion", False, _MAX_NAME)
    source = text("source", False, 300)
    aliases = text_list("aliases")
    related = text_list("related")
    for name in (term, expansion, *aliases):
        if not name:
            continue
        if len(name) > _MAX_NAME:
            raise GlossaryError(f"{where}: name {name[:40]!r}… is too long")
        if _BAD_NAME_CHARS.search(name) or not any(ch.isalnum() for ch in name):
            raise GlossaryError(f"{where}: {name!r} is not usable as a name")
    folded_term = _fold(term)
    aliases = list(dict.fromkeys(a for a in aliases if _fold(a) != folded_term))
    return Term(
        key=term_key(term),
        term=term,
        aliases=tuple(aliases),
        expansion=expansion,
        definition=definition,
        related=tuple(related),
        source=source,
        origin=origin,
    )


def _curated_glossary() -> Glossary:
    """The shipped glossary, parsed and compiled once per process."""
    global _curated
    with _curated_lock:
        if _curated is None:
            data = files("ketaread.data").joinpath("glossary.toml").read_bytes()
            _curated = Glossary(_parse_terms(data, "built-in glossary", "curated"))
        return _curated


def _read_user_file(path: Path) -> bytes:
    label = f"glossary {clean_line(str(path), 300)}"
    try:
        if not path.is_file():
            raise GlossaryError(f"{label}: not found or not a regular file")
        with path.open("rb") as handle:
            data = handle.read(_MAX_USER_FILE + 1)
    except OSError as error:
        raise GlossaryError(f"{label}: cannot be read ({error.strerror or error})") from None
    if len(data) > _MAX_USER_FILE:
        raise GlossaryError(f"{label}: larger than {_MAX_USER_FILE // 1_000_000} MB")
    return data


def _merge(base: Glossary, additions: list[Term], label: str) -> Glossary:
    """The base glossary with the user's entries: new terms added, named ones replaced."""
    terms = list(base.terms)
    position: dict[str, int] = {}
    for index, t in enumerate(terms):
        for name in t.names():
            position.setdefault(_fold(name), index)
    for new in additions:
        targets = {position[f] for f in map(_fold, new.names()) if f in position}
        if len(targets) > 1:
            names = ", ".join(sorted(repr(terms[i].term) for i in targets))
            raise GlossaryError(
                f"{label}: entry {new.term!r} names several existing terms ({names}); "
                "give it names that match only one"
            )
        if targets:
            index = targets.pop()
            old = terms[index]
            aliases = [
                a for a in (*old.aliases, new.term, *new.aliases) if _fold(a) != _fold(old.term)
            ]
            merged = Term(
                key=old.key,
                term=old.term,
                aliases=tuple(dict.fromkeys(aliases)),
                expansion=new.expansion or old.expansion,
                definition=new.definition,
                related=new.related or old.related,
                source=new.source,  # a curated source note described the replaced text
                origin="user",
            )
            terms[index] = merged
        else:
            index = len(terms)
            merged = new
            terms.append(new)
        for name in merged.names():
            position[_fold(name)] = index
    return Glossary(terms)


def load_glossary(user_path: Path | None = None) -> Glossary:
    """The curated glossary, with the user's glossary file (same schema) on top when given.

    A user entry whose term, alias or expansion names an existing entry (any case) replaces
    that entry's definition and keeps its key; other entries are added. Any problem with the
    user file (missing, unreadable, not TOML, wrong types) raises `GlossaryError`.
    """
    curated = _curated_glossary()
    if user_path is None:
        return curated
    label = f"glossary {clean_line(str(user_path), 300)}"
    additions = _parse_terms(_read_user_file(user_path), label, "user")
    return _merge(curated, additions, label)


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


# -- finding terms -----------------------------------------------------------------------------


def _agrees(long: str, term: Term) -> bool:
    """True when an article's long form means the same as a glossary entry's names."""
    wanted = _fold(long)
    wanted_forms = {wanted, *_singular_folds(wanted)}
    for name in term.names():
        folded = _fold(name)
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


class _ArticleTerms:
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
                    expansion = term.expansion if _fold(long) == _fold(term.term) else long
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
        self.matcher = _Matcher(names) if names else None

    def hit_for(self, term: Term) -> TermHit:
        """The hit a glossary term gives in this article (the article's own when it has one)."""
        hit = self.hits.get(term.key)
        if hit is None:
            hit = TermHit(term.key, term.term, term.expansion, term.definition, term.origin)
            self.hits[term.key] = hit
        return hit


def _scan(
    text: str, glossary: Glossary, article: _ArticleTerms, start: int = 0, end: int | None = None
) -> Iterator[tuple[int, int, TermHit]]:
    """Occurrences in text[start:end], leftmost first, longest at each place, article first."""
    end = len(text) if end is None else end
    names = glossary.matcher
    if names.pattern is None:
        return
    if article.matcher is None or article.matcher.pattern is None:
        for match in names.pattern.finditer(text, start, end):
            term = names.resolve(match.group())
            if isinstance(term, Term):
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
            hit = article.hit_for(term) if isinstance(term, Term) else None
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
    docstring).
    """
    article = glossary._article_terms(article_abbreviations)
    hits: dict[str, TermHit] = {}
    for _, _, hit in _scan(text, glossary, article):
        hits.setdefault(hit.key, hit)
    return list(hits.values())


# -- marking terms in Markdown -----------------------------------------------------------------


def mark_terms(
    markdown: str,
    glossary: Glossary,
    article_abbreviations: list[Abbreviation],
    every: bool = False,
) -> str:
    """Markdown with term occurrences as `[text](ketaread://term/<key>)` links.

    Only the first occurrence of each term per section (sections start at headings) unless
    `every`. Never inside links (text or URL), images, autolinks, bare URLs, inline code,
    fenced or indented code, raw HTML, or headings (a heading is a title, not prose; links
    there would clutter it). Every other byte stays as it was.
    """
    layout = markdown_layout(markdown)
    article = glossary._article_terms(article_abbreviations)
    parts: list[str] = []
    done = 0
    marked: set[tuple[int, str]] = set()
    size = len(markdown)
    for segment_start, segment_end in prose_segments(markdown, layout):
        for start, end, hit in _scan(markdown, glossary, article, segment_start, segment_end):
            if end == segment_end and end < size and markdown[end].isalnum():
                continue  # the segment cut a word short
            if start > 0 and markdown[start - 1] in "!]":
                continue  # "![" would make an image, "][" a reference link
            section = bisect_right(layout.sections, start)
            if not every:
                if (section, hit.key) in marked:
                    continue
                marked.add((section, hit.key))
            parts.append(markdown[done:start])
            parts.append(f"[{markdown[start:end]}]({term_link(hit.key)})")
            done = end
    parts.append(markdown[done:])
    return "".join(parts)


# -- printing ----------------------------------------------------------------------------------


def format_definition(term: Term) -> str:
    """A term as a few plain-text lines, for `ketaread define TERM`."""
    heading = term.term
    if term.expansion and _fold(term.expansion) != _fold(term.term):
        heading = f"{term.term} ({term.expansion})"

    def wrapped(text: str) -> list[str]:
        return textwrap.wrap(text, width=78, subsequent_indent="  ", break_on_hyphens=False)

    lines = [heading]
    aliases = [a for a in term.aliases if _fold(a) != _fold(term.expansion)]
    if aliases:
        lines += wrapped("Also: " + ", ".join(aliases))
    lines.append("")
    lines += textwrap.wrap(term.definition, width=78) or [""]
    lines.append("")
    if term.related:
        lines += wrapped("Related: " + ", ".join(term.related))
    if term.source:
        lines += wrapped("Source: " + term.source)
    origin = {"curated": "ketaread's glossary", "user": "your glossary file"}.get(
        term.origin, term.origin
    )
    lines.append("From: " + origin)
    return "\n".join(lines) + "\n"
