"""Bad input through `ketaread refresh` in a subprocess: one clear line, no traceback, no hang.

Every case runs next to a good feed, which must still update; a subprocess timeout turns
a hang into a failure. See /work/shared/guides/hostile-inputs.md.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import tomli_w

HANG_TIMEOUT = 45.0
"""Seconds a refresh of one hostile source may take before the test calls it a hang."""

GOOD_FEED = (
    '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Good feed</title>'
    "<item><title>Glutamate and plasticity</title><guid>good-1</guid>"
    "<pubDate>Tue, 10 Jun 2025 10:00:00 +0000</pubDate><description>Kept.</description></item>"
    "<item><title>BDNF basics</title><guid>good-2</guid>"
    "<pubDate>Wed, 11 Jun 2025 10:00:00 +0000</pubDate><description>Kept.</description></item>"
    "</channel></rss>"
)
GOOD_TITLES = {"Glutamate and plasticity", "BDNF basics"}

needs_non_root = pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read any file"
)


def rss(items: str, title: str = "Hostile", prolog: str = "") -> str:
    """An RSS document around `items`."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<rss version="2.0"><channel>'
        f"<title>{title}</title>{items}</channel></rss>"
    )


class Env:
    """A test's sources folder, its config and cache, and the CLI runner."""

    def __init__(self, tmp_path: Path, run_cli: Callable, tmp_config: Path, tmp_db: Path) -> None:
        self.root = tmp_path / "sources"
        self.root.mkdir()
        self.good = self.root / "good.xml"
        self.good.write_text(GOOD_FEED, encoding="utf-8")
        self.config = tmp_config
        self.db = tmp_db
        self._run = run_cli

    def configure(self, *locations: str | Path) -> None:
        """Write a config naming the good feed and `locations` (no checks, unlike `add`)."""
        self.config.parent.mkdir(parents=True, exist_ok=True)
        sources = [{"location": str(loc)} for loc in (self.good, *locations)]
        self.config.write_text(tomli_w.dumps({"source": sources}), encoding="utf-8")

    def cli(self, *args: str, status: int | None = 0) -> tuple[int, str, str]:
        """Run ketaread; never a traceback; the exit status when given."""
        code, out, err = self._run(*args, timeout=HANG_TIMEOUT)
        assert "Traceback" not in err and "Traceback" not in out, err
        if status is not None:
            assert code == status, f"{args} -> {code}\n{out}\n{err}"
        return code, out, err

    def refresh(self, *locations: str | Path) -> str:
        """Refresh the good feed and `locations`; it must succeed and update the good feed."""
        self.configure(*locations)
        _code, out, err = self.cli("refresh", status=0)
        assert err == "", err
        assert ("+ Good feed: 2 new" in out) or ("Good feed: unchanged" in out), out
        return out

    def articles(self) -> list[dict]:
        """Everything `list --json` shows."""
        return json.loads(self.cli("list", "--json")[1])

    def stored_text(self) -> str:
        """Every string in the cache's articles, feeds and bodies, joined."""
        conn = sqlite3.connect(self.db)
        try:
            parts = [
                str(value)
                for table in ("articles", "bodies", "feeds", "tags")
                for row in conn.execute(f"SELECT * FROM {table}")
                for value in row
                if isinstance(value, str)
            ]
        finally:
            conn.close()
        return "\n".join(parts)


@pytest.fixture
def env(tmp_path: Path, run_cli: Callable, tmp_config: Path, tmp_db: Path) -> Env:
    """A fresh environment with a good feed ready."""
    return Env(tmp_path, run_cli, tmp_config, tmp_db)


def lines_naming(out: str, name: str) -> list[str]:
    """Output lines that mention `name`."""
    return [line for line in out.splitlines() if name in line]


def assert_one_error_line(out: str, name: str, reason: str) -> None:
    """Exactly one line names the source, as an error, with the reason."""
    lines = lines_naming(out, name)
    assert len(lines) == 1, out
    assert lines[0].startswith("! "), lines[0]
    assert reason in lines[0], lines[0]


def assert_good_feed_kept(env: Env) -> None:
    """The good feed's articles are in the cache."""
    assert {a["title"] for a in env.articles()} >= GOOD_TITLES


# -- paths that cannot be read ---------------------------------------------------------------


def test_missing_path(env: Env) -> None:
    """A source that does not exist: one error line, others update."""
    out = env.refresh(env.root / "gone.xml")
    assert_one_error_line(out, "gone.xml", "no such file or folder")
    assert out.splitlines()[-1].endswith("1 failed")


@needs_non_root
def test_unreadable_file(env: Env) -> None:
    """chmod 000: permission denied."""
    locked = env.root / "locked.xml"
    locked.write_text(GOOD_FEED)
    locked.chmod(0)
    try:
        out = env.refresh(locked)
    finally:
        locked.chmod(0o644)
    assert_one_error_line(out, "locked.xml", "permission denied")


