"""The database side of matching, read only: indexes per process, updated in place.

Two collections are indexed: the reference library (large, grows with
imports) and the desk's reviewed claims (verified or flagged). Each is a
:class:`Collection`: a *main* part built once from every row, a small
*delta* part holding the rows added or edited since, and a mask of main rows
a delta row supersedes (an edited claim, one no longer reviewed). A query
fuses all four parts (:func:`tracker.matching.index.fuse`).

Keeping up with other processes (a second dashboard replica, the CLI): every
write bumps the database's ``claims`` change marker
(:mod:`tracker.services.uow`). A query first reads that counter (one row);
unchanged, the index is used as it is. Changed, only the rows with a higher
id or edited since the last look (``claim.updated_at``,
``reference.edited_at``, with a safety margin for transactions that
committed late) are read and applied to the delta; a count check catches
anything else (rows committed late with lower ids) with a full rebuild, as
does a delta grown past :func:`delta_limit`. Vectors come from the table
columns (computed when a reference is imported; for claims by
:func:`tracker.services.refresh_matches`) and are computed in memory for rows
still missing one, never per query.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from ..models import (
    Article,
    ChangeMarker,
    ChangeTopic,
    Claim,
    ClaimStatus,
    ClaimVector,
    Reference,
    Source,
    utcnow,
)
from . import embed
from . import text as textmod
from .index import MATCH_THRESHOLD, Hit, Part, fuse

if TYPE_CHECKING:
    import numpy as np

REVIEWED = (ClaimStatus.verified.value, ClaimStatus.flagged.value)
# rows edited this long before the last look are read again: a transaction that
# stamped its rows earlier but committed later is still seen
MARGIN = timedelta(minutes=2)


@dataclass
class Match:
    kind: str  # "claim" or "reference"
    id: int
    score: float
    lexical: float
    dense: float
    text: str
    verdict: str | None  # a claim's status (and reason), or the publisher's rating label
    rating: str | None = None  # the desk's scale, for a reference with a known label
    url: str | None = None
    date: date | None = None
    where: str | None = None  # the article (claims) or the publisher (references)
    title: str | None = None
    words: list[str] = field(default_factory=list)
    sources: list[dict[str, str | None]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "score": round(self.score, 4),
            "lexical": round(self.lexical, 4),
            "dense": round(self.dense, 4),
            "text": self.text,
            "verdict": self.verdict,
            "rating": self.rating,
            "url": self.url,
            "date": self.date.isoformat() if self.date else None,
            "where": self.where,
            "title": self.title,
            "words": self.words,
            "sources": self.sources,
        }


@dataclass
class _Row:
    text: str
    tokens: list[str]
    vector: np.ndarray
    article: int


@dataclass(frozen=True)
class _Change:
    id: int
    text: str
    article: int
    stored: bytes | None  # the stored vector, if it is of this text
    alive: bool  # False: no longer indexed (a claim without a verdict now)


def delta_limit(main_size: int) -> int:
    """Rows the delta may hold before the collection is rebuilt in one piece.

    A tenth of the main part, between 64 and 5,000: re-indexing the delta
    on a change stays well under a second, and a rebuild is rare.
    """
    return max(64, min(5_000, main_size // 10))


class Collection:
    """One indexed collection: main part, delta part, superseded main rows."""

    def __init__(self, kind: str, ids: list[int], articles: list[int], part: Part) -> None:
        import numpy as np

        self.kind = kind
        self.main = part
        self.ids = np.asarray(ids, dtype=np.int64)  # ascending: rows are read by id
        self.articles = np.asarray(articles, dtype=np.int64)
        self.dead = np.zeros(len(ids), dtype=np.bool_)
        self.dead_count = 0
        self.rows: dict[int, _Row] = {}  # the delta, by id
        self.delta = Part([], np.zeros((0, embed.DIM), dtype=np.float32))
        self.delta_ids = np.zeros(0, dtype=np.int64)
        self.delta_articles = np.zeros(0, dtype=np.int64)
        self.max_id = int(self.ids[-1]) if len(ids) else 0
        self.looked_at = utcnow()

    @property
    def size(self) -> int:
        return self.main.size - self.dead_count + len(self.rows)

    def position(self, row_id: int) -> int:
        """The main part's row of ``row_id``, or -1."""
        import numpy as np

        at = int(np.searchsorted(self.ids, row_id))
        return at if at < len(self.ids) and int(self.ids[at]) == row_id else -1

    def put(self, row_id: int, row: _Row | None) -> bool:
        """Supersede ``row_id``'s main row by ``row`` (None: drop it); True if changed."""
        at = self.position(row_id)
        changed = False
        if at >= 0 and not self.dead[at]:
            self.dead[at] = changed = True
            self.dead_count += 1
        old = self.rows.get(row_id)
        if row is None:
            changed = self.rows.pop(row_id, None) is not None or changed
        elif old is None or old.text != row.text or old.article != row.article:
            self.rows[row_id] = row
            changed = True
        self.max_id = max(self.max_id, row_id)
        return changed

    def apply(self, changes: list[_Change]) -> bool:
        """Bring the delta up to date with rows read again; True if anything changed."""
        fresh = [
            c
            for c in changes
            if c.alive
            and not (
                (old := self.rows.get(c.id)) is not None
                and old.text == c.text
                and old.article == c.article
            )
        ]
        vectors = _vectors([c.stored for c in fresh], [c.text for c in fresh])
        changed = False
        for c, vector in zip(fresh, vectors, strict=True):
            changed = (
                self.put(c.id, _Row(c.text, textmod.tokens(c.text), vector, c.article)) or changed
            )
        for c in changes:
            if not c.alive and (c.id in self.rows or self.position(c.id) >= 0):
                changed = self.put(c.id, None) or changed
        return changed

    def reindex_delta(self) -> None:
        import numpy as np

        ids = sorted(self.rows)
        rows = [self.rows[i] for i in ids]
        vectors = (
            np.stack([r.vector for r in rows])
            if rows
            else np.zeros((0, embed.DIM), dtype=np.float32)
        )
        self.delta = Part([r.text for r in rows], vectors, tokens=[r.tokens for r in rows])
        self.delta_ids = np.asarray(ids, dtype=np.int64)
        self.delta_articles = np.asarray([r.article for r in rows], dtype=np.int64)

    @property
    def nbytes(self) -> int:
        return self.main.nbytes + self.delta.nbytes + self.ids.nbytes + self.articles.nbytes


