"""Inline citations, the sentences around them, ranking, and `analyse`."""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

from ketaread.core.references.blocks import Block, BlockParser
from ketaread.core.references.domains import (
    ALIAS_INDEX,
    CONNECTORS,
    GENERIC_NAME_WORDS,
    KNOWN_SOURCE_NAMES,
    PUBLISHER_WORDS,
    WHITESPACE,
    acronym_of,
    domain_source,
    looks_like_name,
    norm_name,
    word_set,
)
from ketaread.core.references.labels import STUDY_YEAR, is_journal_name, reference_label
from ketaread.core.references.lists import ABBREVIATIONS, extract_references, resolve
from ketaread.core.references.model import Citation, Link, Reference, ReferenceAnalysis

_PAREN = re.compile(r"\(([^()]{1,300})\)")
_BRACKET = re.compile(r"\[(\d{1,3}(?:\s*[,–—-]\s*\d{1,3})*)\]")
_YEAR_TAIL = re.compile(
    r"(?:,\s*|\s+)(?:(?P<year>(?:19|20)\d{2}[a-z]?)|n\.d\.)(?:\s*,\s*p+\.\s*\d+(?:[–\-]\d+)?)?$"
)
# The parenthesis of a narrative citation: "Zarate et al. (2006)", "Smith (2019, p. 14)".
_NARRATIVE_YEAR = re.compile(
    r"\s*(?P<year>(?:19|20)\d{2}[a-z]?)(?:\s*,\s*p+\.\s*\d+(?:[–\-]\d+)?)?\s*"
)
# The capitalised words before it, with connectors, and an author tail ("et al.", "and
# colleagues", "and Jones").
_NARRATIVE_NAME = re.compile(
    r"(?P<name>(?:[A-Z][\w'’\-]*\.?\s+(?:(?:of|and|for|the|on|in|&|de|van|von|der|la)\s+)*)"
    r"{0,7}[A-Z][\w'’\-]*)(?P<tail>\s+et\s+al\.?|\s+and\s+(?:colleagues|co-?workers|others)|"
    r"\s+(?:and|&)\s+[A-Z][\w'’\-]+)?\s*$"
)
# Author forms inside a citation: "Okafor & Lindqvist", "Smith and Jones", "Li, Lee and Duman".
_AUTHOR_FORM = re.compile(
    r"(?P<first>[A-Z][\w'’\-]+)(?:\s*,\s*[A-Z][\w'’\-]+)*(?:,?\s+(?:&|and)\s+"
    r"(?:[A-Z][\w'’\-]+|colleagues|co-?workers|others))?"
)
# Numbers in parentheses, Vancouver style: "(1)", "(2, 3)", "(8–10)".
_NUMERIC_PAREN = re.compile(r"\s*\d{1,3}(?:\s*[,–—\-]\s*\d{1,3})*\s*")
_ET_AL = re.compile(r"\s+et\s+al\.?,?$", re.IGNORECASE)
_ASIDE_START = re.compile(
    r"(?:e\.g|i\.e|see|cf|for example|for instance|also|compare)\b", re.IGNORECASE
)
_ACRONYM = re.compile(r"[A-Z][A-Za-z0-9&\-]{0,9}")
WORD_BEFORE = re.compile(r"([A-Za-z][\w\-]*)\s*$")


def _split_numbers(marker: str) -> list[int]:
    """'2, 3' -> [2, 3]; '1–3' -> [1, 2, 3] (ranges capped at 50 numbers)."""
    numbers: list[int] = []
    for piece in re.split(r"\s*,\s*", marker.strip("[] ")):
        bounds = re.split(r"\s*[–—-]\s*", piece)
        try:
            if len(bounds) == 2:
                lo, hi = int(bounds[0]), int(bounds[1])
                if lo <= hi <= lo + 50:
                    numbers.extend(range(lo, hi + 1))
                    continue
            numbers.extend(int(b) for b in bounds if b)
        except ValueError:
            continue
    return numbers


def _run_together(mark: str, original: str, ref_numbers: set[int]) -> list[int]:
    """ "²³" written for references 2 and 3 when the list has no 23rd: its digits, if each
    is a reference and they ascend; else []."""
    if original == mark or not mark.isdigit() or len(mark) < 2 or int(mark) in ref_numbers:
        return []
    digits = [int(d) for d in mark]
    ascending = all(a < b for a, b in pairwise(digits))
    return digits if ascending and all(d in ref_numbers for d in digits) else []


