"""Importing claims from another tracker's CSV/TSV (#13): a column mapping and a label file.

Streamed and written in chunks like :mod:`tracker.services.imports`: each
row is checked by the rules of :func:`create_claim`, :func:`add_source` and
:func:`review_claim` (their shared rule functions), then a chunk's claims,
sources, notes, events and verdict counters are written with one statement
per table. All rows or none, unless the caller collects bad rows in a
:class:`~tracker.interchange.rejects.Rejects` (``--skip-invalid FILE``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session, col, select

from .. import bulk
from ..audit import EventAction, event_row, record_events
from ..errors import ImportFailed, RowProblem, TrackerError, ValidationFailed
from ..interchange.keyset import KeySet
from ..interchange.mapping import MappedRecord, Verdict, iter_mapped, label_key
from ..interchange.rejects import Rejects
from ..interchange.tables import make_dialect
from ..models import (
    Article,
    ArticleKind,
    Claim,
    ClaimStatus,
    ClaimType,
    FlagReason,
    Note,
    Source,
    utcnow,
)
from ..models import Origin as ClaimOrigin
from ..permissions import Action, authorize
from ..validation import clean_field
from . import batch
from .articles import _keep_revision, sha256_text
from .batch import (
    ArticleText,
    Rollback,
    by_line,
    chunks,
    enum_problem,
    insert_claims,
    opened,
)
from .claims import (
    check_review,
    check_source,
    locate_quote,
    new_claim_values,
    review_detail,
    review_values,
    verdict_blocker,
)
from .uow import clean_actor, unit_of_work

_SHOWN_PROBLEMS = 20


@dataclass
class MappedImportReport:
    """What a mapped import did (or, in a dry run, would do)."""

    source: str
    article: str
    rows: int = 0
    created: int = 0
    reviewed: int = 0
    sources_added: int = 0
    skipped: int = 0  # the same claim, claimant and date already in the article
    unreviewed_for_lack_of_source: int = 0
    labels: dict[str, int] = field(default_factory=dict)  # foreign label -> rows
    mapped: dict[str, str] = field(default_factory=dict)  # foreign label -> what it became
    problems: list[RowProblem] = field(default_factory=list)
    dry_run: bool = False
    rejects: Rejects | None = None

    def __str__(self) -> str:
        would = "would " if self.dry_run else ""
        lines = [
            f"{self.source}: {self.rows} rows into {self.article!r}; {would}create "
            f"{self.created}, {would}review {self.reviewed}, {would}add {self.sources_added} "
            f"source(s), {would}skip {self.skipped} already imported; "
            f"{self.unreviewed_for_lack_of_source} verdict(s) left unreviewed for want of a "
            "source (label kept)"
            + (f"; {self.rejects.summary()}" if self.rejects is not None else "")
        ]
        for label, n in sorted(self.labels.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {label or '(no label)'!s:<30} {n:>7}  -> {self.mapped[label]}")
        if self.problems:
            lines.append(f"{len(self.problems)} bad row(s), nothing imported:")
            lines += [f"  {p}" for p in self.problems[:_SHOWN_PROBLEMS]]
            if len(self.problems) > _SHOWN_PROBLEMS:
                lines.append(f"  ... and {len(self.problems) - _SHOWN_PROBLEMS} more")
        return "\n".join(lines)


_SOURCES: Table = Source.__table__  # type: ignore[attr-defined]
_NOTES: Table = Note.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _MappedRow:
    line: int
    claim: str
    quote: str | None
    section: str | None
    claim_type: str
    claimant: str | None
    claim_date: date | None
    context: str | None
    label: str | None
    verdict: Verdict | None
    source: str | None


def import_mapped_csv(
    *,
    session: Session,
    actor: str,
    mapping: dict[str, str],
    article: str,
    path: Path | None = None,
    data: bytes | None = None,
    labels: dict[str, Verdict] | None = None,
    delimiter: str = ",",
    quote: str | None = None,
    header: bool = True,
    dry_run: bool = False,
    source: str | None = None,
    rejects: Rejects | None = None,
    progress: Callable[[int], None] | None = None,
) -> MappedImportReport:
    """Import claims from another tracker's CSV/TSV through ``mapping``; all rows or none.

    Claims go into ``article``: an article with text (a ``quote`` column must
    then give each claim's words in it), or a *collection* (no text; created
    if there is no article of that slug), whose claims have an empty quote at
    0:0. A label mapped by ``labels`` becomes a review under the rules of
    :func:`review_claim` (same rules: a verdict needs a source, so one comes
    from the ``source`` column under the rules of :func:`add_source`; without
    it the claim stays unreviewed), a flag with a note that names the label.
    The foreign label is kept on the claim either way. The file is streamed
    and written a chunk at a time; ``progress(n)`` is called after every
    ``n`` rows. A dry run returns the report with the bad rows instead of
    raising. With ``rejects``, a bad row is written there instead and the
    others are imported (a file that cannot be read as a whole still fails).
    A tab-separated file is read unquoted unless ``quote`` is given
    (:mod:`tracker.interchange.tables`).
    """
    source = source or (str(path) if path else "<csv>")
    actor = clean_actor(actor)
    authorize(session, actor, Action.import_claims)  # before reading the file
    session.rollback()
    report = MappedImportReport(source=source, article=article, dry_run=dry_run, rejects=rejects)
    dialect = make_dialect(delimiter, quote)
    try:
        with opened(path, data) as (stream, size), unit_of_work(session):
            authorize(session, actor, Action.import_claims)
            authorize(session, actor, Action.edit_claim)
            target = session.exec(select(Article).where(Article.slug == article)).first()
            collection = target is None or target.kind == ArticleKind.collection
            if target is None:
                target = _new_collection(session, article, actor)
            importer = _MappedImport(session, actor, target, report, labels, collection=collection)
            rows = iter_mapped(stream, source, mapping, size=size, dialect=dialect, header=header)
            with closing(rows):
                for chunk in chunks(rows, batch.CHUNK_ROWS):
                    importer.take(chunk)
                    if progress:
                        progress(len(chunk))
            importer.flush()
            if report.problems:
                report.problems.sort(key=by_line)
                if dry_run:
                    raise Rollback
                raise ImportFailed(source, report.problems)
            if dry_run:
                raise Rollback
    except Rollback:
        pass
    return report


def _new_collection(session: Session, slug: str, actor: str) -> Article:
    slug_clean = clean_field(Article, "slug", slug, label="--article", multiline=False) or ""
    if not _SLUG.fullmatch(slug_clean):
        raise ValidationFailed(
            f"--article {slug!r}: a slug is lower-case letters, digits and hyphens"
        )
    article = Article(
        slug=slug_clean,
        title=slug_clean,
        text="",
        sha256=sha256_text(""),
        kind=ArticleKind.collection.value,
    )
    session.add(article)
    session.flush()
    _keep_revision(session, article, actor, old_sha=None)
    return article


_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _check_mapped(
    line: int,
    cells: dict[str, str],
    labels: dict[str, Verdict] | None,
    *,
    collection: bool,
    report: MappedImportReport,
) -> tuple[_MappedRow | None, list[RowProblem]]:
    """One row's cells checked (no database); counts its label in the report."""
    bad: list[RowProblem] = []
    text = functools.partial(_cell_text, cells, line, bad)
    claim = text("claim")
    if claim is None and not bad:
        bad.append(RowProblem(line, "claim", "", "the claim's text is empty"))
    claimant = text("claimant")
    context = text("context")
    section = text("section")
    label = " ".join((cells.get("label") or "").split()) or None
    if label is not None and len(label) > 100:
        bad.append(RowProblem(line, "label", label, "longer than 100 characters"))
    ctype = (cells.get("claim_type") or "").strip() or ClaimType.other.value
    if ctype not in ClaimType.__members__:
        bad.append(enum_problem(line, "claim_type", ctype, ClaimType))
    when = None
    raw_date = (cells.get("date") or "").strip()
    if raw_date:
        try:
            when = date.fromisoformat(raw_date[:10])
        except ValueError:
            bad.append(RowProblem(line, "date", raw_date, "not a date (YYYY-MM-DD)"))
    quote = cells.get("quote") if "quote" in cells else None
    if not collection and not quote:
        bad.append(
            RowProblem(line, "quote", quote or "", "the article has a text: map a quote in it")
        )
    verdict = None
    if label is not None and labels is not None:
        verdict = labels.get(label_key(label))
        if verdict is None:
            bad.append(RowProblem(line, "label", label, "not in the label file"))
    url = (cells.get("source") or "").strip() or None
    key = label or ""
    report.labels[key] = report.labels.get(key, 0) + 1
    if key not in report.mapped:
        report.mapped[key] = _mapped_to(verdict, labels is not None and label is not None)
    if bad:
        return None, bad
    row = _MappedRow(
        line=line,
        claim=claim or "",
        quote=None if collection else quote,
        section=section,
        claim_type=ctype,
        claimant=claimant,
        claim_date=when,
        context=context,
        label=label,
        verdict=verdict,
        source=url,
    )
    return row, []


