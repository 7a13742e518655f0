"""`ketaread sync` shows its progress on stderr while a first sync of many items runs.

A new user's first sync of a few thousand items printed nothing for 10-20 s. The server
here is a real loopback HTTP server speaking the Fever API; the cache a real SQLite file.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

from pytest_httpserver import HTTPServer
from tests.conftest import RunCli
from werkzeug import Request, Response

from ketaread.core.store import Store
from ketaread.core.sync.accounts import ServerAccount
from ketaread.core.sync.engine import AccountReport, sync_account

ITEMS = 1_200  # 24 Fever pages of 50


def _fever(request: Request) -> Response:
    """Two feeds and ITEMS items, 50 a page above `since_id`, as FreshRSS's fever.php."""
    query = urllib.parse.parse_qs(request.query_string.decode(), keep_blank_values=True)
    reply: dict[str, object] = {"api_version": 3, "auth": 1}
    if "groups" in query:
        reply["groups"] = [{"id": 1, "title": "Neuro"}]
        reply["feeds_groups"] = [{"group_id": 1, "feed_ids": "1,2"}]
    elif "feeds" in query:
        reply["feeds"] = [
            {"id": n, "title": f"Feed {n}", "url": f"https://example.org/{n}.xml"} for n in (1, 2)
        ]
    elif "items" in query:
        since = int(query.get("since_id", ["0"])[0] or 0)
        reply["items"] = [
            {
                "id": n,
                "feed_id": 1 + n % 2,
                "title": f"Ketamine and NMDA receptors, part {n}",
                "url": f"https://example.org/a/{n}",
                "html": f"<p>Article {n} on glutamate and synaptic plasticity.</p>",
                "created_on_time": 1_700_000_000 + n,
                "is_read": 0,
                "is_saved": 0,
            }
            for n in range(since + 1, min(since + 50, ITEMS) + 1)
        ]
    elif "unread_item_ids" in query:
        reply["unread_item_ids"] = ""
    elif "saved_item_ids" in query:
        reply["saved_item_ids"] = ""
    return Response(json.dumps(reply), content_type="application/json")


def test_the_engine_reports_counts_after_each_batch(
    httpserver: HTTPServer, tmp_db: Path, tmp_path: Path
) -> None:
    httpserver.expect_request("/api/fever.php").respond_with_handler(_fever)
    secret = tmp_path / "password"
    secret.write_text("pw\n")
    secret.chmod(0o600)
    account = ServerAccount(
        name="home",
        url=httpserver.url_for("/api/fever.php"),
        api="fever",
        user="me",
        password_file=str(secret),
    )
    seen: list[tuple[int, int]] = []

    def progress(report: AccountReport) -> None:
        seen.append((report.feeds, report.new))

    store = Store(tmp_db)
    try:
        report = sync_account(store, account, progress=progress)
    finally:
        store.close()
    assert report.status == "synced", report.message
    assert report.new == ITEMS
    assert seen[0] == (2, 0)  # the feeds are listed before any item is stored
    counts = [new for _, new in seen]
    assert counts == sorted(counts) and counts[-1] == ITEMS
    assert len(set(counts)) > 2  # more than a start and an end


def test_sync_prints_progress_on_stderr_and_keeps_stdout_one_line_an_account(
    run_cli: RunCli, httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/api/fever.php").respond_with_handler(_fever)
    secret = tmp_path / "password"
    secret.write_text("pw\n")
    secret.chmod(0o600)
    code, _out, err = run_cli(
        "server", "add", httpserver.url_for("/api/fever.php"), "--api", "fever",
        "--user", "me", "--password-file", str(secret), "--name", "home", "--no-check",
    )  # fmt: skip
    assert code == 0, err
    code, out, err = run_cli("sync")
    assert code == 0, err
    assert out.splitlines() == [
        "+ home: synced 2 feeds, 1,200 new, 0 updated articles, 0 changes pushed, "
        "1,200 changed on the server",  # none unread on the server
        "1 account synced: 0 failed",
    ]
    progress = [line for line in err.splitlines() if line.startswith("ketaread: syncing home: ")]
    assert progress, err
    assert progress[0] == "ketaread: syncing home: 2 feeds, 0 new articles so far"
    code, out, err = run_cli("refresh")  # syncs the accounts after the sources, the same way
    assert code == 0, err
    assert "ketaread: syncing home: 2 feeds, 0 new articles so far" in err.splitlines()
