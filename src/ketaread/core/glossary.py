"""The glossary: curated terms, abbreviations an article defines, finding and marking terms.

Four jobs, all without Textual:

- loading `ketaread/data/glossary.toml` (cached once per process) and the user's own glossary
  on top of it (`load_glossary`);
- re-exporting the finder of abbreviations a text defines itself (`find_abbreviations`,
  `find_abbreviations_baseline`, `Abbreviation`), which lives in `ketaread.core.abbreviations`;
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
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path
from urllib.parse import quote, unquote

from ketaread.core.abbreviations import (
    Abbreviation,
    find_abbreviations,
    find_abbreviations_baseline,
)
from ketaread.core.clean import clean_line
from ketaread.core.links import TERM_LINK_PREFIX, term_link
from ketaread.core.markdown_regions import Layout, markdown_layout, prose_segments

__all__ = [
    "CERTAINTIES",
    "TERM_LINK_PREFIX",
    "Abbreviation",
    "Glossary",
    "GlossaryError",
    "Sense",
    "Term",
    "TermHit",
    "article_terms",
    "find_abbreviations",
    "find_abbreviations_baseline",
    "find_terms",
    "format_definition",
    "load_glossary",
    "mark_terms",
    "term_key",
]


# -- data types --------------------------------------------------------------------------------


CERTAINTIES = ("established", "likely", "hypothesis", "debated")
"""How sure the field is of an entry's mechanism claim, surest first."""


@dataclass(slots=True, frozen=True)
class Sense:
    """One meaning of a term that has several, chosen in an article by its context cues."""

    label: str
    """A few words naming the sense ("drug effect"), shown in the popup."""
    definition: str
    cues: tuple[str, ...]
    """Words that, near the term, mean this sense is the one in use (lower case)."""


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
    sources: tuple[str, ...]
    """Where the definition can be checked: "KIND: citation" strings (see SOURCE_KINDS)."""
    origin: str
    """"curated" (shipped with ketaread) or "user" (the user's glossary file)."""
    certainty: str = ""
    """For a mechanism claim, one of CERTAINTIES; "" when the entry makes none."""
    senses: tuple[Sense, ...] = ()
    safety: bool = False
    """Suicide-related: the popup shows the crisis line beside the definition, always."""
    common: bool = False
    """An everyday word ("depression"): marked once per article, not once per section."""
    not_in: tuple[str, ...] = ()
    """Longer names that hold one of this entry's names but mean something else."""

    @property
    def source(self) -> str:
        """The sources on one line, "; " between them."""
        return "; ".join(self.sources)

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
class TermHit:
    """A term found in an article, with the definition the reader should see there."""

    key: str
    term: str
    expansion: str
    definition: str
    origin: str
    """"article" (defined in this article), "curated" or "user"."""
    sense: str = ""
    """For an entry with senses, the label of the one the article's context chose."""
    sentences: tuple[str, ...] = ()
    """Sentences of the article's text that use the term (plain text, first few)."""
    in_references_only: bool = False
    """Found in the reference list but nowhere in the article's own text."""

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


_BLOCKED = object()
"""What a `not_in` name resolves to: matched so that nothing inside it is, then skipped."""


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
                names: list[tuple[str, object, bool]] = [
                    (name, term, False) for term in self._terms for name in term.names()
                ]
                # Longer names that are other things ("adrenal cortex"): matched, then dropped,
                # so that the shorter name inside them is not found there.
                names += [(n, _BLOCKED, False) for term in self._terms for n in term.not_in]
                self._matcher = _Matcher(names)
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

