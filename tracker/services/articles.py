"""Use cases on articles: import (create or revise) and extract candidate claims."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from ..audit import EventAction, record_event
from ..errors import ValidationFailed
from ..intake.extract import DEFAULT_THRESHOLD, Candidate, extract_candidates
from ..intake.loading import LoadedArticle, first_title_line, load_article, slugify
from ..linkcheck.netguard import LinkPolicy
from ..models import Article, ArticleCreate, Claim, ClaimCreate, Origin
from ..permissions import Action, authorize
from ..validation import build, clean_field, max_length, validate_url
from .claims import create_claim, duplicate_of
from .uow import clean_actor, unit_of_work


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class ArticleImportReport:
    slug: str
    outcome: str  # created, unchanged, revised
    revision: int
    created: list[int] = field(default_factory=list)
    below_threshold: int = 0
    linked: list[tuple[int, str]] = field(default_factory=list)  # (existing claim, quote)
    relocated: int = 0
    lost: list[int] = field(default_factory=list)

    def line(self) -> str:
        if self.outcome == "unchanged":
            return f"{self.slug}: unchanged (same text as revision {self.revision}); nothing to do"
        text = (
            f"{self.slug}: {self.outcome} (revision {self.revision}); "
            f"{len(self.created)} candidate claims, {self.below_threshold} below threshold, "
            f"{len(self.linked)} matched existing claims"
        )
        if self.outcome == "revised":
            text += f"; {self.relocated} claims relocated, {len(self.lost)} quotes no longer found"
            if self.lost:
                text += " (claims " + ", ".join(map(str, self.lost)) + ")"
        return text


def _insert_article(session: Session, data: ArticleCreate) -> Article:
    """The article row; the caller has checked the permission."""
    slug = clean_field(Article, "slug", data.slug, multiline=False)
    if session.exec(select(Article.id).where(Article.slug == slug)).first() is not None:
        raise ValidationFailed(f"article {slug!r} already exists")
    if data.url:
        validate_url(data.url, "article url")
    if not data.text or not data.text.strip():
        raise ValidationFailed("article text is empty")
    article = Article(
        slug=slug or "",
        title=clean_field(Article, "title", data.title) or "",
        publisher=clean_field(
            Article, "publisher", data.publisher, required=False, multiline=False
        ),
        url=data.url,
        published=data.published,
        text=data.text,
        sha256=sha256_text(data.text),
    )
    session.add(article)
    session.flush()
    return article


def import_article(
    *,
    session: Session,
    source: str | LoadedArticle,
    actor: str,
    policy: LinkPolicy | None = None,
    slug: str | None = None,
    title: str | None = None,
    publisher: str | None = None,
    url: str | None = None,
    published: date | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> ArticleImportReport:
    """Create or revise an article and extract its candidate claims, in one transaction.

    ``source`` is a file path or an http(s) URL (read with the link checker's
    safety rules), or text already loaded. The permission is checked before
    anything is read or fetched.
    """
    actor = clean_actor(actor)
    if not 0 <= threshold <= 1:
        raise ValidationFailed(f"threshold {threshold} is outside 0..1")
    authorize(session, actor, Action.import_article)  # before any outbound request
    session.rollback()  # end that read before the (possibly slow) fetch
    loaded = source if isinstance(source, LoadedArticle) else load_article(source, policy=policy)
    title = title or loaded.title or first_title_line(loaded.text)
    slug = slugify(slug or title)
    digest = sha256_text(loaded.text)
    with unit_of_work(session):
        authorize(session, actor, Action.import_article)
        article = session.exec(select(Article).where(Article.slug == slug)).first()
        if article is not None and article.sha256 == digest:
            return ArticleImportReport(slug, "unchanged", article.revision)
        if article is None:
            article = _insert_article(
                session,
                build(
                    ArticleCreate,
                    slug=slug,
                    title=title,
                    publisher=publisher,
                    url=url or loaded.url,
                    published=published,
                    text=loaded.text,
                ),
            )
            report = ArticleImportReport(slug, "created", 1)
        else:
            report = ArticleImportReport(slug, "revised", article.revision + 1)
            _revise(session, article, loaded.text, actor, report)
        _add_candidates(session, article, actor, threshold, report)
    return report


def _revise(
    session: Session, article: Article, text: str, actor: str, report: ArticleImportReport
) -> None:
    """New text: move each claim to its quote in the new text, or report it lost."""
    article.text, article.sha256, article.revision = text, sha256_text(text), report.revision
    session.add(article)
    for claim in session.exec(select(Claim).where(Claim.article_id == article.id)):
        positions = [m.start() for m in re.finditer(re.escape(claim.quote), text)]
        if not positions:
            report.lost.append(claim.id or 0)
            record_event(
                session,
                EventAction.quote_lost,
                actor=actor,
                claim_id=claim.id,
                field="quote",
                old=f"{claim.quote_start}:{claim.quote_end}",
                detail=f"not found in revision {report.revision}",
            )
            continue
        start = min(positions, key=lambda p: abs(p - claim.quote_start))
        if start != claim.quote_start:
            old = f"{claim.quote_start}:{claim.quote_end}"
            claim.quote_start, claim.quote_end = start, start + len(claim.quote)
            session.add(claim)
            record_event(
                session,
                EventAction.relocated,
                actor=actor,
                claim_id=claim.id,
                field="quote",
                old=old,
                new=f"{claim.quote_start}:{claim.quote_end}",
                detail=f"revision {report.revision}",
            )
            report.relocated += 1
    session.flush()


def _add_candidates(
    session: Session,
    article: Article,
    actor: str,
    threshold: float,
    report: ArticleImportReport,
) -> None:
    existing = list(
        session.exec(
            select(Claim.id, Claim.quote, Claim.quote_start, Claim.quote_end)
            .where(Claim.article_id == article.id)
            .order_by(col(Claim.id))
        )
    )
    for cand in extract_candidates(article.text):
        if cand.kind == "heading" or cand.score == 0:
            continue
        match = _duplicate_of(cand, existing)
        if match is not None:
            report.linked.append((match, cand.quote))
            continue
        below = cand.score < threshold
        claim = create_claim(
            session=session,
            data=build(
                ClaimCreate,
                article=article.slug,
                claim=cand.quote[: max_length(Claim, "claim")],
                quote=cand.quote,
                quote_start=cand.start,
                quote_end=cand.end,
                section=cand.section,
                claim_type=cand.claim_type.value,
                score=cand.score,
            ),
            actor=actor,
            origin=Origin.extracted,
            reasons=cand.reasons,
            below_threshold=below,
        )
        existing.append((claim.id, cand.quote, cand.start, cand.end))
        if below:
            report.below_threshold += 1
        else:
            report.created.append(claim.id or 0)
    session.flush()


def _duplicate_of(cand: Candidate, existing: list[Any]) -> int | None:
    return duplicate_of(cand.quote, cand.start, cand.end, existing)
