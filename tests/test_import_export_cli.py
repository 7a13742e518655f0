"""`ketaread import` and `ketaread export` through the real CLI, with refreshes from loopback.

Every command runs as `python -m ketaread --db … --config …` in a subprocess; the
feeds come from a threaded pytest-httpserver on 127.0.0.1.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from cli_support import cli


def rss(title: str, guids: list[str], category: str) -> bytes:
    """A small RSS 2.0 feed whose items carry one feed category each."""
    items = "".join(
        f"<item><guid>{guid}</guid><title>{title}: {guid}</title>"
        f"<link>https://example.org/{guid}</link><category>{category}</category>"
        "<description><![CDATA[<p>Esketamine and ketamine act on glutamate "
        "signalling; the rapid effect is thought to involve synaptic growth "
        "(Example Clinical Review).</p><h3>References</h3><ol><li>Example Clinical "
        "Review. Rapid-acting antidepressants, an overview. 2025.</li></ol>]]>"
        "</description></item>"
        for guid in guids
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://example.org/</link>{items}</channel></rss>"
    ).encode()


def ok(done: subprocess.CompletedProcess[str]) -> str:
    """The stdout of a command that must succeed without a traceback."""
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def configured(db: Path, config: Path) -> dict[str, tuple[str | None, list[str]]]:
    """location → (title, sorted tags) of every configured source, via `sources --json`."""
    rows = json.loads(ok(cli(db, config, "sources", "--json")))
    return {r["location"]: (r["title"], sorted(r["tags"], key=str.casefold)) for r in rows}


def urls_file(tmp_path: Path, base: str) -> Path:
    """A newsboat `urls` file with tags, a renaming title, comments and two command lines."""
    path = tmp_path / "urls"
    path.write_text(
        "# ketamine reading list, moved from newsboat\n"
        '# each line: a URL, then tags; "~Title" renames the feed\n'
        "\n"
        f'{base}/glutamate "neuroscience" nmda "~Glutamate & the synapse"\n'
        f'{base}/clinic clinical "treatment resistant"   # the clinic\'s own notes\n'
        'exec:~/bin/trd-digest.sh "clinical"\n'
        f'filter:~/bin/strip-ads.sh:{base}/filtered "neuroscience"\n'
        "   # an indented comment\n"
        f'{base}/dmn "default mode network" networks\n',
        encoding="utf-8",
    )
    return path


def expected_from_urls(base: str) -> dict[str, tuple[str | None, list[str]]]:
    """What importing `urls_file` must configure."""
    return {
        f"{base}/glutamate": ("Glutamate & the synapse", ["neuroscience", "nmda"]),
        f"{base}/clinic": (None, ["clinical", "treatment resistant"]),
        f"{base}/dmn": (None, ["default mode network", "networks"]),
    }


def base_url(server: HTTPServer) -> str:
    """http://127.0.0.1:PORT, without a trailing slash."""
    return server.url_for("/").rstrip("/")


# --- newsboat urls -----------------------------------------------------------------------


def test_newsboat_import_keeps_tags_and_titles_and_skips_command_lines(
    server: HTTPServer, tmp_db: Path, tmp_config: Path, tmp_path: Path
) -> None:
    base = base_url(server)
    out = ok(cli(tmp_db, tmp_config, "import", str(urls_file(tmp_path, base))))
    assert "skipped exec:~/bin/trd-digest.sh" in out
    assert "skipped filter:~/bin/strip-ads.sh" in out
    assert out.count("runs a command") == 2
    assert "imported 3 new sources" in out and "(0 changed, 2 skipped)" in out
    assert configured(tmp_db, tmp_config) == expected_from_urls(base)
    assert server.log == []  # importing never fetches


