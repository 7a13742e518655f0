"""Sync one or more server accounts into the cache: push queued changes, then pull.

Order per account: log in; push the queue (oldest first); read the subscriptions;
store new items since the last cursor, feed by feed, through the same store as feeds;
take the server's read/starred sets for every synced article (a queued local change
wins); record the new cursor. A failure at any step records one error line for the
account and keeps everything cached and queued; the cursor only moves on success.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ketaread.core.clean import clean_line
from ketaread.core.fetch import FetchSettings
from ketaread.core.models import ParsedArticle, ParsedFeed
from ketaread.core.store import CacheBusy, CacheDamaged, ReadOnlyCache, Store, StoreResult
from ketaread.core.sync import state
from ketaread.core.sync.accounts import CredentialError, ServerAccount, resolve_password
from ketaread.core.sync.fever import Fever
from ketaread.core.sync.greader import GoogleReader
from ketaread.core.sync.http import ApiClient, ApiError
from ketaread.core.sync.items import Prepared, RemoteFeed, RemoteItem, body
from ketaread.core.sync.pipeline import prepared_batches

MAX_ITEMS_PER_SYNC = 10_000
"""Items one sync stores at most; a first sync of a big account keeps the newest (Google
Reader) or continues where it stopped at the next sync (Fever)."""


@dataclass(slots=True)
class AccountReport:
    """The outcome of syncing one account, as one line for the user."""

    name: str
    status: str
    """'synced', 'error', 'offline' or 'stopped'."""
    new: int = 0
    updated: int = 0
    pushed: int = 0
    pulled: int = 0
    """Articles whose read/starred state changed from the server's."""
    feeds: int = 0
    message: str = ""

    @property
    def failed(self) -> bool:
        """True when the account could not be synced."""
        return self.status == "error"

    def line(self) -> str:
        """One human line: what happened to this account."""
        if self.status == "synced":
            text = (
                f"{self.name}: synced {self.feeds:,} feeds, {self.new:,} new, {self.updated:,} "
                f"updated articles, {self.pushed:,} changes pushed, {self.pulled:,} changed on "
                "the server"
            )
        else:
            text = f"{self.name}: {self.status}"
        if self.message:
            text += f" — {self.message}"
        return clean_line(text, limit=1000)


AccountReporter = Callable[[AccountReport], None]


def feed_location(account: ServerAccount, feed_id: str) -> str:
    """Where a server feed lives in the cache: unique per account and server feed id."""
    return f"{account.source}/feed/{feed_id}"


def open_session(account: ServerAccount, client: ApiClient, password: str) -> GoogleReader | Fever:
    """A session with the account's server over its API (not logged in yet)."""
    if account.api == "fever":
        return Fever(client, account.url, account.user, password)
    return GoogleReader(client, account.url, account.user, password)


def uses_tls(url: str) -> bool:
    """False for plain http:// endpoints (which never reach a TLS one: no redirects)."""
    return not url.lower().startswith("http://")


def _stopped(stop: threading.Event | None) -> bool:
    return stop is not None and stop.is_set()


class SyncStopped(Exception):
    """The sync was asked to stop; what was stored stays."""


def sync_account(
    store: Store,
    account: ServerAccount,
    *,
    settings: FetchSettings | None = None,
    stop: threading.Event | None = None,
    max_items: int = MAX_ITEMS_PER_SYNC,
    progress: AccountReporter | None = None,
) -> AccountReport:
    """Sync one account; never raises for network, server or credential problems.

    `progress` is given the report (its counts so far) once the feeds are listed and
    after each stored batch: a first sync of thousands of items takes many seconds."""
    report = AccountReport(account.name, "synced")
    try:
        state.ensure_tables(store)
        dropped = state.register(store, account.name, account.api, account.url, account.user)
        if dropped is not None:
            report.message = (
                f"the account's API or user changed: synced afresh ({dropped} unpushed "
                "changes for the old one dropped)"
            )
        password = resolve_password(account)
        with ApiClient(settings, tls=uses_tls(account.url)) as client:
            session = open_session(account, client, password)
            session.login()
            _push(store, account, session, report, stop)
            cursor = _pull(store, account, session, report, stop, max_items, progress)
        state.record_result(store, account.name, cursor=cursor, warning=report.message or None)
    except (ApiError, CredentialError) as error:
        return _failed(store, account, report, str(error))
    except SyncStopped:
        report.status = "stopped"
        report.message = "stopped; what was stored stays, the rest at the next sync"
    except sqlite3.Error as error:
        return _failed(store, account, report, f"cannot write the cache: {error}")
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        # A reply shaped in a way no check above foresaw: this account's problem, reported
        # on its line, not a traceback that would also stop the other accounts.
        reason = f"the server's reply could not be read ({type(error).__name__}: {error})"
        return _failed(store, account, report, reason)
    return report


