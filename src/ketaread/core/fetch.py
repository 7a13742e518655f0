"""Polite, bounded fetching of remote feeds over HTTP(S) with httpx.

One `Fetcher` owns one `httpx.Client` and a semaphore bounding how many
fetches run at once. Every fetch is conditional (ETag / Last-Modified), follows
redirects itself (to vet each hop's scheme and count hops), streams the body
under a byte cap that also applies *after* decompression, and finishes within
one overall deadline. Network and HTTP problems never raise: they come back as
a `FetchResult` whose `error` is one short line a person can read.

The API is async, but each fetch runs in a daemon thread of its own with httpx's
blocking client: its async client cost about 1.5 times the CPU for the same bodies
(anyio's and httpcore's bookkeeping per read and per request; benchmarks/README.md,
"Session 9"). The event loop keeps the deadline: when it passes, or the awaiting
task is cancelled (a stop), the fetch's result is given at once and its socket
is shut down, which wakes its thread blocked reading the response (a new
connection's socket is known from its connect on). A thread still connecting, or
waiting for the head on a reused connection, ends at its connect or read timeout
instead; nobody waits for it (a daemon thread: a quit neither).

This module knows nothing about storage; the refresh orchestrator decides what
to keep.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import ssl
import threading
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from types import TracebackType
from urllib.parse import urljoin, urlsplit

# (httpx's command-line client is kept from loading in core/__init__.py.)
import httpx

from ketaread import __version__
from ketaread.core.clean import clean_line

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})
POSTPONE_STATUSES = frozenset({429, 503})
DEFAULT_BACKOFF = 15 * 60.0
"""Seconds to wait after a 429/503 whose Retry-After is missing or unreadable."""

ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/feed+json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, "
    "text/html;q=0.5, */*;q=0.2"
)
# Only encodings this module can decompress with a bound on the output of each
# step. Brotli is not advertised even when a brotli package is installed: its
# Python bindings cannot cap the output of one call, so a brotli bomb could
# allocate far past max_bytes before the cap is checked.
ACCEPT_ENCODING = "gzip, deflate"
_DECODE_STEP = 64 * 1024
"""Most bytes one decompression step may produce; bounds memory during a bomb."""
_MAX_VALIDATOR_CHARS = 1024

_OK = "ok"
_NOT_MODIFIED = "not_modified"
_UNCHANGED = "unchanged"
_GONE = "gone"
_POSTPONED = "postponed"
_ERROR = "error"


@dataclass(frozen=True)
class Validators:
    """What was stored after the last successful fetch, sent back to make it conditional."""

    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None


@dataclass
class FetchResult:
    """The outcome of one fetch; `error` is set for every outcome but ok/not_modified/unchanged."""

    url: str
    """The URL as requested."""
    final_url: str
    """The URL after redirects: the base for relative links in the body."""
    outcome: str
    """'ok', 'not_modified' (304), 'unchanged' (200 with the same body hash and no
    validators), 'gone' (410), 'postponed' (429/503) or 'error'."""
    status: int | None = None
    """The last HTTP status received, or None when no response arrived."""
    body: bytes | None = None
    """The decompressed body, only for 'ok'."""
    etag: str | None = None
    """To store on success ('ok', 'not_modified', 'unchanged'); None otherwise."""
    last_modified: str | None = None
    """To store on success ('ok', 'not_modified', 'unchanged'); None otherwise."""
    body_hash: str | None = None
    """sha256 hex of the body, to store on success; None otherwise."""
    retry_at: float | None = None
    """Epoch seconds before which a 'postponed' source should not be fetched again."""
    permanent_redirect: str | None = None
    """Where an unbroken chain of 301/308 redirects from `url` led on this fetch.

    A permanent redirect seen after a temporary one is not reported: the
    temporary hop means `url` itself did not move for good."""
    error: str | None = None
    """One short human line describing what went wrong."""
    elapsed: float = 0.0
    """Seconds spent, from the start of the fetch (after waiting for a slot) to its end."""


@dataclass
class FetchSettings:
    """Limits and identity for a `Fetcher`."""

    concurrency: int = 8
    """Fetches starting at once. A fetch still waiting after `slot_hold` seconds gives its
    slot to the next one, so slow servers cannot make a quick feed wait behind them."""
    slot_hold: float = 2.0
    max_open: int = 64
    """Fetches in flight at once, counting those that gave up their slot."""
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    """Longest silence allowed between two reads."""
    deadline: float = 60.0
    """The whole fetch: connecting, every redirect hop and the full body."""
    max_bytes: int = 20 * 1024 * 1024
    """Largest body accepted, counted after decompression."""
    max_redirects: int = 5
    max_retry_after: float = 7 * 24 * 3600
    """Retry-After values beyond this are clamped to it."""
    user_agent: str = field(
        default_factory=lambda: f"ketaread/{__version__} (+https://example.org/ketaread)"
    )


class FetchProblem(Exception):
    """A fetch failed for a reason worth one human line; carries the last status seen."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def format_size(size: int) -> str:
    """Show a byte count the way error lines do: '20 MiB', '64 KiB', '1000 bytes'."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            value = size / scale
            return f"{value:g} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"


def _seconds(value: float) -> str:
    return f"{value:g}"


def _usable_header(value: str | None) -> str | None:
    """Keep a validator only when it is short printable ASCII, safe to echo back."""
    if not value or len(value) > _MAX_VALIDATOR_CHARS:
        return None
    if value.isascii() and value.isprintable():  # " " to "~", without a loop per character
        return value
    return None


def _status_line(status: int, reason: str = "") -> str:
    """'HTTP 404 Not Found', with the standard phrase so a server cannot inject text."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = clean_line(reason, limit=60)
    return f"HTTP {status} {phrase}".rstrip()


