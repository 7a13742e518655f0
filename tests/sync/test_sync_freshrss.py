"""Sync against the real FreshRSS (both APIs), driven through ketaread's command line.

Every test subscribes feeds of its own on the shared FreshRSS, so the tests stay
independent; assertions look at those feeds only. Local changes are made through the
cache's own methods, the ones the reader's keys call.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from sync_support import FeedServer, FreshRSS

from cli_support import cli
from ketaread.core.store import Store
from ketaread.core.sync import state

APIS = ("greader", "fever")


def add_account(
    db: Path, config: Path, server: FreshRSS, api: str, tmp_path: Path, name: str | None = None
) -> str:
    """`ketaread server add` with a password file only its owner can read."""
    secret = tmp_path / f"{api}.password"
    secret.write_text(server.password + "\n")
    secret.chmod(0o600)
    url = server.greader_url if api == "greader" else server.fever_url
    name = name or api
    done = cli(
        db,
        config,
        "server",
        "add",
        url,
        "--api",
        api,
        "--user",
        server.user,
        "--name",
        name,
        "--password-file",
        str(secret),
    )
    assert done.returncode == 0, done.stderr
    return name


def articles(db: Path, feed_title: str) -> dict[str, tuple[bool, bool]]:
    """Title → (read, starred) of the cached articles of one feed, read as another process."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT a.title, a.read, a.starred FROM articles a JOIN feeds f ON f.id = a.feed_id "
            "WHERE f.title = ?",
            (feed_title,),
        ).fetchall()
    return {title: (bool(read), bool(starred)) for title, read, starred in rows}


def toggle(db: Path, title: str, what: str, copies: int = 1) -> None:
    """Flip an article's read or starred state the way the reader's keys do (the first
    of `copies` articles of that title: two accounts on one server hold two)."""
    store = Store(db)
    try:
        rows = store.search_titles(title)
        match = [r for r in rows if r.title == title]
        assert len(match) == copies, rows
        store.toggle(match[0].id, what)
    finally:
        store.close()


