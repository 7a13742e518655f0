"""UI fixtures: caches built once per session from the sample and hostile feeds, copied per test.

Every app runs offline against its own copy of a cache, with its config (and settings.toml)
in the per-test config directory that tests/conftest.py sets up.
"""

from __future__ import annotations

import functools
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from big_cache import write_feeds
from ui_support import Settle, screen_text, settle_pilot

from ketaread.app import KetareadApp
from ketaread.cli import make_app
from ketaread.core.refresh import SourceSpec, refresh
from ketaread.core.render import rendering_for
from ketaread.core.store import Store
from ketaread.locations import sample_feeds_dir
from ketaread.widgets import article_list

FIXED_MTIME = 1767268800.0
"""2026-01-01 12:00 UTC: the date plain-text and Markdown sample articles take from their file."""
FIXED_NOW = 1780000000.0
"""2026-05-28 UTC: 'now' for the list's dates in snapshots, so they read the same every year."""
HOSTILE = Path(__file__).parent.parent / "fixtures" / "hostile"
UI_FIXTURES = Path(__file__).parent / "fixtures"


def _build_cache(database: Path, locations: list[Path], rendered: bool = False) -> Path:
    """Refresh local sources into a new cache and close it, ready to be copied.

    With `rendered`, every article's rendering is cached too, as after a first reading:
    the many tests that open sample articles skip the conversion (core's tests cover it,
    and the hostile cache, not rendered, takes the first-time path in the app).
    """
    store = Store(database)
    try:
        summary = refresh(store, [SourceSpec(str(location)) for location in locations])
        if rendered:
            for article_id in store.article_ids():
                rendering_for(store, store.article(article_id))
    finally:
        store.close()
    assert not summary.all_failed, summary.line()
    return database


def _copy_cache(template: Path, target: Path) -> Path:
    """Copy a closed cache (and any SQLite side files) to `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(template) + suffix)
        if source.exists():
            shutil.copyfile(source, Path(str(target) + suffix))
    return target


@pytest.fixture(autouse=True)
def truecolor_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A truecolour terminal with colour allowed, whatever the shell running the tests says.

    The app picks an ansi theme on 16-colour terminals (TERM=xterm): tests that want
    that say so.
    """
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture(scope="session")
def sample_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample feeds whose undated articles carry a fixed file date."""
    folder = tmp_path_factory.mktemp("sample") / "sample_feeds"
    shutil.copytree(sample_feeds_dir(), folder)
    for path in (folder / "articles").iterdir():
        os.utime(path, (FIXED_MTIME, FIXED_MTIME))
    return folder


@pytest.fixture(scope="session")
def sample_template(sample_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample feeds refreshed into a cache once per session."""
    return _build_cache(
        tmp_path_factory.mktemp("sample-cache") / "cache.db", [sample_copy], rendered=True
    )


@pytest.fixture(scope="session")
def hostile_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile markup and escape-sequence feeds, and markup where the glossary popup and
    the reference panel show feed text, refreshed into a cache once per session."""
    return _build_cache(
        tmp_path_factory.mktemp("hostile-cache") / "cache.db",
        [
            HOSTILE / "markup-titles.xml",
            HOSTILE / "escape-sequences.xml",
            UI_FIXTURES / "markup-glossary.xml",
        ],
    )


@pytest.fixture(scope="session")
def big_feeds(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Four RSS files of 80 articles each with long titles (see big_cache)."""
    return write_feeds(tmp_path_factory.mktemp("big-feeds"))


@pytest.fixture(scope="session")
def big_template(big_feeds: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 320 articles of `big_feeds` refreshed into a cache once per session."""
    return _build_cache(tmp_path_factory.mktemp("big-cache") / "cache.db", big_feeds)


@pytest.fixture
def big_db(big_template: Path, tmp_db: Path) -> Path:
    """This test's own copy of the 320-article cache."""
    return _copy_cache(big_template, tmp_db)


@pytest.fixture
def big_app(big_db: Path, tmp_config: Path) -> KetareadApp:
    """The reader on the 320-article cache, offline."""
    return _quick(make_app(db=big_db, config=tmp_config, offline=True))


@pytest.fixture
def sample_db(sample_template: Path, tmp_db: Path) -> Path:
    """This test's own copy of the sample cache (tests mark articles read and starred)."""
    return _copy_cache(sample_template, tmp_db)


@pytest.fixture
def hostile_db(hostile_template: Path, tmp_db: Path) -> Path:
    """This test's own copy of the hostile cache."""
    return _copy_cache(hostile_template, tmp_db)


def _quick(app: KetareadApp) -> KetareadApp:
    """No scrolling animations (as TEXTUAL_ANIMATIONS=none): a page key lands at once."""
    app.animation_level = "none"
    return app


@pytest.fixture
def app(sample_db: Path, tmp_config: Path) -> KetareadApp:
    """The reader on the sample cache, offline, with no config file (the sample feeds stand in)."""
    return _quick(make_app(db=sample_db, config=tmp_config, offline=True))


@pytest.fixture
def hostile_app(hostile_db: Path, tmp_config: Path) -> KetareadApp:
    """The reader on the hostile cache, offline."""
    return _quick(make_app(db=hostile_db, config=tmp_config, offline=True))


@pytest.fixture
def opened_urls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record what the app would hand to the browser (no browser can open here).

    Patched on the class so that it applies to whichever app a test builds.
    """
    opened: list[str] = []
    # A browser the user named: links are handed over rather than refused for want of one.
    monkeypatch.setenv("BROWSER", "firefox")

    def record(self: KetareadApp, url: str, *, new_tab: bool = True) -> None:
        opened.append(url)

    monkeypatch.setattr(KetareadApp, "open_url", record)
    return opened


@pytest.fixture
def settle() -> Settle:
    """`await settle(pilot)` after an action: its workers have finished and the screen redrawn."""
    return settle_pilot


@pytest.fixture
def text_of() -> Callable[[KetareadApp], str]:
    """`text_of(app)`: the plain text on screen."""
    return screen_text


@pytest.fixture
def stable_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """UTC and a fixed 'now' for the list's dates, so snapshots do not change with the year."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(
        article_list, "format_date", functools.partial(article_list.format_date, now=FIXED_NOW)
    )
    yield
    monkeypatch.undo()
    time.tzset()