@dataclass
class _Slot:
    marker: int | None = None
    references: Collection | None = None
    claims: Collection | None = None
    builds: int = 0  # full builds of a collection
    updates: int = 0  # in-place updates of a delta


# per engine (a URL alone can name several PostgreSQL schemas)
_CACHE: weakref.WeakKeyDictionary[Any, _Slot] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _slot(session: Session) -> _Slot:
    bind: Any = session.get_bind()
    engine = getattr(bind, "engine", bind)
    return _CACHE.setdefault(engine, _Slot())


def generation(session: Session) -> str:
    """The stamp of the collections' state now (:class:`Checkpoint`)."""
    return checkpoint(session).stamp()


def _marker(session: Session) -> int:
    n = session.exec(
        select(ChangeMarker.n).where(ChangeMarker.topic == ChangeTopic.claims.value)
    ).first()
    return int(n or 0)


@dataclass(frozen=True)
class IndexStats:
    references: int
    claims: int
    delta: int  # rows in the deltas
    builds: int
    updates: int
    nbytes: int  # memory of the arrays


def stats(session: Session) -> IndexStats:
    """What this process holds for the session's database (after bringing it up to date)."""
    refs, claims = _collections(session)
    slot = _slot(session)
    return IndexStats(
        refs.size,
        claims.size,
        len(refs.rows) + len(claims.rows),
        slot.builds,
        slot.updates,
        refs.nbytes + claims.nbytes,
    )


def _collections(session: Session) -> tuple[Collection, Collection]:
    """The two collections, brought up to date with the database."""
    marker = _marker(session)  # read first: a write committed after it is seen next time
    with _LOCK:
        slot = _slot(session)
        refs, claims = slot.references, slot.claims
        if refs is not None and claims is not None and slot.marker == marker:
            return refs, claims
        if refs is None or not _update_references(session, refs, slot):
            refs = slot.references = _build_references(session)
            slot.builds += 1
        if claims is None or not _update_claims(session, claims, slot):
            claims = slot.claims = _build_claims(session)
            slot.builds += 1
        slot.marker = marker
        return refs, claims


