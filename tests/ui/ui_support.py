"""Helpers shared by the UI tests: waiting for workers, reading the screen as text."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from textual.app import App
from textual.pilot import Pilot
from textual.worker import Worker, WorkerState

Settle = Callable[[Pilot], Awaitable[None]]


async def settle_pilot(pilot: Pilot) -> None:
    """Wait until the workers (and what they schedule on the UI thread) are done."""
    app = pilot.app
    for _ in range(6):
        await app.workers.wait_for_complete()
        await pilot.pause()  # what the workers handed to the UI thread runs, and is drawn
        if not busy_workers(app):
            return


def busy_workers(app: App) -> list[Worker]:
    """The app's workers still pending or running (a cancelled one counts as done)."""
    return [w for w in app.workers if w.state in (WorkerState.PENDING, WorkerState.RUNNING)]


def screen_text(app: App) -> str:
    """The plain text of the screen on top, as composited."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def messages(app: App) -> list[str]:
    """The notifications the app has shown (and not yet expired), oldest first."""
    return [notification.message for notification in app._notifications]


def article_id_titled(app: App, start: str) -> int:
    """The id of the cached article titled `start`, or else the one whose title starts so."""
    store = app.store  # type: ignore[attr-defined]
    rows = store.rows(store.article_ids())
    matches = [row.id for row in rows if row.title == start]
    matches = matches or [row.id for row in rows if row.title.startswith(start)]
    assert len(matches) == 1, f"{start!r} names {len(matches)} articles"
    return matches[0]


async def open_titled(pilot: Pilot, start: str) -> int:
    """Put the list cursor on the article titled `start…`, press Enter and wait; its id."""
    app = pilot.app
    screen = app.main_screen  # type: ignore[attr-defined]
    article_id = article_id_titled(app, start)
    screen.article_list.focus()
    assert screen.article_list.move_to(article_id)
    await pilot.press("enter")
    await settle_pilot(pilot)
    assert screen.detail is not None and screen.detail.row.id == article_id
    return article_id


def find_on_screen(app: App, needle: str) -> tuple[int, int]:
    """Screen (x, y) of the middle of the first place `needle` is shown; fails if nowhere."""
    from rich.cells import cell_len

    for y, line in enumerate(screen_text(app).splitlines()):
        column = line.find(needle)
        if column >= 0:
            return cell_len(line[:column]) + cell_len(needle) // 2, y
    raise AssertionError(f"{needle!r} is not on screen")


async def wait_until(pilot: Pilot, condition: Callable[[], bool], within: float = 30.0) -> bool:
    """Let the app run until `condition()` holds (True) or `within` seconds pass (False).

    For what a worker does in its own time: a fixed pause is too short on a loaded machine.
    """
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        await pilot.pause(0.05)
    return True
