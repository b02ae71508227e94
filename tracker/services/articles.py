"""Use cases on articles: import (create or revise) and extract candidate claims."""

from __future__ import annotations

import bisect
import difflib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import update
from sqlmodel import Session, col, select

from .. import queries
from ..audit import EventAction, event_row, record_event, record_events
from ..errors import ValidationFailed
from ..intake.extract import DEFAULT_THRESHOLD, Candidate, extract_candidates
from ..intake.loading import LoadedArticle, first_title_line, load_article, slugify
from ..intake.repeats import RepeatIndex
from ..intake.text import heading_text, nearest_occurrence
from ..linkcheck.netguard import LinkPolicy
from ..models import (
    Article,
    ArticleCreate,
    ArticleKind,
    ArticleRevision,
    Claim,
    ClaimCreate,
    Origin,
    utcnow,
)
from ..permissions import Action, authorize
from ..validation import build, clean_field, max_length, validate_url
from .batch import insert_claims
from .claims import DUPLICATE_SCORE, _compare_and_set, new_claim_values, same_figures
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
    # (new candidate, lost claim): the candidate sits where the lost quote was, or
    # reads like it with other figures; a hint for the reviewer, not a link
    replacements: list[tuple[int, int]] = field(default_factory=list)
    # "checked before" (#12): (candidate, "claim" or "reference", its id, score) for each
    # candidate with a close earlier match, the best one
    earlier: list[tuple[int, str, int, float]] = field(default_factory=list)

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
            if self.replacements:
                text += "; new candidates for changed text: " + ", ".join(
                    f"{new} (replaces claim {old}?)" for new, old in self.replacements
                )
        if self.earlier:
            text += f"; {len(self.earlier)} candidates match earlier claims: " + ", ".join(
                f"{cand} ~ {kind} {other} ({score:.2f})"
                for cand, kind, other, score in self.earlier
            )
        return text


@dataclass(frozen=True)
class _Lost:
    """A claim whose quote is gone, and the part of the new text that replaced its line."""

    claim_id: int
    quote: str
    region: tuple[int, int] | None  # None: its line was deleted, or it was lost before


def _keep_revision(session: Session, article: Article, actor: str, *, old_sha: str | None) -> None:
    """Store the article's current text as its revision and record the event."""
    session.add(
        ArticleRevision(
            article_id=article.id or 0,
            revision=article.revision,
            text=article.text,
            sha256=article.sha256,
            created_by=actor,
        )
    )
    record_event(
        session,
        EventAction.article_revised if old_sha else EventAction.article_created,
        actor=actor,
        article_id=article.id,
        field="text",
        old=old_sha,
        new=article.sha256,
        detail=f"revision {article.revision}, {len(article.text):,} characters",
    )


def _insert_article(session: Session, data: ArticleCreate, actor: str) -> Article:
    """The article row, its first revision and its event; the caller checked the permission."""
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
    _keep_revision(session, article, actor, old_sha=None)
    return article


