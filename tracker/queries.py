"""Read side: listing, counting, detail and statistics. Filtering and paging in SQL."""

from __future__ import annotations

import dataclasses
import json
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    column,
    exists,
    func,
    literal_column,
    or_,
    table,
    true,
    union,
)
from sqlalchemy import select as sa_select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute, aliased
from sqlalchemy.sql.sqltypes import NullType
from sqlmodel import Session, col, select

from .errors import NotFound, ValidationFailed
from .matching.index import MATCH_THRESHOLD
from .models import (
    Article,
    ArticlePublic,
    ChangeMarker,
    Claim,
    ClaimPublic,
    ClaimStatus,
    ClaimType,
    ClaimVector,
    Event,
    EventPublic,
    Note,
    NotePublic,
    Origin,
    Reference,
    Source,
    SourcePublic,
    VerdictDay,
    as_utc,
)
from .validation import clean_text, parse_enum
from .vocabulary import SORT_KEYS


@dataclass(frozen=True)
class ClaimFilter:
    """What to narrow a claim list to; every field is optional."""

    status: Sequence[str] = ()
    article: str | None = None
    claim_type: Sequence[str] = ()
    assignee: str | None = None  # "" or "-" means unassigned
    search: str | None = None
    origin: str | None = None
    ids: Sequence[int] = ()
    include_below_threshold: bool = False
    has_match: bool = False  # only claims with a close earlier match (#12)
    pending_confirmation: bool = False  # verdicts no editor has confirmed yet (#11)
    quote_lost: bool = False  # quote not in the article's current text, not dismissed

    def __post_init__(self) -> None:
        for s in self.status:
            parse_enum(ClaimStatus, s, "status")
        for t in self.claim_type:
            parse_enum(ClaimType, t, "claim type")
        if self.origin:
            parse_enum(Origin, self.origin, "origin")
        # PostgreSQL refuses a NUL in text; no other control character can match either
        for name in ("search", "article", "assignee"):
            check_search_text(getattr(self, name), name)


# Longer than any claim, quote or note a search could sensibly quote.
MAX_SEARCH = 1000


def check_search_text(value: str | None, field: str) -> None:
    """Refuse a search or filter text that no row can match and a driver may choke on:
    a control character (a NUL makes PostgreSQL fail) or more than ``MAX_SEARCH``."""
    clean_text(value, field, max_chars=MAX_SEARCH, required=False, multiline=False)


# A verdict waits for its second review until an editor confirms it.
PENDING_STATUSES = (ClaimStatus.verified, ClaimStatus.flagged)

# Ids are INTEGER (SQLite) / int4 (PostgreSQL) serials: one range on both backends,
# so an id beyond it is simply not there (instead of an overflow in the driver).
MAX_ID = 2_147_483_647
# LIMIT and OFFSET are bound as int4 on PostgreSQL.
MAX_ROWS = 2_147_483_647


def check_claim_id(claim_id: int) -> int:
    """``claim_id`` if it can name a claim at all, else :class:`NotFound` naming it."""
    if not 1 <= claim_id <= MAX_ID:
        raise NotFound(f"claim {claim_id} does not exist (claim ids run from 1 to {MAX_ID:,})")
    return claim_id


def _check_count(value: int | None, name: str) -> None:
    if value is not None and not 0 <= value <= MAX_ROWS:
        raise ValidationFailed(f"{name} must be from 0 to {MAX_ROWS:,}, got {value}")


def _source_count() -> Any:
    return col(Claim.source_count)  # kept by add_source; indexed (ix_claim_source_count_id)


# The text index answers searches of this many characters or more (trigrams).
MIN_INDEXED_SEARCH = 3


class _TextSearch(ColumnElement[bool]):
    """Claims whose text, quote or a note contains ``term`` (literal, case-insensitive).

    Compiled per database: SQLite looks the term up in the FTS5 trigram tables
    (``claim_fts``, ``note_fts``); PostgreSQL runs ``ILIKE`` on the columns,
    which the ``pg_trgm`` GIN indexes answer. Both are the substring search
    with an index behind it; shorter terms, which have no trigram, scan.
    """

    inherit_cache = False
    type = NullType()  # type: ignore[assignment]  # Boolean: SQLite adds "= 1", no index

    def __init__(self, term: str) -> None:
        self.term = term