def _build_references(session: Session) -> Collection:
    looked_at = utcnow()
    rows = session.exec(
        select(Reference.id, Reference.claim, Reference.title, Reference.embedding).order_by(
            col(Reference.id)
        )
    ).all()
    texts = [_doc_text(c, t) for _, c, t, _ in rows]
    vectors = _vectors([e for *_, e in rows], texts)
    built = Collection(
        "reference", [r[0] or 0 for r in rows], [0] * len(rows), Part(texts, vectors)
    )
    built.looked_at = looked_at
    return built


def _update_references(session: Session, refs: Collection, slot: _Slot) -> bool:
    """Apply references added or edited since the last look; False: rebuild instead."""
    looked_at = utcnow()
    limit = delta_limit(refs.main.size)
    changes = _reference_changes(session, refs.max_id, refs.looked_at, limit)
    if changes is None:
        return False
    return _finish(session, refs, slot, changes, looked_at, select(func.count(col(Reference.id))))


def _finish(
    session: Session,
    built: Collection,
    slot: _Slot,
    changes: list[_Change],
    looked_at: datetime,
    count: Any,
) -> bool:
    """Apply ``changes``, check the row count; False: rebuild instead."""
    changed = built.apply(changes)
    built.max_id = max([built.max_id, *(c.id for c in changes)])  # unindexed rows too
    if len(built.rows) > delta_limit(built.main.size):
        return False
    if session.exec(count).one() != built.size:  # rows committed late below max_id
        return False
    if changed:
        built.reindex_delta()
        slot.updates += 1
    built.looked_at = looked_at
    return True


def _claim_rows(
    session: Session, *where: Any, limit: int | None = None, sort_here: bool = False
) -> list[Any]:
    """Claims (id order) with their stored vectors. ``sort_here``: sorted in Python, not
    by the database, for a ``limit`` that only says "too many": SQLite would otherwise
    walk every claim in id order instead of the indexes of an OR (1M claims: 500 ms)."""
    stmt = (
        sa.select(  # five columns: past sqlmodel's typed select()
            col(Claim.id),
            col(Claim.article_id),
            col(Claim.claim),
            col(Claim.status),
            ClaimVector,
        )
        .outerjoin(ClaimVector, col(ClaimVector.claim_id) == Claim.id)
        .where(*where)
        .limit(limit)
    )
    if sort_here:
        return sorted(session.execute(stmt).all(), key=lambda row: row[0])
    return list(session.execute(stmt.order_by(col(Claim.id))).all())


def _claim_vectors(rows: list[Any]) -> np.ndarray:
    stored = [
        v.embedding if v is not None and v.text_sha == text_sha(t) else None for *_, t, _, v in rows
    ]
    return _vectors(stored, [r[2] for r in rows])


def _build_claims(session: Session) -> Collection:
    looked_at = utcnow()
    # every claim up to here was looked at, reviewed or not: the next look reads newer ones
    top = session.exec(select(func.max(Claim.id))).one() or 0
    rows = _claim_rows(session, col(Claim.status).in_(REVIEWED))
    built = Collection(
        "claim",
        [r[0] or 0 for r in rows],
        [r[1] for r in rows],
        Part([r[2] for r in rows], _claim_vectors(rows)),
    )
    built.looked_at = looked_at
    built.max_id = max(built.max_id, top)
    return built


def _update_claims(session: Session, claims: Collection, slot: _Slot) -> bool:
    """Apply claims created, edited, reviewed or un-reviewed since the last look."""
    looked_at = utcnow()
    window = 50_000  # more rows changed than this: a rebuild reads them faster
    changes = _claim_changes(session, claims.max_id, claims.looked_at, window)
    if changes is None:
        return False
    reviewed = select(func.count(col(Claim.id))).where(col(Claim.status).in_(REVIEWED))
    return _finish(session, claims, slot, changes, looked_at, reviewed)


def _reference_changes(
    session: Session, max_id: int, looked_at: datetime, limit: int
) -> list[_Change] | None:
    """References added (id past ``max_id``) or edited since ``looked_at`` (less the
    margin); None when more than ``limit``."""
    rows = session.exec(
        select(Reference.id, Reference.claim, Reference.title, Reference.embedding)
        .where((col(Reference.id) > max_id) | (col(Reference.edited_at) >= looked_at - MARGIN))
        .limit(limit + 1)
    ).all()
    if len(rows) > limit:
        return None
    return [_Change(r or 0, _doc_text(c, t), 0, e, True) for r, c, t, e in rows]


