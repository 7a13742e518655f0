"""The real FreshRSS kit, a loopback feed server and a cutting proxy, for the sync tests.

The kit lives outside the repository: `../shared/servers/freshrss` beside the clone (CI
clones the repo into a folder with `shared/` beside it), or KETAREAD_FRESHRSS_KIT.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
KIT_ENV = "KETAREAD_FRESHRSS_KIT"


def find_kit() -> tuple[Path | None, str]:
    """The kit's folder, or None with the reason it was not found."""
    given = os.environ.get(KIT_ENV)
    if given:
        path = Path(given).expanduser()
        return (path, "") if (path / "up").is_file() else (None, f"{KIT_ENV}={given} has no `up`")
    candidate = REPO_ROOT.parent / "shared" / "servers" / "freshrss"
    if (candidate / "up").is_file():
        return candidate, ""
    return None, f"the FreshRSS kit is absent ({candidate}; or set {KIT_ENV})"


def php_missing_reason() -> str | None:
    """Why `up` cannot run here (no PHP and not root to install it), or None."""
    if shutil.which("php") or os.geteuid() == 0:
        return None
    return "php is not installed and `up` needs root to install it (see the kit's README)"


class FreshRSS:
    """A running FreshRSS started by the kit's `up`, with API helpers for the tests."""

    def __init__(self, kit: Path, folder: Path) -> None:
        self.kit = kit
        self.folder = folder
        self.info: dict[str, object] = {}
        self._auth: str | None = None

    def up(self, port: int | None = None) -> None:
        """Start (or restart) the server; the kit prints one JSON line."""
        args = ["bash", str(self.kit / "up"), str(self.folder)]
        if port:
            args.append(str(port))
        done = subprocess.run(args, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"FreshRSS `up` failed: {done.stderr[-2000:]}")
        self.info = json.loads(done.stdout.strip().splitlines()[-1])
        self._auth = None

    def down(self) -> None:
        """Stop the server (its data stays)."""
        subprocess.run(
            ["bash", str(self.kit / "down"), str(self.folder)], capture_output=True, timeout=60
        )

    def refresh(self) -> None:
        """Make FreshRSS fetch every feed now."""
        done = subprocess.run(
            ["bash", str(self.info["refresh"])], capture_output=True, text=True, timeout=300
        )
        assert done.returncode in (0, 1), done.stderr

    def requests_since(self, mark: int) -> list[str]:
        """Request lines (method and path with query) logged after byte `mark` of the log."""
        log = self.folder / "server.log"
        with log.open("rb") as handle:
            handle.seek(mark)
            text = handle.read().decode("utf-8", "replace")
        return [
            line.split("]: ", 1)[1] for line in text.splitlines() if "]: " in line and " [" in line
        ]

    def log_mark(self) -> int:
        """The current end of the server's access log, for `requests_since`."""
        return (self.folder / "server.log").stat().st_size

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.info["port"])  # type: ignore[call-overload]

    @property
    def greader_url(self) -> str:
        """The Google Reader API endpoint."""
        return str(self.info["greader_url"])

    @property
    def fever_url(self) -> str:
        """The Fever API endpoint."""
        return str(self.info["fever_url"])

    @property
    def password(self) -> str:
        """The API password."""
        return str(self.info["api_password"])

    @property
    def user(self) -> str:
        """The user name."""
        return str(self.info["user"])

    # -- direct API calls, to set and check the server's side --------------------------

    def _open(
        self, url: str, data: list[tuple[str, str]] | None = None, auth: bool = True
    ) -> bytes:
        headers = {}
        if auth:
            headers["Authorization"] = f"GoogleLogin auth={self.auth()}"
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers=headers)
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read()

    def auth(self) -> str:
        """The Google Reader auth string."""
        if self._auth is None:
            reply = self._open(
                f"{self.greader_url}/accounts/ClientLogin",
                [("Email", self.user), ("Passwd", self.password)],
                auth=False,
            ).decode()
            self._auth = next(line[5:] for line in reply.splitlines() if line.startswith("Auth="))
        return self._auth

    def subscribe(self, feed_url: str, folder: str | None = None) -> None:
        """Subscribe the account to a feed (FreshRSS fetches it at once)."""
        form = [("ac", "subscribe"), ("s", f"feed/{feed_url}")]
        if folder:
            form.append(("a", f"user/-/label/{folder}"))
        reply = self._open(f"{self.greader_url}/reader/api/0/subscription/edit", form)
        assert reply.strip() == b"OK", reply

    def items(self, feed_url: str) -> list[dict]:
        """The items of one feed as Google Reader's stream contents give them."""
        # This FreshRSS answers `feed/<url>` streams with no items: look its number up.
        listing = json.loads(
            self._open(f"{self.greader_url}/reader/api/0/subscription/list?output=json")
        )
        stream = next(s["id"] for s in listing["subscriptions"] if s["url"] == feed_url)
        reply = self._open(f"{self.greader_url}/reader/api/0/stream/contents/{stream}?n=1000")
        return json.loads(reply)["items"]

    def state(self, feed_url: str) -> dict[str, tuple[bool, bool]]:
        """Item title → (read, starred) on the server."""
        return {
            item["title"]: (
                "user/-/state/com.google/read" in item["categories"],
                "user/-/state/com.google/starred" in item["categories"],
            )
            for item in self.items(feed_url)
        }

    def edit(self, item_id: str, add: str | None = None, remove: str | None = None) -> None:
        """edit-tag one item (hex id) as another client would."""
        form = [("T", "x"), ("i", item_id)]
        if add:
            form.append(("a", f"user/-/state/com.google/{add}"))
        if remove:
            form.append(("r", f"user/-/state/com.google/{remove}"))
        assert self._open(f"{self.greader_url}/reader/api/0/edit-tag", form).strip() == b"OK"

    def fever_key(self) -> str:
        """The Fever api_key."""
        return hashlib.md5(f"{self.user}:{self.password}".encode()).hexdigest()


