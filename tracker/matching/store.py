"""The database side of matching, read only: indexes per process, queries answered from them.

Two parts are indexed: the reference library (large, changes only on
import) and the desk's reviewed claims (verified or flagged; small, changes
with every verdict or edit). Each part is rebuilt only when its own
*generation* changes, so a verdict on a claim never re-indexes a million
references. Vectors are read from the table columns (computed when a
reference is imported; for claims by :func:`tracker.services.refresh_matches`)
and computed in memory for rows still missing one, never per query.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..models import Article, Claim, ClaimStatus, ClaimVector, Reference, Source
from . import embed
from . import text as textmod
from .index import Hit, Part, fuse

if TYPE_CHECKING:
    import numpy as np

REVIEWED = (ClaimStatus.verified.value, ClaimStatus.flagged.value)
CLOSE_MATCH = 0.75  # a fused score from here on is a "close earlier match" (queue badge)


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
class _Built:
    generation: str
    ids: list[int]
    article_ids: list[int]
    part: Part


# per engine (a URL alone can name several PostgreSQL schemas), then per part
_CACHE: weakref.WeakKeyDictionary[Any, dict[str, _Built]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _slot(session: Session) -> dict[str, _Built]:
    bind: Any = session.get_bind()
    engine = getattr(bind, "engine", bind)
    return _CACHE.setdefault(engine, {})


def reference_generation(session: Session) -> str:
    top = session.exec(select(func.max(Reference.id))).one()
    return f"r{top or 0}"


def claim_generation(session: Session) -> str:
    row = session.exec(
        select(func.count(col(Claim.id)), func.max(Claim.updated_at), func.sum(Claim.id)).where(
            col(Claim.status).in_(REVIEWED)
        )
    ).one()
    return f"c{row[0]}-{row[1]}-{row[2]}"


def generation(session: Session) -> str:
    return text_sha(reference_generation(session) + claim_generation(session))[:32]


def _references(session: Session) -> _Built:
    gen = reference_generation(session)
    with _LOCK:
        slot = _slot(session)
        built = slot.get("reference")
        if built is not None and built.generation == gen:
            return built
        rows = session.exec(
            select(Reference.id, Reference.claim, Reference.title, Reference.embedding).order_by(
                col(Reference.id)
            )
        ).all()
        texts = [_doc_text(c, t) for _, c, t, _ in rows]
        vectors = _vectors([e for *_, e in rows], [c for _, c, _, _ in rows])
        built = _Built(gen, [r[0] or 0 for r in rows], [0] * len(rows), Part(texts, vectors))
        slot["reference"] = built
        return built


def _claims(session: Session) -> _Built:
    gen = claim_generation(session)
    with _LOCK:
        slot = _slot(session)
        built = slot.get("claim")
        if built is not None and built.generation == gen:
            return built
        rows = session.exec(
            select(Claim.id, Claim.article_id, Claim.claim, ClaimVector)
            .outerjoin(ClaimVector, col(ClaimVector.claim_id) == Claim.id)
            .where(col(Claim.status).in_(REVIEWED))
            .order_by(col(Claim.id))
        ).all()
        stored = [
            v.embedding if v is not None and v.text_sha == text_sha(t) else None
            for _, _, t, v in rows
        ]
        vectors = _vectors(stored, [r[2] for r in rows])
        built = _Built(
            gen,
            [r[0] or 0 for r in rows],
            [r[1] for r in rows],
            Part([r[2] for r in rows], vectors),
        )
        slot["claim"] = built
        return built


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


def search(
    session: Session,
    query: str,
    *,
    limit: int = 5,
    exclude_claim: int | None = None,
    exclude_article: int | None = None,
    vector: np.ndarray | None = None,
    details: bool = True,
) -> list[Match]:
    """The ``limit`` best earlier claims and references for ``query``, best first."""
    query = textmod.clean(query)
    if not query:
        return []
    refs, claims = _references(session), _claims(session)
    if not refs.part.size and not claims.part.size:
        return []
    banned = [
        i
        for i, (cid, aid) in enumerate(zip(claims.ids, claims.article_ids, strict=True))
        if cid == exclude_claim or (exclude_article is not None and aid == exclude_article)
    ]
    qvec = vector if vector is not None else embed.encode([query])[0]
    hits = fuse([refs.part, claims.part], query, qvec, limit=limit, exclude=[(), banned])
    return _describe(session, query, hits, refs, claims, details=details)


def _describe(
    session: Session,
    query: str,
    hits: list[Hit],
    refs: _Built,
    claims: _Built,
    *,
    details: bool,
) -> list[Match]:
    ref_ids = [refs.ids[h.position] for h in hits if h.part == 0]
    claim_ids = [claims.ids[h.position] for h in hits if h.part == 1]
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
    for h in hits:
        if h.part == 0:
            r = ref_rows[refs.ids[h.position]]
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
            c, slug = claim_rows[claims.ids[h.position]]
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
