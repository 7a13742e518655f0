"""`ketaread search`: the JSON contract, clear errors, saved searches, check and rebuild."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import RunCli

KEYS = {"id", "title", "feed", "published", "snippet", "highlights", "score", "matched"}


def test_search_json_finds_articles_that_only_say_the_abbreviation(run_cli: RunCli) -> None:
    """The issue's "done when": the long form finds the sample articles that say only BDNF."""
    assert run_cli("refresh")[0] == 0
    code, out, err = run_cli(
        "search", "--json", "--limit", "50", "brain-derived neurotrophic factor"
    )
    assert code == 0, err
    results = json.loads(out)
    assert all(set(r) == KEYS for r in results)
    via = [
        r
        for r in results
        if {"term": "brain-derived neurotrophic factor", "via": "BDNF"} in r["matched"]
    ]
    assert {r["title"] for r in via} == {
        "What “Integration” Means in Ketamine-Assisted Therapy",
        "The Default Mode Network: The Brain at Rest Is Not Idle",
    }
    first = results[0]
    assert first["score"] >= results[-1]["score"]
    start, end = first["highlights"][0]
    assert first["snippet"][start:end].lower() in ("bdnf", "brain-derived neurotrophic factor")


def test_search_text_output_says_what_matched_through_an_expansion(run_cli: RunCli) -> None:
    run_cli("refresh")
    code, out, _ = run_cli("search", "--limit", "50", "N-methyl-D-aspartate")
    assert code == 0
    assert "»" in out


def test_a_bad_query_gives_one_line_and_status_1(run_cli: RunCli) -> None:
    run_cli("refresh")
    code, out, err = run_cli("search", "is:lost")
    assert code == 1 and out == ""
    assert err.strip().count("\n") == 0 and "is:unread" in err and "Traceback" not in err


def test_hostile_queries_never_print_a_traceback(run_cli: RunCli) -> None:
    run_cli("refresh")
    for query in ('"unbalanced', "NEAR(", "ketamine AND", "[/]", "*", "("):
        code, _, err = run_cli("search", "--", query)
        assert code in (0, 1) and "Traceback" not in err and "fts5" not in err


def test_save_puts_the_search_in_the_config_and_saved_lists_its_count(
    run_cli: RunCli, tmp_config: Path
) -> None:
    run_cli("refresh")
    code, out, err = run_cli("search", "--save", "BDNF reading", "BDNF +neuroscience")
    assert code == 0, err
    assert 'name = "BDNF reading"' in tmp_config.read_text(encoding="utf-8")
    code, out, _ = run_cli("search", "--saved")
    assert out.splitlines() == ["BDNF reading\t3\tBDNF +neuroscience"]
    code, _, err = run_cli("search", "--save", "bad", "is:lost")
    assert code == 1 and "bad" not in tmp_config.read_text(encoding="utf-8").split("BDNF")[-1]


def test_saving_under_a_name_in_use_says_it_replaced_it_in_its_place(
    run_cli: RunCli, tmp_config: Path
) -> None:
    """It said "saved search 'bdnf'" and moved the new query to the end, the old one gone
    without a word."""
    run_cli("refresh")
    for name, query in (("bdnf", "BDNF"), ("nmda", "NMDA")):
        assert run_cli("search", "--save", name, query)[0] == 0
    code, out, err = run_cli("search", "--save", "bdnf", "BDNF +neuroscience")
    assert code == 0, err
    assert out.startswith("replaced saved search 'bdnf': BDNF +neuroscience (was: BDNF)")
    _, out, _ = run_cli("search", "--saved")
    assert [line.split("\t")[::2] for line in out.splitlines()] == [
        ["bdnf", "BDNF +neuroscience"],
        ["nmda", "NMDA"],
    ]


def test_an_empty_save_name_is_refused_not_run_as_a_search(run_cli: RunCli) -> None:
    run_cli("refresh")
    code, out, err = run_cli("search", "--save", "", "BDNF")
    assert code == 1 and out == ""
    assert "the name is empty" in err


def test_saving_a_search_before_any_source_keeps_the_samples_standing_in(
    run_cli: RunCli, tmp_config: Path, tmp_path: Path
) -> None:
    """Found by a new user: `search --save` with no config wrote the samples' install path
    into the new config as a source, so they stayed subscribed for good (and the path
    breaks on upgrade). Now the config holds the search and no source; the samples still
    stand in until the first `add`, which keeps the search."""
    assert run_cli("search", "--save", "receptors", "NMDA")[0] == 0
    written = tmp_config.read_text(encoding="utf-8")
    assert "sample_feeds" not in written and "location" not in written
    code, out, _ = run_cli("sources")
    assert code == 0 and "sample feeds" in out
    assert "--full-text" not in out  # no advice to re-add the bundled samples
    feed = tmp_path / "mine.xml"
    feed.write_text(
        '<rss version="2.0"><channel><title>Mine</title><item><title>One</title>'
        "<guid>1</guid><description>Text</description></item></channel></rss>",
        encoding="utf-8",
    )
    code, out, err = run_cli("add", str(feed))
    assert code == 0, err
    assert "no longer read" in out and "stay cached" not in out  # none were ever cached
    written = tmp_config.read_text(encoding="utf-8")
    assert "mine.xml" in written and "sample_feeds" not in written
    assert 'name = "receptors"' in written


def test_check_and_rebuild(run_cli: RunCli, tmp_db: Path) -> None:
    run_cli("refresh")
    assert run_cli("search", "--check")[1].strip() == "search index: ok"
    import sqlite3

    conn = sqlite3.connect(tmp_db)
    conn.execute("DELETE FROM search_state WHERE article_id IN (SELECT id FROM articles LIMIT 3)")
    conn.commit()
    conn.close()
    code, out, _ = run_cli("search", "--check")
    assert code == 1 and "3 of 16 articles not indexed" in out
    code, out, err = run_cli("search", "--rebuild")
    assert code == 0 and "16/16" in err
    assert run_cli("search", "--check")[0] == 0