def _claim_changes(
    session: Session, max_id: int, looked_at: datetime, limit: int
) -> list[_Change] | None:
    """Claims created, edited, reviewed or un-reviewed since ``looked_at`` (less the
    margin); None when more than ``limit``."""
    rows = _claim_rows(
        session,
        (col(Claim.id) > max_id) | (col(Claim.updated_at) >= looked_at - MARGIN),
        limit=limit + 1,
        sort_here=True,  # more than limit: None, whichever rows they were
    )
    if len(rows) > limit:
        return None
    return [
        _Change(
            cid or 0,
            text,
            article,
            v.embedding if v is not None and v.text_sha == text_sha(text) else None,
            status in REVIEWED,
        )
        for cid, article, text, status, v in rows
    ]


# --- what changed since a refresh of the stored best matches ----------------------


@dataclass(frozen=True)
class Checkpoint:
    """A state of the two indexed collections, as a stored best match records it.

    The claims change marker, the highest reference and claim ids and the time
    they were read: the rows added or edited since are found by the same delta
    query as the in-place index updates above (ids past the maxima,
    ``edited_at`` / ``updated_at`` from ``at`` less :data:`MARGIN`). ``marker``
    is the counter as the refresh that wrote the stamp left it (read + its own
    bump): equal to the counter now, no other unit of work committed since.

    :func:`tracker.services.refresh_matches` stamps each best match it computes
    (``ClaimVector.generation``); the newest stamp in the table is the state
    the last refresh brought every stored match up to (a refresh that
    recomputed none writes it on one row rather than on all of them).
    """

    marker: int
    references: int
    claims: int
    at: datetime

    def stamp(self) -> str:
        micros = int(self.at.timestamp() * 1_000_000)
        # the marker zero-padded: the greatest stamp (as text) is the newest
        return f"{STAMP}:{self.marker:012d}:{self.references}:{self.claims}:{micros}"

    @classmethod
    def parse(cls, stamp: str | None) -> Checkpoint | None:
        """The checkpoint of a stamp, or None (no stamp, or one of the old format)."""
        parts = (stamp or "").split(":")
        if len(parts) != 5 or parts[0] != STAMP or not all(p.isdigit() for p in parts[1:]):
            return None
        marker, refs, claims, micros = (int(p) for p in parts[1:])
        return cls(marker, refs, claims, datetime.fromtimestamp(micros / 1_000_000, UTC))


PENDING = "pending"  # ClaimVector.generation of a claim whose best match is to recompute
STAMP = "v2"  # ClaimVector.generation "v2:<marker>:<max ref id>:<max claim id>:<µs since epoch>"


def checkpoint(session: Session, *, writing: bool = True) -> Checkpoint:
    """The collections' state now; ``writing``: the caller's unit of work will
    write (and bump the marker once)."""
    marker = _marker(session)
    at = utcnow()
    refs = session.exec(select(func.max(Reference.id))).one() or 0
    claims = session.exec(select(func.max(Claim.id))).one() or 0
    return Checkpoint(marker + int(writing), int(refs), int(claims), at)


def unchanged_since(session: Session, since: Checkpoint) -> bool:
    """No unit of work committed since the stamp was written."""
    return _marker(session) == since.marker


@dataclass(frozen=True)
class Changed:
    """Rows of the indexed collections that entered, left or changed since a checkpoint."""

    references: list[_Change]
    claims: list[_Change]  # ``alive`` False: not (or no longer) a reviewed claim

    def __len__(self) -> int:
        return len(self.references) + len(self.claims)

    def entered(self) -> list[tuple[str, _Change]]:
        """The rows now indexed (new, edited or reviewed since): they may beat a stored match."""
        return [("reference", c) for c in self.references] + [
            ("claim", c) for c in self.claims if c.alive
        ]

    def vectors(self) -> np.ndarray:
        """The entered rows' vectors (stored ones, the missing computed in memory)."""
        rows = [c for _, c in self.entered()]
        return _vectors([c.stored for c in rows], [c.text for c in rows])


