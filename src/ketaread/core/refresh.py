"""Update the cache from every configured source, in transactions of whole feeds.

A source that fails is reported and recorded; it never stops the others and
never removes what the cache already holds.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ketaread.core.clean import clean_line
from ketaread.core.models import ParsedFeed
from ketaread.core.parse_workers import (
    INLINE_PARSE_MAX,
    ParseWorkers,
)
from ketaread.core.shapes import hostile_shape
from ketaread.core.store import Store, content_hash
from ketaread.core.wording import counted
from ketaread.core.write_turns import TURNS

if TYPE_CHECKING:
    from ketaread.core.fetch import FetchResult
    from ketaread.core.sync.engine import AccountReport

REFRESH_LOCK_WAIT = 300.0


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """What the refresher needs of a configured source."""

    location: str
    title: str | None = None
    tags: tuple[str, ...] = ()
    full_text: bool = False
    """Fetch new articles' web pages for their full text after storing the feed."""

    @property
    def is_remote(self) -> bool:
        """True for http(s) sources."""
        return self.location.lower().startswith(("http://", "https://"))


@dataclass(slots=True)
class FeedReport:
    """The outcome for one feed or file, as one line for the user."""

    location: str
    title: str
    status: str
    """One of updated, unchanged, not_modified, gone, postponed, skipped, offline, error,
    or full_text (articles' web pages fetched after the feed; not a feed of its own)."""
    new: int = 0
    updated: int = 0
    message: str = ""

    @property
    def failed(self) -> bool:
        """True when this feed could not be read."""
        return self.status == "error"

    def line(self) -> str:
        """One human line: what happened to this feed."""
        name = self.title or self.location
        if self.status == "updated":
            text = f"{name}: {self.new:,} new, {self.updated:,} updated"
        elif self.status == "unchanged":
            text = f"{name}: unchanged"
        elif self.status == "not_modified":
            text = f"{name}: not modified (server said 304)"
        elif self.status == "full_text":
            return clean_line(f"{name}: fetched the {self.message}", limit=1000)
        else:
            text = f"{name}: {self.status.replace('_', ' ')}"
        if self.message:
            text += f" — {self.message}"
        # Names come from file names and feeds, messages from the OS: never trust them
        # to be free of terminal escape sequences.
        return clean_line(text, limit=1000)


@dataclass(slots=True)
class RefreshSummary:
    """Every report of one refresh."""

    reports: list[FeedReport] = field(default_factory=list)
    stopped: bool = False
    """True when the refresh was asked to stop (some sources may not have been checked)."""
    accounts: list[AccountReport] = field(default_factory=list)
    """One report per feed-server account synced after the sources (core/sync)."""

    @property
    def all_failed(self) -> bool:
        """True when there was something to read and every one of them failed."""
        relevant = [r.failed for r in self.reports if r.status not in ("skipped", "full_text")]
        relevant += [a.failed for a in self.accounts]
        return bool(relevant) and all(relevant)

    def line(self) -> str:
        """The closing summary line."""
        new = sum(r.new for r in self.reports)
        updated = sum(r.updated for r in self.reports)
        failed = sum(r.failed for r in self.reports)
        feeds = sum(r.status not in ("skipped", "full_text") for r in self.reports)
        parts = []
        if feeds or not self.accounts:
            # Only server accounts: "0 feeds checked: 0 new…" would say nothing true.
            parts.append(
                f"{counted(feeds, 'feed')} checked: "
                f"{new:,} new, {updated:,} updated articles, {failed:,} failed"
            )
        if self.accounts:
            synced = sum(a.status == "synced" for a in self.accounts)
            parts.append(f"{synced:,} of {counted(len(self.accounts), 'server account')} synced")
        return "; ".join(parts)


Reporter = Callable[[FeedReport], None]

STOP_POLL_SECONDS = 0.1
"""How often a refresh waiting on the network or on another refresh looks at its stop signal."""


class RefreshStopped(Exception):
    """The refresh was asked to stop (the reader does so when it quits) before it could start."""


def _stopped(stop: threading.Event | None) -> bool:
    return stop is not None and stop.is_set()


