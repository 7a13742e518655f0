"""The glossary: curated data, loading, abbreviation finding, term matching and marking."""

from __future__ import annotations

import json
import re
import tomllib
from importlib.resources import files
from pathlib import Path

import pytest

from ketaread.core.glossary import (
    TERM_LINK_PREFIX,
    Abbreviation,
    Glossary,
    GlossaryError,
    Term,
    _surface_forms,  # the plurals the matcher generates
    find_abbreviations,
    find_abbreviations_baseline,
    find_terms,
    format_definition,
    load_glossary,
    mark_terms,
    term_key,
)

EVALUATION = Path(__file__).parent.parent / "data" / "abbreviations"
REQUIRED = {"term": str, "definition": str}
OPTIONAL = {
    "aliases": list,
    "expansion": str,
    "related": list,
    "sources": list,
    "certainty": str,
    "not_in": list,
    "senses": list,
    "safety": bool,
    "common": bool,
}


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return load_glossary()


def raw_entries() -> list[dict]:
    data = files("ketaread.data").joinpath("glossary.toml").read_bytes()
    return tomllib.loads(data.decode("utf-8"))["term"]


def fold(name: str) -> str:
    return " ".join(re.split(r"[\s\-–]+", name)).strip().lower()


def pairs(abbreviations: list[Abbreviation]) -> set[tuple[str, str]]:
    return {(a.short, a.long) for a in abbreviations}


def unmark(markdown: str) -> str:
    """Undo mark_terms: every [text](ketaread://term/…) back to its text."""
    return re.sub(r"\[([^\]]*)\]\(" + re.escape(TERM_LINK_PREFIX) + r"[^)\s]*\)", r"\1", markdown)


def marked_texts(markdown: str) -> list[str]:
    return re.findall(r"\[([^\]]*)\]\(" + re.escape(TERM_LINK_PREFIX) + r"[^)\s]*\)", markdown)


# -- the curated data --------------------------------------------------------------------------


def test_curated_glossary_has_at_least_200_terms() -> None:
    assert len(raw_entries()) >= 200


def test_curated_entries_have_required_keys_of_the_right_types() -> None:
    for entry in raw_entries():
        for key, kind in REQUIRED.items():
            assert isinstance(entry.get(key), kind) and entry[key].strip(), (entry, key)
        for key, kind in OPTIONAL.items():
            if key in entry:
                assert isinstance(entry[key], kind), (entry["term"], key)
                if kind is list and key != "senses":
                    assert all(isinstance(v, str) and v.strip() for v in entry[key])
        assert set(entry) <= set(REQUIRED) | set(OPTIONAL), entry["term"]


def test_curated_definitions_are_at_most_320_characters() -> None:
    too_long = {
        e["term"]: len(e["definition"]) for e in raw_entries() if len(e["definition"]) > 320
    }
    assert too_long == {}


def test_no_term_alias_or_expansion_is_shared_by_two_entries() -> None:
    owner: dict[str, str] = {}
    clashes = []
    for entry in raw_entries():
        names = {
            fold(n)
            for n in [entry["term"], *entry.get("aliases", []), entry.get("expansion", "")]
            if n
        }
        for name in names:
            if name in owner:
                clashes.append((name, owner[name], entry["term"]))
            owner[name] = entry["term"]
    assert clashes == []


def test_every_related_name_resolves_to_another_entry() -> None:
    names = {}
    for entry in raw_entries():
        for name in [entry["term"], *entry.get("aliases", [])]:
            names[name.lower()] = entry["term"]
    unresolved = [
        (entry["term"], name)
        for entry in raw_entries()
        for name in entry.get("related", [])
        if names.get(name.lower()) in (None, entry["term"])
    ]
    assert unresolved == []


def test_source_notes_name_nlm_and_a_year() -> None:
    for entry in raw_entries():
        if "source" in entry:
            assert "NLM" in entry["source"] and re.search(r"\b(19|20)\d\d\b", entry["source"])


