"""Trap sentences: every alias problem issue 18 names, and senses chosen by context.

Each sentence uses a word that a glossary alias used to catch with the wrong meaning; the
test names the entries that must NOT be found there (and, where one exists, the entry that
must be). Written before the matcher changed, so each of these failed on the old data.
"""

from __future__ import annotations

import re

import pytest

from ketaread.core.glossary import (
    TERM_LINK_PREFIX,
    Glossary,
    find_terms,
    load_glossary,
    mark_terms,
    term_key,
)


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return load_glossary()


def keys(text: str, glossary: Glossary) -> list[str]:
    return [hit.key for hit in find_terms(text, glossary, [])]


def marked(markdown: str, glossary: Glossary) -> list[tuple[str, str]]:
    """(text, key) of every term link mark_terms made."""
    pattern = r"\[([^\]]*)\]\(" + re.escape(TERM_LINK_PREFIX) + r"([^)\s]*)\)"
    return re.findall(pattern, mark_terms(markdown, glossary, []))


# (sentence, keys that must not be found, key that must be found or None)
TRAPS = [
    # "chemical messenger" also describes hormones
    (
        "Cortisol is a chemical messenger carried in the blood.",
        {"neurotransmitter"},
        "cortisol",
    ),
    # "cortex" inside "adrenal cortex"
    ("The adrenal cortex releases cortisol under stress.", {"cortex"}, None),
    ("The outer layer of the kidney, the renal cortex, filters blood.", {"cortex"}, None),
    # "IM" as something else than intramuscular
    ("Her IM score rose from 12 to 18 after the program.", {"intramuscular"}, None),
    # "anesthesia" is not "anesthetic"
    ("Surgery under general anesthesia went well.", {"anesthetic"}, "anesthesia"),
    # "neurotrophin" is one family, not every neurotrophic factor
    ("BDNF is a neurotrophin.", {"neurotrophic%20factor"}, "neurotrophin"),
    # a troche is held between cheek and gum, not under the tongue
    ("The troche dissolves slowly in the mouth.", {"sublingual"}, "troche"),
    # the medial habenula is not the lateral one
    (
        "Nicotine withdrawal involves the medial habenula.",
        {"lateral%20habenula"},
        "medial%20habenula",
    ),
    ("The habenula sits above the thalamus.", {"lateral%20habenula"}, "habenula"),
    # the posterior cingulate cortex is a DMN hub, not the ACC
    (
        "The posterior cingulate cortex is a hub of the default mode network.",
        {"anterior%20cingulate%20cortex"},
        "posterior%20cingulate%20cortex",
    ),
    (
        "The cingulate cortex wraps around the corpus callosum.",
        {"anterior%20cingulate%20cortex"},
        None,
    ),
    # "dissociative" inside the name of a disorder or a PTSD subtype
    (
        "Dissociative identity disorder is rare.",
        {"dissociation"},
        "dissociative%20identity%20disorder",
    ),
    (
        "The dissociative subtype of PTSD has its own criteria.",
        {"dissociation"},
        "dissociative%20subtype",
    ),
    # adverse events and side effects are different things
    ("Every adverse event was recorded.", {"side%20effect"}, "adverse%20event"),
    # the placebo response of a trial arm is not the placebo effect
    ("The placebo response was large in both arms.", {"placebo%20effect"}, "placebo%20response"),
]


@pytest.mark.parametrize(("sentence", "forbidden", "wanted"), TRAPS, ids=[t[0][:40] for t in TRAPS])
def test_trap_sentence_does_not_catch_the_wrong_entry(
    glossary: Glossary, sentence: str, forbidden: set[str], wanted: str | None
) -> None:
    found = keys(sentence, glossary)
    assert not forbidden & set(found), found
    if wanted is not None:
        assert wanted in found


