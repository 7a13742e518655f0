"""Score the abbreviation finders on MED1250 and the in-house set; time them per 5,000 words.

Run: python benchmarks/bench_abbreviations.py [--errors] [--rules]
Prints, for `find_abbreviations` and the Schwartz–Hearst `find_abbreviations_baseline`:
precision, recall and F1 on MED1250 (whole, development half = even PMIDs, held-out half = odd
PMIDs), recall per miss category, the in-house set (tests/data/abbreviations), and the median
time per 5,000-word article (target ≤ 20 ms) on two texts: the glossary benchmark's feature
article and 5,000 words of MED1250 abstracts, far denser in parentheses. --errors lists the
finder's errors on the development half only (the held-out half is not for tuning). --rules
prints, per acceptance rule, its true and false pairs on the development half and Ab3P's kind of
pseudo-precision: how often the rule accepts a short form paired with the words before some
other bracket (development texts only), scaled by how many candidates of that shape there are.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from bench_glossary import build_article  # noqa: E402

import abbreviation_eval  # noqa: E402  (tests/abbreviation_eval.py: the loader and scorer)
import ketaread.core.abbreviations as finder_module  # noqa: E402
from ketaread.core.abbreviations import (  # noqa: E402
    Abbreviation,
    find_abbreviations,
    find_abbreviations_baseline,
)
from ketaread.core.render import plain_text  # noqa: E402

RUNS = 20
IN_HOUSE = ROOT / "tests" / "data" / "abbreviations"
Finder = Callable[[str], list[Abbreviation]]


def in_house(finder: Finder) -> abbreviation_eval.Score:
    """The in-house set: hand-annotated passages, pairs exactly as written."""
    gold = json.loads((IN_HOUSE / "gold.json").read_text(encoding="utf-8"))
    score = abbreviation_eval.Score()
    for name, expected in gold.items():
        if name.startswith("_"):
            continue
        text = (IN_HOUSE / name).read_text(encoding="utf-8")
        found = {(a.short, " ".join(a.long.split())) for a in finder(text)}
        wanted = set(expected.items())
        score.true += len(found & wanted)
        score.false_pos += len(found - wanted)
        score.false_neg += len(wanted - found)
    return score


def per_5000_words(finder: Finder, text: str) -> str:
    """Median wall and CPU milliseconds of RUNS runs, scaled to 5,000 words."""
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(RUNS):
        began, began_cpu = time.perf_counter(), time.process_time()
        finder(text)
        wall.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
    scale = 1000 * 5000 / len(text.split())
    # CPU time as well: the machine is shared, and wall time swings with the load.
    return f"{statistics.median(wall) * scale:.1f} ms ({statistics.median(cpu) * scale:.1f} ms CPU)"


def abstracts_text(records: list[abbreviation_eval.Record], words: int = 5000) -> str:
    """MED1250 abstracts, one paragraph each, until about `words` words."""
    parts: list[str] = []
    total = 0
    for record in records:
        parts.append(record.text)
        total += len(record.text.split())
        if total >= words:
            break
    return "\n\n".join(parts)


def rules(records: list[abbreviation_eval.Record], pairings: int = 40_000) -> None:
    """Per rule: true/false pairs on the development half, and a pseudo-precision."""
    m = finder_module
    dev = [r for r in records if r.half == "dev"]
    original = m._rule
    last: dict[str, str] = {}

    def spy(
        shape: str, short: str, long: str, alignment: m._Alignment, before: str = ""
    ) -> str | None:
        name = original(shape, short, long, alignment, before)
        if name:
            last[short] = name
        return name

    good: dict[str, int] = {}
    bad: dict[str, int] = {}
    m._rule = spy
    try:
        for record in dev:
            last.clear()
            gold = {abbreviation_eval.normal(p) for p in record.gold}
            for a in find_abbreviations(record.text):
                name = last.get(a.short, "(species, noun, subscript, [X]i)")
                tally = good if abbreviation_eval.normal((a.short, a.long)) in gold else bad
                tally[name] = tally.get(name, 0) + 1
    finally:
        m._rule = original
    # Random pairings: a short form from one bracket, the clause before another.
    rng = random.Random(1)
    shorts: list[tuple[str, str]] = []
    windows: list[str] = []
    for record in dev:
        for bracket in re.finditer(r"\(([^()]{1,20})\)", record.text):
            tokens = m._short_form_tokens(bracket.group(1).strip())
            if tokens and len(tokens) == 1:
                shorts.append((tokens[0], m._shape(tokens[0])))
            window = record.text[max(0, bracket.start() - 200) : bracket.start()].rstrip()
            windows.append(window[m._clause_start(window, len(window), 0) :])
    tried: dict[str, int] = {}
    chance: dict[str, int] = {}
    for _ in range(pairings):
        short, shape = rng.choice(shorts)
        window = rng.choice(windows)
        tried[shape] = tried.get(shape, 0) + 1
        alignment = m._align(m._singular_short(short), window)
        if alignment is None:
            continue
        before = window[: alignment.start].split()
        name = original(
            shape,
            short,
            m._tidy(window[alignment.start :]),
            alignment,
            before[-1].lower() if before else "",
        )
        if name:
            chance[(name, shape)] = chance.get((name, shape), 0) + 1
    candidates: dict[str, int] = {}
    for _, shape in shorts:
        candidates[shape] = candidates.get(shape, 0) + 1
    print("\nacceptance rules on the development half (pseudo-precision from random pairings)")
    for name in sorted(set(good) | set(bad)):
        expected_false = sum(
            count / tried[shape] * candidates[shape]
            for (rule, shape), count in chance.items()
            if rule == name
        )
        accepted = good.get(name, 0) + bad.get(name, 0)
        pseudo = 1 - expected_false / accepted if accepted else 0.0
        print(
            f"  {name:<30} true {good.get(name, 0):>4} false {bad.get(name, 0):>3}"
            f"  pseudo-precision {pseudo:.3f}"
        )


def main() -> None:
    records = abbreviation_eval.load()
    article = plain_text(build_article())
    abstracts = abstracts_text(records)
    finders: dict[str, Finder] = {
        "find_abbreviations": find_abbreviations,
        "find_abbreviations_baseline": find_abbreviations_baseline,
    }
    print(f"MED1250: {len(records)} records, {sum(r.half == 'dev' for r in records)} dev")
    for name, finder in finders.items():
        evaluation = abbreviation_eval.evaluate(
            lambda text, finder=finder: [(a.short, a.long) for a in finder(text)], records
        )
        print(f"\n{name}")
        print(f"  MED1250 whole     {evaluation.whole}")
        for half, score in evaluation.halves.items():
            print(f"  MED1250 {half:<9} {score}")
        print(f"  in-house set      {in_house(finder)}")
        for category, score in sorted(evaluation.by_category.items()):
            total = score.true + score.false_neg
            print(f"  recall {score.recall:.3f}  {score.true:>4}/{total:<4} {category}")
        print(
            f"  per 5,000 words: feature article {per_5000_words(finder, article)}, "
            f"MED1250 abstracts {per_5000_words(finder, abstracts)}"
        )
        if "--errors" in sys.argv and finder is find_abbreviations:
            dev = [r for r in records if r.half == "dev"]
            errors = abbreviation_eval.evaluate(
                lambda text: [(a.short, a.long) for a in find_abbreviations(text)], dev
            ).errors
            print("\n".join(f"    {line}" for line in errors))
    if "--rules" in sys.argv:
        rules(records)


if __name__ == "__main__":
    main()
