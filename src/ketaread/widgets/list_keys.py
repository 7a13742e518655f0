"""The keys every list-like pane shares: j/k, ctrl+d/ctrl+u half pages, Home/End.

`g`/`G` (vi's top and bottom) are the glossary keys on the reading screen, so the top
and the bottom of a list are Home and End (also `<` and `>`) everywhere.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from textual import _widget_navigation
from textual.binding import Binding, BindingType
from textual.widgets import OptionList

KEYS = Binding.Group("Move, half a page, first / last (↑ ↓ home end too)")

LIST_KEYS: list[BindingType] = [
    Binding("j", "cursor_down", "Down", show=False, group=KEYS),
    Binding("k", "cursor_up", "Up", show=False, group=KEYS),
    Binding("ctrl+d", "half_page_down", "Half page down", show=False, group=KEYS),
    Binding("ctrl+u", "half_page_up", "Half page up", show=False, group=KEYS),
    Binding("less_than_sign", "first", "First", show=False, group=KEYS),
    Binding("greater_than_sign", "last", "Last", show=False, group=KEYS),
]
"""Bindings for a list-like widget with cursor_down/up, half_page_down/up, first, last."""


class KeyedOptionList(OptionList):
    """An OptionList with the list keys (j/k, ctrl+d/ctrl+u, </>)."""

    BINDINGS: ClassVar[list[BindingType]] = LIST_KEYS

    def _move_half_page(self, direction: Literal[-1, 1]) -> None:
        """Move the highlight by half the visible rows, skipping disabled entries."""
        if not self.option_count:
            return
        if self.highlighted is None:
            self.action_first() if direction > 0 else self.action_last()
            return
        step = max(self.scrollable_content_region.height // 2, 1)
        line = self._index_to_line[self.highlighted] + direction * step
        line = max(min(line, len(self._lines) - 1), 0)
        target = _widget_navigation.find_next_enabled_no_wrap(
            candidates=self._options,
            anchor=self._lines[line][0],
            direction=direction,
            with_anchor=True,
        )
        if target == self.highlighted:
            # Half a page ended inside the highlighted entry (a reference taller than half
            # the pane): the key still moves, to the next entry.
            target = _widget_navigation.find_next_enabled_no_wrap(
                candidates=self._options, anchor=self.highlighted, direction=direction
            )
        if target is not None:
            self.highlighted = target

    def action_half_page_down(self) -> None:
        """Move down half a screen."""
        self._move_half_page(1)

    def action_half_page_up(self) -> None:
        """Move up half a screen."""
        self._move_half_page(-1)
