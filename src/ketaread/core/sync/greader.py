"""The Google Reader API as FreshRSS, Miniflux, Inoreader, The Old Reader and BazQux serve it."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from ketaread.core.clean import clean_line
from ketaread.core.sync.http import ApiClient, ApiError, decode_json
from ketaread.core.sync.items import (
    MAX_TAGS,
    RemoteFeed,
    RemoteItem,
    decimal_id,
    epoch,
    hex_id,
    link,
    text,
)

READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"
READING_LIST = "user/-/state/com.google/reading-list"
LABEL = "user/-/label/"
PAGE_ITEMS = 1000
"""Items asked for per page of stream contents."""
FIRST_PAGE_ITEMS = 50
"""Items asked for on the first page of an incremental sync."""
PAGE_IDS = 10000
"""Ids asked for per page of an id list."""
MAX_PAGES = 200
"""Pages followed through continuations before a stream is deemed endless."""
EDIT_BATCH = 100
"""Item ids per edit-tag request."""


class GoogleReader:
    """One logged-in session with a Google Reader API server."""

    def __init__(self, client: ApiClient, url: str, user: str, password: str) -> None:
        self.client = client
        self.base = url.rstrip("/")
        self.user = user
        self.password = password
        self._auth: str | None = None
        self._token: str | None = None

    def login(self) -> None:
        """ClientLogin: trade the user name and password for an auth string."""
        reply = self.client.request(
            "POST",
            f"{self.base}/accounts/ClientLogin",
            data={"Email": self.user, "Passwd": self.password},
        )
        for line in reply.decode("utf-8", "replace").splitlines():
            if line.startswith("Auth="):
                auth = line[len("Auth=") :].strip()
                if auth and auth.isprintable() and len(auth) < 1024:
                    self._auth = auth
                    return
        if b"<html" in reply[:500].lower():
            raise ApiError(
                "the server sent an HTML page, not a login reply (is the URL the API's?)"
            )
        raise ApiError("the server's login reply has no Auth line")

    def _headers(self) -> dict[str, str]:
        if self._auth is None:
            self.login()
        return {"Authorization": f"GoogleLogin auth={self._auth}"}

    def _get(self, path: str, params: list[tuple[str, str]]) -> dict[str, Any]:
        return decode_json(
            self.client.request(
                "GET", f"{self.base}/reader/api/0/{path}", params=params, headers=self._headers()
            )
        )

    def token(self) -> str:
        """The write token T that edit requests carry."""
        if self._token is None:
            reply = self.client.request(
                "GET", f"{self.base}/reader/api/0/token", headers=self._headers()
            )
            token = reply.decode("utf-8", "replace").strip()
            if not token or not token.isprintable() or len(token) > 1024:
                raise ApiError("the server sent no usable write token")
            self._token = token
        return self._token

    def subscriptions(self) -> list[RemoteFeed]:
        """The feeds the account follows, with their folders."""
        reply = self._get("subscription/list", [("output", "json")])
        feeds: list[RemoteFeed] = []
        subscriptions = reply.get("subscriptions")
        if not isinstance(subscriptions, list):
            raise ApiError("the server's subscription list is not a list")
        for entry in subscriptions:
            if not isinstance(entry, dict):
                continue
            stream = entry.get("id")
            if not isinstance(stream, str) or not stream.startswith("feed/"):
                continue
            folders = [
                text(c.get("label"), 80)
                for c in entry.get("categories") or []
                if isinstance(c, dict) and text(c.get("label"), 80)
            ]
            feeds.append(
                RemoteFeed(
                    id=text(stream[len("feed/") :], 2000),
                    title=text(entry.get("title")) or text(entry.get("url"), 200),
                    url=link(entry.get("url")),
                    site=link(entry.get("htmlUrl")),
                    folders=folders[:MAX_TAGS],
                )
            )
        return feeds

    def items(self, since: int | None, limit: int) -> Generator[list[RemoteItem]]:
        """Pages of the reading list, newest first; only items newer than `since` (seconds).

        With `since`, the first page is small: an unchanged account answers with a few items.
        """
        continuation: str | None = None
        fetched = 0
        for number in range(MAX_PAGES):
            size = FIRST_PAGE_ITEMS if since and number == 0 else PAGE_ITEMS
            params = [("n", str(min(size, limit - fetched)))]
            if since:
                params.append(("ot", str(since)))
            if continuation:
                params.append(("c", continuation))
            reply = self._get(f"stream/contents/{READING_LIST}", params)
            raw = reply.get("items")
            if not isinstance(raw, list):
                raise ApiError("the server's stream has no list of items")
            page = [item for item in (self._item(r) for r in raw) if item is not None]
            fetched += len(raw)
            yield page
            following = reply.get("continuation")
            if not raw or not following or fetched >= limit:
                return
            continuation = text(str(following), 100)
        raise ApiError(f"the stream did not end after {MAX_PAGES} pages")

    @staticmethod
    def _item(raw: object) -> RemoteItem | None:
        if not isinstance(raw, dict):
            return None
        item_id = decimal_id(raw.get("id"))
        origin = raw.get("origin") if isinstance(raw.get("origin"), dict) else {}
        stream = origin.get("streamId") if isinstance(origin, dict) else None
        if item_id is None or not isinstance(stream, str) or not stream.startswith("feed/"):
            return None
        categories = [c for c in raw.get("categories") or [] if isinstance(c, str)]
        content = raw.get("content") if isinstance(raw.get("content"), dict) else None
        summary = raw.get("summary") if isinstance(raw.get("summary"), dict) else None
        html = (content or summary or {}).get("content")
        links = raw.get("canonical") or raw.get("alternate") or []
        href = links[0].get("href") if links and isinstance(links[0], dict) else None
        return RemoteItem(
            id=item_id,
            feed_id=text(stream[len("feed/") :], 2000),
            title=text(raw.get("title")),
            link=link(href),
            author=text(raw.get("author"), 200),
            published=epoch(raw.get("published")),
            html=html if isinstance(html, str) else "",
            labels=[text(c[len(LABEL) :], 80) for c in categories if c.startswith(LABEL)][
                :MAX_TAGS
            ],
            read=READ in categories,
            starred=STARRED in categories,
        )

    def ids(self, stream: str, exclude: str | None = None) -> set[str]:
        """Every item id (decimal) of a stream, through continuations."""
        found: set[str] = set()
        continuation: str | None = None
        for _ in range(MAX_PAGES):
            params = [("s", stream), ("n", str(PAGE_IDS))]
            if exclude:
                params.append(("xt", exclude))
            if continuation:
                params.append(("c", continuation))
            reply = self._get("stream/items/ids", params)
            refs = reply.get("itemRefs")
            if refs is None:
                refs = []  # FreshRSS omits the key for an empty stream
            if not isinstance(refs, list):
                raise ApiError("the server's id list is not a list")
            for ref in refs:
                item_id = decimal_id(ref.get("id")) if isinstance(ref, dict) else None
                if item_id is not None:
                    found.add(item_id)
            following = reply.get("continuation")
            if not refs or not following:
                return found
            continuation = text(str(following), 100)
        raise ApiError(f"the id list did not end after {MAX_PAGES} pages")

    def unread_ids(self) -> set[str]:
        """Ids of every unread item."""
        return self.ids(READING_LIST, exclude=READ)

    def starred_ids(self) -> set[str]:
        """Ids of every starred item."""
        return self.ids(STARRED)

    def edit(self, item_ids: list[str], kind: str, value: bool) -> None:
        """Mark items read/unread or (un)starred with edit-tag (a POST carrying T)."""
        tag = READ if kind == "read" else STARRED
        for start in range(0, len(item_ids), EDIT_BATCH):
            form = [("T", self.token()), ("a" if value else "r", tag)]
            form += [("i", hex_id(i)) for i in item_ids[start : start + EDIT_BATCH]]
            reply = self.client.request(
                "POST",
                f"{self.base}/reader/api/0/edit-tag",
                data=form,
                headers=self._headers(),
            )
            if reply.strip() != b"OK":
                raise ApiError("the server did not accept the change (its reply was not OK)")

    def subscribe(self, url: str, folder: str | None = None, title: str | None = None) -> None:
        """Subscribe the account to a feed (subscription/edit, ac=subscribe)."""
        form = [("T", self.token()), ("ac", "subscribe"), ("s", f"feed/{url}")]
        if folder:
            form.append(("a", LABEL + folder))
        if title:
            form.append(("t", title))
        self._edit_subscription(form)

    def unsubscribe(self, feed_id: str) -> None:
        """Unsubscribe the account from a feed by the server's id for it."""
        self._edit_subscription(
            [("T", self.token()), ("ac", "unsubscribe"), ("s", f"feed/{feed_id}")]
        )

    def _edit_subscription(self, form: list[tuple[str, str]]) -> None:
        reply = self.client.request(
            "POST",
            f"{self.base}/reader/api/0/subscription/edit",
            data=form,
            headers=self._headers(),
        )
        if reply.strip() != b"OK":
            shown = clean_line(reply.decode("utf-8", "replace"), limit=120)
            raise ApiError(f"the server did not change the subscription ({shown or 'no reply'})")
