"""Use cases for source links: check them, record their history, archive them.

Both start outbound requests, so both check the permission first, before
anything is fetched; a viewer cannot make the server fetch a URL.
"""

from __future__ import annotations

import asyncio
import math
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlmodel import Session, col, func, select

from ..audit import EventAction, record_event
from ..config import get_settings
from ..errors import ValidationFailed
from ..linkcheck.archive import Snapshot, WaybackError, closest_snapshot, request_capture
from ..linkcheck.links import (
    CheckOptions,
    CheckResult,
    LinkState,
    check_many,
    check_timeout,
    next_state,
)
from ..linkcheck.netguard import LinkPolicy, guarded_client, shown
from ..models import Article, Claim, LinkCheck, Source, as_utc
from ..permissions import Action, authorize
from ..queries import check_claim_id, get_article, get_claim
from .uow import clean_actor, unit_of_work

WRITE_BATCH = 50


def parse_duration(text: str) -> timedelta:
    """'7d', '12h', '30m', '45s' or '0' as a timedelta (0 up to :data:`timedelta.max`)."""
    text = text.strip().lower()
    units = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
    if text in ("0", ""):
        return timedelta(0)
    try:
        unit, number = units[text[-1]], float(text[:-1])
    except (KeyError, ValueError):
        hint = "use a number and d, h, m or s (e.g. 7d)"
        raise ValidationFailed(f"duration {shown(text, 40)} is not understood; {hint}") from None
    if not math.isfinite(number) or number < 0:
        raise ValidationFailed(f"duration {shown(text, 40)} must be a finite number, at least 0")
    try:
        return timedelta(**{unit: number})
    except OverflowError:
        raise ValidationFailed(
            f"duration {shown(text, 40)} is too long; at most {timedelta.max.days:,} days"
        ) from None


def _check_scope(session: Session, claim_id: int | None, article: str | None) -> None:
    """A named claim or article must exist: "checked 0" would hide a typo."""
    if claim_id is not None:
        get_claim(session=session, claim_id=claim_id)
    if article:
        get_article(session=session, slug=article)


def sources_in_scope(claim_id: int | None, article: str | None) -> Any:
    """A select of the sources of one claim, one article, or all."""
    stmt = select(Source).join(Claim, col(Claim.id) == Source.claim_id)
    if claim_id is not None:
        stmt = stmt.where(Source.claim_id == check_claim_id(claim_id))
    if article:
        stmt = stmt.join(Article, col(Article.id) == Claim.article_id).where(
            Article.slug == article
        )
    return stmt.order_by(col(Source.id))


def count_in_scope(session: Session, claim_id: int | None, article: str | None) -> int:
    """How many sources :func:`sources_in_scope` selects, counted in SQL."""
    scoped = sources_in_scope(claim_id, article).order_by(None).subquery()
    return int(session.exec(select(func.count()).select_from(scoped)).one())


@dataclass
class LinkSummary:
    checked: int = 0
    skipped: int = 0
    states: Counter[str] = field(default_factory=Counter)
    results: list[dict[str, Any]] = field(default_factory=list)

    def line(self) -> str:
        s = self.states
        return (
            f"checked {self.checked}: live {s['live']}, failing {s['failing']}, "
            f"dead {s['dead']}, blocked {s['blocked']}; skipped {self.skipped} (checked recently)"
        )


def _record_check(
    session: Session, source: Source, result: CheckResult, *, dead_after: timedelta, actor: str
) -> LinkState:
    """Store one check on the source and in its history; note state changes on the claim."""
    state, since, count = next_state(
        result,
        failing_since=as_utc(source.failing_since),
        fail_count=source.fail_count,
        dead_after=dead_after,
    )
    old_state = source.link_state
    source.last_checked_at = result.checked_at
    source.http_status = result.http_status
    source.final_url = result.final_url
    source.content_type = result.content_type
    source.last_error_class = result.error_class.value if result.error_class else None
    source.link_state = state.value
    source.failing_since = since
    source.fail_count = count
    if result.title:
        source.page_title = result.title
    session.add(source)
    session.add(
        LinkCheck(
            source_id=source.id or 0,
            url=result.url,
            checked_at=result.checked_at,
            http_status=result.http_status,
            final_url=result.final_url,
            content_type=result.content_type,
            title=result.title,
            response_ms=result.response_ms,
            error_class=source.last_error_class,
            error=result.error,
            state=state.value,
        )
    )
    if old_state != state.value:
        record_event(
            session,
            EventAction.link_state,
            actor=actor,
            claim_id=source.claim_id,
            field="source",
            old=old_state,
            new=state.value,
            detail=f"{source.url}: {result.error or f'HTTP {result.http_status}'}",
        )
    return state


