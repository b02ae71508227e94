"""Use cases of "checked before" matching (#12): the reference library, the stored
vectors and best matches, and reusing an earlier match's sources.

A verdict is never copied: :func:`reuse_sources` adds sources (each through
:func:`~tracker.services.claims.add_source`, so its rules and audit event
apply) and leaves the claim's status alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, true
from sqlmodel import Session, col, select

from ..audit import EventAction, record_event
from ..errors import NotFound, ValidationFailed
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

    def line(self) -> str:
        return (
            f"{self.source}: {self.added} fact-checks added, {self.updated} updated, "
            f"{self.unchanged} unchanged"
            + (f", {self.duplicates} repeated in the file" if self.duplicates else "")
        )


def import_references(
    *,
    session: Session,
    path: Path,
    actor: str,
    mapping: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    header: bool = True,
    labels: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ReferenceImportReport:
    """Load published fact-checks into the reference library: all of the file or nothing.

    Idempotent by URL (else the publisher's id) + claim: a known one is updated
    when its other fields changed. Each new reference gets its sentence vector
    in the same transaction. ``progress(n)`` is told of every ``n`` rows written.
    """
    actor = clean_actor(actor)
    authorize(session, actor, Action.import_references)  # before reading the files
    session.rollback()
    scale = read_labels(labels) if labels is not None else Scale()
    records = [
        scale.apply(r)
        for r in read_references(path, mapping=mapping, delimiter=delimiter, header=header)
    ]
    report = ReferenceImportReport(path.name)
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


@dataclass
class RefreshReport:
    vectors: int = 0  # claim vectors computed (new or edited claims)
    matched: int = 0  # claims whose best match was recomputed
    generation: str = ""


def refresh_matches(
    *, session: Session, actor: str = "matching", claim_ids: list[int] | None = None
) -> RefreshReport:
    """Store missing or stale claim vectors and each claim's best earlier match.

    Derived data, not the record: no audit event. Recomputes only claims whose
    stored match was computed against another state of the index (or
    ``claim_ids``). Run by the system actor ``matching`` from the CLI and the
    dashboard after imports and on the queue page.
    """
    report = RefreshReport()
    with unit_of_work(session):
        authorize(session, actor, Action.refresh_matches)
        rows = session.exec(
            select(Claim.id, Claim.article_id, Claim.claim, ClaimVector)
            .outerjoin(ClaimVector, col(ClaimVector.claim_id) == Claim.id)
            .where(true() if claim_ids is None else col(Claim.id).in_(claim_ids))
            .order_by(col(Claim.id))
        ).all()
        stale = [
            (cid, text, vec)
            for cid, _, text, vec in rows
            if vec is None or vec.text_sha != store.text_sha(text)
        ]
        vectors = embed.encode([text for _, text, _ in stale])
        now = utcnow()
        for (cid, text, vec), vector in zip(stale, vectors, strict=True):
            row = vec or ClaimVector(claim_id=cid or 0, text_sha="", embedding=b"")
            row.text_sha, row.embedding, row.generation = (
                store.text_sha(text),
                embed.to_bytes(vector),
                None,
            )
            row.updated_at = now
            session.add(row)
            report.vectors += 1
        session.flush()
        report.generation = store.generation(session)
        todo = session.exec(
            select(ClaimVector, Claim)
            .join(Claim, col(Claim.id) == ClaimVector.claim_id)
            .where(
                true() if claim_ids is None else col(Claim.id).in_(claim_ids),
                (col(ClaimVector.generation).is_(None))
                | (col(ClaimVector.generation) != report.generation),
            )
        ).all()
        empty = store.is_empty(session)
        for vec, claim in todo:
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
    return report


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
