"""Use cases of "checked before" matching (#12): the reference library, the stored
vectors and best matches, and reusing an earlier match's sources.

A verdict is never copied: :func:`reuse_sources` adds sources (each through
:func:`~tracker.services.claims.add_source`, so its rules and audit event
apply) and leaves the claim's status alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, literal, true, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ..audit import EventAction, record_event
from ..errors import NotFound, ValidationFailed
from ..interchange.rejects import Rejects
from ..matching import embed, store
from ..matching.feeds import ReferenceRecord, Scale, read_labels, read_references
from ..models import Claim, ClaimVector, Reference, Source, Stance, utcnow
from ..permissions import Action, authorize
from ..validation import parse_enum
from .claims import add_source
from .uow import clean_actor, unit_of_work

BATCH = 1000
_UPDATABLE = (
    "title",
    "publisher",
    "rating_label",
    "rating_value",
    "rating_name",
    "claimant",
    "appearance",
    "published",
    "external_id",
)


@dataclass
class ReferenceImportReport:
    source: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0  # the same URL + claim twice in the file
    rejects: Rejects | None = None

    def line(self) -> str:
        return (
            f"{self.source}: {self.added} fact-checks added, {self.updated} updated, "
            f"{self.unchanged} unchanged"
            + (f", {self.duplicates} repeated in the file" if self.duplicates else "")
            + (f"; {self.rejects.summary()}" if self.rejects is not None else "")
        )


def import_references(
    *,
    session: Session,
    path: Path,
    actor: str,
    mapping: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    quote: str | None = None,
    header: bool = True,
    labels: Path | None = None,
    rejects: Rejects | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReferenceImportReport:
    """Load published fact-checks into the reference library: all of the file or nothing.

    Idempotent by URL (else the publisher's id) + claim: a known one is updated
    when its other fields changed. Each new reference gets its sentence vector
    in the same transaction. ``progress(n)`` is told of every ``n`` rows written.
    With ``rejects``, invalid records are written there and the others imported.
    """
    actor = clean_actor(actor)
    authorize(session, actor, Action.import_references)  # before reading the files
    session.rollback()
    scale = read_labels(labels) if labels is not None else Scale()
    records = [
        scale.apply(r)
        for r in read_references(
            path,
            mapping=mapping,
            delimiter=delimiter,
            quote=quote,
            header=header,
            rejects=rejects,
        )
    ]
    report = ReferenceImportReport(path.name, rejects=rejects)
    with unit_of_work(session):
        authorize(session, actor, Action.import_references)
        unique: dict[str, ReferenceRecord] = {}
        for r in records:
            if r.key in unique:
                report.duplicates += 1
            unique[r.key] = r
        items = list(unique.items())
        for start in range(0, len(items), BATCH):
            _write_batch(session, items[start : start + BATCH], actor, report)
            if progress is not None:
                progress(min(BATCH, len(items) - start))
        record_event(
            session,
            EventAction.references_imported,
            actor=actor,
            account=actor,
            field="reference",
            new=report.added,
            detail=report.line(),
        )
    return report


def _write_batch(
    session: Session,
    batch: list[tuple[str, ReferenceRecord]],
    actor: str,
    report: ReferenceImportReport,
) -> None:
    keys = [k for k, _ in batch]
    known = {r.key: r for r in session.exec(select(Reference).where(col(Reference.key).in_(keys)))}
    fresh = [(k, r) for k, r in batch if k not in known]
    vectors = embed.encode([_doc(r) for _, r in fresh])
    now = utcnow()
    if fresh:  # one multi-row INSERT, not an ORM object per fact-check
        session.execute(
            insert(Reference),
            [
                {
                    "key": key,
                    "url": r.url,
                    "claim": r.claim,
                    **{name: getattr(r, name) for name in _UPDATABLE},
                    "imported_by": actor,
                    "imported_at": now,
                    "embedding": embed.to_bytes(vector),
                }
                for (key, r), vector in zip(fresh, vectors, strict=True)
            ],
        )
        report.added += len(fresh)
    for key, r in batch:
        row = known.get(key)
        if row is None:
            continue
        changes = {n: getattr(r, n) for n in _UPDATABLE if getattr(row, n) != getattr(r, n)}
        if changes:
            if "title" in changes:  # the vector is of claim + title
                row.embedding = embed.to_bytes(embed.encode([_doc(r)])[0])
            for name, value in changes.items():
                setattr(row, name, value)
            row.edited_at = now  # the matching indexes re-read edited rows
            session.add(row)
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()


def _doc(r: ReferenceRecord) -> str:
    return f"{r.claim} {r.title}" if r.title else r.claim


PER_CALL = 500  # best matches recomputed by one refresh_matches call (limit=None: all)
CHANGES_READ = 50_000  # changed rows read at most (past it: every match is recomputed)
CHANGES_LIMIT = 2_000  # rows entering the index past this: every match is recomputed
PENDING = store.PENDING


@dataclass
class RefreshReport:
    vectors: int = 0  # claim vectors computed (new or edited claims)
    matched: int = 0  # claims whose best match was recomputed
    changed: int = 0  # indexed rows (references, reviewed claims) changed since the last refresh
    affected: int = 0  # claims those changes put on the to-do list (their match may change)
    pending: int = 0  # claims still to do after this call (past the per-call bound)
    full: bool = False  # every stored match was put on the to-do list (old stamps, big change)
    generation: str = ""  # the stamp of the matches computed now


def refresh_matches(
    *,
    session: Session,
    actor: str = "matching",
    claim_ids: Sequence[int] | None = None,
    limit: int | None = PER_CALL,
    progress: Callable[[int], None] | None = None,
) -> RefreshReport:
    """Store missing or stale claim vectors and each claim's best earlier match.

    Work proportional to what changed, not to the archive: a claim's stored
    match carries the stamp of the collections' state it was checked against
    (:class:`~tracker.matching.store.Checkpoint`). The rows added, edited or
    un-reviewed since (the index's own delta query) put on the to-do list the
    claims whose best match is one of them, and the claims a new or edited row
    could now outrank (:func:`~tracker.matching.index.rivals`, an
    approximation); every other claim is re-stamped as checked. New and edited
    claims get a vector and a match. At most ``limit`` matches are recomputed,
    ``claim_ids`` (the rows a page shows) first; the rest stay on the to-do list
    (``pending``) for the next call. ``progress(n)`` is told of each match done.
    Derived data, not the record: no audit event. Run by the system actor
    ``matching`` from the CLI and the dashboard after imports and on the queue page.
    """
    report = RefreshReport()
    first = list(dict.fromkeys(claim_ids or ()))
    with unit_of_work(session):
        authorize(session, actor, Action.refresh_matches)
        raw_marker = store.checkpoint(session, writing=False).marker
        now = store.checkpoint(session)
        report.generation = now.stamp()
        legacy = col(ClaimVector.generation).is_(None) | (
            (col(ClaimVector.generation) != PENDING)
            & col(ClaimVector.generation).not_like(f"{store.STAMP}:%")
        )
        # one constant: the generation index alone answers (PostgreSQL: an index-only
        # scan, 1M claims 0.1 s instead of 1 s reading every vector)
        if session.exec(select(literal(1)).where(legacy).limit(1)).first() is not None:
            report.full = _mark(session, legacy) > 0  # stamps of an earlier version
        since_stamp = _newest_stamp(session)
        since = store.Checkpoint.parse(since_stamp)
        changed: store.Changed | None = None
        seen: store.Changed | None = None
        if since is not None and since.marker == raw_marker:
            changed = store.Changed([], [])  # no unit of work committed since
        elif since is not None:
            seen = store.changed_since(session, since, CHANGES_READ)
            changed = None if seen is None else _unhandled(session, since_stamp, seen)
            if changed is None or len(changed.entered()) > CHANGES_LIMIT:
                changed = None  # too much changed: every match is computed again
                report.full = _mark(session, true()) > 0 or report.full
        report.changed = len(changed) if changed is not None else 0
        written = _store_vectors(session, changed, first, limit, report)
        if changed:
            report.affected = _mark(session, _affected(session, changed))
            # every other stored match was checked against this state: the newest
            # stamp says so (one row carries it; see store.Checkpoint)
            session.execute(
                update(ClaimVector)
                .where(
                    col(ClaimVector.claim_id)
                    == select(func.min(ClaimVector.claim_id))
                    .where(col(ClaimVector.generation).like(f"{store.STAMP}:%"))
                    .scalar_subquery()
                )
                .values(generation=report.generation)
                .execution_options(synchronize_session=False)
            )
        _rematch(session, first, limit, report, progress)
        report.pending = session.exec(
            select(func.count()).where(ClaimVector.generation == PENDING)
        ).one() + len(_without_vectors(session))
        after = _newest_stamp(session)
    if changed is not None and since_stamp and after:
        _remember(session, since_stamp, after, seen, written)  # committed: these rows are handled
    return report


# (database, stamp) -> the rows of the delta window a committed refresh handled,
# each (kind, id) with its content key: the 2-minute margin of the delta query
# (store.MARGIN) returns them again, and without this every later refresh would
# recompute their effect again. Process memory only: another process re-does
# them once (correct, just redundant).
_HANDLED: dict[str, tuple[str, dict[tuple[str, int], Hashable]]] = {}
_HANDLED_LOCK = threading.Lock()


def _newest_stamp(session: Session) -> str | None:
    """The state the last refresh brought every stored match up to (see store.Checkpoint)."""
    return session.exec(
        select(func.max(ClaimVector.generation)).where(
            col(ClaimVector.generation).like(f"{store.STAMP}:%")
        )
    ).one()


def _database(session: Session) -> str:
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    return f"{engine.url!r}|{id(engine)}"


def _key(kind: str, change: Any) -> Hashable:
    """What a change's effect on the stored matches depends on (a claim is noted only
    once its stored vector is of its text)."""
    stored = None if kind == "claim" or change.stored is None else hash(change.stored)
    return (store.text_sha(change.text), change.article, change.alive, stored)


def _unhandled(session: Session, since: str | None, seen: store.Changed) -> store.Changed:
    """``seen`` less the rows a refresh in this process already handled, as they are now."""
    with _HANDLED_LOCK:
        stamp, handled = _HANDLED.get(_database(session), ("", {}))
    if stamp != since or not handled:
        return seen
    return store.Changed(
        [c for c in seen.references if handled.get(("reference", c.id)) != _key("reference", c)],
        [c for c in seen.claims if handled.get(("claim", c.id)) != _key("claim", c)],
    )


def _remember(
    session: Session,
    since: str,
    stamp: str,
    seen: store.Changed | None,
    written: set[int],
) -> None:
    """Note the rows of ``seen`` handled as of ``stamp`` (None: nothing was committed
    since ``since``, what was noted then still holds). A claim whose stored vector is
    stale and was not stored now is left to do again."""
    key = _database(session)
    if seen is None:
        with _HANDLED_LOCK:
            old, handled = _HANDLED.get(key, ("", {}))
            if old == since:
                _HANDLED[key] = (stamp, handled)
        return
    handled = {("reference", c.id): _key("reference", c) for c in seen.references}
    for c in seen.claims:
        if c.stored is not None or c.id in written:
            handled[("claim", c.id)] = _key("claim", c)
    with _HANDLED_LOCK:
        _HANDLED[key] = (stamp, handled)


def _without_vectors(session: Session) -> list[int]:
    # Every vector is a claim's (foreign key), so as many vectors as claims means none
    # is missing: two index counts instead of joining every claim (1M claims on
    # SQLite: 7 ms instead of 400 ms, and the queue page asks four times).
    claims = session.exec(select(func.count()).select_from(Claim)).one()
    if claims == session.exec(select(func.count()).select_from(ClaimVector)).one():
        return []
    rows = session.exec(
        select(Claim.id)
        .outerjoin(ClaimVector, col(ClaimVector.claim_id) == Claim.id)
        .where(col(ClaimVector.claim_id).is_(None))
        .order_by(col(Claim.id))
    ).all()
    return [cid or 0 for cid in rows]


def _store_vectors(
    session: Session,
    changed: store.Changed | None,
    first: list[int],
    limit: int | None,
    report: RefreshReport,
) -> set[int]:
    """Vectors of new claims and of claims whose text changed (``first`` first, at most
    ``limit``), their matches put on the to-do list; the claims given one. Without a
    delta every claim is read."""
    if changed is None:
        maybe = set(session.exec(select(Claim.id)).all())
    else:
        maybe = {*_without_vectors(session), *first}
        maybe.update(c.id for c in changed.claims if c.stored is None)
    order = {cid: n for n, cid in enumerate(first)}
    todo = sorted(maybe, key=lambda cid: (order.get(cid or 0, len(order)), cid))
    stale: list[tuple[int, str, ClaimVector | None]] = []
    for start in range(0, len(todo), BATCH):
        if limit is not None and len(stale) >= limit:
            break
        found = {
            cid: (text, vec)
            for cid, text, vec in session.exec(
                select(Claim.id, Claim.claim, ClaimVector)
                .outerjoin(ClaimVector, col(ClaimVector.claim_id) == Claim.id)
                .where(col(Claim.id).in_(todo[start : start + BATCH]))
            ).all()
        }
        for cid in todo[start : start + BATCH]:
            if cid in found:
                text, have = found[cid]
                if have is None or have.text_sha != store.text_sha(text):
                    stale.append((cid or 0, text, have))
    stale = stale[:limit]
    vectors = embed.encode([text for _, text, _ in stale])
    now = utcnow()
    for (cid, text, vec), vector in zip(stale, vectors, strict=True):
        row = vec or ClaimVector(claim_id=cid, text_sha="", embedding=b"")
        row.text_sha, row.embedding = store.text_sha(text), embed.to_bytes(vector)
        row.generation, row.updated_at = PENDING, now
        session.add(row)
        report.vectors += 1
    session.flush()
    return {cid for cid, _, _ in stale}


def _affected(session: Session, changed: store.Changed) -> set[int]:
    """Claims whose stored best match a change may alter (see :func:`refresh_matches`)."""
    import numpy as np

    from ..matching.index import prefixes, rivals

    out: set[int] = set()
    gone = {
        "reference": [c.id for c in changed.references],
        "claim": [c.id for c in changed.claims],
    }
    for kind, ids in gone.items():
        for start in range(0, len(ids), BATCH):
            out.update(
                session.exec(
                    select(ClaimVector.claim_id).where(
                        ClaimVector.best_kind == kind,
                        col(ClaimVector.best_id).in_(ids[start : start + BATCH]),
                    )
                ).all()
            )
    entered = changed.entered()
    if not entered:
        return out
    rows = _stored_matches(session)
    pending = np.asarray([r[4] == PENDING for r in rows], dtype=bool)
    if pending.all():
        return out
    row_ids = np.asarray([r[0] for r in rows], dtype=np.int64)
    articles = np.asarray([r[1] for r in rows], dtype=np.int64)
    best = np.asarray([np.nan if r[2] is None else r[2] for r in rows], dtype=np.float32)
    vectors, prefix = _claim_matrix(session, row_ids, [r[3] for r in rows], prefixes)
    found_rows = rivals(prefix, vectors, best, changed.vectors(), exclude=pending)
    for (kind, item), found in zip(entered, found_rows, strict=True):
        if kind == "claim":  # a claim is never matched with itself or its article's claims
            found = found[(row_ids[found] != item.id) & (articles[found] != item.article)]
        out.update(int(i) for i in row_ids[found])
    return out


def _stored_matches(session: Session) -> Sequence[Any]:
    """Every stored match: claim id, article, best score, text hash, to-do state."""
    return session.execute(  # five columns: past sqlmodel's typed select()
        sa_select(
            col(ClaimVector.claim_id),
            col(Claim.article_id),
            col(ClaimVector.best_score),
            col(ClaimVector.text_sha),
            col(ClaimVector.generation),
        )
        .join(Claim, col(Claim.id) == ClaimVector.claim_id)
        .order_by(col(ClaimVector.claim_id))
    ).all()


def warm_refresh(*, session: Session) -> None:
    """Bring what a refresh keeps in process memory up to date, only reading.

    The match index (built in full on first use: most of a minute at 100,000
    claims) and the stored claim vectors :func:`refresh_matches` compares new
    rows with. A caller that runs refreshes in the background calls this first,
    in a read transaction, so the refresh itself (a write transaction, which on
    SQLite holds the database's write lock) finds them ready and stays short.
    """
    import numpy as np

    from ..matching.index import prefixes

    store.stats(session)
    if _database(session) not in _MATRICES:  # later refreshes read only new vectors
        rows = _stored_matches(session)
        ids = np.asarray([r[0] for r in rows], dtype=np.int64)
        _claim_matrix(session, ids, [r[3] for r in rows], prefixes)
    session.rollback()  # end the read transaction: the refresh reads the newest state


@dataclass
class _Matrix:
    """Stored claim vectors (``vectors``, their ``prefix`` sketches) of ``ids``, each
    of the text whose hash is in ``shas``."""

    ids: Any
    shas: Any  # fixed-width bytes
    vectors: Any
    prefix: Any


# database -> the stored claim vectors _affected read last: a vector is a function
# of its text, so only rows whose text hash is new are read from the table again
_MATRICES: dict[str, _Matrix] = {}


def _claim_matrix(
    session: Session, ids: Any, shas: list[str], prefixes: Callable[[Any], Any]
) -> tuple[Any, Any]:
    """The stored vectors of claims ``ids`` (ascending) whose texts hash to ``shas``,
    and their prefix sketches: from process memory, only new or edited ones read now."""
    import numpy as np

    key = _database(session)
    cached = _MATRICES.get(key)
    hashes = np.asarray(shas, dtype="S64")
    prefix: Any = None
    if cached is not None and len(cached.ids) == len(ids) and np.array_equal(cached.ids, ids):
        missing = np.flatnonzero(cached.shas != hashes)  # texts edited: updated in place
        vectors, prefix = cached.vectors, cached.prefix
    else:
        vectors = np.zeros((len(ids), embed.DIM), dtype=np.float32)
        keep = np.zeros(len(ids), dtype=bool)
        if cached is not None and len(cached.ids):
            old = np.minimum(np.searchsorted(cached.ids, ids), len(cached.ids) - 1)
            keep = (cached.ids[old] == ids) & (cached.shas[old] == hashes)
            vectors[keep] = cached.vectors[old[keep]]
            if keep.any():
                prefix = np.zeros((len(ids), cached.prefix.shape[1]), cached.prefix.dtype)
                prefix[keep] = cached.prefix[old[keep]]
        missing = np.flatnonzero(~keep)
    for start in range(0, len(missing), BATCH):
        batch = missing[start : start + BATCH]
        found = {
            cid: (sha, emb)
            for cid, sha, emb in session.exec(
                select(ClaimVector.claim_id, ClaimVector.text_sha, ClaimVector.embedding).where(
                    col(ClaimVector.claim_id).in_(ids[batch].tolist())
                )
            ).all()
        }
        rows = [found[cid] for cid in ids[batch].tolist()]
        vectors[batch] = embed.from_bytes([emb for _, emb in rows])
        hashes[batch] = [sha.encode() for sha, _ in rows]
    if prefix is None:
        prefix = prefixes(vectors)
    elif len(missing):
        prefix[missing] = prefixes(vectors[missing])
    _MATRICES[key] = _Matrix(ids.copy(), hashes, vectors, prefix)
    return vectors, prefix


def _mark(session: Session, which: Any) -> int:
    """Put claims on the to-do list: a set of ids, or a condition; how many were not on it."""
    conditions = (
        [which]
        if not isinstance(which, set)
        else [
            col(ClaimVector.claim_id).in_(batch)
            for batch in (sorted(which)[i : i + BATCH] for i in range(0, len(which), BATCH))
        ]
    )
    marked = 0
    for where in conditions:
        result = session.execute(
            update(ClaimVector)
            .where(where, col(ClaimVector.generation).is_distinct_from(PENDING))
            .values(generation=PENDING)
            .execution_options(synchronize_session=False)
        )
        marked += result.rowcount or 0  # type: ignore[attr-defined]
    return marked


def _rematch(
    session: Session,
    first: list[int],
    limit: int | None,
    report: RefreshReport,
    progress: Callable[[int], None] | None,
) -> None:
    """Recompute the best match of claims on the to-do list: ``first`` first, ``limit`` at most."""
    pending = col(ClaimVector.generation) == PENDING
    ids: list[int] = []
    for start in range(0, len(first), BATCH):
        ids += session.exec(
            select(ClaimVector.claim_id).where(
                pending, col(ClaimVector.claim_id).in_(first[start : start + BATCH])
            )
        ).all()
    order = {cid: n for n, cid in enumerate(first)}
    ids = sorted(ids, key=lambda cid: order[cid])[:limit]
    if limit is None or len(ids) < limit:
        ids += session.exec(
            select(ClaimVector.claim_id)
            .where(pending, col(ClaimVector.claim_id).not_in(ids) if ids else true())
            .order_by(col(ClaimVector.claim_id))
            .limit(None if limit is None else limit - len(ids))
        ).all()
    empty = store.is_empty(session)
    now = utcnow()
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        found = {
            vec.claim_id: (vec, claim)
            for vec, claim in session.exec(
                select(ClaimVector, Claim)
                .join(Claim, col(Claim.id) == ClaimVector.claim_id)
                .where(col(ClaimVector.claim_id).in_(batch))
            ).all()
        }
        for cid in batch:
            vec, claim = found[cid]
            if vec.text_sha != store.text_sha(claim.claim):  # edited while on the list
                vec.text_sha = store.text_sha(claim.claim)
                vec.embedding = embed.to_bytes(embed.encode([claim.claim])[0])
                report.vectors += 1
            best = (
                []
                if empty
                else store.search(
                    session,
                    claim.claim,
                    limit=1,
                    exclude_claim=claim.id,
                    exclude_article=claim.article_id,
                    vector=embed.from_bytes([vec.embedding])[0],
                    details=False,
                )
            )
            vec.best_kind = best[0].kind if best else None
            vec.best_id = best[0].id if best else None
            vec.best_score = best[0].score if best else None
            vec.generation = report.generation
            vec.updated_at = now
            session.add(vec)
            report.matched += 1
            if progress is not None:
                progress(1)
        session.flush()


def reuse_sources(
    *,
    session: Session,
    claim_id: int,
    kind: str,
    match_id: int,
    actor: str,
    stance: str = Stance.context.value,
) -> list[Source]:
    """Add an earlier match's sources to ``claim_id`` as new sources; never its verdict.

    For an earlier claim, each of its sources with its own stance; for a
    reference, the fact-check's URL with ``stance``. Sources the claim has
    already are skipped. Each goes through :func:`add_source` (its rules, its
    ``source_added`` event); one ``sources_reused`` event names the match.
    """
    added: list[Source] = []
    with unit_of_work(session):
        actor = clean_actor(actor)
        authorize(session, actor, Action.add_source)
        if session.get(Claim, claim_id) is None:
            raise NotFound(f"claim {claim_id} does not exist")
        wanted: list[tuple[str, str, str | None, str | None]] = []
        if kind == "claim":
            if match_id == claim_id or session.get(Claim, match_id) is None:
                raise NotFound(f"claim {match_id} does not exist or is this claim")
            for s in session.exec(
                select(Source).where(Source.claim_id == match_id).order_by(col(Source.id))
            ):
                wanted.append((s.url, s.stance, s.title, s.publisher))
        elif kind == "reference":
            ref = session.get(Reference, match_id)
            if ref is None:
                raise NotFound(f"reference {match_id} does not exist")
            if not ref.url:
                raise ValidationFailed(f"reference {match_id} has no URL to reuse")
            value = parse_enum(Stance, stance, "stance").value
            wanted.append((ref.url, value, ref.title, ref.publisher))
        else:
            raise ValidationFailed(f"unknown match kind {kind!r}; allowed: claim, reference")
        have = set(session.exec(select(Source.url).where(Source.claim_id == claim_id)).all())
        for url, source_stance, title, publisher in wanted:
            if url in have:
                continue
            added.append(
                add_source(
                    session=session,
                    claim_id=claim_id,
                    url=url,
                    stance=source_stance,
                    actor=actor,
                    title=title,
                    publisher=publisher,
                )
            )
            have.add(url)
        record_event(
            session,
            EventAction.sources_reused,
            actor=actor,
            claim_id=claim_id,
            field="source",
            new=f"{kind} {match_id}",
            detail=f"{len(added)} source(s) reused from {kind} {match_id}; verdict not copied",
        )
    return added