def parse_retry_after(value: str | None, now: float, limit: float) -> float | None:
    """Turn a Retry-After value (delta-seconds or HTTP-date) into epoch seconds.

    Returns None when the value is missing or unreadable; a date in the past
    means "now"; a delay longer than `limit` is clamped to `limit`.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        # Very long digit strings are clamped without int(): Python refuses to
        # convert more than 4300 digits, and anything past 12 is beyond any limit.
        delay = float(int(value)) if len(value) <= 12 else limit
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            # RFC 9110 dates are always GMT; a zone-less one is read as UTC.
            when = when.replace(tzinfo=UTC)
        try:
            delay = when.timestamp() - now
        except (OverflowError, ValueError, OSError):
            return None
    return now + min(max(delay, 0.0), limit)


def _exception_chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


_DNS_HINTS = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated",
    "getaddrinfo failed",
    "name resolution",
)


def describe_network_error(exc: Exception, url: str, settings: FetchSettings) -> str:
    """Map an httpx/OS exception raised while fetching `url` to one short human line."""
    parts = urlsplit(url)
    host = parts.hostname or "the server"
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        port = 443 if parts.scheme.lower() == "https" else 80
    chain = _exception_chain(exc)
    text = " ".join(str(link) for link in chain).lower()
    if isinstance(exc, httpx.ConnectTimeout):
        return f"timed out after {_seconds(settings.connect_timeout)} s"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {_seconds(settings.read_timeout)} s"
    if any(isinstance(link, socket.gaierror) for link in chain) or any(
        hint in text for hint in _DNS_HINTS
    ):
        return f"DNS lookup failed for {host}"
    if any(isinstance(link, ConnectionRefusedError) for link in chain) or "refused" in text:
        return f"connection refused by {host}:{port}"
    for link in chain:
        if isinstance(link, ssl.SSLError):
            reason = getattr(link, "verify_message", None) or link.reason or str(link)
            return clean_line(f"TLS error: {reason}", limit=160)
    if isinstance(exc, httpx.ProxyError):
        return clean_line(f"proxy error: {exc}", limit=160)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return "connection reset while reading"
    if isinstance(exc, httpx.ConnectError):
        detail = clean_line(str(exc), limit=100)
        return f"could not connect to {host}:{port}" + (f" ({detail})" if detail else "")
    detail = clean_line(str(exc), limit=100) or type(exc).__name__
    return f"network error: {detail}"


def _check_url(url: str) -> str | None:
    """Why `url` cannot be fetched at all, or None when it is an http(s) URL with a host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"not a valid URL: {clean_line(url, limit=120)}"
    if parts.scheme.lower() not in ("http", "https"):
        shown = clean_line(parts.scheme, limit=20) or "relative"
        return f"only http and https URLs are fetched (not {shown})"
    if not parts.hostname:
        return f"the URL has no host: {clean_line(url, limit=120)}"
    return None


