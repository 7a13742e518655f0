"""Local sources: a feed file, an article file, or a folder of them.

Files are opened without blocking and checked to be regular files first, so a
FIFO or a device never hangs the reader; folders are walked once per real
directory, so a symlink loop ends.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ketaread.core.clean import clean_line
from ketaread.core.models import ParsedArticle, ParsedFeed
from ketaread.core.parse import NotAFeed, parse_article, parse_feed, sniff
from ketaread.core.shapes import hostile_shape

if TYPE_CHECKING:
    import threading

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_FILES_PER_FOLDER = 10_000


class SourceError(Exception):
    """A source cannot be read; the message names the reason in plain words."""


@dataclass(slots=True)
class Problem:
    """One file that could not be used, and why."""

    location: str
    reason: str
    skipped: bool = False
    """True for files passed over inside a folder (binary, empty), not errors."""


@dataclass(slots=True)
class LocalDocument:
    """A readable local file with its bytes and what it looks like."""

    path: Path
    data: bytes
    mtime: float


@dataclass(slots=True)
class ScanResult:
    """What reading a local source produced: feeds to store and problems to report."""

    documents: list[tuple[ParsedFeed, str]] = field(default_factory=list)
    """(feed, sha256 of the bytes it came from), to skip re-storing unchanged files."""
    problems: list[Problem] = field(default_factory=list)


def describe_mode(mode: int) -> str:
    """What a file that is not a regular one is, in words (a FIFO, a device…)."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _os_reason(error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "a symlink loop"
    if error.errno == errno.ENOENT:
        return "no such file or folder"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return error.strerror or str(error)


def read_file(path: Path, limit: int = MAX_FILE_BYTES) -> LocalDocument:
    """Read a regular file of at most `limit` bytes without ever blocking on it."""
    try:
        info = path.stat()
    except OSError as error:
        raise SourceError(_os_reason(error)) from error
    if not stat.S_ISREG(info.st_mode):
        raise SourceError(describe_mode(info.st_mode))
    if info.st_size > limit:
        raise SourceError(f"larger than {limit // (1024 * 1024)} MiB")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise SourceError(_os_reason(error)) from error
    try:
        # Checked again on the open file: it may have been swapped since stat().
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SourceError(describe_mode(os.fstat(fd).st_mode))
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise SourceError(_os_reason(error)) from error
    finally:
        os.close(fd)
    if len(data) > limit:
        raise SourceError(f"larger than {limit // (1024 * 1024)} MiB")
    return LocalDocument(path=path, data=data, mtime=info.st_mtime)


def walk_folder(folder: Path, problems: list[Problem]) -> Iterator[Path]:
    """Every visible file under `folder`, each real directory visited once, sorted."""
    seen: set[tuple[int, int]] = set()
    count = 0
    stack = [folder]
    while stack:
        directory = stack.pop()
        try:
            info = directory.stat()
        except OSError as error:
            problems.append(Problem(str(directory), _os_reason(error)))
            continue
        identity = (info.st_dev, info.st_ino)
        if identity in seen:
            problems.append(Problem(str(directory), "a folder loop (already read)", skipped=True))
            continue
        seen.add(identity)
        try:
            entries = sorted(directory.iterdir(), key=lambda p: p.name)
        except OSError as error:
            problems.append(Problem(str(directory), _os_reason(error)))
            continue
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                entry.name.encode("utf-8")
            except UnicodeEncodeError:
                # Bytes that are not UTF-8 (surrogate escapes): such a name cannot be stored
                # or shown as it is. One line names it; the other files are still read.
                shown = str(entry).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                problems.append(Problem(shown, "file name is not valid UTF-8", skipped=True))
                continue
            try:
                is_dir = entry.is_dir()
            except OSError as error:
                problems.append(Problem(str(entry), _os_reason(error)))
                continue
            if is_dir:
                subfolders.append(entry)
                continue
            count += 1
            if count > MAX_FILES_PER_FOLDER:
                problems.append(
                    Problem(
                        str(folder), f"more than {MAX_FILES_PER_FOLDER} files; read the first ones"
                    )
                )
                return
            yield entry
        stack.extend(reversed(subfolders))


class ScanStopped(Exception):
    """A folder's scan was stopped part-way; what it read is incomplete and was dropped."""