def test_no_two_entries_share_a_matched_spelling(glossary: Glossary) -> None:
    # Generated plurals included: every spelling the matcher looks for names one entry only.
    owners: dict[str, set[str]] = {}
    for term in glossary.terms:
        for name in term.names():
            for form in _surface_forms(name):
                owners.setdefault(fold(form), set()).add(term.key)
    assert {form: keys for form, keys in owners.items() if len(keys) > 1} == {}


# -- loading -----------------------------------------------------------------------------------


def test_curated_glossary_is_loaded_once_and_cached() -> None:
    assert load_glossary() is load_glossary()


def test_curated_terms_have_keys_from_their_names_and_curated_origin(glossary: Glossary) -> None:
    assert len(glossary) == len(raw_entries())
    for term in glossary.terms:
        assert term.key == term_key(term.term)
        assert term.origin == "curated"


def write(tmp_path: Path, text: str, name: str = "glossary.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_glossary_adds_new_terms_with_user_origin(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[term]]\nterm = "Ketamine clinic"\naliases = ["infusion centre"]\n'
        'definition = "Where I get my infusions."\nrelated = ["ketamine"]\n',
    )
    loaded = load_glossary(path)
    term = loaded.lookup("infusion centre")
    assert term is not None and term.term == "Ketamine clinic" and term.origin == "user"
    assert len(loaded) == len(load_glossary()) + 1
    assert [t.term for t in loaded.related(term)] == ["ketamine"]


def test_user_entry_overrides_by_alias_in_any_case_and_keeps_the_key(tmp_path: Path) -> None:
    curated = load_glossary().lookup("NMDA receptor")
    assert curated is not None
    path = write(tmp_path, '[[term]]\nterm = "nmdar"\ndefinition = "My own words."\n')
    loaded = load_glossary(path)
    term = loaded.lookup("NMDA receptor")
    assert term is not None
    assert (term.key, term.definition, term.origin) == (curated.key, "My own words.", "user")
    assert set(curated.aliases) <= set(term.aliases)
    assert len(loaded) == len(load_glossary())


def test_user_override_replaces_related_only_when_given(tmp_path: Path) -> None:
    path = write(tmp_path, '[[term]]\nterm = "BDNF"\ndefinition = "Mine."\n')
    term = load_glossary(path).lookup("BDNF")
    curated = load_glossary().lookup("BDNF")
    assert term is not None and curated is not None and term.related == curated.related


def test_user_glossary_does_not_change_the_cached_curated_one(tmp_path: Path) -> None:
    write(tmp_path, '[[term]]\nterm = "ketamine"\ndefinition = "Changed."\n')
    load_glossary(tmp_path / "glossary.toml")
    term = load_glossary().lookup("ketamine")
    assert term is not None and term.definition != "Changed."


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[[term]\nterm = 'x'", "not valid TOML"),
        ('[[term]]\nterm = "x"\n', "'definition' is missing"),
        ('[[term]]\ndefinition = "x"\n', "'term' is missing"),
        ('[[term]]\nterm = "x"\ndefinition = "y"\naliases = "z"\n', "'aliases' must be a list"),
        ('[[term]]\nterm = "x"\ndefinition = 3\n', "'definition' must be a string"),
        ('[[term]]\nterm = "x"\ndefinition = "y"\ndefintion = "z"\n', "unknown key 'defintion'"),
        ('[[term]]\nterm = "x [y]"\ndefinition = "y"\n', "not usable as a name"),
        ('[[term]]\nterm = "x"\ndefinition = "' + "y" * 2001 + '"\n', "longer than 2000"),
        ('[[terms]]\nterm = "x"\ndefinition = "y"\n', "unknown table 'terms'"),
        ("term = 3\n", "must be a list"),
        (
            '[[term]]\nterm = "ketamine"\naliases = ["BDNF"]\ndefinition = "y"\n',
            "names several existing terms",
        ),
    ],
)
def test_bad_user_glossary_raises_one_line_error_naming_the_file(
    tmp_path: Path, content: str, message: str
) -> None:
    path = write(tmp_path, content)
    with pytest.raises(GlossaryError) as raised:
        load_glossary(path)
    text = str(raised.value)
    assert message in text and str(path) in text and "\n" not in text


