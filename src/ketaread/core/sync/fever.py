"""The Fever API (FreshRSS, Miniflux, yarr, BazQux, coldsweat).

Fever cannot change subscriptions: they are read from the server, never written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator
from typing import Any

from ketaread.core.sync.http import ApiClient, ApiError, decode_json
from ketaread.core.sync.items import RemoteFeed, RemoteItem, decimal_id, epoch, link, text

PAGE_ITEMS = 50
"""Fever's fixed page size."""
MAX_PAGES = 2000
MAX_IDS = 1_000_000


class Fever:
    """One authenticated session with a Fever API server."""

    def __init__(self, client: ApiClient, url: str, user: str, password: str) -> None:
        self.client = client
        self.url = url
        # The key is POSTed as a form field: servers ignore it in the query string.
        self.api_key = hashlib.md5(f"{user}:{password}".encode()).hexdigest()

    def call(self, *query: str, **extra: str) -> dict[str, Any]:
        """One API call: `?api&QUERY…` with the key (and `extra` fields) in the POST body."""
        params = "&".join(("api", *query))
        separator = "&" if "?" in self.url else "?"
        reply = decode_json(
            self.client.request(
                "POST", f"{self.url}{separator}{params}", data={"api_key": self.api_key, **extra}
            )
        )
        if reply.get("auth") != 1:
            if "auth" in reply:
                raise ApiError(
                    "the server refused the user name or password (Fever auth 0)", auth=True
                )
            raise ApiError("the server's reply is not a Fever API reply")
        return reply

    def login(self) -> None:
        """Check the key (Fever has no session: every call carries it)."""
        self.call()

    def subscriptions(self) -> list[RemoteFeed]:
        """Feeds with their groups as folders (read-only through Fever)."""
        groups_reply = self.call("groups")
        feeds_reply = self.call("feeds")
        names = {
            str(g.get("id")): text(g.get("title"), 80)
            for g in groups_reply.get("groups") or []
            if isinstance(g, dict)
        }
        folders: dict[str, list[str]] = {}
        for entry in feeds_reply.get("feeds_groups") or groups_reply.get("feeds_groups") or []:
            if not isinstance(entry, dict):
                continue
            name = names.get(str(entry.get("group_id")))
            feed_ids = entry.get("feed_ids")
            if not name or not isinstance(feed_ids, str):
                continue
            for feed_id in feed_ids.split(","):
                folders.setdefault(feed_id.strip(), []).append(name)
        feeds: list[RemoteFeed] = []
        raw_feeds = feeds_reply.get("feeds")
        if not isinstance(raw_feeds, list):
            raise ApiError("the server's feed list is not a list")
        for entry in raw_feeds:
            if not isinstance(entry, dict) or decimal_id(entry.get("id")) is None:
                continue
            feed_id = str(decimal_id(entry.get("id")))
            feeds.append(
                RemoteFeed(
                    id=feed_id,
                    title=text(entry.get("title")) or text(entry.get("url"), 200),
                    url=link(entry.get("url")),
                    site=link(entry.get("site_url")),
                    folders=folders.get(feed_id, []),
                )
            )
        return feeds

    def items(self, since: int | None, limit: int) -> Generator[list[RemoteItem]]:
        """Pages of items with ids above `since`, oldest first."""
        after = since or 0
        fetched = 0
        for _ in range(MAX_PAGES):
            reply = self.call("items", f"since_id={after}")
            raw = reply.get("items")
            if not isinstance(raw, list):
                raise ApiError("the server's reply has no list of items")
            page = [item for item in (self._item(r) for r in raw) if item is not None]
            fetched += len(raw)
            yield page
            highest = max((int(i.id) for i in page), default=after)
            if not raw or highest <= after or fetched >= limit:
                return
            after = highest
        raise ApiError(f"the item list did not end after {MAX_PAGES} pages")

    @staticmethod
    def _item(raw: object) -> RemoteItem | None:
        if not isinstance(raw, dict):
            return None
        item_id = decimal_id(raw.get("id"))
        feed_id = decimal_id(raw.get("feed_id"))
        if item_id is None or feed_id is None:
            return None
        return RemoteItem(
            id=item_id,
            feed_id=feed_id,
            title=text(raw.get("title")),
            link=link(raw.get("url")),
            author=text(raw.get("author"), 200),
            published=epoch(raw.get("created_on_time")),
            html=raw["html"] if isinstance(raw.get("html"), str) else "",
            read=raw.get("is_read") in (1, "1", True),
            starred=raw.get("is_saved") in (1, "1", True),
        )

    def _id_list(self, query: str, key: str) -> set[str]:
        value = self.call(query).get(key)
        if value is None or value == "":
            return set()
        if not isinstance(value, str):
            raise ApiError(f"the server's {key} is not a string of ids")
        found = {i for i in (decimal_id(part) for part in value.split(",")[:MAX_IDS]) if i}
        return found

    def unread_ids(self) -> set[str]:
        """Ids of every unread item."""
        return self._id_list("unread_item_ids", "unread_item_ids")

    def starred_ids(self) -> set[str]:
        """Ids of every saved item."""
        return self._id_list("saved_item_ids", "saved_item_ids")

    def edit(self, item_ids: list[str], kind: str, value: bool) -> None:
        """Mark items read/unread or saved/unsaved, one request per item (Fever's way)."""
        mark_as = {("read", True): "read", ("read", False): "unread"}.get(
            (kind, value), "saved" if value else "unsaved"
        )
        for item_id in item_ids:
            self.call(mark="item", **{"as": mark_as, "id": item_id})