def _initials(words: list[str], skip_connectors: bool) -> str:
    """First letters of words and of their hyphenated parts."""
    letters = []
    for word in words:
        for part in word.split("-"):
            if not part or (skip_connectors and part.lower() in CONNECTORS):
                continue
            if part[0].isalpha():
                letters.append(part[0].lower())
    return "".join(letters)


def _is_definition(name: str, before: str) -> bool:
    """Whether '(name)' defines or expands the word(s) just before it.

    'National Institutes of Health (NIH)', 'BDNF (brain-derived neurotrophic factor)'.
    """
    words_before = re.findall(r"[A-Za-z][\w\-’']*", before[-120:])
    if not words_before:
        return False
    compact = re.sub(r"[^A-Za-z]", "", name).lower()
    if _ACRONYM.fullmatch(name) and sum(ch.isupper() for ch in name) >= 2 and len(compact) >= 2:
        for k in range(1, min(len(words_before), len(compact) + 3) + 1):
            tail = words_before[-k:]
            for skip in (True, False):
                if _initials(tail, skip) == compact:
                    return True
    last = words_before[-1]
    if sum(ch.isupper() for ch in last) >= 2 and len(last) <= 10:
        acronym = re.sub(r"[^A-Za-z]", "", last).lower()
        words = name.split()
        for skip in (True, False):
            if len(acronym) >= 2 and _initials(words, skip) == acronym:
                return True
    return False


def _looks_like_institution(name: str) -> bool:
    """Capitalised words naming a publisher or institution, or a well-known source."""
    norm = norm_name(name)
    if norm in KNOWN_SOURCE_NAMES and (len(norm) > 3 or norm in ("bbc", "stat", "npr")):
        return True
    if not looks_like_name(name):
        return False
    return any(w in PUBLISHER_WORDS for w in norm.split())


@dataclass(slots=True)
class _Matcher:
    """Name -> reference numbers, built once per article."""

    exact: dict[str, list[int]]
    names: list[tuple[frozenset[str], int]]
    years: dict[int, str] = field(default_factory=dict)
    venues: list[tuple[tuple[str, ...], int]] = field(default_factory=list)
    """Significant words of each reference's venue, for abbreviated journal names."""

    @classmethod
    def build(cls, references: list[Reference]) -> _Matcher:
        """Index every alias of every reference."""
        exact: dict[str, list[int]] = {}
        names: list[tuple[frozenset[str], int]] = []
        years: dict[int, str] = {}
        venues: list[tuple[tuple[str, ...], int]] = []
        for ref in references:
            if ref.year:
                years[ref.number] = ref.year
            aliases: set[str] = set()
            if ref.venue:
                aliases.add(norm_name(ref.venue))
                aliases |= ALIAS_INDEX.get(norm_name(ref.venue), frozenset())
                words = tuple(w for w in norm_name(ref.venue).split() if w not in CONNECTORS)
                if words:
                    venues.append((words, ref.number))
            if ref.author:
                aliases.add(norm_name(ref.author))
            for name in (ref.source, domain_source(ref.urls)):
                norm = norm_name(name)
                if not norm:
                    continue
                aliases.add(norm)
                aliases |= ALIAS_INDEX.get(norm, frozenset())
                if acronym := acronym_of(name):
                    aliases.add(acronym)
            m = re.match(r"([A-Z][\w'’\-]+),", ref.text) or re.match(
                r"([A-Z][\w'’\-]+),", ref.source + ","
            )
            if m:
                aliases.add(norm_name(m.group(1)))
            for alias in aliases:
                numbers = exact.setdefault(alias, [])
                if ref.number not in numbers:
                    numbers.append(ref.number)
                tokens = frozenset(alias.split()) - CONNECTORS
                if tokens:
                    names.append((tokens, ref.number))
        return cls(exact, names, years, venues)

    def match(self, name: str, partial: bool = True) -> list[int]:
        """Reference numbers whose source is this name, else that share a distinctive word."""
        norm = norm_name(name)
        if not norm:
            return []
        if norm in self.exact:
            return list(self.exact[norm])
        if not partial:
            return []
        tokens = frozenset(norm.split()) - CONNECTORS
        found: list[int] = []
        for alias_tokens, number in self.names:
            shared = tokens & alias_tokens
            if (
                shared - GENERIC_NAME_WORDS
                and (alias_tokens <= tokens or tokens <= alias_tokens)
                and number not in found
            ):
                found.append(number)
        if not found:
            words = tuple(w for w in norm.split() if w not in CONNECTORS)
            for venue, number in self.venues:
                if number not in found and (
                    _abbreviates(words, venue) or _abbreviates(venue, words)
                ):
                    found.append(number)
        return found

    def match_author_form(self, name: str, partial: bool = True) -> list[int]:
        """Like `match`, and for 'A & B', 'A and colleagues', 'A, B and C' by the first name."""
        found = self.match(name, partial)
        if not found and (form := _AUTHOR_FORM.fullmatch(name)) and form.group("first") != name:
            found = self.match(form.group("first"), partial)
        return found

    def by_year(self, candidates: list[int], year: str) -> list[int]:
        """The candidates of that year ('2020' also takes 2020a/b); else those of no known
        year; else none, since every candidate is a different work."""
        if not year or not candidates:
            return candidates
        same = [n for n in candidates if self.years.get(n, "").startswith(year)]
        if same:
            return same
        return [n for n in candidates if n not in self.years]