@pytest.mark.parametrize("kind", ["missing", "directory", "not utf-8"])
def test_unusable_user_glossary_file_raises(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "glossary.toml"
    if kind == "directory":
        path.mkdir()
    elif kind == "not utf-8":
        path.write_bytes(b'[[term]]\nterm = "\xff"\ndefinition = "x"\n')
    with pytest.raises(GlossaryError, match="glossary"):
        load_glossary(path)


def test_control_characters_in_user_entries_are_removed(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[[term]]\nterm = "Zeta\\u001b[2Jterm"\ndefinition = "a\\u001b]0;x\\u0007b"\n'
    )
    term = load_glossary(path).lookup("Zetaterm")
    assert term is not None and term.term == "Zetaterm"
    assert "\x1b" not in term.definition and "\x07" not in term.definition


# -- lookup, related, search, keys -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("nmda%20receptor", "NMDA receptor"),  # a link key
        ("nmda receptor", "NMDA receptor"),  # the key unquoted, as a router may pass it
        ("NMDA Receptor", "NMDA receptor"),
        ("nmdar", "NMDA receptor"),  # aliases in any case
        ("N-methyl-D-aspartate receptor", "NMDA receptor"),  # the expansion
        ("NMDA receptors", "NMDA receptor"),  # a plural
        ("SSRIs", "SSRI"),
        ("meta-analyses", "meta-analysis"),
        ("long term potentiation", "long-term potentiation"),  # hyphen or space
        ("hippocampi", "hippocampus"),
    ],
)
def test_lookup_finds_terms_by_key_name_alias_expansion_and_plural(
    glossary: Glossary, name: str, expected: str
) -> None:
    term = glossary.lookup(name)
    assert term is not None and term.term == expected


@pytest.mark.parametrize("name", ["", "   ", "flux capacitor", "%zz"])
def test_lookup_returns_none_for_unknown_names(glossary: Glossary, name: str) -> None:
    assert glossary.lookup(name) is None


def test_related_resolves_names_to_terms(glossary: Glossary) -> None:
    term = glossary.lookup("NMDA receptor")
    assert term is not None
    related = glossary.related(term)
    assert [t.term for t in related] == [glossary.lookup(n).term for n in term.related]  # type: ignore[union-attr]
    assert all(isinstance(t, Term) and t.key != term.key for t in related)


def test_search_ranks_exact_then_prefix_then_substring(glossary: Glossary) -> None:
    results = [t.term for t in glossary.search("cortex")]
    assert results[0] == "cortex"
    assert results.index("prefrontal cortex") > 0
    assert "subgenual anterior cingulate cortex" in results
    prefix = [t.term for t in glossary.search("keta")]
    assert prefix[0] == "ketamine" and "esketamine" in prefix and "arketamine" in prefix
    assert prefix.index("ketamine") < prefix.index("esketamine")


def test_search_matches_aliases_and_expansions(glossary: Glossary) -> None:
    assert "BDNF" in [t.term for t in glossary.search("neurotrophic")]
    assert "NMDA receptor" in [t.term for t in glossary.search("nmdar")]


def test_search_with_empty_query_lists_every_term_alphabetically(glossary: Glossary) -> None:
    results = glossary.search("  ")
    assert len(results) == len(glossary)
    assert [t.term.casefold() for t in results] == sorted(t.term.casefold() for t in glossary)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("NMDA receptor", "nmda%20receptor"),
        ("mTOR", "mtor"),
        ("5-HT2A receptor", "5-ht2a%20receptor"),
        ("Cohen's  d", "cohen%27s%20d"),
        ("(2R,6R)-HNK", "%282r%2C6r%29-hnk"),
    ],
)
def test_term_key_is_lower_case_url_quoted(name: str, key: str) -> None:
    assert term_key(name) == key


# -- abbreviations -----------------------------------------------------------------------------

