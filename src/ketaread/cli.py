"""The `ketaread` command line: the reading screen by default, and subcommands for scripts.

Heavy imports (Textual, feedparser, httpx) are deferred to the commands that need them.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import signal
import sqlite3
import stat
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

import ketaread.context
from ketaread import __version__
from ketaread.config import (
    Config,
    ConfigError,
    SourceConfig,
    is_url,
    normalise_location,
    save_config,
)
from ketaread.core.clean import author_name, clean_line, clean_text
from ketaread.core.store import ArticleFilter, CacheDamaged, Store, StoreError
from ketaread.core.sync.accounts import ServerAccount
from ketaread.core.wording import counted

if TYPE_CHECKING:
    import argparse

    from ketaread.app import KetareadApp
    from ketaread.core.discover import Discovery
    from ketaread.core.models import ArticleDetail, ArticleRow, FeedInfo
    from ketaread.core.refresh import SourceSpec
    from ketaread.core.render import Rendering
    from ketaread.core.study.store import Card, Highlight
    from ketaread.core.sync.engine import AccountReport


class CommandError(Exception):
    """A problem to report on one line, with exit status 1 (or `status`)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def _to_json(value: object) -> str:
    import json  # only the --json output needs it: kept off the reader's start-up

    # Where the output cannot carry every character (PYTHONIOENCODING=ascii), JSON's own
    # \u escapes keep the data whole.
    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower().replace("-", "")
    return json.dumps(value, indent=2, ensure_ascii=encoding not in ("utf8", "utf16", "utf32"))


def _iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


class Context(ketaread.context.Context):
    """What every command works with: the options, the output, and the shared context's
    cache, config and glossary."""

    def __init__(self, args: argparse.Namespace | SimpleNamespace, out: TextIO) -> None:
        super().__init__(db=args.db, config=args.config, offline=args.offline)
        self.args = args
        self.out = out
        self._notice_shown = False

    @property
    def cache_exists(self) -> bool:
        """Whether the cache file is there (a command that only reads must not create it)."""
        return self.database.exists()

    @property
    def existing_store(self) -> Store:
        """The cache, refused when it does not exist: reading must not create folders."""
        if self._store is None and not self.cache_exists:
            raise CommandError(
                f"there is no cache at {self.database} yet: run `ketaread refresh` to fill it, "
                "or give the cache you meant with --db (or KETAREAD_DB)"
            )
        return self.store

    @property
    def store(self) -> Store:
        """The cache, opened on first use; a note about its state goes to stderr once."""
        store = super().store
        if store.notice and not self._notice_shown:
            self._notice_shown = True
            print(f"ketaread: {clean_text(store.notice)}", file=sys.stderr)
        return store

    def print(self, text: str = "") -> None:
        """Write a line to the command's output, without any terminal control sequence
        (every echo of user input or feed text goes through here)."""
        print(clean_text(text), file=self.out)


# -- commands ------------------------------------------------------------------------


def cmd_add(ctx: Context) -> int:
    """Add a source to the config file; a web page's URL adds the feed the page links (or,
    with --server, subscribe a server account to a feed)."""
    if getattr(ctx.args, "server", None):
        return _change_subscription(ctx, subscribe=True)
    location = ctx.args.source.strip()
    if clean_text(location) != location:
        # An escape sequence in the argument is neither echoed nor saved.
        shown = clean_line(location, limit=200)
        raise CommandError(f"{shown}: the location contains control characters")
    if location[:5].lower() == "feed:":
        from ketaread.core.subscriptions import feed_scheme_to_http

        location = feed_scheme_to_http(location)
    problem = location_problem(location)
    if problem:
        raise CommandError(problem)
    if not is_url(location):
        path = Path(normalise_location(location))
        if not path.exists():
            raise CommandError(f"{location}: no such file or folder")
        kind = path.stat().st_mode
        if not (stat.S_ISREG(kind) or stat.S_ISDIR(kind)):
            from ketaread.core.sources import describe_mode

            # What every refresh would then fail on (a FIFO is never opened: no wait).
            raise CommandError(f"{location}: {describe_mode(kind)}, not a file or folder")
    elif " " in location:
        raise CommandError(f"{location}: a URL cannot contain spaces")
    elif not ctx.args.offline:
        location = _feed_for(ctx, location)
    elif ctx.args.pick:
        raise CommandError("--pick needs the network to look at the page (drop --offline)")
    config = ctx.config
    normalised = normalise_location(location)
    if config.samples:
        _leave_samples(ctx, config)
    existing = config.find(normalised)
    title = clean_line(ctx.args.title) or None
    tags = [t for t in (clean_line(t) for t in ctx.args.tag) if t]
    if existing:
        existing.tags = sorted({*existing.tags, *tags}, key=str.casefold)
        existing.title = title or existing.title
        existing.full_text = existing.full_text or ctx.args.full_text
        action = "updated"
    else:
        config.sources.append(SourceConfig(normalised, title, tags, full_text=ctx.args.full_text))
        action = "added"
    save_config(config)
    extra = " with full text" if ctx.args.full_text else ""
    ctx.print(
        f"{action} {normalised}{extra} (config: {config.path}); run `ketaread refresh` to read it"
    )
    return 0


def location_problem(location: str) -> str | None:
    """What is wrong with a source that is neither http(s) nor a local path, saying what to
    write instead; None when it may be one of those."""
    import re

    if is_url(location) or location.lower().startswith("file://"):
        return None
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", location)
    if scheme:
        return (
            f"{location}: {scheme.group(1)}:// sources cannot be read; write an http:// or "
            "https:// address, or the path of a local file or folder"
        )
    if Path(location).expanduser().exists():
        return None
    # host:port/…, localhost/…, a dotted host name or an IPv4 address without a scheme
    host = re.match(
        r"(localhost|\d{1,3}(?:\.\d{1,3}){3}|(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})(:\d+)?(/|$)",
        location,
    )
    if host or re.match(r"[A-Za-z0-9.-]+:\d+(/|$)", location):
        return (
            f"{location}: looks like a web address without its scheme; write "
            f"https://{location} (or http://{location}), or give a local path that exists"
        )
    return None


def _feed_for(ctx: Context, url: str) -> str:
    """The feed to subscribe to for `url`: itself if a feed, else one its page offers."""
    import asyncio

    from ketaread.core.discover import COMMON_PATHS, discover
    from ketaread.core.fetch import Fetcher, FetchSettings

    async def look() -> Discovery:
        settings = FetchSettings(deadline=20.0, max_bytes=5 * 1024 * 1024)
        async with Fetcher(settings) as fetcher:
            return await discover(url, fetcher)

    found = asyncio.run(look())
    pick = ctx.args.pick
    force = ctx.args.force
    if found.kind == "error" and not (found.wrong_address() and not force):
        # Offline, or the server is down (or --force): the URL is kept as given.
        ctx.print(clean_line(f"could not check {url} ({found.error}); adding it as given", 1000))
        return url
    if found.kind == "feed":
        ctx.print(clean_line(f"found a feed at {url}: {found.title}", 1000))
        return url
    if found.kind == "error":
        problem = f"the server answered {found.error}"
    elif found.kind == "other":
        problem = f"{found.error}, not a feed or a web page that links one"
    elif not found.feeds:
        problem = (
            'a web page with no feed (no <link rel="alternate"> feed, and nothing '
            f"at {', '.join(COMMON_PATHS)})"
        )
    else:
        problem = ""
    if problem and force:
        ctx.print(clean_line(f"{url}: {problem}; adding it as given (--force)", 1000))
        return url
    if problem:
        # A definite answer that no feed is there: refuse rather than fail on every refresh.
        raise CommandError(
            clean_line(f"{url}: {problem}; nothing added (--force adds it anyway)", 1000)
        )
    if len(found.feeds) == 1 and pick in (None, 1):
        ctx.print(f"the page {url} offers one feed: {found.feeds[0].describe()}")
        return found.feeds[0].url
    ctx.print(f"the page {url} offers {len(found.feeds)} feeds:")
    for number, feed in enumerate(found.feeds, start=1):
        ctx.print(f"  {number}. {feed.describe()}")
    if pick is None:
        raise CommandError("several feeds found; add one with --pick N")
    if not 1 <= pick <= len(found.feeds):
        raise CommandError(f"--pick {pick}: choose a number from 1 to {len(found.feeds)}")
    ctx.print(f"picked {pick}: {found.feeds[pick - 1].url}")
    return found.feeds[pick - 1].url


def _leave_samples(ctx: Context, config: Config) -> None:
    """The first source or account of the user's own replaces the bundled sample feeds."""
    samples = {s.location for s in config.sources}
    config.sources, config.samples = [], False
    cached = ctx.cache_exists and any(f.source in samples for f in ctx.existing_store.feeds())
    ctx.print(
        "starting your own config: the bundled sample feeds are no longer read"
        + (
            "; their articles stay cached until `ketaread remove` drops them "
            "(see `ketaread sources`)"
            if cached
            else ""
        )
    )