@needs_non_root
def test_unlistable_folder(env: Env) -> None:
    """A folder without read/execute permission: permission denied."""
    locked = env.root / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        out = env.refresh(locked)
    finally:
        locked.chmod(0o755)
    assert_one_error_line(out, "locked", "permission denied")


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty file"), (b"  \n\n\t ", "empty file"), (bytes(range(256)) * 64, "binary file")],
    ids=["empty", "blank", "binary"],
)
def test_empty_and_binary_files(env: Env, content: bytes, reason: str) -> None:
    """Given as a source, an empty or binary file is one error line."""
    path = env.root / "odd.xml"
    path.write_bytes(content)
    out = env.refresh(path)
    assert_one_error_line(out, "odd.xml", reason)


def test_binary_fixture(env: Env, hostile_dir: Path) -> None:
    """The seeded random fixture (UTF-16-looking start, NUL runs) is binary."""
    path = env.root / "binary.bin"
    shutil.copyfile(hostile_dir / "binary.bin", path)
    out = env.refresh(path)
    assert_one_error_line(out, "binary.bin", "binary file")


def test_directory_loop(env: Env) -> None:
    """A folder holding a symlink to its parent is walked once."""
    folder = env.root / "loop"
    (folder / "inner").mkdir(parents=True)
    (folder / "inner" / "feed.xml").write_text(
        rss("<item><title>Once</title><guid>o</guid></item>")
    )
    (folder / "inner" / "up").symlink_to(folder)
    out = env.refresh(folder)
    assert "+ Hostile: 1 new" in out
    assert [line for line in out.splitlines() if "loop" in line and "skipped" in line]
    assert [a["title"] for a in env.articles()].count("Once") == 1


def test_symlink_loop(env: Env) -> None:
    """a -> b -> a: one line saying it is a symlink loop."""
    (env.root / "a.xml").symlink_to(env.root / "b.xml")
    (env.root / "b.xml").symlink_to(env.root / "a.xml")
    out = env.refresh(env.root / "a.xml")
    assert_one_error_line(out, "a.xml", "a symlink loop")


def test_fifo_does_not_hang(env: Env) -> None:
    """A named pipe with no writer is refused by type, never read."""
    fifo = env.root / "pipe.xml"
    os.mkfifo(fifo)
    out = env.refresh(fifo)
    assert_one_error_line(out, "pipe.xml", "a FIFO")


def test_fifo_inside_a_folder_does_not_hang(env: Env) -> None:
    """A FIFO among articles is reported; the folder's other files are read."""
    folder = env.root / "mixed"
    folder.mkdir()
    os.mkfifo(folder / "pipe.txt")
    (folder / "note.txt").write_text("A note on dissociation\n\nText.")
    out = env.refresh(folder)
    assert_one_error_line(out, "pipe.txt", "a FIFO")
    assert "A note on dissociation" in {a["title"] for a in env.articles()}


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_device_does_not_hang(env: Env, device: str) -> None:
    """A character device is refused by type."""
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    out = env.refresh(device)
    assert_one_error_line(out, Path(device).name, "a device")


# -- documents that are not feeds ----------------------------------------------------------------


def test_json_document_is_refused_with_one_line(env: Env, hostile_dir: Path) -> None:
    """A JSON document is data, not an article: one clear line, nothing stored for it."""
    path = env.root / "data.json"
    shutil.copyfile(hostile_dir / "not-a-feed.json", path)
    out = env.refresh(path)
    assert_one_error_line(out, "data.json", "a JSON document, not a feed or an article")
    assert [a for a in env.articles() if a["title"] not in GOOD_TITLES] == []


def test_html_login_page_is_read_as_an_article(env: Env, hostile_dir: Path) -> None:
    """A local HTML page is an article (its <title>), with its script dropped."""
    path = env.root / "login.html"
    shutil.copyfile(hostile_dir / "login-page.html", path)
    env.refresh(path)
    [article] = [a for a in env.articles() if a["title"] not in GOOD_TITLES]
    assert article["title"] == "Sign in to continue - Guest Wi-Fi"
    assert "<script" not in env.stored_text()


# -- malformed feeds ---------------------------------------------------------------------------


def test_recoverable_malformed_feed_keeps_what_parsed_and_says_so(
    env: Env, hostile_dir: Path
) -> None:
    """Bozo with items: stored, and the line says it was malformed."""
    path = env.root / "amp.xml"
    shutil.copyfile(hostile_dir / "bad-ampersand.xml", path)
    out = env.refresh(path)
    [line] = lines_naming(out, "Ampersand feed")
    assert line.startswith("+ ") and "2 new" in line and "malformed feed, kept what parsed" in line