POSITIVE = [
    ("Ketamine blocks N-methyl-D-aspartate (NMDA) receptors.", "NMDA", "N-methyl-D-aspartate"),
    (
        "It raises BDNF (brain-derived neurotrophic factor) in the cortex.",
        "BDNF",
        "brain-derived neurotrophic factor",
    ),
    (
        "Ketamine blocks NMDA receptors (N-methyl-D-aspartate receptors) briefly.",
        "NMDA",
        "N-methyl-D-aspartate",
    ),
    (
        "It blocks N-methyl-D-aspartate receptors (NMDA receptors) briefly.",
        "NMDA",
        "N-methyl-D-aspartate",
    ),
    (
        "Most people start on SSRIs (selective serotonin reuptake inhibitors) first.",
        "SSRIs",
        "selective serotonin reuptake inhibitors",
    ),
    (
        "It is offered for treatment-resistant depression (TRD) in adults.",
        "TRD",
        "treatment-resistant depression",
    ),
    (
        "Some clinics offer ketamine-assisted psychotherapy (KAP) in groups.",
        "KAP",
        "ketamine-assisted psychotherapy",
    ),
    ("Activity in the default mode network (DMN) falls.", "DMN", "default mode network"),
    (
        "Synapses strengthen through long-term potentiation (LTP) over hours.",
        "LTP",
        "long-term potentiation",
    ),
    (
        "It switches on the mammalian target of rapamycin (mTOR) pathway.",
        "mTOR",
        "mammalian target of rapamycin",
    ),
    # SHORT (long form) in a long sentence, where the baseline's swap rule fails
    (
        "Patients who have already tried two antidepressants may be offered ECT (electroconvulsive "
        "therapy) next.",
        "ECT",
        "electroconvulsive therapy",
    ),
    # accents, Greek letters and digits
    (
        "Scores on the Montgomery–Åsberg Depression Rating Scale (MADRS) fell.",
        "MADRS",
        "Montgomery–Åsberg Depression Rating Scale",
    ),
    (
        "Drugs that inhibit glycogen synthase kinase-3β (GSK-3β) are studied.",
        "GSK-3β",
        "glycogen synthase kinase-3β",
    ),
    (
        "Serotonin, also called 5-hydroxytryptamine (5-HT), matters less.",
        "5-HT",
        "5-hydroxytryptamine",
    ),
    (
        "It acts on α-amino-3-hydroxy-5-methyl-4-isoxazolepropionic acid (AMPA) receptors.",
        "AMPA",
        "α-amino-3-hydroxy-5-methyl-4-isoxazolepropionic acid",
    ),
    # a short form followed by more in its parenthesis
    (
        "It helps treatment-resistant depression (TRD; see below) quickly.",
        "TRD",
        "treatment-resistant depression",
    ),
    # Markdown emphasis around the long form
    (
        "For **treatment-resistant depression** (TRD), ketamine helps.",
        "TRD",
        "treatment-resistant depression",
    ),
    # a definition nested inside an aside
    (
        "Ketamine (often combined with cognitive behavioral therapy (CBT)) helps.",
        "CBT",
        "cognitive behavioral therapy",
    ),
    ("The team's NP (nurse practitioner) explained the plan.", "NP", "nurse practitioner"),
]


@pytest.mark.parametrize(("text", "short", "long"), POSITIVE, ids=[p[1] for p in POSITIVE])
def test_find_abbreviations_finds_the_definition(text: str, short: str, long: str) -> None:
    assert pairs(find_abbreviations(text)) == {(short, long)}


