"""The title bar: the app's name and the filter, centred; the icon opens the command palette."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from ui_support import Settle, screen_text

from ketaread.app import KetareadApp
from ketaread.widgets.title_bar import ICON, ICON_WIDTH, RIGHT_SPACE, TitleBar


def _top_line(app: KetareadApp) -> str:
    return screen_text(app).splitlines()[0]


def _icon_background(bar: TitleBar) -> object:
    """The background the icon is drawn on."""
    segment = next(s for s in bar.render_line(0) if ICON in s.text)
    return segment.style.bgcolor if segment.style else None


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=str)
async def test_the_title_names_the_filter_centred_between_icon_and_clock_space(
    app: KetareadApp, settle: Settle, size: tuple[int, int]
) -> None:
    width = size[0]
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        line = _top_line(app)
        assert line.startswith(f" {ICON}")
        title = "ketaread — All"
        start = line.index(title)
        middle = line[ICON_WIDTH : width - RIGHT_SPACE]
        assert middle.strip() == title
        left, right = start - ICON_WIDTH, width - RIGHT_SPACE - (start + len(title))
        assert abs(left - right) <= 1
        app.main_screen.sub_title = "Starred"
        await settle(pilot)
        assert "ketaread — Starred" in _top_line(app)


async def test_a_long_filter_name_is_cut_with_an_ellipsis_and_the_line_keeps_its_width(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.main_screen.sub_title = "Treatment-resistant depression " * 4
        await settle(pilot)
        bar = app.main_screen.query_one(TitleBar)
        line = _top_line(app)
        assert "…" in line and "ketaread — Treatment-resistant" in line
        assert bar.render().cell_length == 80
        assert line[80 - RIGHT_SPACE :].strip() == ""


async def test_clicking_the_icon_opens_the_command_palette_and_the_title_does_not(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.click(TitleBar, offset=(60, 0))
        await settle(pilot)
        assert not isinstance(app.screen, CommandPalette)
        await pilot.click(TitleBar, offset=(1, 0))
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)


async def test_the_icon_lights_up_with_a_tooltip_under_the_mouse_and_the_title_does_not(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        bar = app.main_screen.query_one(TitleBar)
        plain = _icon_background(bar)
        await pilot.hover(TitleBar, offset=(1, 0))
        await settle(pilot)
        assert bar.tooltip == TitleBar.ICON_TOOLTIP
        assert _icon_background(bar) != plain
        await pilot.hover(TitleBar, offset=(60, 0))
        await settle(pilot)
        assert bar.tooltip is None
        assert _icon_background(bar) == plain
        await pilot.hover(TitleBar, offset=(1, 0))
        await pilot.hover("#articles")
        await settle(pilot)
        assert bar.tooltip is None and not bar.icon_hovered
