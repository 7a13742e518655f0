"""Server commands as a new user meets them: a wrong URL, a Fever account, `--offline sync`.

Found trying FreshRSS by hand: its Google Reader URL with `--api fever` gave "HTTP 400 Bad
Request", and the server's own address was answered "redirects to /accounts/i/…; use that
URL" (its login page). The replies come from a real loopback HTTP server.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from tests.conftest import RunCli
from werkzeug import Response


def _add(run_cli: RunCli, url: str, api: str, tmp_path: Path) -> tuple[int, str, str]:
    secret = tmp_path / "password"
    secret.write_text("pw\n")
    secret.chmod(0o600)
    return run_cli(
        "server", "add", url, "--api", api, "--user", "me", "--password-file", str(secret)
    )


@pytest.mark.parametrize(
    ("path", "api", "expected"),
    [
        ("/api/greader.php", "fever", "Google Reader API endpoint: use --api greader"),
        ("/api/fever.php", "greader", "Fever API endpoint: use --api fever"),
    ],
)
def test_freshrss_endpoint_of_the_other_api_is_named_without_a_request(
    run_cli: RunCli, httpserver: HTTPServer, tmp_path: Path, path: str, api: str, expected: str
) -> None:
    code, out, err = _add(run_cli, httpserver.url_for(path), api, tmp_path)
    assert code == 1 and out == ""
    assert expected in err
    other = "fever.php" if path.endswith("greader.php") else "greader.php"
    assert httpserver.url_for(f"/api/{other}") in err
    assert httpserver.log == []  # refused before contacting the server


def test_the_servers_own_address_is_answered_with_freshrss_endpoint(
    run_cli: RunCli, httpserver: HTTPServer, tmp_path: Path
) -> None:
    """A redirect to the login page: no advice to use the login page as the API."""
    httpserver.expect_request("/accounts/ClientLogin").respond_with_response(
        Response(status=302, headers={"Location": "/i/?rid=1"})
    )
    code, _out, err = _add(run_cli, httpserver.url_for("/"), "greader", tmp_path)
    assert code == 1
    assert "redirects to /i/?rid=1" in err
    assert "use that URL" not in err
    assert f"FreshRSS's would be {httpserver.url_for('/api/greader.php')}" in err
    assert err.count("\n") == 1


def test_a_missing_page_names_where_freshrss_serves_the_api(
    run_cli: RunCli, httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/api/nope.php").respond_with_response(Response(status=404))
    code, _out, err = _add(run_cli, httpserver.url_for("/api/nope.php"), "fever", tmp_path)
    assert code == 1
    assert "HTTP 404" in err
    assert f"FreshRSS's would be {httpserver.url_for('/api/fever.php')}" in err


def test_a_wrong_password_gets_no_endpoint_hint(
    run_cli: RunCli, httpserver: HTTPServer, tmp_path: Path
) -> None:
    """The URL was right: a hint about it would send the user the wrong way."""
    httpserver.expect_request("/api/greader.php/accounts/ClientLogin").respond_with_response(
        Response(status=401)
    )
    code, _out, err = _add(run_cli, httpserver.url_for("/api/greader.php"), "greader", tmp_path)
    assert code == 1
    assert "refused the user name or password" in err
    assert "FreshRSS's would be" not in err


def test_a_fever_account_refuses_to_subscribe_naming_itself_once(
    run_cli: RunCli, httpserver: HTTPServer, tmp_path: Path
) -> None:
    """It said "server home-fever: home-fever uses the Fever API, …"; no request is sent."""
    url = httpserver.url_for("/api/fever.php")
    secret = tmp_path / "password"
    secret.write_text("pw\n")
    secret.chmod(0o600)
    code, _out, err = run_cli(
        "server", "add", url, "--api", "fever", "--user", "me", "--password-file",
        str(secret), "--name", "home-fever", "--no-check",
    )  # fmt: skip
    assert code == 0, err
    code, _out, err = run_cli("add", "https://example.org/feed.xml", "--server", "home-fever")
    assert code == 1
    assert "Fever API, which cannot change subscriptions" in err
    assert err.count("home-fever") == 1
    assert httpserver.log == []


def test_sync_offline_does_not_count_the_accounts_as_synced(
    run_cli: RunCli, httpserver: HTTPServer, tmp_path: Path
) -> None:
    """`ketaread --offline sync` printed "2 accounts synced: 0 failed" under two lines
    saying each was not synced."""
    secret = tmp_path / "password"
    secret.write_text("pw\n")
    secret.chmod(0o600)
    for api in ("greader", "fever"):
        code, _out, err = run_cli(
            "server", "add", httpserver.url_for(f"/api/{api}.php"), "--api", api,
            "--user", "me", "--password-file", str(secret), "--no-check",
        )  # fmt: skip
        assert code == 0, err
    code, out, _err = run_cli("--offline", "sync")
    assert code == 0
    assert out.count("not synced (--offline)") == 2
    assert out.splitlines()[-1] == "0 of 2 accounts synced: 0 failed"
    assert httpserver.log == []


def test_removing_an_account_with_one_change_waiting_says_it_in_the_singular(
    run_cli: RunCli, tmp_db: Path, tmp_config: Path
) -> None:
    """It said "1 local changes were never pushed"."""
    from ketaread.core.models import ParsedArticle, ParsedFeed
    from ketaread.core.store import Store
    from ketaread.core.sync import state

    tmp_config.parent.mkdir(parents=True, exist_ok=True)
    tmp_config.write_text(
        '[[server]]\nname = "home"\nurl = "http://127.0.0.1:9/api/greader.php"\n'
        'api = "greader"\nuser = "me"\npassword_env = "KETAREAD_NO_SUCH_VARIABLE"\n'
    )
    store = Store(tmp_db)
    try:
        state.ensure_tables(store)
        state.register(store, "home", "greader", "http://127.0.0.1:9/api/greader.php", "me")
        feed = ParsedFeed(location="server:home/feed/1", title="Notes")
        feed.articles = [ParsedArticle(uid="101", title="One", html="<p>NMDA.</p>")]
        store.store_feed("server:home", feed)
        state.link_items(store, "home", feed.location, [("101", False, False)])
        store.toggle(store.article_ids()[0], "read")
    finally:
        store.close()
    code, _out, err = run_cli("server", "remove", "home")
    assert code == 1
    assert "server home: 1 local change waits to be pushed;" in err
    assert "--force to drop it" in err


@pytest.mark.parametrize("given", ["home", "server:home"])
def test_refresh_of_an_account_name_points_to_sync(
    run_cli: RunCli, tmp_path: Path, given: str
) -> None:
    """It said "not a configured source … (or `ketaread add` it first)"."""
    secret = tmp_path / "password"
    secret.write_text("pw\n")
    secret.chmod(0o600)
    code, _out, err = run_cli(
        "server", "add", "http://127.0.0.1:9/api/greader.php", "--api", "greader",
        "--user", "me", "--password-file", str(secret), "--name", "home", "--no-check",
    )  # fmt: skip
    assert code == 0, err
    code, out, err = run_cli("refresh", given)
    assert code == 1 and out == ""
    assert f"{given}: a server account, synced by `ketaread sync home`" in err


def test_mark_all_of_a_feed_title_two_accounts_share_lists_their_locations(
    run_cli: RunCli, tmp_db: Path
) -> None:
    """The same server synced over both APIs: "'Feed 3' names 2 feeds; give its location
    instead", and no command shows a server feed's location."""
    from ketaread.core.models import ParsedArticle, ParsedFeed
    from ketaread.core.store import Store

    store = Store(tmp_db)
    try:
        for name in ("home-greader", "home-fever"):
            feed = ParsedFeed(location=f"server:{name}/feed/4", title="Feed 3")
            feed.articles = [ParsedArticle(uid="1", title="One", html="<p>NMDA.</p>")]
            store.store_feed(f"server:{name}", feed)
    finally:
        store.close()
    code, _out, err = run_cli("mark", "--all", "--feed", "Feed 3", "--read")
    assert code == 1
    assert "server:home-greader/feed/4" in err and "server:home-fever/feed/4" in err
    code, _out, err = run_cli("mark", "--all", "--feed", "server:home-fever/feed/4", "--read")
    assert code == 0, err