class FeedServer:
    """RSS feeds on 127.0.0.1 whose items the tests add to."""

    def __init__(self) -> None:
        from pytest_httpserver import HTTPServer

        self.server = HTTPServer(host="127.0.0.1", port=0)
        self.feeds: dict[str, list[tuple[str, str]]] = {}
        self.server.expect_request(__import__("re").compile("/.*")).respond_with_handler(
            self._handle
        )
        self.server.start()

    def _handle(self, request: object) -> object:
        from werkzeug import Response

        name = request.path.strip("/")  # type: ignore[attr-defined]
        if name not in self.feeds:
            return Response("no such feed", status=404)
        items = "".join(
            f"<item><guid>{name}-{guid}</guid><title>{title}</title>"
            f"<link>https://example.org/{name}/{guid}</link>"
            f"<pubDate>Tue, 03 Mar 2026 {index % 24:02d}:00:00 GMT</pubDate>"
            "<description><![CDATA[<p>Ketamine blocks NMDA receptors on interneurons "
            "(Example Institute).</p><script>alert(1)</script>"
            "<h3>References</h3><ol><li>Example Institute. Glutamate notes. 2025.</li></ol>"
            "]]></description></item>"
            for index, (guid, title) in enumerate(self.feeds[name])
        )
        body = (
            f"<?xml version='1.0'?><rss version='2.0'><channel><title>{name}</title>"
            f"<link>https://example.org/{name}</link>{items}</channel></rss>"
        )
        return Response(body, content_type="application/rss+xml")

    def add(self, name: str, count: int, start: int = 0) -> str:
        """Add `count` items to feed `name`; returns its URL."""
        items = self.feeds.setdefault(name, [])
        for number in range(start, start + count):
            items.append((f"i{number}", f"{name} item {number}"))
        return self.url(name)

    def url(self, name: str) -> str:
        """The URL of feed `name`."""
        return self.server.url_for(f"/{name}")

    def stop(self) -> None:
        """Stop serving."""
        self.server.clear()
        if self.server.is_running():
            self.server.stop()


class CuttingProxy:
    """A TCP proxy to a real server that lets `allow` connections through, then drops all.

    FreshRSS closes every connection after one reply, so a connection is a request:
    this is the server going away in the middle of a sync, at a chosen request.
    """

    def __init__(self, target_port: int, allow: int) -> None:
        self.target_port = target_port
        self.allow = allow
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            if self.connections > self.allow:
                client.close()  # the server is gone: the client sees the connection drop
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pipe, args=(a, b), daemon=True).start()

    def close(self) -> None:
        """Stop listening."""
        self.listener.close()


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            sink.sendall(chunk)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def wait_for(condition: object, timeout: float = 10.0) -> None:
    """Poll a callable until it is true."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
