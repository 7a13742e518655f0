"""KetareadApp: the stylesheet, themes, app-wide keys and the background refresh.

The reading screen owns everything about articles (links, filters, the glossary popup);
the app tells it about refreshes through two signals it subscribes to.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import time
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import Notify
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import get_current_worker

from ketaread.context import Context, ContextError
from ketaread.locations import read_regular_file, settings_path
from ketaread.themes import DEFAULT_THEME, SIXTEEN_COLOUR_THEME, THEME_CYCLE, THEMES
from ketaread.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ketaread.core.glossary import Glossary
    from ketaread.core.pending import Change, PendingChanges
    from ketaread.core.refresh import FeedReport
    from ketaread.core.store import Store
    from ketaread.core.sync.engine import AccountReport
    from ketaread.screens.main import MainScreen


class KetareadApp(ReportsWorkerErrors, App[None]):
    """The ketaread reader."""

    TITLE = "ketaread"
    CSS_PATH = "ketaread.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", tooltip="Quit ketaread"),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="Every key"),
        Binding(
            "R",
            "refresh_sources",
            "Refresh",
            tooltip="Update every source and sync server accounts in the background",
        ),
        Binding("T", "next_theme", "Theme", show=False, tooltip="Next theme (saved for next time)"),
    ]

    def __init__(
        self, context: Context, *, refresh_on_start: bool | None = None, review: bool = False
    ) -> None:
        super().__init__()
        self.context = context
        self.start_on_review = review
        """Open on the review screen (`ketaread review`); escape leads to the reader."""
        if review and refresh_on_start is None:
            refresh_on_start = False  # reviewing needs no feeds
        self.refresh_on_start = (
            (not context.offline) if refresh_on_start is None else refresh_on_start
        )
        self._store_error: str | None = None
        self._signal: int | None = None
        """The signal the reader is quitting on (SIGTERM, SIGHUP, SIGINT), if any."""
        self.pending: PendingChanges | None = None
        """Read/star changes waiting for another program's write lock."""
        self.refresh_message: str | None = None
        """The last refresh's progress or result, for the status line."""
        self.refreshing = False
        self.refresh_progressed: Signal[FeedReport] = Signal(self, "refresh-progressed")
        """Published on the UI thread after each feed of a refresh."""
        self.sync_progressed: Signal[AccountReport] = Signal(self, "sync-progressed")
        """Published on the UI thread after each server account of a refresh is synced."""
        self.refresh_finished: Signal[bool] = Signal(self, "refresh-finished")
        """Published on the UI thread when a refresh ends (True when everything failed)."""
        for theme in THEMES:
            self.register_theme(theme)
        saved = self._saved_theme()
        if saved is None and self.console.color_system in ("standard", "windows"):
            saved = SIXTEEN_COLOUR_THEME  # a 16-colour terminal: use its own palette
        self._set_first_theme(saved or DEFAULT_THEME)

    def _set_first_theme(self, name: str) -> None:
        """Start in theme `name` without App's theme watcher, which would parse the whole
        stylesheet a second time once the app runs (about 10 ms of the first frame): nothing
        has been parsed or styled yet, so the variables and the classes are all it needs."""
        self.set_reactive(App.theme, name)
        theme = self.current_theme
        self.stylesheet.set_variables(self.get_css_variables())
        self.set_class(True, f"-theme-{name}", update=False)
        self.set_class(theme.dark, "-dark-mode", update=False)
        self.set_class(not theme.dark, "-light-mode", update=False)
        self._refresh_truecolor_filter(self.ansi_theme)

    # -- what the screens share -------------------------------------------------

    @property
    def store(self) -> Store | None:
        """The cache, or None when it could not be opened (the reason was shown)."""
        return self.context.store_if_open

    @property
    def glossary(self) -> Glossary | None:
        """The glossary once it has loaded (it loads after the first frame)."""
        return self.context.glossary_if_loaded

    @property
    def main_screen(self) -> MainScreen | None:
        """The reading screen, wherever it sits in the screen stack."""
        from ketaread.screens.main import MainScreen

        return next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)

    # -- start-up ---------------------------------------------------------------

    def _saved_theme(self) -> str | None:
        try:
            # A FIFO or a device there is not waited on; nor is a huge file read.
            raw = read_regular_file(settings_path(self.context.config_file), 64 * 1024)
            if raw is None:
                return None  # none chosen yet
            text = raw.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        import tomllib  # only when there is a choice to read: not before every first frame

        try:
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, RecursionError):
            return None
        theme = data.get("theme")
        return theme if isinstance(theme, str) and theme in self.available_themes else None

    def get_default_screen(self) -> Screen:
        """The reading screen, opened straight from the cache."""
        from ketaread.screens.main import MainScreen

        return MainScreen(self.context)

    def on_load(self) -> None:
        """Open the cache before any screen mounts, so the first frame can list articles."""
        try:
            store = self.context.store  # opened now, on this thread, for the first frame
        except ContextError as error:
            self._store_error = str(error)
        else:
            from ketaread.core.pending import PendingChanges

            self.pending = PendingChanges(store, self._change_landed, self._change_stuck)
            self.pending.own_writer = lambda: self.refreshing

    def _change_landed(self, article_id: int, change: Change) -> None:
        """A read/star change queued while the cache was busy has landed (pending thread)."""
        screen, store = self.main_screen, self.store
        if change is None or change[0] == change[1] or screen is None or store is None:
            return  # gone, or an open's mark read of an article read already
        tag_ids = store.article_tag_ids(article_id)
        with contextlib.suppress(RuntimeError):  # the app has closed meanwhile
            self.call_from_thread(screen._state_changed, *change, tag_ids)

    def _change_stuck(self, message: str) -> None:
        """Tell the user their changes are still waiting (pending thread)."""
        with contextlib.suppress(RuntimeError):
            self.call_from_thread(
                self.notify, message, severity="warning", timeout=20, markup=False
            )

    def run(self, *args: Any, **kwargs: Any) -> None:
        """Run the reader, then close the cache. By then every worker thread has finished
        (the event loop waits for them), so no write is cut off. Closing its last
        connection folds the write-ahead log into the database: the next start has no log
        to replay (about 1 ms per MB; a session leaves up to 4 MB)."""
        try:
            return super().run(*args, **kwargs)
        finally:
            workers = sys.modules.get("ketaread.core.parse_workers")
            if workers is not None:
                workers.kill_all()  # a refresh cut short must not leave parse workers behind
            unsaved = self.pending.close(wait=3.0) if self.pending is not None else 0
            if unsaved:
                print(
                    f"ketaread: {unsaved} read/star change(s) were not saved: another program "
                    "held the cache's write lock until the reader closed",
                    file=sys.stderr,
                )
            self.context.close()

    def on_mount(self) -> None:
        """Report the cache's state, then refresh in the background after the first frame."""
        self.call_after_refresh(self._resume_collection)
        if not self.is_headless:
            self._handle_signals()
        if self.start_on_review:
            from ketaread.screens.study import ReviewScreen

            def reviewed(_result: None) -> None:
                if (screen := self.main_screen) is not None:
                    screen._count_due()  # the reader's due count, after the answers

            self.push_screen(ReviewScreen(), reviewed)
        if self._store_error:
            self.notify(
                self._store_error,
                title="Cache unavailable",
                severity="error",
                timeout=30,
                markup=False,
            )
            return
        store = self.store
        if store is not None and store.notice:
            self.notify(store.notice, severity="warning", timeout=20, markup=False)
        if self.refresh_on_start:
            self.call_after_refresh(self.action_refresh_sources)

    def _handle_signals(self) -> None:
        """SIGTERM, SIGHUP (the terminal closed) and SIGINT (`kill -INT`: in raw mode Ctrl-C
        is a key) quit as `q` does: the refresh stops, its parse workers are killed, the
        reading position and queued changes are saved and the terminal is put back. Without
        this, the default action killed the reader on the spot."""
        import asyncio
        import signal

        loop = asyncio.get_running_loop()
        for name in ("SIGTERM", "SIGHUP", "SIGINT"):
            signum = getattr(signal, name, None)
            if signum is not None:
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(signum, self._signalled, int(signum))

    def _signalled(self, signum: int) -> None:
        """Quit on a signal; a second one does not wait for the refresh to stop."""
        first = self._signal is None
        self._signal = signum
        workers = sys.modules.get("ketaread.core.parse_workers")
        if not first and workers is not None:
            workers.kill_all()
        self.exit(return_code=128 + signum)

    @staticmethod
    def _resume_collection() -> None:
        """Turn the cyclic collector back on once the first frame is out, when the launcher
        paused it for start-up (see __main__). What start-up built lives as long as the app:
        frozen, later collections skip it, so none of them stalls reading for long."""
        if not gc.isenabled():
            gc.freeze()
            gc.enable()

    # -- refresh ----------------------------------------------------------------

    def action_refresh_sources(self) -> None:
        """Refresh every source in a background worker, with progress in the status line."""
        self.refresh_sources(None)

    def refresh_sources(self, source: str | None) -> None:
        """Refresh every source, or only the configured source at location `source`."""
        if self.refreshing:
            self.notify("A refresh is already running.")
            return
        self.refreshing = True
        self._refresh(source)

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def _refresh(self, source: str | None = None) -> None:
        from ketaread.context import RefreshFailed
        from ketaread.core.refresh import RefreshStopped

        # Set when the reader quits (Textual cancels every worker): the refresh stops rather
        # than hold up the exit for as long as a slow server takes; it keeps what it stored.
        stop = get_current_worker().cancelled_event
        line, failed = "Refresh failed", True
        done = 0

        def report(feed_report: FeedReport) -> None:
            nonlocal done
            done += 1
            if not stop.is_set():
                self.call_from_thread(self._refresh_progress, feed_report, done)

        def account_report(outcome: AccountReport) -> None:
            if not stop.is_set():
                self.call_from_thread(self._sync_progress, outcome)

        try:
            self.context.reload_config()
            account = next(
                (a for a in self.context.config.servers if source and a.source == source), None
            )
            if account is not None:
                # R on a server account's feed: sync that account. As a source, its
                # "server:NAME" was read as a file ("no such file or folder") and cached as
                # a failing feed.
                from ketaread.core.refresh import RefreshSummary

                reports = self.context.sync([account], report=account_report, stop=stop, wait=600)
                summary = RefreshSummary([], accounts=reports)
                line, failed = summary.line(), summary.all_failed
                return
            specs = None
            if source is not None:
                specs = [spec for spec in self.context.specs() if spec.location == source]
                if not specs:
                    from ketaread.core.refresh import SourceSpec

                    specs = [SourceSpec(source)]  # cached, no longer in the config
            summary = self.context.refresh(
                report=report, account_report=account_report, stop=stop, wait=600, specs=specs
            )
            line, failed = summary.line(), summary.all_failed
            retention = self.context.last_retention
            if retention is not None and retention.articles:
                line += f"; {retention.articles} old articles removed"
        except RefreshStopped:
            pass  # the reader is quitting
        except (RefreshFailed, ContextError) as error:
            line = f"Refresh failed: {error}"
        finally:
            # Whatever happened, R works again (an unexpected error is also reported by
            # the worker-error handler); unless the reader is quitting.
            if not stop.is_set():
                self.call_from_thread(self._refresh_done, line, failed)

    def _refresh_progress(self, feed_report: FeedReport, done: int) -> None:
        self.refresh_message = f"Refreshing… {done} checked: {feed_report.line()}"
        self.refresh_progressed.publish(feed_report)
        if feed_report.failed:
            self.notify(
                feed_report.line(),
                title="Source failed",
                severity="warning",
                timeout=8,
                markup=False,
            )

    def _sync_progress(self, outcome: AccountReport) -> None:
        """One server account synced (or not): its line in the status, a toast if it failed."""
        self.refresh_message = f"Synced: {outcome.line()}"
        self.sync_progressed.publish(outcome)
        if outcome.failed:
            self.notify(
                outcome.line(), title="Server failed", severity="warning", timeout=8, markup=False
            )

    def _refresh_done(self, line: str, failed: bool) -> None:
        self.refreshing = False
        self.refresh_message = f"{line} (at {time.strftime('%H:%M')})"
        self.refresh_finished.publish(failed)
        if failed:
            self.notify(line, severity="error", markup=False)

    def _on_notify(self, event: Notify) -> None:
        """A notice replaces the ones before it instead of stacking (a refresh with 23
        failing sources stacked 23 toasts over the article); an error stays beside the
        notices that follow it until it times out or the next error replaces it."""
        error = event.notification.severity == "error"
        for shown in list(self._notifications):
            if (shown.severity == "error") == error:
                self._unnotify(shown, refresh=False)
        super()._on_notify(event)

    # -- misc -------------------------------------------------------------------

    def action_help(self) -> None:
        """Show every key."""
        from ketaread.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_next_theme(self) -> None:
        """Cycle dark, light and the terminal's own 16-colour themes; remember the choice."""
        names = list(THEME_CYCLE)
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.notify(f"Theme: {self.theme}", markup=False)

    def watch_theme(self, theme: str) -> None:
        """Persist the chosen theme beside the config file."""
        if not self.is_running:
            return
        from ketaread.settings import save_setting

        # Beside the other remembered settings (sort order, hide read), which it keeps.
        save_setting(settings_path(self.context.config_file), "theme", theme)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's own commands, then every key of the app and the screen, from their
        bindings: the palette can do whatever a key does."""
        from ketaread.screens.keys import palette_commands

        yield from super().get_system_commands(screen)
        yield from palette_commands(self, screen)