def _abbreviates(short: tuple[str, ...], full: tuple[str, ...]) -> bool:
    """Whether each word of `short` begins the matching word of `full` ('n engl j med' for
    'new england journal medicine'), with at least one word actually shortened."""
    if len(short) != len(full) or len(short) < 2 or short == full:
        return False
    return all(f.startswith(w) for w, f in zip(short, full, strict=True))


def _classify_part(part: str, before: str, matcher: _Matcher) -> tuple[bool, list[int]]:
    """Whether a parenthetical part is a citation, and its candidate references."""
    name = part.strip()
    had_year = False
    year = ""
    m = _YEAR_TAIL.search(name)
    if m:
        name = name[: m.start()].strip()
        had_year = True
        year = m.group("year") or ""
    et_al = _ET_AL.search(name)
    if et_al:
        name = name[: et_al.start()].strip()
    name = name.strip(" ,")
    if not name or not any(ch.isalpha() for ch in name) or not name[0].isupper():
        return False, []
    if _ASIDE_START.match(name):
        return False, []
    if _is_definition(name, before):
        return False, []
    candidates = matcher.match_author_form(name) if had_year or et_al else matcher.match(name)
    if candidates:
        return True, matcher.by_year(candidates, year)
    if _looks_like_institution(name):
        return True, []
    if (et_al or had_year) and re.fullmatch(
        r"[A-Z][\w'’\-]+(?:\s+(?:&|and)\s+[A-Z][\w'’\-]+)?", name
    ):
        return True, []
    return False, []


# ---------------------------------------------------------------------------------------
# Sentences and ranking
# ---------------------------------------------------------------------------------------