_ENTRY_KEYS = {
    "term",
    "aliases",
    "expansion",
    "definition",
    "related",
    "source",  # one source as a string: older user files
    "sources",
    "certainty",
    "senses",
    "safety",
    "common",
    "not_in",
}
_SENSE_KEYS = {"label", "definition", "cues"}
# Characters that would break Markdown links or tables if a name contained them.
_BAD_NAME_CHARS = re.compile(r"[\[\]\\`*_<>|#{}]")
_INNER_STAR = re.compile(r"(?<=[^\W_])\*(?=[^\W_])")
_MAX_USER_FILE = 2_000_000
_MAX_DEFINITION = 2000
_MAX_NAME = 120
_MAX_SOURCE = 400
_MAX_SENSES = 6

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

    def text(key: str, required: bool, limit: int, table: dict = entry) -> str:
        value = table.get(key, "")
        if not isinstance(value, str):
            raise GlossaryError(f"{where}: {key!r} must be a string")
        value = clean_line(value, limit + 1)
        if required and not value:
            raise GlossaryError(f"{where}: {key!r} is missing or empty")
        if len(value) > limit:
            raise GlossaryError(f"{where}: {key!r} is longer than {limit} characters")
        return value

    def text_list(key: str, limit: int = _MAX_NAME + 1, table: dict = entry) -> list[str]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise GlossaryError(f"{where}: {key!r} must be a list of strings")
        return [v for v in (clean_line(v, limit) for v in value) if v]

    def flag(key: str) -> bool:
        value = entry.get(key, False)
        if not isinstance(value, bool):
            raise GlossaryError(f"{where}: {key!r} must be true or false")
        return value

    term = text("term", True, _MAX_NAME)
    definition = text("definition", True, _MAX_DEFINITION)
    expansion = text("expansion", False, _MAX_NAME)
    sources = text_list("sources", _MAX_SOURCE + 1)
    single = text("source", False, _MAX_SOURCE)
    if single:
        sources.insert(0, single)
    if any(len(s) > _MAX_SOURCE for s in sources):
        raise GlossaryError(f"{where}: a source is longer than {_MAX_SOURCE} characters")
    certainty = text("certainty", False, 20)
    if certainty and certainty not in CERTAINTIES:
        raise GlossaryError(f"{where}: 'certainty' must be one of {', '.join(CERTAINTIES)}")
    aliases = text_list("aliases")
    related = text_list("related")
    not_in = text_list("not_in")
    senses = _parse_senses(entry.get("senses", []), where)
    for name in (term, expansion, *aliases, *not_in):
        if not name:
            continue
        if len(name) > _MAX_NAME:
            raise GlossaryError(f"{where}: name {name[:40]!r}… is too long")
        # A star inside a word ("STAR*D") cannot start or end emphasis: allowed there only.
        if _BAD_NAME_CHARS.search(_INNER_STAR.sub("", name)) or not any(
            ch.isalnum() for ch in name
        ):
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
        sources=tuple(sources),
        origin=origin,
        certainty=certainty,
        senses=senses,
        safety=flag("safety"),
        common=flag("common"),
        not_in=tuple(not_in),
    )


