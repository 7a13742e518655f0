"""The curated standard (sources, no advice, certainty) and `ketaread glossary check/export`."""

from __future__ import annotations

import csv
import io
import json
import tomllib
from pathlib import Path

import pytest

from cli_support import cli
from ketaread.core.glossary import CERTAINTIES, load_glossary
from ketaread.core.glossary_check import (
    MAX_DEFINITION,
    SOURCE_KINDS,
    check_glossary_data,
    curated_data,
    export_terms,
    gives_advice,
)

SAFETY_TERMS = {"suicidal ideation", "suicidality", "suicide", "self-harm"}


def entries() -> list[dict]:
    return tomllib.loads(curated_data().decode("utf-8"))["term"]


# -- the schema test: every entry sourced, no definition that advises --------------------------


def test_every_curated_entry_has_at_least_one_source_of_a_known_kind() -> None:
    unsourced = [e["term"] for e in entries() if not e.get("sources")]
    assert unsourced == []
    kinds = {s.split(":", 1)[0].split(" ")[0] for e in entries() for s in e["sources"]}
    assert kinds <= {k.split(" ")[0] for k in SOURCE_KINDS}


def test_no_curated_definition_gives_advice() -> None:
    texts = [(e["term"], e["definition"]) for e in entries()]
    texts += [(e["term"], s["definition"]) for e in entries() for s in e.get("senses", [])]
    assert [term for term, text in texts if gives_advice(text)] == []


@pytest.mark.parametrize(
    "text",
    [
        "If you have them, contact a crisis line now.",
        "Patients should ask their doctor first.",
        "Call your doctor before stopping.",
        "Do not stop taking it suddenly.",
    ],
)
def test_advice_is_recognised(text: str) -> None:
    assert gives_advice(text)


def test_curated_definitions_are_short_and_certainties_are_known() -> None:
    for entry in entries():
        assert len(entry["definition"]) <= MAX_DEFINITION, entry["term"]
        assert entry.get("certainty", "established") in CERTAINTIES, entry["term"]


def test_the_safety_terms_are_flagged_and_no_other_is() -> None:
    flagged = {e["term"] for e in entries() if e.get("safety")}
    assert flagged == SAFETY_TERMS


def test_the_two_wrong_entries_no_longer_claim_what_the_evidence_does_not_show() -> None:
    glossary = load_glossary()
    dmn = glossary.lookup("default mode network")
    ideation = glossary.lookup("suicidal ideation")
    assert dmn is not None and ideation is not None
    assert dmn.certainty == "debated" and "loosen" not in dmn.definition
    assert any("30979801" in s for s in dmn.sources)
    assert "within hours in some people" not in ideation.definition
    assert "crisis" not in ideation.definition.lower()  # the safety line says that, apart
    assert ideation.safety


def test_the_curated_file_passes_the_check() -> None:
    report = check_glossary_data(curated_data(), "built-in glossary")
    assert report.problems == []
    assert len(report.terms) >= 200


# -- what the check catches --------------------------------------------------------------------


def bad(text: str) -> list[str]:
    return check_glossary_data(text.encode(), "test.toml").problems


def test_check_reports_each_kind_of_problem() -> None:
    problems = bad(
        '[[term]]\nterm = "alpha"\ndefinition = "A thing."\n'
        '[[term]]\nterm = "beta"\ndefinition = "If you feel low, you should call a doctor."\n'
        'sources = ["Blog: someone, 2020"]\nrelated = ["gamma"]\n'
        '[[term]]\nterm = "delta"\naliases = ["alpha"]\ndefinition = "' + "x" * 301 + '"\n'
        'sources = ["MeSH: Delta (scope note)", "Paper: Smith, Nature 2020; PMID abc"]\n'
        '[[term]]\nterm = "eta"\ndefinition = "In mice it is thought to act on X."\n'
        'sources = ["Paper: Doe J, Cell 2019"]\nnot_in = ["eta"]\n'
    )
    text = "\n".join(problems)
    assert "'alpha': has no source" in text
    assert "'beta': definition gives advice" in text
    assert "source kind 'Blog'" in text
    assert "related name 'gamma' is not in the glossary" in text
    assert "'delta': definition is 301 characters" in text
    assert "needs its year" in text
    assert "PMID that is not a number" in text
    assert "'alpha' is matched by alpha, delta" in text
    assert "'eta': makes a tentative mechanism claim but has no certainty" in text
    assert "not_in 'eta' must be longer" in text