def test_imported_newsboat_sources_refresh_from_loopback_with_their_tags_and_titles(
    server: HTTPServer, tmp_db: Path, tmp_config: Path, tmp_path: Path
) -> None:
    base = base_url(server)
    feeds = {
        "/glutamate": rss("Synapse notes", ["s1", "s2"], "AMPA"),
        "/clinic": rss("Clinic learning centre", ["c1"], "TRD"),
        "/dmn": rss("Network digest", ["n1"], "DMN"),
    }
    for path, body in feeds.items():
        server.expect_request(path).respond_with_data(body, content_type="application/rss+xml")
    ok(cli(tmp_db, tmp_config, "import", str(urls_file(tmp_path, base))))
    out = ok(cli(tmp_db, tmp_config, "refresh"))
    assert "+ Glutamate & the synapse: 2 new" in out
    assert "3 feeds checked: 4 new, 0 updated articles, 0 failed" in out
    assert sorted(request.path for request, _ in server.log) == sorted(feeds)
    articles = json.loads(ok(cli(tmp_db, tmp_config, "list", "--json")))
    by_feed = {(a["feed"], frozenset(a["tags"])) for a in articles}
    assert by_feed == {
        ("Glutamate & the synapse", frozenset({"AMPA", "neuroscience", "nmda"})),
        ("Clinic learning centre", frozenset({"clinical", "treatment resistant", "TRD"})),
        ("Network digest", frozenset({"default mode network", "DMN", "networks"})),
    }


@pytest.mark.parametrize("form", ["urls", "opml"])
def test_export_then_import_round_trips_tags_and_titles(
    server: HTTPServer, tmp_db: Path, tmp_config: Path, tmp_path: Path, form: str
) -> None:
    base = base_url(server)
    ok(cli(tmp_db, tmp_config, "import", str(urls_file(tmp_path, base))))
    exported = ok(cli(tmp_db, tmp_config, "export", "--format", form))
    if form == "urls":
        assert f'{base}/glutamate "neuroscience" "nmda" "~Glutamate & the synapse"' in exported
    else:
        assert '<outline text="treatment resistant" title="treatment resistant">' in exported
        assert 'title="Glutamate &amp; the synapse"' in exported
    written = tmp_path / f"exported.{form}"
    written.write_text(exported, encoding="utf-8")
    fresh_db, fresh_config = tmp_path / "fresh.db", tmp_path / "fresh" / "config.toml"
    out = ok(cli(fresh_db, fresh_config, "import", str(written)))
    assert "imported 3 new sources" in out and "(0 changed, 0 skipped)" in out
    assert configured(fresh_db, fresh_config) == expected_from_urls(base)


# --- OPML --------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_opml_nested_outlines_and_category_attributes_become_tags(
    tmp_db: Path, tmp_config: Path, tmp_path: Path, version: str
) -> None:
    opml = tmp_path / "subscriptions.opml"
    opml.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<opml version="{version}">\n'
        "  <head><title>Reading list</title></head>\n"
        "  <body>\n"
        '    <outline text="Neuroscience">\n'
        '      <outline text="Receptors">\n'
        '        <outline type="rss" text="NMDA notes" xmlUrl="http://127.0.0.1:8/nmda"'
        ' category="glutamate,clinical/trd"/>\n'
        "      </outline>\n"
        '      <outline type="rss" text="Plasticity weekly" title="Plasticity weekly"'
        ' xmlUrl="http://127.0.0.1:8/bdnf"/>\n'
        "    </outline>\n"
        '    <outline type="rss" text="http://127.0.0.1:8/dmn" xmlUrl="http://127.0.0.1:8/dmn"'
        ' category="networks"/>\n'
        '    <outline text="Clinic home page" htmlUrl="https://example.org/clinic"/>\n'
        "  </body>\n"
        "</opml>\n",
        encoding="utf-8",
    )
    out = ok(cli(tmp_db, tmp_config, "import", str(opml)))
    assert "imported 3 new sources" in out
    assert "skipped https://example.org/clinic: no feed URL" in out
    assert configured(tmp_db, tmp_config) == {
        "http://127.0.0.1:8/nmda": (
            "NMDA notes",
            ["clinical/trd", "glutamate", "Neuroscience/Receptors"],
        ),
        "http://127.0.0.1:8/bdnf": ("Plasticity weekly", ["Neuroscience"]),
        "http://127.0.0.1:8/dmn": (None, ["networks"]),
    }


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n'
    "<!DOCTYPE opml [\n"
    '  <!ENTITY a "glutamate">\n'
    + "".join(
        f'  <!ENTITY {chr(ord("a") + n + 1)} "{("&" + chr(ord("a") + n) + ";") * 10}">\n'
        for n in range(9)
    )
    + "]>\n"
    '<opml version="2.0"><head><title>&j;</title></head><body>'
    '<outline text="&j;" xmlUrl="http://127.0.0.1:8/laughs"/></body></opml>\n'
)


