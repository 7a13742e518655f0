"""Opening and copying web links, for every widget and screen: only http(s) leaves the app,
through `App.open_url` (the terminal's browser hand-off, never a shell) or OSC 52."""

from __future__ import annotations

from textual.dom import DOMNode

from ketaread.core.clean import openable_url


def open_web_link(node: DOMNode, url: str) -> None:
    """Open an http(s) link in the browser; refuse anything else, saying why."""
    ok, reason = openable_url(url)
    if not ok:
        node.notify(f"Not opened: {reason}.", severity="error", markup=False)
        return
    node.app.open_url(url)
    node.notify(f"Opening {url}", markup=False)


def copy_web_link(node: DOMNode, url: str) -> None:
    """Copy a validated http(s) URL to the clipboard with OSC 52 (works over SSH)."""
    ok, reason = openable_url(url)
    if not ok:
        node.notify(f"Not copied: {reason}.", severity="error", markup=False)
        return
    node.app.copy_to_clipboard(url)
    node.notify(f"Copied {url}", title="Clipboard", markup=False)
