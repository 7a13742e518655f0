"""Scrolling lists whose scrollbars are not redrawn by every layout of the screen."""

from __future__ import annotations

from textual.geometry import Size


class SteadyScrollbars:
    """Mixed into a ScrollView (before it): its scrollbars are updated when its sizes change.

    Textual's ScrollView compares the layout's virtual size with its own (which it sets
    itself, so they never match): every layout anywhere on the screen (each article
    opened mounts its blocks) redrew the list's and the sidebar's scrollbars, ~37 lines
    each through Rich, 3-6 ms of every open's first paint.
    """

    _steady_sizes: tuple[Size, Size, Size, Size] | None = None

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        # A plain mixin: a second ScrollView base would confuse Textual's per-class CSS.
        sizes = (size, virtual_size, container_size, self.virtual_size)  # type: ignore[attr-defined]
        if sizes == self._steady_sizes and size == self._size:  # type: ignore[attr-defined]
            return False  # what ScrollView would have found after its needless update
        self._steady_sizes = sizes
        return super()._size_updated(size, virtual_size, container_size, layout)  # type: ignore[misc]
