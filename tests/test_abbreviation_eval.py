"""The abbreviation finder measured on MED1250 (Ab3P's gold standard) and the batch contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import abbreviation_eval
from ketaread.core.abbreviations import find_abbreviations, find_abbreviations_baseline

SRC = Path(__file__).resolve().parent.parent / "src"


@pytest.fixture(scope="module")
def records() -> list[abbreviation_eval.Record]:
    return abbreviation_eval.load()


def pairs_of(finder):  # type: ignore[no-untyped-def]
    return lambda text: [(a.short, a.long) for a in finder(text)]


def test_med1250_loads_every_record_and_gold_pair(records) -> None:  # type: ignore[no-untyped-def]
    assert len(records) == 1250
    assert sum(len({abbreviation_eval.normal(p) for p in r.gold}) for r in records) == 1199
    assert sum(r.half == "dev" for r in records) == 622


def test_med1250_f1_is_at_least_0_88_with_precision_0_96(records) -> None:  # type: ignore[no-untyped-def]
    evaluation = abbreviation_eval.evaluate(pairs_of(find_abbreviations), records)
    report = f"whole {evaluation.whole}; " + "; ".join(
        f"{half} {score}" for half, score in evaluation.halves.items()
    )
    print(report)
    assert evaluation.whole.f1 >= 0.88, report
    assert evaluation.whole.precision >= 0.96, report
    # The held-out half was never tuned on: it must stay close to the development half.
    assert evaluation.halves["held-out"].f1 >= 0.86, report


def test_med1250_finder_beats_the_schwartz_hearst_baseline(records) -> None:  # type: ignore[no-untyped-def]
    ours = abbreviation_eval.evaluate(pairs_of(find_abbreviations), records).whole
    baseline = abbreviation_eval.evaluate(pairs_of(find_abbreviations_baseline), records).whole
    assert ours.f1 > baseline.f1 + 0.02
    assert ours.precision > baseline.precision


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # long forms that start inside a token, after locants, or hold brackets
        ("treated with 2,4-dinitrophenyl (DNP) groups", ("DNP", "2,4-dinitrophenyl")),
        ("we used prostaglandin E(2) (PGE(2)) here", ("PGE(2)", "prostaglandin E(2)")),
        ("the FEV1/forced vital capacity (FVC) ratio", ("FVC", "forced vital capacity")),
        # the first word kept: not "pump inhibitors"
        ("patients on proton pump inhibitors (PPIs) were", ("PPIs", "proton pump inhibitors")),
        # short forms with a space, a Greek letter, square brackets, a species
        (
            "levels of tumor necrosis factor alpha (TNF alpha) rose",
            ("TNF alpha", "tumor necrosis factor alpha"),
        ),
        ("at 60 days (P < .002; odds ratio [OR] 3.67)", ("OR", "odds ratio")),
        ("resistant Helicobacter pylori (H. pylori) has", ("H. pylori", "Helicobacter pylori")),
        # one letter, lower-case and capitalised short forms
        ("the tonic muscle masseter (M) was", ("M", "masseter")),
        ("heart rate in beats per minute (bpm) fell", ("bpm", "beats per minute")),
        ("the secreted Drosophila Hedgehog (Hh) protein", ("Hh", "Hedgehog")),
        # an acronym with one content word uncovered; a letter with a shared noun
        ("in the Hamilton Anxiety Scale (HAMA) scores", ("HAMA", "Hamilton Anxiety Scale")),
        ("a tRNA exit site (E site) for release", ("E site", "exit site")),
        ("infused into the arcuate nucleus (ARC) of", ("ARC", "arcuate nucleus")),
        # a quantity and its subscript: the qualifier first, then the quantity's word
        ("at low ambient temperature (T(a)) they", ("T(a)", "ambient temperature")),
        ("Ventilation and tidal volume (V(T)) fell", ("V(T)", "tidal volume")),
        ("current and transepithelial resistance (Rt) in", ("Rt", "transepithelial resistance")),
        # a concentration: ion in brackets, subscript for where
        (
            "a rise in intracellular free Ca2+ concentrations ([Ca2+]i) as",
            ("[Ca2+]i", "intracellular free Ca2+ concentrations"),
        ),
        ("the cytosolic calcium level ([Ca2+]c) fell", ("[Ca2+]c", "cytosolic calcium level")),
        # a number ending the long form is a grade, not a measurement
        (
            "by inclusion of distearoylphosphatidyl-ethanolamine-N-poly(ethyleneglycol) 2000"
            " (DSPE-PEG) in",
            ("DSPE-PEG", "distearoylphosphatidyl-ethanolamine-N-poly(ethyleneglycol) 2000"),
        ),
        # (long form, SF) inside one bracket
        (
            "organs (posttransplant lymphoproliferative disorder, PTLD) were",
            ("PTLD", "posttransplant lymphoproliferative disorder"),
        ),
    ],
)
def test_finder_handles_the_med1250_miss_categories(text: str, expected: tuple[str, str]) -> None:
    assert [(a.short, a.long) for a in find_abbreviations(text)] == [expected]


def test_finder_reads_coordinated_modifiers_sharing_a_head_noun() -> None:
    """ "scanning (SEM) and transmission (TEM) electron microscopy": one head, two long forms."""
    found = find_abbreviations(
        "examined by scanning (SEM) and transmission (TEM) electron microscopy and by"
    )
    assert [(a.short, a.long) for a in found] == [
        ("SEM", "scanning electron microscopy"),
        ("TEM", "transmission electron microscopy"),
    ]
    found = find_abbreviations(
        "esters (dimethyl-[DMP], diethyl-[DEP] and di-n-octyl [DnOP] phthalate) in oils"
    )
    assert [(a.short, a.long) for a in found] == [
        ("DMP", "dimethyl-phthalate"),
        ("DEP", "diethyl-phthalate"),
        ("DnOP", "di-n-octyl phthalate"),
    ]
    # No list, no sharing: a lone modifier is not completed by the words after its bracket.
    assert find_abbreviations("by scanning (SEM) electron microscopy") == []
    assert find_abbreviations("the N-[ME] group and the methyl-[ME] ester") == []


@pytest.mark.parametrize(
    "text",
    [
        "thrombosis of the internal carotid artery (A), of the cerebral artery (B) and more",
        "the complex Pt(II) binds",
        # a subscript needs a qualifier word starting with it: not "Rt" after "the"
        "by the resistance (Rt) of",
        # a concentration needs the ion and a concentration word
        "the intracellular pool ([Ca2+]i) rose",
        "with verapamil + 30 microM of nitroglycerin (VP-NTG) added",
        "levels of GM1-ganglioside (GM1) rose",
        "Ketamine may ease depression quickly (National Institutes of Health).",
        "Fear responses start in a small almond-shaped region (the amygdala).",
    ],
)
def test_finder_refuses_labels_names_and_asides(text: str) -> None:
    assert find_abbreviations(text) == []


# -- ketaread abbreviations --jsonl ------------------------------------------------------------


def run_jsonl(stdin: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "ketaread", "abbreviations", "--jsonl", *args],
        input=stdin,
        capture_output=True,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )


def test_jsonl_writes_one_line_per_input_in_order(records, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sample = records[:200]
    lines = [json.dumps({"id": r.pmid, "text": r.text}) for r in sample]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_jsonl(b"", str(path))
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert [o["id"] for o in out] == [r.pmid for r in sample]
    for o, r in zip(out, sample, strict=True):
        assert o["pairs"] == [[a.short, a.long] for a in find_abbreviations(r.text)]
    assert any(o["pairs"] for o in out)


def test_jsonl_reports_bad_lines_by_number_and_carries_on() -> None:
    stdin = (
        b'{"id": 1, "text": "cystic fibrosis (CF) in"}\n'
        b"not json\n"
        b"\n"
        b"[1, 2]\n"
        b'{"id": 5}\n'
        b'{"text": "no id"}\n'
        b"\xff\xfe\n"
        b'{"id": "last", "text": "tumor necrosis factor (TNF) rose"}\n'
    )
    result = run_jsonl(stdin)
    assert result.returncode == 1
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert out == [
        {"id": 1, "pairs": [["CF", "cystic fibrosis"]]},
        {"id": "last", "pairs": [["TNF", "tumor necrosis factor"]]},
    ]
    errors = result.stderr.decode().splitlines()
    assert [e.split(":")[1].strip() for e in errors] == [
        "stdin line 2",
        "stdin line 4",
        "stdin line 5",
        "stdin line 6",
        "stdin line 7",
    ]
    assert "Traceback" not in result.stderr.decode()


def test_jsonl_refuses_a_folder_with_one_line(tmp_path: Path) -> None:
    result = run_jsonl(b"", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.decode().strip() == f"ketaread: {tmp_path}: not a regular file"


@pytest.mark.parametrize(
    "text",
    [
        "word(ABC)" * 30_000,  # one 270,000-character token: look-backs must be bounded
        "(" * 50_000 + ")" * 50_000,
        "ab (cd (ef (GH) ij) kl) " * 5_000,
        "[a](b)[c](d) " * 10_000,
        "methyl-[MX], ethyl-[EX] and " * 10_000,  # one endless list of coordinated modifiers
    ],
    ids=["no-spaces", "deep-nesting", "nested-asides", "markdown-links", "endless-list"],
)
def test_finder_returns_on_pathological_text(text: str) -> None:
    assert find_abbreviations(text) == []
