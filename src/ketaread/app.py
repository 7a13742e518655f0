"""KetareadApp: themes, global keys, link routing, background refresh."""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import unquote

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.theme import Theme
from textual.worker import get_current_worker

from ketaread.commands import ArticleCommands, FilterCommands, GlossaryCommands
from ketaread.core.clean import openable_url
from ketaread.core.store import Store, StoreError
from ketaread.locations import (
    check_regular,
    read_regular_file,
    settings_path,
    user_glossary_path,
)
from ketaread.worker_errors import ReportsWorkerErrors

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ketaread.core.glossary import Glossary, TermHit
    from ketaread.core.pending import Change, PendingChanges
    from ketaread.core.refresh import FeedReport
    from ketaread.screens.main import MainScreen

KETAREAD_DARK = Theme(
    name="ketaread-dark",
    primary="#5fafd7",
    secondary="#87afaf",
    accent="#ffaf5f",
    warning="#ffd75f",
    error="#ff5f5f",
    success="#87d787",
    background="#14181c",
    surface="#1b2127",
    panel="#232b33",
    dark=True,
)
KETAREAD_LIGHT = Theme(
    name="ketaread-light",
    primary="#005f87",
    secondary="#5f8787",
    accent="#af5f00",
    warning="#875f00",
    error="#af0000",
    success="#005f00",
    background="#fafaf7",
    surface="#f0f0ea",
    panel="#e4e4dc",
    dark=False,
)
THEME_CYCLE = ("ketaread-dark", "ketaread-light", "ansi-dark", "ansi-light")


