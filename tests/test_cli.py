"""Every command through the real entry point (`python -m ketaread`), in a subprocess."""

from __future__ import annotations

import gc
import io
import json
import os
import re
import shutil
import sqlite3
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from ketaread.cli import run
from ketaread.core.parse import sniff
from ketaread.core.store import Store

LIST_KEYS = {"id", "title", "link", "feed", "tags", "published", "read", "starred"}
SHOW_KEYS = {"id", "title", "link", "feed", "author", "published", "tags", "markdown"}
TAG_KEYS = {"name", "count", "unread"}

RunCli = Callable[..., tuple[int, str, str]]

FEED = (
    '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>{title}</title>'
    "<link>https://example.org/</link>"
    "<item><title>AMPA and glutamate</title><link>https://example.org/ampa</link>"
    "<guid>ampa</guid><pubDate>Tue, 10 Jun 2025 10:00:00 +0000</pubDate>"
    "<category>Depression</category><category>AMPA</category>"
    "<description>&lt;p&gt;Glutamate surge (National Institutes of Health).&lt;/p&gt;"
    "</description></item>"
    "<item><title>Habenula notes</title><link>https://example.org/lhb</link>"
    "<guid>lhb</guid><pubDate>Wed, 11 Jun 2025 10:00:00 +0000</pubDate>"
    "<category>depression</category>"
    "<description>Burst firing.</description></item>"
    "<item><title>Default mode network</title><link>https://example.org/dmn</link>"
    "<guid>dmn</guid><pubDate>Thu, 12 Jun 2025 10:00:00 +0000</pubDate>"
    "<category>Depression</category><category>DMN</category>"
    "<description>Rumination.</description></item>"
    "</channel></rss>"
)
TEXT_ARTICLE = "Integration sessions after ketamine\n\nWhat people talk about afterwards.\n"


def forbidden(text: str) -> list[str]:
    """Control, C1, bidi and zero-width characters in `text`."""
    return [
        f"U+{ord(c):04X}"
        for c in text
        if (ord(c) < 0x20 and c not in "\n\t")
        or 0x7F <= ord(c) <= 0x9F
        or 0x200B <= ord(c) <= 0x200F
        or 0x202A <= ord(c) <= 0x202E
        or 0x2066 <= ord(c) <= 0x2069
    ]


class Cli:
    """run_cli with the checks every invocation must pass: no traceback, ever."""

    def __init__(self, run_cli: RunCli) -> None:
        self._run = run_cli

    def __call__(self, *args: str, status: int | None = 0) -> tuple[int, str, str]:
        """Run `ketaread *args`; check the exit status (when given) and that nothing crashed."""
        code, out, err = self._run(*args)
        assert "Traceback" not in err, err
        assert "Traceback" not in out, out
        if status is not None:
            assert code == status, f"ketaread {' '.join(args)} -> {code}\n{out}\n{err}"
        return code, out, err

    def json(self, *args: str) -> object:
        """Run a --json command and parse what it prints."""
        _code, out, _err = self(*args, "--json")
        return json.loads(out)


@pytest.fixture
def cli(run_cli: RunCli) -> Cli:
    """The CLI runner with the standard checks."""
    return Cli(run_cli)


@pytest.fixture
def feed_file(tmp_path: Path) -> Path:
    """A small RSS feed on disk."""
    path = tmp_path / "data" / "feed.xml"
    path.parent.mkdir()
    path.write_text(FEED.format(title="Test feed"), encoding="utf-8")
    return path


