"""The study layer through the real command line: highlights that survive a re-fetch,
study data that outlives a removed source, a corrupt cache and a newer one, reviews, exports."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from tests.conftest import RunCli

PARAGRAPH_BEFORE = "<p>Ketamine is an old anaesthetic.</p>"
CHANGED_BEFORE = "<p>Ketamine, first made in 1962, is an anaesthetic still used in surgery.</p>"
TARGET = "At low doses it blocks NMDA receptors on inhibitory interneurons."
AFTER = "<p>This disinhibits pyramidal cells. Then BDNF rises within hours.</p>"

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Study feed</title><link>https://example.org/</link>
<description>d</description>
<item><title>How ketamine acts</title><link>https://example.org/acts</link>
<guid>acts-1</guid><description><![CDATA[{body}]]></description></item>
</channel></rss>
"""


class Cli:
    """run_cli that checks the exit status and that nothing crashed."""

    def __init__(self, run_cli: RunCli) -> None:
        self._run = run_cli

    def __call__(self, *args: str, status: int | None = 0) -> tuple[str, str]:
        code, out, err = self._run(*args)
        assert "Traceback" not in err + out, err
        shown = f"ketaread {' '.join(args)} -> {code}\n{out}\n{err}"
        assert status is None or code == status, shown
        return out, err


@pytest.fixture
def cli(run_cli: RunCli) -> Cli:
    """The CLI runner with the standard checks."""
    return Cli(run_cli)


def write_feed(path: Path, *paragraphs: str) -> None:
    path.write_text(FEED.format(body="".join(paragraphs)), encoding="utf-8")


@pytest.fixture
def article(cli: Cli, tmp_path: Path) -> tuple[Path, str]:
    """A local feed added and refreshed; the feed file and its one article's key."""
    feed = tmp_path / "feeds" / "study.xml"
    feed.parent.mkdir()
    write_feed(feed, PARAGRAPH_BEFORE, f"<p>{TARGET}</p>", AFTER)
    cli("add", str(feed))
    cli("refresh")
    out, _ = cli("list", "--json")
    (row,) = [a for a in json.loads(out) if a["title"] == "How ketamine acts"]
    return feed, row["id"]


def show(cli: Cli, key: str) -> dict:
    out, _ = cli("show", key, "--json")
    return json.loads(out)


def export(cli: Cli, fmt: str) -> str:
    out, _ = cli("notes", "export", "--format", fmt)
    return out


def test_highlight_then_show_json_lists_it(cli: Cli, article: tuple[Path, str]) -> None:
    """`highlight --json` prints the highlight; `show --json` lists it anchored, with the note."""
    _feed, key = article
    out, _ = cli(
        "highlight",
        key,
        "--quote",
        "blocks NMDA receptors",
        "--note",
        "key point",
        "--color",
        "method",
        "--json",
    )
    made = json.loads(out)
    assert made["quote"] == "blocks NMDA receptors" and made["color"] == "method"
    cli("note", key, "Read again before the seminar.")
    shown = show(cli, key)
    (highlight,) = shown["highlights"]
    assert set(highlight) == {"id", "quote", "color", "note", "created", "anchored"}
    assert highlight["anchored"] is True and highlight["note"] == "key point"
    assert shown["notes"] == [{"text": "Read again before the seminar."}]


def test_a_quote_not_in_the_article_is_refused(cli: Cli, article: tuple[Path, str]) -> None:
    """One clear line, nothing saved."""
    _feed, key = article
    _out, err = cli("highlight", key, "--quote", "words that are not there", status=1)
    assert "not in the article" in err
    assert show(cli, key)["highlights"] == []


def test_a_refetch_with_a_changed_paragraph_before_keeps_the_highlight_attached(
    cli: Cli, article: tuple[Path, str]
) -> None:
    """The feed file rewritten with another first paragraph, `refresh`: still anchored."""
    feed, key = article
    cli("highlight", key, "--quote", TARGET)
    write_feed(feed, CHANGED_BEFORE, f"<p>{TARGET}</p>", AFTER)
    cli("refresh")
    shown = show(cli, key)
    assert "first made in 1962" in shown["markdown"]  # the body did change
    assert [h["anchored"] for h in shown["highlights"]] == [True]


def test_a_deleted_passage_is_detached_but_listed_and_exported(
    cli: Cli, article: tuple[Path, str]
) -> None:
    """The highlighted paragraph gone from the feed: shown as not anchored, still exported."""
    feed, key = article
    cli("highlight", key, "--quote", TARGET, "--note", "gone later")
    write_feed(feed, PARAGRAPH_BEFORE, AFTER)
    cli("refresh")
    shown = show(cli, key)
    assert TARGET not in shown["markdown"]
    assert [(h["quote"], h["anchored"]) for h in shown["highlights"]] == [(TARGET, False)]
    assert TARGET in export(cli, "markdown")
    assert TARGET in export(cli, "csv")