def _cell_text(cells: dict[str, str], line: int, bad: list[RowProblem], name: str) -> str | None:
    """A text cell cleaned under the claim column's limit; a problem is noted in ``bad``."""
    value = cells.get(name)
    try:
        return clean_field(Claim, name, value, label=name, required=False)
    except TrackerError as exc:
        bad.append(RowProblem(line, name, value, str(exc)))
        return None


def _mapped_to(verdict: Verdict | None, looked_up: bool) -> str:
    if verdict is None:
        return "not in the label file" if looked_up else "unreviewed, label kept"
    out = verdict.status.value
    if verdict.flag_reason:
        out += f" ({verdict.flag_reason.value})"
    if verdict.rating:
        out += f", rating {verdict.rating!r} (kept as the label)"
    return out


@dataclass
class _MappedClaim:
    """A checked claim of a mapped row waiting for its chunk's INSERT."""

    row: _MappedRow
    values: dict[str, Any]
    source: tuple[str, str] | None = None  # (url, stance)
    review: tuple[ClaimStatus, FlagReason | None, str | None] | None = None  # with its note


class _MappedImport:
    """One mapped import: rows checked by the use cases' rules, written a chunk at a time."""

    def __init__(
        self,
        session: Session,
        actor: str,
        article: Article,
        report: MappedImportReport,
        labels: dict[str, Verdict] | None,
        *,
        collection: bool,
    ) -> None:
        self.session = session
        self.actor = actor
        self.article_id = int(article.id or 0)
        self.text = ArticleText(self.article_id, article.slug, article.text)
        self.report = report
        self.labels = labels
        self.collection = collection
        self.file_name = Path(report.source).name
        # (claim, claimant, date) already in the article, or added by an earlier row: skipped.
        # Kept as digests (16 bytes each, not the claims' text: #10)
        self.existing = KeySet(
            tuple(row)
            for row in session.exec(
                select(Claim.claim, col(Claim.claimant), col(Claim.claim_date)).where(
                    Claim.article_id == self.article_id
                )
            )
        )
        self.pending: list[_MappedClaim] = []
        self.now = utcnow()

    def take(self, chunk: list[MappedRecord]) -> None:
        for record in chunk:
            self.report.rows += 1
            if record.problem is not None:
                row, bad = None, [record.problem]
            else:
                row, bad = _check_mapped(
                    record.line,
                    record.cells,
                    self.labels,
                    collection=self.collection,
                    report=self.report,
                )
            if row is not None:
                bad = self.apply(row)
            if bad and self.report.rejects is not None:
                self.report.rejects.add(record.line, bad, record.raw)
            else:
                self.report.problems += bad
        self.flush()

    def apply(self, row: _MappedRow) -> list[RowProblem]:
        """The rules of create_claim, add_source and review_claim for one new claim."""
        if not self.existing.add((row.claim, row.claimant, row.claim_date)):
            self.report.skipped += 1  # already in the article, or an earlier row's
            return []
        try:
            if row.quote is None:
                quote, start, end = "", 0, 0
            else:
                quote = row.quote
                start, end = locate_quote(self.text, quote)
            values = new_claim_values(
                self.text,
                self.article_id,
                claim=row.claim,
                quote=quote,
                quote_start=start,
                quote_end=end,
                section=row.section,
                claim_type=row.claim_type,
                origin=ClaimOrigin.imported,
                collection=self.collection,
                now=self.now,
            )
        except TrackerError as exc:
            return [RowProblem(row.line, "quote", row.quote, str(exc))]
        values |= {
            "claimant": row.claimant,
            "claim_date": row.claim_date,
            "context": row.context,
            "foreign_label": row.label,
        }
        new = _MappedClaim(row, values)
        verdict = row.verdict
        if verdict is not None and verdict.status is not ClaimStatus.unreviewed:
            present: set[Any] = set()
            if row.source:
                try:
                    authorize(self.session, self.actor, Action.add_source)
                    url, stance, _, _ = check_source(row.source, verdict.stance.value)
                except TrackerError as exc:
                    return [RowProblem(row.line, "source", row.source, str(exc))]
                new.source = (url, stance.value)
                present = {stance}
            elif verdict.needs_source:
                self.report.unreviewed_for_lack_of_source += 1
            if new.source is not None or not verdict.needs_source:
                note = (
                    f"Imported verdict {row.label!r} from {self.file_name}, line {row.line}."
                    if verdict.status is ClaimStatus.flagged
                    else None
                )
                try:
                    authorize(self.session, self.actor, Action.review)
                    status, reason, note_text = check_review(
                        None,
                        ClaimStatus.unreviewed,
                        None,
                        verdict.status.value,
                        verdict.flag_reason.value if verdict.flag_reason else None,
                        note,
                        has_note=lambda: False,  # a new claim has no notes
                    )
                    blocker = verdict_blocker(status, reason, present)
                    if blocker:
                        raise ValidationFailed(blocker)
                except TrackerError as exc:
                    return [RowProblem(row.line, "label", row.label, str(exc))]
                new.review = (status, reason, note_text)
                values |= review_values(self.actor, status, reason, self.now) | {"version": 2}
                self.report.reviewed += 1
        if new.source is not None:
            self.report.sources_added += 1
        self.report.created += 1
        self.pending.append(new)
        return []

    def flush(self) -> None:
        """Claims, sources, notes, events and verdict counters: one statement per table."""
        if not self.pending:
            return
        ids = insert_claims(self.session, [p.values for p in self.pending])
        sources, notes, events = [], [], []
        actor, now = self.actor, self.now
        for new, claim_id in zip(self.pending, ids, strict=True):
            row = new.row
            events.append(
                event_row(
                    EventAction.created,
                    actor=actor,
                    claim_id=claim_id,
                    new=row.claim,
                    detail=f"imported from another tracker (label {row.label!r})"
                    if row.label
                    else None,
                    version=1,
                    at=now,
                )
            )
            if new.source is not None:
                url, stance = new.source
                sources.append(
                    {
                        "claim_id": claim_id,
                        "url": url,
                        "stance": stance,
                        "title": None,
                        "publisher": None,
                        "added_by": actor,
                        "added_at": now,
                    }
                )
                events.append(
                    event_row(
                        EventAction.source_added,
                        actor=actor,
                        claim_id=claim_id,
                        field="source",
                        new=url,
                        detail=f"stance: {stance}",
                        at=now,
                    )
                )
            if new.review is not None:
                status, reason, note = new.review
                events.append(
                    event_row(
                        EventAction.review,
                        actor=actor,
                        claim_id=claim_id,
                        field="status",
                        old=ClaimStatus.unreviewed.value,
                        new=status.value,
                        detail=review_detail(None, reason),
                        version=2,
                        at=now,
                    )
                )
                if note:
                    notes.append(
                        {"claim_id": claim_id, "author": actor, "body": note, "created_at": now}
                    )
                    events.append(
                        event_row(
                            EventAction.note_added,
                            actor=actor,
                            claim_id=claim_id,
                            field="note",
                            new=note,
                            at=now,
                        )
                    )
        bulk.insert_rows(session=self.session, table=_SOURCES, rows=sources)
        bulk.insert_rows(session=self.session, table=_NOTES, rows=notes)
        record_events(self.session, events)
        self.pending = []
