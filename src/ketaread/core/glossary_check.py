"""Review tooling for glossary files: `ketaread glossary check` and `ketaread glossary export`.

The loader (`ketaread.core.glossary`) refuses what it cannot use; this module holds entries to
the curated standard on top: every entry sourced, sources in a known form, definitions short
and free of advice, tentative mechanism claims labelled with a certainty, related names that
resolve, and no spelling matched by two entries.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from importlib.resources import files

from ketaread.core.glossary import (
    Glossary,
    GlossaryError,
    Term,
    _fold,
    _parse_terms,
    _surface_forms,
)

__all__ = [
    "MAX_DEFINITION",
    "SOURCE_KINDS",
    "CheckReport",
    "check_glossary_data",
    "curated_data",
    "export_terms",
    "gives_advice",
]

MAX_DEFINITION = 300
"""Characters in a definition or a sense's definition."""

SOURCE_KINDS = (
    "MeSH",
    "StatPearls",
    "NCBI Bookshelf",
    "Label",
    "Regulator",
    "Guideline",
    "Paper",
    "Book",
    "Page",
)
"""What a source may be, as the "KIND:" that starts it ("MeSH 2025:" for a scope note)."""

_SOURCE = re.compile(
    r"(?P<kind>[A-Za-z][A-Za-z ]*?)(?:\s+(?P<year>(?:19|20)\d\d))?:\s+(?P<cite>\S.*)"
)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_PMID = re.compile(r"\bPMID:?\s*(\S+)")
_DOI = re.compile(r"\bdoi:?\s*(\S+)", re.IGNORECASE)

# Definitions explain; they never tell the reader what to do. Crisis information has its own
# line in the popup (the `safety` flag), apart from any claim about a treatment.
_ADVICE = re.compile(
    r"\b(?:you|your|yourself)\b|\b(?:should|must)\b|\b(?:contact|consult|seek)\b"
    r"|\b(?:call|ask|talk to|speak to)\s+(?:a|an|your|the|someone|911|999|112)\b"
    r"|\b(?:do not|don't|never)\s+(?:take|stop|use|drive|drink|mix)\b|\bstop taking\b",
    re.IGNORECASE,
)
# Words that mark a mechanism claim as less than settled: such an entry needs a certainty.
_TENTATIVE = re.compile(
    r"\b(?:thought to|is thought|are thought|hypothes\w*|theory|debated|contested|unclear"
    r"|in (?:rodents|mice|animal studies)|mouse studies|animal studies|rodent)\b",
    re.IGNORECASE,
)


def gives_advice(text: str) -> bool:
    """True when a definition addresses the reader or tells them what to do."""
    return _ADVICE.search(text) is not None


def curated_data() -> bytes:
    """The shipped glossary file's bytes."""
    return files("ketaread.data").joinpath("glossary.toml").read_bytes()


@dataclass(slots=True)
class CheckReport:
    """What `check_glossary_data` found: the entries it could read and every problem."""

    label: str
    terms: list[Term]
    problems: list[str]

    @property
    def ok(self) -> bool:
        """No problems."""
        return not self.problems


def _source_problem(source: str) -> str | None:
    match = _SOURCE.fullmatch(source)
    if match is None:
        return (
            f"source {source[:60]!r} does not start with KIND: (one of {', '.join(SOURCE_KINDS)})"
        )
    kind = match.group("kind")
    if kind not in SOURCE_KINDS:
        return f"source kind {kind!r} is not one of {', '.join(SOURCE_KINDS)}"
    if kind == "MeSH" and not match.group("year"):
        return f'MeSH source {source[:60]!r} needs its year ("MeSH 2025: Heading")'
    if kind in ("Paper", "Guideline", "Book") and not _YEAR.search(match.group("cite")):
        return f"{kind} source {source[:60]!r} needs a year"
    pmid = _PMID.search(source)
    if pmid and not pmid.group(1).rstrip(".,;)").isdigit():
        return f"source {source[:60]!r} has a PMID that is not a number"
    doi = _DOI.search(source)
    if doi and not doi.group(1).startswith("10."):
        return f"source {source[:60]!r} has a DOI that does not start with 10."
    return None


