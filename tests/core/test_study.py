"""The study layer's core: anchors that survive changed text, the study file's safety,
FSRS scheduling, exports and the lossless JSON round trip."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ketaread.core.study import (
    Anchor,
    ArticleRef,
    StudyError,
    StudyStore,
    next_status,
    place_highlights,
)
from ketaread.core.study.anchors import attach, find_quote, make_anchor
from ketaread.core.study.cards import new_schedule, review
from ketaread.core.study.export import (
    READWISE_COLUMNS,
    by_article,
    to_anki_tsv,
    to_markdown,
    to_readwise_csv,
)
from ketaread.core.study.store import APPLICATION_ID, NewCard

INTRO = "Ketamine is an old anaesthetic. "
TARGET = "At subanaesthetic doses it blocks NMDA receptors on inhibitory interneurons."
AFTER = " This disinhibits pyramidal cells and releases glutamate. Then BDNF rises."
TEXT = INTRO + TARGET + AFTER


def anchor_of(text: str, quote: str) -> Anchor:
    found = find_quote(text, quote)
    assert found is not None
    return found


# -- anchors ------------------------------------------------------------------------


def test_an_unchanged_text_attaches_exactly() -> None:
    """Same text: the highlight is where it was."""
    anchor = anchor_of(TEXT, TARGET)
    placed = attach(anchor, TEXT)
    assert placed is not None and placed.how == "exact"
    assert TEXT[placed.start : placed.end] == TARGET


def test_a_changed_paragraph_before_the_highlight_moves_it() -> None:
    """A paragraph rewritten before the highlight shifts its offsets: found as moved."""
    anchor = anchor_of(TEXT, TARGET)
    changed = "Ketamine, first made in 1962, is an anaesthetic used in surgery. " + TARGET + AFTER
    placed = attach(anchor, changed)
    assert placed is not None and placed.how == "moved"
    assert changed[placed.start : placed.end] == TARGET


def test_the_context_picks_the_right_one_of_two_identical_quotes() -> None:
    """The same words twice: the prefix and suffix choose the highlighted occurrence."""
    text = "First part. It blocks NMDA receptors. Middle. Second part: It blocks NMDA receptors."
    second = text.rindex("It blocks")
    anchor = make_anchor(text, second, second + len("It blocks NMDA receptors."))
    moved = "A new opening sentence. " + text
    placed = attach(anchor, moved)
    assert placed is not None
    assert placed.start == moved.rindex("It blocks")


def test_an_edited_highlighted_sentence_attaches_fuzzily() -> None:
    """The highlighted sentence itself edited a little: found as the passage most like it."""
    anchor = anchor_of(TEXT, TARGET)
    edited_target = (
        "At subanaesthetic doses it blocks the NMDA receptors of inhibitory interneurons."
    )
    edited = INTRO + edited_target + AFTER
    placed = attach(anchor, edited)
    assert placed is not None and placed.how == "fuzzy"
    found = edited[placed.start : placed.end]
    assert "NMDA receptors of inhibitory" in found
    assert "anaesthetic." not in found  # not the sentence before


def test_a_deleted_passage_is_detached() -> None:
    """The passage is gone: None (detached), never a wrong place."""
    anchor = anchor_of(TEXT, TARGET)
    assert attach(anchor, INTRO + AFTER) is None


def test_detached_highlights_are_still_listed(tmp_path: Path) -> None:
    """place_highlights keeps a highlight it cannot place, marked not anchored."""
    study = StudyStore(tmp_path / "s.study.db")
    study.add_highlight(ArticleRef("k1", "T"), anchor_of(TEXT, TARGET), "finding")
    placed = place_highlights(study, "k1", INTRO + AFTER)
    assert len(placed) == 1 and not placed[0].anchored
    assert place_highlights(study, "k1", TEXT)[0].anchored


# -- the study file -------------------------------------------------------------------


def test_the_study_file_is_marked_as_ours_and_in_wal(tmp_path: Path) -> None:
    """application_id and WAL: another program's SQLite file is not mistaken for it."""
    path = tmp_path / "s.study.db"
    StudyStore(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_another_sqlite_file_is_refused_and_untouched(tmp_path: Path) -> None:
    """A SQLite file that is not a study file: refused, its bytes unchanged."""
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE mine (x)")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(StudyError, match="not a ketaread study file"):
        StudyStore(path)
    assert path.read_bytes() == before


def test_a_corrupt_study_file_is_refused_naming_the_backup_and_left_as_it_is(
    tmp_path: Path,
) -> None:
    """Garbage in the study file: a message naming the backup; not moved, not rewritten."""
    path = tmp_path / "s.study.db"
    study = StudyStore(path)
    study.add_highlight(ArticleRef("k1", "T"), anchor_of(TEXT, TARGET), "finding")
    assert study.backup(force=True)
    study.close()
    garbage = b"this is not a database at all " * 200
    path.write_bytes(garbage)
    for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        extra.unlink(missing_ok=True)
    with pytest.raises(StudyError) as raised:
        StudyStore(path)
    assert str(path) + ".bak" in str(raised.value)
    assert path.read_bytes() == garbage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.study.db", "s.study.db.bak"]
    # The backup is whole and holds the highlight.
    restored = StudyStore(Path(str(path) + ".bak"))
    assert [h.quote for h in restored.highlights()] == [TARGET]


def test_a_newer_study_file_is_refused(tmp_path: Path) -> None:
    """Written by a newer ketaread: refused, untouched."""
    path = tmp_path / "s.study.db"
    StudyStore(path).close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(StudyError, match="newer"):
        StudyStore(path)
    assert path.read_bytes() == before


def test_the_backup_is_made_at_most_daily(tmp_path: Path) -> None:
    """close() makes a backup when none is fresh, and not again the same day."""
    path = tmp_path / "s.study.db"
    study = StudyStore(path)
    study.add_highlight(ArticleRef("k1", "T"), anchor_of(TEXT, TARGET), "finding")
    study.close()
    backup = Path(str(path) + ".bak")
    assert backup.exists()
    made = backup.stat().st_mtime
    study = StudyStore(path)
    assert not study.backup()
    study.close()
    assert backup.stat().st_mtime == made


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from ketaread.core.study import ArticleRef, StudyStore
    from ketaread.core.study.anchors import Anchor
    from ketaread.core.study.store import NewCard
    study = StudyStore(Path(sys.argv[1]))
    print("ready", flush=True)
    i = 0
    while True:
        i += 1
        quote = f"quote number {i} " + "x" * 2000
        study.add_highlight(
            ArticleRef(f"k{i}", f"title {i}"), Anchor(quote, "p", "s", 0, len(quote)),
            "finding", "note " * 200,
            card=lambda h, q=quote: NewCard(f"highlight:{h}", "cloze", q, "x", "{}", 0.0),
        )
    """
)


def test_kill_9_during_writes_leaves_a_whole_file_with_complete_rows(tmp_path: Path) -> None:
    """A process killed mid-loop of writes: the file opens, integrity ok, every highlight
    has its card (they are written in one transaction), every row complete."""
    path = tmp_path / "s.study.db"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, env=env
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == b"ready"
    time.sleep(1.5)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    study = StudyStore(path)
    assert study._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    highlights = study.highlights()
    assert len(highlights) > 3
    cards = {c.source for c in study.cards()}
    for highlight in highlights:
        assert highlight.quote.endswith("x" * 2000)
        assert highlight.note == "note " * 200
        assert f"highlight:{highlight.id}" in cards


# -- cards ------------------------------------------------------------------------------


def test_good_pushes_due_forward_and_again_keeps_it_soon() -> None:
    """FSRS: 'good' twice lands days ahead; 'again' keeps the card within the hour."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    schedule, due = new_schedule(now)
    assert due == now.timestamp()
    good, good_due = review(schedule, "good", now)
    later = now + timedelta(seconds=good_due - now.timestamp())
    _good2, good2_due = review(good, "good", later)
    _again, again_due = review(good, "again", later)
    assert good2_due - later.timestamp() > 24 * 3600
    assert again_due - later.timestamp() < 3600
    with pytest.raises(ValueError):
        review(schedule, "perfect", now)


def test_statuses_cycle_new_learning_known() -> None:
    """One key steps new → learning → known → new."""
    assert [next_status(s) for s in (None, "new", "learning", "known")] == [
        "learning",
        "learning",
        "known",
        "new",
    ]


# -- exports ----------------------------------------------------------------------------


def filled_store(path: Path, skip_ids: bool = False) -> StudyStore:
    study = StudyStore(path)
    if skip_ids:  # another article's highlight first: an import into an empty file in
        # another order renumbers them
        study.add_highlight(ArticleRef("zz", "Z"), anchor_of(TEXT, INTRO.strip()), "question")
    ref = ArticleRef("abc123", 'Ketamine: "fast" [/] relief', "https://example.org/a", "Feed")
    schedule, due = new_schedule()
    study.add_highlight(
        ref,
        anchor_of(TEXT, TARGET),
        "method",
        "my note\nline two",
        card=lambda h: NewCard(
            f"highlight:{h}", "cloze", "It blocks […] receptors", "NMDA", schedule, due
        ),
    )
    study.set_article_note(ref, "Whole-article note")
    study.set_term_status(
        "nmda",
        "NMDA receptor",
        "learning",
        [NewCard("term:nmda", "term", '"NMDA"\treceptor', "A glutamate receptor", schedule, due)],
    )
    return study


def test_markdown_front_matter_is_key_value_yaml(tmp_path: Path) -> None:
    """Front matter between --- fences, each line `key: value` with a JSON/YAML string."""
    study = filled_store(tmp_path / "s.study.db")
    (article,) = by_article(study)
    text = to_markdown(article, tags=["ketamine"])
    lines = text.splitlines()
    assert lines[0] == "---"
    end = lines.index("---", 1)
    front = {}
    for line in lines[1:end]:
        key, _, value = line.partition(": ")
        front[key] = value
    assert json.loads(front["title"]) == 'Ketamine: "fast" [/] relief'
    assert json.loads(front["source"]) == "https://example.org/a"
    assert front["date"] == time.strftime("%Y-%m-%d", time.gmtime())
    assert front["tags"] == '["ketamine"]'
    assert "==NMDA==" in text  # the cloze in Obsidian's syntax
    assert "> " + TARGET in text and "my note" in text and "Whole-article note" in text


def test_anki_tsv_has_the_documented_header_lines(tmp_path: Path) -> None:
    """Anki's header lines, then tab-separated rows Anki's CSV reader splits as written."""
    study = filled_store(tmp_path / "s.study.db")
    text = to_anki_tsv(study.cards())
    lines = text.splitlines()
    assert lines[:5] == [
        "#separator:tab",
        "#html:false",
        "#notetype:Basic",
        "#deck:ketaread",
        "#tags column:3",
    ]
    rows = list(csv.reader(io.StringIO("\n".join(lines[5:])), delimiter="\t"))
    assert ['"NMDA" receptor', "A glutamate receptor", "ketaread ketaread::term"] in rows
    assert ["It blocks _____ receptors", "NMDA", "ketaread ketaread::cloze"] in rows


def test_readwise_csv_columns(tmp_path: Path) -> None:
    """Readwise's columns, in its order, and the highlight's fields under them."""
    study = filled_store(tmp_path / "s.study.db")
    rows = list(csv.DictReader(io.StringIO(to_readwise_csv(study.highlights()))))
    assert READWISE_COLUMNS == ("Highlight", "Title", "Author", "URL", "Note", "Location", "Date")
    assert list(rows[0]) == list(READWISE_COLUMNS)
    assert rows[0]["Highlight"] == TARGET
    assert rows[0]["Note"] == "my note\nline two"
    assert rows[0]["URL"] == "https://example.org/a"


def _without_ids(dump: dict) -> dict:
    """A dump with its row ids replaced by what they point at."""
    highlights = {h["id"]: h["quote"] for h in dump["highlights"]}
    out = json.loads(json.dumps(dump))
    for h in out["highlights"]:
        del h["id"]
    cards = {}
    for c in out["cards"]:
        if c["source"].startswith("highlight:"):
            c["source"] = "highlight:" + highlights[int(c["source"].split(":")[1])]
        cards[c.pop("id")] = c["source"]
    for r in out["reviews"]:
        del r["id"]
        r["card"] = cards[r["card"]]
    return out


def test_json_export_then_import_into_an_empty_file_is_lossless(tmp_path: Path) -> None:
    """dump → load into a new file → dump: equal but for row ids (cloze sources follow)."""
    first = filled_store(tmp_path / "a.study.db", skip_ids=True)
    card = first.cards()[0]
    schedule, due = review(card.schedule, "good")
    first.record_review(card.id, 3, schedule, due)
    dumped = json.loads(json.dumps(first.dump()))
    second = StudyStore(tmp_path / "b.study.db")
    # The highlights in the other order: the cloze card's highlight gets another id.
    dumped["highlights"].reverse()
    added = second.load(dumped)
    dumped["highlights"].reverse()
    assert added == {"highlights": 2, "notes": 1, "terms": 1, "cards": 2, "reviews": 1}
    assert _without_ids(second.dump()) == _without_ids(dumped)
    # The cloze card names the imported highlight's new id.
    highlight = next(h for h in second.highlights() if h.quote == TARGET)
    assert any(c.source == f"highlight:{highlight.id}" for c in second.cards())
    # Importing again adds nothing.
    assert set(second.load(dumped).values()) == {0}


def test_import_refuses_what_is_not_a_study_export(tmp_path: Path) -> None:
    """Another JSON document: refused with the reason."""
    with pytest.raises(StudyError, match="not a ketaread study export"):
        StudyStore(tmp_path / "s.study.db").load({"format": "something"})


def test_a_cloze_hides_the_highlighted_words_in_their_sentence_only() -> None:
    """The card's sentence stops at the sentence's end and at a line break (a heading)."""
    from ketaread.core.study import sentence_around, sentence_spans
    from ketaread.core.study.cards import highlight_card

    text = "Glutamate: the go signal\n\nFirst one. It blocks NMDA receptors. Last one."
    at = text.index("NMDA")
    sentence = sentence_around(text, at, at + 4)
    assert sentence == "It blocks NMDA receptors."
    card = highlight_card(7, "NMDA", sentence)
    assert (card.front, card.back, card.source) == (
        "It blocks […] receptors.",
        "NMDA",
        "highlight:7",
    )
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Glutamate: the go signal",
        "First one.",
        "It blocks NMDA receptors.",
        "Last one.",
    ]