@contextlib.contextmanager
def refresh_lock(
    database: Path,
    wait: float = REFRESH_LOCK_WAIT,
    on_wait: Callable[[], None] | None = None,
    stop: threading.Event | None = None,
) -> Iterator[None]:
    """Let one refresh at a time work on a cache; a second one waits its turn, unless
    `stop` is set meanwhile (RefreshStopped)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: SQLite's own locking still keeps the data whole
        yield
        return
    lock_path = Path(f"{database}.refresh-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told and on_wait:
                    on_wait()
                    told = True
                if time.monotonic() > deadline:
                    raise TimeoutError("another ketaread refresh is still running") from None
                if stop is None:
                    time.sleep(STOP_POLL_SECONDS)
                elif stop.wait(STOP_POLL_SECONDS):
                    raise RefreshStopped from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _tagged_digest(digest: str, spec: SourceSpec) -> str:
    """A file's hash combined with the config that shapes how it is stored."""
    extra = "\0".join((spec.title or "", *spec.tags))
    return hashlib.sha256(f"{digest}\0{extra}".encode()).hexdigest()


def _write_error(error: sqlite3.Error) -> str:
    text = str(error)
    if "full" in text:
        return "cannot write the cache: the disk is full"
    if "readonly" in text or "read-only" in text:
        return "cannot write the cache: it is read-only"
    return f"cannot write the cache: {text}"


def refresh_local(
    store: Store,
    spec: SourceSpec,
    report: Reporter,
    stop: threading.Event | None = None,
    workers: ParseWorkers | None = None,
) -> None:
    """Read one local source (file or folder) into the cache; with `stop` set, the files
    not stored yet are left for the next refresh. With `workers`, feed files parse in
    them, under the same deadline as remote feeds."""
    from ketaread.core.parse import NotAFeed
    from ketaread.core.sources import ScanStopped, SourceError, parse_local_feed, scan_local

    parse = parse_local_feed
    if workers is not None:
        pool = workers

        def parse(data: bytes, location: str, base_url: str) -> ParsedFeed:
            try:
                return pool.call(len(data), parse_local_feed, data, location, base_url, stop=stop)
            except TimeoutError:
                raise TimeoutError(
                    f"parsing took longer than {pool.deadline:g} s and was stopped "
                    "(the cached articles are kept)"
                ) from None
            except (NotAFeed, InterruptedError):
                raise
            except Exception as error:  # a crashed worker is this file's problem alone
                raise NotAFeed(f"could not parse the feed ({error.__class__.__name__})") from error

    try:
        scan = scan_local(spec.location, stop, parse)
    except ScanStopped:
        return
    except SourceError as error:
        _record_error(store, spec.location, spec.location, str(error), report)
        return
    for problem in scan.problems:
        if problem.skipped:
            report(
                FeedReport(
                    problem.location, Path(problem.location).name, "skipped", message=problem.reason
                )
            )
        else:
            _record_error(store, spec.location, problem.location, problem.reason, report)
    for parsed, digest in scan.documents:
        if _stopped(stop):
            return
        digest = _tagged_digest(digest, spec)
        state = store.feed_state(parsed.location)
        title = spec.title or parsed.title
        if state and state.body_hash == digest:
            try:
                store.record_check(parsed.location, spec.location)
            except sqlite3.Error as error:
                report(FeedReport(parsed.location, title, "error", message=_write_error(error)))
                continue
            report(FeedReport(parsed.location, title, "unchanged"))
            continue
        _store(store, spec, parsed, report, body_hash=digest)


def _store(
    store: Store,
    spec: SourceSpec,
    parsed: ParsedFeed,
    report: Reporter,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    body_hash: str | None = None,
) -> None:
    title = spec.title or parsed.title
    try:
        result = store.store_feed(
            spec.location,
            parsed,
            user_title=spec.title,
            user_tags=spec.tags,
            etag=etag,
            last_modified=last_modified,
            body_hash=body_hash,
        )
    except sqlite3.Error as error:
        report(FeedReport(parsed.location, title, "error", message=_write_error(error)))
        return
    report(
        FeedReport(
            parsed.location,
            title,
            "updated",
            new=result.new,
            updated=result.updated,
            message="; ".join(parsed.warnings),
        )
    )


def _record_error(store: Store, source: str, location: str, reason: str, report: Reporter) -> None:
    # File names are untrusted text like any feed title: cleaned before they are stored.
    title = clean_line(Path(location).name or location)
    # Even if the cache cannot record it, the error is reported and the cache stays whole.
    with contextlib.suppress(sqlite3.Error):
        store.record_check(location, source, title=title, error=reason)
    report(FeedReport(location, title, "error", message=reason))