def import_article(
    *,
    session: Session,
    source: str | LoadedArticle,
    actor: str,
    policy: LinkPolicy | None = None,
    timeout: float | None = None,
    slug: str | None = None,
    title: str | None = None,
    publisher: str | None = None,
    url: str | None = None,
    published: date | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> ArticleImportReport:
    """Create or revise an article and extract its candidate claims.

    ``source`` is a file path or an http(s) URL (read with the link checker's
    safety rules and ``timeout`` as its total deadline, default
    ``TRACKER_HTTP_TIMEOUT``), or text already loaded. The permission is
    checked before anything is read or fetched. The candidates are worked
    out before the write transaction (a 5 MB article takes over a minute of
    splitting and comparing, during which other writers must not be
    refused); the transaction then only writes, all of it or nothing.
    """
    actor = clean_actor(actor)
    if not 0 <= threshold <= 1:
        raise ValidationFailed(f"threshold {threshold} is outside 0..1")
    authorize(session, actor, Action.import_article)  # before any outbound request
    session.rollback()  # end that read before the (possibly slow) fetch
    loaded = (
        source
        if isinstance(source, LoadedArticle)
        else load_article(source, policy=policy, timeout=timeout)
    )
    # a Markdown "# Title" (or a --title given that way) is stored without its markers
    title = heading_text(title or loaded.title or first_title_line(loaded.text)) or "Untitled"
    slug = slugify(slug or title)
    digest = sha256_text(loaded.text)
    # Everything that needs no write lock is worked out first, against what the
    # database holds now (a read does not stop other writers); the transaction
    # then only writes, unless the article changed in between.
    known = _read_article(session, slug)
    session.rollback()
    if known is not None and known.kind == ArticleKind.collection:
        raise ValidationFailed(_collection_message(slug))
    if known is not None and known.sha256 == digest:
        return ArticleImportReport(slug, "unchanged", known.revision)
    plan = _plan_import(loaded.text, slug, threshold, known)
    with unit_of_work(session):
        authorize(session, actor, Action.import_article)
        article = session.exec(select(Article).where(Article.slug == slug)).first()
        if article is not None and article.kind == ArticleKind.collection:
            raise ValidationFailed(_collection_message(slug))
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
                actor,
            )
            report = ArticleImportReport(slug, "created", 1)
            lost: list[_Lost] = []
        else:
            report = ArticleImportReport(slug, "revised", article.revision + 1)
            lost = _revise(session, article, loaded.text, actor, report)
        _add_candidates(session, article, actor, threshold, report, lost, plan)
    _match_earlier(session, report)
    return report


def _collection_message(slug: str) -> str:
    return (
        f"{slug!r} is a collection of imported claims without text; "
        "import the article under another slug (--slug)"
    )


@dataclass(frozen=True)
class _Known:
    """What an import reads of the article before its transaction."""

    kind: str
    sha256: str
    revision: int
    claims: list[tuple[int, str, int, int]]  # (id, quote, start, end), by id


def _read_article(session: Session, slug: str) -> _Known | None:
    article = session.exec(select(Article).where(Article.slug == slug)).first()
    if article is None:
        return None
    claims = [
        (i or 0, q, s, e)
        for i, q, s, e in session.exec(
            select(Claim.id, Claim.quote, Claim.quote_start, Claim.quote_end)
            .where(Claim.article_id == article.id)
            .order_by(col(Claim.id))
        )
    ]
    return _Known(article.kind, article.sha256, article.revision, claims)


@dataclass
class _Plan:
    """The candidates of a text, worked out before the write transaction.

    ``covering``: the claims they were compared with (those whose quote the
    text holds, where the revision moves them); ``fresh`` the new candidates,
    ``matches`` the (claim, quote) repeats (a negative id -n is the n-th fresh
    candidate) and ``rows`` the new claims' checked values, in ``fresh`` order.
    """

    covering: list[tuple[int, str, int, int]]
    fresh: list[Candidate]
    matches: list[tuple[int, str]]
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class _Text:
    """The quote rules' view of an article not stored yet (:class:`QuotedText`)."""

    slug: str
    text: str


def _plan_import(text: str, slug: str, threshold: float, known: _Known | None) -> _Plan:
    """Pure: the candidates of ``text`` against the claims ``known`` (if a revision)."""
    covering = [] if known is None else _anchored(known.claims, text)
    return _plan(text, slug, threshold, covering, _scored(text))


def _scored(text: str) -> list[Candidate]:
    """The sentences that may become candidates (headings and questions never do)."""
    return [c for c in extract_candidates(text) if c.kind != "heading" and c.score != 0]


def _anchored(
    claims: list[tuple[int, str, int, int]], text: str
) -> list[tuple[int, str, int, int]]:
    """Where :func:`_revise` will find each claim's quote in ``text`` (nearest its old
    start); the claims it will not find are left out."""
    out = []
    shifts: list[int] = []
    for claim_id, quote, old_start, _end in claims:
        start = nearest_occurrence(text, quote, old_start, shifts)
        if start is not None:
            out.append((claim_id, quote, start, start + len(quote)))
    return out


