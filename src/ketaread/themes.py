"""ketaread's colour themes and the order `T` cycles through them."""

from __future__ import annotations

from textual.theme import Theme

KETAREAD_DARK = Theme(
    name="ketaread-dark",
    primary="#5fafd7",
    secondary="#87afaf",
    accent="#ffaf5f",
    warning="#ffd75f",
    error="#ff5f5f",
    success="#87d787",
    background="#14181c",
    surface="#1b2127",
    panel="#232b33",
    dark=True,
)
KETAREAD_LIGHT = Theme(
    name="ketaread-light",
    primary="#005f87",
    secondary="#5f8787",
    accent="#af5f00",
    warning="#875f00",
    error="#af0000",
    success="#005f00",
    background="#fafaf7",
    surface="#f0f0ea",
    panel="#e4e4dc",
    dark=False,
)
THEMES = (KETAREAD_DARK, KETAREAD_LIGHT)
"""The themes ketaread registers beside Textual's own."""
THEME_CYCLE = ("ketaread-dark", "ketaread-light", "ansi-dark", "ansi-light")
"""What `T` steps through: dark, light, and the terminal's own 16 colours."""
DEFAULT_THEME = "ketaread-dark"
SIXTEEN_COLOUR_THEME = "ansi-dark"
"""The first theme on a 16-colour terminal: its own palette."""
