"""The command line in the daily routine: mark, refresh one source, and no dead ends."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "ui"))
from big_cache import FEEDS, feed_xml, write_feeds

from ketaread.core.clean import author_name

RunCli = object


def ok(run_cli, *args: str, status: int = 0) -> tuple[str, str]:
    """Run `ketaread *args`: no traceback, the expected status; (stdout, stderr)."""
    code, out, err = run_cli(*args)
    assert "Traceback" not in err + out, err
    assert code == status, f"{args} -> {code}\n{out}\n{err}"
    return out, err


@pytest.fixture
def feeds(tmp_path: Path, tmp_config: Path) -> list[Path]:
    """Four feeds of 10 articles each, configured."""
    paths = write_feeds(tmp_path / "feeds", per_feed=10)
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text(
        "".join(
            f'[[source]]\nlocation = "{path}"\ntitle = "{FEEDS[i][0]}"\n'
            for i, path in enumerate(paths)
        ),
        encoding="utf-8",
    )
    return paths


@pytest.fixture
def refreshed(run_cli, feeds: list[Path]) -> list[Path]:
    """The four feeds refreshed into the cache."""
    ok(run_cli, "refresh")
    return feeds


def listed(run_cli, *args: str) -> list[dict]:
    out, _ = ok(run_cli, "list", "--json", *args)
    return json.loads(out)


def test_mark_articles_read_and_unread_prints_only_what_changed(
    run_cli,
    refreshed: list[Path],
) -> None:
    ids = [a["id"] for a in listed(run_cli)[:3]]
    out, _ = ok(run_cli, "mark", ids[0], ids[1], "--read", "--json")
    changed = json.loads(out)
    assert [a["id"] for a in changed] == ids[:2]
    assert all(a["read"] for a in changed)
    out, _ = ok(run_cli, "mark", *ids, "--read", "--json")
    assert [a["id"] for a in json.loads(out)] == ids[2:]
    assert len(listed(run_cli, "--unread")) == 40 - 3
    out, _ = ok(run_cli, "mark", ids[0][:8], "--unread")
    assert "marked 1 of 1 article unread" in out
    ok(run_cli, "mark", ids[1], "--star")
    assert [a["id"] for a in listed(run_cli, "--starred")] == [ids[1]]
    ok(run_cli, "mark", ids[1], "--unstar")
    assert listed(run_cli, "--starred") == []


def test_mark_all_of_a_tag_or_a_feed(run_cli, refreshed: list[Path]) -> None:
    out, _ = ok(run_cli, "mark", "--all", "--tag", "safety", "--read", "--json")
    changed = json.loads(out)
    in_tag = listed(run_cli, "--tag", "safety")
    assert {a["id"] for a in changed} == {a["id"] for a in in_tag} and len(changed) == 5
    assert all(a["read"] for a in listed(run_cli, "--tag", "safety"))
    out, _ = ok(run_cli, "mark", "--all", "--feed", "Synapse Weekly", "--star", "--json")
    assert len(json.loads(out)) == 10
    assert {a["feed"] for a in listed(run_cli, "--starred")} == {"Synapse Weekly"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--read",), "give article ids"),
        (("--all", "--read"), "--all needs --tag T or --feed F"),
        (("--all", "--tag", "nope", "--read"), "no tag named 'nope'"),
        (("--all", "--feed", "nope", "--read"), "no cached feed named 'nope'"),
        (("ffffffffffff", "--read"), "no article with id"),
    ],
)
def test_mark_mistakes_are_one_clear_line(
    run_cli,
    refreshed: list[Path],
    args: tuple[str, ...],
    says: str,
) -> None:
    _, err = ok(run_cli, "mark", *args, status=1)
    assert says in err and len(err.strip().splitlines()) == 1, err


def test_refresh_one_source_reads_only_it(run_cli, refreshed: list[Path]) -> None:
    for feed, path in enumerate(refreshed):
        path.write_text(feed_xml(feed, 12, first=-2), encoding="utf-8")
    out, _ = ok(run_cli, "refresh", "Synapse Weekly")
    assert out.count("\n") == 2 and "1 feed checked: 2 new" in out
    out, _ = ok(run_cli, "refresh", str(refreshed[1]))
    assert "1 feed checked: 2 new" in out
    assert len(listed(run_cli)) == 44
    _, err = ok(run_cli, "refresh", "Nothing Like It", status=1)
    assert "not a configured source" in err


@pytest.mark.parametrize(
    "command", [("list",), ("tags",), ("show", "abc"), ("mark", "a", "--read")]
)
def test_reading_commands_refuse_a_missing_cache_and_create_nothing(
    run_cli,
    tmp_path: Path,
    command: tuple[str, ...],
) -> None:
    missing = tmp_path / "nowhere" / "deeper" / "x.db"
    _, err = ok(run_cli, "--db", str(missing), *command, status=1)
    assert f"there is no cache at {missing}" in err and "ketaread refresh" in err
    assert not (tmp_path / "nowhere").exists()


def test_sources_without_a_cache_lists_the_config_and_creates_nothing(
    run_cli,
    feeds: list[Path],
    tmp_path: Path,
) -> None:
    missing = tmp_path / "nowhere" / "x.db"
    out, _ = ok(run_cli, "--db", str(missing), "sources")
    assert "never refreshed" in out
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("127.0.0.1:8765/feed.xml", "write https://127.0.0.1:8765/feed.xml"),
        ("localhost:8080/rss", "write https://localhost:8080/rss"),
        ("example.org/feed.xml", "write https://example.org/feed.xml"),
        ("ftp://example.org/feed.xml", "ftp:// sources cannot be read; write an http://"),
        ("gopher://x/1", "gopher:// sources cannot be read"),
    ],
)
def test_add_says_what_to_write_for_a_host_without_scheme_or_another_scheme(
    run_cli,
    tmp_config: Path,
    given: str,
    says: str,
) -> None:
    _, err = ok(run_cli, "add", given, status=1)
    assert says in err, err
    assert "no such file" not in err
    assert not tmp_config.exists()


def test_add_a_missing_plain_path_still_says_no_such_file(run_cli, tmp_path: Path) -> None:
    _, err = ok(run_cli, "add", str(tmp_path / "missing.xml"), status=1)
    assert "no such file or folder" in err


def test_offline_refresh_leaves_failure_markers(run_cli, tmp_config: Path) -> None:
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text('[[source]]\nlocation = "http://127.0.0.1:9/feed.xml"\n')
    ok(run_cli, "refresh", status=1)
    before = json.loads(ok(run_cli, "sources", "--json")[0])[0]["feeds"][0]
    assert before["error"]
    ok(run_cli, "--offline", "refresh")
    after = json.loads(ok(run_cli, "sources", "--json")[0])[0]["feeds"][0]
    assert after["error"] == before["error"] and after["error_at"] == before["error_at"]


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("editor@example.org (Lena Marsh)", "Lena Marsh"),
        ("Lena Marsh <editor@example.org>", "Lena Marsh"),
        ("Lena Marsh", "Lena Marsh"),
        ("editor@example.org", "editor@example.org"),
        ("(only parentheses)", "(only parentheses)"),
    ],
)
def test_author_names(given: str, shown: str) -> None:
    assert author_name(given) == shown


def test_show_prints_the_author_name_not_the_address(
    run_cli,
    refreshed: list[Path],
) -> None:
    first = listed(run_cli)[0]
    assert "@" in first["author"]
    out, _ = ok(run_cli, "show", first["id"])
    byline = out.splitlines()[1]
    assert byline.startswith("Editor ") and "@" not in byline