def _plan(
    text: str,
    slug: str,
    threshold: float,
    covering: list[tuple[int, str, int, int]],
    candidates: list[Candidate],
) -> _Plan:
    """Each candidate is new, or repeats a covering claim or an earlier candidate
    (:func:`duplicate_of`'s rule, through a :class:`RepeatIndex`)."""
    existing = list(covering)
    index = RepeatIndex([q for _i, q, _s, _e in existing] + [c.quote for c in candidates])
    for _id, quote, start, end in existing:
        index.add(quote, start, end)
    fresh: list[Candidate] = []
    matches: list[tuple[int, str]] = []
    for cand in candidates:
        position = _repeat_position(index, existing, cand)
        if position is not None:
            matches.append((existing[position][0], cand.quote))
            continue
        fresh.append(cand)
        existing.append((-len(fresh), cand.quote, cand.start, cand.end))
        index.add(cand.quote, cand.start, cand.end)
    page = _Text(slug, text)
    rows = [_claim_values(page, cand, threshold, list(cand.reasons)) for cand in fresh]
    return _Plan(covering, fresh, matches, rows)


def _repeat_position(
    index: RepeatIndex, existing: list[tuple[int, str, int, int]], cand: Candidate
) -> int | None:
    """:func:`duplicate_index` of ``cand`` in ``existing``, scoring only what may repeat it."""
    overlap = index.overlapping(cand.start, cand.end)
    if overlap is not None:
        return overlap
    for position in index.similar(cand.quote):
        other = existing[position][1]
        close = fuzz.token_set_ratio(cand.quote, other, score_cutoff=DUPLICATE_SCORE)
        if close >= DUPLICATE_SCORE and same_figures(other, cand.quote):
            return position
    return None


def _claim_values(
    page: _Text, cand: Candidate, threshold: float, reasons: list[str]
) -> dict[str, Any]:
    """The checked column values of a new candidate claim (its article id set later)."""
    data = build(
        ClaimCreate,
        article=page.slug,
        claim=cand.quote[: max_length(Claim, "claim")],
        quote=cand.quote,
        quote_start=cand.start,
        quote_end=cand.end,
        section=cand.section,
        claim_type=cand.claim_type.value,
        score=cand.score,
    )
    return new_claim_values(
        page,
        0,
        claim=data.claim,
        quote=data.quote,
        quote_start=data.quote_start,
        quote_end=data.quote_end,
        section=data.section,
        claim_type=data.claim_type,
        origin=Origin.extracted,
        score=data.score,
        reasons=reasons,
        below_threshold=cand.score < threshold,
    )


def _match_earlier(session: Session, report: ArticleImportReport) -> None:
    """Each new candidate's best earlier match, stored for the queue and put in the report."""
    from ..matching import store
    from .references import refresh_matches

    if not report.created or store.is_empty(session):
        return
    refresh_matches(session=session, claim_ids=report.created)
    best = queries.best_matches(session=session, claim_ids=report.created)
    report.earlier = [
        (cid, best[cid].kind, best[cid].id, best[cid].score)
        for cid in report.created
        if cid in best
    ]


def _revise(
    session: Session, article: Article, text: str, actor: str, report: ArticleImportReport
) -> list[_Lost]:
    """New text: move each claim to its quote in the new text, or report it lost."""
    old_text, old_sha = article.text, article.sha256
    regions = _replaced_regions(old_text, text)
    article.text, article.sha256, article.revision = text, sha256_text(text), report.revision
    session.add(article)
    session.flush()
    _keep_revision(session, article, actor, old_sha=old_sha)
    lost: list[_Lost] = []
    claims = list(  # in text order (each quote tries its predecessor's shift), ids breaking ties
        session.exec(
            select(Claim)
            .where(Claim.article_id == article.id)
            .order_by(col(Claim.quote_start), col(Claim.id))
        )
    )
    shifts: list[int] = []
    for claim in claims:
        start = nearest_occurrence(text, claim.quote, claim.quote_start, shifts)
        if start is None:
            report.lost.append(claim.id or 0)
            if claim.quote_lost_in is not None:  # lost in an earlier revision: said then
                lost.append(_Lost(claim.id or 0, claim.quote, None))
                continue
            lost.append(_Lost(claim.id or 0, claim.quote, regions(claim.quote_start)))
            _mark_lost(session, claim, actor, report.revision)
            continue
        if claim.quote_lost_in is not None:  # back in this revision (a figure reverted)
            _mark_found(session, claim, actor, start, report.revision)
            report.relocated += 1
            continue
        if start != claim.quote_start:
            old = f"{claim.quote_start}:{claim.quote_end}"
            new = f"{start}:{start + len(claim.quote)}"
            version = _compare_and_set(
                session,
                claim,
                None,  # a move is a change: an export taken before it is stale
                {"quote_start": start, "quote_end": start + len(claim.quote)},
            )
            record_event(
                session,
                EventAction.relocated,
                actor=actor,
                claim_id=claim.id,
                field="quote",
                old=old,
                new=new,
                detail=f"revision {report.revision}",
                version=version,
            )
            report.relocated += 1
    session.flush()
    return lost