def _failed(
    store: Store, account: ServerAccount, report: AccountReport, reason: str
) -> AccountReport:
    reason = clean_line(reason, limit=300)
    with contextlib.suppress(sqlite3.Error):
        state.record_result(store, account.name, error=reason)
    report.status = "error"
    extra: list[str] = []
    with contextlib.suppress(sqlite3.Error):
        recorded = state.account_state(store, account.name)
        if recorded and recorded.synced_at:
            extra.append(
                "cached, last synced "
                + time.strftime("%Y-%m-%d %H:%M", time.localtime(recorded.synced_at))
            )
        if recorded and recorded.pending:
            extra.append(state.waiting_line(recorded.pending))
    if report.new or report.pushed:
        extra.append(f"{report.new:,} new articles and {report.pushed:,} pushed changes kept")
    report.message = "; ".join([reason, *extra])
    return report


def _push(
    store: Store,
    account: ServerAccount,
    session: GoogleReader | Fever,
    report: AccountReport,
    stop: threading.Event | None,
) -> None:
    """Send queued local changes in order, in runs of the same change."""
    queue = state.pending(store, account.name)
    start = 0
    while start < len(queue):
        if _stopped(stop):
            raise SyncStopped
        end = start
        while (
            end < len(queue)
            and queue[end].kind == queue[start].kind
            and queue[end].value == queue[start].value
            and end - start < 100
        ):
            end += 1
        run = queue[start:end]
        session.edit([c.item_id for c in run], run[0].kind, run[0].value)
        # Recorded run by run: a failure later keeps what already reached the server.
        state.mark_pushed(store, account.name, run)
        report.pushed += len(run)
        start = end