def test_truncated_feed_keeps_complete_items(env: Env, hostile_dir: Path) -> None:
    """A feed cut off mid-item keeps the items before the cut."""
    path = env.root / "cut.xml"
    shutil.copyfile(hostile_dir / "truncated.xml", path)
    out = env.refresh(path)
    [line] = lines_naming(out, "Truncated feed")
    assert "malformed feed" in line
    titles = {a["title"] for a in env.articles()}
    assert {"Truncated item 1", "Truncated item 2"} <= titles


def test_unreadable_feed_is_one_error_line(env: Env) -> None:
    """A feed root with nothing readable after it is an error, not an empty feed."""
    path = env.root / "broken.rss"
    path.write_text("<rss><<<<&&&& nothing here")
    out = env.refresh(path)
    assert_one_error_line(out, "broken.rss", "malformed feed, nothing could be read")


@pytest.mark.parametrize("name", ["billion-laughs.xml", "billion-laughs-after-comment.xml"])
def test_billion_laughs_is_not_expanded(env: Env, hostile_dir: Path, name: str) -> None:
    """Entity expansion is refused in bounded time; the feed is kept as malformed."""
    path = env.root / name
    shutil.copyfile(hostile_dir / name, path)
    out = env.refresh(path)
    [line] = [x for x in out.splitlines() if x.startswith("+ Billion laughs")]
    assert "malformed" in line
    assert "lollollol" not in env.stored_text()


def test_external_file_entity_is_never_resolved(env: Env, tmp_path: Path) -> None:
    """A SYSTEM entity naming a local file never brings its content into the cache."""
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-MARKER-1234")
    prolog = f'<!DOCTYPE rss [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
    path = env.root / "xxe.xml"
    path.write_text(rss("<item><title>Leak &x;</title><guid>x</guid></item>", prolog=prolog))
    env.refresh(path)
    assert "SECRET-MARKER-1234" not in env.stored_text()


def test_external_entity_fixture_never_reads_etc_passwd(env: Env, hostile_dir: Path) -> None:
    """The fixture's file:///etc/passwd entity is not resolved."""
    path = env.root / "xxe.xml"
    shutil.copyfile(hostile_dir / "external-entity.xml", path)
    env.refresh(path)
    assert "root:" not in env.stored_text()