def _parse_senses(value: object, where: str) -> tuple[Sense, ...]:
    """The `senses` list: tables with a label, a definition and context cues."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise GlossaryError(f"{where}: 'senses' must be a list of tables")
    if len(value) > _MAX_SENSES:
        raise GlossaryError(f"{where}: more than {_MAX_SENSES} senses")
    senses = []
    for number, table in enumerate(value, 1):
        unknown = sorted(set(table) - _SENSE_KEYS)
        if unknown:
            raise GlossaryError(f"{where}: sense {number}: unknown key {unknown[0]!r}")
        fields = []
        for key in ("label", "definition"):
            item = table.get(key, "")
            if not isinstance(item, str) or not clean_line(item, 10):
                raise GlossaryError(f"{where}: sense {number}: {key!r} is missing or empty")
            fields.append(clean_line(item, _MAX_DEFINITION + 1)[:_MAX_DEFINITION])
        cues = table.get("cues", [])
        if not isinstance(cues, list) or not all(isinstance(c, str) for c in cues):
            raise GlossaryError(f"{where}: sense {number}: 'cues' must be a list of strings")
        folded = tuple(dict.fromkeys(f for c in cues if (f := _fold(clean_line(c, 60)))))
        senses.append(Sense(fields[0][:60], fields[1], folded))
    return tuple(senses)


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
                sources=new.sources,  # the curated sources described the replaced text
                origin="user",
                certainty=new.certainty,
                senses=new.senses,
                # Crisis information stays with a suicide-related term whoever defines it.
                safety=new.safety or old.safety,
                common=new.common or old.common,
                not_in=tuple(dict.fromkeys((*old.not_in, *new.not_in))),
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
    article = glossary._article_terms(article_abbreviations)
    found: dict[str, _Found] = {}
    for start, end, hit in _scan(text, glossary, article):
        _note(found, hit, text, start, end)
    return [_finish(glossary, f, text) for f in found.values()]


_MAX_SENTENCES = 8
_MAX_SENTENCE = 300
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"”’)\]]*\s+(?=[\"“‘(\[]*[A-Z0-9])|\n\s*\n")


@dataclass(slots=True)
class _Found:
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


def _note(found: dict[str, _Found], hit: TermHit, text: str, start: int, end: int) -> None:
    """Record one occurrence: the hit once, its sentence if new."""
    entry = found.get(hit.key)
    if entry is None:
        entry = found[hit.key] = _Found(hit)
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


def _finish(glossary: Glossary, found: _Found, text: str, references_only: bool = False) -> TermHit:
    """The hit with its sentences and chosen sense."""
    hit = found.hit
    term = glossary._by_key.get(hit.key)
    sense = ""
    if term is not None and term.senses:
        sense = _choose_sense(term, " ".join(found.sentences), text)
    return replace(
        hit,
        sense=sense,
        sentences=tuple(found.sentences),
        in_references_only=references_only,
    )


# -- marking terms in Markdown -----------------------------------------------------------------


# Sections and lines that are not the article's own text. Headings are matched whole.
_REFERENCE_TITLE = re.compile(
    r"(?:references?|sources?|citations?|bibliography|works\s+cited|notes|footnotes|endnotes"
    r"|literature\s+cited)\s*:?",
    re.IGNORECASE,
)
_BOILERPLATE_TITLE = re.compile(
    r"(?:related(?:\s+(?:posts?|articles?|reading|stories|content|links))?|more\s+from\b.{0,60}"
    r"|you\s+(?:may|might)\s+also\s+(?:like|enjoy)|share(?:\s+(?:this|on)\b.{0,40})?"
    r"|about\s+the\s+authors?|comments?|leave\s+a\s+(?:reply|comment)|tags?|categories"
    r"|navigation|menu|subscribe\b.{0,60}|newsletter|footer|(?:popular|recent)\s+posts"
    r"|read\s+next|keep\s+reading|disclaimer|(?:medical\s+)?disclaimer)\s*:?",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"(?:by\s+(?:[A-Z][\w.'’-]*\s*){1,4}(?:,|\||·|$|\band\b)"
    r"|(?:written|posted|reviewed|medically\s+reviewed|edited|fact[- ]checked)\s+by\b"
    r"|posted\s+(?:in|on)\b|filed\s+under\b|tags?\s*:|categories\s*:|share\s+this\b)",
    re.IGNORECASE,
)
_FOOTER_MARK = re.compile(
    r"©|\bcopyright\b|all\s+rights\s+reserved|\bappeared\s+first\s+on\b", re.IGNORECASE
)
_NAV_SEPARATORS = re.compile(r"\s[|·•]\s")
_MD_LINK_TEXT = re.compile(r"!?\[([^\[\]]*)\]\([^()]*\)")
_MD_EMPHASIS = re.compile(r"(?<!\w)[*_]{1,3}|[*_]{1,3}(?!\w)|`+")
_MD_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|])")
_HEADING_MARKS = re.compile(r"^[ ]{0,3}#{1,6}[ \t]*|[ \t]+#+[ \t]*$")


def _plain_markdown(text: str) -> str:
    """Markdown inline text as the reader sees it: link texts, no emphasis, no escapes."""
    # Each substitution only where its character occurs: most paragraphs need one or none.
    if "[" in text:
        text = _MD_LINK_TEXT.sub(r"\1", text)
    if "*" in text or "_" in text or "`" in text:
        text = _MD_EMPHASIS.sub("", text)
    return _MD_ESCAPED.sub(r"\1", text) if "\\" in text else text


def _heading_title(markdown: str, offset: int) -> str:
    end = markdown.find("\n", offset)
    line = markdown[offset : len(markdown) if end < 0 else end]
    return " ".join(_plain_markdown(_HEADING_MARKS.sub("", line)).split()).strip(" :")


def _paragraph_kind(flat: str) -> str:
    """ "boilerplate" for a byline, navigation row or footer line; else "text"."""
    if len(flat) <= 160 and _BYLINE.match(flat):
        return "boilerplate"
    if len(flat) <= 300 and _FOOTER_MARK.search(flat):
        return "boilerplate"
    if len(flat) <= 200 and len(_NAV_SEPARATORS.findall(flat)) >= 2 and flat[-1:] not in ".!?":
        return "boilerplate"
    return "text"


def _run_kinds(markdown: str, layout: Layout) -> list[str]:
    """For each paragraph run: "text", "references" or "boilerplate" (not the article's own
    prose: bylines, navigation, footers, "Related posts" sections)."""
    kinds: list[str] = []
    current = "text"
    section = 0
    for start, end in layout.runs:
        while section < len(layout.sections) and layout.sections[section] <= start:
            title = _heading_title(markdown, layout.sections[section])
            current = (
                "references"
                if _REFERENCE_TITLE.fullmatch(title)
                else "boilerplate"
                if _BOILERPLATE_TITLE.fullmatch(title)
                else "text"
            )
            section += 1
        raw = markdown[start:end]
        if raw.lstrip(" >").startswith("|"):
            kinds.append(current)  # a table: its pipes are not a navigation row
            continue
        if len(raw) > 2000:
            # Every test below is for short lines; a long paragraph is prose.
            kinds.append(current)
            continue
        flat = " ".join(_plain_markdown(raw).split())
        title = flat.strip(" :")
        if len(title) <= 60 and _REFERENCE_TITLE.fullmatch(title):
            current = "references"  # a bold line standing in for a heading
            kinds.append("boilerplate")
            continue
        if len(title) <= 60 and _BOILERPLATE_TITLE.fullmatch(title):
            current = "boilerplate"
            kinds.append("boilerplate")
            continue
        kinds.append(current if current != "text" else _paragraph_kind(flat))
    return kinds


def _text_layout(markdown: str, layout: Layout) -> Layout:
    """The layout with only the article's own paragraphs left to mark."""
    kinds = _run_kinds(markdown, layout)
    runs = [run for run, kind in zip(layout.runs, kinds, strict=True) if kind == "text"]
    return replace(layout, runs=runs)