def cmd_remove(ctx: Context) -> int:
    """Remove a source from the config file and its articles from the cache."""
    if getattr(ctx.args, "server", None):
        return _change_subscription(ctx, subscribe=False)
    config = ctx.config
    found = config.find(ctx.args.source)
    if found is None:
        # Not in the config, but still cached (dropped from the config by hand, or the
        # sample feeds once the first source was added): forget its articles.
        location = normalise_location(ctx.args.source)
        cached = {f.source for f in ctx.existing_store.feeds()} if ctx.cache_exists else set()
        if location not in cached:
            raise CommandError(
                f"{ctx.args.source}: not a configured or cached source (see `ketaread sources`)"
            )
        removed = ctx.store.remove_source(location)
        ctx.print(f"removed {removed} cached articles of {location} (it was not in the config)")
        return 0
    # Written even when the sample feeds stood in for a missing config: otherwise the
    # next refresh would read (and re-cache) what was just removed.
    config.sources.remove(found)
    config.samples = False
    save_config(config)
    removed = ctx.store.remove_source(found.location) if ctx.cache_exists else 0
    ctx.print(f"removed {found.location} and {removed} cached articles")
    return 0


def _change_subscription(ctx: Context, *, subscribe: bool) -> int:
    """`add/remove URL --server NAME`: change the account's subscriptions on the server."""
    from ketaread.core.sync.accounts import CredentialError
    from ketaread.core.sync.engine import ReadOnlySubscriptions, change_subscription
    from ketaread.core.sync.http import ApiError

    account = ctx.config.server(ctx.args.server)
    if account is None:
        raise CommandError(f"no server account named {ctx.args.server!r} (see `server list`)")
    url = ctx.args.source.strip()
    if not is_url(url):
        raise CommandError(f"{url}: a server can only subscribe to http(s) URLs")
    tags = getattr(ctx.args, "tag", None) or []
    try:
        dropped = change_subscription(
            ctx.store,
            account,
            url,
            subscribe=subscribe,
            folder=tags[0] if tags else None,
            title=getattr(ctx.args, "title", None),
        )
    except (ApiError, CredentialError, ReadOnlySubscriptions, LookupError) as error:
        raise CommandError(clean_line(f"server {account.name}: {error}")) from error
    if subscribe:
        folder = f" in folder {tags[0]}" if tags else ""
        ctx.print(f"subscribed {account.name} to {url}{folder}; run `ketaread sync` to read it")
    else:
        ctx.print(f"unsubscribed {account.name} from {url} and removed {dropped} cached articles")
    return 0


def cmd_sources(ctx: Context) -> int:
    """List configured sources with the state of their feeds."""
    feeds = ctx.store.feeds() if ctx.cache_exists else []
    if ctx.config.samples and not ctx.args.json:
        # Only in text mode: `sources --json` must print nothing but JSON.
        ctx.print(f"(no sources in {ctx.config.path} yet: reading the bundled sample feeds)")
    from ketaread.core.fulltext import excerpt_hint

    rows: list[dict[str, Any]] = []
    for source in ctx.config.sources:
        mine = [f for f in feeds if f.source == source.location]
        entry: dict[str, Any] = {
            "location": source.location,
            "title": source.title,
            "tags": source.tags,
            "full_text": source.full_text,
            "hidden": source.hidden,
            "feeds": [
                {
                    "location": f.location,
                    "title": f.title,
                    "articles": f.total,
                    "unread": f.unread,
                    "checked": _iso(f.checked_at),
                    "updated": _iso(f.updated_at),
                    "error": f.error,
                    "error_at": _iso(f.error_at),
                    "warning": f.warning,
                    "gone": f.gone,
                    "suggestion": None
                    if source.full_text or not f.total or ctx.config.samples
                    else excerpt_hint(ctx.store, f.id, source.location),
                }
                for f in mine
            ],
        }
        rows.append(entry)
    configured = {source.location for source in ctx.config.sources}
    configured |= {account.source for account in ctx.config.servers}
    for location in sorted({f.source for f in feeds} - configured):
        rows.append(
            {
                "location": location,
                "title": None,
                "tags": [],
                "configured": False,
                "feeds": [
                    {
                        "location": f.location,
                        "title": f.title,
                        "articles": f.total,
                        "unread": f.unread,
                    }
                    for f in feeds
                    if f.source == location
                ],
            }
        )
    servers = [_server_json(ctx, account, feeds) for account in ctx.config.servers]
    if ctx.args.json:
        ctx.print(_to_json([*rows, *servers]))
        return 0
    # Locations come from the config, imports and file names: shown cleaned, so that a
    # path holding escape sequences cannot write to the terminal.
    for entry in rows:
        tags = f"  [{', '.join(entry['tags'])}]" if entry["tags"] else ""
        ctx.print(clean_line(f"{entry['location']}{tags}", limit=2000))
        if entry.get("configured") is False:
            ctx.print("    cached only (not in the config): `ketaread remove` it to drop it")
        if not entry["feeds"]:
            ctx.print("    never refreshed")
        for feed in entry["feeds"]:
            state = f"{counted(feed['articles'], 'article')}, {feed['unread']:,} unread"
            if feed.get("updated"):
                state += f", updated {feed['updated']}"
            ctx.print("    " + clean_line(f"{feed['title'] or feed['location']}: {state}", 2000))
            if feed.get("error"):
                ctx.print("      " + clean_line(f"error at {feed['error_at']}: {feed['error']}"))
            if feed.get("warning"):
                ctx.print("      " + clean_line(f"warning: {feed['warning']}"))
            if feed.get("suggestion"):
                ctx.print("      " + clean_line(feed["suggestion"], limit=1000))
    for entry in servers:
        _print_server(ctx, entry)
    return 0


def _server_json(ctx: Context, account: ServerAccount, feeds: list[FeedInfo]) -> dict[str, object]:
    """An account as `sources --json` and `server list --json` show it (never its password)."""
    from ketaread.core.sync import state

    recorded = state.account_state(ctx.store, account.name)
    mine = [f for f in feeds if f.source == account.source]
    return {
        "location": account.source,
        "title": account.name,
        "tags": [],
        "server": account.name,
        "api": account.api,
        "url": account.url,
        "user": account.user,
        "password_from": account.password_origin,
        "synced": _iso(recorded.synced_at) if recorded else None,
        "checked": _iso(recorded.checked_at) if recorded else None,
        "error": recorded.error if recorded else None,
        "error_at": _iso(recorded.error_at) if recorded else None,
        "pending_changes": recorded.pending if recorded else 0,
        "subscriptions": "read-only (Fever)" if account.api == "fever" else "read and write",
        "feeds": [
            {
                "location": f.location,
                "title": f.title,
                "articles": f.total,
                "unread": f.unread,
                "updated": _iso(f.updated_at),
            }
            for f in mine
        ],
    }


def _server_line(entry: dict[str, Any]) -> str:
    """One line: how an account's last sync went."""
    from ketaread.core.sync.state import waiting_line

    if entry["error"]:
        text = f"error at {entry['error_at']}: {entry['error']}"
        if entry["synced"]:
            text += f" — cached, last synced {entry['synced']}"
    elif entry["synced"]:
        text = f"synced {entry['synced']}"
    else:
        text = "never synced (run `ketaread sync`)"
    if entry["pending_changes"]:
        text += f"; {waiting_line(entry['pending_changes'])}"
    return text


def _print_server(ctx: Context, entry: dict[str, Any]) -> None:
    ctx.print(
        clean_line(
            f"server {entry['server']} ({entry['api']}, {entry['user']} at {entry['url']})", 2000
        )
    )
    ctx.print("    " + clean_line(_server_line(entry), 2000))
    for feed in entry["feeds"]:
        state = f"{counted(feed['articles'], 'article')}, {feed['unread']:,} unread"
        ctx.print("    " + clean_line(f"{feed['title'] or feed['location']}: {state}", 2000))


def cmd_refresh(ctx: Context) -> int:
    """Update every source, one progress line each, then a summary."""
    from ketaread.context import RefreshFailed
    from ketaread.core.refresh import FeedReport, RefreshStopped

    def report(feed_report: FeedReport) -> None:
        changed = feed_report.new or feed_report.updated
        marker = {"error": "!", "skipped": "-", "updated": "+" if changed else " "}.get(
            feed_report.status, " "
        )
        ctx.print(f"{marker} {feed_report.line()}")

    def waiting() -> None:
        print("ketaread: another refresh of this cache is running; waiting for it", file=sys.stderr)

    wanted = getattr(ctx.args, "source", None)
    specs = [_one_source(ctx, ctx.specs(), wanted)] if wanted else None
    store = ctx.store  # opened first: a note about its state comes before progress
    if store.read_only:
        raise CommandError(f"cannot refresh: {store.notice}")
    received: list[int] = []
    stop = threading.Event()

    def interrupted(signum: int, _frame: object) -> None:
        # Ctrl-C, `kill` (SIGTERM) or closing the terminal (SIGHUP): stop at the next
        # check, so that the parse workers are killed and the cache closed, not left
        # behind. A second signal does not wait.
        if received:
            raise KeyboardInterrupt
        received.append(signum)
        stop.set()

    for name in ("SIGTERM", "SIGHUP", "SIGINT"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), interrupted)
    summary = None
    try:
        summary = ctx.refresh(
            report=report,
            account_report=_account_line(ctx),
            on_wait=waiting,
            stop=stop,
            own_connection=False,
            specs=specs,
            account_progress=_sync_progress(),
        )
    except (KeyboardInterrupt, RefreshStopped):
        pass
    except RefreshFailed as error:
        raise CommandError(str(error)) from error
    if received or summary is None:
        from ketaread.core.parse_workers import kill_all

        kill_all()
        print("ketaread: refresh stopped; what was stored is kept", file=sys.stderr)
        return 128 + (received[0] if received else signal.SIGINT)
    ctx.print(summary.line())
    return 1 if summary.all_failed else 0