def test_known_terms_are_unmarked_and_others_kept() -> None:
    """unmark_terms turns a known term's links back to text; other links stay."""
    from ketaread.core.links import term_link
    from ketaread.core.study import unmark_terms

    markdown = (
        f"The [NMDA]({term_link('nmda-receptor')}) receptor and "
        f"[BDNF]({term_link('bdnf')}) and [NMDA]({term_link('nmda-receptor')}) again."
    )
    out = unmark_terms(markdown, ["nmda-receptor"])
    assert out == f"The NMDA receptor and [BDNF]({term_link('bdnf')}) and NMDA again."


def test_an_article_abbreviation_is_learnt_by_its_meaning(tmp_path: Path) -> None:
    """Its status and card are keyed by short and long form: the same short form with
    another meaning is another entry; learning twice makes one card; import keeps it."""
    from ketaread.core.abbreviations import find_abbreviations
    from ketaread.core.glossary import load_glossary
    from ketaread.core.study import (
        abbreviation_key,
        article_abbreviation_keys,
        set_abbreviation_status,
    )
    from ketaread.core.study.store import dump_json

    study = StudyStore(tmp_path / "study.db")
    set_abbreviation_status(study, "PD", "Parkinson's  disease", "learning")
    set_abbreviation_status(study, "PD", "Parkinson's disease", "learning")
    set_abbreviation_status(study, "PD", "pharmacodynamics", "known")
    statuses = study.term_statuses()
    assert statuses[abbreviation_key("PD", "parkinson's disease")] == "learning"
    assert statuses[abbreviation_key("PD", "Pharmacodynamics")] == "known"
    (card,) = study.cards()
    assert (card.front, card.back, card.article) == ("PD = ?", "Parkinson's disease", "")
    copy = StudyStore(tmp_path / "copy.db")
    assert copy.load(json.loads(dump_json(study)))["cards"] == 1
    assert copy.term_statuses() == statuses

    glossary = load_glossary(None)
    text = "The Larkspur Recovery Index (LRI) rose. The anterior cingulate cortex (ACC) too."
    keys = article_abbreviation_keys(glossary, find_abbreviations(text))
    # ACC is the glossary's own term here: learnt as that term, not as an abbreviation.
    assert keys == {"lri": abbreviation_key("LRI", "Larkspur Recovery Index")}


