"""Import an article (text, Markdown, HTML or a URL) and extract candidate claims."""

from __future__ import annotations

import asyncio
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from rapidfuzz import fuzz
from sqlmodel import Session, col, select

from .accounts import authorize
from .config import get_settings
from .errors import TrackerError, ValidationFailed
from .extract import DEFAULT_THRESHOLD, Candidate, extract_candidates
from .links import FetchTooLarge, classify_exception, fetch
from .models import Article, ArticleCreate, Claim, ClaimCreate, Event, Origin
from .netguard import LinkPolicy, guarded_client
from .services import (
    apply_create_article,
    apply_create_claim,
    clean_actor,
    sha256_text,
    unit_of_work,
)

MAX_ARTICLE_BYTES = 5 * 1024 * 1024
DUPLICATE_SCORE = 90  # rapidfuzz token-set ratio at or above which a candidate is a repeat
HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass
class LoadedArticle:
    text: str
    title: str | None
    url: str | None
    source: str


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


def html_to_text(html: str) -> tuple[str, str | None]:
    """Main article text (Markdown, headings kept) and title, via trafilatura."""
    import trafilatura

    text = trafilatura.extract(
        html,
        output_format="markdown",
        include_comments=False,
        include_tables=True,
        include_formatting=True,
        favor_recall=True,
    )
    if not text or not text.strip():
        raise ValidationFailed("no article text found in the HTML")
    meta = trafilatura.extract_metadata(html)
    return text, (meta.title if meta else None)


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(f"{source}: not valid UTF-8 at byte {exc.start}") from None


def load_article(source: str, *, policy: LinkPolicy | None = None) -> LoadedArticle:
    """Read a local .txt/.md/.html file or fetch an http(s) URL."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", source, re.IGNORECASE):
        return _load_url(source, policy or LinkPolicy.from_env())
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationFailed(f"cannot read {source}: {exc.strerror or exc}") from None
    if len(data) > MAX_ARTICLE_BYTES:
        raise ValidationFailed(f"{source} is larger than {MAX_ARTICLE_BYTES:,} bytes")
    text = _decode(data, source)
    if path.suffix.lower() in (".html", ".htm"):
        body, title = html_to_text(text)
        return LoadedArticle(body, title, None, source)
    return LoadedArticle(text, None, None, source)


def _load_url(url: str, policy: LinkPolicy) -> LoadedArticle:
    settings = get_settings()

    async def go() -> tuple[bytes, str, str]:
        async with guarded_client(
            policy, timeout=settings.http_timeout, user_agent=settings.user_agent
        ) as client:
            return await fetch(client, url, policy, max_bytes=MAX_ARTICLE_BYTES)

    try:
        body, ctype, final = asyncio.run(go())
    except FetchTooLarge as exc:
        raise ValidationFailed(str(exc)) from None
    except httpx.HTTPStatusError as exc:
        raise ValidationFailed(f"{url}: HTTP {exc.response.status_code}") from None
    except (httpx.HTTPError, TrackerError, OSError) as exc:
        kind, message = classify_exception(exc)
        raise ValidationFailed(f"{url}: cannot fetch ({kind}): {message}") from None
    text = _decode(body, url)
    if any(t in ctype.lower() for t in HTML_TYPES) or text.lstrip().lower().startswith(
        "<!doctype html"
    ):
        text, title = html_to_text(text)
        return LoadedArticle(text, title, final, url)
    return LoadedArticle(text, None, final, url)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80] or "article"


def _first_title_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip().lstrip("#").strip()[:200]
    return "Untitled"


def import_article(
    *,
    session: Session,
    loaded: LoadedArticle,
    actor: str,
    slug: str | None = None,
    title: str | None = None,
    publisher: str | None = None,
    url: str | None = None,
    published: date | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> ArticleImportReport:
    """Create or revise the article and extract its candidate claims, in one transaction."""
    actor = clean_actor(actor)
    if not 0 <= threshold <= 1:
        raise ValidationFailed(f"threshold {threshold} is outside 0..1")
    title = title or loaded.title or _first_title_line(loaded.text)
    slug = slugify(slug or title)
    digest = sha256_text(loaded.text)
    with unit_of_work(session):
        authorize(session, actor, "import_article")
        article = session.exec(select(Article).where(Article.slug == slug)).first()
        if article is not None and article.sha256 == digest:
            return ArticleImportReport(slug, "unchanged", article.revision)
        if article is None:
            article = apply_create_article(
                session,
                ArticleCreate(
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
            session.add(
                Event(
                    claim_id=claim.id or 0,
                    actor=actor,
                    action="quote_lost",
                    field="quote",
                    old_value=f"{claim.quote_start}:{claim.quote_end}",
                    detail=f"not found in revision {report.revision}",
                )
            )
            continue
        start = min(positions, key=lambda p: abs(p - claim.quote_start))
        if start != claim.quote_start:
            old = f"{claim.quote_start}:{claim.quote_end}"
            claim.quote_start, claim.quote_end = start, start + len(claim.quote)
            session.add(claim)
            session.add(
                Event(
                    claim_id=claim.id or 0,
                    actor=actor,
                    action="relocated",
                    field="quote",
                    old_value=old,
                    new_value=f"{claim.quote_start}:{claim.quote_end}",
                    detail=f"revision {report.revision}",
                )
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
        claim = apply_create_claim(
            session,
            ClaimCreate(
                article=article.slug,
                claim=cand.quote,
                quote=cand.quote,
                quote_start=cand.start,
                quote_end=cand.end,
                section=cand.section,
                claim_type=cand.claim_type.value,
                score=cand.score,
            ),
            actor=actor,
            origin=Origin.extracted,
            article=article,
        )
        claim.reasons = json.dumps(cand.reasons, ensure_ascii=False)
        claim.below_threshold = below
        session.add(claim)
        existing.append((claim.id, cand.quote, cand.start, cand.end))
        if below:
            report.below_threshold += 1
        else:
            report.created.append(claim.id or 0)
    session.flush()


def _duplicate_of(cand: Candidate, existing: list[Any]) -> int | None:
    for claim_id, quote, start, end in existing:
        if start < cand.end and cand.start < end:  # overlapping quote: same place
            return int(claim_id)
        if fuzz.token_set_ratio(quote, cand.quote) >= DUPLICATE_SCORE:
            return int(claim_id)
    return None