def _one_source(ctx: Context, specs: list[SourceSpec], wanted: str) -> SourceSpec:
    """The configured source `wanted` names: its location, or its or its feed's title."""
    location = normalise_location(wanted)
    for spec in specs:
        if spec.location == location:
            return spec
    folded = wanted.casefold().strip()
    titled = [spec for spec in specs if spec.title and spec.title.casefold() == folded]
    if not titled and ctx.cache_exists:
        sources = {f.source for f in ctx.store.feeds() if f.title.casefold() == folded}
        titled = [spec for spec in specs if spec.location in sources]
    if len(titled) == 1:
        return titled[0]
    if len(titled) > 1:
        raise CommandError(f"{wanted!r} names {len(titled)} sources; give its location instead")
    account = next((a for a in ctx.config.servers if wanted.strip() in (a.name, a.source)), None)
    if account is not None:
        raise CommandError(f"{wanted}: a server account, synced by `ketaread sync {account.name}`")
    raise CommandError(
        f"{wanted}: not a configured source; give its location or title as "
        "`ketaread sources` lists it (or `ketaread add` it first)"
    )


def cmd_vacuum(ctx: Context) -> int:
    """Apply the retention rules now and compact the cache; say what was freed."""
    dry_run = bool(ctx.args.dry_run)
    result = ctx.apply_retention(dry_run=dry_run)
    file_bytes = 0 if dry_run else ctx.store.compact()
    if ctx.args.json:
        ctx.print(
            _to_json(
                {
                    "dry_run": dry_run,
                    "articles": result.articles,
                    "bytes": result.bytes,
                    "file_bytes": file_bytes,
                }
            )
        )
        return 0
    verb = "would remove" if dry_run else "removed"
    ctx.print(f"{verb} {counted(result.articles, 'article')} ({result.bytes:,} bytes of text)")
    if not dry_run:
        ctx.print(f"the cache file shrank by {file_bytes:,} bytes")
    return 0


def _account_line(ctx: Context) -> Callable[[AccountReport], None]:
    """Print each account's outcome on one line (`!` failed, `+` synced)."""

    def report(account_report: AccountReport) -> None:
        marker = {"error": "!", "synced": "+"}.get(account_report.status, " ")
        ctx.print(f"{marker} {account_report.line()}")

    return report


def _sync_progress() -> Callable[[AccountReport], None]:
    """Progress of a sync on stderr, at most twice a second (as indexing shows it): a first
    sync of thousands of items printed nothing for many seconds. stdout keeps one line an
    account."""
    shown: dict[str, float] = {}

    def progress(account_report: AccountReport) -> None:
        now = time.monotonic()
        name = account_report.name
        if name in shown and now - shown[name] < 0.5:
            return
        shown[name] = now
        text = (
            f"syncing {name}: {counted(account_report.feeds, 'feed')}, "
            f"{account_report.new:,} new articles so far"
        )
        print(f"ketaread: {clean_line(text, 1000)}", file=sys.stderr, flush=True)

    return progress


def cmd_sync(ctx: Context) -> int:
    """Sync server accounts only: all of them, or the one named."""
    from ketaread.context import RefreshFailed

    servers = ctx.config.servers
    if ctx.args.account:
        chosen = ctx.config.server(ctx.args.account)
        if chosen is None:
            names = ", ".join(s.name for s in servers) or "none configured"
            raise CommandError(f"no server account named {ctx.args.account!r} ({names})")
        servers = [chosen]
    if not servers:
        raise CommandError("no server accounts (add one with `ketaread server add`)")

    def waiting() -> None:
        print("ketaread: another refresh of this cache is running; waiting for it", file=sys.stderr)

    ctx.store  # noqa: B018 -- opened first: a note about its state comes before progress
    try:
        reports = ctx.sync(
            servers,
            report=_account_line(ctx),
            on_wait=waiting,
            own_connection=False,
            progress=_sync_progress(),
        )
    except RefreshFailed as error:
        raise CommandError(str(error)) from error
    failed = sum(r.failed for r in reports)
    synced = sum(r.status == "synced" for r in reports)
    # Offline (or stopped) accounts were not synced, nor did they fail: "2 accounts synced"
    # under two "not synced (--offline)" lines contradicted them.
    done = counted(len(reports), "account")
    ctx.print(
        f"{done if synced == len(reports) else f'{synced:,} of {done}'} synced: {failed:,} failed"
    )
    return 1 if reports and failed == len(reports) else 0


def cmd_server_add(ctx: Context) -> int:
    """Add a feed-server account to the config (its password stays out of the config)."""
    from ketaread.core.sync.accounts import check_account, default_name

    args = ctx.args
    account = ServerAccount(
        name=args.name or default_name(args.url, args.api),
        url=args.url.strip(),
        api=args.api,
        user=args.user,
        password_command=args.password_command,
        password_file=(
            str(Path(args.password_file).expanduser().absolute()) if args.password_file else None
        ),
        password_env=args.password_env,
    )
    problem = check_account(account) or _api_mismatch(account.url, account.api)
    if problem:
        raise CommandError(f"server {account.name}: {problem}")
    config = ctx.config
    if config.server(account.name):
        raise CommandError(
            f"a server account named {account.name!r} exists; choose another with --name"
        )
    if not args.no_check:
        _check_login(account)
    if config.samples:
        _leave_samples(ctx, config)
    config.servers.append(account)
    save_config(config)
    read_only = " (Fever: subscriptions are read-only)" if account.api == "fever" else ""
    ctx.print(
        f"added server {account.name}{read_only} (config: {config.path}); "
        "run `ketaread sync` to read it"
    )
    return 0


def _check_login(account: ServerAccount) -> None:
    """Log in once, so that a wrong URL or password is found now rather than at sync."""
    from ketaread.core.sync.accounts import CredentialError, resolve_password
    from ketaread.core.sync.engine import open_session, uses_tls
    from ketaread.core.sync.http import ApiClient, ApiError

    try:
        password = resolve_password(account)
        with ApiClient(tls=uses_tls(account.url)) as client:
            open_session(account, client, password).login()
    except (ApiError, CredentialError) as error:
        hint = ""
        if isinstance(error, ApiError) and not error.auth and 300 <= (error.status or 0) < 500:
            # A redirect or 4xx at login: most often the server's address, not its API's.
            hint = f"; {_endpoint_hint(account.url, account.api)}"
        raise CommandError(
            clean_line(
                f"server {account.name}: {error}{hint} (not added; --no-check adds it anyway)"
            )
        ) from error


API_ENDPOINTS = {"greader": "greader.php", "fever": "fever.php"}
"""FreshRSS's file name for each API: a URL ending in the other one names the wrong API."""


def _api_mismatch(url: str, api: str) -> str | None:
    """Why URL cannot be an `api` endpoint (FreshRSS's endpoint of the other API), or None."""
    from urllib.parse import urlsplit

    try:
        path = urlsplit(url).path.rstrip("/")
    except ValueError:
        return None
    for other, name in API_ENDPOINTS.items():
        if other != api and path.endswith("/" + name):
            beside = url.split("?")[0].rstrip("/")[: -len(name)] + API_ENDPOINTS[api]
            return (
                f"the URL is FreshRSS's {_API_TITLES[other]} endpoint: "
                f"use --api {other}, or the URL {beside}"
            )
    return None


_API_TITLES = {"greader": "Google Reader API", "fever": "Fever API"}