def test_removing_the_source_keeps_study_data_exportable(
    cli: Cli, article: tuple[Path, str]
) -> None:
    """`remove` the source: its highlight and note are still exported, title and link kept."""
    feed, key = article
    cli("highlight", key, "--quote", TARGET)
    cli("note", key, "My note on it.")
    cli("remove", str(feed))
    cli("show", key, status=1)  # gone from the cache
    markdown = export(cli, "markdown")
    assert TARGET in markdown and "My note on it." in markdown
    assert "How ketamine acts" in markdown and "https://example.org/acts" in markdown
    data = json.loads(export(cli, "json"))
    assert [h["quote"] for h in data["highlights"]] == [TARGET]


def test_a_corrupt_cache_leaves_study_data_there_and_exportable(
    cli: Cli, article: tuple[Path, str], tmp_db: Path
) -> None:
    """Garbage written over the cache (moved aside by the cache's recovery): the study file
    is another file, still whole, still exported."""
    _feed, key = article
    cli("highlight", key, "--quote", TARGET)
    tmp_db.write_bytes(b"\x00garbage\xff" * 4096)
    for extra in (Path(f"{tmp_db}-wal"), Path(f"{tmp_db}-shm")):
        extra.unlink(missing_ok=True)
    # Whatever the cache's policy does with it (moved aside, recovered or refused), with a
    # message and no traceback:
    _out, err = cli("list", status=None)
    assert "cache" in err
    out, _ = cli("notes", "export", "--format", "json")
    assert [h["quote"] for h in json.loads(out)["highlights"]] == [TARGET]
    assert TARGET in export(cli, "csv")


def test_a_newer_schema_cache_leaves_the_study_file_untouched(
    cli: Cli, article: tuple[Path, str], tmp_db: Path
) -> None:
    """A cache from a newer ketaread is refused; the study file's bytes do not change and
    it is still exported."""
    _feed, key = article
    cli("highlight", key, "--quote", TARGET)
    study = tmp_db.with_name(f"{tmp_db.stem}.study.db")
    db = sqlite3.connect(tmp_db)
    db.execute("PRAGMA user_version = 999")
    db.commit()
    db.close()
    before = study.read_bytes()
    cli("list", status=1)
    cli("show", key, status=1)
    assert study.read_bytes() == before
    assert TARGET in export(cli, "csv")


def test_a_corrupt_study_file_is_refused_naming_its_backup(
    cli: Cli, article: tuple[Path, str], tmp_db: Path
) -> None:
    """Garbage in the study file: one line naming the file and the backup; file kept as is."""
    _feed, key = article
    cli("highlight", key, "--quote", TARGET)  # closing makes the first backup
    study = tmp_db.with_name(f"{tmp_db.stem}.study.db")
    backup = Path(f"{study}.bak")
    assert backup.exists()
    garbage = b"not sqlite " * 1000
    study.write_bytes(garbage)
    Path(f"{study}-wal").unlink(missing_ok=True)
    _out, err = cli("highlight", key, "--quote", TARGET, status=1)
    assert str(backup) in err
    assert study.read_bytes() == garbage
    assert backup.exists()


def test_learn_and_review_answer_schedule_with_fsrs(
    cli: Cli, article: tuple[Path, str], tmp_db: Path
) -> None:
    """`learn NMDA` makes cards; `review --answer ID good` takes it out of the due list and
    further out than `again` does; both reviews recorded."""
    cli("learn", "NMDA")
    due = json.loads(cli("review", "--json")[0])
    assert due and {"id", "kind", "front", "back", "source", "due"} <= set(due[0])
    first, second = due[0]["id"], due[1]["id"]
    cli("review", "--answer", str(first), "good")
    cli("review", "--answer", str(second), "1")  # the review screen's key for again
    remaining = {c["id"] for c in json.loads(cli("review", "--json")[0])}
    assert first not in remaining and second not in remaining
    db = sqlite3.connect(tmp_db.with_name(f"{tmp_db.stem}.study.db"))
    due_at = dict(db.execute("SELECT id, due FROM card").fetchall())
    ratings = db.execute("SELECT card, rating FROM review ORDER BY id").fetchall()
    db.close()
    assert due_at[first] > due_at[second]  # good (10 min step) beyond again (1 min)
    assert ratings == [(first, 3), (second, 1)]
    _out, err = cli("review", "--answer", str(first), "perfect", status=1)
    assert "again, hard, good" in err