NEGATIVE = [
    "Ketamine may ease depression quickly (National Institutes of Health).",
    "The effect lasted about a week in a larger trial at eleven centres (Nature).",
    "Ask your doctor about side effects and monitoring after each session (Mayo Clinic).",
    "Fear responses start in a small almond-shaped region (the amygdala).",
    "Older antidepressants such as SSRIs (which work through serotonin) take weeks.",
    "Dosing is explained in detail further down (see below).",
    "Other NMDA antagonists (e.g. esketamine) act similarly.",
    "A small study of adults with TRD (n = 24) found a rapid response.",
    "Scores improved more than with placebo (p < 0.05) at day one.",
    "The first randomized trial of ketamine for depression was published (2000).",
    "Connectivity in the DMN (see Figure 2) dropped after the infusion.",
    "A large trial run at eleven centres was reported the next year (Lancet).",
    "Remission rates (defined as MADRS ≤ 10) were lower than response rates.",
    "Doses of 0.5 mg/kg (range 0.2–1.0) were used in most trials.",
    "Benefits fade within two weeks (JAMA Psychiatry) for many people.",
    "Slices (thin sections of living tissue (usually from mice)) were studied.",
    "Depression is the leading cause of disability worldwide (WHO) today.",
    "Insurance coverage (in the US, at least) varies widely.",
    "Some trials (2019a, 2019b) used esketamine.",
    # Schwartz–Hearst matches "medical records": its D, D fall inside words, not on word starts.
    "Data came from medical records (MDD).",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_find_abbreviations_ignores_citations_asides_and_numbers(text: str) -> None:
    assert find_abbreviations(text) == []


def test_abbreviation_start_is_where_the_definition_begins() -> None:
    text = (
        "Intro. Levels of brain-derived neurotrophic factor (BDNF) rise, "
        "and TrkB (tropomyosin receptor kinase B) responds."
    )
    found = find_abbreviations(text)
    assert [a.short for a in found] == ["BDNF", "TrkB"]
    assert text[found[0].start :].startswith("brain-derived neurotrophic factor (BDNF)")
    assert text[found[1].start :].startswith("TrkB (tropomyosin")


def test_only_the_first_definition_of_a_short_form_is_kept() -> None:
    text = "Default mode network (DMN) here. Later the dorsal medial network (DMN) is different."
    assert pairs(find_abbreviations(text)) == {("DMN", "Default mode network")}


def test_definitions_do_not_reach_across_paragraphs() -> None:
    assert find_abbreviations("treatment-resistant depression\n\n(TRD) appears later.") == []


def test_baseline_finds_long_form_then_short_form() -> None:
    assert pairs(
        find_abbreviations_baseline("It is used for treatment-resistant depression (TRD) now.")
    ) == {("TRD", "treatment-resistant depression")}


def test_baseline_swaps_to_short_form_first_when_the_parenthesis_has_more_than_two_words() -> None:
    found = find_abbreviations_baseline("Levels of BDNF (brain-derived neurotrophic factor) rise.")
    assert pairs(found) == {("BDNF", "brain-derived neurotrophic factor")}


def test_baseline_refuses_long_forms_over_the_word_limit() -> None:
    # AMPA: 4 characters allow min(4 + 5, 4 * 2) = 8 words; the chemical name has 9.
    text = "It acts on α-amino-3-hydroxy-5-methyl-4-isoxazolepropionic acid (AMPA) receptors."
    assert find_abbreviations_baseline(text) == []


def test_baseline_keeps_capitalised_words_as_short_forms() -> None:
    text = "A larger follow-up across eleven centres was reported the next year (Lancet)."
    assert [a.short for a in find_abbreviations_baseline(text)] == ["Lancet"]


def load_evaluation() -> list[tuple[str, str, set[tuple[str, str]]]]:
    gold = json.loads((EVALUATION / "gold.json").read_text(encoding="utf-8"))
    return [
        (name, (EVALUATION / name).read_text(encoding="utf-8"), set(expected.items()))
        for name, expected in gold.items()
        if not name.startswith("_")
    ]


def score(finder, passages) -> tuple[float, float, float, list[str]]:  # type: ignore[no-untyped-def]
    true = false_pos = false_neg = 0
    errors = []
    for name, text, gold in passages:
        found = {(a.short, " ".join(a.long.split())) for a in finder(text)}
        true += len(found & gold)
        false_pos += len(found - gold)
        false_neg += len(gold - found)
        errors += [f"{name}: extra {p}" for p in sorted(found - gold)]
        errors += [f"{name}: missed {p}" for p in sorted(gold - found)]
    precision = true / (true + false_pos) if true + false_pos else 0.0
    recall = true / (true + false_neg) if true + false_neg else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, errors


def test_evaluation_set_has_at_least_12_passages_with_gold_pairs() -> None:
    passages = load_evaluation()
    assert len(passages) >= 12
    assert all(gold for _, _, gold in passages)
    tricky = "".join(text for _, text, _ in passages)
    for needle in ("(n = ", "(p < 0.05)", "(2022)", "(see Figure 2)", "(Mayo Clinic)", "(Nature"):
        assert needle in tricky


def test_find_abbreviations_beats_the_schwartz_hearst_baseline_on_the_evaluation_set() -> None:
    passages = load_evaluation()
    base_p, base_r, base_f, base_errors = score(find_abbreviations_baseline, passages)
    p, r, f, errors = score(find_abbreviations, passages)
    report = (
        f"Schwartz–Hearst baseline: precision {base_p:.3f} recall {base_r:.3f} F1 {base_f:.3f}; "
        f"ketaread: precision {p:.3f} recall {r:.3f} F1 {f:.3f}; "
        f"ketaread errors: {errors}; baseline errors: {base_errors}"
    )
    print(report)
    assert p >= 0.96, report
    assert r >= 0.85, report
    assert f >= base_f, report


# -- finding terms -----------------------------------------------------------------------------


def keys(hits) -> list[str]:  # type: ignore[no-untyped-def]
    return [hit.key for hit in hits]


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Ketamine blocks NMDA receptors.", "NMDA receptor"),
        ("Most people start on SSRIs.", "SSRI"),
        ("Stress shrinks dendritic spines.", "dendritic spines"),
        ("Two meta-analyses agree.", "meta-analysis"),
        ("These therapies use the Default Mode Network idea.", "default mode network"),
        ("It regulates long term potentiation.", "long-term potentiation"),
        ("The mTOR pathway.", "mTOR"),
        ("Ketamine’s effect.", "ketamine"),
        ("_Ketamine_ acts fast.", "ketamine"),
        ("The default mode\nnetwork quiets.", "default mode network"),
    ],
)
def test_find_terms_matches_plurals_case_and_spelling_variants(
    glossary: Glossary, text: str, term: str
) -> None:
    expected = glossary.lookup(term)
    assert expected is not None
    assert expected.key in keys(find_terms(text, glossary, []))


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("The mtor pathway, written wrongly.", "mTOR"),  # acronyms keep their case
        ("Nmda receptors in lower case.", "NMDA receptor"),
        ("GABAergic neurons.", "GABA"),  # no partial words
        ("Esketamine alone.", "ketamine"),
        ("An antidepressants-free week.", "SSRI"),
        ("ECTOPIC and TMSx are not terms.", "ECT"),
    ],
)
def test_find_terms_respects_case_and_word_boundaries(
    glossary: Glossary, text: str, absent: str
) -> None:
    term = glossary.lookup(absent)
    assert term is not None
    assert term.key not in keys(find_terms(text, glossary, []))


