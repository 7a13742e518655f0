"""A small bounded HTTP client for feed-server APIs, with the limits feeds have.

Every request: http(s) only, connect/read timeouts and an overall deadline from
`FetchSettings`, a byte cap on the body, no redirects followed (an API endpoint
that redirects is misconfigured: the error names where it points), no compression
(the body read is the body counted). Failures raise `ApiError` with one human line.
"""

from __future__ import annotations

import json
import time
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import httpx

from ketaread.core.clean import clean_line
from ketaread.core.fetch import (
    FetchSettings,
    _check_url,
    _status_line,
    describe_network_error,
    format_size,
)


class ApiError(Exception):
    """A request to the server failed; `message` is one line for the user."""

    def __init__(self, message: str, status: int | None = None, auth: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.auth = auth
        """True when the server refused the credentials (401/403, Fever's auth 0)."""


def sync_settings() -> FetchSettings:
    """The limits for API requests: those of feeds, with a shorter overall deadline."""
    return FetchSettings(connect_timeout=10.0, read_timeout=20.0, deadline=60.0)


class ApiClient:
    """One connection pool to one server; `get`/`post` return the body or raise ApiError."""

    def __init__(self, settings: FetchSettings | None = None, *, tls: bool = True) -> None:
        self.settings = settings or sync_settings()
        s = self.settings
        self._client = httpx.Client(
            # For a plain-http endpoint (`tls=False`) no TLS connection can ever be made
            # (redirects are not followed), so the CA bundle is not loaded: a tenth of a
            # second saved on every sync of a server at home.
            verify=tls,
            trust_env=True,
            follow_redirects=False,
            timeout=httpx.Timeout(
                connect=s.connect_timeout,
                read=s.read_timeout,
                write=s.read_timeout,
                pool=s.deadline,
            ),
            headers={"User-Agent": s.user_agent, "Accept-Encoding": "identity"},
        )
        self.requests = 0
        """How many requests were sent (for tests and the benchmark)."""

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: list[tuple[str, str]] | None = None,
        data: list[tuple[str, str]] | dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> bytes:
        """Send one request and return the body of a 2xx reply."""
        refused = _check_url(url)
        if refused:
            raise ApiError(refused)
        s = self.settings
        deadline = time.monotonic() + s.deadline
        self.requests += 1
        content: bytes | None = None
        if data is not None:
            # Encoded here: repeated keys (several i= in one edit-tag) keep their order.
            pairs = list(data.items()) if isinstance(data, dict) else data
            content = urlencode(pairs).encode("ascii")
            headers = {**(headers or {}), "Content-Type": "application/x-www-form-urlencoded"}
        try:
            with self._client.stream(
                method,
                url,
                params=tuple(params) if params else None,
                content=content,
                headers=headers,
            ) as response:
                status = response.status_code
                if status in (401, 403):
                    raise ApiError(
                        f"{_status_line(status)}: the server refused the user name or password",
                        status,
                        auth=True,
                    )
                if 300 <= status < 400:
                    where = clean_line(response.headers.get("Location", ""), limit=200)
                    raise ApiError(
                        f"{_status_line(status)}: the API URL redirects"
                        + (f" to {where}" if where else ""),
                        status,
                    )
                if not 200 <= status < 300:
                    raise ApiError(_status_line(status), status)
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > s.max_bytes:
                    raise ApiError(f"the reply is larger than {format_size(s.max_bytes)}", status)
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_raw():
                    size += len(chunk)
                    if size > s.max_bytes:
                        raise ApiError(
                            f"the reply is larger than {format_size(s.max_bytes)}", status
                        )
                    if time.monotonic() > deadline:
                        raise ApiError(f"timed out after {s.deadline:g} s", status)
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.InvalidURL as error:
            raise ApiError(clean_line(f"not a valid URL: {error}", limit=160)) from error
        except (httpx.TransportError, OSError) as error:
            raise ApiError(describe_network_error(error, url, s)) from error

    def json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        """Send one request and decode a JSON object reply."""
        return decode_json(self.request(method, url, **kwargs))


def decode_json(body: bytes) -> dict[str, Any]:
    """A JSON object from a reply, or ApiError saying what came instead."""
    head = body.lstrip()[:200].lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        raise ApiError("the server sent an HTML page, not an API reply (is the URL the API's?)")
    if not head:
        raise ApiError("the server sent an empty reply")
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise ApiError("the server sent a reply that is not JSON") from error
    if not isinstance(value, dict):
        raise ApiError("the server sent JSON that is not an object")
    return value