def _endpoint_hint(url: str, api: str) -> str:
    """Where FreshRSS serves the API, from the URL given (the server's own address)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return f"is the URL the {_API_TITLES[api]}'s endpoint?"
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    if parts.path.endswith(".php"):
        base = base.rsplit("/", 1)[0]
        if base.endswith("/api"):
            base = base[: -len("/api")]
    return (
        f"is the URL the {_API_TITLES[api]}'s endpoint? "
        f"FreshRSS's would be {base}/api/{API_ENDPOINTS[api]}"
    )


def cmd_server_list(ctx: Context) -> int:
    """List server accounts with where their passwords come from and their last sync."""
    feeds = ctx.store.feeds()
    entries = [_server_json(ctx, account, feeds) for account in ctx.config.servers]
    if ctx.args.json:
        ctx.print(_to_json(entries))
        return 0
    if not entries:
        ctx.print("no server accounts (add one with `ketaread server add`)")
    for entry in entries:
        ctx.print(clean_line(f"{entry['server']}  {entry['api']}  {entry['user']}  {entry['url']}"))
        ctx.print("    " + clean_line(f"password from {entry['password_from']}", 2000))
        ctx.print("    " + clean_line(_server_line(entry), 2000))
    return 0


def cmd_server_remove(ctx: Context) -> int:
    """Remove a server account, its cached articles and its sync state."""
    from ketaread.core.sync import state

    config = ctx.config
    account = config.server(ctx.args.name)
    if account is None:
        raise CommandError(
            f"no server account named {ctx.args.name!r} (see `ketaread server list`)"
        )
    waiting = state.pending_count(ctx.store, account.name)
    if waiting and not ctx.args.force:
        raise CommandError(
            f"server {account.name}: {state.waiting_line(waiting)}; run `ketaread sync` "
            f"first, or remove the account with --force to drop {'it' if waiting == 1 else 'them'}"
        )
    config.servers.remove(account)
    save_config(config)
    state.forget_account(ctx.store, account.name)
    removed = ctx.store.remove_source(account.source)
    ctx.print(f"removed server {account.name} and {removed} cached articles")
    return 0


def _filter_from(ctx: Context) -> ArticleFilter:
    tag = getattr(ctx.args, "tag", None)
    unread = bool(getattr(ctx.args, "unread", False))
    starred = bool(getattr(ctx.args, "starred", False))
    if tag:
        from ketaread.core.store import tag_key

        match = next((t for t in ctx.existing_store.tags() if t.key == tag_key(tag)), None)
        if match is None:
            raise CommandError(f"no tag named {tag!r} (see `ketaread tags`)")
        return ArticleFilter("tag", match.id, unread_only=unread, starred_only=starred)
    return ArticleFilter("all", unread_only=unread, starred_only=starred)


def _article_json(row: ArticleRow, tags: list[str]) -> dict[str, object]:
    """The keys `list --json` and `show --json` share (a contract: add, never rename)."""
    return {
        "id": row.key,
        "title": row.title,
        "link": row.link,
        "feed": row.feed_title,
        "author": row.author,
        "published": _iso(row.published),
        "tags": tags,
        "read": row.read,
        "starred": row.starred,
    }


def cmd_list(ctx: Context) -> int:
    """List articles, newest first."""
    articles = ctx.existing_store.list_articles(_filter_from(ctx), limit=ctx.args.limit)
    if ctx.args.json:
        ctx.print(_to_json([_article_json(row, tags) for row, tags in articles]))
        return 0
    for row, _tags in articles:
        flags = ("N" if not row.read else " ") + ("*" if row.starred else " ")
        date = time.strftime("%Y-%m-%d", time.gmtime(row.published)) if row.published else " " * 10
        ctx.print(f"{row.key}  {flags} {date}  {row.title}  ({row.feed_title})")
    return 0


def cmd_show(ctx: Context) -> int:
    """Print one article as Markdown, or as JSON with its references and terms."""
    from ketaread.core.render import rendering_for
    from ketaread.core.store import ArticleNotFound

    store = ctx.existing_store
    try:
        article_id = store.resolve(ctx.args.article)
    except (ArticleNotFound, StoreError) as error:
        raise CommandError(str(error)) from error
    detail = store.article(article_id)
    rendering = rendering_for(store, detail)
    row = detail.row
    if ctx.args.json:
        analysis = rendering.analysis.to_json()
        ctx.print(
            _to_json(
                {
                    **_article_json(row, detail.tags),
                    "markdown": rendering.markdown,
                    "references": analysis["references"],
                    "citations": analysis["citations"],
                    "links": [
                        {"text": link.text, "url": link.url} for link in rendering.analysis.links
                    ],
                    "terms": [hit.to_json() for hit in rendering.terms(ctx.glossary(strict=True))],
                    **_study_json(ctx, detail, rendering),
                    "enclosures": [
                        {"url": e.url, "type": e.type, "length": e.length}
                        for e in detail.enclosures
                    ],
                    "full_text": detail.full_text,
                    "full_text_error": detail.full_text_error,
                }
            )
        )
        return 0
    ctx.print(f"# {row.title}")
    byline = " · ".join(
        part
        for part in (
            author_name(row.author),
            row.feed_title,
            time.strftime("%Y-%m-%d", time.gmtime(row.published)) if row.published else "",
        )
        if part
    )
    ctx.print(byline)
    if row.link:
        ctx.print(row.link)
    from ketaread.core.enclosures import describe_enclosure

    for enclosure in detail.enclosures:
        ctx.print(describe_enclosure(enclosure))
    if detail.full_text_error:
        ctx.print(clean_line(f"(the feed's excerpt: full text failed: {detail.full_text_error})"))
    ctx.print()
    ctx.print(rendering.markdown.rstrip())
    return 0


_MARKS = {
    "read": ("read", True),
    "unread": ("read", False),
    "star": ("starred", True),
    "unstar": ("starred", False),
}
_MARK_WORDS = {"star": "starred", "unstar": "unstarred"}
"""What `mark` says it did ("marked 2 of 2 articles starred")."""


def cmd_mark(ctx: Context) -> int:
    """Mark articles read, unread, starred or unstarred; print what changed."""
    from ketaread.core.store import AmbiguousArticle, ArticleNotFound

    args = ctx.args
    store = ctx.existing_store
    if args.all == bool(args.articles):
        raise CommandError(
            "give article ids (from `ketaread list`), or --all with --tag T or --feed F"
            if not args.articles
            else "give article ids or --all, not both"
        )
    if args.all:
        if not (args.tag or args.feed):
            raise CommandError("--all needs --tag T or --feed F")
        ids = store.article_ids(_bulk_filter(ctx))
    else:
        if args.tag or args.feed:
            raise CommandError("--tag and --feed go with --all")
        ids = []
        for given in args.articles:
            try:
                ids.append(store.resolve(given))
            except (ArticleNotFound, AmbiguousArticle) as error:
                raise CommandError(str(error)) from error
    state, value = _MARKS[args.mark]
    changed = store.set_state(ids, state, value)
    if args.json:
        # The keys of `list --json` but tags (not read here): a script can act on them.
        ctx.print(
            _to_json(
                [
                    {k: v for k, v in _article_json(after, []).items() if k != "tags"}
                    for _, after in changed
                ]
            )
        )
        return 0
    for _, after in changed:
        ctx.print(f"{after.key}  {args.mark}  {after.title}  ({after.feed_title})")
    done = _MARK_WORDS.get(args.mark, args.mark)
    ctx.print(f"marked {len(changed)} of {counted(len(ids), 'article')} {done}")
    return 0


def _bulk_filter(ctx: Context) -> ArticleFilter:
    """The articles `mark --all` works on: one tag's or one feed's."""
    from ketaread.core.store import tag_key

    args = ctx.args
    if args.tag and args.feed:
        raise CommandError("give --tag or --feed, not both")
    store = ctx.existing_store
    if args.tag:
        match = next((t for t in store.tags() if t.key == tag_key(args.tag)), None)
        if match is None:
            raise CommandError(f"no tag named {args.tag!r} (see `ketaread tags`)")
        return ArticleFilter("tag", match.id)
    feeds = store.feeds()
    location = normalise_location(args.feed)
    folded = args.feed.casefold().strip()
    # As given too: "server:NAME/feed/4" is no path or URL to normalise.
    given = {location, args.feed.strip()}
    found = [f for f in feeds if f.location in given or f.source in given]
    found = found or [f for f in feeds if f.title.casefold() == folded]
    if not found:
        raise CommandError(f"no cached feed named {args.feed!r} (see `ketaread sources`)")
    if len(found) > 1:
        # Listed: a server's feed locations ("server:NAME/feed/4") are shown nowhere else.
        shown = ", ".join(f.location for f in found[:4]) + (", …" if len(found) > 4 else "")
        raise CommandError(
            clean_line(f"{args.feed!r} names {len(found)} feeds ({shown}); give one's location")
        )
    return ArticleFilter("feed", found[0].id)


def cmd_tags(ctx: Context) -> int:
    """List tags with article and unread counts."""
    tags = ctx.existing_store.tags()
    if ctx.args.json:
        ctx.print(_to_json([{"name": t.name, "count": t.total, "unread": t.unread} for t in tags]))
        return 0
    for tag in tags:
        ctx.print(f"{tag.total:6} {tag.unread:6} unread  {tag.name}")
    return 0


def cmd_import(ctx: Context) -> int:
    """Import subscriptions from OPML or a newsboat `urls` file."""
    from ketaread.core.sources import SourceError, read_file
    from ketaread.core.subscriptions import read_subscriptions

    path = Path(ctx.args.file).expanduser()
    try:
        document = read_file(path)
    except SourceError as error:
        raise CommandError(f"{path}: {error}") from error
    report = read_subscriptions(document.data, name=path.name)
    if not report.subscriptions and [entry for entry, _ in report.skipped] == [path.name]:
        # The document as a whole was refused (entity declarations, XML that is not
        # well-formed, not OPML): one line, a failing status and an untouched config.
        raise CommandError(f"{path}: {report.skipped[0][1]}")
    config = ctx.config
    if config.samples:
        _leave_samples(ctx, config)
    added: list[str] = []
    changed: list[str] = []
    skipped = list(report.skipped)
    for subscription in report.subscriptions:
        if not is_url(subscription.location) and not ctx.args.allow_local:
            # A list from the web must not make ketaread read (and show) local files.
            skipped.append(
                (clean_line(subscription.location, limit=120), "a local file (see --allow-local)")
            )
            continue
        location = normalise_location(subscription.location)
        existing = config.find(location)
        if existing is None:
            config.sources.append(
                SourceConfig(
                    location,
                    subscription.title,
                    list(subscription.tags),
                    hidden=subscription.hidden,
                )
            )
            added.append(location)
            continue
        tags = sorted({*existing.tags, *subscription.tags}, key=str.casefold)
        title = existing.title or subscription.title
        hidden = existing.hidden or subscription.hidden
        what = [
            change
            for change, differs in (
                (f"title {title!r}", title != existing.title),
                (
                    "tags +" + ", +".join(t for t in tags if t not in existing.tags),
                    tags != sorted(existing.tags, key=str.casefold),
                ),
                ("hidden", hidden != existing.hidden),
            )
            if differs
        ]
        if what:
            existing.tags, existing.title, existing.hidden = tags, title, hidden
            changed.append(clean_line(f"{location}: {'; '.join(what)}", limit=1000))
    for entry, reason in skipped:
        ctx.print(clean_line(f"skipped {entry}: {reason}"))
    for line in changed:
        ctx.print(f"changed {line}")
    if added or changed:
        # Saving an empty list would replace the bundled sample feeds with nothing.
        save_config(config)
    ctx.print(
        f"imported {counted(len(added), 'new source')} from {path} "
        f"({len(changed)} changed, {len(skipped)} skipped)"
    )
    return 0


def cmd_export(ctx: Context) -> int:
    """Write the subscriptions as OPML or a newsboat `urls` file."""
    from ketaread.core.subscriptions import Subscription, to_newsboat_urls, to_opml

    # The sites' web pages, when the cache knows them (an export never creates a cache).
    pages = ctx.store.site_links() if ctx.database.exists() else {}
    subs = [
        Subscription(
            s.location, s.title, list(s.tags), hidden=s.hidden, html_url=pages.get(s.location)
        )
        for s in ctx.config.sources
    ]
    text = to_opml(subs) if ctx.args.format == "opml" else to_newsboat_urls(subs)
    ctx.out.write(text if text.endswith("\n") else text + "\n")
    return 0


def cmd_define(ctx: Context) -> int:
    """Print a glossary definition."""
    from ketaread.core.glossary import format_definition

    glossary = ctx.glossary(strict=True)
    # Bytes that are not UTF-8 in the argument arrive as surrogates: shown as U+FFFD.
    wanted = ctx.args.term.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    term = glossary.lookup(wanted)
    if term is None:
        suggestions = [t.term for t in glossary.search(wanted)[:5]]
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        raise CommandError(f"{wanted!r} is not in the glossary{hint}")
    ctx.print(format_definition(term, _crisis_text(ctx)).rstrip())
    return 0


def _crisis_text(ctx: Context) -> str:
    from ketaread.core.glossary import DEFAULT_SAFETY_TEXT

    return ctx.config.crisis_text or DEFAULT_SAFETY_TEXT


def cmd_glossary_help(ctx: Context) -> int:
    """`ketaread glossary` alone: say which subcommands there are."""
    raise CommandError("glossary: choose a command: check, export (see ketaread glossary -h)", 2)


def cmd_glossary_check(ctx: Context) -> int:
    """Check the glossary data against the curated standard; exit 1 on any problem."""
    from ketaread.core.glossary import load_glossary
    from ketaread.core.glossary_check import check_glossary_data, curated_data

    reports = []
    if ctx.args.file:
        path = Path(ctx.args.file).expanduser()
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(
                f"{ctx.args.file}: cannot be read ({error.strerror or error})"
            ) from None
        reports.append(check_glossary_data(data, str(path), base=load_glossary()))
    else:
        reports.append(check_glossary_data(curated_data(), "built-in glossary"))
        from ketaread.locations import user_glossary_path

        user_file = user_glossary_path(ctx.config_file)
        if user_file.is_file():
            try:
                data = user_file.read_bytes()
            except OSError as error:
                raise CommandError(
                    f"{user_file}: cannot be read ({error.strerror or error})"
                ) from None
            reports.append(check_glossary_data(data, str(user_file), base=load_glossary()))
    problems = 0
    for report in reports:
        for problem in report.problems:
            ctx.print(problem)
        problems += len(report.problems)
        verdict = "no problems" if report.ok else counted(len(report.problems), "problem")
        ctx.print(f"{report.label}: {len(report.terms)} entries checked, {verdict}")
    return 1 if problems else 0


def cmd_glossary_export(ctx: Context) -> int:
    """Print every glossary entry as CSV or JSON, for review in a spreadsheet."""
    from ketaread.core.glossary_check import export_terms

    ctx.out.write(export_terms(list(ctx.glossary(strict=True).terms), ctx.args.format))
    return 0


# -- study ---------------------------------------------------------------------------


def _study_json(ctx: Context, detail: ArticleDetail, rendering: Rendering) -> dict[str, object]:
    """`show --json`'s study keys: the article's highlights (found again in its current
    text, or detached) and the reader's note on it."""
    from ketaread.core.study import article_text, place_highlights

    study = ctx.study_if_exists()
    if study is None:
        return {"highlights": [], "notes": []}
    placed = place_highlights(study, detail.row.key, article_text(rendering))
    note = study.article_note(detail.row.key)
    return {
        "highlights": [_highlight_json(p.highlight, p.anchored) for p in placed],
        "notes": [{"text": note}] if note else [],
    }


