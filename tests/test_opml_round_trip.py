"""OPML and urls that round-trip: folders, htmlUrl, newsboat's "!" and feed://, the import
summary, and ketaread's OPML read by Debian's newsboat (2.21) with `newsboat -i`."""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cli_support import cli
from test_import_export_cli import ok, rss


def write_config(path: Path, text: str) -> None:
    """A config file with the given [[source]] tables."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def sources(config: Path) -> dict[str, dict]:
    """location → the [[source]] table, read back from the config file."""
    return {s["location"]: s for s in tomllib.loads(config.read_text())["source"]}


def test_export_has_nested_folders_and_the_sites_html_url_from_the_cache(
    server: HTTPServer, tmp_db: Path, tmp_config: Path
) -> None:
    server.expect_request("/nmda").respond_with_data(
        rss("NMDA notes", ["n1"], "glutamate"), content_type="application/rss+xml"
    )
    url = server.url_for("/nmda")
    write_config(
        tmp_config,
        f'[[source]]\nlocation = "{url}"\ntitle = "NMDA"\ntags = ["Neuroscience/Receptors"]\n',
    )
    ok(cli(tmp_db, tmp_config, "refresh"))
    text = ok(cli(tmp_db, tmp_config, "export"))
    assert (
        '    <outline text="Neuroscience" title="Neuroscience">\n'
        '      <outline text="Receptors" title="Receptors">\n'
        f'        <outline type="rss" text="NMDA" title="NMDA" xmlUrl="{url}" '
        'htmlUrl="https://example.org/"/>\n'
        "      </outline>\n"
        "    </outline>\n"
    ) in text


def test_import_summary_says_added_changed_and_skipped(tmp_db: Path, tmp_config: Path) -> None:
    write_config(
        tmp_config,
        '[[source]]\nlocation = "https://a.example/rss"\ntags = ["neuro"]\n'
        '[[source]]\nlocation = "https://b.example/rss"\ntitle = "B"\n',
    )
    urls = tmp_config.parent / "urls"
    urls.write_text(
        'https://a.example/rss "neuro" "AMPA" "~Alpha"\n'  # changed: a title and a tag
        'https://b.example/rss "~Other"\n'  # the user's title stays: unchanged
        'feed://c.example/rss "!"\n'  # added, as http, hidden
        "exec:rm -rf ~\n"  # skipped
    )
    out = ok(cli(tmp_db, tmp_config, "import", str(urls)))
    assert "changed https://a.example/rss: title 'Alpha'; tags +AMPA" in out
    assert "skipped exec:rm -rf ~: runs a command" in out
    assert out.rstrip().endswith("(1 changed, 1 skipped)")
    assert "imported 1 new source " in out
    got = sources(tmp_config)
    assert got["https://a.example/rss"]["tags"] == ["AMPA", "neuro"]
    assert got["http://c.example/rss"]["hidden"] is True
    assert got["https://b.example/rss"]["title"] == "B"
    again = ok(cli(tmp_db, tmp_config, "import", str(urls)))
    assert "imported 0 new sources" in again and "(0 changed, 1 skipped)" in again
    exported = ok(cli(tmp_db, tmp_config, "export", "--format", "urls"))
    assert 'http://c.example/rss "!"' in exported


def test_add_takes_a_feed_scheme_url_as_http(tmp_db: Path, tmp_config: Path) -> None:
    out = ok(cli(tmp_db, tmp_config, "--offline", "add", "feed://clinic.example/rss"))
    assert "added http://clinic.example/rss" in out
    assert list(sources(tmp_config)) == ["http://clinic.example/rss"]


NEWSBOAT = shutil.which("newsboat")


@pytest.mark.skipif(
    NEWSBOAT is None,
    reason="newsboat is not installed (apt-get install -y newsboat; Debian ships 2.21)",
)
def test_newsboat_imports_ketaread_opml_with_folders_as_tags(
    tmp_db: Path, tmp_config: Path, tmp_path: Path
) -> None:
    write_config(
        tmp_config,
        '[[source]]\nlocation = "https://a.example/rss"\ntitle = "Alpha"\n'
        'tags = ["Neuroscience/Receptors"]\n'
        '[[source]]\nlocation = "https://b.example/rss"\ntags = ["clinical"]\n'
        '[[source]]\nlocation = "https://c.example/rss"\n',
    )
    opml = tmp_path / "ketaread.opml"
    opml.write_text(ok(cli(tmp_db, tmp_config, "export")), encoding="utf-8")
    home = tmp_path / "nb"
    home.mkdir()
    urls = home / "urls"
    urls.write_text("")
    (home / "config").write_text("")
    done = subprocess.run(
        [NEWSBOAT, "-u", urls, "-c", home / "cache.db", "-C", home / "config", "-i", opml],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "HOME": str(home)},
    )
    assert done.returncode == 0, done.stderr
    lines = set(urls.read_text().splitlines())
    assert lines == {
        'https://a.example/rss "Neuroscience/Receptors"',
        'https://b.example/rss "clinical"',
        "https://c.example/rss",
    }
    # And back: newsboat's urls read by ketaread give the same tags.
    fresh = tmp_path / "fresh" / "config.toml"
    ok(cli(tmp_path / "fresh.db", fresh, "import", str(urls)))
    assert {k: v.get("tags", []) for k, v in sources(fresh).items()} == {
        "https://a.example/rss": ["Neuroscience/Receptors"],
        "https://b.example/rss": ["clinical"],
        "https://c.example/rss": [],
    }