def test_abbreviation_cards_ask_for_what_the_expansion_answers(tmp_path: Path) -> None:
    """Found by a new user: "NMDA = ?" was answered "N-methyl-D-aspartate receptor"; and the
    shortest alias made "HAMD = ?" of HAM-D and "STARD = ?" of STAR*D."""
    from ketaread.core.glossary import load_glossary
    from ketaread.core.study import set_term_status

    glossary = load_glossary()
    study = StudyStore(tmp_path / "s.study.db")
    for name in ("NMDA receptor", "HAM-D", "STAR*D", "PET scan", "BDNF"):
        term = glossary.lookup(name)
        assert term is not None, name
        set_term_status(study, term, "learning")
    fronts = {c.front: c.back for c in study.cards() if c.kind == "abbreviation"}
    assert fronts["NMDA receptor = ?"] == "N-methyl-D-aspartate receptor"
    assert "HAM-D = ?" in fronts and "STAR*D = ?" in fronts
    assert fronts["PET = ?"] == "positron emission tomography"
    assert fronts["BDNF = ?"] == "brain-derived neurotrophic factor"
    study.close()


def test_a_whole_sentence_cloze_hides_a_three_letter_acronym() -> None:
    """A highlight of a whole sentence hides its acronym, however short ("TRD", "DMN"), not
    the longest word (found in the trial: "treatment-resistant" was hidden, its "(TRD)" and
    "depression" left beside the blank)."""
    from ketaread.core.study.cards import highlight_card

    sentence = "Esketamine is a nasal spray for treatment-resistant depression (TRD) in adults."
    card = highlight_card(3, sentence, sentence)
    assert card.back == "TRD"
    assert card.front == sentence.replace("TRD", "[…]")
    # One capital letter is a word, not an acronym: the longest word is hidden then.
    plain = "A gate for the chemical messenger glutamate."
    assert highlight_card(4, plain, plain).back == "messenger"