def _highlight_json(highlight: Highlight, anchored: bool) -> dict[str, object]:
    return {
        "id": highlight.id,
        "quote": highlight.quote,
        "color": highlight.color,
        "note": highlight.note,
        "created": _iso(highlight.created),
        "anchored": anchored,
    }


def _open_article(ctx: Context, given: str) -> tuple[ArticleDetail, Rendering]:
    from ketaread.core.render import rendering_for
    from ketaread.core.store import ArticleNotFound

    store = ctx.store
    try:
        article_id = store.resolve(given)
    except (ArticleNotFound, StoreError) as error:
        raise CommandError(str(error)) from error
    detail = store.article(article_id)
    return detail, rendering_for(store, detail)


def cmd_highlight(ctx: Context) -> int:
    """Highlight a passage of an article, with a colour and a note."""
    from ketaread.core.study import StudyError, add_highlight, article_text

    wanted = clean_line(ctx.args.color).casefold()
    meanings = ctx.config.highlights
    meaning = next((m for m in meanings if wanted in (m.key, m.label.casefold())), None)
    if meaning is None:
        names = ", ".join(m.key if m.key == m.label else f"{m.key} ({m.label})" for m in meanings)
        raise CommandError(f"--color must be one of {names}")
    detail, rendering = _open_article(ctx, ctx.args.article)
    try:
        highlight = add_highlight(
            ctx.study,
            detail,
            article_text(rendering),
            ctx.args.quote,
            color=meaning.key,
            note=ctx.args.note or "",
        )
    except StudyError as error:
        raise CommandError(f"{ctx.args.article}: {error}") from error
    if ctx.args.json:
        ctx.print(_to_json(_highlight_json(highlight, True)))
    else:
        ctx.print(f"highlighted ({meaning.label}) in {clean_line(detail.row.title)}")
    return 0


def cmd_note(ctx: Context) -> int:
    """Write (or with an empty text, delete) the reader's note on an article."""
    from ketaread.core.study import article_ref

    detail, _rendering = _open_article(ctx, ctx.args.article)
    ctx.study.set_article_note(article_ref(detail), ctx.args.text)
    ctx.print(f"note {'saved' if ctx.args.text.strip() else 'deleted'}")
    return 0


def cmd_learn(ctx: Context) -> int:
    """Set a glossary term's status (new, learning, known); learning makes its cards."""
    from ketaread.core.study import set_term_status

    term = ctx.glossary(strict=True).lookup(ctx.args.term)
    if term is None:
        raise CommandError(f"{clean_line(ctx.args.term)!r} is not in the glossary")
    set_term_status(ctx.study, term, ctx.args.status)
    ctx.print(f"{term.term}: {ctx.args.status}")
    return 0


def _card_json(card: Card) -> dict[str, object]:
    return {
        "id": card.id,
        "kind": card.kind,
        "front": card.front,
        "back": card.back,
        "source": card.source,
        "due": _iso(card.due),
    }


def cmd_review(ctx: Context) -> int:
    """Review due cards: `--json` lists them, `--answer ID RATING` records one answer,
    and with neither the review screen opens."""
    import time as clock

    from ketaread.core.study.cards import RATINGS, review

    if ctx.args.answer:
        card_text, rating = ctx.args.answer
        # 1-4 as on the review screen's keys, or the words.
        rating = {str(number): name for name, number in RATINGS.items()}.get(rating, rating)
        if not card_text.isdigit() or rating not in RATINGS:
            raise CommandError(f"--answer takes a card id and one of {', '.join(RATINGS)} (or 1-4)")
        writable = ctx.study
        card = writable.card(int(card_text))
        if card is None:
            raise CommandError(f"no card {card_text} (see `ketaread review --json`)")
        schedule, due = review(card.schedule, rating)
        writable.record_review(card.id, RATINGS[rating], schedule, due)
        ctx.print(f"card {card.id}: {rating}; next {_iso(due)}")
        return 0
    study = ctx.study_if_exists()
    cards = study.cards(due_before=clock.time(), limit=ctx.args.limit) if study else []
    if ctx.args.json:
        ctx.print(_to_json([_card_json(card) for card in cards]))
        return 0
    if study is not None:
        study.close()  # the app opens its own
    ctx.close()
    app = make_app(db=ctx.args.db, config=ctx.args.config, offline=True, review=True)
    app.run()
    return app.return_code or 0


