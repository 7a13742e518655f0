"""MED1250 (Ab3P's gold standard) loaded and scored; shared by the test and the benchmark.

The scorer is the one the shared README's reference figures use: per record, sets of (short
form exactly, long form lower-cased with whitespace folded); the `//*` alternatives are
ignored, so a prediction matching only an alternative counts as a false positive.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

MED1250 = Path(__file__).parent / "data" / "med1250" / "MED1250_labeled"

Pair = tuple[str, str]


@dataclass
class Record:
    """One abstract: its PMID, title and abstract text, and the gold pairs."""

    pmid: str
    text: str
    gold: list[Pair] = field(default_factory=list)
    notes: dict[Pair, set[str]] = field(default_factory=dict)
    """Annotations after a gold line: "!nch", "!ord", "!num", "!syn"…"""

    @property
    def half(self) -> str:
        """ "dev" for even PMIDs, "held-out" for odd ones: the split tuning never looks past."""
        return "dev" if int(self.pmid) % 2 == 0 else "held-out"


def load(path: Path = MED1250) -> list[Record]:
    """The 1,250 records, the two PMIDs split over two records each merged."""
    records: dict[str, Record] = {}
    record: Record | None = None
    text = path.read_text(encoding="latin-1").replace("\r", "")
    for block in re.split(r"\n[^\S\n]*\n", text):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if lines[0].strip().isdigit():
            pmid = lines.pop(0).strip()
            record = records.setdefault(pmid, Record(pmid, ""))
        if record is None:
            raise ValueError(f"{path}: text before the first PMID")
        text_lines: list[str] = []
        last: Pair | None = None
        for line in lines:
            if line.startswith("  ") and "|" in line:
                fields = line.strip().split("|")
                last = (fields[0], fields[1])
                record.gold.append(last)
                marks = record.notes.setdefault(last, set())
                marks.update(f for f in fields[2:] if f.startswith("!"))
            elif line.startswith("//"):
                if last is not None and line[2:].startswith("!"):
                    record.notes[last].add(line[2:].strip())
            else:
                text_lines.append(line.strip())
        record.text = "\n".join(filter(None, [record.text, *text_lines]))
    return list(records.values())


def normal(pair: Pair) -> Pair:
    """A pair as the scorer compares it."""
    return pair[0], " ".join(pair[1].split()).lower()


# -- categories of gold pairs (the miss causes named in issue 17) ------------------------------


def categories(record: Record, pair: Pair) -> list[str]:
    """The difficulty categories a gold pair falls in; "plain" when none."""
    short, long = pair
    text = record.text
    found = []
    alnum = sum(ch.isalnum() for ch in short)
    if alnum == 1:
        found.append("one-letter short form")
    if " " in short or "(" in short:
        found.append("short form with a space or parentheses")
    capitals = sum(ch.isupper() for ch in short)
    if alnum > 1 and capitals <= 1 and not any(ch.isdigit() for ch in short):
        found.append("lower-case or capitalised short form")
    if f"[{short}]" in text:
        found.append("[SF] brackets")
    if re.search(r"[,()\[\]]", long):
        found.append("long form with commas or parentheses")
    low = text.lower()
    at_long = low.find(long.lower())
    at_short = text.find(short + " (")
    if at_short >= 0 and (at_long < 0 or at_short < at_long):
        found.append("SF (long form) order")
    if at_long > 0 and (text[at_long - 1].isalnum() or text[at_long - 1] in "-/"):
        found.append("long form starts inside a token")
    marks = record.notes.get(pair, set())
    if marks & {"!num", "!ord", "!nch"}:
        found.append("letters do not line up (!num/!ord/!nch)")
    return found or ["plain"]


# -- scoring -----------------------------------------------------------------------------------


@dataclass
class Score:
    """Counts and the derived precision, recall and F1."""

    true: int = 0
    false_pos: int = 0
    false_neg: int = 0

    @property
    def precision(self) -> float:
        return self.true / (self.true + self.false_pos) if self.true + self.false_pos else 0.0

    @property
    def recall(self) -> float:
        return self.true / (self.true + self.false_neg) if self.true + self.false_neg else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __str__(self) -> str:
        return f"P {self.precision:.3f}  R {self.recall:.3f}  F1 {self.f1:.3f}"


@dataclass
class Evaluation:
    """Scores for the whole set, each half and each category, with the errors."""

    whole: Score
    halves: dict[str, Score]
    by_category: dict[str, Score]
    errors: list[str]


def evaluate(
    finder: Callable[[str], Iterable[Pair]], records: list[Record] | None = None
) -> Evaluation:
    """Score a finder (text → (short, long) pairs) on MED1250."""
    records = load() if records is None else records
    whole = Score()
    halves = {"dev": Score(), "held-out": Score()}
    by_category: dict[str, Score] = {}
    errors = []
    for record in records:
        found = {normal(pair) for pair in finder(record.text)}
        gold = {normal(pair) for pair in record.gold}
        raw = {normal(pair): pair for pair in record.gold}
        for score in (whole, halves[record.half]):
            score.true += len(found & gold)
            score.false_pos += len(found - gold)
            score.false_neg += len(gold - found)
        for pair in gold:
            for name in categories(record, raw[pair]):
                score = by_category.setdefault(name, Score())
                if pair in found:
                    score.true += 1
                else:
                    score.false_neg += 1
        errors += [f"{record.pmid} extra  {p[0]}|{p[1]}" for p in sorted(found - gold)]
        errors += [f"{record.pmid} missed {p[0]}|{p[1]}" for p in sorted(gold - found)]
    return Evaluation(whole, halves, by_category, errors)