def test_check_reports_a_file_the_loader_refuses_in_one_line() -> None:
    problems = bad('[[term]]\nterm = "x"\ndefinition = "y"\ncertainty = "sure"\n')
    assert len(problems) == 1 and "'certainty' must be one of" in problems[0]


# -- the commands ------------------------------------------------------------------------------


def test_glossary_check_command_passes_on_the_shipped_data(tmp_path: Path) -> None:
    result = cli(tmp_path / "c.db", tmp_path / "config.toml", "glossary", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "built-in glossary:" in result.stdout and "no problems" in result.stdout


def test_glossary_check_command_fails_on_a_bad_user_glossary(tmp_path: Path) -> None:
    (tmp_path / "glossary.toml").write_text(
        '[[term]]\nterm = "my note"\ndefinition = "You should rest."\n', encoding="utf-8"
    )
    result = cli(tmp_path / "c.db", tmp_path / "config.toml", "glossary", "check")
    assert result.returncode == 1
    assert "'my note': has no source" in result.stdout
    assert "'my note': definition gives advice" in result.stdout


def test_glossary_export_csv_has_a_row_per_entry_with_sources(tmp_path: Path) -> None:
    result = cli(tmp_path / "c.db", tmp_path / "config.toml", "glossary", "export")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(load_glossary())
    by_term = {row["term"]: row for row in rows}
    assert "Yan CG" in by_term["default mode network"]["sources"]
    assert by_term["dissociation"]["senses"].startswith("symptom: ")
    assert by_term["suicide"]["safety"] == "yes"


def test_glossary_export_json_round_trips_every_field(tmp_path: Path) -> None:
    result = cli(
        tmp_path / "c.db", tmp_path / "config.toml", "glossary", "export", "--format", "json"
    )
    rows = json.loads(result.stdout)
    assert len(rows) == len(load_glossary())
    nmda = next(r for r in rows if r["term"] == "NMDA receptor")
    assert nmda["certainty"] == "debated" and nmda["sources"]


def test_csv_cells_never_start_a_spreadsheet_formula() -> None:
    glossary = load_glossary()
    term = glossary.lookup("ketamine")
    assert term is not None
    from dataclasses import replace

    hostile = replace(term, definition='=HYPERLINK("http://x")', aliases=("@x", "-y"))
    row = list(csv.reader(io.StringIO(export_terms([hostile], "csv"))))[1]
    assert row[4].startswith("'=") and row[2] == "'@x\n-y"


def test_a_user_entry_replacing_a_suicide_term_keeps_the_crisis_line(tmp_path: Path) -> None:
    path = tmp_path / "glossary.toml"
    path.write_text(
        '[[term]]\nterm = "self-harm"\ndefinition = "My own words."\n'
        'sources = ["Book: my notes, 2026"]\n',
        encoding="utf-8",
    )
    term = load_glossary(path).lookup("self-harm")
    assert term is not None and term.origin == "user" and term.safety


def test_glossary_check_file_option_checks_that_file_on_top_of_the_built_in_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        '[[term]]\nterm = "my term"\ndefinition = "A note."\nrelated = ["ketamine"]\n'
        'sources = ["MeSH 2025: Ketamine (scope note)"]\n',
        encoding="utf-8",
    )
    result = cli(
        tmp_path / "c.db", tmp_path / "config.toml", "glossary", "check", "--file", str(path)
    )
    assert result.returncode == 0, result.stdout
    assert f"{path}: 1 entries checked, no problems" in result.stdout