@compiles(_TextSearch)
def _compile_search(element: _TextSearch, compiler: Any, **kw: Any) -> str:
    term = element.term
    if len(term) < MIN_INDEXED_SEARCH:
        expr: Any = _scan_search(term)
    elif compiler.dialect.name == "sqlite":
        phrase = '"' + term.replace('"', '""') + '"'
        claim_hits: Any = select(literal_column("rowid")).select_from(table("claim_fts"))
        claim_hits = claim_hits.where(literal_column("claim_fts").op("MATCH")(phrase))
        note_ids: Any = select(literal_column("rowid")).select_from(table("note_fts"))
        note_ids = note_ids.where(literal_column("note_fts").op("MATCH")(phrase))
        note_hits = select(Note.claim_id).where(col(Note.id).in_(note_ids))
        expr = col(Claim.id).in_(union(claim_hits, note_hits))
    else:
        inner = aliased(Claim)
        claim_hits = select(inner.id).where(or_(_like(inner.claim, term), _like(inner.quote, term)))
        note_hits = select(Note.claim_id).where(_like(Note.body, term))
        expr = _IdIn(col(Claim.id), union(claim_hits, note_hits))
    return f"({compiler.process(expr, **kw)})"  # a raw string: the caller cannot group it


class _IdIn(ColumnElement[bool]):
    """``column IN (ids)``, where ``ids`` is a SELECT of a few ids or of many.

    On PostgreSQL it is ``column = ANY(ARRAY(ids))``: the planner cannot tell how
    few rows a trigram search finds (it guessed 3,133 notes for 286), and for
    ``IN`` it hashed the matches and scanned an index of every claim to probe
    them, a cost that grows with the archive (200k claims: 30 ms, 1M: over
    100 ms). The array is computed once and looked up through the primary key:
    13 ms at 200k. A word in most claims costs about 15% more this way.
    """

    inherit_cache = False
    type = NullType()  # type: ignore[assignment]  # see _TextSearch

    def __init__(self, column: Any, ids: Any) -> None:
        self.column, self.ids = column, ids


