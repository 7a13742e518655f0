"""A feed-server account in the sidebar, from a cache alone (no server: the reader is offline)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from ui_support import settle_pilot

from ketaread.cli import make_app
from ketaread.core.models import ParsedArticle, ParsedFeed
from ketaread.core.store import Store
from ketaread.core.sync import state

SnapCompare = Callable[..., bool]
SYNCED = 1_796_000_000.0
"""2026-11-30 00:53 UTC: the last sync that worked."""


def server_cache(db: Path, config: Path, name: str = "home") -> None:
    """Two server feeds in two folders, a failed last sync and one change waiting."""
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f'[[server]]\nname = "{name}"\nurl = "http://127.0.0.1:9/api/greader.php"\n'
        'api = "greader"\nuser = "me"\npassword_env = "KETAREAD_NO_SUCH_VARIABLE"\n'
    )
    store = Store(db)
    try:
        state.ensure_tables(store)
        state.register(store, name, "greader", "http://127.0.0.1:9/api/greader.php", "me")
        for number, title, folder in (
            (1, "Glutamate notes", "Neuroscience"),
            (2, "[bold]Clinic[/] letters", "Clinics"),
        ):
            feed = ParsedFeed(location=f"server:{name}/feed/{number}", title=title)
            feed.articles = [
                ParsedArticle(
                    uid=str(number * 100 + i),
                    title=f"{title}: issue {i}",
                    published=SYNCED - 86400 * i,
                    tags=[folder],
                    html="<p>NMDA receptors.</p>",
                )
                for i in range(1, 4)
            ]
            store.store_feed(f"server:{name}", feed, now=SYNCED)
            items = [(a.uid, False, False) for a in feed.articles]
            state.link_items(store, name, feed.location, items)
        state.record_result(store, name, cursor="103", now=SYNCED)
        state.record_result(
            store, name, error="connection refused by 127.0.0.1:9", now=SYNCED + 3600
        )
        store.toggle(store.article_ids()[0], "read")
    finally:
        store.close()


@pytest.mark.usefixtures("stable_clock")
def test_sidebar_with_a_failing_server_account(
    tmp_db: Path, tmp_config: Path, snap_compare: SnapCompare
) -> None:
    """SERVER home marked failing, its error and waiting change under it, its folders and
    feeds (a title with markup shown literally), at 80×24 with the sidebar shown."""
    server_cache(tmp_db, tmp_config)
    app = make_app(db=tmp_db, config=tmp_config, offline=True)

    async def run_before(pilot: Pilot) -> None:
        await settle_pilot(pilot)
        await pilot.press("t")
        await settle_pilot(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_a_long_account_name_is_cut_not_wrapped_when_t_shows_the_sidebar(
    tmp_db: Path, tmp_config: Path
) -> None:
    """At 80 columns the sidebar starts hidden and is filled at a guessed width; `t` laid
    the entries out again but not the account's heading: "SERVER 127.0.0.1-greade" / "r"."""
    name = "127.0.0.1-greader"
    server_cache(tmp_db, tmp_config, name)
    app = make_app(db=tmp_db, config=tmp_config, offline=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle_pilot(pilot)
        await pilot.press("t")
        await settle_pilot(pilot)
        sidebar = app.main_screen.sidebar
        heading = sidebar.get_option(f"server:{name}").prompt
        first_line = str(heading).split("\n")[0]
        assert first_line.startswith("! SERVER 127.0")
        assert first_line.endswith("…")
        assert len(first_line) <= sidebar.scrollable_content_region.width


async def test_r_on_a_server_feed_syncs_its_account_not_a_file_named_after_it(
    tmp_db: Path, tmp_config: Path
) -> None:
    """`R` on a server account's feed read "server:home" as a local path: "Source failed:
    no such file or folder", and a failing feed of that name was cached for good."""
    import sqlite3

    from ui_support import messages, wait_until

    server_cache(tmp_db, tmp_config)
    app = make_app(db=tmp_db, config=tmp_config, offline=False)
    async with app.run_test(size=(120, 40)) as pilot:
        # The start-up refresh first (its sync fails: the password variable is not set).
        await wait_until(
            pilot, lambda: "(at " in (app.refresh_message or "") and not app.refreshing
        )
        screen = app.main_screen
        said: list[str] = []
        say = screen.say
        screen.say = lambda message, **kw: (said.append(message), say(message, **kw))  # type: ignore[method-assign]
        feed = next(f for f in screen.sidebar_data.feeds if f.title == "Glutamate notes")
        screen.sidebar.focus()
        screen.sidebar.highlighted = screen.sidebar.get_option_index(f"feed:{feed.id}")
        app.refresh_message = None
        await pilot.press("R")
        assert said == ["Syncing home, the server account Glutamate notes comes from…"]
        await wait_until(
            pilot, lambda: "(at " in (app.refresh_message or "") and not app.refreshing
        )
        await settle_pilot(pilot)
        # The account's sync alone ran (it said "1 feed checked: … 1 failed").
        assert app.refresh_message.startswith("0 of 1 server account synced (at ")
        assert "no such file" not in " ".join(messages(app))
    with sqlite3.connect(tmp_db) as conn:
        assert (
            conn.execute("SELECT COUNT(*) FROM feeds WHERE location = 'server:home'").fetchone()[0]
            == 0
        )


async def test_a_long_error_is_cut_to_two_lines_under_the_account_and_the_feed(
    tmp_db: Path, tmp_config: Path
) -> None:
    """A failing server's note ran to about 9 lines at 80 columns; a failing local feed's
    the same. Each is cut to two lines (the whole of it is in `ketaread sources`)."""
    server_cache(tmp_db, tmp_config)
    error = (
        "cannot reach http://127.0.0.1:9/api/greader.php: connection refused (is the "
        "server running, and is the URL the API's? FreshRSS serves it at "
        "/api/greader.php under its own address; see `ketaread server check home`)"
    )
    store = Store(tmp_db)
    try:
        state.record_result(store, "home", error=error, now=SYNCED + 7200)
        local = ParsedFeed(location="/tmp/gone.xml", title="Local")
        local.articles = [ParsedArticle(uid="1", title="Local notes", html="<p>Ketamine.</p>")]
        store.store_feed("/tmp/gone.xml", local, now=SYNCED)
        store.record_check("/tmp/gone.xml", "/tmp/gone.xml", error=error, now=SYNCED + 7200)
        feed_id = next(f.id for f in store.feeds() if f.location == "/tmp/gone.xml")
    finally:
        store.close()
    app = make_app(db=tmp_db, config=tmp_config, offline=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle_pilot(pilot)
        await pilot.press("t")
        await settle_pilot(pilot)
        sidebar = app.main_screen.sidebar
        width = sidebar.scrollable_content_region.width
        for option_id in ("server:home", f"feed:{feed_id}"):
            lines = str(sidebar.get_option(option_id).prompt).split("\n")
            assert len(lines) == 3, lines  # the entry and two lines of its note
            assert all(len(line) <= width for line in lines), (width, lines)
            # The reason first: "cached — last synced …" filled both lines.
            assert lines[1].startswith("  cannot reach") and lines[2].endswith("…")
