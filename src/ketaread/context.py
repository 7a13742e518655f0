"""What the command line and the reader both work with: the cache, the config, the glossary
and the refresh, opened one way and failing one way. No Textual."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ketaread.config import Config, ConfigError, load_config
from ketaread.core.store import RetentionResult, Store, StoreError
from ketaread.locations import config_path, database_path, study_path, user_glossary_path

if TYPE_CHECKING:
    from ketaread.core.glossary import Glossary
    from ketaread.core.refresh import FeedReport, RefreshSummary, SourceSpec
    from ketaread.core.study import StudyStore
    from ketaread.core.sync.accounts import ServerAccount
    from ketaread.core.sync.engine import AccountReport

_T = TypeVar("_T")


class ContextError(Exception):
    """The cache, the config or the user's glossary cannot be used: one line, fit to show."""


class RefreshFailed(ContextError):
    """A refresh could not run at all (each feed's own failure is in its report instead)."""


class Context:
    """The cache, the config and the glossary of one ketaread run, each opened on first use.

    The command line makes one per command; the reader makes one for its whole life and
    hands it to the screen. The glossary and the config may be asked for from any thread;
    the store's connection belongs to the thread that reads with it (refreshes open their
    own, see `refresh`).
    """

    def __init__(
        self,
        *,
        db: str | Path | None = None,
        config: str | Path | None = None,
        offline: bool = False,
    ) -> None:
        self.database = database_path(db)
        self.config_file = config_path(config)
        self.offline = offline
        self._store: Store | None = None
        self._config: Config | None = None
        self._glossary: Glossary | None = None
        self._study: StudyStore | None = None
        self.study_file = study_path(self.database)
        """Highlights, notes, terms and cards: a file of their own beside the cache."""
        self._lock = threading.Lock()
        self.glossary_warning: str | None = None
        """Why the user's glossary was not loaded, when the curated one stood in for it."""
        self.last_retention: RetentionResult | None = None
        """What the retention rules removed after the last refresh."""

    # -- the cache --------------------------------------------------------------

    @property
    def store(self) -> Store:
        """The cache, opened on first use; `ContextError` when it cannot be used."""
        if self._store is None:
            try:
                self._store = Store(self.database)
            except StoreError as error:
                raise ContextError(str(error)) from error
        return self._store

    @property
    def store_if_open(self) -> Store | None:
        """The cache if it has been opened, without opening it."""
        return self._store

    # -- the study file -----------------------------------------------------------

    @property
    def study(self) -> StudyStore:
        """The study file, created on first use; `ContextError` when it cannot be used."""
        if self._study is None:
            from ketaread.core.study import StudyError, StudyStore

            try:
                self._study = StudyStore(self.study_file)
            except StudyError as error:
                raise ContextError(str(error)) from error
        return self._study

    def study_if_exists_quietly(self) -> StudyStore | None:
        """The study file if the reader has one and it can be used, else None (for reading
        screens: writing through `study` reports why it cannot be used)."""
        try:
            return self.study_if_exists()
        except ContextError:
            return None

    def study_if_exists(self) -> StudyStore | None:
        """The study file if the reader has one (read-only commands never create it)."""
        if self._study is None and not self.study_file.exists():
            return None
        return self.study

    # -- the config -------------------------------------------------------------

    @property
    def config(self) -> Config:
        """The config file (or the sample-feeds stand-in), read on first use."""
        if self._config is None:
            try:
                self._config = load_config(self.config_file)
            except ConfigError as error:
                raise ContextError(str(error)) from error
        return self._config

    def reload_config(self) -> Config:
        """Read the config file again (it may have been edited since)."""
        self._config = None
        return self.config

    def specs(self) -> list[SourceSpec]:
        """The configured sources as the refresher wants them."""
        from ketaread.core.refresh import SourceSpec

        return [
            SourceSpec(s.location, s.title, tuple(s.tags), full_text=s.full_text)
            for s in self.config.sources
        ]

    # -- retention ----------------------------------------------------------------

    def protected_keys(self) -> set[str]:
        """Keys of articles with highlights or notes in the study file (never removed)."""
        study = self.study_if_exists()
        if study is None:
            return set()
        keys = {highlight.article for highlight in study.highlights()}
        keys |= {str(note["article"]) for note in study.article_notes()}
        return keys

    def apply_retention(
        self, store: Store | None = None, *, dry_run: bool = False
    ) -> RetentionResult:
        """Remove articles past the configured keep_days/keep_items (or count them)."""
        config = self.config
        rules = {source.location: config.retention(source) for source in config.sources}
        default = config.retention(None)
        if not any(days or items for days, items in [default, *rules.values()]):
            return RetentionResult(articles=0, bytes=0)
        return (store or self.store).apply_retention(
            rules, default, self.protected_keys(), dry_run=dry_run
        )

    # -- the glossary -----------------------------------------------------------

    def glossary(self, *, strict: bool = False) -> Glossary:
        """The curated glossary with the user's own entries on top, loaded once.

        A user glossary that cannot be used raises `ContextError` when `strict` (the
        command line says so and stops); otherwise the curated glossary stands in and
        `glossary_warning` says why (the reader shows it and goes on).
        """
        with self._lock:
            if self._glossary is None:
                from ketaread.core.glossary import GlossaryError, load_glossary

                user_file = user_glossary_path(self.config_file)
                try:
                    self._glossary = load_glossary(user_file if user_file.exists() else None)
                except GlossaryError as error:
                    if strict:
                        raise ContextError(str(error)) from error
                    self.glossary_warning = f"Your glossary was not loaded: {error}"
                    self._glossary = load_glossary(None)
            return self._glossary

    @property
    def glossary_if_loaded(self) -> Glossary | None:
        """The glossary if it has been loaded, without loading it."""
        return self._glossary

    # -- refreshing -------------------------------------------------------------

    def refresh(
        self,
        *,
        report: Callable[[FeedReport], None] | None = None,
        account_report: Callable[[AccountReport], None] | None = None,
        stop: threading.Event | None = None,
        wait: float | None = None,
        on_wait: Callable[[], None] | None = None,
        own_connection: bool = True,
        specs: list[SourceSpec] | None = None,
        account_progress: Callable[[AccountReport], None] | None = None,
    ) -> RefreshSummary:
        """Update every configured source, then sync every server account, taking turns
        with other refreshes of this cache.

        With `own_connection` (for a refresh in a worker thread) it writes through a
        connection of its own, so readers of `store` never wait on it; otherwise through
        `store`. Anything that stops it from running at all raises `RefreshFailed` with one
        line; `RefreshStopped` passes through when `stop` was set. `specs`: just these
        sources (`refresh SOURCE`, `R` on a source) instead of every configured one.
        """
        from ketaread.core.refresh import refresh

        def work(store: Store) -> RefreshSummary:
            chosen = self.specs() if specs is None else specs
            summary = refresh(store, chosen, offline=self.offline, report=report, stop=stop)
            if specs is None:  # one source asked for: the server accounts wait their turn
                summary.accounts = self._sync(
                    store, self.config.servers, account_report, stop, account_progress
                )
            # Still under the refresh lock and on the refresh's own connection: the reader
            # keeps reading while old articles go.
            try:
                self.last_retention = self.apply_retention(store)
            except (ContextError, sqlite3.Error):
                # The study file could not say what is highlighted: remove nothing.
                self.last_retention = None
            return summary

        return self._locked(work, stop=stop, wait=wait, on_wait=on_wait, own=own_connection)

    def sync(
        self,
        accounts: list[ServerAccount] | None = None,
        *,
        report: Callable[[AccountReport], None] | None = None,
        stop: threading.Event | None = None,
        wait: float | None = None,
        on_wait: Callable[[], None] | None = None,
        own_connection: bool = True,
        progress: Callable[[AccountReport], None] | None = None,
    ) -> list[AccountReport]:
        """Sync server accounts alone (all configured ones by default), as `refresh` does;
        `progress` hears each account's counts so far while it syncs."""
        chosen = self.config.servers if accounts is None else accounts
        return self._locked(
            lambda store: self._sync(store, chosen, report, stop, progress),
            stop=stop,
            wait=wait,
            on_wait=on_wait,
            own=own_connection,
        )

    def _sync(
        self,
        store: Store,
        accounts: list[ServerAccount],
        report: Callable[[AccountReport], None] | None,
        stop: threading.Event | None,
        progress: Callable[[AccountReport], None] | None = None,
    ) -> list[AccountReport]:
        if not accounts:
            return []
        from ketaread.core.sync.engine import sync_accounts

        return sync_accounts(
            store, accounts, offline=self.offline, report=report, stop=stop, progress=progress
        )

    def _locked(
        self,
        work: Callable[[Store], _T],
        *,
        stop: threading.Event | None,
        wait: float | None,
        on_wait: Callable[[], None] | None,
        own: bool,
    ) -> _T:
        """Run `work` with the cache's refresh lock held; one error policy for every caller."""
        from ketaread.core.refresh import REFRESH_LOCK_WAIT, refresh_lock

        try:
            store = Store(self.database) if own else self.store
            try:
                with refresh_lock(
                    self.database,
                    wait=REFRESH_LOCK_WAIT if wait is None else wait,
                    on_wait=on_wait,
                    stop=stop,
                ):
                    return work(store)
            finally:
                if own:
                    store.close()
        except ContextError as error:
            raise RefreshFailed(str(error)) from error
        except (StoreError, TimeoutError, OSError, sqlite3.Error) as error:
            raise RefreshFailed(str(error)) from error

    def close(self) -> None:
        """Close the cache if it was opened (folding its write-ahead log into the file)."""
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._study is not None:
            self._study.close()
            self._study = None