def test_exports_write_files_and_never_replace_anothers(
    cli: Cli, article: tuple[Path, str], tmp_path: Path
) -> None:
    """--out writes the files; a file of the same name that ketaread did not write stays."""
    _feed, key = article
    cli("highlight", key, "--quote", TARGET)
    out_dir = tmp_path / "vault"
    cli("notes", "export", "--format", "anki", "--out", str(out_dir))
    anki = out_dir / "ketaread-anki.txt"
    assert anki.read_text(encoding="utf-8").startswith("#separator:tab\n")
    cli("notes", "export", "--format", "anki", "--out", str(out_dir))  # ours: replaced
    mine = out_dir / "ketaread-readwise.csv"
    mine.write_text("my own spreadsheet\n", encoding="utf-8")
    _out, err = cli("notes", "export", "--format", "csv", "--out", str(out_dir), status=1)
    assert "not written by ketaread" in err
    assert mine.read_text(encoding="utf-8") == "my own spreadsheet\n"


def test_json_export_imports_into_an_empty_study_file(
    cli: Cli, article: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`notes export --format json` then `notes import` into another study file."""
    _feed, key = article
    cli("highlight", key, "--quote", TARGET, "--note", "n")
    cli("learn", "NMDA")
    exported = tmp_path / "study.json"
    exported.write_text(export(cli, "json"), encoding="utf-8")
    monkeypatch.setenv("KETAREAD_STUDY", str(tmp_path / "other.study.db"))
    out, _ = cli("notes", "import", str(exported))
    # One of each in the right number (found in the trial: "imported 1 highlights, 1 notes").
    assert out.startswith("imported 1 highlight, 0 notes, 1 term, "), out
    again = json.loads(export(cli, "json"))
    assert [h["quote"] for h in again["highlights"]] == [TARGET]
    assert len(again["cards"]) == len(json.loads(exported.read_text())["cards"])


def test_highlight_color_takes_a_configured_label_and_stores_the_key(
    cli: Cli, article: tuple[Path, str], tmp_config: Path
) -> None:
    """`--color result` (finding renamed in [highlight]) saves "finding"; an unknown name is
    refused naming the choices."""
    _feed, key = article
    text = tmp_config.read_text(encoding="utf-8")
    tmp_config.write_text(text + '\n[highlight.finding]\nlabel = "Result"\n', encoding="utf-8")
    out, _ = cli("highlight", key, "--quote", "blocks NMDA receptors", "--color", "result")
    assert out.startswith("highlighted (Result)")
    (highlight,) = show(cli, key)["highlights"]
    assert highlight["color"] == "finding"
    assert '"color": "finding"' in export(cli, "json")
    _out, err = cli("highlight", key, "--quote", "blocks", "--color", "pink", status=None)
    assert "--color must be one of finding (Result), method" in err


def test_markdown_export_front_matter_has_the_articles_tags_and_date(
    cli: Cli, tmp_path: Path
) -> None:
    """Found by a new user: the README promised tags in the front matter and the export
    never wrote them; its date was the first highlight's, not the article's."""
    feed = tmp_path / "tagged.xml"
    feed.write_text(
        FEED.format(body=f"<p>{TARGET}</p>").replace(
            "<guid>acts-1</guid>",
            "<guid>acts-1</guid><category>Glutamate</category>"
            "<pubDate>Tue, 11 Feb 2025 09:00:00 GMT</pubDate>",
        ),
        encoding="utf-8",
    )
    cli("add", str(feed), "--tag", "neuroscience")
    cli("refresh")
    (row,) = json.loads(cli("list", "--json")[0])
    cli("highlight", row["id"], "--quote", "blocks NMDA receptors")
    front = export(cli, "markdown").split("---")[1]
    assert 'tags: ["Glutamate", "neuroscience"]' in front
    assert "date: 2025-02-11" in front


def test_a_quote_with_brackets_and_stars_is_found_as_the_reader_shows_it(
    cli: Cli, tmp_path: Path
) -> None:
    """A sentence citing "[1]" (or holding "*" or "_") is highlighted as it reads, and its
    quote is kept and exported without Markdown's escapes (found in the trial: the article's
    text held "\\[1\\]", so the passage was "not in the article's text", the sentence cursor
    was not drawn on it, and a saved quote exported its backslashes)."""
    feed = tmp_path / "feeds" / "cited.xml"
    feed.parent.mkdir()
    write_feed(
        feed,
        "<p>Esketamine is a nasal spray for adults [1]. It blocks NMDA receptors [2,3].</p>",
        "<p>Response was 5*2 times the placebo_rate in one trial.</p>",
    )
    cli("add", str(feed))
    cli("refresh")
    out, _ = cli("list", "--json")
    (key,) = [a["id"] for a in json.loads(out)]
    for quote in ("adults [1]. It blocks NMDA receptors [2,3].", "5*2 times the placebo_rate"):
        out, _ = cli("highlight", key, "--quote", quote, "--json")
        assert json.loads(out)["quote"] == quote
    assert [h["anchored"] for h in show(cli, key)["highlights"]] == [True, True]
    for fmt in ("json", "csv", "anki"):
        assert "adults [1]." in export(cli, fmt), fmt
