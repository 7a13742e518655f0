"""Opening quickly: the article under a resting list cursor is converted before Enter, so
that opening it is as quick as reopening (an open never converts an article twice beside
that work), and an open redraws only what changed."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from textual.scrollbar import ScrollBar
from ui_support import Settle, article_id_titled, wait_until

from ketaread.app import KetareadApp
from ketaread.core import render
from ketaread.core.render import RENDER_VERSION
from ketaread.screens import main
from ketaread.screens.main import PREFETCH_DELAY

SIZE = (120, 40)
LONG = "A Short Glossary of Ketamine Neuroscience"


def _converted(app: KetareadApp, article_id: int) -> bool:
    return app.store.rendering(article_id, RENDER_VERSION) is not None  # type: ignore[attr-defined]


@pytest.fixture
def conversions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the articles converted (`core.render.render` called), in order."""
    made: list[int] = []
    real = render.render

    def counted(detail: object) -> render.Rendering:
        made.append(detail.row.id)  # type: ignore[attr-defined]
        return real(detail)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "render", counted)
    return made


async def test_the_article_under_a_resting_cursor_is_converted_before_enter(
    big_app: KetareadApp, settle: Settle, conversions: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A longer rest than the reader's: Pilot's key presses are far apart on a busy machine.
    monkeypatch.setattr(main, "PREFETCH_DELAY", 1.5)
    async with big_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = big_app.main_screen
        article_list = screen.article_list
        article_list.focus()
        passed = [article_list.ids[index] for index in range(1, 9)]
        # A held key: each step comes before the cursor has rested.
        for _ in passed:
            await pilot.press("j")
        resting = article_list.ids[article_list.cursor]
        assert resting == passed[-1]
        assert await wait_until(pilot, lambda: _converted(big_app, resting))
        await settle(pilot)
        assert conversions == [resting]  # not the rows passed over
        assert screen.article_view.article_id is None  # converted, not opened
        await pilot.press("enter")
        await settle(pilot)
        assert screen.article_view.article_id == resting
        assert conversions[0] == resting
        assert conversions.count(resting) == 1  # the open found it converted


async def test_an_open_waits_for_the_conversion_ahead_instead_of_doing_it_again(
    app: KetareadApp, sample_db: Path, settle: Settle, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sqlite3.connect(sample_db) as conn:  # no article converted yet
        conn.execute("UPDATE bodies SET markdown = NULL, analysis = NULL")
    conn.close()
    started = threading.Event()
    made: list[int] = []
    real = render.render

    def slow(detail: object) -> render.Rendering:
        made.append(detail.row.id)  # type: ignore[attr-defined]
        started.set()
        time.sleep(0.5)  # the conversion ahead is still going when Enter comes
        return real(detail)  # type: ignore[arg-type]

    monkeypatch.setattr(render, "render", slow)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.main_screen
        article_id = article_id_titled(app, LONG)
        screen.article_list.focus()
        assert screen.article_list.ids[screen.article_list.cursor] != article_id
        assert screen.article_list.move_to(article_id)
        assert await wait_until(pilot, started.is_set)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.article_view.article_id == article_id
        assert made.count(article_id) == 1
        assert LONG in screen.article_view.query_one("#article-header").visual.plain  # type: ignore[attr-defined]


async def test_nothing_is_converted_ahead_until_the_cursor_moves(
    big_app: KetareadApp, settle: Settle, conversions: list[int]
) -> None:
    async with big_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause(PREFETCH_DELAY * 3)
        await settle(pilot)
        assert conversions == []


async def test_opening_an_article_leaves_the_list_and_sidebar_scrollbars_alone(
    big_app: KetareadApp, settle: Settle, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Textual's ScrollView updated its scrollbars at every layout of the screen: each open
    # redrew the list's and the sidebar's (3-6 ms of the first paint).
    redrawn: list[str] = []
    real = ScrollBar.render

    def counted(bar: ScrollBar) -> object:
        redrawn.append(type(bar.parent).__name__)
        return real(bar)

    monkeypatch.setattr(ScrollBar, "render", counted)
    async with big_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = big_app.main_screen
        article_list = screen.article_list
        assert article_list.vertical_scrollbar.window_virtual_size == len(article_list.ids)
        for index in (3, 5):
            article_list.focus()
            article_list.move_to(article_list.ids[index])
            await settle(pilot)
            redrawn.clear()
            await pilot.press("enter")
            await settle(pilot)
            assert "ArticleList" not in redrawn and "TagSidebar" not in redrawn, redrawn
        # A shorter list still gets its scrollbar updated.
        total = len(article_list.ids)
        await pilot.press("H")  # hide read articles (the two just opened)
        assert await wait_until(pilot, lambda: len(article_list.ids) == total - 2)
        await settle(pilot)
        assert article_list.vertical_scrollbar.window_virtual_size == total - 2


async def test_the_next_unread_article_is_converted_after_one_is_shown(
    big_app: KetareadApp, big_db: Path, settle: Settle, conversions: list[int]
) -> None:
    with sqlite3.connect(big_db) as conn:  # no article converted yet
        conn.execute("UPDATE bodies SET markdown = NULL, analysis = NULL")
    conn.close()
    async with big_app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = big_app.main_screen
        article_list = screen.article_list
        store = big_app.store  # type: ignore[attr-defined]
        first = next(i for i in article_list.ids if not store.rows([i])[0].read)
        article_list.focus()
        article_list.move_to(first)
        await pilot.press("enter")
        await settle(pilot)
        found = store.next_unread(screen.article_filter, first)
        assert found is not None and found[0] is not None
        following = found[0]
        assert await wait_until(pilot, lambda: _converted(big_app, following))
        await settle(pilot)
        assert conversions[-1] == following
        made = len(conversions)
        await pilot.press("n")
        await settle(pilot)
        assert screen.article_view.article_id == following
        assert len(conversions) == made  # `n` found it converted