def _per_source(handle: Callable[..., None]) -> Callable[..., None]:
    """Turn a cache error while handling one source's fetch into that source's error."""

    def guarded(
        store: Store,
        spec: SourceSpec,
        title: str,
        result: FetchResult,
        report: Reporter,
        *rest: object,
    ) -> None:
        try:
            handle(store, spec, title, result, report, *rest)
        except sqlite3.Error as error:
            # Raised into the fetcher's task group, it would cancel every other fetch
            # and end the refresh with a traceback.
            message = _write_error(error)
            with contextlib.suppress(sqlite3.Error):
                store.record_check(result.url, spec.location, title=title, error=message)
            report(FeedReport(result.url, title, "error", message=message))

    return guarded


def refresh(
    store: Store,
    specs: list[SourceSpec],
    *,
    offline: bool = False,
    report: Reporter | None = None,
    fetch_settings: object | None = None,
    stop: threading.Event | None = None,
) -> RefreshSummary:
    """Refresh every source; local ones first, then remote ones concurrently.

    Setting `stop` (from another thread) ends the refresh at its next check: between files
    and feeds, and every tenth of a second while it waits on the network or on another
    refresh. A feed being stored or parsed is finished first, and a host name being looked
    up is waited for. Every feed stored stays; the rest wait for the next refresh.
    """
    summary = RefreshSummary()

    def collect(feed_report: FeedReport) -> None:
        summary.reports.append(feed_report)
        if report:
            report(feed_report)

    remote = [s for s in specs if s.is_remote]
    # Local feed files parse under the remote feeds' deadline, in worker processes killed
    # past it (started only for a file too big to parse inline: core/parse_workers.py).
    local_workers = ParseWorkers()
    try:
        for spec in specs:
            if not spec.is_remote and not _stopped(stop):
                refresh_local(store, spec, collect, stop, local_workers)
    finally:
        local_workers.close()
    if remote and not _stopped(stop):
        if offline:
            for spec in remote:
                collect(
                    FeedReport(
                        spec.location,
                        spec.title or spec.location,
                        "offline",
                        message="not fetched (--offline); reading the cache",
                    )
                )
        else:
            asyncio.run(_refresh_remote(store, remote, collect, fetch_settings, stop))
    if not offline:
        # Local feed files link to web pages too: full text works for any source.
        _fill_full_texts(store, [s for s in specs if s.full_text], collect, stop)
    summary.stopped = _stopped(stop)
    return summary


def _fill_full_texts(
    store: Store, specs: list[SourceSpec], report: Reporter, stop: threading.Event | None
) -> None:
    """Fetch the full text of the newest articles of `full_text` sources not yet tried."""
    if not specs:
        return  # and fulltext's imports (statistics, fractions...) are not paid for
    from ketaread.core.fulltext import PER_REFRESH, fetch_full_texts

    for spec in specs:
        if _stopped(stop):
            return
        wanted = store.articles_without_full_text(spec.location, PER_REFRESH)
        if not wanted:
            continue
        try:
            results = fetch_full_texts(store, wanted, stop=stop)
            if _stopped(stop):
                return
        except sqlite3.Error as error:
            report(
                FeedReport(spec.location, spec.title or "", "error", message=_write_error(error))
            )
            continue
        failed = [r for r in results if r.html is None]
        message = f"full text of {len(results) - len(failed)} of {len(results)} articles"
        if failed:
            message += f"; kept the excerpt of {len(failed)} ({failed[0].error})"
        title = spec.title or store.feed_title(spec.location) or spec.location
        report(FeedReport(spec.location, title, "full_text", message=message))