@compiles(_IdIn)
def _compile_id_in(element: _IdIn, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    ids = compiler.process(element.ids, **kw)
    if compiler.dialect.name == "postgresql":
        return f"({column} = ANY(ARRAY({ids})))"
    return f"({column} IN ({ids}))"


def _scan_search(term: str) -> ColumnElement[bool]:
    in_notes = exists(select(Note.id).where(Note.claim_id == Claim.id, _like(Note.body, term)))
    return or_(_like(Claim.claim, term), _like(Claim.quote, term), in_notes)


def _like(column: InstrumentedAttribute[Any] | Any, term: str) -> ColumnElement[bool]:
    return column.ilike(f"%{_escaped(term)}%", escape="\\")


def _escaped(term: str) -> str:
    """``term`` as a literal inside a LIKE pattern (escape character backslash)."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _conditions(filters: ClaimFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if filters.status:
        conds.append(col(Claim.status).in_(list(filters.status)))
    if filters.article:
        article_id = select(Article.id).where(Article.slug == filters.article).scalar_subquery()
        conds.append(col(Claim.article_id) == article_id)
    if filters.claim_type:
        conds.append(col(Claim.claim_type).in_(list(filters.claim_type)))
    if filters.assignee is not None:
        if filters.assignee in ("", "-"):
            conds.append(col(Claim.assignee).is_(None))
        else:
            conds.append(col(Claim.assignee) == filters.assignee)
    if filters.origin:
        conds.append(col(Claim.origin) == filters.origin)
    if filters.ids:
        conds.append(col(Claim.id).in_(list(filters.ids)))
    elif not filters.include_below_threshold:
        conds.append(col(Claim.below_threshold).is_(False))
    if filters.has_match:
        # from the stored matches (ix_claim_vector_best_score), not a probe per claim
        close = select(ClaimVector.claim_id).where(col(ClaimVector.best_score) >= MATCH_THRESHOLD)
        conds.append(_IdIn(col(Claim.id), close))
    if filters.pending_confirmation:
        conds.append(col(Claim.status).in_([s.value for s in PENDING_STATUSES]))
        conds.append(col(Claim.confirmed_by).is_(None))
    if filters.quote_lost:
        conds.append(col(Claim.quote_lost_in).is_not(None))
        conds.append(col(Claim.status) != ClaimStatus.dismissed.value)
    if filters.search and filters.search.strip():
        conds.append(_TextSearch(filters.search.strip()))
    return conds


def _claim_select() -> Any:
    return select(Claim, Article.slug, _source_count().label("source_count")).join(
        Article, col(Article.id) == Claim.article_id
    )


def _to_public(claim: Claim, slug: str, source_count: int) -> ClaimPublic:
    data = claim.model_dump(exclude={"source_count"})
    data["reasons"] = json.loads(claim.reasons) if claim.reasons else []
    for key in ("created_at", "updated_at", "last_reviewed_at", "confirmed_at"):
        data[key] = as_utc(data[key])
    return ClaimPublic(**data, article=slug, source_count=source_count or 0)


def list_claims(
    *,
    session: Session,
    filters: ClaimFilter | None = None,
    sort: str = "id",
    descending: bool = False,
    limit: int | None = 50,
    offset: int = 0,
) -> list[ClaimPublic]:
    _check_count(limit, "limit")
    _check_count(offset, "offset")
    stmt = list_claims_statement(filters or ClaimFilter(), sort, descending)
    if limit is not None:
        stmt = stmt.limit(limit)
    if offset:
        stmt = stmt.offset(offset)
    return [_to_public(c, slug, n) for c, slug, n in session.exec(stmt).all()]


def iter_claims(
    *,
    session: Session,
    filters: ClaimFilter | None = None,
    sort: str = "id",
    descending: bool = False,
    offset: int = 0,
    batch_size: int = 1000,
) -> Iterator[ClaimPublic]:
    """Every matching claim in ``list_claims``' order, streamed (memory stays flat)."""
    _check_count(offset, "offset")
    stmt = list_claims_statement(filters or ClaimFilter(), sort, descending)
    if offset:
        stmt = stmt.offset(offset)
    stmt = stmt.execution_options(yield_per=batch_size, stream_results=True)
    for partition in session.exec(stmt).partitions(batch_size):
        # the identity map holds claims weakly: those already printed are collected
        yield from (_to_public(c, slug, n) for c, slug, n in partition)


def list_claims_statement(filters: ClaimFilter, sort: str, descending: bool) -> Any:
    """The claim list's SELECT (no paging): filters, then ``sort`` with id breaking ties."""
    return _sorted(_claim_select().where(and_(True, *_conditions(filters))), sort, descending)


def _sorted(stmt: Any, sort: str, descending: bool) -> Any:
    """``stmt`` ordered by ``sort``, with id breaking ties."""
    if sort not in SORT_KEYS:
        raise ValidationFailed(f"unknown sort key {sort!r}; allowed: {', '.join(SORT_KEYS)}")
    order: Any = _source_count() if sort == "sources" else getattr(Claim, sort)
    order = order.desc() if descending else order.asc()
    return stmt.order_by(order, col(Claim.id).desc() if descending else col(Claim.id))


def iter_claim_batches(
    *, session: Session, filters: ClaimFilter | None = None, batch_size: int = 500
) -> Iterator[list[ClaimPublic]]:
    """Every matching claim in id order, fetched in batches from a streaming cursor."""
    filters = filters or ClaimFilter()
    stmt = (
        _claim_select()
        .where(and_(True, *_conditions(filters)))
        .order_by(col(Claim.id))
        .execution_options(yield_per=batch_size, stream_results=True)
    )
    for partition in session.exec(stmt).partitions(batch_size):
        yield [_to_public(c, slug, n) for c, slug, n in partition]


def iter_claim_rows(
    *, session: Session, filters: ClaimFilter | None = None, batch_size: int = 500
) -> Iterator[Sequence[Any]]:
    """Every matching claim as a plain row (the claim's columns and ``article``, its
    slug) in id order, streamed in batches: for exports, no ORM or pydantic objects."""
    claim_table: Any = Claim.__table__  # type: ignore[attr-defined]
    stmt = (
        sa_select(*claim_table.c, col(Article.slug).label("article"))
        .join(Article, col(Article.id) == Claim.article_id)
        .where(and_(True, *_conditions(filters or ClaimFilter())))
        .order_by(col(Claim.id))
        .execution_options(yield_per=batch_size, stream_results=True)
    )
    yield from session.execute(stmt).partitions(batch_size)


# Queued claims per article (0: every article), dimension and key ('' for none), kept
# by triggers in each claim write's transaction (migration 0016).
_TALLY = table("claim_tally", column("article_id"), column("dim"), column("key"), column("n"))
# Sources of queued claims per article (0: every article) and stance (migration 0017).
_SOURCE_TALLY = table("source_tally", column("article_id"), column("stance"), column("n"))


def _tally_article(slug: str | None) -> Any:
    if not slug:
        return 0
    return select(Article.id).where(Article.slug == slug).scalar_subquery()


_TALLIED_FILTERS = frozenset({"status", "article", "assignee"})


def _tally_question(filters: ClaimFilter) -> tuple[str, list[str]] | None:
    """The tally dimension and keys (none: all) that count ``filters``, if it can.

    Only filters on article, status or assignee (not status and assignee) are
    tallied; any other field set (a blank search counts as unset) means a SQL
    count, so a filter added later is never counted wrongly by the tally.
    """
    default = ClaimFilter()
    narrowed = {
        f.name
        for f in dataclasses.fields(ClaimFilter)
        if getattr(filters, f.name) != getattr(default, f.name)
        and getattr(filters, f.name) not in ([], ())  # an empty list is no filter either
    }
    if not (filters.search or "").strip():
        narrowed.discard("search")
    if not narrowed <= _TALLIED_FILTERS or {"status", "assignee"} <= narrowed:
        return None
    if filters.assignee is not None:
        return "assignee", ["" if filters.assignee in ("", "-") else filters.assignee]
    return "status", list(filters.status)


def count_claims(*, session: Session, filters: ClaimFilter | None = None) -> int:
    """How many claims match; by article, status or assignee alone from the kept tally."""
    filters = filters or ClaimFilter()
    question = _tally_question(filters)
    if question is not None:
        dim, keys = question
        total = sa_select(func.coalesce(func.sum(_TALLY.c.n), 0)).where(
            _TALLY.c.article_id == _tally_article(filters.article), _TALLY.c.dim == dim
        )
        if keys:
            total = total.where(_TALLY.c.key.in_(keys))
        return int(session.execute(total).scalar_one())
    stmt = select(func.count()).select_from(Claim).where(and_(True, *_conditions(filters)))
    return int(session.exec(stmt).one())


def unreviewed_in(filters: ClaimFilter) -> ClaimFilter:
    """The unreviewed claims among ``filters``: every filter but status ("Next
    unreviewed" follows the queue's filters, whatever status it shows)."""
    return dataclasses.replace(filters, status=(ClaimStatus.unreviewed.value,))


def count_with_unreviewed(*, session: Session, filters: ClaimFilter) -> tuple[int, int]:
    """The queue's two figures: the claims that match ``filters``, and the unreviewed ones
    among the claims that match every filter but status (what "Next unreviewed" walks).

    With a text search both are counted in one pass over the search's matches
    (``count(*) FILTER``) instead of searching twice; otherwise each is a count
    of its own, most of them answered by the tally.
    """
    unreviewed = unreviewed_in(filters)
    if not (filters.search and filters.search.strip()):
        return (
            count_claims(session=session, filters=filters),
            count_claims(session=session, filters=unreviewed),
        )
    in_status = col(Claim.status).in_(list(filters.status)) if filters.status else true()
    stmt = (
        sa_select(
            func.count().filter(in_status),
            func.count().filter(col(Claim.status).in_(list(unreviewed.status))),
        )
        .select_from(Claim)
        .where(and_(True, *_conditions(dataclasses.replace(filters, status=()))))
    )
    total, to_go = session.execute(stmt).one()
    return int(total), int(to_go)


@dataclass(frozen=True)
class QueuePage:
    """One page of the claim list with the queue's two figures."""

    rows: list[ClaimPublic]
    total: int  # claims that match the filters
    unreviewed: int  # unreviewed claims that match every filter but status
    offset: int  # where ``rows`` start: the offset asked for, or the last page's


def queue_page(
    *,
    session: Session,
    filters: ClaimFilter,
    sort: str = "id",
    descending: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> QueuePage:
    """A page of ``list_claims`` and :func:`count_with_unreviewed`'s two counts.

    With a text search the search runs once for all three (the counts and the
    page are read from its matches in one statement) instead of once for the
    counts and again for the page. An offset past the last claim gives the last
    page; its ``offset`` says where it starts.
    """
    offset = min(offset, MAX_ROWS)  # past the end is the last page, not an error
    _check_count(offset, "offset")
    if not 1 <= limit <= MAX_ROWS:
        raise ValidationFailed(f"limit must be from 1 to {MAX_ROWS:,}, got {limit}")
    if filters.search and filters.search.strip():
        found = _searched_page(session, filters, sort, descending, limit, offset)
        if found is not None:
            return found
    # No search, or the asked page is empty: count, then read the last page that has rows.
    total, to_go = count_with_unreviewed(session=session, filters=filters)
    if offset >= total:  # past the last claim: the last page
        offset = (total - 1) // limit * limit if total else 0
    rows = (
        list_claims(
            session=session,
            filters=filters,
            sort=sort,
            descending=descending,
            limit=limit,
            offset=offset,
        )
        if total
        else []
    )
    return QueuePage(rows, total, to_go, offset)


def _searched_page(
    session: Session, filters: ClaimFilter, sort: str, descending: bool, limit: int, offset: int
) -> QueuePage | None:
    """The page and both counts in one statement, or None when the page has no rows.

    ``hits``: the claims that match every filter but status, searched once (a CTE
    read three times, which PostgreSQL and SQLite materialise). The counts are
    two scalar subqueries over it, the page's rows are looked up by id.
    """
    hits = (
        sa_select(col(Claim.id).label("id"), col(Claim.status).label("status"))
        .where(and_(True, *_conditions(dataclasses.replace(filters, status=()))))
        .cte("hits")
        .prefix_with("MATERIALIZED")
    )
    in_status = hits.c.status.in_(list(filters.status)) if filters.status else true()
    total = sa_select(func.count()).select_from(hits).where(in_status).scalar_subquery()
    unreviewed = unreviewed_in(filters).status
    to_go = (
        sa_select(func.count())
        .select_from(hits)
        .where(hits.c.status.in_(list(unreviewed)))
        .scalar_subquery()
    )
    page = _claim_select().add_columns(total.label("total"), to_go.label("to_go"))
    page = page.where(_IdIn(col(Claim.id), sa_select(hits.c.id).where(in_status)))
    page = _sorted(page, sort, descending).limit(limit).offset(offset)
    found = session.exec(page).all()
    if not found:
        return None
    rows = [_to_public(c, slug, n) for c, slug, n, _, _ in found]
    return QueuePage(rows, int(found[0][3]), int(found[0][4]), offset)


def assignees(*, session: Session) -> list[str]:
    """Everyone who has a queued claim assigned, for the assignee filter (from the tally)."""
    return sorted(tally(session=session)["assignee"])


def tally(*, session: Session, article: str | None = None) -> dict[str, dict[str, int]]:
    """Queued claims per dimension (status, flag_reason, reviewer, assignee) and key, of
    one article or all; keys with no claim and '' (no reason, reviewer, assignee) left out."""
    stmt = sa_select(_TALLY.c.dim, _TALLY.c.key, _TALLY.c.n).where(
        _TALLY.c.article_id == _tally_article(article), _TALLY.c.n != 0
    )
    out: dict[str, dict[str, int]] = {d: {} for d in ("status", "flag_reason", "reviewer")}
    out["assignee"] = {}
    for dim, key, n in session.execute(stmt).all():
        if key:
            out.setdefault(str(dim), {})[str(key)] = int(n)
    return out


def get_claim(*, session: Session, claim_id: int) -> ClaimPublic:
    check_claim_id(claim_id)
    row = session.exec(_claim_select().where(Claim.id == claim_id)).first()
    if row is None:
        raise NotFound(f"claim {claim_id} does not exist")
    return _to_public(*row)


def next_claim_id(
    *,
    session: Session,
    after_id: int | None = None,
    filters: ClaimFilter | None = None,
    backwards: bool = False,
) -> int | None:
    """The next claim (by id, wrapping around) that matches ``filters``.

    ``backwards`` walks the other way: the previous claim, wrapping to the last.
    """
    filters = filters or ClaimFilter(status=[ClaimStatus.unreviewed.value])
    order = col(Claim.id).desc() if backwards else col(Claim.id)
    base = select(Claim.id).where(and_(True, *_conditions(filters))).order_by(order).limit(1)
    if after_id is not None:
        beyond = col(Claim.id) < after_id if backwards else col(Claim.id) > after_id
        found = session.exec(base.where(beyond)).first()
        if found is not None:
            return found
    return session.exec(base).first()


@dataclass
class ClaimDetail:
    claim: ClaimPublic
    article_title: str
    sources: list[SourcePublic]
    notes: list[NotePublic]
    events: list[EventPublic]


def claim_detail(*, session: Session, claim_id: int) -> ClaimDetail:
    claim = get_claim(session=session, claim_id=claim_id)
    title = session.exec(select(Article.title).where(Article.slug == claim.article)).one()
    sources = session.exec(
        select(Source).where(Source.claim_id == claim_id).order_by(col(Source.id))
    ).all()
    notes = session.exec(select(Note).where(Note.claim_id == claim_id).order_by(col(Note.id))).all()
    events = session.exec(
        select(Event).where(Event.claim_id == claim_id).order_by(col(Event.id))
    ).all()
    return ClaimDetail(
        claim=claim,
        article_title=title,
        sources=[SourcePublic.model_validate(s) for s in sources],
        notes=[
            NotePublic.model_validate(n.model_dump() | {"created_at": as_utc(n.created_at)})
            for n in notes
        ],
        events=[EventPublic.model_validate(e.model_dump() | {"at": as_utc(e.at)}) for e in events],
    )


PENDING_SHOWN = 50  # the editor's queue shows this many at a time, oldest first


def pending_confirmations(
    *, session: Session, article: str | None = None, limit: int = PENDING_SHOWN
) -> list[ClaimDetail]:
    """Verdicts waiting for an editor's confirmation, oldest verdict first, each with
    its sources, notes and history (the editor's queue)."""
    _check_count(limit, "limit")
    filters = ClaimFilter(article=article, pending_confirmation=True, include_below_threshold=True)
    stmt = (
        select(Claim.id)
        .where(and_(True, *_conditions(filters)))
        .order_by(col(Claim.last_reviewed_at), col(Claim.id))
        .limit(limit)
    )
    return [claim_detail(session=session, claim_id=int(cid or 0)) for cid in session.exec(stmt)]


def list_articles(*, session: Session, with_counts: bool = True) -> list[ArticlePublic]:
    """Every article without its text; ``with_counts=False`` leaves ``claim_count`` at 0 and
    skips counting every claim (a picker of slugs at a million claims)."""
    if not with_counts:
        fields = [f for f in ArticlePublic.model_fields if f != "claim_count"]
        plain = sa_select(*(getattr(Article, f) for f in fields)).order_by(col(Article.id))
        return [
            ArticlePublic(**dict(zip(fields, row, strict=True)))
            for row in session.execute(plain).all()
        ]
    counts = (
        select(Claim.article_id, func.count(col(Claim.id)).label("n"))
        .group_by(col(Claim.article_id))
        .subquery()
    )
    fields = [f for f in ArticlePublic.model_fields if f != "claim_count"]
    stmt = (
        sa_select(*(getattr(Article, f) for f in fields), counts.c.n)  # never the texts
        .outerjoin(counts, counts.c.article_id == Article.id)
        .order_by(col(Article.id))
    )
    return [
        ArticlePublic(**dict(zip(fields, row[:-1], strict=True)), claim_count=row[-1] or 0)
        for row in session.execute(stmt).all()
    ]


def article_slugs(*, session: Session, prefix: str = "", limit: int = 50) -> list[str]:
    """Up to ``limit`` article slugs: the newest first, or those starting with ``prefix``
    (case-insensitive) in slug order. For pickers: never every article of the archive."""
    _check_count(limit, "limit")
    stmt = sa_select(col(Article.slug)).limit(limit)
    if prefix:
        stmt = stmt.where(col(Article.slug).ilike(f"{_escaped(prefix)}%", escape="\\"))
        return [str(s) for s in session.execute(stmt.order_by(col(Article.slug))).scalars()]
    return [str(s) for s in session.execute(stmt.order_by(col(Article.id).desc())).scalars()]


def get_article(*, session: Session, slug: str) -> Article:
    article = session.exec(select(Article).where(Article.slug == slug)).first()
    if article is None:
        known = session.exec(select(Article.slug).order_by(col(Article.slug))).all()
        hint = f"; known articles: {', '.join(known)}" if known else "; run `tracker seed` first"
        raise NotFound(f"article {slug!r} does not exist{hint}")
    return article


def claims_in_article(*, session: Session, article_id: int) -> list[ClaimPublic]:
    """Every claim of one article, in text order (an article has hundreds at most)."""
    stmt = (
        _claim_select()
        .where(Claim.article_id == article_id)
        .order_by(col(Claim.quote_start), col(Claim.id))
    )
    return [_to_public(c, slug, n) for c, slug, n in session.exec(stmt).all()]


@dataclass
class Overview:
    total: int
    by_status: dict[str, int]
    by_flag_reason: dict[str, int]
    by_reviewer: dict[str, int]
    by_assignee: dict[str, int]
    sources_by_stance: dict[str, int]
    without_source: list[ClaimPublic]
    verdicts_by_day: list[tuple[str, str, int]] = field(default_factory=list)
    # The desk's pace (#11): see :func:`review_pace`.
    pending_confirmation: int = 0
    verdicts_by_reviewer_day: list[tuple[str, str, int]] = field(default_factory=list)
    median_to_confirmed: timedelta | None = None
    confirmed_measured: int = 0


def overview(*, session: Session, article: str | None = None) -> Overview:
    filters = ClaimFilter(article=article)
    conds = and_(True, *_conditions(filters))
    counts = tally(session=session, article=article)  # kept with the writes (0016)
    by_status = {s.value: 0 for s in ClaimStatus} | counts["status"]

    stances = sa_select(_SOURCE_TALLY.c.stance, _SOURCE_TALLY.c.n).where(
        _SOURCE_TALLY.c.article_id == _tally_article(article), _SOURCE_TALLY.c.n != 0
    )  # kept with the writes (0017), not counted from the source index
    sources_by_stance = {str(k): int(n) for k, n in session.execute(stances).all()}
    without = (
        _claim_select()
        .where(conds, _source_count() == 0, col(Claim.status) != ClaimStatus.dismissed.value)
        .order_by(col(Claim.id))
        .limit(200)
    )
    # Counted by review_claim as it writes (verdict_day), not read from the event table.
    article_id: Any = 0  # the sums over every article
    if article:
        article_id = select(Article.id).where(Article.slug == article).scalar_subquery()
    verdicts = (
        select(VerdictDay.day, VerdictDay.status, VerdictDay.n)
        .where(col(VerdictDay.article_id) == article_id)
        .order_by(col(VerdictDay.day), col(VerdictDay.status))
    )
    pace = review_pace(session=session, article=article)
    return Overview(
        pending_confirmation=pace.pending_confirmation,
        verdicts_by_reviewer_day=pace.verdicts_by_reviewer_day,
        median_to_confirmed=pace.median_to_confirmed,
        confirmed_measured=pace.confirmed_measured,
        total=sum(by_status.values()),
        by_status=by_status,
        by_flag_reason=counts["flag_reason"],
        by_reviewer=counts["reviewer"],
        by_assignee=counts["assignee"],
        sources_by_stance=sources_by_stance,
        without_source=[_to_public(c, s, n) for c, s, n in session.exec(without).all()],
        verdicts_by_day=[(str(d), str(v), int(n)) for d, v, n in session.exec(verdicts).all()],
    )


# --- the desk's pace (#11) ----------------------------------------------------------

VERDICT_STATUSES = (ClaimStatus.verified.value, ClaimStatus.flagged.value)
PACE_DAYS = 30  # verdicts per reviewer and day: this many days back from today


@dataclass
class ReviewPace:
    pending_confirmation: int
    verdicts_by_reviewer_day: list[tuple[str, str, int]]  # (UTC day, reviewer, verdicts)
    median_to_confirmed: timedelta | None
    confirmed_measured: int  # verdicts confirmed in the window, the median's sample


def utc_day(session: Session, column: Any) -> Any:
    """``column`` (a timestamp) as its UTC day, ``YYYY-MM-DD``, on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)  # SQLite keeps UTC timestamps as ISO text


def review_pace(
    *, session: Session, article: str | None = None, now: datetime | None = None
) -> ReviewPace:
    """Verdicts waiting for an editor, verdicts given per reviewer and day, and the
    median time from a claim's first review to its confirmed verdict, the last two
    over the last :data:`PACE_DAYS` days (UTC days, today included).

    Every part reads a bounded range of an index: pending verdicts from
    ``ix_claim_pending``, the review events of the window from
    ``ix_event_action_at``, the verdicts confirmed in the window from
    ``ix_claim_confirmed_at`` and, for each of those, its first review event
    from ``ix_event_claim_id``; never the whole audit trail. The median is
    taken in Python (SQLite has no percentile function).
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    conds = and_(True, *_conditions(ClaimFilter(article=article)))
    pending = session.exec(
        select(func.count())
        .select_from(Claim)
        .where(
            conds,
            col(Claim.status).in_(VERDICT_STATUSES),
            col(Claim.confirmed_by).is_(None),
        )
    ).one()

    day = utc_day(session, col(Event.at))
    since = (now - timedelta(days=PACE_DAYS - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    given = (
        select(day.label("day"), col(Event.actor), func.count())
        .where(
            col(Event.action) == "review",
            col(Event.at) >= since,
            col(Event.new_value).in_(VERDICT_STATUSES),
        )
        .group_by(day, col(Event.actor))
        .order_by(day, col(Event.actor))
    )
    if article:
        in_article = select(Claim.id).where(conds)
        given = given.where(col(Event.claim_id).in_(in_article))
    per_reviewer = [(str(d), str(a), int(n)) for d, a, n in session.exec(given).all()]

    first_review = (
        select(func.min(Event.at))
        .where(Event.claim_id == Claim.id, col(Event.action) == "review")
        .scalar_subquery()
    )
    confirmed = session.exec(
        select(Claim.confirmed_at, first_review).where(conds, col(Claim.confirmed_at) >= since)
    ).all()
    waits = []
    for done, first in confirmed:
        done_at, first_at = as_utc(done), as_utc(first)
        if done_at is not None and first_at is not None and first_at <= done_at:
            waits.append((done_at - first_at).total_seconds())
    median = timedelta(seconds=statistics.median(waits)) if waits else None
    return ReviewPace(int(pending), per_reviewer, median, len(waits))


def last_change(*, session: Session, claim_id: int) -> tuple[str, datetime] | None:
    """Who made the claim's newest versioned change, and when."""
    row = session.exec(
        select(Event.actor, Event.at)
        .where(Event.claim_id == claim_id, col(Event.claim_version).is_not(None))
        .order_by(col(Event.id).desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    actor, at = row
    return actor, as_utc(at)  # type: ignore[return-value]


# --- "checked before" (#12) -------------------------------------------------------


@dataclass(frozen=True)
class BestMatch:
    kind: str  # claim or reference
    id: int
    score: float


def best_matches(*, session: Session, claim_ids: Sequence[int]) -> dict[int, BestMatch]:
    """The stored close earlier match of each claim that has one (the queue's badge)."""
    if not claim_ids:
        return {}
    stmt = select(ClaimVector).where(
        col(ClaimVector.claim_id).in_(list(claim_ids)),
        col(ClaimVector.best_score) >= MATCH_THRESHOLD,
    )
    return {
        v.claim_id: BestMatch(v.best_kind or "", v.best_id or 0, float(v.best_score or 0))
        for v in session.exec(stmt)
    }


def list_references(
    *, session: Session, search: str | None = None, limit: int | None = 50, offset: int = 0
) -> list[Reference]:
    """The reference library, newest first, without the stored vectors' bytes used."""
    _check_count(limit, "limit")
    _check_count(offset, "offset")
    check_search_text(search, "search")
    stmt = select(Reference).order_by(col(Reference.id).desc())
    if search and search.strip():
        stmt = stmt.where(_like(Reference.claim, search.strip()))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.exec(stmt.offset(offset)).all())


def reference_counts(*, session: Session) -> dict[str, int]:
    """How many references, in total and by publisher."""
    stmt = select(Reference.publisher, func.count(col(Reference.id))).group_by(
        col(Reference.publisher)
    )
    counts = {str(p or "(no publisher)"): int(n) for p, n in session.exec(stmt).all()}
    return {"total": sum(counts.values()), **dict(sorted(counts.items()))}


def change_markers(*, session: Session) -> dict[str, int]:
    """Each topic's change counter (see :class:`~tracker.models.ChangeMarker`)."""
    return {t: int(n) for t, n in session.exec(select(ChangeMarker.topic, ChangeMarker.n)).all()}
