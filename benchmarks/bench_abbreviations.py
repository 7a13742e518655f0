"""Score the abbreviation finders on MED1250 and the in-house set; time them per 5,000 words.

Run: python benchmarks/bench_abbreviations.py [--errors]
Prints, for `find_abbreviations` and the Schwartz–Hearst `find_abbreviations_baseline`:
precision, recall and F1 on MED1250 (whole, development half = even PMIDs, held-out half = odd
PMIDs), recall per miss category, the in-house set (tests/data/abbreviations), and the median
time per 5,000-word article (target ≤ 20 ms) on two texts: the glossary benchmark's feature
article and 5,000 words of MED1250 abstracts, far denser in parentheses. --errors lists the
finder's errors on the development half only (the held-out half is not for tuning).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from bench_glossary import build_article  # noqa: E402

import abbreviation_eval  # noqa: E402  (tests/abbreviation_eval.py: the loader and scorer)
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


def per_5000_words(finder: Finder, text: str) -> float:
    """Median milliseconds of RUNS runs, scaled to 5,000 words."""
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        finder(text)
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000 * 5000 / len(text.split())


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
            f"  per 5,000 words: feature article {per_5000_words(finder, article):.1f} ms, "
            f"MED1250 abstracts {per_5000_words(finder, abstracts):.1f} ms"
        )
        if "--errors" in sys.argv and finder is find_abbreviations:
            dev = [r for r in records if r.half == "dev"]
            errors = abbreviation_eval.evaluate(
                lambda text: [(a.short, a.long) for a in find_abbreviations(text)], dev
            ).errors
            print("\n".join(f"    {line}" for line in errors))


if __name__ == "__main__":
    main()