async def _refresh_remote(
    store: Store,
    specs: list[SourceSpec],
    report: Reporter,
    settings: object | None,
    stop: threading.Event | None,
) -> None:
    now = time.time()
    wanted: list[tuple[str, tuple[str | None, str | None, str | None]]] = []
    by_url: dict[str, tuple[SourceSpec, str]] = {}
    for spec in specs:
        state = store.feed_state_for_source(spec.location)
        location = state.location if state else spec.location
        title = spec.title or (store.feed_title(location) or spec.location)
        if state and state.gone:
            report(
                FeedReport(
                    location,
                    title,
                    "gone",
                    message="the server said 410 Gone; no longer polled, cache kept",
                )
            )
            continue
        if state and state.retry_at and state.retry_at > now:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(state.retry_at))
            report(
                FeedReport(
                    location, title, "postponed", message=f"server asked to wait until {when}"
                )
            )
            continue
        stored = (state.etag, state.last_modified, state.body_hash) if state else (None,) * 3
        wanted.append((location, stored))
        by_url[location] = (spec, title)

    # Parsing is CPU-bound (feedparser is pure Python) and, on hostile shapes, slow: it
    # runs in worker processes, killed at the per-feed deadline (core/parse_workers.py).
    # They start early when many feeds are new, else with the first body too big to
    # parse inline, so a refresh of unchanged feeds never pays for them. Started before
    # the fetcher's import (httpx, ~0.1 s), which then runs while the forkserver starts.
    never_fetched = sum(1 for _, stored in wanted if stored == (None, None, None))
    workers = ParseWorkers(start_early=never_fetched >= PARSE_POOL_MIN_FEEDS)

    from ketaread.core.fetch import Fetcher, FetchSettings, Validators

    requests = [(location, Validators(*stored)) for location, stored in wanted]
    many = len(requests) >= PARSE_POOL_MIN_FEEDS
    parsing: list[asyncio.Future[None]] = []
    done: set[str] = set()
    # Past the deadline: a parse that returns now is not stored (its feed was reported
    # "not checked"), whatever Python 3.11's wait_for let through of its cancellation.
    ended = False
    batches = _Batches(store, report)

    async def parse_then_store(result: FetchResult, spec: SourceSpec, title: str) -> None:
        body = result.body or b""
        try:
            prepared = await workers.run(
                len(body) if not many else INLINE_PARSE_MAX + 1,
                prepare_body,
                body,
                result.url,
                result.final_url,
            )
        except TimeoutError:
            prepared = (
                f"parsing took longer than {workers.deadline:g} s and was stopped "
                "(the cached articles are kept)"
            )
        except Exception as error:  # a crashed worker is one feed's problem, not the refresh's
            prepared = f"could not parse the feed ({error.__class__.__name__})"
        if ended:
            return
        done.add(result.url)
        await batches.store(_Fetched(spec, title, result, prepared), last=len(done) == len(by_url))

    def handle(result: FetchResult) -> None:
        spec, title = by_url[result.url]
        if result.outcome == "ok":
            parsing.append(asyncio.ensure_future(parse_then_store(result, spec, title)))
        else:
            done.add(result.url)
            batches.write(_handle_fetch, store, spec, title, result, report, short=True)
            if len(done) == len(by_url):
                batches.last_arrived()

    try:
        fetch_settings = settings if isinstance(settings, FetchSettings) else FetchSettings()
        async with asyncio.timeout(REFRESH_DEADLINE):
            async with Fetcher(fetch_settings) as fetcher:
                await _unless_stopped(fetcher.fetch_all(requests, on_result=handle), stop)
            await _unless_stopped(asyncio.gather(*parsing), stop)
        batches.flush()  # parsed before a stop: stored (a batch's first feed was waiting)
        batches.finish()
    except TimeoutError:
        ended = True
        await _cancel_all(parsing)
        batches.flush()
        batches.finish()
        # The whole refresh has a deadline: what is not done by then waits for the next.
        for location, (_spec, title) in by_url.items():
            if location not in done:
                report(
                    FeedReport(
                        location,
                        title,
                        "error",
                        message=f"not checked: the refresh passed its {REFRESH_DEADLINE:.0f} s "
                        "deadline (the cached articles are kept)",
                    )
                )
    finally:
        # Before the workers go: a parse cancelled after its pool was killed saw the pool
        # broken, parsed again after the refresh had returned, and then failed to store.
        await _cancel_all(parsing)
        batches.close()
        workers.close()


