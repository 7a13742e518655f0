"""The top line: the command palette's icon and the screen's title, centred."""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.widget import Widget

ICON = "⭘"
ICON_WIDTH = 8
"""The icon's cells on the left (one of padding before it), as Textual's Header has them."""
RIGHT_SPACE = 10
"""Blank cells on the right, where Textual's Header keeps room for its clock."""


class TitleBar(Widget):
    """Textual's Header line drawn by one widget.

    The Header draws it with four widgets and four stylesheets: one widget executes 25
    million fewer instructions before the first frame, 2 % of the reader's start
    (benchmarks/README.md).

    The title follows the screen's `title` and `sub_title` (the app's when the screen has
    none); the icon lights up under the mouse, with a tooltip, and a click on it opens the
    command palette, as the Header's does.
    """

    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """

    ICON_TOOLTIP = "Open the command palette"

    def __init__(self) -> None:
        super().__init__()
        self.icon_hovered = False

    def on_mount(self) -> None:
        """Redraw when the title changes."""
        for owner in (self.app, self.screen):
            self.watch(owner, "title", self._title_changed, init=False)
            self.watch(owner, "sub_title", self._title_changed, init=False)

    def _title_changed(self) -> None:
        self.refresh()

    @property
    def title_content(self) -> Content:
        """The title and sub-title, formatted by the app (as the Header has it)."""
        screen, app = self.screen, self.app
        title = screen.title if screen.title is not None else app.title
        sub_title = screen.sub_title if screen.sub_title is not None else app.sub_title
        return app.format_title(title, sub_title)

    def render(self) -> Content:
        """The icon, then the title centred in the space the Header gives it."""
        width = self.size.width
        space = max(width - ICON_WIDTH - RIGHT_SPACE, 0)
        title = self.title_content.truncate(space, ellipsis=True)
        left = (space - title.cell_length) // 2
        icon = Content(f" {ICON}").pad_right(ICON_WIDTH - 2)
        if self.icon_hovered:
            icon = icon.stylize("on $foreground 10%")
        return Content.assemble(
            icon, title.pad(left, space - left - title.cell_length), " " * RIGHT_SPACE
        ).truncate(width)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        """Light the icon up while the mouse is on it."""
        self._hover_icon(event.x < ICON_WIDTH)

    def on_leave(self) -> None:
        """The mouse left the bar."""
        self._hover_icon(False)

    def _hover_icon(self, hovered: bool) -> None:
        if hovered != self.icon_hovered:
            self.icon_hovered = hovered
            self.tooltip = self.ICON_TOOLTIP if hovered else None
            self.refresh()

    async def on_click(self, event: events.Click) -> None:
        """The icon opens the command palette."""
        if event.x < ICON_WIDTH and self.app.ENABLE_COMMAND_PALETTE:
            event.stop()
            await self.run_action("app.command_palette")
