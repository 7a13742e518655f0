"""Opening and copying web links, for every widget and screen: only http(s) leaves the app,
through `App.open_url` (the terminal's browser hand-off, never a shell) or OSC 52."""

from __future__ import annotations

import os

from textual.widget import Widget

from ketaread.core.clean import openable_url

TEXT_BROWSERS = frozenset({"www-browser", "links", "elinks", "lynx", "w3m"})
"""Browsers that would draw in this very terminal, over the reader."""


def browser_problem() -> str | None:
    """Why no browser can show a link from here (None when one can): a session over SSH
    with no display, or no browser at all. `App.open_url` fails silently in both."""
    if os.environ.get("BROWSER"):
        return None  # the user named one
    graphical = any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY"))
    if os.environ.get("SSH_CONNECTION") and not graphical:
        return "this is an SSH session with no display to open a browser on"
    import sys
    import webbrowser

    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")) and not graphical:
        return "no graphical display to open a browser on"
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return "no web browser was found"
    if getattr(browser, "name", "") in TEXT_BROWSERS:
        return "the only browser found runs in this terminal"
    return None


def open_web_link(node: Widget, url: str) -> None:
    """Open an http(s) link in the browser; refuse anything else, saying why."""
    ok, reason = openable_url(url)
    if not ok:
        node.notify(f"Not opened: {reason}.", severity="error", markup=False)
        return
    # A browser is the terminal's to find when the app runs in one (textual serve).
    problem = None if node.app.is_web else browser_problem()
    if problem:
        # Copied at once: the link may come from the article, the reference panel or an
        # attachment, each with its own copy key, and over SSH OSC 52 still reaches the
        # user's own clipboard.
        node.app.copy_to_clipboard(url)
        node.notify(
            f"Not opened: {problem}. The link was copied to the clipboard instead: {url}",
            severity="warning",
            timeout=8,
            markup=False,
        )
        return
    node.app.open_url(url)
    node.notify(f"Opening {url}", markup=False)


def copy_web_link(node: Widget, url: str) -> None:
    """Copy a validated http(s) URL to the clipboard with OSC 52 (works over SSH)."""
    ok, reason = openable_url(url)
    if not ok:
        node.notify(f"Not copied: {reason}.", severity="error", markup=False)
        return
    node.app.copy_to_clipboard(url)
    node.notify(f"Copied {url}", title="Clipboard", markup=False)