@pytest.mark.parametrize(
    ("sentence", "wanted"),
    [
        ("The nurse gave ketamine IM before the procedure.", "intramuscular"),
        ("Ketamine acts on the prefrontal cortex.", "prefrontal%20cortex"),
        ("The cortex is the brain's outer layer.", "cortex"),
        ("The lateral habenula is an anti-reward hub.", "lateral%20habenula"),
        ("Dissociative effects faded within two hours.", "dissociation"),
        ("The placebo effect is real.", "placebo%20effect"),
        ("Sublingual tablets dissolve under the tongue.", "sublingual"),
    ],
)
def test_the_right_meaning_is_still_found(glossary: Glossary, sentence: str, wanted: str) -> None:
    assert wanted in keys(sentence, glossary)


def test_a_brand_name_with_an_ampersand_is_not_a_term(glossary: Glossary) -> None:
    assert "cortex" not in keys("Subscribe to Cortex & Mind for weekly posts.", glossary)
    assert "cortex" not in keys("A podcast by Mind & Cortex.", glossary)


def test_footer_byline_navigation_and_related_posts_are_not_marked(glossary: Glossary) -> None:
    markdown = (
        "Home | About | Cortex & Mind | Contact\n\n"
        "By Jane Doe, MD | Reviewed by a psychiatrist\n\n"
        "Ketamine blocks the NMDA receptor.\n\n"
        "## Related posts\n\n"
        "Esketamine nasal spray: what to expect\n\n"
        "Psilocybin and the default mode network\n\n"
        "© 2026 Cortex & Mind. All rights reserved. Ketamine clinics near you.\n"
    )
    texts = [text for text, _ in marked(markdown, glossary)]
    assert texts == ["Ketamine", "NMDA receptor"]


def test_a_byline_paragraph_is_not_marked(glossary: Glossary) -> None:
    markdown = "Written by a ketamine researcher.\n\nKetamine is an anesthetic.\n"
    assert [text for text, _ in marked(markdown, glossary)][:1] == ["Ketamine"]
    assert "Written by [" not in mark_terms(markdown, glossary, [])


def test_common_words_are_marked_once_per_article_not_per_section(glossary: Glossary) -> None:
    markdown = (
        "Depression is common.\n\n## Causes\n\nDepression has many causes; ketamine is one "
        "treatment.\n\n## Treatment\n\nDepression can be treated; ketamine again.\n"
    )
    found = marked(markdown, glossary)
    assert [t for t, k in found if k == "depression"] == ["Depression"]
    assert [t for t, k in found if k == "ketamine"] == ["ketamine", "ketamine"]


SENSES = [
    (
        "Dissociation is common in PTSD after childhood trauma, with depersonalization.",
        "dissociation",
        "symptom",
    ),
    (
        "Dissociation peaked 40 minutes into the ketamine infusion and faded by two hours.",
        "dissociation",
        "drug effect",
    ),
    (
        "Frontal lobe injury can cause disinhibition: impulsive, socially inappropriate behaviour.",
        "disinhibition",
        "clinical",
    ),
    (
        "Blocking NMDA receptors on GABA interneurons causes disinhibition of pyramidal neurons.",
        "disinhibition",
        "circuit",
    ),
]


@pytest.mark.parametrize(("text", "key", "sense"), SENSES, ids=[s[2] for s in SENSES])
def test_context_chooses_the_sense(glossary: Glossary, text: str, key: str, sense: str) -> None:
    hit = next(h for h in find_terms(text, glossary, []) if h.key == key)
    assert hit.sense == sense


def test_term_keys_in_this_file_are_real_entries(glossary: Glossary) -> None:
    named = {k for _, forbidden, wanted in TRAPS for k in (*forbidden, wanted) if k}
    known = {t.key for t in glossary}
    assert named <= known, named - known
    assert term_key("medial habenula") == "medial%20habenula"


def test_a_star_inside_a_name_matches_and_marks_safely(glossary: Glossary) -> None:
    assert "star%2Ad" in keys("In the STAR*D study, remission fell with each step.", glossary)
    assert marked("STAR*D had four steps.", glossary) == [("STAR*D", "star%2Ad")]