def _pull(
    store: Store,
    account: ServerAccount,
    session: GoogleReader | Fever,
    report: AccountReport,
    stop: threading.Event | None,
    max_items: int,
    progress: AccountReporter | None = None,
) -> str | None:
    """Store new items and the server's states; returns the new cursor."""
    feeds = {f.id: f for f in session.subscriptions()}
    report.feeds = len(feeds)
    if progress:
        progress(report)
    recorded = state.account_state(store, account.name)
    saved = recorded.cursor if recorded else None
    cursor = int(saved) if saved and saved.isdigit() else 0
    known = state.known_items(store, account.name)
    highest = cursor
    seen_feeds: set[str] = set()
    if isinstance(session, Fever):
        pages = session.items(cursor or None, max_items)
    else:
        # The cursor is the newest item id (its insertion time in µs); `ot` is in seconds,
        # so the page that reaches the cursor's second repeats a few known items.
        pages = session.items(cursor // 1_000_000 or None, max_items)

    def reaches_cursor(page: list[RemoteItem]) -> bool:
        # Newest first: past the cursor the rest of the stream is already cached, so no
        # page after this one is asked for.
        return bool(cursor) and any(int(item.id) <= cursor for item in page)

    # The next page downloads, and the next batch's bodies are cleaned and indexed (in
    # worker processes for a big sync), while this batch is stored.
    with contextlib.closing(
        prepared_batches(pages, lambda item: item.id not in known, reaches_cursor)
    ) as batches:
        for batch in batches:
            if _stopped(stop):
                raise SyncStopped
            by_feed: dict[str, list[RemoteItem]] = defaultdict(list)
            taken: set[str] = set()
            for item in batch.items:
                # An item the server repeats within the batch is stored once (known only
                # learns of it at the commit): twice in one feed would fail the batch and
                # every sync after it (the same uid), in two feeds would make two articles.
                if item.id not in known and item.id not in taken:
                    taken.add(item.id)
                    by_feed[item.feed_id].append(item)
            groups = [
                (feeds.get(feed_id) or RemoteFeed(id=feed_id, title=f"feed {feed_id}"), items)
                for feed_id, items in by_feed.items()
            ]
            _store_groups(store, account, groups, report, known, batch.prepared)
            seen_feeds.update(by_feed)
            highest = max([highest, *(int(item.id) for item in batch.items)])
            if progress:
                progress(report)
    # Feeds with nothing new still get their row (title, folders) for the sidebar.
    empty: list[tuple[RemoteFeed, list[RemoteItem]]] = [
        (feed, [])
        for feed_id, feed in feeds.items()
        if feed_id not in seen_feeds and store.feed_state(feed_location(account, feed_id)) is None
    ]
    _store_groups(store, account, empty, report, known)
    if _stopped(stop):
        raise SyncStopped
    unread = session.unread_ids()
    starred = session.starred_ids()
    report.pulled = state.apply_states(store, account.name, unread, starred)
    return str(highest) if highest else None


_Stored = tuple[StoreResult, list[tuple[str, bool, bool]]]
"""What storing one feed's items did: the store's counts, and the items linked."""


def _store_groups(
    store: Store,
    account: ServerAccount,
    groups: list[tuple[RemoteFeed, list[RemoteItem]]],
    report: AccountReport,
    known: dict[str, tuple[int, bool, bool]],
    prepared: dict[str, Prepared] | None = None,
) -> None:
    """Store a batch's feeds and link their items in one transaction (one COMMIT, not
    two per feed); counted and remembered as known only once it is committed."""
    if not groups:
        return
    done: list[_Stored] = []
    try:
        with store.batch():
            for feed, items in groups:
                done.append(_store_items(store, account, feed, items, known, prepared))
    except (CacheBusy, CacheDamaged, ReadOnlyCache):
        raise  # the cache itself: each feed alone would meet the same
    except Exception:
        # All of it was rolled back: each feed again in transactions of its own, so that
        # what comes before a failing feed is kept and the failure is that feed's alone.
        for feed, items in groups:
            _count(_store_items(store, account, feed, items, known, prepared), report, known)
        return
    for stored in done:
        _count(stored, report, known)


def _count(
    stored: _Stored, report: AccountReport, known: dict[str, tuple[int, bool, bool]]
) -> None:
    result, fresh = stored
    report.new += result.new
    report.updated += result.updated
    for item_id, read, starred in fresh:
        known[item_id] = (0, read, starred)


def _store_items(
    store: Store,
    account: ServerAccount,
    feed: RemoteFeed,
    items: list[RemoteItem],
    known: dict[str, tuple[int, bool, bool]],
    prepared: dict[str, Prepared] | None = None,
) -> _Stored:
    location = feed_location(account, feed.id)
    parsed = ParsedFeed(location=location, title=feed.title, link=feed.site, kind="feed")
    for item in items:
        # Cleaned and indexed ahead (in a worker) in a big sync; here, as feeds are, else.
        html, index = (prepared or {}).get(item.id) or (body(item.html), None)
        parsed.articles.append(
            ParsedArticle(
                uid=item.id,
                title=item.title or "(untitled)",
                link=item.link,
                author=item.author,
                published=item.published,
                tags=list(dict.fromkeys([*feed.folders, *item.labels])),
                html=html,
                base_url=item.link or feed.site,
                index=index,
            )
        )
    result = store.store_feed(account.source, parsed)
    fresh = [(i.id, i.read, i.starred) for i in items if i.id not in known]
    if fresh:
        state.link_items(store, account.name, location, fresh)
    return result, fresh


def sync_accounts(
    store: Store,
    accounts: list[ServerAccount],
    *,
    offline: bool = False,
    report: AccountReporter | None = None,
    settings: FetchSettings | None = None,
    stop: threading.Event | None = None,
    progress: AccountReporter | None = None,
) -> list[AccountReport]:
    """Sync every account in turn; one report each (`progress`: as in sync_account)."""
    reports: list[AccountReport] = []
    for account in accounts:
        if _stopped(stop):
            break
        if offline:
            outcome = AccountReport(
                account.name, "offline", message="not synced (--offline); reading the cache"
            )
        else:
            outcome = sync_account(store, account, settings=settings, stop=stop, progress=progress)
        reports.append(outcome)
        if report:
            report(outcome)
    return reports


class ReadOnlySubscriptions(Exception):
    """The account's API cannot change subscriptions (Fever)."""


def change_subscription(
    store: Store,
    account: ServerAccount,
    url: str,
    *,
    subscribe: bool,
    folder: str | None = None,
    title: str | None = None,
    settings: FetchSettings | None = None,
) -> int:
    """Subscribe the account to `url`, or unsubscribe it (dropping that feed's cached
    articles); returns how many articles were dropped. Raises ApiError, CredentialError,
    ReadOnlySubscriptions or LookupError (not subscribed) with one line."""
    if account.api == "fever":
        raise ReadOnlySubscriptions(
            "this account uses the Fever API, which cannot change subscriptions: "
            "change them on the server"
        )
    password = resolve_password(account)
    with ApiClient(settings, tls=uses_tls(account.url)) as client:
        session = GoogleReader(client, account.url, account.user, password)
        if subscribe:
            session.subscribe(url, folder, title)
            return 0
        found = next((f for f in session.subscriptions() if f.url == url), None)
        if found is None:
            raise LookupError(f"{account.name} is not subscribed to {clean_line(url, 200)}")
        session.unsubscribe(found.id)
    location = feed_location(account, found.id)
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM articles WHERE feed_id = (SELECT id FROM feeds WHERE "
            "location = ?)",
            (location,),
        ).fetchone()
        conn.execute("DELETE FROM feeds WHERE location = ?", (location,))
    return int(row[0]) if row else 0