def test_find_terms_prefers_the_longest_name(glossary: Glossary) -> None:
    hits = find_terms("An NMDA receptor antagonist such as ketamine.", glossary, [])
    assert keys(hits) == [term_key("NMDA receptor antagonist"), "ketamine"]


def test_find_terms_lists_each_term_once_in_order_of_first_use(glossary: Glossary) -> None:
    hits = find_terms("BDNF and ketamine, then BDNF again and TrkB.", glossary, [])
    assert keys(hits) == ["bdnf", "ketamine", "trkb"]


def test_article_definition_of_a_glossary_term_is_marked_as_from_the_article(
    glossary: Glossary,
) -> None:
    text = "The anterior cingulate (ACC) matters; the ACC is busy."
    abbreviations = [Abbreviation("ACC", "anterior cingulate", 4)]
    curated = glossary.lookup("ACC")
    assert curated is not None
    [hit] = [h for h in find_terms(text, glossary, abbreviations) if h.key == curated.key]
    assert (hit.origin, hit.expansion, hit.definition) == (
        "article",
        "anterior cingulate",
        curated.definition,
    )


def test_article_abbreviation_missing_from_the_glossary_gets_its_own_hit(
    glossary: Glossary,
) -> None:
    text = "Treatment as usual (TAU) was the comparison; TAU arms improved less."
    hits = find_terms(text, glossary, find_abbreviations(text))
    [hit] = [h for h in hits if h.term == "TAU"]
    assert (hit.key, hit.expansion, hit.origin) == ("tau", "Treatment as usual", "article")
    assert "Treatment as usual" in hit.definition and "not in the glossary" in hit.definition


