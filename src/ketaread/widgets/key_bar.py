"""The footer: the keys that work here, drawn as one line by one widget.

Textual's Footer builds a widget per key and rebuilds them all whenever focus moves; with
the reader's eleven keys that was 12 of the 25 widgets styled and laid out before the first
frame, and a recompose on every focus change (Tab to the next pane took twice as long).
This bar repaints one line instead.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.reactive import reactive
from textual.widget import Widget

FIRST_ACTIONS = ("quit", "help")
"""Keys shown first, as newsboat does, so that a narrow bar never loses them."""
HIDDEN_WHEN_SHORT_ACTIONS = frozenset({"refresh_sources"})
HIDDEN_WHEN_SHORT_KEYS = frozenset({"enter", "slash"})
"""Keys shown without a label (the help screen and the welcome text explain them) when the
bar is short of room."""
SHORT_LABELS = {"Next unread": "Next", "Read/unread": "Read", "Copy URL": "Copy"}
"""Shorter descriptions for when the bar is short of room."""
NARROW_LABEL = 4
"""Cells of a label in the narrowest form: every key stays, its label cut to a hint."""
PALETTE_SEPARATOR = "▏"


class KeyItem(NamedTuple):
    """One key as the bar shows it."""

    key: str
    display: str
    description: str
    action: str
    enabled: bool
    tooltip: str


class _Styles(NamedTuple):
    """The bar's styles for one paint."""

    key: Style
    description: Style
    hover: Style
    separator: Style


_DIM = Style(dim=True)
"""Keys whose action cannot run here."""


class KeyBar(Widget):
    """The keys of the focused widget, its screen and the app, quit and help first.

    It picks the roomiest of three forms that fits its width: spaced out, packed, or packed
    with short labels and without the keys the help screen explains. The command palette's
    key sits at the right edge when there is room for it. A click on a key presses it.
    """

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "key-bar--key",
        "key-bar--description",
        "key-bar--hover",
        "key-bar--separator",
    }
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        text-wrap: nowrap;
        text-overflow: clip;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyBar > .key-bar--hover {
        background: $block-hover-background;
    }
    KeyBar > .key-bar--separator {
        color: $foreground 20%;
    }
    """

    hovered: reactive[int | None] = reactive(None)
    """Index (in drawing order) of the key under the pointer."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._items: tuple[list[KeyItem], KeyItem | None] | None = None
        """The keys as last read from the screen's bindings."""
        self._spans: list[tuple[int, int, KeyItem]] = []
        """Where each drawn key starts and ends, for the pointer."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: object) -> None:
        # While the terminal itself is unfocused nothing has focus: keep the keys that
        # work once the reader comes back, as Textual's footer does.
        if self.app.app_focus or self._items is None:
            self._items = None
            self.hovered = None
            self.refresh()

    def on_resize(self) -> None:
        self.hovered = None  # the keys move, or some are dropped

    def items(self) -> tuple[list[KeyItem], KeyItem | None]:
        """The keys to show in order, and the command palette's key (or None)."""
        app = self.app
        active = self.screen.active_bindings
        by_action: dict[str, KeyItem] = {}
        for _node, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in by_action:
                by_action[binding.action] = self._item(binding, enabled, tooltip)
        first = [by_action.pop(action) for action in FIRST_ACTIONS if action in by_action]
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _node, binding, enabled, tooltip = active[app.COMMAND_PALETTE_BINDING]
            palette = self._item(binding, enabled, tooltip or binding.description)
        return first + list(by_action.values()), palette

    def _item(self, binding: Binding, enabled: bool, tooltip: str) -> KeyItem:
        display = self.app.get_key_display(binding)
        return KeyItem(binding.key, display, binding.description, binding.action, enabled, tooltip)

    def render(self) -> Text:
        if self._items is None:
            self._items = self.items()
        items, palette = self._items
        width = self.size.width
        room = width
        if palette is not None:
            palette_width = cell_len(PALETTE_SEPARATOR + "".join(_parts(palette, spaced=False)))
            first = [item for item in items if item.action in FIRST_ACTIONS]
            if width - palette_width >= _line_width(first, spaced=False):
                room = width - palette_width
            else:
                palette = None  # quit and help matter more than the palette's key
        # Roomiest first. Every key is kept in the last two forms (labels cut to a hint,
        # then keys alone); the palette's key (ctrl+p works anyway) goes before the labels.
        forms = [
            (True, "full", room),
            (False, "full", room),
            (False, "short", room),
            (False, "narrow", room),
            (False, "narrow", width),
            (False, "trimmed", width),
            (False, "keys", room),
            (False, "keys", width),
        ]
        for spaced, form, fits in forms:
            shown = _trimmed(items, fits) if form == "trimmed" else _shorten(items, form)
            if _line_width(shown, spaced) <= fits:
                break
        if fits > room:
            palette, room = None, width
        styles = self._styles()
        text = Text()
        self._spans = []
        for item in shown:
            start = text.cell_len
            if start >= room:
                break
            hovered = len(self._spans) == self.hovered
            self._append(text, item, styles, hovered, spaced)
            self._spans.append((start, min(text.cell_len, room), item))
            if not spaced:
                text.append(" ")
        text.truncate(room)
        if palette is not None:
            text.pad_right(room - text.cell_len)
            text.append(PALETTE_SEPARATOR, styles.separator)
            start = text.cell_len
            hovered = len(self._spans) == self.hovered
            self._append(text, palette, styles, hovered, spaced=False)
            self._spans.append((start, text.cell_len, palette))
        return text

    def _styles(self) -> _Styles:
        """The bar's component styles, looked up once per paint (each lookup styles a node)."""
        hover = self.get_component_rich_style("key-bar--hover")
        return _Styles(
            self.get_component_rich_style("key-bar--key"),
            self.get_component_rich_style("key-bar--description"),
            Style(bgcolor=hover.bgcolor),
            self.get_component_rich_style("key-bar--separator"),
        )

    @staticmethod
    def _append(text: Text, item: KeyItem, styles: _Styles, hovered: bool, spaced: bool) -> None:
        key_style, description_style = styles.key, styles.description
        if hovered:
            key_style += styles.hover
            description_style += styles.hover
        if not item.enabled:
            key_style += _DIM
            description_style += _DIM
        key, description = _parts(item, spaced)
        text.append(key, key_style)
        text.append(description, description_style)

    def item_at(self, x: int) -> tuple[int, KeyItem] | None:
        """The key drawn at column `x`, with its index, if any."""
        for index, (start, end, item) in enumerate(self._spans):
            if start <= x < end:
                return index, item
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        found = self.item_at(event.x)
        self.hovered = found[0] if found else None
        self.tooltip = (found[1].tooltip or None) if found else None

    def on_leave(self, _event: events.Leave) -> None:
        self.hovered = None

    def on_click(self, event: events.Click) -> None:
        found = self.item_at(event.x)
        if found is None:
            return
        item = found[1]
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()


