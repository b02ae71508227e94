"""What the desk publishes: the rating scale, the published claims, and their files.

A claim is **published** when its verdict (verified or flagged) is confirmed
by a second editor, it has both a rating and a verdict summary, and its quote
is in the article's current text (not lost in a revision)
(:func:`publication_blockers` says what is missing). This module reads the
published set (:func:`published_report`, :func:`published_reports`) and hands
it to the pure builders in :mod:`tracker.interchange` (the HTML report, the
ClaimReview JSON-LD); it never writes. Ratings are set by
:func:`tracker.services.rate_claim`.

The scale comes from settings (``TRACKER_RATING_SCALE``, worst label first;
default: False, Mostly false, Misleading / Half true, Mostly true, True).
"Unverifiable" is always available and sits outside the scale.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import and_
from sqlmodel import Session, col, select

from .config import UNVERIFIABLE, Settings, get_settings
from .errors import ValidationFailed
from .interchange import claimreview
from .interchange.report import render_report_html
from .models import Article, Claim, ClaimPublic, ClaimStatus, Source, SourcePublic, as_utc
from .queries import get_article

PUBLISHABLE_STATUSES = (ClaimStatus.verified.value, ClaimStatus.flagged.value)


# --- the scale -------------------------------------------------------------------


def rating_choices(scale: Sequence[str]) -> list[str]:
    """Every label an editor may give: the scale, worst first, then Unverifiable."""
    return [*scale, UNVERIFIABLE]


def _fold(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


def parse_rating(value: str, scale: Sequence[str]) -> str:
    """The scale's label for ``value`` ("mostly-false", "Mostly false", "2"), else an error.

    Matching ignores case, spaces and punctuation; a number is the label's
    position on the scale (1 = worst).
    """
    text = (value or "").strip()
    choices = rating_choices(scale)
    if text.isdigit() and 1 <= int(text) <= len(scale):
        return scale[int(text) - 1]
    for label in choices:
        if _fold(label) == _fold(text) and _fold(text):
            return label
    allowed = ", ".join(repr(c) for c in choices)
    raise ValidationFailed(f"unknown rating {text!r}; the desk's scale allows: {allowed}")


def publication_blockers(claim: ClaimPublic) -> list[str]:
    """What keeps ``claim`` out of the published report (empty: it is published)."""
    missing = []
    if claim.status not in PUBLISHABLE_STATUSES:
        missing.append(f"a verdict (it is {claim.status})")
    elif claim.confirmed_by is None:
        missing.append("the verdict's confirmation by a second editor")
    if not claim.rating:
        missing.append("a rating")
    if not claim.verdict_summary:
        missing.append("a verdict summary")
    if claim.quote_lost_in is not None:
        missing.append(
            f"a quote in the article's current text (it is not in revision {claim.quote_lost_in})"
        )
    return missing


# --- the published set ---------------------------------------------------------------


@dataclass(frozen=True)
class PublishedClaim:
    id: int
    claim: str
    quote: str
    quote_start: int
    quote_end: int
    located: bool  # the quote is at its offsets in the current article text
    section: str | None
    status: str
    flag_reason: str | None
    rating: str
    verdict_summary: str
    reviewed_by: str | None
    reviewed_at: datetime | None
    confirmed_by: str
    confirmed_at: datetime
    rated_by: str | None
    rated_at: datetime | None
    sources: list[SourcePublic] = field(default_factory=list)

    @property
    def published_at(self) -> datetime:
        """When the fact-check became publishable: the later of confirmation and rating."""
        return max(t for t in (self.confirmed_at, self.rated_at) if t is not None)


@dataclass(frozen=True)
class PublishedReport:
    slug: str
    title: str
    publisher: str | None
    url: str | None
    published: date | None
    text: str
    claims_in_article: int  # claims in the review queue (not below-threshold candidates)
    claims: list[PublishedClaim]


def _is_published() -> object:
    return and_(
        col(Claim.status).in_(PUBLISHABLE_STATUSES),
        col(Claim.confirmed_by).is_not(None),
        col(Claim.rating).is_not(None),
        col(Claim.verdict_summary).is_not(None),
        # a verdict on words the article no longer has is not published as if it were there
        col(Claim.quote_lost_in).is_(None),
    )


def published_report(*, session: Session, slug: str) -> PublishedReport:
    """The article ``slug`` with its published claims in text order (none is fine)."""
    return _report(session, get_article(session=session, slug=slug))


def published_reports(*, session: Session, article: str | None = None) -> list[PublishedReport]:
    """One report per article that has published claims (or just ``article``)."""
    if article:
        return [published_report(session=session, slug=article)]
    ids = session.exec(
        select(Claim.article_id).where(_is_published()).distinct()  # type: ignore[arg-type]
    ).all()
    articles = session.exec(
        select(Article).where(col(Article.id).in_(list(ids))).order_by(col(Article.id))
    ).all()
    return [_report(session, a) for a in articles]


def _report(session: Session, article: Article) -> PublishedReport:
    rows = session.exec(
        select(Claim)
        .where(Claim.article_id == article.id, _is_published())  # type: ignore[arg-type]
        .order_by(col(Claim.quote_start), col(Claim.id))
    ).all()
    total = session.exec(
        select(Claim.id).where(
            Claim.article_id == article.id, col(Claim.below_threshold).is_(False)
        )
    ).all()
    sources: dict[int, list[SourcePublic]] = {}
    if rows:
        for s in session.exec(
            select(Source)
            .where(col(Source.claim_id).in_([c.id for c in rows]))
            .order_by(col(Source.id))
        ).all():
            sources.setdefault(s.claim_id, []).append(
                SourcePublic.model_validate(
                    s.model_dump()
                    | {"added_at": as_utc(s.added_at), "archived_at": as_utc(s.archived_at)}
                )
            )
    text = article.text
    claims = [
        PublishedClaim(
            id=c.id or 0,
            claim=c.claim,
            quote=c.quote,
            quote_start=c.quote_start,
            quote_end=c.quote_end,
            located=0 <= c.quote_start < c.quote_end <= len(text)
            and text[c.quote_start : c.quote_end] == c.quote,
            section=c.section,
            status=c.status,
            flag_reason=c.flag_reason,
            rating=c.rating or "",
            verdict_summary=c.verdict_summary or "",
            reviewed_by=c.last_reviewed_by,
            reviewed_at=as_utc(c.last_reviewed_at),
            confirmed_by=c.confirmed_by or "",
            confirmed_at=as_utc(c.confirmed_at) or datetime.now(UTC),
            rated_by=c.rated_by,
            rated_at=as_utc(c.rated_at),
            sources=sources.get(c.id or 0, []),
        )
        for c in rows
    ]
    return PublishedReport(
        slug=article.slug,
        title=article.title,
        publisher=article.publisher,
        url=article.url,
        published=article.published,
        text=text,
        claims_in_article=len(total),
        claims=claims,
    )


# --- files ------------------------------------------------------------------------------


def claimreview_items(
    *, session: Session, article: str | None = None, settings: Settings | None = None
) -> list[dict[str, object]]:
    """One schema.org ClaimReview per published claim (needs the publisher settings)."""
    settings = settings or get_settings()
    publisher = claimreview.Publisher.from_settings(settings)
    return [
        item
        for report in published_reports(session=session, article=article)
        for item in claimreview.claim_reviews(report, scale=settings.rating_scale, by=publisher)
    ]


def report_html(
    *,
    session: Session,
    slug: str,
    settings: Settings | None = None,
    paper: str = "A4",
    generated_at: datetime | None = None,
) -> str:
    """The article's fact-check report as one self-contained HTML page.

    The page embeds the ClaimReview JSON-LD when ``TRACKER_REPORT_BASE_URL``
    and ``TRACKER_ORG_NAME`` are set (see :func:`claimreview_configured`).
    """
    settings = settings or get_settings()
    report = published_report(session=session, slug=slug)
    jsonld = None
    org = settings.org_name
    if claimreview_configured(settings):
        publisher = claimreview.Publisher.from_settings(settings)
        jsonld = claimreview.claim_reviews(report, scale=settings.rating_scale, by=publisher)
    return render_report_html(
        report,
        scale=settings.rating_scale,
        paper=paper,
        org_name=org,
        jsonld=jsonld,
        generated_at=generated_at or datetime.now(UTC),
    )


def claimreview_configured(settings: Settings) -> bool:
    return bool(settings.report_base_url and settings.org_name)