def _cached_tags_and_dates(
    ctx: Context, keys: list[str]
) -> dict[str, tuple[list[str], float | None]]:
    """Tags and publication dates of the studied articles still cached (a removed
    source's study data exports without them)."""
    if not ctx.cache_exists:
        return {}
    store = ctx.existing_store
    found: dict[str, tuple[list[str], float | None]] = {}
    for key in keys:
        try:
            detail = store.article(store.resolve(key))
        except StoreError:
            continue
        found[key] = (detail.tags, detail.row.published)
    return found


def cmd_notes(ctx: Context) -> int:
    """Export or import study data."""
    from ketaread.core.study import export

    if ctx.args.notes_action == "import":
        return _import_study(ctx)
    study = ctx.study_if_exists()
    if study is None:
        raise CommandError("nothing to export yet: no highlights, notes or cards")
    fmt = ctx.args.format
    if fmt == "json":
        from ketaread.core.study.store import dump_json

        return _write_out(ctx, "ketaread-study.json", dump_json(study))
    if fmt == "anki":
        return _write_out(ctx, "ketaread-anki.txt", export.to_anki_tsv(study.cards()))
    if fmt == "csv":
        return _write_out(ctx, "ketaread-readwise.csv", export.to_readwise_csv(study.highlights()))
    articles = export.by_article(study)
    loose = [c for c in study.cards() if not c.article]
    known = _cached_tags_and_dates(ctx, [a.key for a in articles])

    def note(article: export.ArticleStudy) -> str:
        tags, published = known.get(article.key, ([], None))
        return export.to_markdown(article, tags, published)

    if ctx.args.out is None:
        for article in articles:
            ctx.out.write(note(article))
            ctx.out.write("\n")
        if loose:
            ctx.out.write(export.term_cards_markdown(loose))
        return 0
    folder = Path(ctx.args.out).expanduser()
    written = [_write_file(folder / export.file_name(a), note(a)) for a in articles]
    if loose:
        written.append(
            _write_file(folder / "ketaread glossary cards.md", export.term_cards_markdown(loose))
        )
    ctx.print(f"wrote {len(written)} Markdown files to {folder}")
    return 0


