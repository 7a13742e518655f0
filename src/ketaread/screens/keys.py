"""Every key, described once: by its binding. The help screen's rows and the command
palette's commands are derived here from the bindings of the app, the screens and the
widgets, so none of them can drift from what a key does."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand
from textual.binding import Binding

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode
    from textual.screen import Screen

KEY_NAMES = {
    "question_mark": "?",
    "up": "↑",
    "down": "↓",
    "pagedown": "pgdn",
    "pageup": "pgup",
    "escape": "esc",
    "enter": "enter",
    "space": "space",
    "shift+space": "shift+space",
    "ctrl+p": "ctrl+p",
    "less_than_sign": "<",
    "greater_than_sign": ">",
}
"""How the help writes keys that Textual names otherwise."""


def key_text(binding: Binding) -> str:
    """The keys of `binding` as the help shows them (`↑ k` for "up,k")."""
    if binding.key_display:
        return binding.key_display
    return " ".join(KEY_NAMES.get(key.strip(), key.strip()) for key in binding.key.split(","))


def describe(binding: Binding) -> str:
    """What the key does, as the help says it: its tooltip, else its footer description."""
    return as_help_text(binding.tooltip or binding.description)


def as_help_text(text: str) -> str:
    """A description as a help row reads: lower case first ("toggle read"), acronyms kept."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


@dataclass(frozen=True, slots=True)
class HelpRow:
    """One line of the help: keys and what they do."""

    keys: str
    text: str


@dataclass(frozen=True, slots=True)
class HelpSection:
    """A titled group of help rows: the bindings of some owners, then rows with no binding
    (typing into a filter, Textual's own focus keys)."""

    title: str
    owners: tuple[type[DOMNode], ...]
    extra: tuple[HelpRow, ...] = ()
    only: frozenset[str] | None = None
    """Actions of the owners to list here (None: every one not listed in another section)."""


def _bindings(owner: type[DOMNode]) -> Iterator[Binding]:
    for binding in owner.BINDINGS:
        if isinstance(binding, Binding):
            yield binding


def help_rows(section: HelpSection, taken: set[tuple[type[DOMNode], str]]) -> list[HelpRow]:
    """The section's rows: one per binding, one per group of bindings (`n / p`). `taken`
    holds the (owner, keys) earlier sections listed, and gains this section's."""
    rows: list[HelpRow] = []
    grouped: dict[Binding.Group, list[Binding]] = {}
    order: list[Binding | Binding.Group] = []
    for owner in section.owners:
        for binding in _bindings(owner):
            if (owner, binding.key) in taken:
                continue
            if section.only is not None and binding.action not in section.only:
                continue
            taken.add((owner, binding.key))
            if binding.group is not None:
                if binding.group not in grouped:
                    order.append(binding.group)
                grouped.setdefault(binding.group, []).append(binding)
            else:
                order.append(binding)
    for item in order:
        if isinstance(item, Binding):
            rows.append(HelpRow(key_text(item), describe(item)))
        else:
            # Widgets that share a group (the list's and the article's half-page keys)
            # name each key once.
            keys = " / ".join(dict.fromkeys(key_text(binding) for binding in grouped[item]))
            rows.append(HelpRow(keys, as_help_text(item.description)))
    rows.extend(section.extra)
    return rows


def palette_commands(app: App[Any], screen: Screen[Any]) -> Iterable[SystemCommand]:
    """A palette command for each shown-or-described key of the app and of `screen`."""
    seen: set[str] = set()
    owners: tuple[tuple[type[DOMNode], str], ...] = (
        (type(screen), "screen"),
        (type(app), "app"),
    )
    for owner, namespace in owners:
        for binding in _bindings(owner):
            if binding.action in seen or not binding.tooltip:
                continue
            seen.add(binding.action)
            action = binding.action

            async def run(action: str = f"{namespace}.{action}") -> None:
                await app.run_action(action)

            yield SystemCommand(binding.tooltip, f"key: {key_text(binding)}", run)
