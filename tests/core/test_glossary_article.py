"""`article_terms`: what the popup's "In this article" shows, from an article's Markdown."""

from __future__ import annotations

import pytest

from ketaread.core.glossary import Glossary, article_terms, find_terms, load_glossary, mark_terms


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return load_glossary()


ARTICLE = (
    "# Ketamine and the brain\n\n"
    "Ketamine acts fast. It blocks the [NMDA receptor](https://example.org/nmda) "
    "on *interneurons*, which raises glutamate.\n\n"
    "## What happens next\n\n"
    "Within a day, ketamine is gone from the blood. The effect lasts longer.\n\n"
    "## References\n\n"
    "1. Berman RM et al. Antidepressant effects of ketamine in depressed patients. "
    "Biol Psychiatry 2000. A crossover design with placebo.\n\n"
    "## Related posts\n\n"
    "Esketamine nasal spray explained\n"
)


def test_each_term_carries_the_sentences_that_use_it(glossary: Glossary) -> None:
    hits = {h.term: h for h in article_terms(ARTICLE, glossary, [])}
    assert hits["ketamine"].sentences == (
        "Ketamine acts fast.",
        "Within a day, ketamine is gone from the blood.",
        "Ketamine and the brain",  # the heading counts as text
    )
    # Link text and emphasis are read as the reader sees them.
    assert hits["NMDA receptor"].sentences == (
        "It blocks the NMDA receptor on interneurons, which raises glutamate.",
    )


def test_terms_only_in_the_reference_list_are_flagged_and_come_last(glossary: Glossary) -> None:
    hits = article_terms(ARTICLE, glossary, [])
    only = [h.term for h in hits if h.in_references_only]
    assert set(only) == {"antidepressant", "crossover design", "placebo"}
    assert all(h.in_references_only for h in hits[-len(only) :])
    assert not next(h for h in hits if h.term == "ketamine").in_references_only


def test_related_posts_are_not_counted(glossary: Glossary) -> None:
    terms = {h.term for h in article_terms(ARTICLE, glossary, [])}
    assert "esketamine" not in terms
    assert "esketamine" in {h.term for h in find_terms(ARTICLE, glossary, [])}  # plain scan


def test_references_and_related_posts_are_not_marked(glossary: Glossary) -> None:
    marked = mark_terms(ARTICLE, glossary, [])
    tail = marked[marked.index("## References") :]
    assert "ketaread://term/" not in tail


def test_long_sentences_are_cut_around_the_term(glossary: Glossary) -> None:
    text = "Words " * 200 + "then ketamine appears " + "and more words " * 100 + "."
    (hit,) = [h for h in find_terms(text, glossary, []) if h.term == "ketamine"]
    (sentence,) = hit.sentences
    assert "ketamine" in sentence and len(sentence) <= 302
    assert sentence.startswith("…") and sentence.endswith("…")


def test_the_sentence_list_is_bounded(glossary: Glossary) -> None:
    text = " ".join(f"Sentence {n} names ketamine." for n in range(50))
    (hit,) = [h for h in find_terms(text, glossary, []) if h.term == "ketamine"]
    assert len(hit.sentences) == 8
