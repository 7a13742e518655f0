"""Local sources: files and folders are read by content, and odd files never hang or crash."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from ketaread.core.sources import SourceError, read_file, scan_local

FEED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
    "<item><title>First</title><guid>1</guid><category>Depression</category>"
    "<description>One</description></item>"
    "<item><title>Second</title><guid>2</guid><category>depression</category>"
    "<description>Two</description></item></channel></rss>"
)
TEXT = "Integration after a session\n\nNotes written for the reading group.\n"

needs_non_root = pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file"
)


def write(path: Path, text: str) -> Path:
    """Write `text` to `path`, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_feed_and_text_article_both_named_txt_are_told_apart(tmp_path: Path) -> None:
    """A feed saved as .txt is a feed; a plain-text article saved as .txt is one article."""
    write(tmp_path / "feed.txt", FEED.format(title="Saved feed"))
    write(tmp_path / "note.txt", TEXT)
    scan = scan_local(str(tmp_path))
    kinds = {feed.kind: feed for feed, _ in scan.documents}
    assert set(kinds) == {"feed", "articles"}
    assert kinds["feed"].title == "Saved feed"
    assert [a.title for a in kinds["feed"].articles] == ["First", "Second"]
    assert [a.title for a in kinds["articles"].articles] == ["Integration after a session"]
    assert scan.problems == []


def test_feed_file_without_extension_is_a_feed(tmp_path: Path) -> None:
    """No extension: the content decides."""
    path = write(tmp_path / "feed", FEED.format(title="No extension"))
    [(feed, _)] = scan_local(str(path)).documents
    assert feed.kind == "feed"
    assert feed.title == "No extension"
    assert len(feed.articles) == 2


def test_folder_is_read_recursively_and_hidden_files_are_skipped(tmp_path: Path) -> None:
    """Every feed and article under a folder is found; dot files are not."""
    write(tmp_path / "a" / "b" / "deep.xml", FEED.format(title="Deep"))
    write(tmp_path / "a" / "note.md", "# Markdown note\n\nText")
    write(tmp_path / ".hidden" / "secret.xml", FEED.format(title="Hidden"))
    write(tmp_path / ".dotfile.txt", TEXT)
    scan = scan_local(str(tmp_path))
    titles = sorted(f.title for f, _ in scan.documents)
    assert titles == ["Deep", "a"]
    loose = next(f for f, _ in scan.documents if f.kind == "articles")
    assert [a.title for a in loose.articles] == ["Markdown note"]


def test_loose_articles_are_grouped_by_their_folder(tmp_path: Path) -> None:
    """Articles in one folder form one 'articles' feed named after it."""
    write(tmp_path / "one" / "x.txt", "X title\nbody")
    write(tmp_path / "one" / "y.txt", "Y title\nbody")
    write(tmp_path / "two" / "z.txt", "Z title\nbody")
    scan = scan_local(str(tmp_path))
    groups = {f.title: sorted(a.title for a in f.articles) for f, _ in scan.documents}
    assert groups == {"one": ["X title", "Y title"], "two": ["Z title"]}


def test_a_single_file_that_is_empty_or_binary_is_an_error(tmp_path: Path) -> None:
    """Given directly, an unusable file raises SourceError with the reason."""
    empty = write(tmp_path / "empty.xml", "")
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(SourceError, match="empty file"):
        scan_local(str(empty))
    with pytest.raises(SourceError, match="binary"):
        scan_local(str(binary))


def test_in_a_folder_unusable_files_are_skipped_and_good_ones_kept(tmp_path: Path) -> None:
    """Inside a folder, empty and binary files are passed over; the rest is read."""
    write(tmp_path / "empty.txt", "")
    (tmp_path / "blob.bin").write_bytes(bytes(range(256)) * 4)
    write(tmp_path / "good.xml", FEED.format(title="Good"))
    scan = scan_local(str(tmp_path))
    assert [f.title for f, _ in scan.documents] == ["Good"]
    reasons = {Path(p.location).name: (p.reason, p.skipped) for p in scan.problems}
    assert reasons["empty.txt"] == ("empty file", True)
    assert reasons["blob.bin"][1] is True and "binary" in reasons["blob.bin"][0]


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    """A path that is not there says so."""
    with pytest.raises(SourceError, match="no such file or folder"):
        scan_local(str(tmp_path / "nope.xml"))


def test_symlink_loop_is_a_clear_error(tmp_path: Path) -> None:
    """a -> b -> a ends with 'a symlink loop', directly and inside a folder."""
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a").symlink_to(folder / "b")
    (folder / "b").symlink_to(folder / "a")
    write(folder / "good.txt", TEXT)
    with pytest.raises(SourceError, match="symlink loop"):
        scan_local(str(folder / "a"))
    scan = scan_local(str(folder))
    assert {Path(p.location).name: p.reason for p in scan.problems} == {
        "a": "a symlink loop",
        "b": "a symlink loop",
    }
    assert [a.title for f, _ in scan.documents for a in f.articles] == [
        "Integration after a session"
    ]