def test_article_meaning_wins_over_a_different_curated_meaning(glossary: Glossary) -> None:
    # The glossary's ACC is the anterior cingulate cortex; this article means something else.
    text = "The American College of Cardiology (ACC) issued advice; ACC members agreed."
    hits = find_terms(text, glossary, find_abbreviations(text))
    acc = [h for h in hits if h.term == "ACC"]
    assert len(acc) == 1 and acc[0].expansion == "American College of Cardiology"
    assert acc[0].origin == "article"
    assert acc[0].key == "acc-article"  # never the key of the glossary's ACC


def test_article_plural_short_form_also_matches_the_singular(glossary: Glossary) -> None:
    text = "Odds ratios (ORs) were large; one OR was 3."
    hits = find_terms(text, glossary, find_abbreviations(text))
    assert [h.term for h in hits] == ["ORs"]


def test_term_hit_to_json_has_the_four_display_fields(glossary: Glossary) -> None:
    [hit] = find_terms("ketamine", glossary, [])
    assert hit.to_json() == {
        "term": "ketamine",
        "expansion": "",
        "definition": glossary.lookup("ketamine").definition,  # type: ignore[union-attr]
        "origin": "curated",
    }


# -- marking terms in Markdown -----------------------------------------------------------------


def test_mark_terms_links_the_first_occurrence_per_section(glossary: Glossary) -> None:
    markdown = "Ketamine and ketamine.\n\n## Next\n\nMore ketamine, and ketamine.\n"
    marked = mark_terms(markdown, glossary, [])
    assert marked == (
        "[Ketamine](ketaread://term/ketamine) and ketamine.\n\n## Next\n\n"
        "More [ketamine](ketaread://term/ketamine), and ketamine.\n"
    )


def test_mark_terms_every_links_every_occurrence(glossary: Glossary) -> None:
    marked = mark_terms("Ketamine and ketamine; NMDA receptors.", glossary, [], every=True)
    assert marked_texts(marked) == ["Ketamine", "ketamine", "NMDA receptors"]


def test_mark_terms_uses_quoted_keys_and_keeps_the_text_as_written(glossary: Glossary) -> None:
    marked = mark_terms("Two NMDA Receptors.", glossary, [])
    assert marked == "Two [NMDA Receptors](ketaread://term/nmda%20receptor)."


def test_mark_terms_links_article_abbreviations(glossary: Glossary) -> None:
    markdown = (
        "Treatment as usual (TAU) was the comparison.\n\n# Results\n\nTAU arms improved less.\n"
    )
    marked = mark_terms(markdown, glossary, find_abbreviations(markdown))
    assert marked_texts(marked) == ["Treatment as usual", "TAU"]
    assert "(ketaread://term/tau)" in marked


