"""The article pane: keys that scroll it, and where a new or reopened article starts."""

from __future__ import annotations

import re

from textual.widgets.markdown import MarkdownBlock
from ui_support import Settle, open_titled

from ketaread.app import KetareadApp

SIZE = (120, 40)
LONG = "A Short Glossary of Ketamine Neuroscience"
OTHER = "Glutamate 101"


async def test_j_k_and_space_scroll_the_focused_article(app: KetareadApp, settle: Settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_titled(pilot, LONG)
        view = app.main_screen.article_view
        await pilot.press("v")
        assert view.has_focus
        assert view.scroll_y == 0 and view.max_scroll_y > view.size.height
        await pilot.press("j", "j", "j")
        await settle(pilot)
        assert view.scroll_y == 3
        await pilot.press("k")
        await settle(pilot)
        assert view.scroll_y == 2
        await pilot.press("space")
        await settle(pilot)
        assert view.scroll_y >= 2 + view.scrollable_content_region.height - 1


async def test_space_in_the_list_pages_the_article(app: KetareadApp, settle: Settle) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_titled(pilot, LONG)
        screen = app.main_screen
        assert screen.article_list.has_focus
        await pilot.press("space")
        await settle(pilot)
        assert screen.article_view.scroll_y > screen.article_view.size.height // 2
        assert screen.article_list.has_focus


async def test_new_article_starts_at_top_and_reopened_one_where_it_was_left(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_titled(pilot, LONG)
        view = app.main_screen.article_view
        await pilot.press("space", "space")
        await settle(pilot)
        left_at = view.scroll_y
        assert left_at > 0
        await open_titled(pilot, OTHER)
        assert view.scroll_y == 0
        await pilot.press("space")
        await settle(pilot)
        assert view.scroll_y > 0
        await open_titled(pilot, LONG)
        assert view.scroll_y == left_at


async def test_every_paragraph_of_an_opened_article_is_shown(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for title in (OTHER, LONG):
            await open_titled(pilot, title)
            screen = app.main_screen
            shown = " ".join(
                " ".join(str(block.render()).split())
                for block in screen.article_view.markdown.query(MarkdownBlock)
            )
            starts = [
                " ".join(paragraph.split())[:40]
                for paragraph in screen.rendering.markdown.split("\n\n")
                if paragraph.strip()
                and not re.search(r"[\[\]*_`#<>|\\]", paragraph[:40])
                and not re.match(r"\s*(\d+[.)]|[-*+])\s", paragraph)  # list items
            ]
            assert len(starts) > 5
            missing = [start for start in starts if start not in shown]
            assert missing == [], title