def test_billion_laughs_opml_is_refused_with_one_clear_line(
    tmp_db: Path, tmp_config: Path, tmp_path: Path
) -> None:
    laughs = tmp_path / "laughs.opml"
    laughs.write_text(BILLION_LAUGHS, encoding="utf-8")
    done = cli(tmp_db, tmp_config, "import", str(laughs))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "laughs.opml" in lines[0] and "entities" in lines[0]
    assert done.stdout == ""
    assert not tmp_config.exists(), "a refused import must not create a config file"


def test_refused_import_leaves_an_existing_config_untouched(
    tmp_db: Path, tmp_config: Path, tmp_path: Path
) -> None:
    tmp_config.parent.mkdir(parents=True)
    tmp_config.write_text(
        '# my sources\n[[source]]\nlocation = "http://127.0.0.1:8/kept"\ntags = ["kept"]\n',
        encoding="utf-8",
    )
    before = tmp_config.read_bytes()
    laughs = tmp_path / "laughs.opml"
    laughs.write_text(BILLION_LAUGHS, encoding="utf-8")
    assert cli(tmp_db, tmp_config, "import", str(laughs)).returncode == 1
    assert tmp_config.read_bytes() == before


def test_import_with_nothing_importable_does_not_replace_the_sample_feeds(
    tmp_db: Path, tmp_config: Path, tmp_path: Path
) -> None:
    commands = tmp_path / "urls"
    commands.write_text('exec:~/bin/trd-digest.sh "clinical"\n', encoding="utf-8")
    out = ok(cli(tmp_db, tmp_config, "import", str(commands)))
    assert "skipped exec:~/bin/trd-digest.sh" in out
    assert "imported 0 new sources" in out
    assert not tmp_config.exists(), "nothing was imported, so the config must stay as it was"


def test_opml_that_is_not_well_formed_is_one_line_error(
    tmp_db: Path, tmp_config: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.opml"
    broken.write_text('<opml version="2.0"><body><outline text="a">', encoding="utf-8")
    done = cli(tmp_db, tmp_config, "import", str(broken))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and "not well-formed" in done.stderr
    assert not tmp_config.exists()


def test_faulty_sources_after_import_each_get_their_own_line(
    server: HTTPServer, tmp_db: Path, tmp_config: Path, tmp_path: Path
) -> None:
    base = base_url(server)
    server.expect_request("/glutamate").respond_with_data(
        rss("Synapse notes", ["s1"], "AMPA"), content_type="application/rss+xml"
    )
    server.expect_request("/clinic").respond_with_response(Response("gone away", status=404))
    server.expect_request("/dmn").respond_with_response(Response("<html></html>", status=200))
    ok(cli(tmp_db, tmp_config, "import", str(urls_file(tmp_path, base))))
    done = cli(tmp_db, tmp_config, "refresh")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line[0] for line in lines[:-1]].count("!") == 2
    assert any(line.startswith("! ") and "HTTP 404 Not Found" in line for line in lines)
    assert any(line.startswith("! ") and "HTML page, not a feed" in line for line in lines)
    assert any(line.startswith("+ Glutamate & the synapse: 1 new") for line in lines)