def _shorten(items: list[KeyItem], form: str) -> list[KeyItem]:
    """The keys in one form: 'full'; 'short' (short labels, the keys the help explains
    without one); 'narrow' (labels cut to a hint); 'keys' (no label). Every form has every
    key (and so has `_trimmed`, between the last two)."""
    if form == "full":
        return items
    if form == "short":
        return [
            item._replace(description="")
            if item.action in HIDDEN_WHEN_SHORT_ACTIONS or item.key in HIDDEN_WHEN_SHORT_KEYS
            else item._replace(description=SHORT_LABELS.get(item.description, item.description))
            for item in items
        ]
    if form == "narrow":
        return [_narrow(item) for item in items]
    return [item._replace(description="") for item in items]


TRIMMED_HINTS = 2
"""Hints the trimmed form may drop; short of more room, every label goes (the keys form)."""


def _trimmed(items: list[KeyItem], fits: int) -> list[KeyItem]:
    """The narrow form with the hints of the last keys dropped (at most TRIMMED_HINTS; quit
    and help keep theirs) until it fits in `fits` cells: a bar a few cells short of room
    loses a hint or two, not every label."""
    shown = _shorten(items, "narrow")
    dropped = 0
    for index in range(len(shown) - 1, -1, -1):
        if _line_width(shown, spaced=False) <= fits or dropped == TRIMMED_HINTS:
            break
        if shown[index].description and shown[index].action not in FIRST_ACTIONS:
            shown[index] = shown[index]._replace(description="")
            dropped += 1
    return shown


def _narrow(item: KeyItem) -> KeyItem:
    """Quit and help as they are; the keys the help explains alone; others with a hint."""
    if item.action in FIRST_ACTIONS:
        return item
    if item.action in HIDDEN_WHEN_SHORT_ACTIONS or item.key in HIDDEN_WHEN_SHORT_KEYS:
        return item._replace(description="")
    short = SHORT_LABELS.get(item.description, item.description)
    return item._replace(description=short[:NARROW_LABEL])


def _parts(item: KeyItem, spaced: bool) -> tuple[str, str]:
    """The key and its label as drawn: ' k ', 'Label ' when spaced; 'k', ' Label' packed."""
    if not item.description:
        return (f" {item.display} " if spaced else item.display), ""
    if spaced:
        return f" {item.display} ", f"{item.description} "
    return item.display, f" {item.description}"


def _line_width(items: list[KeyItem], spaced: bool) -> int:
    """Cells the keys take in one form, with a gap between each two when packed."""
    gaps = 0 if spaced or not items else len(items) - 1
    return sum(cell_len("".join(_parts(item, spaced))) for item in items) + gaps
