"""The article pane: keys that scroll it, and where a new or reopened article starts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual import events
from textual.strip import Strip
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownBlock
from ui_support import Settle, article_id_titled, open_titled

from ketaread.app import KetareadApp
from ketaread.cli import make_app
from ketaread.widgets.article_view import ArticleView, article_markdown_class

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


async def test_the_view_keeps_one_document_the_last_article_opened(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_titled(pilot, LONG)
        await open_titled(pilot, OTHER)
        await open_titled(pilot, LONG)
        view = app.main_screen.article_view
        documents = list(view.query(Markdown))
        assert documents == [view.markdown]  # the earlier ones were removed, not hidden
        text = " ".join(block._content.plain for block in view.markdown.query(MarkdownBlock))
        assert "This glossary explains the ones you are most likely to meet" in text


async def test_opening_an_article_lays_the_screen_out_once_before_it_is_shown(
    sample_db: Path, tmp_config: Path, settle: Settle
) -> None:
    # Each layout pass repaints every pane that changed: the header, the swap of documents
    # and the first blocks are one batch (there were four passes, ~20 ms each, before).
    shown: list[int] = []
    passes: list[int] = []
    rows_before_shown: list[int] = []
    list_rows: list[int] = []

    def hook(message: object) -> None:
        # Seen once per node it bubbles through: the first sighting is when it was posted.
        if isinstance(message, ArticleView.ArticleShown) and not shown:
            shown.append(len(passes))
            rows_before_shown.append(len(list_rows))

    app = make_app(db=sample_db, config=tmp_config, offline=True)
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await settle(pilot)
        screen = app.main_screen
        await open_titled(pilot, OTHER)  # the Markdown widget's first load is not measured
        lay_out = screen._refresh_layout

        def counting(*args: object, **kwargs: object) -> None:
            passes.append(1)
            lay_out(*args, **kwargs)

        screen._refresh_layout = counting
        draw_row = screen.article_list.render_line

        def counting_rows(y: int) -> Strip:
            list_rows.append(y)
            return draw_row(y)

        screen.article_list.render_line = counting_rows
        for title in (LONG, "SSRIs and Ketamine"):
            screen.article_list.focus()
            screen.article_list.move_to(article_id_titled(app, title))
            await settle(pilot)
            shown.clear()
            passes.clear()
            list_rows.clear()
            rows_before_shown.clear()
            await pilot.press("enter")
            await settle(pilot)
            assert shown == [1], title
            # The list row turns read after the article is painted, in a frame of its own:
            # in the same frame it widened the repaint from the article to the whole screen.
            assert rows_before_shown == [0], title
            assert list_rows, title


async def test_an_article_shown_before_the_last_one_was_painted_replaces_it_whole(
    app: KetareadApp, settle: Settle
) -> None:
    first = "\n\n".join(f"Alpha paragraph {n}: " + "words " * 30 for n in range(80))
    second = "\n\n".join(f"Beta paragraph {n}: " + "words " * 30 for n in range(80))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main_screen.article_view
        rows = app.main_screen.article_list
        # Back to back: the first article's rest has not been added when the second comes.
        await view.show_article(rows.row_at(0), first, [])
        await view.show_article(rows.row_at(1), second, [])
        await settle(pilot)
        assert list(view.query(Markdown)) == [view.markdown]
        text = " ".join(block._content.plain for block in view.markdown.query(MarkdownBlock))
        assert "Alpha" not in text
        assert all(f"Beta paragraph {n}:" in text for n in range(80))
        assert view.article_id == rows.row_at(1).id


async def test_an_articles_first_screen_comes_with_its_document_and_the_rest_follows(
    app: KetareadApp, settle: Settle, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first screen's blocks are built before the document is mounted and go in with
    # it: Markdown's own mount (an empty document parsed in a worker thread, then the
    # blocks mounted in a second round) cost a quarter of an open at 400,000 articles.
    document = article_markdown_class()
    children_when_mounted: list[int] = []
    reloads: list[str] = []
    own_mount = document.__dict__.get("_on_mount")
    own_update = document.update

    async def on_mount(self: Markdown, event: events.Mount) -> None:
        children_when_mounted.append(len(self.query(MarkdownBlock)))
        if own_mount is not None:
            await own_mount(self, event)

    def update(self: Markdown, markdown: str) -> object:
        reloads.append(markdown)
        return own_update(self, markdown)

    monkeypatch.setattr(document, "_on_mount", on_mount)
    monkeypatch.setattr(document, "update", update)
    at_first_paint: list[int] = []
    shown = ArticleView._shown

    async def first_paint(self: ArticleView, *args: object) -> None:
        # Called once the first screen is painted, before the rest is added.
        at_first_paint.append(len(self.markdown.query(MarkdownBlock)))
        await shown(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ArticleView, "_shown", first_paint)
    whole = "\n\n".join(f"Paragraph {n}: " + "words " * 30 for n in range(80))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.main_screen.article_view
        await view.show_article(app.main_screen.article_list.row_at(0), whole, [])
        await settle(pilot)
        assert children_when_mounted and children_when_mounted[0] > 0
        assert reloads == []
        # Painted with the first screen only; the rest came after, in the same document.
        assert 0 < at_first_paint[0] < 20
        blocks = list(view.markdown.query(MarkdownBlock))
        assert len(blocks) == 80
        assert [block._content.plain.split(":")[0] for block in blocks] == [
            f"Paragraph {n}" for n in range(80)
        ]
        assert list(view.query(Markdown)) == [view.markdown]