@pytest.mark.parametrize(
    "markdown",
    [
        "See [the ketamine page](https://example.org/ketamine).",
        'See [x](https://example.org/ketamine "ketamine").',
        "An image: ![ketamine molecule](ketamine.png).",
        "A reference link [about ketamine][1].\n\n[1]: https://example.org/ketamine",
        "An autolink <https://example.org/ketamine>.",
        "A bare URL https://example.org/ketamine-and-bdnf here.",
        "Plain www.ketamine.example here.",
        "Inline `ketamine` code.",
        "Inline ``ketamine ` BDNF`` code.",
        "```\nketamine\n```",
        "~~~~python\nketamine = 1\n~~~~",
        "Before:\n\n    ketamine in an indented block\n",
        "# Ketamine heading",
        "Ketamine heading\n================",
        "Ketamine heading\n---",
        "> ## Ketamine quoted heading",
        'Raw <span title="ketamine">html</span> tag.',
        "<!-- ketamine -->",
        "<pre>\nketamine\n</pre>",
        "[![ketamine](k.png)](https://example.org/ketamine)",
        "Mail ketamine@example.org now.",
    ],
)
def test_mark_terms_never_marks_inside_protected_markdown(
    glossary: Glossary, markdown: str
) -> None:
    marked = mark_terms(markdown, glossary, [], every=True)
    assert "ketamine" not in [t.lower() for t in marked_texts(marked)], marked


def test_mark_terms_marks_text_around_protected_parts(glossary: Glossary) -> None:
    markdown = "Ketamine: see [a link](https://x.org/ketamine) and `ketamine`, then BDNF.\n"
    marked = mark_terms(markdown, glossary, [], every=True)
    assert marked_texts(marked) == ["Ketamine", "BDNF"]


def test_mark_terms_marks_list_items_quotes_and_tables(glossary: Glossary) -> None:
    markdown = "- ketamine in a list\n\n> BDNF in a quote\n\n| glutamate | x |\n|---|---|\n"
    assert marked_texts(mark_terms(markdown, glossary, [])) == ["ketamine", "BDNF", "glutamate"]


def test_mark_terms_marks_list_continuations_but_not_indented_code(glossary: Glossary) -> None:
    markdown = "- item\n\n    ketamine continues the item\n\nText.\n\n    BDNF code\n"
    assert marked_texts(mark_terms(markdown, glossary, [])) == ["ketamine"]


def test_mark_terms_changes_nothing_but_the_inserted_links(glossary: Glossary) -> None:
    passages = load_evaluation()
    markdown = "\n\n".join(f"## {name}\n\n{text}" for name, text, _ in passages)
    markdown += "\n\n```\nketamine\n```\n\nSee [ketamine](https://x.org) and `BDNF`.\n"
    marked = mark_terms(markdown, glossary, find_abbreviations(markdown), every=True)
    assert marked != markdown
    assert unmark(marked) == markdown


def test_mark_terms_leaves_hostile_markdown_without_terms_unchanged(glossary: Glossary) -> None:
    markdown = "[" * 5000 + "`" * 3000 + "<" * 3000 + "](" * 2000 + "x" * 10000
    assert mark_terms(markdown, glossary, []) == markdown


def test_mark_terms_does_not_turn_a_term_after_a_bang_into_an_image(glossary: Glossary) -> None:
    assert mark_terms("Wow!ketamine", glossary, []) == "Wow!ketamine"


# -- printing ----------------------------------------------------------------------------------


def test_format_definition_shows_term_expansion_definition_related_and_origin(
    glossary: Glossary,
) -> None:
    term = glossary.lookup("NMDA receptor")
    assert term is not None
    text = format_definition(term)
    lines = text.splitlines()
    flat = " ".join(text.split())
    assert lines[0] == "NMDA receptor (N-methyl-D-aspartate receptor)"
    assert flat.count(" ".join(term.definition.split())) == 1
    assert "Also: " + ", ".join(term.aliases) in flat
    assert "Related: " + ", ".join(term.related) in flat
    assert all(len(line) <= 78 for line in lines)
    assert lines[-1] == "From: ketaread's glossary"


def test_format_definition_shows_source_and_user_origin(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[term]]\nterm = "Synapse pruning"\ndefinition = "Removal of synapses."\n'
        'source = "Adapted from MeSH scope note (NLM, 2024)"\n',
    )
    term = load_glossary(path).lookup("synapse pruning")
    assert term is not None
    lines = format_definition(term).splitlines()
    assert "Source: Adapted from MeSH scope note (NLM, 2024)" in lines
    assert lines[-1] == "From: your glossary file"