def changed_since(session: Session, since: Checkpoint, limit: int) -> Changed | None:
    """What changed in the two collections since ``since``; None when more than ``limit`` rows."""
    refs = _reference_changes(session, since.references, since.at, limit)
    if refs is None:
        return None
    claims = _claim_changes(session, since.claims, since.at, limit - len(refs))
    return None if claims is None else Changed(refs, claims)


def _doc_text(claim: str, title: str | None) -> str:
    return f"{claim} {title}" if title else claim


def _vectors(stored: list[bytes | None], texts: list[str]) -> np.ndarray:
    """Stored vectors, with the missing ones computed now (in memory only)."""
    import numpy as np

    missing = [i for i, e in enumerate(stored) if e is None]
    if not missing:
        return embed.from_bytes([e for e in stored if e is not None])
    matrix = np.zeros((len(stored), embed.DIM), dtype=np.float32)
    present = [i for i, e in enumerate(stored) if e is not None]
    if present:
        matrix[present] = embed.from_bytes([stored[i] for i in present])  # type: ignore[misc]
    matrix[missing] = embed.encode([texts[i] for i in missing])
    return matrix


def is_empty(session: Session) -> bool:
    """Nothing to match against: no reference and no reviewed claim."""
    refs = session.exec(select(Reference.id).limit(1)).first()
    claims = session.exec(select(Claim.id).where(col(Claim.status).in_(REVIEWED)).limit(1)).first()
    return refs is None and claims is None


@dataclass(frozen=True)
class MatchStatus:
    """Why the stored matches show what they show (the queue's "has a match" filter)."""

    library: bool  # something to match against: a reference or a reviewed claim
    computed_at: datetime | None  # when the stored matches were last brought up to date
    pending: bool  # written since (or never computed): a refresh is due

    def explain(self, *, live: bool = False) -> str:
        """Why a claim shows no match; ``live``: of a search just made (the claim page),
        not of the stored matches (the queue), so never "pending"."""
        if not self.library:
            return (
                "No reference library is loaded and no claim is reviewed yet: there is "
                "nothing to match against (`tracker import factchecks` loads a library)."
            )
        when = f"{self.computed_at:%Y-%m-%d %H:%M} UTC" if self.computed_at else "never"
        if live:
            return (
                "No reviewed claim of another article and no published fact-check scores "
                f"above the match threshold {MATCH_THRESHOLD:.2f}: nothing here is a match."
            )
        if self.pending:
            return (
                f"Matches last computed {when}, refresh pending (`tracker worker` keeps them "
                "up to date; `tracker match --refresh` does it once)."
            )
        return (
            f"No fact-check or reviewed claim scores above the match threshold "
            f"{MATCH_THRESHOLD:.2f} (matches last computed {when})."
        )


def match_status(session: Session) -> MatchStatus:
    """Whether there is a library, when stored matches were computed, whether they are stale.

    Stale: a unit of work committed since the last refresh's stamp (its marker is
    no longer the counter's) and since the worker's last check, a claim is on the
    to-do list, or a claim has no vector yet. Read only; a few index lookups.
    """
    stamp = session.exec(
        select(func.max(ClaimVector.generation)).where(
            col(ClaimVector.generation).like(f"{STAMP}:%")
        )
    ).one()
    since = Checkpoint.parse(stamp)
    claims = session.exec(select(func.count()).select_from(Claim)).one()
    vectors = session.exec(select(func.count()).select_from(ClaimVector)).one()
    waiting = session.exec(
        select(ClaimVector.claim_id).where(ClaimVector.generation == PENDING).limit(1)
    ).first()
    pending = bool(claims) and (
        since is None
        or since.marker != _marker(session)
        or waiting is not None
        or claims != vectors
    )
    return MatchStatus(not is_empty(session), since.at if since else None, pending)