def one_error_line(err: str) -> str:
    """The only non-empty line of stderr."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def config_sources(path: Path) -> list[dict]:
    """The [[source]] tables of a config file."""
    return tomllib.loads(path.read_text(encoding="utf-8")).get("source", [])


# -- defaults: no config file ---------------------------------------------------------------


def test_with_no_config_file_the_bundled_sample_feeds_are_read(
    cli: Cli, sample_feeds: Path, tmp_config: Path
) -> None:
    """A fresh install refreshes and lists the bundled samples."""
    _code, out, _err = cli("refresh")
    assert not tmp_config.exists()
    articles = cli.json("list")
    assert len(articles) >= 12
    feed_titles = {a["feed"] for a in articles}
    assert len(feed_titles) >= 4  # three feeds and the loose articles
    assert "0 failed" in out.splitlines()[-1]


def test_sources_json_without_a_config_file_is_valid_json(cli: Cli, sample_feeds: Path) -> None:
    """`sources --json` prints only JSON, even when the sample feeds stand in."""
    sources = cli.json("sources")
    assert [s["location"] for s in sources] == [str(sample_feeds)]
    assert set(sources[0]) >= {"location", "title", "tags", "feeds"}


# -- add / remove / sources -------------------------------------------------------------------


def test_add_a_file_writes_the_config_and_sources_lists_it(
    cli: Cli, feed_file: Path, tmp_config: Path
) -> None:
    """`add FILE` records the absolute path; `sources` shows it as never refreshed."""
    _code, out, _err = cli("add", str(feed_file))
    assert str(feed_file) in out
    assert [s["location"] for s in config_sources(tmp_config)] == [str(feed_file)]
    _code, out, _err = cli("sources")
    assert str(feed_file) in out
    assert "never refreshed" in out


def test_add_a_folder_with_tags_and_title(cli: Cli, tmp_path: Path, tmp_config: Path) -> None:
    """`add FOLDER --tag --tag --title` stores both; refreshed articles carry the tags."""
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "feed.xml").write_text(FEED.format(title="Inner"), encoding="utf-8")
    (folder / "note.txt").write_text(TEXT_ARTICLE, encoding="utf-8")
    cli("add", str(folder), "--tag", "clinic", "--tag", "Reading list", "--title", "My folder")
    [entry] = config_sources(tmp_config)
    assert entry == {
        "location": str(folder),
        "title": "My folder",
        "tags": ["clinic", "Reading list"],
    }
    [source] = cli.json("sources")
    assert (source["title"], source["tags"]) == ("My folder", ["clinic", "Reading list"])
    cli("refresh")
    articles = cli.json("list")
    assert len(articles) == 4
    assert all({"clinic", "Reading list"} <= set(a["tags"]) for a in articles)
    assert {a["feed"] for a in articles} == {"My folder"}
    [source] = cli.json("sources")
    assert sum(f["articles"] for f in source["feeds"]) == 4


def test_adding_the_same_source_twice_merges_its_tags(
    cli: Cli, feed_file: Path, tmp_config: Path
) -> None:
    """A second `add` of one path updates it instead of duplicating it."""
    cli("add", str(feed_file), "--tag", "one")
    cli("add", str(feed_file), "--tag", "two")
    [entry] = config_sources(tmp_config)
    assert entry["tags"] == ["one", "two"]


def test_add_a_missing_path_is_one_clear_error(cli: Cli, tmp_path: Path, tmp_config: Path) -> None:
    """A path that does not exist: exit 1, one line naming it, config untouched."""
    missing = tmp_path / "nowhere.xml"
    _code, out, err = cli("add", str(missing), status=1)
    line = one_error_line(err)
    assert str(missing) in line and "no such file or folder" in line
    assert out == ""
    assert not tmp_config.exists()


def test_add_a_fifo_is_refused_as_add_refuses_a_missing_path(
    cli: Cli, tmp_path: Path, tmp_config: Path
) -> None:
    """A FIFO was added (and every refresh then failed on it): refused at once, config
    untouched, never opened (so never waited on)."""
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    _code, out, err = cli("add", str(fifo), status=1)
    line = one_error_line(err)
    assert str(fifo) in line and "a FIFO (named pipe)" in line
    assert out == ""
    assert not tmp_config.exists()


def test_remove_forgets_the_source_and_its_articles(
    cli: Cli, feed_file: Path, tmp_path: Path, tmp_config: Path
) -> None:
    """`remove SOURCE` drops it from the config and its articles from the cache."""
    other = tmp_path / "other.txt"
    other.write_text(TEXT_ARTICLE, encoding="utf-8")
    cli("add", str(feed_file))
    cli("add", str(other))
    cli("refresh")
    assert len(cli.json("list")) == 4
    _code, out, _err = cli("remove", str(feed_file))
    assert "3 cached articles" in out
    assert [s["location"] for s in config_sources(tmp_config)] == [str(other)]
    assert [a["title"] for a in cli.json("list")] == ["Integration sessions after ketamine"]
    assert [t["name"] for t in cli.json("tags")] == []


def test_remove_an_unknown_source_is_one_clear_error(cli: Cli, feed_file: Path) -> None:
    """Removing what is not configured: exit 1 and one line."""
    cli("add", str(feed_file))
    _code, _out, err = cli("remove", "/not/configured.xml", status=1)
    assert "not a configured or cached source" in one_error_line(err)


# -- refresh ------------------------------------------------------------------------------


def test_refresh_prints_one_line_per_feed_and_a_summary(
    cli: Cli, feed_file: Path, tmp_path: Path
) -> None:
    """Each feed gets a progress line; the last line sums up."""
    second = tmp_path / "second.rss"
    second.write_text(FEED.format(title="Second feed").replace("guid>", "guid>2"), "utf-8")
    cli("add", str(feed_file))
    cli("add", str(second))
    _code, out, _err = cli("refresh")
    lines = out.splitlines()
    assert lines[:-1] == ["+ Test feed: 3 new, 0 updated", "+ Second feed: 3 new, 0 updated"]
    assert lines[-1] == "2 feeds checked: 6 new, 0 updated articles, 0 failed"
    _code, out, _err = cli("refresh")
    assert "Test feed: unchanged" in out


def test_refresh_exits_zero_when_some_sources_fail(
    cli: Cli, feed_file: Path, tmp_path: Path
) -> None:
    """One good source is enough for success; the bad one still gets its line."""
    bad = tmp_path / "bad.xml"
    bad.write_text("placeholder", encoding="utf-8")
    cli("add", str(feed_file))
    cli("add", str(bad))
    bad.unlink()
    _code, out, _err = cli("refresh", status=0)
    assert re.search(r"^! bad\.xml: error — no such file or folder$", out, re.M), out
    assert out.splitlines()[-1].endswith("1 failed")


def test_refresh_exits_non_zero_when_every_source_fails(cli: Cli, tmp_path: Path) -> None:
    """Nothing readable at all: exit 1, each failure named."""
    for name in ("a.xml", "b.xml"):
        (tmp_path / name).write_bytes(b"")
        cli("add", str(tmp_path / name))
    code, out, _err = cli("refresh", status=None)
    assert code != 0
    assert out.count("empty file") == 2


def test_refresh_offline_does_not_fetch_urls(cli: Cli, feed_file: Path) -> None:
    """--offline reads local sources and says so for URLs."""
    cli("add", str(feed_file))
    cli("add", "https://feeds.invalid/rss")
    _code, out, _err = cli("--offline", "refresh")
    assert "Test feed: 3 new" in out
    assert "https://feeds.invalid/rss: offline" in out


# -- list / tags / show ---------------------------------------------------------------------


@pytest.fixture
def refreshed(cli: Cli, feed_file: Path, tmp_path: Path) -> Path:
    """A cache holding the test feed and one text article."""
    article = tmp_path / "data" / "article.txt"
    article.write_text(TEXT_ARTICLE, encoding="utf-8")
    cli("add", str(feed_file.parent))
    cli("refresh")
    return feed_file


def mark(db: Path, title: str, *, read: bool | None = None, starred: bool | None = None) -> None:
    """Mark one article through the core, as the reading screen would."""
    store = Store(db)
    try:
        [row] = [r for r, _ in store.list_articles() if r.title == title]
        if read is not None:
            store.set_read([row.id], read)
        if starred is not None:
            store.set_starred(row.id, starred)
    finally:
        store.close()


def test_list_json_has_the_contract_keys(cli: Cli, refreshed: Path) -> None:
    """Every object has id, title, link, feed, tags, published, read, starred."""
    articles = cli.json("list")
    assert len(articles) == 4
    for entry in articles:
        assert set(entry) >= LIST_KEYS
        assert re.fullmatch(r"[0-9a-f]{12}", entry["id"])
        assert entry["read"] is False and entry["starred"] is False
    by_title = {a["title"]: a for a in articles}
    ampa = by_title["AMPA and glutamate"]
    assert ampa["link"] == "https://example.org/ampa"
    assert ampa["feed"] == "Test feed"
    assert ampa["published"] == "2025-06-10T10:00:00Z"
    assert sorted(ampa["tags"]) == ["AMPA", "Depression"]


def test_list_text_shows_ids_and_titles(cli: Cli, refreshed: Path) -> None:
    """Plain `list` prints one line per article with its id."""
    ids = [a["id"] for a in cli.json("list")]
    _code, out, _err = cli("list")
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ids
    assert any("Habenula notes" in line for line in lines)


def test_list_filters_by_tag_unread_and_starred(cli: Cli, refreshed: Path, tmp_db: Path) -> None:
    """--tag (any case), --unread and --starred narrow the list; they combine."""
    mark(tmp_db, "Habenula notes", read=True)
    mark(tmp_db, "AMPA and glutamate", starred=True)

    def titles(*args: str) -> list[str]:
        return sorted(a["title"] for a in cli.json("list", *args))

    depression = ["AMPA and glutamate", "Default mode network", "Habenula notes"]
    assert titles("--tag", "depression") == depression
    assert titles("--tag", "DEPRESSION") == depression
    assert titles("--tag", "dmn") == ["Default mode network"]
    assert "Habenula notes" not in titles("--unread")
    assert len(titles("--unread")) == 3
    assert titles("--starred") == ["AMPA and glutamate"]
    assert titles("--tag", "Depression", "--unread") == [
        "AMPA and glutamate",
        "Default mode network",
    ]
    starred = [a for a in cli.json("list", "--starred")]
    assert starred[0]["starred"] is True


def test_list_with_an_unknown_tag_is_one_clear_error(cli: Cli, refreshed: Path) -> None:
    """A tag that does not exist says so."""
    _code, _out, err = cli("list", "--tag", "no such tag", status=1)
    assert "no tag named" in one_error_line(err)


def test_tags_json_merges_case_and_counts_unread(cli: Cli, refreshed: Path, tmp_db: Path) -> None:
    """tags --json: name, count, unread; 'Depression' and 'depression' are one tag."""
    mark(tmp_db, "Habenula notes", read=True)
    tags = cli.json("tags")
    for tag in tags:
        assert set(tag) >= TAG_KEYS
    by_name = {t["name"]: (t["count"], t["unread"]) for t in tags}
    assert by_name == {"AMPA": (1, 1), "Depression": (3, 2), "DMN": (1, 1)}
    _code, out, _err = cli("tags")
    assert "Depression" in out


def test_show_json_has_the_contract_keys(cli: Cli, refreshed: Path) -> None:
    """show ID --json gives id, title, link, feed, author, published, tags, markdown."""
    [ampa] = [a for a in cli.json("list") if a["title"] == "AMPA and glutamate"]
    shown = cli.json("show", ampa["id"])
    assert set(shown) >= SHOW_KEYS
    assert (shown["id"], shown["title"], shown["link"], shown["feed"]) == (
        ampa["id"],
        "AMPA and glutamate",
        "https://example.org/ampa",
        "Test feed",
    )
    assert shown["published"] == "2025-06-10T10:00:00Z"
    assert sorted(shown["tags"]) == ["AMPA", "Depression"]
    assert "Glutamate surge (National Institutes of Health)." in shown["markdown"]
    assert "<p>" not in shown["markdown"]


def test_show_prints_markdown_and_accepts_a_unique_prefix(cli: Cli, refreshed: Path) -> None:
    """`show PREFIX` prints the article as Markdown, title first."""
    articles = cli.json("list")
    ids = [a["id"] for a in articles]
    [ampa] = [a for a in articles if a["title"] == "AMPA and glutamate"]
    prefix = next(
        ampa["id"][:n] for n in range(1, 13) if sum(i.startswith(ampa["id"][:n]) for i in ids) == 1
    )
    _code, out, _err = cli("show", prefix)
    assert out.startswith("# AMPA and glutamate\n")
    assert "Glutamate surge" in out
    assert "https://example.org/ampa" in out


def test_show_unknown_or_ambiguous_id_is_one_clear_error(
    cli: Cli, tmp_path: Path, tmp_db: Path
) -> None:
    """An id nobody has, or a prefix many share, fails with one line."""
    many = "".join(
        f"<item><title>Item {n}</title><guid>g{n}</guid><description>b</description></item>"
        for n in range(40)
    )
    path = tmp_path / "many.xml"
    path.write_text(f'<rss version="2.0"><channel><title>M</title>{many}</channel></rss>')
    cli("add", str(path))
    cli("refresh")
    ids = [a["id"] for a in cli.json("list")]
    shared = next(i[0] for i in ids if sum(o.startswith(i[0]) for o in ids) > 1)
    _code, _out, err = cli("show", shared, status=1)
    assert "more than one article" in one_error_line(err)
    missing = next(c * 12 for c in "0123456789abcdef" if c * 12 not in ids)
    _code, _out, err = cli("show", missing, status=1)
    assert "no article" in one_error_line(err)
    _code, _out, err = cli("show", "zz-not-an-id", status=1)
    assert "no article" in one_error_line(err)


# -- where the cache and config live ----------------------------------------------------------


def test_db_option_beats_the_environment(cli: Cli, feed_file: Path, tmp_path: Path) -> None:
    """--db PATH is used instead of KETAREAD_DB."""
    chosen = tmp_path / "chosen.db"
    cli("add", str(feed_file))
    cli("--db", str(chosen), "refresh")
    assert chosen.exists()
    assert not Path(os.environ["KETAREAD_DB"]).exists()
    assert len(cli.json("--db", str(chosen), "list")) == 3


def test_environment_db_is_used(cli: Cli, feed_file: Path, tmp_db: Path) -> None:
    """KETAREAD_DB (set by the test env) is where the cache goes without --db."""
    cli("add", str(feed_file))
    cli("refresh")
    assert tmp_db.exists()
    conn = sqlite3.connect(tmp_db)
    try:
        assert conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 3
    finally:
        conn.close()


def test_config_option_beats_the_environment(
    cli: Cli, feed_file: Path, tmp_path: Path, tmp_config: Path
) -> None:
    """--config PATH is read and written instead of KETAREAD_CONFIG."""
    chosen = tmp_path / "elsewhere" / "ketaread.toml"
    cli("--config", str(chosen), "add", str(feed_file))
    assert chosen.exists()
    assert not tmp_config.exists()
    sources = cli.json("--config", str(chosen), "sources")
    assert [s["location"] for s in sources] == [str(feed_file)]


def test_environment_config_is_used(
    cli: Cli, feed_file: Path, tmp_config: Path, tmp_path: Path
) -> None:
    """KETAREAD_CONFIG names the config file, hand-written here."""
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text(
        f'[[source]]\nlocation = "{feed_file}"\ntitle = "Hand written"\ntags = ["mine"]\n',
        encoding="utf-8",
    )
    cli("refresh")
    articles = cli.json("list")
    assert {a["feed"] for a in articles} == {"Hand written"}
    assert all("mine" in a["tags"] for a in articles)


def test_sources_and_refresh_never_print_escape_sequences_from_locations(
    cli: Cli, tmp_config: Path
) -> None:
    """A configured location holding ESC/OSC/bidi characters is shown cleaned."""
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text(
        '[[source]]\nlocation = "/missing/\\u001b]0;pwned\\u0007evil\\u202e.xml"\n'
        'title = "T\\u001b[2Jitle"\n',
        encoding="utf-8",
    )
    _code, refresh_out, _err = cli("refresh", status=1)
    _code, sources_out, _err = cli("sources")
    for out in (refresh_out, sources_out):
        assert forbidden(out) == [], out
        assert "evil" in out


def test_invalid_config_is_one_clear_error(cli: Cli, tmp_config: Path) -> None:
    """A broken config file is named with the reason, no traceback."""
    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text("[[source]\nlocation = ", encoding="utf-8")
    _code, _out, err = cli("refresh", status=1)
    assert "not valid TOML" in one_error_line(err)


# -- the cache file itself ---------------------------------------------------------------------


def test_newer_schema_is_refused_and_the_file_left_untouched(cli: Cli, tmp_db: Path) -> None:
    """A cache from a newer ketaread: non-zero exit, one clear line, same bytes."""
    tmp_db.parent.mkdir(parents=True)
    conn = sqlite3.connect(tmp_db)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    before = tmp_db.read_bytes()
    for command in (("list",), ("refresh",), ("tags", "--json")):
        code, _out, err = cli(*command, status=None)
        assert code != 0
        line = one_error_line(err)
        assert "newer" in line and str(tmp_db) in line
        assert tmp_db.read_bytes() == before
    assert sorted(p.name for p in tmp_db.parent.iterdir() if "corrupt" in p.name) == []


def test_garbage_cache_is_refused_and_left_untouched(cli: Cli, tmp_db: Path) -> None:
    """A cache path holding something that is not SQLite: one clear line, same bytes."""
    tmp_db.parent.mkdir(parents=True)
    garbage = b"\x00garbage, not a database\xff" * 300
    tmp_db.write_bytes(garbage)
    code, _out, err = cli("refresh", status=None)
    assert code != 0
    assert "not a ketaread cache" in one_error_line(err)
    assert tmp_db.read_bytes() == garbage
    assert list(tmp_db.parent.glob("*.corrupt-*")) == []


def test_empty_cache_file_is_migrated_silently(cli: Cli, tmp_db: Path) -> None:
    """A 0-byte cache file is just an empty cache."""
    tmp_db.parent.mkdir(parents=True)
    tmp_db.write_bytes(b"")
    _code, _out, err = cli("refresh")
    assert err == ""
    assert len(cli.json("list")) >= 12


# -- the "Done when" scenario -------------------------------------------------------------


def test_done_when_feed_and_article_both_saved_as_txt(
    cli: Cli, sample_feeds: Path, tmp_path: Path
) -> None:
    """A real-shaped feed saved as .txt and a text article saved as .txt: every command works.

    The feed is the bundled WordPress-shaped sample (content:encoded, several categories, a
    case-variant category), copied under a .txt name.
    """
    [wordpress] = [
        p
        for p in sorted(sample_feeds.rglob("*"))
        if p.is_file()
        and sniff(p.read_bytes()).kind == "feed"
        and b"content:encoded" in p.read_bytes()
    ][:1]
    folder = tmp_path / "done-when"
    folder.mkdir()
    shutil.copyfile(wordpress, folder / "clinic-feed.txt")
    (folder / "my-article.txt").write_text(TEXT_ARTICLE, encoding="utf-8")
    db = str(tmp_path / "x.db")

    cli("--db", db, "add", str(folder))
    _code, out, _err = cli("--db", db, "refresh")
    assert out.splitlines()[-1].endswith("0 failed")

    articles = cli.json("--db", db, "list")
    feed_items = wordpress.read_bytes().count(b"<item>")
    assert len(articles) == feed_items + 1
    assert "Integration sessions after ketamine" in [a["title"] for a in articles]
    for entry in articles:
        assert set(entry) >= LIST_KEYS
        assert entry["title"].strip()
        for value in (entry["title"], entry["feed"], entry["link"], *entry["tags"]):
            assert forbidden(value) == [], (entry["id"], value)

    tags = cli.json("--db", db, "tags")
    names = [t["name"] for t in tags]
    assert len({n.casefold() for n in names}) == len(names), names
    spellings = re.findall(rb"<category><!\[CDATA\[(.*?)\]\]>", wordpress.read_bytes())
    spellings += re.findall(rb"<category>([^<]*)</category>", wordpress.read_bytes())
    by_key: dict[str, set[str]] = {}
    for raw in spellings:
        name = raw.decode().strip()
        by_key.setdefault(name.casefold(), set()).add(name)
    assert any(len(v) > 1 for v in by_key.values()), "the sample has no case-variant tag"
    counts = {t["name"].casefold(): t["count"] for t in tags}
    for key in by_key:
        carrying = [a for a in articles if key in {t.casefold() for t in a["tags"]}]
        assert counts[key] == len(carrying), key

    for entry in articles:
        shown = cli.json("--db", db, "show", entry["id"])
        assert set(shown) >= SHOW_KEYS
        assert shown["title"] == entry["title"]
        assert shown["markdown"].strip()
        assert "<p>" not in shown["markdown"]
        assert forbidden(shown["markdown"]) == []


def test_sources_dropped_from_the_config_stay_listed_and_can_be_removed(
    cli: Cli, feed_file: Path, sample_feeds: Path
) -> None:
    """The sample feeds, read before a first `add`, stay cached until removed."""
    cli("refresh")  # no config yet: the bundled sample feeds
    _, out, _ = cli("add", str(feed_file))
    assert "sample feeds are no longer read" in out
    sources = cli.json("sources")
    cached_only = [s for s in sources if s.get("configured") is False]
    assert [s["location"] for s in cached_only] == [str(sample_feeds)]
    _, out, _ = cli("remove", str(sample_feeds))
    assert "not in the config" in out
    assert [s for s in cli.json("sources") if s.get("configured") is False] == []
    assert "Neuroscience Notes" not in {a["feed"] for a in cli.json("list")}


def test_removing_the_sample_feeds_with_no_config_sticks(cli: Cli, sample_feeds: Path) -> None:
    cli("refresh")  # no config: the bundled sample feeds
    assert cli.json("list")
    cli("remove", str(sample_feeds))
    cli("refresh")
    assert cli.json("list") == []


def test_commands_other_than_the_reader_run_with_the_collector_on(tmp_config: Path) -> None:
    # The entry point pauses the cyclic collector for the reader's start-up (see __main__);
    # a refresh or an import building many objects must not run without it.
    gc.disable()
    try:
        status = run(["--config", str(tmp_config), "sources"], out=io.StringIO())
        assert status == 0
        assert gc.isenabled()
    finally:
        gc.enable()


READER_ARGVS = [
    [],
    ["--offline"],
    ["--db", "/tmp/a.db", "--offline"],
    ["--config=/tmp/c.toml", "--db=/tmp/a.db"],
    ["--offline", "--config", "c.toml", "--offline"],
]
OTHER_ARGVS = [
    ["--off"],  # argparse's abbreviation: the full parser decides
    ["--db", "-x"],
    ["--db"],
    ["--db="],
    ["-h"],
    ["--version"],
    ["list"],
    ["--offline", "refresh"],
    ["--db", "a.db", "unknown"],
]


@pytest.mark.parametrize("argv", READER_ARGVS, ids=" ".join)
def test_the_reader_is_parsed_without_building_every_subcommand(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ketaread [--offline] [--db P] [--config P]` gets the same options from the
    parser without subcommands (building them all cost ~9 ms of each start)."""
    from ketaread import cli

    expected = vars(cli.build_parser().parse_args(argv))
    launched: list[dict[str, object]] = []

    def no_full_parser() -> None:
        raise AssertionError("the full parser was built for the reader")

    def read(ctx: object) -> int:
        launched.append(vars(ctx.args))  # type: ignore[attr-defined]
        return 0

    monkeypatch.setattr(cli, "build_parser", no_full_parser)
    monkeypatch.setattr(cli, "cmd_read", read)
    assert cli.only_reader_options(argv)
    assert run(argv) == 0
    expected["handler"] = read  # the same handler, looked up when the parser is built
    assert launched == [expected]


@pytest.mark.parametrize("argv", OTHER_ARGVS, ids=" ".join)
def test_anything_but_the_reader_options_goes_to_the_full_parser(argv: list[str]) -> None:
    from ketaread import cli

    assert not cli.only_reader_options(argv)


def test_the_reader_s_options_are_read_without_importing_argparse() -> None:
    """A fresh process: the command line module and the reader's options (~2 ms less of
    every start)."""
    import subprocess
    import sys

    code = (
        "import sys, ketaread.cli as cli;"
        "args = cli.reader_arguments(['--offline', '--db', 'a.db']);"
        "assert args.db == 'a.db' and args.offline, args;"
        "print('argparse' in sys.modules)"
    )
    source = str(Path(__file__).resolve().parents[1] / "src")
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": source},
        check=True,
    )
    assert done.stdout.strip() == "False"
