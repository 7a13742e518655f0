"""The reader with a FreshRSS account: its sidebar entry, R syncing it, marks pushed."""

from __future__ import annotations

import time
from pathlib import Path

from sync_support import FeedServer, FreshRSS
from test_sync_freshrss import add_account, subscribe
from textual.pilot import Pilot

from ketaread.app import KetareadApp
from ketaread.cli import make_app


def sidebar_lines(app: KetareadApp) -> list[str]:
    """Every sidebar entry's text (headings, notes and counts included)."""
    sidebar = app.main_screen.sidebar  # type: ignore[attr-defined]
    return [str(sidebar.get_option_at_index(i).prompt) for i in range(sidebar.option_count)]


async def until_refreshed(pilot: Pilot, app: KetareadApp, timeout: float = 60.0) -> None:
    """Wait for the background refresh (feeds and accounts) and its redraw."""
    deadline = time.monotonic() + timeout
    # The start-up refresh begins after the first frame, later on a loaded machine: wait
    # until it has begun (or ended) rather than a fixed pause (R sets `refreshing` at once).
    while not (app.refreshing or " (at " in (app.refresh_message or "")):
        assert time.monotonic() < deadline, "the refresh did not start"
        await pilot.pause(0.05)
    while app.refreshing:
        assert time.monotonic() < deadline, "the refresh did not finish"
        await pilot.pause(0.1)
    await app.workers.wait_for_complete()
    await pilot.pause(0.2)


async def test_an_account_is_a_source_with_its_folders_and_R_syncs_it(
    freshrss: FreshRSS, feeds: FeedServer, tmp_db: Path, account_config: Path, tmp_path: Path
) -> None:
    """Synced at start: a SERVER heading, its folder and its feed; R brings a feed added on
    the server and pushes a read mark made with `m`; with the server down, R leaves one
    line under the heading and keeps every article."""
    name = "reader-ui"
    url = subscribe(freshrss, feeds, name, 3, folder="Reader Folder")
    add_account(tmp_db, account_config, freshrss, "greader", tmp_path, name="home")
    app = make_app(db=tmp_db, config=account_config)
    async with app.run_test(size=(120, 50)) as pilot:
        await until_refreshed(pilot, app)
        lines = sidebar_lines(app)
        assert "SERVER home" in lines
        assert any(line.startswith("▸ Reader Folder") for line in lines), lines
        assert any(line.startswith(name) for line in lines), lines
        assert "home: synced" in (app.refresh_message or "") or "1 of 1 server" in (
            app.refresh_message or ""
        )
        # Read one of its articles with the reader's key.
        screen = app.main_screen
        assert screen.sidebar.choose(
            next(
                option_id
                for option_id, (_flt, label) in screen.sidebar._filters.items()
                if label == name
            )
        )
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        screen.article_list.focus()
        current = screen.article_list.current
        assert current is not None and current.feed_title == name
        await pilot.press("m")
        await app.workers.wait_for_complete()
        # A feed added on the server meanwhile; R syncs both ways.
        subscribe(freshrss, feeds, f"{name}-later", 2, folder="Reader Folder")
        await pilot.press("R")
        await until_refreshed(pilot, app)
        assert any(line.startswith(f"{name}-later") for line in sidebar_lines(app))
        read_on_server = [t for t, (read, _s) in freshrss.state(url).items() if read]
        assert read_on_server == [current.title]
        # The server goes away: R reports it under the account; the articles stay.
        port = freshrss.port
        freshrss.down()
        try:
            await pilot.press("R")
            await until_refreshed(pilot, app)
            lines = sidebar_lines(app)
            heading = next(line for line in lines if "SERVER home" in line)
            assert heading.startswith("! SERVER home"), heading
            # The note wraps to the sidebar's width (two lines at most).
            assert f"connection refused by 127.0.0.1:{port}" in " ".join(heading.split())
            assert any(line.startswith(name) and line.rstrip().endswith("3") for line in lines)
        finally:
            freshrss.up(port)