def test_directory_loop_is_read_once(tmp_path: Path) -> None:
    """A symlink to a parent folder does not make the walk go round for ever."""
    write(tmp_path / "inner" / "feed.xml", FEED.format(title="Once"))
    (tmp_path / "inner" / "up").symlink_to(tmp_path)
    scan = scan_local(str(tmp_path))
    assert [f.title for f, _ in scan.documents] == ["Once"]
    assert any("loop" in p.reason and p.skipped for p in scan.problems)


def _finishes(target: object, seconds: float = 10.0) -> bool:
    """Run `target` in a daemon thread; True if it returned within `seconds`."""
    thread = threading.Thread(target=target, daemon=True)  # type: ignore[arg-type]
    thread.start()
    thread.join(seconds)
    return not thread.is_alive()


def test_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    """A named pipe nobody writes to is reported, never opened for a blocking read."""
    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    outcome: list[str] = []

    def attempt() -> None:
        try:
            read_file(fifo)
        except SourceError as error:
            outcome.append(str(error))

    assert _finishes(attempt), "reading a FIFO hung"
    assert outcome == ["a FIFO (named pipe)"]


def test_fifo_inside_a_folder_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    """A FIFO among articles does not stop the folder from being read."""
    os.mkfifo(tmp_path / "pipe.txt")
    write(tmp_path / "good.txt", TEXT)
    results: list = []
    assert _finishes(lambda: results.append(scan_local(str(tmp_path))))
    [scan] = results
    assert [(Path(p.location).name, p.reason) for p in scan.problems] == [
        ("pipe.txt", "a FIFO (named pipe)")
    ]
    assert len(scan.documents) == 1


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_device_is_refused_without_hanging(device: str) -> None:
    """Character devices are refused by type, never read."""
    if not os.path.exists(device):
        pytest.skip(f"{device} does not exist here")
    outcome: list[str] = []

    def attempt() -> None:
        try:
            scan_local(device)
        except SourceError as error:
            outcome.append(str(error))

    assert _finishes(attempt)
    assert outcome == ["a device"]


def test_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    """A file larger than the limit is refused before it is parsed."""
    path = write(tmp_path / "big.txt", "x" * 2048)
    with pytest.raises(SourceError, match="larger than"):
        read_file(path, limit=1024)
    assert read_file(path, limit=4096).data == b"x" * 2048


@needs_non_root
def test_unreadable_file_is_permission_denied(tmp_path: Path) -> None:
    """chmod 000 gives 'permission denied'."""
    path = write(tmp_path / "locked.xml", FEED.format(title="Locked"))
    path.chmod(0)
    try:
        with pytest.raises(SourceError, match="permission denied"):
            scan_local(str(path))
    finally:
        path.chmod(0o644)


@needs_non_root
def test_unlistable_folder_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    """A sub-folder without execute/read permission is reported; siblings are still read."""
    locked = tmp_path / "locked"
    write(locked / "inside.txt", TEXT)
    write(tmp_path / "open.txt", TEXT)
    locked.chmod(0)
    try:
        scan = scan_local(str(tmp_path))
    finally:
        locked.chmod(0o755)
    assert any(p.reason == "permission denied" for p in scan.problems)
    assert len(scan.documents) == 1


def test_digest_changes_when_a_file_changes(tmp_path: Path) -> None:
    """The per-document digest lets unchanged files be skipped and changed ones re-stored."""
    path = write(tmp_path / "feed.xml", FEED.format(title="One"))
    [(_, before)] = scan_local(str(path)).documents
    [(_, again)] = scan_local(str(path)).documents
    write(path, FEED.format(title="Two"))
    [(_, after)] = scan_local(str(path)).documents
    assert before == again
    assert before != after


def test_a_file_added_on_its_own_is_named_by_its_page_not_its_folder(tmp_path: Path) -> None:
    """A single HTML page or text file added as a source was named after its folder
    ("Downloads"), so two pages added from one folder looked the same in the sidebar."""
    page = write(
        tmp_path / "Downloads" / "page.html",
        "<html><head><title>Glutamate and NMDA</title></head><body><p>NMDA.</p></body></html>",
    )
    note = write(tmp_path / "Downloads" / "note.txt", TEXT)
    titles = [scan_local(str(path)).documents[0][0].title for path in (page, note)]
    assert titles == ["Glutamate and NMDA", "Integration after a session"]
    # Inside a folder source they still make one source named after the folder.
    folder = scan_local(str(tmp_path / "Downloads"))
    assert {feed.title for feed, _ in folder.documents} == {"Downloads"}
