"""j/k, ctrl+d/ctrl+u and </> in every list-like pane, on the 320-article cache."""

from __future__ import annotations

from textual.widgets import OptionList
from ui_support import Settle, open_titled

from ketaread.app import KetareadApp
from ketaread.screens.glossary import GlossaryModal


async def test_j_and_k_move_in_the_sidebar(big_app: KetareadApp, settle: Settle) -> None:
    async with big_app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        sidebar = big_app.main_screen.sidebar
        await pilot.press("l")
        assert sidebar.has_focus and sidebar.highlighted == 0
        await pilot.press("j", "j")
        assert sidebar.highlighted_option.id == "starred"
        await pilot.press("j")  # past the separator and the SOURCES heading
        assert sidebar.highlighted_option.id.startswith("feed:")
        await pilot.press("k")
        assert sidebar.highlighted_option.id == "starred"
        await pilot.press("greater_than_sign")
        assert sidebar.highlighted == sidebar.option_count - 1
        await pilot.press("less_than_sign")
        assert sidebar.highlighted == 0


async def test_j_and_k_move_in_the_reference_panel(app: KetareadApp, settle: Settle) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_titled(pilot, "Glutamate 101")
        await pilot.press("r")
        await settle(pilot)
        panel = app.main_screen.reference_panel
        assert panel.has_focus
        start = panel.highlighted
        await pilot.press("j")
        moved = panel.highlighted
        assert moved is not None and moved != start
        await pilot.press("j", "k")
        assert panel.highlighted == moved


async def test_ctrl_d_and_ctrl_u_move_half_a_screen_in_the_list(
    big_app: KetareadApp, settle: Settle
) -> None:
    async with big_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        listing = big_app.main_screen.article_list
        half = listing.rows_shown // 2
        assert half > 2
        await pilot.press("ctrl+d")
        assert listing.cursor == half
        await pilot.press("ctrl+d", "ctrl+d", "ctrl+u")
        assert listing.cursor == 2 * half
        await pilot.press("greater_than_sign")
        assert listing.cursor == 319
        await pilot.press("less_than_sign")
        assert listing.cursor == 0


async def test_ctrl_d_and_ctrl_u_scroll_the_article_half_a_screen(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_titled(pilot, "Glutamate 101")
        view = app.main_screen.article_view
        await pilot.press("v")
        assert view.has_focus
        await pilot.press("ctrl+d")
        await pilot.pause()
        half = view.scrollable_content_region.height // 2
        assert view.scroll_y == half
        await pilot.press("ctrl+u")
        await pilot.pause()
        assert view.scroll_y == 0


async def test_j_and_k_move_in_the_glossary_links(app: KetareadApp, settle: Settle) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.main_screen.show_glossary("BDNF", True)
        await settle(pilot)
        popup = app.screen
        assert isinstance(popup, GlossaryModal)
        await pilot.press("tab")
        links = popup.query_one("#glossary-links", OptionList)
        assert links.has_focus
        first = links.highlighted
        await pilot.press("j")
        assert links.highlighted is not None and links.highlighted > first
        await pilot.press("k")
        assert links.highlighted == first


async def test_ctrl_d_and_ctrl_u_move_in_the_reference_panel_at_80x24(
    app: KetareadApp, settle: Settle
) -> None:
    """At 80x24 one reference (label, kind, text, citing sentences) is taller than half the
    panel: ctrl+d still moves to the next entry, ctrl+u back (found in the trial: both did
    nothing, the half page landing inside the entry already highlighted)."""
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_titled(pilot, "Glutamate 101")
        await pilot.press("r")
        await settle(pilot)
        panel = app.main_screen.reference_panel
        assert panel.has_focus
        await pilot.press("less_than_sign")
        start = panel.highlighted
        assert start is not None
        await pilot.press("ctrl+d")
        moved = panel.highlighted
        assert moved is not None and moved > start
        await pilot.press("ctrl+u")
        assert panel.highlighted == start
