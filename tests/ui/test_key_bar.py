"""The footer's key bar: one widget, the roomiest form that fits, pointer and focus changes."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from ui_support import Settle, find_on_screen, screen_text

from ketaread.app import KetareadApp
from ketaread.screens.help import HelpScreen
from ketaread.widgets.key_bar import KeyBar


def bar_line(app: App) -> str:
    bar = app.screen.query_one(KeyBar)
    return screen_text(app).splitlines()[bar.region.y]


async def test_the_bar_is_one_widget_and_picks_the_roomiest_form_that_fits(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=(150, 40)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        assert not bar.children
        line = bar_line(app)
        # Spaced out, as Textual's footer draws it, quit and help first.
        assert line.startswith(" q Quit  ? Help ")
        assert " n Next unread  m Read/unread " in line
        assert "  / Search  " in line  # search has its key in the bar
        assert line.rstrip().endswith("▏^p palette")
        await pilot.resize_terminal(110, 40)
        await settle(pilot)
        line = bar_line(app)
        # Packed, every label whole.
        assert line.startswith("q Quit ? Help ")
        assert "n Next unread m Read/unread" in line
        assert "R Refresh" in line and "/ Search" in line
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        line = bar_line(app)
        # Short labels; Enter, / and R keep their keys, without a label (the help
        # explains them): no key is lost.
        assert "n Next m Read s Star" in line and "g Glossary" in line
        assert "R Refresh" not in line and " ⏎ / n Next" in line and line.split()[-3] == "R"
        assert line.rstrip().endswith("▏^p palette")
        await pilot.resize_terminal(60, 24)
        await settle(pilot)
        line = bar_line(app)
        # A cell or two short of the hints: the last key's hint goes, not every label.
        assert line.startswith("q Quit ? Help ⏎ / n Next m Read")
        assert line.rstrip().endswith("g Glos t R") and "palette" not in line


async def test_focus_moving_to_another_pane_changes_the_keys_shown(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=(150, 40)) as pilot:
        await settle(pilot)
        screen = app.main_screen
        screen.article_list.focus()
        await settle(pilot)
        assert "⏎ Open" in bar_line(app)
        screen.sidebar.focus()
        await settle(pilot)
        line = bar_line(app)
        assert "⏎ Filter" in line and "⏎ Open" not in line


async def test_clicking_a_key_presses_it(app: KetareadApp, settle: Settle) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        x, y = find_on_screen(app, "? Help")
        assert y == bar.region.y
        await pilot.click(KeyBar, offset=(x - bar.region.x, 0))
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)


async def test_pointing_at_a_key_highlights_it_and_shows_what_it_does(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        x, _ = find_on_screen(app, "m Read/unread")
        await pilot.hover(KeyBar, offset=(x - bar.region.x, 0))
        await pilot.pause()
        hovered = bar.hovered
        assert hovered is not None
        assert bar._spans[hovered][2].action == "toggle_read"
        assert bar.tooltip == "Toggle read"
        # Past the last key, in the blank before the palette's key, nothing is.
        blank = bar._spans[-1][0] - 2
        assert bar.item_at(blank) is None
        await pilot.hover(KeyBar, offset=(blank, 0))
        await pilot.pause()
        assert bar.hovered is None


def drawn_with(text: Text, start: int, check) -> bool:
    """Whether a style span of `text` starting at `start` passes `check`."""
    return any(span.start == start and check(span.style) for span in text.spans)


async def test_when_keys_are_cut_off_the_palette_key_still_highlights_under_the_pointer(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=(50, 24)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        assert "Glossary" not in bar_line(app)  # no room for every key
        start, _end, palette = bar._spans[-1]
        assert palette.action == "command_palette"
        await pilot.hover(KeyBar, offset=(start + 1, 0))
        await pilot.pause()
        assert bar.hovered == len(bar._spans) - 1
        hover = bar._styles().hover.bgcolor
        assert drawn_with(bar.render(), start, lambda style: style.bgcolor == hover)


async def test_a_bar_too_narrow_for_the_palette_keeps_every_key_quit_and_help_first(
    app: KetareadApp, settle: Settle
) -> None:
    async with app.run_test(size=(22, 24)) as pilot:
        await settle(pilot)
        line = bar_line(app)
        assert line.split()[:2] == ["q", "?"]
        assert "palette" not in line
        for key in ("n", "m", "s", "r", "g", "t"):
            assert key in line.split()


class KeysApp(App[None]):
    """A bar with one key whose action cannot run now."""

    BINDINGS = [Binding("x", "explode", "Explode"), Binding("y", "yawn", "Yawn")]

    def __init__(self) -> None:
        super().__init__()
        self.actions: list[str] = []
        self.bells = 0

    def compose(self) -> ComposeResult:
        yield KeyBar()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "explode" else True

    def action_explode(self) -> None:
        self.actions.append("explode")

    def action_yawn(self) -> None:
        self.actions.append("yawn")

    def bell(self) -> None:  # the terminal's bell cannot be heard here: count it
        self.bells += 1


async def test_a_key_that_cannot_run_now_is_dimmed_and_a_click_on_it_rings_the_bell() -> None:
    app = KeysApp()
    async with app.run_test(size=(60, 5)) as pilot:
        await pilot.pause()
        bar = app.query_one(KeyBar)
        spans = {item.action: (start, end) for start, end, item in bar._spans}
        text = bar.render()
        assert drawn_with(text, spans["explode"][0], lambda style: style.dim)
        assert not drawn_with(text, spans["yawn"][0], lambda style: style.dim)
        await pilot.click(KeyBar, offset=(spans["explode"][0], 0))
        await pilot.click(KeyBar, offset=(spans["yawn"][0], 0))
        await pilot.pause()
        assert app.bells == 1
        assert app.actions == ["yawn"]