_WORD_AT_END = re.compile(r"([\w.]+)[.!?]$")
_SENTENCE_BREAK = re.compile(r"[.!?][\"”’')\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")
_TOKEN = re.compile(r"[a-z][a-z0-9]+|\d{2,}")
_COMPOUND_PREFIX = re.compile(r"neuro|psycho")
_STOPWORDS = word_set(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers him his how i if in into is
    it its itself just may me might more most much must my no nor not now of off on once
    only or other our out over own same she should so some such than that the their them
    then there these they this those through to too under until up very was we were what
    when where which while who whom why will with within would you your yet one two many
    often shown show shows showed suggest suggests suggested research researchers study
    studies evidence found finding findings according published report reports reported
    people patient patients"""
)


@lru_cache(maxsize=16384)
def _stem(word: str) -> str:
    """A light suffix stripper: enough to match plurals, -ing/-ed/-ion/-ity variants."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "xes", "ches", "shes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in (
        "ational",
        "ation",
        "ition",
        "ments",
        "ment",
        "ness",
        "ity",
        "ive",
        "ing",
        "ion",
        "ate",
        "ed",
        "ly",
        "al",
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def _stems(text: str) -> set[str]:
    """Stemmed content words of a text; 'neuroplasticity' also counts as 'plasticity'."""
    stems = set()
    for token in _TOKEN.findall(text.lower()):
        if token in _STOPWORDS:
            continue
        stems.add(_stem(token))
        prefix = _COMPOUND_PREFIX.match(token)
        if prefix and len(token) - prefix.end() >= 5:
            stems.add(_stem(token[prefix.end() :]))
    return stems


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a block's text."""
    spans = []
    start = 0
    for m in _SENTENCE_BREAK.finditer(text):
        word = _WORD_AT_END.search(text, max(0, m.start() - 30), m.start() + 1)
        token = word.group(1).replace(".", "").lower() if word else ""
        if text[m.start()] == "." and token and (len(token) == 1 or token in ABBREVIATIONS):
            continue
        end = m.start() + len(m.group(0).rstrip())
        spans.append((start, end))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans or [(0, len(text))]


@dataclass(slots=True)
class _Found:
    """A citation found in a block, before ranking."""

    block: int
    start: int
    end: int
    marker: str
    candidates: list[int]
    numeric: bool
    sentence: int = 0
    narrative: bool = False


# An enumeration, not a citation: "(1)" after a colon, a comma or "and", before a word.
_ENUMERATION_BEFORE = re.compile(r"(?:^|[:;,(]|\b(?:and|or|then))\s*$")
# Arithmetic around the parenthesis: "x = (2)", "(3) - (1)".
_MATHS_AROUND = re.compile(r"[=+\-−×*/<>^]\s*\(\)|\(\)\s*[=+\-−×*/<>^]")
# A number that names a part of something: "step (2)", "Table (3)", "group (1)".
_PART_BEFORE = re.compile(
    r"\b(?:steps?|stages?|phases?|parts?|items?|points?|options?|types?|grades?|levels?|"
    r"class(?:es)?|groups?|arms?|figures?|fig|tables?|equations?|eq|sections?|chapters?|"
    r"questions?|rows?|columns?|lines?|no|number|version|visit|day|week|dose)\.?\s*$",
    re.IGNORECASE,
)


def _numeric_paren(text: str, m: re.Match[str], ref_numbers: set[int], bi: int) -> _Found | None:
    """A Vancouver citation in parentheses, "(2, 3)", when every number is a reference."""
    numbers = _split_numbers(m.group(1))
    if not numbers or not all(n in ref_numbers for n in numbers):
        return None
    after = text[m.end() : m.end() + 2].lstrip()
    before = text[max(0, m.start() - 20) : m.start()]
    if _PART_BEFORE.search(before) or _MATHS_AROUND.search(before + "()" + after):
        return None
    if after[:1].isalpha() and _ENUMERATION_BEFORE.search(before):
        return None
    inner = m.group(1)
    start = m.start(1) + len(inner) - len(inner.lstrip())
    marker = WHITESPACE.sub(" ", inner.strip())
    return _Found(bi, start, start + len(inner.strip()), marker, numbers, True)


def _narrative(text: str, m: re.Match[str], year: str, matcher: _Matcher, bi: int) -> _Found | None:
    """A narrative citation: a name or author form right before "(Year)"."""
    window_start = max(0, m.start() - 160)
    named = _NARRATIVE_NAME.search(text, window_start, m.start())
    if named is None:
        return None
    tail = named.group("tail") or ""
    words = list(re.finditer(r"\S+", named.group("name")))
    base = named.start("name")
    # Longest name first, an exact name before a partial one: "As Harlow (2021)" is Harlow's,
    # "The Lancet (2019)" may be The Lancet Psychiatry's.
    for partial in (False, True):
        for word in words:
            if word.group(0).lower() in CONNECTORS or not word.group(0)[0].isupper():
                continue
            start = base + word.start()
            name = text[start : named.end("name")] + tail
            name = WHITESPACE.sub(" ", name).strip()
            candidates = matcher.match_author_form(_ET_AL.sub("", name).strip(), partial)
            if candidates:
                marker = WHITESPACE.sub(" ", text[start : m.end()])
                candidates = matcher.by_year(candidates, year)
                return _Found(bi, start, m.end(), marker, candidates, False, narrative=True)
    if re.search(r"et\s+al|colleagues|co-?workers|others", tail):
        start = base + words[-1].start()
        marker = WHITESPACE.sub(" ", text[start : m.end()])
        return _Found(bi, start, m.end(), marker, [], False, narrative=True)
    return None


def _block_citations(
    block: Block, matcher: _Matcher, ref_numbers: set[int], bi: int, numbered: bool = True
) -> tuple[str, list[_Found]]:
    """The block's text (rejected markers put back) and the citations in it."""
    accepted: list[tuple[int, str, list[int]]] = []
    text = block.text
    code = list(block.code)
    linked = [(s, e) for s, e, _h in block.links]
    if block.markers:
        pieces = []
        prev = 0
        shift = 0
        for pos, mark, href, original in block.markers:
            numbers = _split_numbers(mark)
            numbers = _run_together(mark, original, ref_numbers) or numbers
            pieces.append(block.text[prev:pos])
            prev = pos
            at = pos + shift
            if numbers and (all(n in ref_numbers for n in numbers) or href.startswith("#")):
                accepted.append((at, mark, numbers))
            else:
                # Not a citation after all (a power, a stray number): put its text back.
                pieces.append(original)
                size = len(original)
                code = [(a + size if a >= at else a, b + size if b > at else b) for a, b in code]
                linked = [
                    (a + size if a >= at else a, b + size if b > at else b) for a, b in linked
                ]
                shift += size
        pieces.append(block.text[prev:])
        text = "".join(pieces)

    def in_code(start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in code)

    def in_link_text(start: int, end: int) -> bool:
        # Link texts are left alone, as link_citations cannot link inside them.
        return any(s <= start and end <= e for s, e in linked)

    found: list[_Found] = []
    for m in _PAREN.finditer(text):
        if in_code(m.start(), m.end()) or in_link_text(m.start(), m.end()):
            continue
        if _NUMERIC_PAREN.fullmatch(m.group(1)):
            if numbered and (cite := _numeric_paren(text, m, ref_numbers, bi)):
                found.append(cite)
            continue
        if year := _NARRATIVE_YEAR.fullmatch(m.group(1)):
            if cite := _narrative(text, m, year.group("year"), matcher, bi):
                found.append(cite)
            continue
        inner_start = m.start(1)
        offset = 0
        for part in m.group(1).split(";"):
            p_start = inner_start + offset + (len(part) - len(part.lstrip()))
            offset += len(part) + 1
            stripped = part.strip()
            if not stripped:
                continue
            is_cite, candidates = _classify_part(
                stripped, text[max(0, m.start() - 120) : m.start()], matcher
            )
            if is_cite:
                found.append(
                    _Found(
                        bi,
                        p_start,
                        p_start + len(stripped),
                        WHITESPACE.sub(" ", stripped),
                        candidates,
                        False,
                    )
                )
    for m in _BRACKET.finditer(text):
        if in_code(m.start(), m.end()):
            continue
        numbers = _split_numbers(m.group(1))
        glued = m.start() > 0 and text[m.start() - 1].isalnum()
        if glued and not (numbers and all(n in ref_numbers for n in numbers)):
            continue
        found.append(
            _Found(
                bi,
                m.start(),
                m.end(),
                WHITESPACE.sub(" ", m.group(1)),
                [n for n in numbers if n in ref_numbers],
                True,
            )
        )
    for pos, mark, numbers in accepted:
        if in_code(pos, pos):
            continue
        found.append(
            _Found(bi, pos, pos, mark.strip("[] "), [n for n in numbers if n in ref_numbers], True)
        )
    found.sort(key=lambda f: (f.start, f.end))
    return text, found


def _rank(
    found: list[_Found],
    sentences: list[list[str]],
    sentence_of: list[int],
    references: list[Reference],
) -> list[list[int]]:
    """Order each name citation's candidates by description/sentence similarity."""
    ref_stems = {r.number: _stems(r.text) for r in references}
    df: dict[str, int] = {}
    for stems in ref_stems.values():
        for s in stems:
            df[s] = df.get(s, 0) + 1
    n_refs = max(len(references), 1)
    idf = {s: math.log(1 + n_refs / d) for s, d in df.items()}
    ref_norm = {n: math.sqrt(sum(idf[s] for s in stems)) or 1.0 for n, stems in ref_stems.items()}
    stem_cache: dict[tuple[int, int], set[str]] = {}

    def sentence_stems(block: int, idx: int) -> set[str]:
        key = (block, idx)
        if key not in stem_cache:
            stem_cache[key] = _stems(sentences[block][idx])
        return stem_cache[key]

    def score(number: int, stems: set[str]) -> float:
        own = ref_stems.get(number, set())
        return sum(idf[s] for s in stems & own) / ref_norm.get(number, 1.0)

    # A neighbouring sentence with a citation of its own supports that citation, not this one.
    cited = set(zip((f.block for f in found), sentence_of, strict=True))
    used: set[int] = set()
    ranked: list[list[int]] = []
    for f, sidx in zip(found, sentence_of, strict=True):
        candidates = f.candidates
        if f.numeric or len(candidates) <= 1:
            ranked.append(list(candidates))
            if candidates:
                used.add(candidates[0])
            continue
        here = sentence_stems(f.block, sidx)
        prev = (
            sentence_stems(f.block, sidx - 1)
            if sidx > 0 and (f.block, sidx - 1) not in cited
            else set()
        )
        nxt = (
            sentence_stems(f.block, sidx + 1)
            if sidx + 1 < len(sentences[f.block]) and (f.block, sidx + 1) not in cited
            else set()
        )
        scored = []
        for number in candidates:
            total = score(number, here) + 0.3 * score(number, prev) + 0.15 * score(number, nxt)
            scored.append((-round(total, 9), number in used, number))
        scored.sort()
        order = [number for _s, _u, number in scored]
        used.add(order[0])
        ranked.append(order)
    return ranked


_STUDY_KINDS = frozenset({"journal", "trial", "review", "animal", "observational"})


def _years_from_citing_sentences(references: list[Reference], citations: list[Citation]) -> None:
    """Give a study that states no year the one year its citing sentences give it
    ("In a 2006 trial … (Archives of General Psychiatry)"); none when they disagree."""
    years: dict[int, set[str]] = {}
    for citation in citations:
        if citation.references:
            found = {
                m.group("a") or m.group("b") or m.group("c")
                for m in STUDY_YEAR.finditer(citation.sentence)
            }
            years.setdefault(citation.references[0], set()).update(found)
    for ref in references:
        said = years.get(ref.number, set())
        if ref.year or len(said) != 1:
            continue
        scholarly = (
            any(ref.ids.get(k) for k in ("doi", "pmid", "pmcid"))
            or ref.kind in _STUDY_KINDS
            or is_journal_name(ref.venue or ref.source)
        )
        if scholarly:
            ref.year = next(iter(said))
            ref.label = reference_label(ref)


MAX_REFERENCES = 300
"""References kept per article; real reference lists are far shorter."""
MAX_SENTENCE = 1_000
"""Characters of a citing sentence kept; a real sentence is far shorter."""
MAX_CITATIONS = 2_000
"""Inline citations linked per article; a hostile body may repeat one millions of times."""


def analyse(html: str, base_url: str = "") -> ReferenceAnalysis:
    """Find the references, inline citations and links of a sanitised HTML article body."""
    parser = BlockParser()
    parser.feed(html or "")
    parser.close()
    blocks = parser.blocks

    references, excluded, numbered = extract_references(blocks, base_url)
    # Bounds for hostile bodies: ranking costs citations × same-source references.
    references = references[:MAX_REFERENCES]
    matcher = _Matcher.build(references)
    ref_numbers = {r.number for r in references}

    found: list[_Found] = []
    sentences: list[list[str]] = [[] for _ in blocks]
    sentence_of: list[int] = []
    sentence_text: list[str] = []
    for bi, block in enumerate(blocks):
        if bi in excluded or block.kind == "hr":
            continue
        text, in_block = _block_citations(block, matcher, ref_numbers, bi, numbered)
        if not in_block:
            continue
        spans = _sentence_spans(text)
        starts = [s for s, _e in spans]
        sentences[bi] = [WHITESPACE.sub(" ", text[s:e]).strip() for s, e in spans]
        for f in in_block[: max(MAX_CITATIONS - len(found), 0)]:
            idx = max(bisect_right(starts, f.start) - 1, 0)
            # A citation opening a sentence ("... connections. (NIH) Next") closes the
            # previous one.
            if idx > 0 and not f.narrative and not text[spans[idx][0] : f.start].strip(' (["“'):
                idx -= 1
                combined = WHITESPACE.sub(" ", text[spans[idx][0] : f.end + 1]).strip()
                sentence_text.append(combined)
            elif spans[idx][1] - spans[idx][0] > MAX_SENTENCE:
                # A "sentence" without breaks (a hostile or broken body): the words that
                # lead up to the citation.
                lo = max(spans[idx][0], f.end - MAX_SENTENCE)
                sentence_text.append(WHITESPACE.sub(" ", text[lo : f.end]).strip())
            else:
                sentence_text.append(sentences[bi][idx])
            sentence_of.append(idx)
            found.append(f)

    ranked = _rank(found, sentences, sentence_of, references)
    citations = [
        Citation(index=i, marker=f.marker, sentence=sentence_text[i], references=ranked[i])
        for i, f in enumerate(found)
    ]
    _years_from_citing_sentences(references, citations)

    links: list[Link] = []
    seen: set[str] = set()
    for href, text in parser.anchors:
        if href.startswith("#"):
            continue
        url = resolve(href, base_url)
        if url in seen:
            continue
        seen.add(url)
        links.append(Link(WHITESPACE.sub(" ", text).strip() or url, url))
    return ReferenceAnalysis(references, citations, links)