def search(
    session: Session,
    query: str,
    *,
    limit: int = 5,
    exclude_claim: int | None = None,
    exclude_article: int | None = None,
    vector: np.ndarray | None = None,
    details: bool = True,
    threshold: float = MATCH_THRESHOLD,
) -> list[Match]:
    """The ``limit`` best earlier claims and references for ``query``, best first.

    Only results scoring at least ``threshold`` (:data:`~tracker.matching.index.
    MATCH_THRESHOLD`: below it a result is not a match); ``-inf`` for a ranking.
    """
    query = textmod.clean(query)
    if not query:
        return []
    refs, claims = _collections(session)
    if not refs.size and not claims.size:
        return []
    qvec = vector if vector is not None else embed.encode([query])[0]
    parts = [refs.main, refs.delta, claims.main, claims.delta]
    exclude = [
        refs.dead if refs.dead_count else (),
        (),
        _banned(claims.dead, claims.ids, claims.articles, exclude_claim, exclude_article),
        _banned(None, claims.delta_ids, claims.delta_articles, exclude_claim, exclude_article),
    ]
    hits = [
        h for h in fuse(parts, query, qvec, limit=limit, exclude=exclude) if h.score >= threshold
    ]
    ids = [refs.ids, refs.delta_ids, claims.ids, claims.delta_ids]
    found = [
        (h, "reference" if h.part < 2 else "claim", int(ids[h.part][h.position])) for h in hits
    ]
    return _describe(session, query, found, details=details)


def _banned(
    dead: np.ndarray | None,
    ids: np.ndarray,
    articles: np.ndarray,
    claim_id: int | None,
    article_id: int | None,
) -> np.ndarray:
    """Mask of claim rows a query may not return: superseded, the claim, its article."""
    import numpy as np

    mask = np.zeros(len(ids), dtype=np.bool_) if dead is None else dead.copy()
    if claim_id is not None:
        mask |= ids == claim_id
    if article_id is not None:
        mask |= articles == article_id
    return mask


def _describe(
    session: Session, query: str, found: list[tuple[Hit, str, int]], *, details: bool
) -> list[Match]:
    ref_ids = [i for _, kind, i in found if kind == "reference"]
    claim_ids = [i for _, kind, i in found if kind == "claim"]
    ref_rows = {
        r.id: r for r in session.exec(select(Reference).where(col(Reference.id).in_(ref_ids)))
    }
    claim_rows = {
        c.id: (c, slug)
        for c, slug in session.exec(
            select(Claim, Article.slug)
            .join(Article, col(Article.id) == Claim.article_id)
            .where(col(Claim.id).in_(claim_ids))
        )
    }
    sources: dict[int, list[dict[str, str | None]]] = {}
    if details:  # one query even without claim matches: a page's statements stay constant
        for s in session.exec(
            select(Source).where(col(Source.claim_id).in_(claim_ids)).order_by(col(Source.id))
        ):
            sources.setdefault(s.claim_id, []).append(
                {"url": s.url, "stance": s.stance, "title": s.title, "publisher": s.publisher}
            )
    out: list[Match] = []
    for h, kind, row_id in found:
        if kind == "reference":
            r = ref_rows[row_id]
            doc = _doc_text(r.claim, r.title)
            rating = f"{r.rating_name} ({r.rating_value:g})" if r.rating_name else None
            m = Match(
                "reference",
                r.id or 0,
                h.score,
                h.lexical,
                h.dense,
                r.claim,
                r.rating_label,
                rating=rating,
                url=r.url,
                date=r.published,
                where=r.publisher,
                title=r.title,
            )
            if details and r.url:
                m.sources = [
                    {"url": r.url, "stance": None, "title": r.title, "publisher": r.publisher}
                ]
        else:
            c, slug = claim_rows[row_id]
            doc = c.claim
            verdict = c.status + (f" ({c.flag_reason})" if c.flag_reason else "")
            reviewed = c.last_reviewed_at or c.updated_at
            m = Match(
                "claim",
                c.id or 0,
                h.score,
                h.lexical,
                h.dense,
                c.claim,
                verdict,
                date=reviewed.date() if reviewed else None,
                where=slug,
                sources=sources.get(c.id or 0, []),
            )
        if details:
            m.words = textmod.shared_words(query, doc)
        out.append(m)
    return out


def search_claim(session: Session, claim_id: int, *, limit: int = 5) -> list[Match]:
    """Earlier matches for a claim: other articles' reviewed claims and references."""
    claim = session.get(Claim, claim_id)
    if claim is None:
        from ..errors import NotFound

        raise NotFound(f"claim {claim_id} does not exist")
    return search(
        session,
        claim.claim,
        limit=limit,
        exclude_claim=claim_id,
        exclude_article=claim.article_id,
    )
