"""Search quality: queries with the articles that should come first, MRR and precision@5.

The cache: 200 synthetic articles shaped like real clinic feeds (benchmarks/feedgen.py: ten
topics, sections, a References list), hand-written targets and distractors (a term once in
a body, a term only in a reference list), and the bundled samples. Relevance is judged by
title: a query is about the articles whose title names its subject.

`python -m pytest tests/core/test_search_eval.py -s` prints the table that chose the bm25
weights (search.WEIGHTS) against the alternatives.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ketaread.core import search
from ketaread.core.glossary import load_glossary
from ketaread.core.refresh import SourceSpec, refresh_local
from ketaread.core.store import Store
from ketaread.locations import sample_feeds_dir

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from feedgen import generate

FILLER = "<p>" + "Integration sessions help people make sense of what they noticed. " * 12 + "</p>"

TARGETS = {
    "Esketamine nasal spray: what the approval means": (
        "<p>Esketamine is given as a nasal spray in a clinic.</p>" + FILLER
    ),
    "Exercise, running and BDNF": "<p>Regular exercise raises BDNF in older adults.</p>" + FILLER,
    "Citalopram and sertraline compared": "<p>Citalopram and sertraline are SSRIs.</p>" + FILLER,
    "Ketamine cystitis: the bladder and long-term use": (
        "<p>Ketamine cystitis is bladder inflammation after heavy use.</p>" + FILLER
    ),
    # Distractors: the same words, but only once in a body or only in a reference list.
    "Notes from a busy clinic week": FILLER + "<p>One patient asked about esketamine.</p>",
    "Reading list for new staff": FILLER
    + "<h2>References</h2><ol><li>Smith J. Esketamine, exercise and citalopram. 2020.</li></ol>",
}

# (query, a fragment of the title of every relevant article)
QUERIES = [
    ("esketamine", ["Esketamine nasal spray"]),
    ("BDNF exercise", ["Exercise, running and BDNF"]),
    ("citalopram", ["Citalopram and sertraline"]),
    ("ketamine cystitis", ["Ketamine cystitis"]),
    ("brain-derived neurotrophic factor", ["Bdnf explained", "BDNF"]),
    ("N-methyl-D-aspartate receptors", ["Nmda receptors explained", "NMDA"]),
    ("treatment-resistant depression", ["Treatment-resistant depression", "TRD"]),
    ("selective serotonin reuptake inhibitors", ["Ssris explained", "SSRIs"]),
    ("lateral habenula", ["Lateral habenula", "Lateral Habenula"]),
    ("DMN", ["Default mode network", "Default Mode Network"]),
    ("dendritic spines", ["Dendritic Spines"]),
    ("hydroxynorketamine", ["Ketamine Breakdown Product"]),
    ("sequenced treatment alternatives", ["STAR*D"]),
    ("glutamate receptors plain language", ["Glutamate 101"]),
    # "Ketamine-assisted therapy" is the glossary's alias of the same thing.
    (
        "ketamine-assisted psychotherapy",
        ["Ketamine-Assisted Psychotherapy", "Ketamine-Assisted Therapy", "Integration therapy"],
    ),
]

MRR_FLOOR = 0.9
PRECISION_FLOOR = 0.8

CANDIDATES = {
    "chosen": search.WEIGHTS,
    "uniform": (1.0,) * 7,
    "title only heavy": (8.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    "references as body": (8.0, 3.0, 1.0, 1.0, 2.0, 1.0, 2.0),
    "title 20": (20.0, 3.0, 1.0, 0.3, 2.0, 1.0, 2.0),
}


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("eval")
    generate(folder / "synthetic", feeds=10, articles=20, words=300)
    own = folder / "own"
    own.mkdir()
    for number, (title, body) in enumerate(TARGETS.items()):
        (own / f"target-{number}.html").write_text(
            f"<html><head><title>{title}</title></head><body>{body}</body></html>",
            encoding="utf-8",
        )
    store = Store(folder / "cache.db")
    for location in (folder / "synthetic", own, sample_feeds_dir()):
        refresh_local(store, SourceSpec(str(location)), lambda report: None)
    yield store
    store.close()


def _evaluate(store: Store) -> tuple[float, float, list[str]]:
    glossary = load_glossary()
    titles = dict(store.select("SELECT id, title FROM articles"))
    reciprocal: list[float] = []
    precision: list[float] = []
    misses: list[str] = []
    for query, fragments in QUERIES:
        relevant = {i for i, t in titles.items() if any(f in t for f in fragments)}
        assert relevant, f"no relevant article for {query!r}"
        ranked = [h.article_id for h in search.search(store, query, glossary, limit=20).hits]
        rank = next((n for n, i in enumerate(ranked, 1) if i in relevant), None)
        reciprocal.append(1 / rank if rank else 0.0)
        top = ranked[:5]
        precision.append(sum(i in relevant for i in top) / min(5, len(relevant)))
        if rank != 1:
            misses.append(f"{query!r}: first relevant at {rank}")
    return sum(reciprocal) / len(reciprocal), sum(precision) / len(precision), misses


def test_ranking_meets_the_floor(cache: Store) -> None:
    mrr, precision, misses = _evaluate(cache)
    print(f"\nsearch eval: MRR {mrr:.3f}, precision@5 {precision:.3f}; {misses}")
    assert mrr >= MRR_FLOOR, misses
    assert precision >= PRECISION_FLOOR


def test_weight_candidates_report(cache: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Prints how the candidate weights compare; the chosen ones must be among the best."""
    scores = {}
    for name, weights in CANDIDATES.items():
        monkeypatch.setattr(search, "WEIGHTS", weights)
        scores[name] = _evaluate(cache)[:2]
        print(f"\n{name:20} {weights}: MRR {scores[name][0]:.3f}, P@5 {scores[name][1]:.3f}")
    best = max(sum(s) for s in scores.values())
    assert sum(scores["chosen"]) >= best - 1e-9
    assert sum(scores["chosen"]) > sum(scores["uniform"])
