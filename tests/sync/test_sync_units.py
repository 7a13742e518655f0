"""Item ids in both forms, the password sources' bounds, the push queue and its conflict rule."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest

from ketaread.core.models import ParsedArticle, ParsedFeed
from ketaread.core.store import Store
from ketaread.core.sync import accounts, state
from ketaread.core.sync.accounts import CredentialError, ServerAccount, resolve_password
from ketaread.core.sync.items import decimal_id, hex_id


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("tag:google.com,2005:reader/item/000661b55eef7072", "1796281469988978"),
        # All decimal digits, but the long form is hex all the same.
        ("tag:google.com,2005:reader/item/0000000000000010", "16"),
        ("1796281469988978", "1796281469988978"),
        (1796281469988978, "1796281469988978"),
        ("tag:google.com,2005:reader/item/xyz", None),
        ("-5", None),
        ("12abc", None),
        (None, None),
        (True, None),
        ("9" * 30, None),
    ],
)
def test_item_ids_in_both_forms(given: object, expected: str | None) -> None:
    """Hex long form and decimal short form give the same decimal id; junk gives None."""
    assert decimal_id(given) == expected


def test_hex_id_round_trips() -> None:
    """The hex long form sent in edit-tag is the decimal id's."""
    assert hex_id("1796281469988978") == "tag:google.com,2005:reader/item/000661b55eef7072"
    assert decimal_id(hex_id("42")) == "42"


def command_account(command: str) -> ServerAccount:
    return ServerAccount("a", "http://127.0.0.1/", "greader", "u", password_command=command)


def test_a_password_command_that_hangs_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command past the timeout is killed and reported."""
    monkeypatch.setattr(accounts, "PASSWORD_COMMAND_TIMEOUT", 0.5)
    started = time.monotonic()
    with pytest.raises(CredentialError, match=r"did not finish in 0\.5 s"):
        resolve_password(command_account(f"{sys.executable} -c 'import time; time.sleep(30)'"))
    assert time.monotonic() - started < 10


def test_a_password_command_that_floods_is_refused() -> None:
    """Output past the cap is refused without being read to the end."""
    flood = f"{sys.executable} -c 'import sys; sys.stdout.write(\"x\" * 10_000_000)'"
    with pytest.raises(CredentialError, match="more than 4096 bytes"):
        resolve_password(command_account(flood))


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (f"{sys.executable} -c 'import sys; sys.exit(3)'", "failed (exit status 3)"),
        ("/nonexistent/ketaread-password", "could not run"),
        ("echo 'unbalanced", "cannot be split"),
        ("true", "empty password"),
    ],
)
def test_password_command_failures(command: str, message: str) -> None:
    """Each failure is one line naming the command's problem."""
    with pytest.raises(CredentialError, match=re.escape(message)):
        resolve_password(command_account(command))


def test_a_password_command_gives_its_first_line() -> None:
    """`pass show` prints the password on the first line, then other fields."""
    assert resolve_password(command_account("printf 'secret\\nuser: me\\n'")) == "secret"


def test_a_password_file_must_be_private(tmp_path: Path) -> None:
    """Mode 640 is refused with the chmod to run; 600 is read."""
    secret = tmp_path / "pw"
    secret.write_text("hunter2\n")
    secret.chmod(0o640)
    private = ServerAccount("a", "http://127.0.0.1/", "greader", "u", password_file=str(secret))
    with pytest.raises(CredentialError, match=r"can be read by others.*chmod 600"):
        resolve_password(private)
    secret.chmod(0o600)
    assert resolve_password(private) == "hunter2"


def stored_server_articles(db: Path) -> tuple[Store, list[int]]:
    """A cache holding three articles of a server account, linked to item ids 1-3."""
    store = Store(db)
    state.ensure_tables(store)
    state.register(store, "acct", "greader", "http://127.0.0.1/", "u")
    feed = ParsedFeed(location="server:acct/feed/1", title="Feed")
    feed.articles = [ParsedArticle(uid=str(i), title=f"item {i}") for i in (1, 2, 3)]
    store.store_feed("server:acct", feed)
    state.link_items(
        store, "acct", "server:acct/feed/1", [(str(i), False, False) for i in (1, 2, 3)]
    )
    return store, sorted(store.article_ids())


def test_a_queued_local_change_wins_over_the_servers_state(tmp_db: Path) -> None:
    """Starred here (queued), the server still says unstarred and read: the star stays and
    waits; the read state, with nothing queued, comes from the server."""
    store, ids = stored_server_articles(tmp_db)
    try:
        store.toggle(ids[0], "starred")
        assert [c.kind for c in state.pending(store, "acct")] == ["starred"]
        changed = state.apply_states(store, "acct", unread={"2", "3"}, starred=set())
        assert changed == 1  # item 1 read on the server; its star did not change there
        row = store.rows([ids[0]])[0]
        assert row.starred and row.read
        assert [(c.item_id, c.kind, c.value) for c in state.pending(store, "acct")] == [
            ("1", "starred", True)
        ]
        # The server agrees later (another client starred it too): nothing left to push.
        state.apply_states(store, "acct", unread={"2", "3"}, starred={"1"})
        assert state.pending(store, "acct") == []
        assert store.rows([ids[0]])[0].starred
    finally:
        store.close()


def test_the_queue_holds_the_net_change_in_order(tmp_db: Path) -> None:
    """Changes queue in the order made; undoing one before a sync removes it; marks of
    articles that are not a server's queue nothing."""
    store, ids = stored_server_articles(tmp_db)
    try:
        store.toggle(ids[2], "read")
        store.set_starred(ids[0], True)
        store.set_read([ids[1]], True)
        store.toggle(ids[2], "read")  # undone
        assert [(c.item_id, c.kind, c.value) for c in state.pending(store, "acct")] == [
            ("1", "starred", True),
            ("2", "read", True),
        ]
        local = ParsedFeed(location="/tmp/local.xml", title="Local")
        local.articles = [ParsedArticle(uid="x", title="local")]
        store.store_feed("/tmp/local.xml", local)
        local_id = max(store.article_ids())
        store.toggle(local_id, "read")
        assert len(state.pending(store, "acct")) == 2
    finally:
        store.close()


def test_a_queued_change_outlives_its_deleted_article_and_the_id_given_again(
    tmp_db: Path,
) -> None:
    """Read here (queued), then deleted before the push: the change still waits for the
    server, also once a new article gets the deleted one's id (the largest plus one) and is
    read and starred in turn, and a sync linking it takes the server's state."""
    store, ids = stored_server_articles(tmp_db)
    try:
        newest = max(ids)
        store.set_read([newest], True)
        store.delete_articles([newest])
        local = ParsedFeed(location="/tmp/local.xml", title="Local")
        local.articles = [ParsedArticle(uid="x", title="local")]
        store.store_feed("/tmp/local.xml", local)
        assert max(store.article_ids()) == newest  # the same id, given again
        store.toggle(newest, "read")
        store.toggle(newest, "read")
        assert [(c.item_id, c.kind, c.value) for c in state.pending(store, "acct")] == [
            ("3", "read", True)
        ]
    finally:
        store.close()