def mark_terms(
    markdown: str,
    glossary: Glossary,
    article_abbreviations: list[Abbreviation],
    every: bool = False,
) -> str:
    """Markdown with term occurrences as `[text](ketaread://term/<key>)` links.

    Only the first occurrence of each term per section (sections start at headings; an
    everyday word marked `common` only once per article) unless `every`. Never inside links
    (text or URL), images, autolinks, bare URLs, inline code, fenced or indented code, raw
    HTML, or headings (a heading is a title, not prose; links there would clutter it), nor
    in what is not the article's own text: reference lists, bylines, navigation rows,
    footers and "Related posts" sections. Every other byte stays as it was.
    """
    layout = _text_layout(markdown, markdown_layout(markdown))
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
            if not every:
                term = glossary._by_key.get(hit.key)
                section = (
                    -1 if term is not None and term.common else bisect_right(layout.sections, start)
                )
                if (section, hit.key) in marked:
                    continue
                marked.add((section, hit.key))
            parts.append(markdown[done:start])
            parts.append(f"[{markdown[start:end]}]({term_link(hit.key)})")
            done = end
    parts.append(markdown[done:])
    return "".join(parts)


def article_terms(
    markdown: str, glossary: Glossary, article_abbreviations: list[Abbreviation]
) -> list[TermHit]:
    """The terms an article's Markdown uses, for the popup: each with the sentences that use
    it and its chosen sense; terms met only in the reference list come last, flagged
    `in_references_only`. Bylines, navigation, footers and "Related posts" do not count.
    """
    layout = markdown_layout(markdown)
    kinds = _run_kinds(markdown, layout)
    article = glossary._article_terms(article_abbreviations)
    found: dict[str, _Found] = {}
    in_references: dict[str, _Found] = {}
    pieces: list[str] = []
    for (start, end), kind in zip(layout.runs, kinds, strict=True):
        if kind == "boilerplate":
            continue
        plain = _plain_markdown(markdown[start:end])
        pieces.append(plain)
        target = found if kind == "text" else in_references
        for hit_start, hit_end, hit in _scan(plain, glossary, article):
            _note(target, hit, plain, hit_start, hit_end)
    for offset in layout.sections:  # headings count as text, except the boilerplate ones
        title = _heading_title(markdown, offset)
        if _REFERENCE_TITLE.fullmatch(title) or _BOILERPLATE_TITLE.fullmatch(title):
            continue
        for hit_start, hit_end, hit in _scan(title, glossary, article):
            _note(found, hit, title, hit_start, hit_end)
    everything = "\n\n".join(pieces)
    hits = [_finish(glossary, f, everything) for f in found.values()]
    hits += [
        _finish(glossary, f, everything, references_only=True)
        for key, f in in_references.items()
        if key not in found
    ]
    return hits