FeedParser = Callable[[bytes, str, str], ParsedFeed]
"""Parses (data, location, base URL) into a feed: `parse_local_feed`, or the same run in a
worker process with a deadline (refresh.py), raising TimeoutError past it."""


def parse_local_feed(data: bytes, location: str, base_url: str) -> ParsedFeed:
    """A local feed file's bytes as a feed (a module-level function: it runs in workers)."""
    return parse_feed(data, location, base_url=base_url)


def scan_local(
    location: str, stop: threading.Event | None = None, parse: FeedParser = parse_local_feed
) -> ScanResult:
    """Read a local source (file or folder) into feeds; problems are reported, not raised.

    Raises SourceError only when the source itself cannot be read at all, and ScanStopped
    when `stop` is set while a folder is read. `parse` turns a feed file into a feed.
    """
    import hashlib

    root = Path(location)
    result = ScanResult()
    try:
        is_folder = root.is_dir()
        root.stat()
    except OSError as error:
        raise SourceError(_os_reason(error)) from error
    if not is_folder:
        document = read_file(root)
        feed = _parse_document(
            document, folder=None, strict=True, problems=result.problems, parse=parse
        )
        if feed is not None:
            result.documents.append((feed, hashlib.sha256(document.data).hexdigest()))
        return result
    # Loose articles are grouped by the folder that holds them.
    loose: dict[Path, list[ParsedArticle]] = {}
    loose_digests: dict[Path, hashlib._Hash] = {}
    for path in walk_folder(root, result.problems):
        if stop is not None and stop.is_set():
            raise ScanStopped
        try:
            document = read_file(path)
        except SourceError as error:
            result.problems.append(Problem(str(path), str(error)))
            continue
        parsed = _parse_document(
            document, folder=root, strict=False, problems=result.problems, parse=parse
        )
        if parsed is None:
            continue
        if parsed.kind == "feed":
            result.documents.append((parsed, hashlib.sha256(document.data).hexdigest()))
        else:
            loose.setdefault(path.parent, []).extend(parsed.articles)
            digest = loose_digests.setdefault(path.parent, hashlib.sha256())
            digest.update(str(path).encode() + b"\0" + document.data + b"\0")
    for folder, articles in loose.items():
        articles_feed = ParsedFeed(
            location=str(folder),
            title=clean_line(folder.name or str(folder)),
            kind="articles",
            articles=articles,
        )
        result.documents.append((articles_feed, loose_digests[folder].hexdigest()))
    return result


def _parse_document(
    document: LocalDocument,
    folder: Path | None,
    strict: bool,
    problems: list[Problem],
    parse: FeedParser = parse_local_feed,
) -> ParsedFeed | None:
    """A feed document becomes a feed; any other text becomes a one-article feed."""
    path = document.path
    sniffed = sniff(document.data, path.name)
    if sniffed.kind in ("empty", "binary", "json"):
        reason = {
            "empty": "empty file",
            "binary": "binary file, not a feed or an article",
            "json": "a JSON document, not a feed or an article",
        }[sniffed.kind]
        if strict:
            raise SourceError(reason)
        problems.append(Problem(str(path), reason, skipped=True))
        return None
    if sniffed.kind == "feed":
        refused = hostile_shape(document.data)
        if refused:
            if strict:
                raise SourceError(refused)
            problems.append(Problem(str(path), refused))
            return None
        try:
            return parse(document.data, str(path), path.absolute().as_uri())
        except InterruptedError:
            raise ScanStopped from None
        except (NotAFeed, TimeoutError) as error:
            reason = str(error) or "parsing took too long and was stopped"
            if strict:
                raise SourceError(reason) from error
            problems.append(Problem(str(path), reason))
            return None
    uid = "file:" + (str(path.relative_to(folder)) if folder else path.name)
    article = parse_article(sniffed, uid=uid, fallback_title=path.stem, mtime=document.mtime)
    # A folder's files are one source named after the folder; a file added on its own is
    # named by its page (its folder's name, "Downloads", would tell it from nothing).
    name = folder.name if folder is not None else (article.title or path.stem)
    return ParsedFeed(
        location=str(path if folder is None else folder),
        title=clean_line(name or path.stem),
        kind="articles",
        articles=[article],
    )