def _write_file(path: Path, text: str) -> Path:
    """Write one export file: a new file, or one an export wrote before (never another)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        if not path.is_file() or path.is_symlink():
            raise CommandError(f"{path}: exists and is not a file; not written")
        try:
            with path.open(encoding="utf-8") as existing:
                head = existing.read(len(text.split("\n", 1)[0]) + 1)
        except (OSError, UnicodeDecodeError):
            head = ""
        # Same first line (Anki's header, the CSV columns, the front matter's fence) and,
        # for Markdown, ketaread's key in the front matter: a file an export wrote.
        if head != text[: len(head)] or (path.suffix == ".md" and not _our_note(path, text)):
            raise CommandError(f"{path}: exists and was not written by ketaread; not replaced")
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    return path


def _our_note(path: Path, text: str) -> bool:
    """Whether an existing Markdown note carries the same `ketaread:` key line."""
    marker = next((line for line in text.splitlines() if line.startswith("ketaread: ")), None)
    if marker is None:
        return True  # the glossary cards' note: its first line and name are checked
    try:
        return marker in path.read_text(encoding="utf-8").splitlines()[:12]
    except (OSError, UnicodeDecodeError):
        return False


def _write_out(ctx: Context, name: str, text: str) -> int:
    if ctx.args.out is None:
        ctx.out.write(text)
        return 0
    path = _write_file(Path(ctx.args.out).expanduser() / name, text)
    ctx.print(f"wrote {path}")
    return 0


def _import_study(ctx: Context) -> int:
    import json

    from ketaread.core.study import StudyError

    path = Path(ctx.args.file).expanduser()
    try:
        if path.stat().st_size > 64 * 1024 * 1024:
            raise CommandError(f"{path}: larger than 64 MiB; not a study export")
        data = json.loads(path.read_text(encoding="utf-8"))
        added = ctx.study.load(data)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise CommandError(f"{path}: cannot be read as a study export ({error})") from error
    except StudyError as error:
        raise CommandError(f"{path}: {error}") from error
    # The kinds are plural nouns ("highlights", "notes"): one of them is said in the singular.
    ctx.print("imported " + ", ".join(counted(n, kind[:-1], kind) for kind, n in added.items()))
    return 0


def cmd_abbreviations(ctx: Context) -> int:
    """Print SHORT<TAB>LONG FORM for every abbreviation a text defines (or JSON lines)."""
    if ctx.args.jsonl:
        return _abbreviations_jsonl(ctx)
    from ketaread.core.abbreviations import find_abbreviations
    from ketaread.core.sources import SourceError, read_file

    if ctx.args.file in (None, "-"):
        text = sys.stdin.read()
    else:
        try:
            data = read_file(Path(ctx.args.file).expanduser()).data
        except SourceError as error:
            raise CommandError(f"{ctx.args.file}: {error}") from error
        from ketaread.core.parse import decode_text

        text = decode_text(data)
    from ketaread.core.clean import clean_text

    for abbreviation in find_abbreviations(clean_text(text)):
        ctx.print(f"{abbreviation.short}\t{abbreviation.long}")
    return 0


def _server_usage(ctx: Context) -> int:
    raise CommandError("server needs a command: add, list or remove (see `ketaread server -h`)")


MAX_JSONL_LINE = 8 * 1024 * 1024
"""Longest input line `abbreviations --jsonl` reads (bytes); a longer one is an error line."""


def _jsonl_source(name: str) -> BinaryIO:
    """stdin, or a regular file opened for reading (never a FIFO or a device that may block)."""
    import stat

    if name in (None, "-"):
        return sys.stdin.buffer
    path = Path(name).expanduser()
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise CommandError(f"{name}: not a regular file")
        return path.open("rb")
    except OSError as error:
        raise CommandError(f"{name}: {error.strerror or error}") from error


def _abbreviations_jsonl(ctx: Context) -> int:
    """`{"id", "text"}` per line in, `{"id", "pairs"}` per line out, in order.

    A bad line (not UTF-8, not JSON, no string "text", too long) gets one error line on
    stderr naming its line number and produces no output; the others are still processed,
    and the exit status is 1 when any line was bad. Blank lines are skipped.
    """
    import json

    from ketaread.core.abbreviations import find_abbreviations
    from ketaread.core.clean import clean_line, clean_text

    source = _jsonl_source(ctx.args.file)
    bad = 0
    number = 0
    try:
        while True:
            raw = source.readline(MAX_JSONL_LINE + 1)
            if not raw:
                break
            number += 1
            if len(raw) > MAX_JSONL_LINE and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):  # skip the rest of the long line
                    raw = source.readline(MAX_JSONL_LINE)
                reason = f"longer than {MAX_JSONL_LINE // (1024 * 1024)} MiB"
            elif not raw.strip():
                continue
            else:
                reason = ""
                try:
                    record = json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError:
                    reason = "not UTF-8"
                except ValueError as error:
                    reason = f"not JSON ({error.args[0] if error.args else error})"
                else:
                    if not isinstance(record, dict):
                        reason = "not a JSON object"
                    elif not isinstance(record.get("text"), str):
                        reason = 'no string "text"'
                    elif "id" not in record:
                        reason = 'no "id"'
            if reason:
                bad += 1
                where = "stdin" if ctx.args.file in (None, "-") else clean_line(ctx.args.file)
                print(f"ketaread: {where} line {number}: {clean_line(reason)}", file=sys.stderr)
                continue
            pairs = [[a.short, a.long] for a in find_abbreviations(clean_text(record["text"]))]
            ctx.print(json.dumps({"id": record["id"], "pairs": pairs}, ensure_ascii=False))
    finally:
        if source is not sys.stdin.buffer:
            source.close()
    return 1 if bad else 0


def _index_for_search(ctx: Context) -> None:
    """Index what is not indexed yet (a cache from before search), with progress on stderr."""
    from ketaread.core.search import build_index, index_status

    store = ctx.store
    if index_status(store).complete and not ctx.args.rebuild:
        return
    shown = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - shown[0] >= 0.5 or done >= total:
            shown[0] = now
            print(f"ketaread: indexing articles for search: {done:,}/{total:,}", file=sys.stderr)

    build_index(store, progress, rebuild=ctx.args.rebuild)


def _search_json(row: ArticleRow, hit: object) -> dict[str, object]:
    """One result of `search --json` (a contract: add keys, never rename them)."""
    from ketaread.core.search import Hit, snippet_spans

    assert isinstance(hit, Hit)
    snippet, spans = snippet_spans(hit.snippet)
    return {
        "id": row.key,
        "title": row.title,
        "feed": row.feed_title,
        "published": _iso(row.published),
        "snippet": snippet,
        "highlights": [list(span) for span in spans],
        "score": hit.score,
        "matched": [m.to_json() for m in hit.matched],
    }


def cmd_search(ctx: Context) -> int:
    """Search the cached articles; or save a search, or check and rebuild the index."""
    from ketaread.core.search import (
        HIT_END,
        HIT_START,
        QueryError,
        SearchIndexError,
        check_index,
        count_matches,
        expander_for,
        prepare,
        search,
    )

    args = ctx.args
    text = " ".join(args.query).strip()
    if args.check:
        problems = check_index(ctx.store)
        for problem in problems:
            ctx.print(f"search index: {problem}")
        if problems:
            ctx.print("run `ketaread search --rebuild` to rebuild it")
            return 1
        ctx.print("search index: ok")
        return 0
    _index_for_search(ctx)
    if args.rebuild and not text:
        ctx.print("search index rebuilt")
        return 0
    expander = expander_for(ctx.glossary())
    if ctx.glossary_warning:
        print(f"ketaread: {ctx.glossary_warning}", file=sys.stderr)
    if args.saved:
        for saved in ctx.config.searches:
            try:
                count: object = count_matches(ctx.store, saved.query, expander)
            except (QueryError, SearchIndexError) as error:
                count = f"error: {error}"
            ctx.print(f"{clean_line(saved.name)}\t{count}\t{clean_line(saved.query, 2000)}")
        return 0
    if not text:
        raise CommandError("search: give a query, as in `ketaread search BDNF exercise`")
    if args.save is not None:  # `--save ''` is a save with no name, not a plain search
        name = clean_line(args.save)
        if not name:
            raise CommandError("search --save: the name is empty")
        try:
            prepare(text, expander, ctx.store)
        except QueryError as error:
            raise CommandError(f"search: {error}") from error
        from ketaread.config import SavedSearch

        config = ctx.config
        old = next((s for s in config.searches if s.name == name), None)
        if old is None:
            config.searches.append(SavedSearch(name, text))
        else:
            # In its place in the sidebar, and said: a name reused by mistake loses a query.
            config.searches[config.searches.index(old)] = SavedSearch(name, text)
        save_config(config)
        done = "saved search" if old is None else "replaced saved search"
        was = f" (was: {clean_line(old.query, 2000)})" if old and old.query != text else ""
        ctx.print(f"{done} {name!r}: {text}{was} (config: {config.path})")
        return 0
    try:
        results = search(ctx.store, text, limit=args.limit, expander=expander)
    except (QueryError, SearchIndexError) as error:
        raise CommandError(f"search: {error}") from error
    rows = {row.id: row for row in ctx.store.rows([h.article_id for h in results.hits])}
    found = [(rows[h.article_id], h) for h in results.hits if h.article_id in rows]
    if args.json:
        ctx.print(_to_json([_search_json(row, hit) for row, hit in found]))
        return 0
    if not found:
        ctx.print(f"no articles match {text}")
        return 0
    for row, hit in found:
        date = time.strftime("%Y-%m-%d", time.gmtime(row.published)) if row.published else " " * 10
        ctx.print(clean_line(f"{row.key}  {date}  {row.title}  ({row.feed_title})", limit=2000))
        if hit.snippet:
            snippet = hit.snippet.replace(HIT_START, "\x00").replace(HIT_END, "\x01")
            snippet = clean_line(snippet.replace("\x00", "»").replace("\x01", "«"), 2000)
            ctx.print(f"    {snippet}")
        expanded = [m for m in hit.matched if m.via]
        if expanded:
            ctx.print(
                "    "
                + clean_line("; ".join(f"{m.term}: matched as {m.via}" for m in expanded), 2000)
            )
    if results.total > len(found):
        from ketaread.core.search import COUNT_CAP

        many = f"more than {COUNT_CAP:,}" if results.total > COUNT_CAP else f"{results.total:,}"
        ctx.print(f"({many} articles match; --limit shows more)")
    return 0


# -- the reading screen ---------------------------------------------------------------


def make_app(
    context: ketaread.context.Context | None = None,
    *,
    db: str | Path | None = None,
    config: str | Path | None = None,
    offline: bool = False,
    refresh_on_start: bool | None = None,
    review: bool = False,
) -> KetareadApp:
    """Build the reading app on `context` (or on one made from the options); the CLI and
    the tests share this factory. `refresh_on_start`: None refreshes on start unless
    offline (the tests' quiet default); `review`: open on the flashcard review."""
    from ketaread.app import KetareadApp

    if context is None:
        context = ketaread.context.Context(db=db, config=config, offline=offline)
    return KetareadApp(context, refresh_on_start=refresh_on_start, review=review)


def reader_app(args: argparse.Namespace | SimpleNamespace) -> KetareadApp:
    """The reader `ketaread [--offline]` runs: it always reads the local sources on start;
    --offline only keeps it off the network (a fresh install shows the samples)."""
    return make_app(db=args.db, config=args.config, offline=args.offline, refresh_on_start=True)


def cmd_read(ctx: Context) -> int:
    """Launch the reading screen."""
    # A context of its own: the reader shows notes about the cache on screen, not on stderr.
    app = reader_app(ctx.args)
    app.run()
    return app.return_code or 0


# -- parser ---------------------------------------------------------------------------


def _reader_parser() -> argparse.ArgumentParser:
    """The options of `ketaread` itself (the reader), without the subcommands."""
    import argparse  # not at the top: the reader's own options are read without it

    parser = argparse.ArgumentParser(
        prog="ketaread",
        description="A terminal reader for educational feeds, with references and a glossary.",
    )
    parser.add_argument("--version", action="version", version=f"ketaread {__version__}")
    parser.add_argument("--db", metavar="PATH", help="cache database (or set KETAREAD_DB)")
    parser.add_argument("--config", metavar="PATH", help="config file (or set KETAREAD_CONFIG)")
    parser.add_argument(
        "--offline", action="store_true", help="never use the network; read the cache"
    )
    parser.set_defaults(handler=cmd_read)
    return parser


def reader_arguments(argv: Sequence[str]) -> SimpleNamespace | None:
    """The options of `[--offline] [--db PATH] [--config PATH]` spelt out in full (the
    reader), as the argument parser would give them; None for anything else (help, a
    command, an abbreviation, a value that looks like an option), which goes to the parser
    and its messages. Building the parser of every subcommand took ~9 ms of each start, and
    importing argparse ~2 ms more."""
    found: dict[str, object] = {"db": None, "config": None, "offline": False}
    index = 0
    while index < len(argv):
        word = argv[index]
        name, _equals, value = word.partition("=")
        if word == "--offline":
            found["offline"] = True
            index += 1
        elif name in ("--db", "--config") and value:
            found[name[2:]] = value
            index += 1
        elif word in ("--db", "--config"):
            if index + 1 >= len(argv) or argv[index + 1].startswith("-") or not argv[index + 1]:
                return None
            found[word[2:]] = argv[index + 1]
            index += 2
        else:
            return None
    return SimpleNamespace(**found, handler=cmd_read)


def only_reader_options(argv: Sequence[str]) -> bool:
    """Whether `argv` is the reader's options alone (see `reader_arguments`)."""
    return reader_arguments(argv) is not None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = _reader_parser()
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(
        name: str, handler: Callable[[Context], int], help_text: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    add = command("add", cmd_add, "add a feed file, article file, folder or URL")
    add.add_argument("source")
    add.add_argument(
        "--tag", action="append", default=[], help="a tag for its articles (repeatable)"
    )
    add.add_argument("--title", help="show the source under this title")
    add.add_argument(
        "--server",
        metavar="ACCOUNT",
        help="subscribe this server account instead (the first --tag is its folder)",
    )
    add.add_argument(
        "--full-text",
        action="store_true",
        help="fetch each article's web page for its full text (for excerpt-only feeds)",
    )
    add.add_argument(
        "--pick",
        type=int,
        metavar="N",
        help="when the page offers several feeds, add the Nth one listed",
    )
    add.add_argument(
        "--force",
        action="store_true",
        help="add the URL even when the server says it is no feed (404, 410, a page without one)",
    )
    remove = command("remove", cmd_remove, "remove a source and its cached articles")
    remove.add_argument("source")
    remove.add_argument(
        "--server", metavar="ACCOUNT", help="unsubscribe this server account instead"
    )
    sources = command("sources", cmd_sources, "list sources with their state and errors")
    sources.add_argument("--json", action="store_true")
    refreshing = command(
        "refresh",
        cmd_refresh,
        "update every source (or just SOURCE), then sync every server account",
    )
    refreshing.add_argument(
        "source", nargs="?", help="one configured source: its location or title"
    )
    sync = command("sync", cmd_sync, "sync server accounts only (all, or the one named)")
    sync.add_argument("account", nargs="?", help="the account's name (see `server list`)")
    server = command("server", _server_usage, "add, list or remove feed-server accounts")
    server_commands = server.add_subparsers(title="server commands", metavar="COMMAND")
    server_add = server_commands.add_parser(
        "add", help="add a Google Reader or Fever API account", description=cmd_server_add.__doc__
    )
    server_add.set_defaults(handler=cmd_server_add)
    server_add.add_argument("url", help="the API URL (FreshRSS: …/api/greader.php or fever.php)")
    server_add.add_argument("--api", choices=("greader", "fever"), required=True)
    server_add.add_argument("--user", required=True)
    server_add.add_argument("--name", help="the account's name (default: HOST-API)")
    password = server_add.add_mutually_exclusive_group(required=True)
    password.add_argument(
        "--password-command", metavar="CMD", help="a command that prints the password"
    )
    password.add_argument(
        "--password-file", metavar="PATH", help="a file holding the password (mode 600)"
    )
    password.add_argument(
        "--password-env", metavar="VAR", help="an environment variable holding the password"
    )
    server_add.add_argument(
        "--no-check", action="store_true", help="add it without logging in first"
    )
    server_list = server_commands.add_parser(
        "list", help="list server accounts", description=cmd_server_list.__doc__
    )
    server_list.set_defaults(handler=cmd_server_list)
    server_list.add_argument("--json", action="store_true")
    server_remove = server_commands.add_parser(
        "remove",
        help="remove an account and its cached articles",
        description=cmd_server_remove.__doc__,
    )
    server_remove.set_defaults(handler=cmd_server_remove)
    server_remove.add_argument("name")
    server_remove.add_argument(
        "--force", action="store_true", help="even with local changes never pushed"
    )
    vacuum = command(
        "vacuum", cmd_vacuum, "remove articles past keep_days/keep_items and compact the cache"
    )
    vacuum.add_argument("--dry-run", action="store_true", help="count, remove nothing")
    vacuum.add_argument("--json", action="store_true")
    listing = command("list", cmd_list, "list articles, newest first")
    listing.add_argument("--tag", help="only articles with this tag")
    listing.add_argument("--unread", action="store_true", help="only unread articles")
    listing.add_argument("--starred", action="store_true", help="only starred articles")
    listing.add_argument("--limit", type=_limit, help="at most this many")
    listing.add_argument("--json", action="store_true")
    show = command("show", cmd_show, "print an article (id from `list`; a unique prefix will do)")
    show.add_argument("article")
    show.add_argument("--json", action="store_true")
    marking = command("mark", cmd_mark, "mark articles read, unread, starred or unstarred")
    marking.add_argument("articles", nargs="*", metavar="ARTICLE", help="ids from `list`")
    how = marking.add_mutually_exclusive_group(required=True)
    for name in _MARKS:
        how.add_argument(
            f"--{name}", dest="mark", action="store_const", const=name, help=f"mark {name}"
        )
    marking.add_argument("--all", action="store_true", help="every article of --tag or --feed")
    marking.add_argument("--tag", help="with --all: the articles with this tag")
    marking.add_argument("--feed", help="with --all: the articles of this feed (title or location)")
    marking.add_argument("--json", action="store_true", help="print the changed articles as JSON")
    tags = command("tags", cmd_tags, "list tags with counts")
    tags.add_argument("--json", action="store_true")
    importing = command("import", cmd_import, "import subscriptions (OPML or newsboat urls)")
    importing.add_argument("file")
    importing.add_argument(
        "--allow-local",
        action="store_true",
        help="also subscribe to local files and folders the list names (off: only http(s))",
    )
    export = command("export", cmd_export, "print subscriptions as OPML or newsboat urls")
    export.add_argument("--format", choices=("opml", "urls"), default="opml")
    define = command("define", cmd_define, "print the glossary definition of a term")
    define.add_argument("term")
    glossary = command("glossary", cmd_glossary_help, "check or export the glossary data")
    glossary_commands = glossary.add_subparsers(title="glossary commands", metavar="COMMAND")
    check = glossary_commands.add_parser(
        "check",
        help="check entries: schema, sources, related terms, alias collisions, length",
        description="check entries: schema, sources, related terms, alias collisions, length",
    )
    check.add_argument("--file", metavar="PATH", help="a glossary file to check instead")
    check.set_defaults(handler=cmd_glossary_check)
    glossary_export = glossary_commands.add_parser(
        "export",
        help="print every entry as CSV or JSON, for review",
        description="print every entry as CSV or JSON, for review",
    )
    glossary_export.add_argument("--format", choices=("csv", "json"), default="csv")
    glossary_export.set_defaults(handler=cmd_glossary_export)
    abbreviations = command(
        "abbreviations", cmd_abbreviations, "print SHORT<TAB>LONG for abbreviations a text defines"
    )
    highlight = command("highlight", cmd_highlight, "highlight a passage of an article")
    highlight.add_argument("article")
    highlight.add_argument("--quote", required=True, help="the exact words to highlight")
    highlight.add_argument("--note", help="your note on it")
    highlight.add_argument(
        "--color",
        default="finding",
        help="its meaning: finding, method, definition or question, or your label for one "
        "([highlight] in the config)",
    )
    highlight.add_argument("--json", action="store_true")
    note = command("note", cmd_note, "write your note on an article (empty text deletes it)")
    note.add_argument("article")
    note.add_argument("text")
    learn = command("learn", cmd_learn, "mark a glossary term new, learning or known")
    learn.add_argument("term")
    learn.add_argument("--status", default="learning", choices=("new", "learning", "known"))
    review_parser = command("review", cmd_review, "review due flashcards")
    review_parser.add_argument("--json", action="store_true", help="list the due cards")
    review_parser.add_argument("--limit", type=int, help="at most this many")
    review_parser.add_argument(
        "--answer", nargs=2, metavar=("CARD", "RATING"), help="again, hard, good or easy (or 1-4)"
    )
    notes = command("notes", cmd_notes, "export or import highlights, notes and cards")
    notes_actions = notes.add_subparsers(dest="notes_action", required=True)
    notes_export = notes_actions.add_parser("export", help="write study data out")
    notes_export.add_argument(
        "--format", choices=("markdown", "anki", "csv", "json"), default="markdown"
    )
    notes_export.add_argument("--out", help="a folder to write into (default: print)")
    notes_import = notes_actions.add_parser("import", help="merge a JSON export in")
    notes_import.add_argument("file")
    abbreviations.add_argument(
        "file", nargs="?", default="-", help="a text file (or JSON lines), or - for stdin"
    )
    abbreviations.add_argument(
        "--jsonl",
        action="store_true",
        help='read {"id", "text"} JSON lines, write {"id", "pairs"} lines in order',
    )
    searching = command(
        "search",
        cmd_search,
        "search the cached articles (a query starting with '-' goes after --)",
    )
    searching.add_argument("query", nargs="*", help='words, "phrases", title:, +tag, is:unread …')
    searching.add_argument("--limit", type=int, default=20, help="at most this many (20)")
    searching.add_argument("--json", action="store_true")
    searching.add_argument("--save", metavar="NAME", help="save the query under NAME in the config")
    searching.add_argument("--saved", action="store_true", help="list saved searches with counts")
    searching.add_argument("--check", action="store_true", help="check the search index for damage")
    searching.add_argument(
        "--rebuild", action="store_true", help="rebuild the search index from the cache"
    )
    return parser


def _silence_stdout() -> None:
    """Point stdout at /dev/null: the interpreter's last flush must not fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


MAX_LIMIT = 2**62
"""`--limit` above this means no limit (SQLite's LIMIT takes a 64-bit integer)."""


def _limit(text: str) -> int:
    """`--limit`: a whole number of 0 or more; a huge one means every article."""
    import argparse  # imported by the parser calling this

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return min(value, MAX_LIMIT)


def run(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status."""
    for stream in (sys.stdout, sys.stderr):
        # A terminal or pipe that cannot show a character (PYTHONIOENCODING=ascii, or a
        # byte that is not UTF-8 in an argument) gets a stand-in, not a traceback.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="replace")
    words = sys.argv[1:] if argv is None else list(argv)
    args = reader_arguments(words) or build_parser().parse_args(words)
    if args.handler is not cmd_read:
        gc.enable()  # paused for the reader's start-up alone (see __main__)
    ctx = Context(args, out or sys.stdout)
    received: list[int] = []

    def interrupted(signum: int, _frame: object) -> None:
        # `kill` (SIGTERM) or closing the terminal (SIGHUP) unwinds like Ctrl-C: the
        # command's transaction rolls back, the cache is closed, no worker is left.
        received.append(signum)
        raise KeyboardInterrupt

    if args.handler is not cmd_read:  # the reader quits on them itself (app.py)
        for name in ("SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), interrupted)
    try:
        try:
            status = args.handler(ctx)
        except CacheDamaged as error:
            # Found while reading: recover now (the reopen does it) and run the command again.
            print(f"ketaread: {clean_text(str(error))}", file=sys.stderr)
            ctx.close()
            ctx._notice_shown = False  # the recovery's notice is news
            status = args.handler(ctx)
        ctx.out.flush()  # a full disk or a closed pipe shows here, while it can be told
        return status
    except CommandError as error:
        print(f"ketaread: {clean_text(str(error))}", file=sys.stderr)
        return error.status
    except (ketaread.context.ContextError, ConfigError) as error:
        print(f"ketaread: {clean_text(str(error))}", file=sys.stderr)
        return 1
    except sqlite3.Error as error:
        # A cache that is locked past the busy timeout, full or read-only: one line.
        print(
            clean_text(f"ketaread: the cache {ctx.database} cannot be used: {error}"),
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        workers = sys.modules.get("ketaread.core.parse_workers")
        if workers is not None:
            workers.kill_all()
        return 128 + (received[0] if received else signal.SIGINT)
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except OSError as error:
        if error.errno not in (errno.ENOSPC, errno.EIO, errno.EDQUOT):
            raise
        _silence_stdout()
        print(f"ketaread: cannot write the output: {error.strerror or error}", file=sys.stderr)
        return 1
    finally:
        ctx.close()