def test_external_http_entity_makes_no_connection(env: Env) -> None:
    """An http SYSTEM entity never causes a request: a listening socket sees no one."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        prolog = f'<!DOCTYPE rss [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/evil">]>'
        path = env.root / "ssrf.xml"
        path.write_text(rss("<item><title>Ping &x;</title><guid>p</guid></item>", prolog=prolog))
        env.refresh(path)
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()


@pytest.mark.parametrize("name", ["utf16-bom.xml", "utf16le-nobom.xml", "utf32-bom.xml"])
def test_utf16_and_utf32_feeds(env: Env, hostile_dir: Path, name: str) -> None:
    """UTF-16/32 with and without BOM give the right text."""
    path = env.root / name
    shutil.copyfile(hostile_dir / name, path)
    env.refresh(path)
    titles = {a["title"] for a in env.articles()}
    assert "Neuroplasticité et kétamine – synapses" in titles
    assert any("🧠" in t for t in titles)


def test_utf8_declared_latin1(env: Env, hostile_dir: Path) -> None:
    """Valid UTF-8 under a wrong declaration is read as UTF-8, not mojibake."""
    path = env.root / "latin.xml"
    shutil.copyfile(hostile_dir / "latin1-declared-utf8-bytes.xml", path)
    env.refresh(path)
    titles = {a["title"] for a in env.articles()}
    assert "Neuroplasticité et kétamine – synapses" in titles
    assert "Нейропластичность · 神经可塑性 · 🧠" in titles


@pytest.mark.parametrize("name", ["escape-sequences.xml", "escape-sequences-raw.xml"])
def test_escape_sequences_never_reach_the_cache_or_the_terminal(
    env: Env, hostile_dir: Path, name: str
) -> None:
    """ESC, C1, DEL, NUL and bidi controls are stripped from everything stored and printed."""
    path = env.root / name
    shutil.copyfile(hostile_dir / name, path)
    out = env.refresh(path)
    stored = env.stored_text()
    listed = env.cli("list", "--json")[1]
    tags = env.cli("tags", "--json")[1]
    for text in (out, stored, json.loads(listed).__repr__(), json.loads(tags).__repr__()):
        bad = {
            f"U+{ord(c):04X}"
            for c in text
            if (ord(c) < 0x20 and c not in "\n\t")
            or 0x7F <= ord(c) <= 0x9F
            or c in "\u202e\u200b\u200d\ufeff"
        }
        assert bad == set()
    assert len(json.loads(listed)) > len(GOOD_TITLES)


def test_huge_author_is_bounded(env: Env, hostile_dir: Path) -> None:
    """A 100 KB author is parsed in bounded time and stored short."""
    path = env.root / "author.xml"
    shutil.copyfile(hostile_dir / "huge-author.xml", path)
    env.refresh(path)
    [article] = [a for a in env.articles() if a["title"] == "Huge author"]
    shown = json.loads(env.cli("show", article["id"], "--json")[1])
    assert 0 < len(shown["author"]) <= 200


@pytest.mark.parametrize("element", ["author", "dc:creator"])
def test_huge_generated_author_is_bounded(env: Env, element: str) -> None:
    """A 1 MB author of e-mail-like runs (regex backtracking bait) in RSS and Dublin Core."""
    author = ("a" * 1000 + "@") * 1000
    item = f"<item><title>Long</title><guid>l</guid><{element}>{author}</{element}></item>"
    path = env.root / "author.xml"
    path.write_text(rss(item).replace("<rss ", '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" '))
    env.refresh(path)
    assert "Long" in {a["title"] for a in env.articles()}


@pytest.mark.slow
def test_fifty_thousand_items_are_capped(env: Env) -> None:
    """A 50,000-item feed stores the first 5,000 and says so, in bounded time."""
    items = "".join(
        f"<item><title>Item {n}</title><guid>i{n}</guid><description>b</description></item>"
        for n in range(50_000)
    )
    path = env.root / "huge.xml"
    path.write_text(rss(items, title="Huge feed"))
    out = env.refresh(path)
    [line] = lines_naming(out, "Huge feed")
    assert "5,000 new" in line and "kept the first 5,000" in line
    assert len(env.articles()) == 5000 + len(GOOD_TITLES)


def test_deeply_nested_html_is_stored_and_shown(env: Env, hostile_dir: Path) -> None:
    """5,000 nested divs and 3,000 nested tables: stored, and `show` renders them."""
    path = env.root / "deep.xml"
    shutil.copyfile(hostile_dir / "deep-nesting.xml", path)
    env.refresh(path)
    deep = [a for a in env.articles() if a["feed"] == "Deep nesting"]
    assert len(deep) == 2
    for article in deep:
        shown = json.loads(env.cli("show", article["id"], "--json")[1])
        assert shown["title"] == article["title"]


def test_generated_deep_nesting_in_a_text_article(env: Env) -> None:
    """A local HTML article 5,000 levels deep is read in bounded time."""
    path = env.root / "deep.html"
    path.write_text("<html><head><title>Deep page</title></head><body>" + "<div>" * 5000 + "x")
    env.refresh(path)
    assert "Deep page" in {a["title"] for a in env.articles()}


# -- nothing cached is lost ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "garbage",
    [b"", bytes(range(256)) * 64, b"<rss><<<<&&&&", b"<rss"],
    ids=["empty", "binary", "unreadable-feed", "truncated-root"],
)
def test_a_cached_feed_turned_to_garbage_keeps_its_articles(env: Env, garbage: bytes) -> None:
    """Refresh a feed, replace it with garbage, refresh again: its articles remain."""
    feed = env.root / "changing.xml"
    feed.write_text(rss("<item><title>Cached one</title><guid>c1</guid></item>", title="Changing"))
    env.refresh(feed)
    assert "Cached one" in {a["title"] for a in env.articles()}
    feed.write_bytes(garbage)
    out = env.refresh(feed)
    assert_one_error_line(out, "changing.xml", "")
    assert "Cached one" in {a["title"] for a in env.articles()}
    assert_good_feed_kept(env)


def test_a_deleted_source_keeps_its_articles(env: Env) -> None:
    """A feed file that disappears leaves its cached articles readable."""
    feed = env.root / "vanishing.xml"
    feed.write_text(rss("<item><title>Still here</title><guid>s</guid></item>"))
    env.refresh(feed)
    feed.unlink()
    out = env.refresh(feed)
    assert_one_error_line(out, "vanishing.xml", "no such file or folder")
    assert "Still here" in {a["title"] for a in env.articles()}


def test_every_hostile_fixture_in_one_folder(env: Env, hostile_dir: Path) -> None:
    """The whole fixture folder as one source: no traceback, no hang, the good feed updates."""
    folder = env.root / "hostile"
    shutil.copytree(hostile_dir, folder, ignore=shutil.ignore_patterns("README.md"))
    out = env.refresh(folder)
    files = sorted(p.name for p in folder.iterdir())
    assert files, "no hostile fixtures"
    # Every file is accounted for on some line, and nothing failed outright.
    assert out.splitlines()[-1].endswith(" 0 failed"), out
    assert_good_feed_kept(env)