def _entry_problems(term: Term, glossary: Glossary, require_sources: bool) -> list[str]:
    problems: list[str] = []
    if require_sources and not term.sources:
        problems.append("has no source")
    for source in term.sources:
        problem = _source_problem(source)
        if problem:
            problems.append(problem)
    texts = [("definition", term.definition)]
    texts += [(f"sense {s.label!r}", s.definition) for s in term.senses]
    for what, text in texts:
        if len(text) > MAX_DEFINITION:
            problems.append(f"{what} is {len(text)} characters (at most {MAX_DEFINITION})")
        if gives_advice(text):
            problems.append(f"{what} gives advice or addresses the reader")
    if not term.certainty and any(_TENTATIVE.search(text) for _, text in texts):
        problems.append("makes a tentative mechanism claim but has no certainty")
    if term.senses:
        if len(term.senses) < 2:
            problems.append("has one sense: senses are for terms with two or more meanings")
        labels = [s.label for s in term.senses]
        if len(set(labels)) != len(labels):
            problems.append("has two senses with the same label")
        for sense in term.senses:
            if not sense.cues:
                problems.append(f"sense {sense.label!r} has no context cues")
    for name in term.related:
        other = glossary.lookup(name)
        if other is None:
            problems.append(f"related name {name!r} is not in the glossary")
        elif other.key == term.key:
            problems.append(f"related name {name!r} names the entry itself")
    own = {_fold(n) for n in term.names()}
    for phrase in term.not_in:
        words = f" {_fold(phrase)} "
        if _fold(phrase) in own or not any(f" {n} " in words for n in own):
            problems.append(f"not_in {phrase!r} must be longer than one of the entry's names")
    return problems


def check_glossary_data(
    data: bytes, label: str, *, require_sources: bool = True, base: Glossary | None = None
) -> CheckReport:
    """Every problem in a glossary file (the loader's first refusal, or the standard's list).

    `base` is the glossary a user file sits on: related names may point into it.
    """
    try:
        terms = _parse_terms(data, label, "curated" if base is None else "user")
    except GlossaryError as error:
        return CheckReport(label, [], [str(error)])
    problems: list[str] = []
    glossary = Glossary([*(base.terms if base is not None else ()), *terms])
    keys: dict[str, str] = {}
    for term in terms:
        if term.key in keys:
            problems.append(f"{label}: {term.term!r}: the same key as {keys[term.key]!r}")
        keys.setdefault(term.key, term.term)
        for problem in _entry_problems(term, glossary, require_sources):
            problems.append(f"{label}: {term.term!r}: {problem}")
    # Every spelling the matcher looks for (generated plurals too) must name one entry.
    owners: dict[str, set[str]] = {}
    for term in terms:
        for name in term.names():
            for form in _surface_forms(name):
                owners.setdefault(_fold(form), set()).add(term.term)
    for form, names in sorted(owners.items()):
        if len(names) > 1:
            problems.append(f"{label}: {form!r} is matched by {', '.join(sorted(names))}")
    return CheckReport(label, terms, problems)


EXPORT_FIELDS = (
    "term",
    "key",
    "aliases",
    "expansion",
    "definition",
    "senses",
    "certainty",
    "safety",
    "common",
    "not_in",
    "related",
    "sources",
    "origin",
)


def _row(term: Term) -> dict[str, object]:
    return {
        "term": term.term,
        "key": term.key,
        "aliases": list(term.aliases),
        "expansion": term.expansion,
        "definition": term.definition,
        "senses": [
            {"label": s.label, "definition": s.definition, "cues": list(s.cues)}
            for s in term.senses
        ],
        "certainty": term.certainty,
        "safety": term.safety,
        "common": term.common,
        "not_in": list(term.not_in),
        "related": list(term.related),
        "sources": list(term.sources),
        "origin": term.origin,
    }


def _cell(value: object) -> str:
    """A CSV cell: lists one item a line, senses as "label: definition"; no formula starts."""
    if isinstance(value, bool):
        text = "yes" if value else ""
    elif isinstance(value, list):
        items = [
            f"{v['label']}: {v['definition']}" if isinstance(v, dict) else str(v) for v in value
        ]
        text = "\n".join(items)
    else:
        text = str(value)
    # A spreadsheet runs a cell starting with = + - @ as a formula: keep it text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def export_terms(terms: list[Term], fmt: str) -> str:
    """Every entry as CSV (one row each, for a spreadsheet) or as a JSON list."""
    rows = [_row(t) for t in terms]
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    if fmt != "csv":
        raise ValueError(f"unknown export format {fmt!r}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_FIELDS)
    for row in rows:
        writer.writerow([_cell(row[field]) for field in EXPORT_FIELDS])
    return buffer.getvalue()