def check_sources(
    *,
    session: Session,
    actor: str,
    policy: LinkPolicy | None = None,
    claim_id: int | None = None,
    article: str | None = None,
    stale_after: timedelta = timedelta(0),
    concurrency: int = 20,
    per_host: int = 2,
    timeout: float | None = None,
    host_delay: float = 0.05,
    dead_after: timedelta = timedelta(days=1),
    make_client: Callable[[int], httpx.AsyncClient] | None = None,
    progress: Callable[[CheckResult], None] | None = None,
    now: datetime | None = None,
    limit: int | None = None,
) -> LinkSummary:
    """Check every source in scope not checked within ``stale_after``; record each result.

    ``limit``: at most this many sources, the longest unchecked first (the worker's
    short steps).

    ``timeout`` (default ``TRACKER_HTTP_TIMEOUT``) is the total deadline of
    each request: connecting, headers, body and redirects together.
    """
    actor = clean_actor(actor)
    authorize(session, actor, Action.check_links)  # before any outbound request
    _check_scope(session, claim_id, article)
    if concurrency < 1 or per_host < 1:
        raise ValidationFailed("--concurrency and --per-host must be at least 1")
    policy = policy or LinkPolicy.from_env()
    settings = get_settings()
    seconds = check_timeout(settings.http_timeout if timeout is None else timeout)
    now = now or datetime.now(UTC)
    sources = list(session.exec(sources_in_scope(claim_id, article)))
    due = [
        s
        for s in sources
        if s.last_checked_at is None or now - (as_utc(s.last_checked_at) or now) >= stale_after
    ]
    if limit is not None:
        oldest = datetime.min.replace(tzinfo=UTC)
        due = sorted(due, key=lambda s: as_utc(s.last_checked_at) or oldest)[:limit]
    session.rollback()  # end the read transaction before the long network part
    summary = LinkSummary(skipped=len(sources) - len(due))
    by_url: dict[str, list[int]] = {}
    for s in due:
        by_url.setdefault(s.url, []).append(s.id or 0)
    wants_title = {s.url: not s.page_title for s in due}

    def guarded(size: int) -> httpx.AsyncClient:
        return guarded_client(
            policy,
            timeout=seconds,
            user_agent=settings.user_agent,
            max_connections=size,
        )

    async def run() -> None:
        batch: list[CheckResult] = []
        async for result in check_many(
            make_client or guarded,
            [(u, wants_title[u]) for u in by_url],
            policy,
            concurrency=concurrency,
            per_host=per_host,
            host_delay=host_delay,
            options=CheckOptions(timeout=seconds),
        ):
            batch.append(result)
            if progress:
                progress(result)
            if len(batch) >= WRITE_BATCH:
                _write(batch)
                batch = []
        _write(batch)

    def _write(batch: list[CheckResult]) -> None:
        if not batch:
            return
        with unit_of_work(session):
            authorize(session, actor, Action.check_links)
            for result in batch:
                for source_id in by_url[result.url]:
                    source = session.get(Source, source_id)
                    if source is None:
                        continue  # deleted meanwhile
                    state = _record_check(
                        session, source, result, dead_after=dead_after, actor=actor
                    )
                    summary.checked += 1
                    summary.states[state.value] += 1
                    summary.results.append(
                        {
                            "source_id": source_id,
                            "claim_id": source.claim_id,
                            "url": result.url,
                            "http_status": result.http_status,
                            "final_url": result.final_url,
                            "title": result.title,
                            "content_type": result.content_type,
                            "response_ms": result.response_ms,
                            "error_class": source.last_error_class,
                            "error": result.error,
                            "state": state.value,
                            "checked_at": result.checked_at.isoformat(timespec="seconds"),
                        }
                    )

    asyncio.run(run())
    summary.results.sort(key=lambda r: r["source_id"])
    return summary


@dataclass
class ArchiveSummary:
    found: int = 0
    missing: int = 0
    errors: list[str] = field(default_factory=list)
    captures: int = 0
    capture_note: str | None = None

    def line(self) -> str:
        text = f"archived copies found: {self.found}, none yet: {self.missing}"
        if self.captures:
            text += f", captures requested: {self.captures}"
        if self.errors:
            text += f", errors: {len(self.errors)}"
        return text


def wayback_credentials() -> tuple[str, str] | None:
    key = os.environ.get("TRACKER_WAYBACK_ACCESS_KEY")
    secret = os.environ.get("TRACKER_WAYBACK_SECRET")
    return (key, secret) if key and secret else None


def archive_sources(
    *,
    session: Session,
    actor: str,
    client: httpx.Client | None = None,
    claim_id: int | None = None,
    article: str | None = None,
    refresh: bool = False,
    capture: bool = False,
    progress: Callable[[Source, Snapshot | None], None] | None = None,
) -> ArchiveSummary:
    """Find each source's closest Wayback snapshot (at the time it was added) and store it."""
    actor = clean_actor(actor)
    authorize(session, actor, Action.archive_sources)  # before any outbound request
    _check_scope(session, claim_id, article)
    settings = get_settings()
    summary = ArchiveSummary()
    creds = wayback_credentials()
    if capture and creds is None:
        summary.capture_note = (
            "Save Page Now is not configured (set TRACKER_WAYBACK_ACCESS_KEY and "
            "TRACKER_WAYBACK_SECRET); looked up existing snapshots only"
        )
    own = client is None
    http = client or httpx.Client(
        timeout=settings.http_timeout, headers={"User-Agent": settings.user_agent}
    )
    try:
        stmt = sources_in_scope(claim_id, article)
        if not refresh:
            stmt = stmt.where(col(Source.archived_url).is_(None))
        targets = [(s.id, s.url, as_utc(s.added_at)) for s in session.exec(stmt)]
        session.rollback()
        for source_id, url, added_at in targets:
            try:
                snap = closest_snapshot(http, url, added_at or datetime.now(UTC))
            except WaybackError as exc:
                summary.errors.append(f"{url}: {exc}")
                continue
            with unit_of_work(session):
                authorize(session, actor, Action.archive_sources)
                source = session.get(Source, source_id)
                if source is None:
                    continue
                if snap is None:
                    summary.missing += 1
                else:
                    summary.found += 1
                    if source.archived_url != snap.url:
                        source.archived_url, source.archived_at = snap.url, snap.timestamp
                        session.add(source)
                        record_event(
                            session,
                            EventAction.archived,
                            actor=actor,
                            claim_id=source.claim_id,
                            field="source",
                            new=snap.url,
                            detail=url,
                        )
            if progress:
                progress(source, snap)
            if capture and creds and snap is None:
                try:
                    request_capture(http, url, *creds)
                    summary.captures += 1
                except WaybackError as exc:
                    summary.errors.append(f"{url}: {exc}")
    finally:
        if own:
            http.close()
    return summary
