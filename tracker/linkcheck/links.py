"""Checking source links over HTTP: one URL at a time, or many at once, politely.

Pure of the database: :func:`check_url` takes an ``httpx.AsyncClient`` (see
:func:`tracker.netguard.guarded_client`) and returns a :class:`CheckResult`;
:func:`check_many` runs many with a global and a per-host concurrency limit
and a short pause between requests to the same host.

Every request has a total deadline (``timeout``: connecting, headers, body and
redirects together), not only a limit per read, so a server trickling one byte
a second cannot hold a check; and bodies are read through
:func:`.bodies.read_capped`, which counts decoded bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import html
import math
import re
import ssl
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import urljoin, urlsplit

import httpx

from ..errors import UnsafeURL, ValidationFailed
from .bodies import (
    ACCEPT_ENCODING,
    BadBody,
    UnsupportedEncoding,
    drain_raw,
    meta_charset,
    read_capped,
)
from .netguard import LinkPolicy, ResolutionFailed, shown

MAX_REDIRECTS = 5
BODY_LIMIT = 64 * 1024  # the title is near the top
RETRY_STATUSES = frozenset({429, 503})
HEAD_UNHELPFUL = frozenset({400, 403, 404, 405, 406, 501})
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_PDF_TITLE = re.compile(rb"/Title\s*\((.*?)(?<!\\)\)", re.DOTALL)
_CHARSET = re.compile(r"charset=([\w.:-]+)", re.IGNORECASE)
_HEADERS = {"Accept-Encoding": ACCEPT_ENCODING}  # only what read_capped can bound


class BadResponse(Exception):
    """The server's answer cannot be followed (e.g. a malformed Location header)."""


def check_timeout(seconds: float) -> float:
    """``seconds`` if it is a usable total deadline, else :class:`ValidationFailed`."""
    if not (isinstance(seconds, int | float) and math.isfinite(seconds) and seconds > 0):
        raise ValidationFailed(f"timeout {seconds!r} must be a positive number of seconds")
    return float(seconds)


class ErrorClass(StrEnum):
    dns = "dns"
    connect = "connect"
    timeout = "timeout"
    tls = "tls"
    too_many_redirects = "too_many_redirects"
    http_4xx = "http_4xx"
    http_5xx = "http_5xx"
    blocked = "blocked"


class LinkState(StrEnum):
    live = "live"
    failing = "failing"
    dead = "dead"
    blocked = "blocked"


@dataclass
class CheckResult:
    url: str
    checked_at: datetime
    http_status: int | None = None
    final_url: str | None = None
    content_type: str | None = None
    title: str | None = None
    response_ms: int | None = None
    error_class: ErrorClass | None = None
    error: str | None = None
    redirects: list[str] = field(default_factory=list)
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.error_class is None


@dataclass(frozen=True)
class CheckOptions:
    timeout: float = 10.0
    max_retries: int = 2
    retry_after_cap: float = 30.0
    backoff: float = 1.0


def next_state(
    result: CheckResult,
    *,
    failing_since: datetime | None,
    fail_count: int,
    dead_after: timedelta,
) -> tuple[LinkState, datetime | None, int]:
    """The link's state after ``result``: (state, failing_since, fail_count).

    A link is dead only after at least two failed checks at least
    ``dead_after`` apart (as InternetArchiveBot does); one failure is "failing".
    """
    if result.error_class is ErrorClass.blocked:
        return LinkState.blocked, failing_since, fail_count
    if result.ok:
        return LinkState.live, None, 0
    since = failing_since or result.checked_at
    count = fail_count + 1
    if count >= 2 and result.checked_at - since >= dead_after:
        return LinkState.dead, since, count
    return LinkState.failing, since, count


def _decode_title(raw: bytes, content_type: str | None, page: bytes = b"") -> str | None:
    charset = "utf-8"
    if content_type and (m := _CHARSET.search(content_type)):
        charset = m.group(1)
    elif page and (declared := meta_charset(page)):
        charset = declared
    try:
        text = raw.decode(charset, errors="replace")
    except LookupError:
        text = raw.decode("utf-8", errors="replace")
    title = " ".join(html.unescape(text).split())
    return title[:500] or None


def extract_title(body: bytes, content_type: str | None) -> str | None:
    ctype = (content_type or "").lower()
    if "pdf" in ctype or body.startswith(b"%PDF"):
        m = _PDF_TITLE.search(body)
        return _decode_title(m.group(1), "charset=latin-1") if m else None
    m = _TITLE.search(body)
    return _decode_title(m.group(1), content_type, body) if m else None