class KetareadApp(ReportsWorkerErrors, App[None]):
    """The ketaread reader."""

    TITLE = "ketaread"
    CSS_PATH = "ketaread.tcss"
    COMMANDS: ClassVar = App.COMMANDS | {ArticleCommands, FilterCommands, GlossaryCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", tooltip="Leave ketaread"),
        Binding("question_mark", "help", "Help", key_display="?", tooltip="Every key"),
        Binding("R", "refresh_sources", "Refresh", tooltip="Update every source in the background"),
        Binding("T", "next_theme", "Theme", show=False),
    ]

    def __init__(
        self,
        *,
        database: Path,
        config_file: Path,
        offline: bool = False,
        refresh_on_start: bool | None = None,
    ) -> None:
        super().__init__()
        self.database = database
        self.config_file = config_file
        self.offline = offline
        self.refresh_on_start = (not offline) if refresh_on_start is None else refresh_on_start
        self.store: Store | None = None
        self.pending: PendingChanges | None = None
        """Read/star changes waiting for another program's write lock."""
        self._store_error: str | None = None
        self.glossary: Glossary | None = None
        self._glossary_lock = threading.Lock()
        self.mark_terms = "first"
        self.refresh_message: str | None = None
        self.refreshing = False
        self.register_theme(KETAREAD_DARK)
        self.register_theme(KETAREAD_LIGHT)
        saved = self._saved_theme()
        if saved is None and self.console.color_system in ("standard", "windows"):
            saved = "ansi-dark"  # a 16-colour terminal: use its own palette
        self._set_first_theme(saved or "ketaread-dark")

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

    # -- start-up ---------------------------------------------------------------

    def _saved_theme(self) -> str | None:
        try:
            # A FIFO or a device there is not waited on; nor is a huge file read.
            raw = read_regular_file(settings_path(self.config_file), 64 * 1024)
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

        return MainScreen()

    def on_load(self) -> None:
        """Open the cache before any screen mounts, so the first frame can list articles."""
        try:
            self.store = Store(self.database)
        except StoreError as error:
            self._store_error = str(error)
        else:
            from ketaread.core.pending import PendingChanges

            self.pending = PendingChanges(self.store, self._change_landed, self._change_stuck)

    def _change_landed(self, article_id: int, change: Change) -> None:
        """A read/star change queued while the cache was busy has landed (pending thread)."""
        screen, store = self.main_screen, self.store
        if change is None or screen is None or store is None:
            return
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
            if self.store is not None:
                self.store.close()

    def on_mount(self) -> None:
        """Report the cache's state, then work in the background after the first frame."""
        self.call_after_refresh(self._resume_collection)
        if self._store_error:
            self.notify(
                self._store_error,
                title="Cache unavailable",
                severity="error",
                timeout=30,
                markup=False,
            )
            return
        if self.store is not None and self.store.notice:
            self.notify(self.store.notice, severity="warning", timeout=20, markup=False)
        self.call_after_refresh(self._after_first_frame)

    @staticmethod
    def _resume_collection() -> None:
        """Turn the cyclic collector back on once the first frame is out, when the launcher
        paused it for start-up (see __main__). What start-up built lives as long as the app:
        frozen, later collections skip it, so none of them stalls reading for long."""
        if not gc.isenabled():
            gc.freeze()
            gc.enable()

    def _after_first_frame(self) -> None:
        self._load_config_settings()
        self.load_glossary()
        if self.refresh_on_start:
            self.action_refresh_sources()

    def _load_config_settings(self) -> None:
        from ketaread.config import ConfigError, load_config

        # A broken config is reported when a refresh reads it.
        with contextlib.suppress(ConfigError):
            self.mark_terms = load_config(self.config_file).mark_terms

    @property
    def main_screen(self) -> MainScreen | None:
        """The reading screen, wherever it sits in the screen stack."""
        from ketaread.screens.main import MainScreen

        return next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)

    # -- glossary ---------------------------------------------------------------

    def ensure_glossary(self) -> Glossary:
        """The glossary, loaded on first use (call from a worker thread)."""
        with self._glossary_lock:
            if self.glossary is None:
                from ketaread.core.glossary import GlossaryError, load_glossary

                user_file = user_glossary_path(self.config_file)
                try:
                    self.glossary = load_glossary(user_file if user_file.exists() else None)
                except GlossaryError as error:
                    self.call_from_thread(
                        self.notify,
                        f"Your glossary was not loaded: {error}",
                        severity="error",
                        markup=False,
                    )
                    self.glossary = load_glossary(None)
            return self.glossary

    @work(thread=True, group="glossary", exit_on_error=False)
    def load_glossary(self) -> None:
        """Load the glossary in the background after the first frame."""
        self.ensure_glossary()

    def show_glossary(self, term: str | None, everything: bool) -> None:
        """Open the glossary popup: this article's terms, or every term."""
        self._open_glossary(term, everything)

    @work(thread=True, exclusive=True, group="glossary-open", exit_on_error=False)
    def _open_glossary(self, term: str | None, everything: bool) -> None:
        glossary = self.ensure_glossary()
        screen = self.main_screen
        hits = None
        article_id = None
        title = "Glossary: every term"
        if screen is not None and screen.rendering is not None and screen.detail is not None:
            article_id = screen.detail.row.id
            if not everything:
                hits = screen.rendering.terms(glossary)
                title = "Glossary: terms in this article"
        elif not everything:
            title = "Glossary: every term (no article open)"
        self.call_from_thread(self._push_glossary, glossary, hits, article_id, term, title)

    def _push_glossary(
        self,
        glossary: Glossary,
        hits: list[TermHit] | None,
        article_id: int | None,
        term: str | None,
        title: str,
    ) -> None:
        from ketaread.screens.glossary import GlossaryModal

        if isinstance(self.screen, GlossaryModal):
            # Already open (a second g, or a term link followed from inside): go to the term.
            if term:
                self.screen.select_term(term)
            return

        def chosen(result: tuple[str, int] | None) -> None:
            if result and result[0] == "article":
                self.open_article_by_id(result[1])

        self.push_screen(
            GlossaryModal(
                glossary,
                hits=hits,
                store=self.store,
                article_id=article_id,
                initial=term,
                title=title,
            ),
            chosen,
        )

    # -- links ------------------------------------------------------------------

    def route_link(self, href: str) -> None:
        """Every link the reader follows comes here: app links, cached articles, the web."""
        screen = self.main_screen
        if href.startswith("ketaread://"):
            kind, _, value = href[len("ketaread://") :].partition("/")
            value = unquote(value)
            if kind == "term":
                self.show_glossary(value, False)
            elif kind == "cite" and value.isdigit() and screen is not None:
                screen.show_reference_for_citation(int(value))
            elif kind == "ref" and value.isdigit() and screen is not None:
                screen.show_reference(int(value))
            elif kind == "link" and value.isdigit() and screen is not None:
                targets = screen.link_targets
                if int(value) < len(targets):
                    self.route_link(targets[int(value)])  # the URL exactly as the article gave it
                return
            elif kind == "article" and self.store is not None:
                try:
                    self.open_article_by_id(self.store.resolve(value))
                except StoreError:
                    self.notify("That article is not in the cache.", severity="warning")
            return
        if href.startswith("#"):
            if screen is not None and not screen.article_view.markdown.goto_anchor(href[1:]):
                self.notify("That note is not in this article.", severity="warning")
            return
        if self.store is not None:
            article_id = self.store.find_by_link(href)
            if article_id is not None:
                self.open_article_by_id(article_id)
                return
        self.open_external(href)

    def open_external(self, url: str) -> None:
        """Open an http(s) link in the browser; refuse anything else, saying why."""
        ok, reason = openable_url(url)
        if not ok:
            self.notify(f"Not opened: {reason}.", severity="error", markup=False)
            return
        self.open_url(url)
        self.notify(f"Opening {url}", markup=False)

    def copy_url(self, url: str) -> None:
        """Copy a validated http(s) URL with OSC 52."""
        ok, reason = openable_url(url)
        if not ok:
            self.notify(f"Not copied: {reason}.", severity="error", markup=False)
            return
        self.copy_to_clipboard(url)
        self.notify(f"Copied {url}", title="Clipboard", markup=False)

    def open_article_by_id(self, article_id: int) -> None:
        """Open a cached article, moving the list cursor to it when it is listed."""
        screen = self.main_screen
        if screen is None:
            return
        if self.screen is not screen:
            self.pop_screen()
        screen.article_list.move_to(article_id)
        screen.open_article(article_id)

    # -- filters (for the palette) ------------------------------------------------

    def filter_entries(self) -> list[tuple[str, str]]:
        """(option id, label) of every sidebar entry: All, Unread, Starred, sources and tags."""
        screen = self.main_screen
        data = screen.sidebar_data if screen else None
        entries = [("all", "Show: All"), ("unread", "Show: Unread"), ("starred", "Show: Starred")]
        if data is not None:
            entries += [(f"feed:{f.id}", f"Source: {f.title or f.location}") for f in data.feeds]
            entries += [(f"tag:{t.id}", f"Tag: {t.name}") for t in data.tags]
        return entries

    def choose_filter(self, option_id: str) -> None:
        """Apply a sidebar entry by id."""
        screen = self.main_screen
        if screen is not None:
            screen.sidebar.choose(option_id)

    # -- refresh ----------------------------------------------------------------

    def action_refresh_sources(self) -> None:
        """Refresh every source in a background worker, with progress in the status line."""
        if self.refreshing:
            self.notify("A refresh is already running.")
            return
        self.refreshing = True
        self._refresh()

    @work(thread=True, exclusive=True, group="refresh", exit_on_error=False)
    def _refresh(self) -> None:
        import sqlite3

        from ketaread.config import ConfigError, load_config
        from ketaread.core.refresh import RefreshStopped, SourceSpec, refresh, refresh_lock

        # Set when the reader quits (Textual cancels every worker): the refresh stops rather
        # than hold up the exit for as long as a slow server takes; it keeps what it stored.
        stop = get_current_worker().cancelled_event
        line, failed = "Refresh failed", True
        try:
            config = load_config(self.config_file)
            specs = [SourceSpec(s.location, s.title, tuple(s.tags)) for s in config.sources]
            done = 0

            def report(feed_report: FeedReport) -> None:
                nonlocal done
                done += 1
                if not stop.is_set():
                    self.call_from_thread(self._refresh_progress, feed_report, done)

            # Its own connection: the reading screen's queries never wait on this thread.
            store = Store(self.database)
            try:
                with refresh_lock(self.database, wait=600, stop=stop):
                    summary = refresh(store, specs, offline=self.offline, report=report, stop=stop)
            finally:
                store.close()
            line, failed = summary.line(), summary.all_failed
        except RefreshStopped:
            pass  # the reader is quitting
        except (ConfigError, StoreError, TimeoutError, OSError, sqlite3.Error) as error:
            line = f"Refresh failed: {error}"
        finally:
            # Whatever happened, R works again (an unexpected error is also reported by
            # the worker-error handler); unless the reader is quitting.
            if not stop.is_set():
                self.call_from_thread(self._refresh_done, line, failed)

    def _refresh_progress(self, feed_report: FeedReport, done: int) -> None:
        self.refresh_message = f"Refreshing… {done} checked: {feed_report.line()}"
        screen = self.main_screen
        if screen is not None:
            screen._update_status()
        if feed_report.failed:
            self.notify(
                feed_report.line(),
                title="Source failed",
                severity="warning",
                timeout=8,
                markup=False,
            )

    def _refresh_done(self, line: str, failed: bool) -> None:
        self.refreshing = False
        stamp = time.strftime("%H:%M")
        self.refresh_message = f"{line} (at {stamp})"
        screen = self.main_screen
        if screen is not None:
            screen.load_sidebar()
            screen.load_articles(screen.requested_filter)
        if failed:
            self.notify(line, severity="error", markup=False)

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
        path = settings_path(self.config_file)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            check_regular(path)  # opening a FIFO to write would wait for a reader
            path.write_text(f'theme = "{theme}"\n', encoding="utf-8")
        except OSError:
            pass  # not being able to save a theme is not worth an error

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The app's verbs in the command palette, next to Textual's own."""
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Refresh sources", "Update every source in the background", self.action_refresh_sources
        )
        yield SystemCommand("Help: keys", "Every key ketaread knows", self.action_help)
        yield SystemCommand(
            "Glossary: every term",
            "Browse the whole glossary",
            lambda: self.show_glossary(None, True),
        )
        main = self.main_screen
        if main is not None:
            yield SystemCommand(
                "Glossary: this article", "Terms in the open article", main.action_glossary
            )
            yield SystemCommand(
                "Toggle reference panel",
                "Show or hide references and links",
                main.action_toggle_references,
            )
            yield SystemCommand(
                "Toggle tag sidebar", "Show or hide tags and sources", main.action_toggle_sidebar
            )
            yield SystemCommand(
                "Next unread article", "Open the next unread article", main.action_next_unread
            )
            yield SystemCommand(
                "Toggle read", "Mark the article read or unread", main.action_toggle_read
            )
            yield SystemCommand(
                "Toggle star", "Star or unstar the article", main.action_toggle_star
            )
            yield SystemCommand("Focus mode", "The article alone", main.action_focus_mode)
            yield SystemCommand(
                "Open article link", "Open the article's web page", main.action_open_link
            )
            yield SystemCommand(
                "Copy article link", "Copy the article's URL (OSC 52)", main.action_copy_link
            )
        yield SystemCommand("Next theme", "Cycle the colour themes", self.action_next_theme)