def _mark_lost(session: Session, claim: Claim, actor: str, revision: int) -> None:
    """The claim's quote is not in ``revision``: say so, and clear its confirmation.

    Its offsets are kept: they belong to the revision before (the state says
    so), so the record of where the quote was stays, and nothing reads them as
    a place in the current text.
    """
    confirmed_by = claim.confirmed_by
    old = f"{claim.quote_start}:{claim.quote_end}"
    version = _compare_and_set(
        session,
        claim,
        None,
        {"quote_lost_in": revision, "confirmed_by": None, "confirmed_at": None},
    )
    record_event(
        session,
        EventAction.quote_lost,
        actor=actor,
        claim_id=claim.id,
        field="quote",
        old=old,
        detail=f"not found in revision {revision}",
        version=version,
    )
    if confirmed_by:
        # A verdict about words the article no longer has needs a second look.
        record_event(
            session,
            EventAction.confirmation_cleared,
            actor=actor,
            claim_id=claim.id,
            field="confirmed_by",
            old=confirmed_by,
            detail=f"its quote is not in revision {revision}",
            version=version,
        )


def _mark_found(session: Session, claim: Claim, actor: str, start: int, revision: int) -> None:
    """A lost quote is in ``revision`` again: the claim quotes the text at ``start``."""
    old = f"{claim.quote_start}:{claim.quote_end}"
    new = f"{start}:{start + len(claim.quote)}"
    lost_in = claim.quote_lost_in
    version = _compare_and_set(
        session,
        claim,
        None,
        {
            "quote_start": start,
            "quote_end": start + len(claim.quote),
            "quote_lost_in": None,
            "quote_replacement": None,
        },
    )
    record_event(
        session,
        EventAction.relocated,
        actor=actor,
        claim_id=claim.id,
        field="quote",
        old=old,
        new=new,
        detail=f"revision {revision}: the quote lost in revision {lost_in} is back",
        version=version,
    )


def _replaced_regions(old: str, new: str) -> Callable[[int], tuple[int, int] | None]:
    """For an offset in ``old``: the span of ``new`` that replaced its line, if it was edited."""
    old_lines, new_lines = old.split("\n"), new.split("\n")
    old_starts, new_starts = _line_starts(old_lines), _line_starts(new_lines)
    edits = [
        (i1, i2, new_starts[j1], new_starts[j2 - 1] + len(new_lines[j2 - 1]))
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
            None, old_lines, new_lines, autojunk=False
        ).get_opcodes()
        if tag == "replace"
    ]

    def region(offset: int) -> tuple[int, int] | None:
        index = bisect.bisect_right(old_starts, offset) - 1
        return next(((a, b) for i1, i2, a, b in edits if i1 <= index < i2), None)

    return region


def _line_starts(text_lines: list[str]) -> list[int]:
    starts, pos = [], 0
    for line in text_lines:
        starts.append(pos)
        pos += len(line) + 1
    return starts