class _BoundedDecoder:
    """Decompress a gzip or deflate Content-Encoding in steps of bounded output size."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._raw_deflate = False
        self._started = False
        self._decomp = self._new()

    def _new(self) -> zlib._Decompress:
        if self.encoding == "deflate":
            # 'deflate' is meant to be zlib-wrapped, but some servers send it raw.
            return zlib.decompressobj(-zlib.MAX_WBITS if self._raw_deflate else zlib.MAX_WBITS)
        return zlib.decompressobj(zlib.MAX_WBITS | 16)

    def steps(self, data: bytes) -> Iterator[bytes]:
        """Decode one raw chunk as pieces of at most `_DECODE_STEP` bytes each.

        The caller checks its cap between pieces, so memory stays bounded even
        when a tiny chunk expands a thousandfold.
        """
        pending = data
        while True:
            if self._decomp.eof:
                leftover = self._decomp.unused_data + pending
                # Only a further gzip member is decoded; other trailing bytes
                # (padding, junk after a deflate stream) are ignored as httpx does.
                if self.encoding != "gzip" or not leftover.startswith(b"\x1f\x8b"):
                    return
                self._decomp = self._new()
                pending = leftover
            try:
                out = self._decomp.decompress(pending, _DECODE_STEP)
            except zlib.error:
                if self.encoding != "deflate" or self._started or self._raw_deflate:
                    raise
                self._raw_deflate = True
                self._decomp = self._new()
                out = self._decomp.decompress(pending, _DECODE_STEP)
            self._started = True
            if out:
                yield out
            pending = self._decomp.unconsumed_tail
            if self._decomp.eof:
                continue
            # A full step with no input left may still hold buffered output: go round.
            if not pending and len(out) < _DECODE_STEP:
                return

    @property
    def complete(self) -> bool:
        """Whether the compressed stream reached its end marker."""
        return self._decomp.eof


# -- where redirects may lead --------------------------------------------------------


def address_class(address: str) -> str:
    """'link-local', 'loopback', 'private' or 'public' for an IP address."""
    import ipaddress

    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_link_local:
        return "link-local"  # 169.254/16 (cloud metadata), fe80::/10
    if ip.is_loopback:
        return "loopback"
    if ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
        return "private"
    return "public"


def host_classes(host: str) -> set[str]:
    """The address classes `host` stands for: itself when it is an address, else what
    it resolves to (empty when it does not resolve: the request then says so)."""
    try:
        return {address_class(host)}
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return set()
    return {address_class(str(info[4][0])) for info in infos}


def redirect_refusal(current: str, target: str) -> str | None:
    """Why a redirect from `current` to `target` is not followed, or None.

    Never to a link-local address; from a public host never to a loopback or private one
    (a feed on this machine may redirect within it: loopback to loopback is fine), and
    from a private host not to this machine."""
    target_host = urlsplit(target).hostname or ""
    shown = clean_line(target_host, limit=80)
    target_classes = host_classes(target_host)
    if "link-local" in target_classes:
        return f"redirect to a link-local address refused ({shown})"
    inner = target_classes & {"loopback", "private"}
    if inner:
        source_classes = host_classes(urlsplit(current).hostname or "")
        # Only this machine may send a request back to this machine.
        if (
            "public" in source_classes
            or not source_classes
            or ("loopback" in inner and "loopback" not in source_classes)
        ):
            kind = "loopback" if "loopback" in inner else "private"
            return f"redirect to a {kind} address refused ({shown})"
    return None


class _Line:
    """A fetch's connection as its thread holds it: the event loop cuts it at the deadline
    or on a stop, which wakes a thread blocked reading it (shutdown, not close: another
    thread's close leaves a blocked read waiting for its timeout)."""

    def __init__(self) -> None:
        self.cut_off = False
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None

    def hold(self, response: httpx.Response) -> None:
        """Remember the socket `response` arrives on; cut it at once if the fetch was cut."""
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        with self._lock:
            self._socket = sock if isinstance(sock, socket.socket) else None
            cut = self.cut_off
        if cut:
            self._shut()

    def trace(self, event: str, info: dict[str, object]) -> None:
        """httpcore's trace hook (in the fetch's thread): a new connection's socket is held
        from its connect on, so a cut also wakes a thread waiting for the response's head
        (a server dripping its headers would keep it, and its pooled connection, for good)."""
        if event not in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            return
        stream = info.get("return_value")
        get_extra_info = getattr(stream, "get_extra_info", None)
        sock = get_extra_info("socket") if get_extra_info is not None else None
        if isinstance(sock, socket.socket):
            with self._lock:
                self._socket = sock
            if self.cut_off:
                self._shut()

    def let_go(self) -> None:
        """Forget the socket before its response is closed: the connection may then go back
        to the pool and serve another fetch, which a late cut must not break."""
        with self._lock:
            self._socket = None

    def cut(self) -> None:
        """Give up on the fetch: its thread stops at its next read or check."""
        with self._lock:
            self.cut_off = True
        self._shut()

    def _shut(self) -> None:
        # Under the lock: once `let_go` returns, the connection may serve the next fetch,
        # so a cut that read the socket before it must not shut it down after it.
        with self._lock:
            if self._socket is not None:
                with contextlib.suppress(OSError, ValueError):
                    # The plain socket's shutdown under a TLS one too: it only wakes the read.
                    socket.socket.shutdown(self._socket, socket.SHUT_RDWR)


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


class Fetcher:
    """Fetches URLs politely: one shared client, bounded concurrency, never raising on I/O."""

    def __init__(self, settings: FetchSettings | None = None) -> None:
        self.settings = settings or FetchSettings()
        self._client: httpx.Client | None = None
        self._slots = asyncio.Semaphore(max(1, self.settings.concurrency))
        self._open = asyncio.Semaphore(max(1, self.settings.max_open, self.settings.concurrency))

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        self._client = httpx.Client(
            # trust_env: proxies, NO_PROXY and SSL_CERT_FILE from the environment apply.
            trust_env=True,
            follow_redirects=False,
            timeout=httpx.Timeout(
                connect=s.connect_timeout,
                read=s.read_timeout,
                write=s.read_timeout,
                pool=s.deadline,
            ),
            headers={
                "User-Agent": s.user_agent,
                "Accept": ACCEPT,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client is not None:
            # Closes the idle connections; a fetch's thread still running (cut off at a
            # deadline or a stop) ends on its own, and is not waited for.
            self._client.close()
            self._client = None

    async def fetch(self, url: str, validators: Validators = Validators()) -> FetchResult:
        """Fetch one URL conditionally; network and HTTP problems come back as outcomes."""
        client = self._client
        if client is None:
            raise RuntimeError("Fetcher.fetch called outside `async with Fetcher(...)`")
        refused = _check_url(url)
        if refused:
            return FetchResult(url=url, final_url=url, outcome=_ERROR, error=refused)
        async with self._open, self._slot():
            started = time.monotonic()
            result = FetchResult(url=url, final_url=url, outcome=_ERROR)
            line = _Line()
            loop = asyncio.get_running_loop()
            done: asyncio.Future[None] = loop.create_future()

            def run() -> None:
                error: BaseException | None = None
                try:
                    self._fetch_into(client, url, validators, result, line)
                except BaseException as unexpected:  # raised on the loop, as before
                    error = unexpected
                with contextlib.suppress(RuntimeError):  # the loop ended after a stop
                    loop.call_soon_threadsafe(_settle, done, error)

            # A daemon thread: a quit never waits for a server that is slow to answer.
            threading.Thread(target=run, name="ketaread-fetch", daemon=True).start()
            try:
                async with asyncio.timeout(self.settings.deadline):
                    await asyncio.shield(done)
            except TimeoutError:
                line.cut()
                done.cancel()  # whatever the thread ends with is not waited for
                # A result of its own: the thread may still write to the one it was given.
                late, result = result, FetchResult(url=url, final_url=url, outcome=_ERROR)
                result.final_url, result.status = late.final_url, late.status
                result.permanent_redirect = late.permanent_redirect
                self._fail(result, f"timed out after {_seconds(self.settings.deadline)} s")
            except asyncio.CancelledError:
                line.cut()
                done.cancel()
                raise
            result.elapsed = time.monotonic() - started
            return result

    def _fetch_into(
        self,
        client: httpx.Client,
        url: str,
        validators: Validators,
        result: FetchResult,
        line: _Line,
    ) -> None:
        """In a fetch's thread: fill `result`, a failure included."""
        try:
            self._fetch(client, url, validators, result, line)
        except FetchProblem as problem:
            self._fail(result, problem.message)
        except httpx.InvalidURL as exc:
            self._fail(result, clean_line(f"not a valid URL: {exc}", limit=160))
        except (httpx.TransportError, OSError) as exc:
            if line.cut_off:
                self._fail(result, "stopped")  # read by nobody: the loop has moved on
            else:
                self._fail(result, describe_network_error(exc, result.final_url, self.settings))

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        """A start slot, held until the fetch ends or `slot_hold` seconds pass: a server
        that is slow to answer then waits without keeping the next feed from starting."""
        await self._slots.acquire()
        held = True

        def give_back() -> None:
            nonlocal held
            if held:
                held = False
                self._slots.release()

        timer = asyncio.get_running_loop().call_later(self.settings.slot_hold, give_back)
        try:
            yield
        finally:
            timer.cancel()
            give_back()

    async def fetch_all(
        self,
        requests: list[tuple[str, Validators]],
        on_result: Callable[[FetchResult], None] | None = None,
    ) -> list[FetchResult]:
        """Fetch many URLs, at most `concurrency` at once; results in request order.

        `on_result` is called with each result as soon as it is ready (in
        completion order), on the event loop thread.
        """
        results: list[FetchResult | None] = [None] * len(requests)

        async def one(index: int, url: str, validators: Validators) -> None:
            result = await self.fetch(url, validators)
            results[index] = result
            if on_result is not None:
                on_result(result)

        async with asyncio.TaskGroup() as group:
            for index, (url, validators) in enumerate(requests):
                group.create_task(one(index, url, validators))
        return [r for r in results if r is not None]

    @staticmethod
    def _fail(result: FetchResult, message: str) -> None:
        result.outcome = _ERROR
        result.error = message
        result.body = None
        result.etag = result.last_modified = result.body_hash = None

    def _request_headers(self, validators: Validators) -> dict[str, str]:
        headers: dict[str, str] = {}
        etag = _usable_header(validators.etag)
        if etag:
            headers["If-None-Match"] = etag
        last_modified = _usable_header(validators.last_modified)
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return headers

    def _fetch(
        self,
        client: httpx.Client,
        url: str,
        validators: Validators,
        result: FetchResult,
        line: _Line,
    ) -> None:
        """Follow redirects and fill `result`; raises FetchProblem or httpx errors on failure."""
        settings = self.settings
        headers = self._request_headers(validators)
        current = url
        hops = 0
        permanent_chain = True
        while True:
            # Set before the request: a failure on a redirect hop names that hop's host.
            result.final_url = current
            if line.cut_off:
                raise FetchProblem("stopped")
            request = client.build_request(
                "GET", current, headers=headers, extensions={"trace": line.trace}
            )
            try:
                response = client.send(request, stream=True)
            except BaseException:
                line.let_go()  # the failed connection is closed, never pooled: nothing to cut
                raise
            try:
                line.hold(response)
                status = response.status_code
                result.status = status
                result.final_url = current
                if status in REDIRECT_STATUSES:
                    target = self._redirect_target(response, current)
                    refused = redirect_refusal(current, target)
                    if refused:
                        raise FetchProblem(refused, status)
                    if status in PERMANENT_REDIRECT_STATUSES and permanent_chain:
                        result.permanent_redirect = target
                    else:
                        permanent_chain = False
                    hops += 1
                    if hops > settings.max_redirects:
                        result.permanent_redirect = None  # the chain never settled
                        raise FetchProblem(f"too many redirects ({settings.max_redirects})", status)
                    current = target
                    continue
                self._finish(response, validators, result, line)
                return
            finally:
                line.let_go()
                response.close()

    @staticmethod
    def _redirect_target(response: httpx.Response, current: str) -> str:
        location = response.headers.get("Location", "").strip()
        if not location:
            raise FetchProblem(
                f"{_status_line(response.status_code)} without a Location", response.status_code
            )
        try:
            # urljoin rather than httpx.URL.join: the latter rewrites file:/// to file:/,
            # and the error line should show the Location as the server sent it.
            target = urljoin(current, location)
        except ValueError:
            raise FetchProblem(
                f"redirect to an invalid URL: {clean_line(location, limit=120)}",
                response.status_code,
            ) from None
        if (
            urlsplit(target).scheme.lower() not in ("http", "https")
            or not urlsplit(target).hostname
        ):
            raise FetchProblem(
                f"redirect to a non-http(s) URL: {clean_line(target, limit=120)}",
                response.status_code,
            )
        return target

    def _finish(
        self, response: httpx.Response, validators: Validators, result: FetchResult, line: _Line
    ) -> None:
        """Turn the final (non-redirect) response into an outcome."""
        status = response.status_code
        settings = self.settings
        if status == 304:
            if not self._request_headers(validators):
                # Nothing was asked conditionally, so there is nothing a 304 could confirm.
                raise FetchProblem("304 Not Modified to a request that had no validators", status)
            result.outcome = _NOT_MODIFIED
            # A 304 may refresh the validators; otherwise the stored ones still hold.
            result.etag = _usable_header(response.headers.get("ETag")) or validators.etag
            result.last_modified = (
                _usable_header(response.headers.get("Last-Modified")) or validators.last_modified
            )
            result.body_hash = validators.body_hash
            return
        if status == 410:
            result.outcome = _GONE
            result.error = _status_line(status, response.reason_phrase)
            return
        if status in POSTPONE_STATUSES:
            now = time.time()
            retry_at = parse_retry_after(
                response.headers.get("Retry-After"), now, settings.max_retry_after
            )
            result.outcome = _POSTPONED
            result.retry_at = retry_at if retry_at is not None else now + DEFAULT_BACKOFF
            result.error = _status_line(status, response.reason_phrase)
            return
        if not 200 <= status < 300:
            raise FetchProblem(_status_line(status, response.reason_phrase), status)

        too_big = f"body larger than {format_size(settings.max_bytes)}"
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isascii() and declared.isdigit() and int(declared) > settings.max_bytes:
            raise FetchProblem(too_big, status)
        body, digest = self._read_body(response, too_big, line)
        etag = _usable_header(response.headers.get("ETag"))
        last_modified = _usable_header(response.headers.get("Last-Modified"))
        result.body_hash = digest
        if etag is None and last_modified is None and digest == validators.body_hash:
            result.outcome = _UNCHANGED
            return
        result.outcome = _OK
        result.body = body
        result.etag = etag
        result.last_modified = last_modified

    def _read_body(self, response: httpx.Response, too_big: str, line: _Line) -> tuple[bytes, str]:
        """Read and decompress the body, stopping as soon as it passes max_bytes."""
        limit = self.settings.max_bytes
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        decoder: _BoundedDecoder | None = None
        if encoding in ("gzip", "x-gzip", "deflate"):
            decoder = _BoundedDecoder("deflate" if encoding == "deflate" else "gzip")
        elif encoding not in ("", "identity"):
            raise FetchProblem(
                f"unsupported Content-Encoding: {clean_line(encoding, limit=40)}",
                response.status_code,
            )
        body = bytearray()
        digest = hashlib.sha256()

        def take(piece: bytes) -> None:
            if len(body) + len(piece) > limit:
                raise FetchProblem(too_big, response.status_code)
            body.extend(piece)
            digest.update(piece)

        # iter_raw, not iter_bytes: httpx decompresses each network chunk in one
        # unbounded call, so a 64 KiB chunk of a gzip bomb could become ~64 MB
        # before any cap is checked. Decoding here caps every step.
        try:
            for chunk in response.iter_raw():
                if line.cut_off:
                    raise FetchProblem("stopped")  # past the deadline, or a stop
                if decoder is None:
                    take(chunk)
                    continue
                for piece in decoder.steps(chunk):
                    take(piece)
        except zlib.error:
            raise FetchProblem(
                f"the body is not valid {encoding} data", response.status_code
            ) from None
        if decoder is not None and not decoder.complete and body:
            raise FetchProblem(f"the {encoding} body was cut short", response.status_code)
        return bytes(body), digest.hexdigest()
