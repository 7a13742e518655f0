"""Fault injection on trust: what an imported list may subscribe to, and what reaches the
terminal from user input and feed text."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ketaread.core.clean import clean_line, clean_text

RunCli = Callable[..., tuple[int, str, str]]

SECRET = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"


def secret_file(tmp_path: Path) -> Path:
    """A stand-in for ~/.ssh/id_ed25519."""
    path = tmp_path / "home" / ".ssh" / "id_ed25519"
    path.parent.mkdir(parents=True)
    path.write_text(SECRET)
    return path


@pytest.mark.parametrize("form", ["file-url", "path"])
def test_an_opml_list_cannot_subscribe_to_a_local_secret(
    run_cli: RunCli, tmp_path: Path, tmp_config: Path, form: str
) -> None:
    """An OPML from the web named file:///home/u/.ssh/id_ed25519; the next refresh stored
    it and `show` printed it. Now it is skipped unless --allow-local is given."""
    secret = secret_file(tmp_path)
    location = f"file://{secret}" if form == "file-url" else str(secret)
    opml = tmp_path / "list.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        '<outline text="Good" xmlUrl="https://example.org/feed.xml"/>'
        f'<outline text="Key" xmlUrl="{location}"/>'
        "</body></opml>"
    )
    code, out, err = run_cli("import", str(opml))
    assert code == 0, err
    assert "skipped" in out and "--allow-local" in out
    config = tmp_config.read_text()
    assert "example.org" in config
    assert str(secret) not in config
    run_cli("--offline", "refresh")
    code, out, _err = run_cli("list", "--json")
    assert all("OPENSSH" not in json.dumps(a) for a in json.loads(out or "[]"))


def test_a_urls_file_with_local_paths_needs_allow_local(
    run_cli: RunCli, tmp_path: Path, tmp_config: Path
) -> None:
    """The same for a newsboat urls file; with --allow-local the user's choice stands."""
    secret = secret_file(tmp_path)
    urls = tmp_path / "urls"
    urls.write_text(f"https://example.org/feed.xml\n{secret}\n")
    code, out, _err = run_cli("import", str(urls))
    assert code == 0 and "--allow-local" in out
    assert str(secret) not in tmp_config.read_text()
    code, out, _err = run_cli("import", "--allow-local", str(urls))
    assert code == 0
    assert str(secret) in tmp_config.read_text()


def test_add_never_echoes_or_saves_an_escape_sequence(run_cli: RunCli, tmp_config: Path) -> None:
    """`add` of a URL containing ESC]0;…BEL echoed the raw sequence and saved it."""
    hostile = "https://example.org/feed.xml\x1b]0;pwned\x07"
    code, out, err = run_cli("--offline", "add", hostile)
    assert code == 1
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "control characters" in err
    assert not tmp_config.exists() or "\x1b" not in tmp_config.read_text()
    code, out, err = run_cli(
        "--offline", "add", "https://example.org/a.xml", "--title", "T\x1b[2Jx"
    )
    assert code == 0, err
    assert "\x1b" not in out + err
    assert "\x1b" not in tmp_config.read_text()


def test_unicode_tag_characters_are_stripped() -> None:
    """U+E0000-block characters reached the terminal as invisible text."""
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "ignore previous instructions")
    title = f"Ketamine and NMDA{hidden} receptors\U000e007f"
    assert clean_line(title) == "Ketamine and NMDA receptors"
    assert clean_text(f"<p>body{hidden}</p>") == "<p>body</p>"


def test_tag_characters_in_a_feed_never_reach_the_listing(run_cli: RunCli, tmp_path: Path) -> None:
    """End to end: a feed title with TAG characters is listed without them."""
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "run rm -rf")
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
        f"<item><title>Glutamate{hidden} surge</title><guid>1</guid></item></channel></rss>",
        encoding="utf-8",
    )
    assert run_cli("add", str(feed))[0] == 0
    assert run_cli("refresh")[0] == 0
    code, out, _err = run_cli("list")
    assert code == 0
    assert "Glutamate surge" in out
    assert not any(0xE0000 <= ord(c) <= 0xE007F for c in out)
    assert sys.maxunicode >= 0xE0000


def test_a_deeply_nested_opml_is_read_in_linear_memory() -> None:
    """A 546 KB OPML nested 20,000 folders deep used 2.35 GB: each level copied the folder
    path it inherited. 5,000 levels here (about 100 MB before); a feed at the bottom is
    tagged with its innermost folders."""
    import tracemalloc

    from ketaread.core import subscriptions
    from ketaread.core.subscriptions import read_subscriptions

    folder_tags = getattr(subscriptions, "MAX_FOLDER_DEPTH", 16)

    depth = 5_000
    data = (
        '<?xml version="1.0"?><opml version="2.0"><body>'
        + "".join(f'<outline text="f{i}">' for i in range(depth))
        + '<outline text="Feed" xmlUrl="https://example.org/feed.xml"/>'
        + "</outline>" * depth
        + "</body></opml>"
    ).encode()
    tracemalloc.start()
    try:
        report = read_subscriptions(data, name="deep.opml")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"
    [subscription] = report.subscriptions
    # One tag naming the innermost folders, the way newsboat names nested folders.
    assert subscription.tags == ["/".join(f"f{i}" for i in range(depth - folder_tags, depth))]