def _retry_after(response: httpx.Response, cap: float, fallback: float) -> float:
    value = response.headers.get("Retry-After")
    if value is None:
        return min(fallback, cap)
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            seconds = (when - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            seconds = fallback
    return max(0.0, min(seconds, cap))


FETCH_ERRORS: tuple[type[BaseException], ...] = (
    httpx.HTTPError,
    httpx.InvalidURL,
    UnsafeURL,
    ResolutionFailed,
    BadResponse,
    UnsupportedEncoding,
    BadBody,
    TimeoutError,
    OSError,
)
"""What a request to an outside server may raise; anything else is a bug."""


def classify_exception(exc: BaseException) -> tuple[ErrorClass, str]:
    if isinstance(exc, UnsafeURL | httpx.InvalidURL):
        return ErrorClass.blocked, str(exc)
    if isinstance(exc, TimeoutError):  # the total deadline (asyncio.timeout)
        return ErrorClass.timeout, str(exc) or "timed out"
    if isinstance(exc, ResolutionFailed):
        return ErrorClass.dns, str(exc)
    if isinstance(exc, BadResponse):
        return ErrorClass.connect, str(exc)
    if isinstance(exc, httpx.TooManyRedirects):
        return ErrorClass.too_many_redirects, str(exc)
    if isinstance(exc, httpx.TimeoutException):
        return ErrorClass.timeout, f"timed out ({exc.__class__.__name__})"
    text = str(exc) or exc.__class__.__name__
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, ssl.SSLError) or "SSL" in text or "CERTIFICATE" in text.upper():
        return ErrorClass.tls, text
    return ErrorClass.connect, text


class Deadline(TimeoutError):
    """A request did not complete (connect, headers, body, redirects) in time."""