def _add_candidates(
    session: Session,
    article: Article,
    actor: str,
    threshold: float,
    report: ArticleImportReport,
    lost: list[_Lost],
    plan: _Plan | None = None,
) -> None:
    """Every sentence no claim covers becomes a candidate; the rest are reported as matches.

    Only claims whose quote is in the text cover anything: a lost claim's old
    offsets point into the previous revision. ``plan``, worked out before the
    transaction, is used if it was made against these claims; otherwise the
    candidates are worked out again here.
    """
    covering: list[tuple[int, str, int, int]] = [
        (i or 0, q, s, e)
        for i, q, s, e in session.exec(
            select(Claim.id, Claim.quote, Claim.quote_start, Claim.quote_end)
            .where(Claim.article_id == article.id)
            .order_by(col(Claim.id))
        )
        if article.text[s:e] == q
    ]
    if plan is None or plan.covering != covering:
        plan = _plan(article.text, article.slug, threshold, covering, _scored(article.text))
    fresh = plan.fresh
    hints = _replacement_hints(fresh, lost)
    authorize(session, actor, Action.edit_claim)
    now = utcnow()
    rows = []
    page = _Text(article.slug, article.text)
    for index, (cand, values) in enumerate(zip(fresh, plan.rows, strict=True)):
        if index in hints:
            why = f"its quote is not in revision {report.revision}"
            reasons = [*cand.reasons, f"may replace claim {hints[index]} ({why})"]
            values = _claim_values(page, cand, threshold, reasons)
        rows.append(values | {"article_id": article.id, "created_at": now, "updated_at": now})
    ids = insert_claims(session, rows) if rows else []
    record_events(
        session,
        [
            event_row(
                EventAction.created,
                actor=actor,
                claim_id=claim_id,
                new=row["claim"],
                version=1,
                at=now,
            )
            for claim_id, row in zip(ids, rows, strict=True)
        ],
    )
    for index, (claim_id, row) in enumerate(zip(ids, rows, strict=True)):
        if row["below_threshold"]:
            report.below_threshold += 1
        else:
            report.created.append(claim_id)
        if index in hints:
            report.replacements.append((claim_id, hints[index]))
    report.linked.extend((ids[-m - 1] if m < 0 else m, quote) for m, quote in plan.matches)
    session.flush()
    _propose_replacements(session, lost, dict((old, new) for new, old in report.replacements))


def _propose_replacements(session: Session, lost: list[_Lost], proposed: dict[int, int]) -> None:
    """Store on each lost claim the candidate proposed in its place (the claim page offers it).

    A proposal of an earlier revision stays while its candidate's quote is still
    in the text; a new one replaces it.
    """
    for gone in lost:
        claim = session.get(Claim, gone.claim_id)
        if claim is None:
            continue
        new = proposed.get(gone.claim_id, claim.quote_replacement)
        if new is not None and new != proposed.get(gone.claim_id):
            other = session.get(Claim, new)
            new = new if other is not None and other.quote_lost_in is None else None
        if new != claim.quote_replacement:
            # a hint written with the import's own quote_lost event, not an edit: no new version
            session.execute(
                update(Claim)
                .where(col(Claim.id) == gone.claim_id)
                .values(quote_replacement=new)
                .execution_options(synchronize_session=False)
            )
            session.expire(claim)


def _replacement_hints(fresh: list[Candidate], lost: list[_Lost]) -> dict[int, int]:
    """Which new candidate (by index) may replace which lost claim: at most one each.

    First the candidate most like the lost quote within the text that replaced
    its line; failing that, one that reads the same apart from its figures.
    """
    hints: dict[int, int] = {}
    for gone in lost:
        free = [i for i in range(len(fresh)) if i not in hints]
        if gone.region is not None:
            a, b = gone.region
            near = [i for i in free if a <= fresh[i].start < b]
        else:
            near = []
        if not near:
            near = [
                i
                for i in free
                if fuzz.token_set_ratio(gone.quote, fresh[i].quote) >= DUPLICATE_SCORE
            ]
        if near:
            best = max(near, key=lambda i: fuzz.ratio(gone.quote, fresh[i].quote))
            hints[best] = gone.claim_id
    return hints
