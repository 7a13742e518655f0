"""Fault injection on ordinary OS edge cases: odd file names, FIFOs and devices where
files belong, full disks, read-only folders, odd terminals and huge numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from faults_support import fill, make_read_only, undo_read_only

RunCli = Callable[..., tuple[int, str, str]]

FEED = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
    "<item><title>{title}: one item</title><guid>{title}-1</guid></item></channel></rss>"
)


def raw_cli(
    *args: str, env: dict[str, str] | None = None, stdout: object = subprocess.PIPE, timeout=30
) -> subprocess.CompletedProcess[bytes]:
    """The real entry point with bytes in and out, an environment of our choosing."""
    return subprocess.run(
        [sys.executable, "-m", "ketaread", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def no_traceback(err: str | bytes) -> None:
    text = err.decode(errors="replace") if isinstance(err, bytes) else err
    assert "Traceback" not in text, text


def test_a_file_name_that_is_not_utf8_is_skipped_and_the_rest_stored(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """One non-UTF-8 name in a source folder aborted every refresh with a traceback, and
    no other source was stored either."""
    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "good.xml").write_text(FEED.format(title="Good"), encoding="utf-8")
    bad = os.path.join(os.fsencode(folder), b"bad-\xff\xfe.xml")
    with open(bad, "wb") as handle:
        handle.write(FEED.format(title="Bad").encode())
    other = tmp_path / "other.xml"
    other.write_text(FEED.format(title="Other"), encoding="utf-8")
    assert run_cli("add", str(folder))[0] == 0
    assert run_cli("add", str(other))[0] == 0
    code, out, err = run_cli("refresh")
    no_traceback(err)
    assert code == 0, err
    [line] = [line for line in out.splitlines() if "UTF-8" in line]
    assert "bad-" in line and "skipped" in line
    code, out, _err = run_cli("list")
    assert "Good: one item" in out and "Other: one item" in out


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "deep", "huge", "folder"])
def test_a_config_that_is_no_regular_small_file_is_refused_quickly(
    run_cli: RunCli, tmp_path: Path, kind: str
) -> None:
    """A FIFO hung refresh; /dev/zero was a MemoryError; a 5,000-deep array a traceback."""
    config = tmp_path / "odd" / "config.toml"
    config.parent.mkdir()
    if kind == "fifo":
        os.mkfifo(config)
    elif kind == "dev-zero":
        config = Path("/dev/zero")
    elif kind == "deep":
        config.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    elif kind == "huge":
        config.write_text("# padding\n" * 300_000)
    else:
        config.mkdir()
    code, _out, err = run_cli("--config", str(config), "refresh", timeout=20)
    no_traceback(err)
    assert code == 1
    assert str(config) in err


def test_a_settings_fifo_does_not_hang_the_reader(tmp_path: Path, tmp_config: Path) -> None:
    """settings.toml as a FIFO hung the reader before its first frame."""
    tmp_config.parent.mkdir(parents=True)
    os.mkfifo(tmp_config.parent / "settings.toml")
    probe = (
        "from ketaread.cli import make_app\n"
        f"app = make_app(config={str(tmp_config)!r})\n"
        "print('theme', app.theme)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=20)
    no_traceback(done.stderr)
    assert "theme" in done.stdout


def test_add_with_a_read_only_config_folder_says_so(run_cli: RunCli, tmp_path: Path) -> None:
    """`add` with the config folder read-only: a traceback before."""
    folder = tmp_path / "config-ro"
    folder.mkdir()
    config = folder / "config.toml"
    config.write_text('[[source]]\nlocation = "https://example.org/a.xml"\n')
    before = config.read_text()
    make_read_only(folder)
    try:
        code, _out, err = run_cli(
            "--config", str(config), "--offline", "add", "https://example.org/b.xml"
        )
        no_traceback(err)
        assert code == 1
        assert "cannot save the config file" in err
        assert sorted(p.name for p in folder.iterdir()) == ["config.toml"]
    finally:
        undo_read_only(folder)
    assert config.read_text() == before


def test_add_on_a_full_disk_leaves_the_config_and_no_temporary_file(
    run_cli: RunCli, small_disk: Path
) -> None:
    """`add` on a full disk left a 0-byte config.toml.tmp and a traceback."""
    config = small_disk / "config.toml"
    config.write_text('[[source]]\nlocation = "https://example.org/a.xml"\n')
    before = config.read_text()
    filler = fill(small_disk)
    code, _out, err = run_cli(
        "--config", str(config), "--offline", "add", "https://example.org/" + "b" * 5000 + ".xml"
    )
    no_traceback(err)
    assert code == 1
    assert "disk is full" in err
    assert sorted(p.name for p in small_disk.iterdir()) == ["config.toml", "filler"]
    filler.unlink()
    assert config.read_text() == before


def test_define_with_a_byte_that_is_not_utf8(run_cli: RunCli) -> None:
    """`define $'\\xff'` was a UnicodeEncodeError traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "ketaread", "define", os.fsdecode(b"\xff")],
        capture_output=True,
        timeout=30,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    no_traceback(done.stderr)
    assert done.returncode == 1
    assert b"not in the glossary" in done.stderr


def test_list_to_a_full_device(run_cli: RunCli) -> None:
    """`list > /dev/full` was a traceback."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    assert run_cli("refresh")[0] == 0
    with open("/dev/full", "wb") as full:
        done = raw_cli("list", stdout=full)
    no_traceback(done.stderr)
    assert done.returncode == 1
    assert b"cannot write the output" in done.stderr


def test_list_on_an_ascii_terminal(run_cli: RunCli) -> None:
    """PYTHONIOENCODING=ascii with curly quotes in titles: a traceback before."""
    assert run_cli("refresh")[0] == 0
    for args in (("list",), ("list", "--json"), ("sources",)):
        done = raw_cli(*args, env={"PYTHONIOENCODING": "ascii"})
        no_traceback(done.stderr)
        assert done.returncode == 0
        assert done.stdout.isascii()
    done = raw_cli("list", "--json", env={"PYTHONIOENCODING": "ascii"})
    titles = [article["title"] for article in json.loads(done.stdout)]
    assert any("\u201c" in title for title in titles)  # kept whole, as JSON escapes


def test_a_huge_limit_means_every_article(run_cli: RunCli) -> None:
    """`--limit 10**30` was "datatype mismatch"; a negative one is refused by the parser."""
    assert run_cli("refresh")[0] == 0
    _code, everything, _err = run_cli("list")
    code, out, err = run_cli("list", "--limit", str(10**30))
    no_traceback(err)
    assert code == 0 and out == everything
    code, _out, err = run_cli("list", "--limit", "-1")
    assert code == 2 and "0 or more" in err