@contextlib.asynccontextmanager
async def deadline(seconds: float, url: str) -> AsyncIterator[None]:
    """The total deadline of one request, redirects included; raises :class:`Deadline`."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise Deadline(f"{shown(url)}: no complete answer within {seconds:g} s") from None


def _build(client: httpx.AsyncClient, method: str, url: str, hop: int) -> httpx.Request:
    try:
        return client.build_request(method, url, headers=_HEADERS)
    except httpx.InvalidURL as exc:
        if hop == 0:
            raise UnsafeURL(f"{shown(url)}: {exc}") from None
        raise BadResponse(f"redirect to {shown(url)}: {exc}") from None


def _redirect_target(current: str, response: httpx.Response) -> str:
    """The absolute URL of the Location header, or :class:`BadResponse`."""
    location = response.headers["location"]
    try:
        target = urljoin(current, location)
        httpx.URL(target)
    except (ValueError, httpx.InvalidURL) as exc:
        raise BadResponse(
            f"{shown(current)} redirects to a malformed Location {shown(location)} ({exc})"
        ) from None
    return target


async def _send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    policy: LinkPolicy,
    result: CheckResult,
    timeout: float,
) -> tuple[httpx.Response, bytes]:
    """One request with redirects followed by hand, each hop checked by the policy,
    all within ``timeout`` seconds."""
    async with deadline(timeout, url):
        current = url
        for hop in range(MAX_REDIRECTS + 1):
            policy.check_url(current)
            response = await client.send(_build(client, method, current, hop), stream=True)
            try:
                # Read (a bounded part of) every body: a response read to its end
                # lets the connection be reused; a cut-off one is closed.
                if response.is_redirect and "location" in response.headers:
                    await drain_raw(response, BODY_LIMIT)
                    current = _redirect_target(current, response)
                    result.redirects.append(current)
                    continue
                try:
                    body, _more = await read_capped(response, BODY_LIMIT)
                except (UnsupportedEncoding, BadBody):
                    body = b""  # the link answered; only its title is unknown
                return response, body
            finally:
                await response.aclose()
    raise httpx.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects from {url}")


async def check_url(
    client: httpx.AsyncClient,
    url: str,
    policy: LinkPolicy,
    options: CheckOptions | None = None,
    *,
    want_title: bool = True,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> CheckResult:
    """Check one URL: HEAD first; GET when HEAD is refused, or for a page's title.

    ``want_title=False`` (a re-check of a link whose title is known) stays
    with HEAD unless the server refuses it.
    """
    options = options or CheckOptions()
    result = CheckResult(url=url, checked_at=datetime.now(UTC))
    started = time.perf_counter()
    try:
        for attempt in range(options.max_retries + 1):
            result.attempts = attempt + 1
            result.redirects.clear()
            response, _ = await _send(client, "HEAD", url, policy, result, options.timeout)
            ctype = response.headers.get("content-type", "")
            wants_body = want_title and (
                "html" in ctype.lower() or "pdf" in ctype.lower() or not ctype
            )
            body = b""
            if response.status_code in HEAD_UNHELPFUL or (response.is_success and wants_body):
                result.redirects.clear()
                response, body = await _send(client, "GET", url, policy, result, options.timeout)
                ctype = response.headers.get("content-type", "")
            if response.status_code in RETRY_STATUSES and attempt < options.max_retries:
                await sleep(
                    _retry_after(response, options.retry_after_cap, options.backoff * 2**attempt)
                )
                continue
            break
        result.http_status = response.status_code
        result.final_url = str(response.url)
        result.content_type = ctype.split(";")[0].strip() or None
        if body:
            result.title = extract_title(body, ctype)
        if response.status_code >= 500:
            result.error_class, result.error = ErrorClass.http_5xx, f"HTTP {response.status_code}"
        elif response.status_code >= 400:
            result.error_class, result.error = ErrorClass.http_4xx, f"HTTP {response.status_code}"
    except FETCH_ERRORS as exc:
        result.error_class, result.error = classify_exception(exc)
        if result.redirects:
            result.final_url = result.redirects[-1]
    result.response_ms = round((time.perf_counter() - started) * 1000)
    return result


class FetchTooLarge(Exception):
    pass


async def fetch(
    client: httpx.AsyncClient, url: str, policy: LinkPolicy, *, max_bytes: int, timeout: float
) -> tuple[bytes, str, str]:
    """GET ``url`` (redirects checked hop by hop); returns (body, content type, final URL).

    The whole request, redirects and body included, must finish within
    ``timeout`` seconds (else :class:`Deadline`). Raises :class:`FetchTooLarge`
    past ``max_bytes`` decoded bytes and ``httpx.HTTPStatusError`` for an
    error status; any other failure is one of :data:`FETCH_ERRORS`.
    """
    async with deadline(timeout, url):
        current = url
        for hop in range(MAX_REDIRECTS + 1):
            policy.check_url(current)
            response = await client.send(_build(client, "GET", current, hop), stream=True)
            try:
                if response.is_redirect and "location" in response.headers:
                    current = _redirect_target(current, response)
                    continue
                response.raise_for_status()
                body, more = await read_capped(response, max_bytes)
                if more:
                    raise FetchTooLarge(f"{shown(url)} is larger than {max_bytes:,} bytes")
                return body, response.headers.get("content-type", ""), str(response.url)
            finally:
                await response.aclose()
    raise httpx.TooManyRedirects(f"more than {MAX_REDIRECTS} redirects from {shown(url)}")


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{(parts.hostname or '').lower()}:{parts.port or ''}"


async def check_many(
    make_client: Callable[[int], httpx.AsyncClient],
    urls: Iterable[tuple[str, bool]],
    policy: LinkPolicy,
    *,
    concurrency: int = 20,
    per_host: int = 2,
    host_delay: float = 0.05,
    options: CheckOptions | None = None,
) -> AsyncIterator[CheckResult]:
    """Check ``(url, want_title)`` pairs concurrently; yields results as they finish.

    At most ``concurrency`` requests run at once, at most ``per_host`` to one
    host (name and port), and each per-host slot waits ``host_delay`` seconds
    after a request before the next one to that host. Each host gets its own
    client from ``make_client(per_host)``: small pools stay cheap to search,
    and one slow host cannot take another's connections.
    """
    overall = asyncio.Semaphore(concurrency)
    hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_host))
    clients: dict[str, httpx.AsyncClient] = {}
    queue: asyncio.Queue[CheckResult] = asyncio.Queue()

    async def one(url: str, want_title: bool) -> None:
        host = host_of(url)
        async with hosts[host]:
            client = clients.get(host) or clients.setdefault(host, make_client(per_host))
            try:
                async with overall:
                    result = await check_url(client, url, policy, options, want_title=want_title)
            except Exception as exc:
                result = CheckResult(url=url, checked_at=datetime.now(UTC))
                result.error_class, result.error = classify_exception(exc)
            await queue.put(result)
            await asyncio.sleep(host_delay)  # politeness: hold the host slot a moment

    # A sliding window of tasks keeps memory flat however many URLs there are.
    window = max(4 * concurrency, 4 * per_host)
    todo = iter(urls)
    running: set[asyncio.Task[None]] = set()
    started = 0

    def top_up() -> None:
        nonlocal started
        while len(running) < window:
            item = next(todo, None)
            if item is None:
                return
            task = asyncio.ensure_future(one(*item))
            running.add(task)
            task.add_done_callback(running.discard)
            started += 1

    try:
        top_up()
        delivered = 0
        while delivered < started:  # every task puts exactly one result
            result = await queue.get()
            delivered += 1
            top_up()
            yield result
    finally:
        pending = list(running)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await asyncio.gather(*(c.aclose() for c in clients.values()), return_exceptions=True)