# -- printing ----------------------------------------------------------------------------------


DEFAULT_SAFETY_TEXT = (
    "Thinking about suicide or self-harm, or worried about someone? Contact local emergency "
    "services or a crisis line now. findahelpline.com lists free crisis lines by country."
)
"""The crisis line shown with suicide-related terms when config.toml sets none."""

CERTAINTY_LABELS = {
    "established": "established: consistent evidence in people",
    "likely": "likely: good but incomplete evidence",
    "hypothesis": "hypothesis: mostly animal or early human evidence",
    "debated": "debated: studies disagree",
}
"""How the popup and `ketaread define` explain each certainty."""


def format_definition(term: Term, safety_text: str = DEFAULT_SAFETY_TEXT) -> str:
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
    if term.safety:
        # Apart from the definition, before it: crisis information is never mixed in.
        lines.append("")
        lines += wrapped("! " + safety_text)
    lines.append("")
    lines += textwrap.wrap(term.definition, width=78) or [""]
    for sense in term.senses:
        lines.append("")
        lines += wrapped(f"{sense.label}: {sense.definition}")
    lines.append("")
    if term.certainty:
        lines += wrapped("Certainty: " + CERTAINTY_LABELS[term.certainty])
    if term.related:
        lines += wrapped("Related: " + ", ".join(term.related))
    if len(term.sources) == 1:
        lines += wrapped("Source: " + term.sources[0])
    elif term.sources:
        lines.append("Sources:")
        for source in term.sources:
            lines += textwrap.wrap(source, width=78, initial_indent="- ", subsequent_indent="    ")
    origin = {"curated": "ketaread's glossary", "user": "your glossary file"}.get(
        term.origin, term.origin
    )
    lines.append("From: " + origin)
    return "\n".join(lines) + "\n"