def queued(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COUNT(*) FROM sync_queue").fetchone()[0]


def subscribe(server: FreshRSS, feeds: FeedServer, name: str, count: int, folder: str) -> str:
    url = feeds.add(name, count)
    server.subscribe(url, folder)
    server.refresh()
    return url


@pytest.mark.parametrize("api", APIS)
def test_first_sync_stores_articles_with_folders_and_cleaned_content(
    api: str,
    freshrss: FreshRSS,
    feeds: FeedServer,
    tmp_db: Path,
    account_config: Path,
    tmp_path: Path,
) -> None:
    """The first sync stores every item of the server's feeds, cleaned, tagged with the
    feed's folder; `show --json` finds references and glossary terms in them."""
    name = f"first-{api}"
    subscribe(freshrss, feeds, name, 12, folder=f"Neuro {api}")
    add_account(tmp_db, account_config, freshrss, api, tmp_path)
    done = cli(tmp_db, account_config, "sync")
    assert done.returncode == 0, done.stderr
    assert f"+ {api}: synced" in done.stdout
    assert "1 account synced: 0 failed" in done.stdout  # not "1 accounts"
    cached = articles(tmp_db, name)
    assert len(cached) == 12
    assert not any(read or star for read, star in cached.values())
    listing = json.loads(cli(tmp_db, account_config, "list", "--json").stdout)
    mine = [a for a in listing if a["feed"] == name]
    assert {tuple(a["tags"]) for a in mine} == {(f"Neuro {api}",)}
    shown = json.loads(cli(tmp_db, account_config, "show", mine[0]["id"], "--json").stdout)
    assert "alert(1)" not in shown["markdown"]  # the script went with the feed cleaner
    assert "NMDA" in shown["markdown"]
    assert shown["references"], "the reference list was found in the server's article"
    assert any(t["term"].lower().startswith("nmda") for t in shown["terms"])


@pytest.mark.parametrize("api", APIS)
def test_incremental_sync_fetches_only_what_is_new(
    api: str,
    freshrss: FreshRSS,
    feeds: FeedServer,
    tmp_db: Path,
    account_config: Path,
    tmp_path: Path,
) -> None:
    """A second sync after FreshRSS fetched 3 more items stores exactly those 3."""
    name = f"incremental-{api}"
    subscribe(freshrss, feeds, name, 5, folder="Incremental")
    add_account(tmp_db, account_config, freshrss, api, tmp_path)
    assert cli(tmp_db, account_config, "sync").returncode == 0
    assert len(articles(tmp_db, name)) == 5
    feeds.add(name, 3, start=5)
    freshrss.refresh()
    mark = freshrss.log_mark()
    done = cli(tmp_db, account_config, "sync", api)
    assert done.returncode == 0, done.stderr
    assert ", 3 new, 0 updated articles" in done.stdout, done.stdout
    # Only what is new was asked for: `ot` (Google Reader) or a since_id past 0 (Fever).
    asked = [r for r in freshrss.requests_since(mark) if "contents" in r or "&items" in r]
    assert asked, freshrss.requests_since(mark)
    if api == "greader":
        assert all("ot=" in r for r in asked), asked
    else:
        assert all("since_id=" in r and "since_id=0" not in r for r in asked), asked
    assert len(articles(tmp_db, name)) == 8
    mark = freshrss.log_mark()
    again = cli(tmp_db, account_config, "sync", api)
    assert ", 0 new, 0 updated articles" in again.stdout, again.stdout
    # Nothing new: one small page of items is asked for, not the whole reading list again.
    asked = [r for r in freshrss.requests_since(mark) if "contents" in r or "&items" in r]
    assert len(asked) == 1, asked
    if api == "greader":
        assert "n=50&" in asked[0] + "&", asked


@pytest.mark.parametrize("api", APIS)
def test_read_and_star_go_both_ways(
    api: str,
    freshrss: FreshRSS,
    feeds: FeedServer,
    tmp_db: Path,
    account_config: Path,
    tmp_path: Path,
) -> None:
    """Marked read and starred here → on the server after a sync; and the reverse."""
    name = f"both-ways-{api}"
    url = subscribe(freshrss, feeds, name, 4, folder="Both")
    add_account(tmp_db, account_config, freshrss, api, tmp_path)
    assert cli(tmp_db, account_config, "sync").returncode == 0
    toggle(tmp_db, f"{name} item 0", "read")
    toggle(tmp_db, f"{name} item 1", "starred")
    assert queued(tmp_db) == 2
    done = cli(tmp_db, account_config, "sync", api)
    assert "2 changes pushed" in done.stdout, done.stdout
    assert queued(tmp_db) == 0
    on_server = freshrss.state(url)
    assert on_server[f"{name} item 0"] == (True, False)
    assert on_server[f"{name} item 1"] == (False, True)
    # The other way: another client marks item 2 read and item 3 starred, unstars item 1.
    ids = {item["title"]: item["id"] for item in freshrss.items(url)}
    freshrss.edit(ids[f"{name} item 2"], add="read")
    freshrss.edit(ids[f"{name} item 3"], add="starred")
    freshrss.edit(ids[f"{name} item 1"], remove="starred")
    done = cli(tmp_db, account_config, "sync", api)
    assert "3 changed on the server" in done.stdout, done.stdout
    assert articles(tmp_db, name) == {
        f"{name} item 0": (True, False),
        f"{name} item 1": (False, False),
        f"{name} item 2": (True, False),
        f"{name} item 3": (False, True),
    }
    assert queued(tmp_db) == 0


@pytest.mark.parametrize("api", APIS)
def test_a_local_change_not_yet_pushed_wins_over_the_server(
    api: str,
    freshrss: FreshRSS,
    feeds: FeedServer,
    tmp_db: Path,
    account_config: Path,
    tmp_path: Path,
) -> None:
    """Starred on the server before, unstarred here since: after the sync both say unstarred."""
    name = f"conflict-{api}"
    url = subscribe(freshrss, feeds, name, 2, folder="Conflict")
    ids = {item["title"]: item["id"] for item in freshrss.items(url)}
    freshrss.edit(ids[f"{name} item 0"], add="starred")
    add_account(tmp_db, account_config, freshrss, api, tmp_path)
    assert cli(tmp_db, account_config, "sync").returncode == 0
    assert articles(tmp_db, name)[f"{name} item 0"] == (False, True)
    toggle(tmp_db, f"{name} item 0", "starred")
    assert cli(tmp_db, account_config, "sync").returncode == 0
    assert articles(tmp_db, name)[f"{name} item 0"] == (False, False)
    assert freshrss.state(url)[f"{name} item 0"] == (False, False)


def test_marking_twice_before_a_sync_pushes_nothing(
    freshrss: FreshRSS, feeds: FeedServer, tmp_db: Path, account_config: Path, tmp_path: Path
) -> None:
    """Read then unread again before a sync: the queue holds the net change, none."""
    name = "net-change"
    url = subscribe(freshrss, feeds, name, 1, folder="Net")
    add_account(tmp_db, account_config, freshrss, "greader", tmp_path)
    assert cli(tmp_db, account_config, "sync").returncode == 0
    toggle(tmp_db, f"{name} item 0", "read")
    toggle(tmp_db, f"{name} item 0", "read")
    assert queued(tmp_db) == 0
    assert "0 changes pushed" in cli(tmp_db, account_config, "sync").stdout
    assert freshrss.state(url)[f"{name} item 0"] == (False, False)


def test_wrong_password_is_one_line_per_account_and_keeps_the_cache(
    freshrss: FreshRSS,
    feeds: FeedServer,
    tmp_db: Path,
    account_config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A password the server refuses: one line per account, exit 1, cache and queue kept."""
    name = "wrong-password"
    subscribe(freshrss, feeds, name, 3, folder="Wrong")
    add_account(tmp_db, account_config, freshrss, "greader", tmp_path, name="g")
    add_account(tmp_db, account_config, freshrss, "fever", tmp_path, name="f")
    assert cli(tmp_db, account_config, "sync").returncode == 0
    toggle(tmp_db, f"{name} item 0", "read", copies=2)
    for api in ("greader", "fever"):
        (tmp_path / f"{api}.password").write_text("not-the-password\n")
    done = cli(tmp_db, account_config, "sync")
    assert done.returncode == 1
    lines = [line for line in done.stdout.splitlines() if line.startswith("!")]
    assert len(lines) == 2, done.stdout
    assert all("refused the user name or password" in line for line in lines)
    assert "Traceback" not in done.stderr
    with sqlite3.connect(tmp_db) as conn:
        count = conn.execute(
            "SELECT COUNT(*) FROM articles a JOIN feeds f ON f.id = a.feed_id WHERE f.title = ?",
            (name,),
        ).fetchone()[0]
    assert count == 6  # three under each account
    assert queued(tmp_db) == 1
    sources = cli(tmp_db, account_config, "sources").stdout
    assert sources.count("refused the user name or password") == 2
    assert "1 local change waits to be pushed" in sources


def test_server_down_then_restarted_loses_nothing_and_pushes_the_queue(
    freshrss: FreshRSS, feeds: FeedServer, tmp_db: Path, account_config: Path, tmp_path: Path
) -> None:
    """FreshRSS stopped: the sync says so in one line and keeps everything; changes made
    offline are queued; after the server restarts (same data) they reach it."""
    name = "restart"
    url = subscribe(freshrss, feeds, name, 3, folder="Restart")
    add_account(tmp_db, account_config, freshrss, "greader", tmp_path)
    assert cli(tmp_db, account_config, "sync").returncode == 0
    port = freshrss.port
    freshrss.down()
    try:
        toggle(tmp_db, f"{name} item 0", "read")
        toggle(tmp_db, f"{name} item 2", "starred")
        done = cli(tmp_db, account_config, "refresh")
        assert done.returncode == 1, done.stdout  # nothing else to read, and it failed
        assert f"! greader: error — connection refused by 127.0.0.1:{port}" in done.stdout
        assert "2 local changes wait to be pushed" in done.stdout
        assert len(articles(tmp_db, name)) == 3
        assert queued(tmp_db) == 2
        shown = cli(tmp_db, account_config, "sources").stdout
        assert "connection refused" in shown and "2 local changes wait" in shown
    finally:
        freshrss.up(port)
    done = cli(tmp_db, account_config, "sync")
    assert done.returncode == 0, done.stdout
    assert "2 changes pushed" in done.stdout
    on_server = freshrss.state(url)
    assert on_server[f"{name} item 0"] == (True, False)
    assert on_server[f"{name} item 2"] == (False, True)
    assert queued(tmp_db) == 0


def test_password_sources(
    freshrss: FreshRSS,
    tmp_db: Path,
    account_config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A command (run without a shell), an owner-only file or an environment variable; never
    the password in the config; a file others can read and a wrong password are refused."""
    kept = tmp_path / "kept" / "secret password"  # a space: split like a shell, no shell
    kept.parent.mkdir()
    kept.write_text(freshrss.password + "\n")
    command = f"cat '{kept}'"
    done = cli(
        tmp_db,
        account_config,
        "server",
        "add",
        freshrss.greader_url,
        "--api",
        "greader",
        "--user",
        freshrss.user,
        "--name",
        "cmd",
        "--password-command",
        command,
    )
    assert done.returncode == 0, done.stderr
    monkeypatch.setenv("KETAREAD_TEST_PASSWORD", freshrss.password)
    done = cli(
        tmp_db,
        account_config,
        "server",
        "add",
        freshrss.fever_url,
        "--api",
        "fever",
        "--user",
        freshrss.user,
        "--name",
        "env",
        "--password-env",
        "KETAREAD_TEST_PASSWORD",
    )
    assert done.returncode == 0, done.stderr
    assert "subscriptions are read-only" in done.stdout
    open_file = tmp_path / "shared.password"
    open_file.write_text(freshrss.password)
    open_file.chmod(0o644)
    done = cli(
        tmp_db,
        account_config,
        "server",
        "add",
        freshrss.greader_url,
        "--api",
        "greader",
        "--user",
        freshrss.user,
        "--name",
        "file",
        "--password-file",
        str(open_file),
    )
    assert done.returncode == 1
    assert "can be read by others" in done.stderr and "chmod 600" in done.stderr
    wrong = cli(
        tmp_db,
        account_config,
        "server",
        "add",
        freshrss.fever_url,
        "--api",
        "fever",
        "--user",
        freshrss.user,
        "--name",
        "wrong",
        "--password-command",
        "echo nope",
    )
    assert wrong.returncode == 1
    assert "refused the user name or password" in wrong.stderr
    config_text = account_config.read_text()
    assert freshrss.password not in config_text
    assert "[[server]]" in config_text
    listed = json.loads(cli(tmp_db, account_config, "server", "list", "--json").stdout)
    assert [(s["server"], s["api"]) for s in listed] == [("cmd", "greader"), ("env", "fever")]
    assert freshrss.password not in json.dumps(listed)
    assert cli(tmp_db, account_config, "sync").returncode == 0
    removed = cli(tmp_db, account_config, "server", "remove", "env")
    assert removed.returncode == 0, removed.stderr
    store = Store(tmp_db)
    try:
        assert not [f for f in store.feeds() if f.source == "server:env"]
        assert state.account_state(store, "env") is None
    finally:
        store.close()
    assert "env" not in cli(tmp_db, account_config, "server", "list").stdout


def test_shell_syntax_in_a_password_command_is_not_run_by_a_shell(
    tmp_db: Path, account_config: Path, tmp_path: Path
) -> None:
    """`echo x; touch FILE` is echo's arguments, not two commands."""
    marker = tmp_path / "ran"
    done = cli(
        tmp_db,
        account_config,
        "server",
        "add",
        "http://127.0.0.1:9/api/greader.php",
        "--api",
        "greader",
        "--user",
        "u",
        "--password-command",
        f"echo x; touch {marker}",
    )
    assert not marker.exists()
    assert done.returncode == 1  # the server at port 9 refuses: not added
    assert os.path.exists(account_config) is False or "[[server]]" not in account_config.read_text()


def test_add_and_remove_a_feed_on_a_google_reader_account(
    freshrss: FreshRSS,
    feeds: FeedServer,
    tmp_db: Path,
    account_config: Path,
    tmp_path: Path,
) -> None:
    """`add URL --server` subscribes on the server (in the folder given), the next sync
    reads it; `remove URL --server` unsubscribes there and drops its cached articles; a
    Fever account refuses, saying why."""
    name = "added-from-ketaread"
    url = feeds.add(name, 2)
    add_account(tmp_db, account_config, freshrss, "greader", tmp_path, name="g")
    add_account(tmp_db, account_config, freshrss, "fever", tmp_path, name="f")
    done = cli(tmp_db, account_config, "add", url, "--server", "g", "--tag", "From ketaread")
    assert done.returncode == 0, done.stderr
    listing = json.loads(
        freshrss._open(f"{freshrss.greader_url}/reader/api/0/subscription/list?output=json")
    )
    mine = [s for s in listing["subscriptions"] if s["url"] == url]
    assert [c["label"] for c in mine[0]["categories"]] == ["From ketaread"]
    assert cli(tmp_db, account_config, "sync", "g").returncode == 0
    assert len(articles(tmp_db, name)) == 2
    refused = cli(tmp_db, account_config, "remove", url, "--server", "f")
    assert refused.returncode == 1
    assert "Fever API, which cannot change subscriptions" in refused.stderr
    done = cli(tmp_db, account_config, "remove", url, "--server", "g")
    assert done.returncode == 0, done.stderr
    assert "removed 2 cached articles" in done.stdout
    listing = json.loads(
        freshrss._open(f"{freshrss.greader_url}/reader/api/0/subscription/list?output=json")
    )
    assert not [s for s in listing["subscriptions"] if s["url"] == url]
    assert articles(tmp_db, name) == {}
    again = cli(tmp_db, account_config, "remove", url, "--server", "g")
    assert again.returncode == 1 and "is not subscribed to" in again.stderr