async def _cancel_all(tasks: list[asyncio.Future[None]]) -> None:
    """Cancel `tasks` and wait for them to end (at once when they have)."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _unless_stopped(work: Awaitable[object], stop: threading.Event | None) -> None:
    """Await `work`, or cancel it once `stop` is set. Feeds are stored between awaits, so
    cancelling never leaves one half-written."""
    task = asyncio.ensure_future(work)
    if stop is None:
        await task
        return
    try:
        while not task.done():
            if stop.is_set():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                return
            await asyncio.wait({task}, timeout=STOP_POLL_SECONDS)
    except asyncio.CancelledError:
        # The refresh's deadline: asyncio.wait leaves `work` running (`await task` did
        # not), and it went on fetching and parsing while the refresh ended around it.
        # Whatever it ends with, the deadline is what is raised.
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        raise
    task.result()


PARSE_POOL_MIN_FEEDS = 8
BATCH_BYTES = 8 * 1024 * 1024
"""Feed bodies one transaction stores at most (it may pass this by one feed)."""
BATCH_SECONDS = 0.5
"""How long a parsed feed waits for others to share its transaction."""


@dataclass(slots=True)
class _Fetched:
    """A fetched and parsed feed waiting for its transaction."""

    spec: SourceSpec
    title: str
    result: FetchResult
    prepared: ParsedFeed | str


class _Batches:
    """Stores parsed feeds a batch per transaction instead of one each, in a thread of its
    own: while a batch is stored the event loop goes on fetching and handing bodies to the
    parse workers (storing on the loop left both workers idle for each batch's storing).

    A transaction per feed cost most of the storing time: a COMMIT each, and each one a
    segment of the search index to merge later (benchmarks/README.md, "Refresh on
    make_corpus feeds"). A batch is what is parsed within BATCH_SECONDS of its first feed,
    up to BATCH_BYTES: a crash loses at most that (its feeds' validators with it, so the next
    refresh fetches them again), and another writer waits at most one batch's storing.
    The other outcomes' records go through the same thread while it is busy (in the order
    they were asked for), else run at once on the loop: never two writers at a time, so
    reports come from one thread at a time.
    Reports come once the batch is committed.
    """

    def __init__(self, store: Store, report: Reporter) -> None:
        self._store = store
        self._report = report
        self._pending: list[_Fetched] = []
        self._bytes = 0
        self._due = asyncio.Event()
        self._writer = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="ketaread-store")
        self._writes: list[concurrent.futures.Future[None]] = []

    def write(self, function: Callable[..., None], *args: object, short: bool = False) -> None:
        """Run a write on the store's thread, after every write asked for before it; a
        `short` one (a 304's record) runs here at once when that thread has nothing to do,
        as nothing else can be writing then: a refresh of unchanged feeds starts no thread."""
        # Ended writes that raised nothing are forgotten; an error waits for finish().
        self._writes = [w for w in self._writes if not w.done() or w.exception() is not None]
        if short and not self._writes:
            function(*args)
            return
        self._writes.append(self._writer.submit(function, *args))

    async def store(self, item: _Fetched, *, last: bool) -> None:
        """Add a parsed feed; the batch's first feed waits for the rest, then stores them."""
        self._pending.append(item)
        self._bytes += len(item.result.body or b"")
        full = last or self._bytes >= BATCH_BYTES
        if len(self._pending) > 1:
            if full:
                self._due.set()
            return
        self._due.clear()
        if not full:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._due.wait(), BATCH_SECONDS)
        self.flush()

    def last_arrived(self) -> None:
        """Nothing more will come: the waiting batch need not wait."""
        self._due.set()

    def flush(self) -> None:
        """Hand every waiting feed to the store's thread now."""
        items, self._pending, self._bytes = self._pending, [], 0
        if items:
            self.write(self._store_batch, items)

    def finish(self) -> None:
        """Wait for every write asked for; an unexpected error in one is raised here."""
        writes, self._writes = self._writes, []
        for future in writes:
            future.result()

    def close(self) -> None:
        """Wait for the writes still running (none is ever left half done) and end the
        thread: after this the refresh writes nothing more."""
        self._writer.shutdown(wait=True)

    def _store_batch(self, items: list[_Fetched]) -> None:
        reports: list[FeedReport] = []
        try:
            with TURNS.batch(), self._store.batch():  # read/star changes land in between
                for item in items:
                    _handle_fetch(
                        self._store,
                        item.spec,
                        item.title,
                        item.result,
                        reports.append,
                        item.prepared,
                    )
        except sqlite3.Error:
            # Something in the batch failed, and all of it was rolled back: each feed again
            # in a transaction of its own, so that a failure is that feed's alone.
            for item in items:
                _handle_fetch(
                    self._store, item.spec, item.title, item.result, self._report, item.prepared
                )
            return
        for feed_report in reports:
            self._report(feed_report)


REFRESH_DEADLINE = 15 * 60.0
"""Seconds a whole remote refresh may take; feeds not done by then wait for the next."""


def prepare_body(body: bytes, location: str, base_url: str) -> ParsedFeed | str:
    """Parse a fetched body into a feed, or say in one line why it is not one."""
    # Imported here: a refresh where nothing changed parses nothing (and starts sooner).
    from ketaread.core.parse import NotAFeed, parse_feed, sniff

    refused = hostile_shape(body)
    if refused:
        return refused
    kind = sniff(body).kind
    if kind != "feed":
        return {
            "empty": "the server sent an empty response, not a feed",
            "html": "the server sent an HTML page, not a feed",
            "json": "the server sent a JSON document, not a feed",
        }.get(kind, f"the server sent {kind} content, not a feed")
    try:
        parsed = parse_feed(body, location, base_url=base_url)
    except NotAFeed as error:
        return str(error)
    from ketaread.core.search import prepare_index

    prepare_index(parsed)  # here, in the worker: the store's transaction then only inserts
    for article in parsed.articles:
        article.digest = content_hash(article)  # likewise: the refreshing process hashes less
    return parsed


@_per_source
def _handle_fetch(
    store: Store,
    spec: SourceSpec,
    title: str,
    result: FetchResult,
    report: Reporter,
    prepared: ParsedFeed | str | None = None,
) -> None:
    """Store one fetch result; every outcome becomes one report."""
    location = result.url
    outcome = result.outcome
    state = store.feed_state(location)
    redirect = result.permanent_redirect
    if (
        redirect
        and state
        and state.redirect_url == redirect
        # A URL already cached as a feed of its own is left alone: moving onto it would
        # break the one-feed-per-URL rule (and merge two feeds' articles).
        and store.feed_state(redirect) is None
    ):
        # The same permanent redirect twice: believe it and move the feed.
        store.move_feed(location, redirect)
        location, redirect = redirect, None
    if outcome == "ok":
        if prepared is None:
            prepared = prepare_body(result.body or b"", location, result.final_url)
        if isinstance(prepared, str):
            _record_remote_error(store, spec, location, title, prepared, report, redirect)
            return
        parsed = prepared
        parsed.location = location
        _store(
            store,
            spec,
            parsed,
            report,
            etag=result.etag,
            last_modified=result.last_modified,
            body_hash=result.body_hash,
        )
        if redirect or (state and state.redirect_url):
            # Record this fetch's redirect, or forget an earlier one that did not repeat:
            # a feed moves only after the same permanent redirect on consecutive fetches.
            store.record_check(location, spec.location, redirect_url=redirect)
        return
    if outcome in ("not_modified", "unchanged"):
        store.record_check(
            location,
            spec.location,
            redirect_url=redirect,
            etag=result.etag,
            last_modified=result.last_modified,
        )
        report(FeedReport(location, title, outcome))
        return
    if outcome == "gone":
        store.record_check(location, spec.location, gone=True, error="410 Gone: no longer polled")
        report(FeedReport(location, title, "gone", message="the server said 410 Gone; cache kept"))
        return
    if outcome == "postponed":
        retry_at = result.retry_at
        store.record_check(location, spec.location, retry_at=retry_at)
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(retry_at)) if retry_at else "later"
        report(
            FeedReport(
                location, title, "postponed", message=f"HTTP {result.status}; retrying after {when}"
            )
        )
        return
    _record_remote_error(
        store, spec, location, title, result.error or "fetch failed", report, redirect
    )


def _record_remote_error(
    store: Store,
    spec: SourceSpec,
    location: str,
    title: str,
    reason: str,
    report: Reporter,
    redirect: str | None,
) -> None:
    with contextlib.suppress(sqlite3.Error):
        store.record_check(
            location, spec.location, title=title, error=reason, redirect_url=redirect
        )
    cached = store.feed_updated_at(location)
    message = reason
    if cached:
        message += " — cached, last updated " + time.strftime(
            "%Y-%m-%d %H:%M", time.localtime(cached)
        )
    report(FeedReport(location, title, "error", message=message))
