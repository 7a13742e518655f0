"""Start-up and quitting: what the launcher pauses comes back after the first frame, the first
frame is styled in full, and quitting leaves the cache whole."""

from __future__ import annotations

import gc
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.screen import Screen
from ui_support import Settle, settle_pilot

from ketaread.app import KetareadApp
from ketaread.cli import make_app
from ketaread.widgets.article_list import ArticleList

SIZE = (120, 40)


@pytest.fixture
def collector_paused() -> Iterator[None]:
    """The cyclic collector off, as `ketaread` (the entry point) leaves it for start-up."""
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.enable()


@pytest.mark.usefixtures("collector_paused")
async def test_the_collector_paused_for_start_up_runs_again_after_the_first_frame(
    app: KetareadApp, settle: Settle
) -> None:
    assert not gc.isenabled()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert gc.isenabled()
        # What start-up built is kept out of later collections.
        assert gc.get_freeze_count() > 0


@pytest.mark.usefixtures("collector_paused")
async def test_the_collector_runs_again_when_the_cache_cannot_be_used(
    tmp_path: Path, tmp_config: Path, settle: Settle
) -> None:
    database = tmp_path / "newer.db"
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA user_version = 999")  # written by a newer ketaread
    app = make_app(db=database, config=tmp_config, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.store is None
        assert gc.isenabled()


async def test_an_app_started_with_the_collector_on_leaves_it_alone(
    app: KetareadApp, settle: Settle
) -> None:
    frozen = gc.get_freeze_count()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert gc.isenabled()
        assert gc.get_freeze_count() == frozen


def _styles_of(screen: Screen) -> dict[str, str]:
    """The CSS every node of `screen` (and each of its component classes) now has."""
    styles: dict[str, str] = {}
    for index, node in enumerate(screen.walk_children(with_self=True)):
        name = f"{index} {node!r}"
        styles[name] = node.styles.css
        for cls in type(node).__mro__:
            for component in sorted(getattr(cls, "COMPONENT_CLASSES", ())):
                styles[f"{name} > .{component}"] = node.get_component_styles(component).css
    return styles


@pytest.mark.parametrize("size", [(120, 40), (80, 24), (160, 40)], ids=str)
async def test_the_first_frame_is_styled_as_a_full_restyle_would_style_it(
    app: KetareadApp, size: tuple[int, int]
) -> None:
    """The reading screen skips the restyle of its first resume (every node was just
    styled as it mounted): no node may be left with styles a restyle would change."""
    first_frame: dict[str, str] = {}
    restyled: dict[str, str] = {}

    def compare_with_a_restyle() -> None:
        first_frame.update(_styles_of(app.screen))
        app.update_styles(app.screen)
        restyled.update(_styles_of(app.screen))

    app.call_after_refresh(compare_with_a_restyle)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
    assert first_frame
    assert restyled == first_frame


@pytest.mark.parametrize("size", [(120, 40), (80, 24), (160, 40)], ids=str)
async def test_start_up_styles_each_node_once_but_the_focused_pane(
    app: KetareadApp, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until the screen is up (the first after-refresh callback: the first frames are
    out), every node is styled once, as it mounts: the width classes are in place before
    the panes mount and the list is the first pane focused. Only the focused pane is
    styled again, for its focus."""
    styled: Counter[DOMNode] = Counter()
    counting = True
    apply = Stylesheet.apply

    def counting_apply(stylesheet: Stylesheet, node: DOMNode, **options: Any) -> None:
        if counting:
            styled[node] += 1
        apply(stylesheet, node, **options)

    def screen_is_up() -> None:
        nonlocal counting
        counting = False

    monkeypatch.setattr(Stylesheet, "apply", counting_apply)
    app.call_after_refresh(screen_is_up)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert not counting
        nodes = list(app.screen.walk_children(with_self=True))
        restyled = [node for node in nodes if styled[node] > 1]
        focused = app.focused
    assert all(styled[node] >= 1 for node in nodes)
    assert isinstance(focused, ArticleList)
    assert restyled == [focused]


def test_quitting_closes_the_cache_and_folds_in_its_write_ahead_log(
    app: KetareadApp, sample_db: Path
) -> None:
    """What a session wrote is in the database itself when the reader quits: the next
    start has no log to replay. The app runs as `ketaread` runs it (App.run), headless."""
    log = Path(f"{sample_db}-wal")
    seen: dict[str, object] = {}

    async def star_then_quit(pilot: Pilot) -> None:
        await settle_pilot(pilot)
        seen["article_id"] = app.main_screen.article_list.current.id
        await pilot.press("s")
        await settle_pilot(pilot)
        seen["log_size"] = log.stat().st_size  # the star is in the log, not yet in the file
        await pilot.press("q")

    app.run(headless=True, size=SIZE, auto_pilot=star_then_quit)
    assert seen["log_size"] > 0
    assert not log.exists()
    with closing(sqlite3.connect(f"file:{sample_db}?mode=ro", uri=True)) as conn:
        starred = conn.execute("SELECT starred FROM articles WHERE id = ?", (seen["article_id"],))
        assert starred.fetchone() == (1,)


async def test_the_list_has_the_focus_even_when_the_terminal_starts_without_it(
    app: KetareadApp,
) -> None:
    """Textual's AUTO_FOCUS waits while the terminal has no focus; the list must not."""
    app.set_reactive(KetareadApp.app_focus, False)  # as after an AppBlur
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.focused, ArticleList)


FIRST_FRAME_PROBE = """
import sys
from ketaread.app import KetareadApp
from ketaread.cli import make_app

loaded: list[str] = []
resume = KetareadApp._resume_collection


def first_frame_out() -> None:  # the app's first after-refresh callback
    loaded.extend(name for name, module in sys.modules.items() if module is not None)
    resume()


KetareadApp._resume_collection = staticmethod(first_frame_out)
app = make_app(db=sys.argv[1], config=sys.argv[2], offline=True)


async def quit_when_drawn(pilot):
    while not loaded:
        await pilot.pause(0.05)
    app.exit()


app.run(headless=True, size=(120, 40), auto_pilot=quit_when_drawn)
print(repr(loaded))  # not json: the probe must not import what it looks for
"""

NOT_BEFORE_THE_FIRST_FRAME = (
    "json",  # the reading position's, read and written after the first frame
    "ketaread.core.references",  # ~200 patterns compiled at import: the reference panel's
    "ketaread.core.glossary",
    "ketaread.core.render",
    "ketaread.core.search",
    "ketaread.core.study",
    "ketaread.core.refresh",
    "ketaread.screens.keys",
    "feedparser",
    "httpx",
    "html2text",
    "nh3",
    "textual.widgets._markdown",
)


def test_the_first_frame_imports_nothing_it_does_not_draw(
    sample_db: Path, tmp_config: Path
) -> None:
    """What only an open article, a refresh, a search or a review needs is imported after
    the first frame (each of these took milliseconds of every start), in a fresh process."""
    import ast
    import os
    import subprocess
    import sys

    source = str(Path(__file__).resolve().parents[2] / "src")
    env = dict(os.environ, PYTHONPATH=source)
    run = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME_PROBE, str(sample_db), str(tmp_config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    loaded = set(ast.literal_eval(run.stdout.strip().splitlines()[-1]))
    assert "ketaread.screens.main" in loaded  # the probe did see the reading screen
    early = sorted(
        name
        for name in loaded
        for unwanted in NOT_BEFORE_THE_FIRST_FRAME
        if name == unwanted or name.startswith(unwanted + ".")
    )
    assert early == []
