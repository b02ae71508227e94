"""Importing claims from CSV: every row through the same use cases as the CLI and dashboard.

The import is one unit of work. Each row runs in its own savepoint and is
applied by :func:`create_claim`, :func:`update_claim`, :func:`assign_claim`
and :func:`review_claim`, so each row obeys exactly the rules, permissions
and audit trail of the same change made by hand. If any row is bad,
everything is rolled back and every problem is reported with its line number,
field and value. ``dry_run`` always rolls back.

A row is compared with what an export writes for its claim now
(:func:`~tracker.interchange.csv_export.current_rows`): a row whose editable
columns equal the claim's is unchanged whatever its ``version`` (so a file can
be applied twice), and an edit to a read-only column is ignored with a
warning. A new row that repeats an existing claim's quote
(:func:`~tracker.services.claims.duplicate_of`, as the article import
decides) is skipped with a warning instead of creating the claim twice.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path

from sqlmodel import Session, col, select

from ..audit import EventAction, record_event
from ..errors import ImportFailed, RowProblem, TrackerError, ValidationFailed
from ..interchange.csv_export import DERIVED_COLUMNS, EDITABLE_COLUMNS, current_rows
from ..interchange.csv_import import READ_ONLY_HINTS, read_rows
from ..interchange.mapping import Verdict, label_key, read_mapped
from ..localfiles import read_file
from ..models import (
    Article,
    ArticleKind,
    Claim,
    ClaimCreate,
    ClaimStatus,
    ClaimType,
    ClaimUpdate,
    FlagReason,
)
from ..models import Origin as ClaimOrigin
from ..permissions import Action, authorize
from ..queries import MAX_ID
from ..validation import build, clean_field
from .articles import _keep_revision, sha256_text
from .claims import (
    add_source,
    assign_claim,
    check_quote,
    create_claim,
    duplicate_of,
    locate_quote,
    review_claim,
    update_claim,
)
from .uow import clean_actor, unit_of_work

# The columns a row may change, in the order they are applied.
_EDITED = tuple(c for c in EDITABLE_COLUMNS if c not in ("claim_id", "article", "version"))
_BLANK_KEEPS = frozenset({"quote_start", "quote_end", "claim_type", "status"})
_SHOWN_WARNINGS = 50

# (claim id, quote, start, end) of an article's claims, for duplicate checks.
_Quotes = list[tuple[int, str, int, int]]


@dataclass(frozen=True)
class RowWarning:
    """Something the import ignored or skipped; the import still succeeds."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column!r}: {self.message}"


@dataclass
class ImportReport:
    source: str
    rows: int = 0
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[tuple[int, int]] = field(default_factory=list)  # (line, existing claim)
    warnings: list[RowWarning] = field(default_factory=list)
    dry_run: bool = False

    def __str__(self) -> str:
        verb = "would create" if self.dry_run else "created"
        upd = "would update" if self.dry_run else "updated"
        skip = "would skip" if self.dry_run else "skipped"
        head = (
            f"{self.source}: {self.rows} rows; {verb} {len(self.created)}, "
            f"{upd} {len(self.updated)}, unchanged {self.unchanged}, "
            f"{skip} {len(self.skipped)} duplicate(s)"
        )
        if not self.warnings:
            return head
        lines = [f"{head}; {len(self.warnings)} warning(s):"]
        lines += [f"  {w}" for w in self.warnings[:_SHOWN_WARNINGS]]
        if len(self.warnings) > _SHOWN_WARNINGS:
            lines.append(f"  ... and {len(self.warnings) - _SHOWN_WARNINGS} more")
        return "\n".join(lines)


class _Rollback(Exception):
    """Raised inside the unit of work to undo a dry run."""


def import_claims_csv(
    *,
    session: Session,
    path: Path | None = None,
    data: bytes | None = None,
    actor: str,
    dry_run: bool = False,
    source: str | None = None,
) -> ImportReport:
    """Import claims from a CSV file (or its bytes); all rows or none."""
    source = source or (str(path) if path else "<csv>")
    actor = clean_actor(actor)
    authorize(session, actor, Action.import_claims)  # before reading the file
    session.rollback()
    if data is None:
        if path is None:
            raise ValueError("give path or data")
        data = read_file(str(path))
    rows = read_rows(data, source)
    report = ImportReport(source=source, rows=len(rows), dry_run=dry_run)
    problems: list[RowProblem] = []
    try:
        with unit_of_work(session):
            authorize(session, actor, Action.import_claims)
            articles = {a.slug: a for a in session.exec(select(Article))}
            ctx = _Context(
                actor=actor,
                articles=articles,
                exported=current_rows(session=session, claim_ids=_claim_ids(rows)),
                report=report,
            )
            for line, row in rows:
                savepoint = session.begin_nested()
                try:
                    row_problems = _import_row(session, line, row, ctx)
                except TrackerError as exc:
                    row_problems = [RowProblem(line, None, None, str(exc))]
                if row_problems:
                    if savepoint.is_active:
                        savepoint.rollback()
                    problems.extend(row_problems)
                elif savepoint.is_active:
                    savepoint.commit()
            if problems:
                raise ImportFailed(source, problems)
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return report


@dataclass
class _Context:
    """What every row of one import reads and reports to."""

    actor: str
    articles: dict[str, Article]
    exported: dict[int, dict[str, str]]  # the export's row of each claim the file names
    report: ImportReport
    seen: dict[int, int] = field(default_factory=dict)  # claim id -> first line
    quotes: dict[int, _Quotes] = field(default_factory=dict)  # article id -> its claims

    def quotes_of(self, session: Session, article: Article) -> _Quotes:
        if article.id not in self.quotes:
            self.quotes[article.id or 0] = [
                (int(i or 0), q, s, e)
                for i, q, s, e in session.exec(
                    select(Claim.id, Claim.quote, Claim.quote_start, Claim.quote_end)
                    .where(Claim.article_id == article.id)
                    .order_by(col(Claim.id))
                )
            ]
        return self.quotes[article.id or 0]


def _claim_ids(rows: list[tuple[int, dict[str, str]]]) -> set[int]:
    ids = set()
    for _, row in rows:
        raw = (row.get("claim_id") or "").strip()
        if raw.isdigit() and 0 < int(raw) <= MAX_ID:  # the rest are reported per row
            ids.add(int(raw))
    return ids


def _normal(name: str, value: str) -> str:
    """A cell as the use cases will see it (quotes are exact; other text is trimmed)."""
    if name == "quote":
        return value
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _edits(row: dict[str, str], current: dict[str, str]) -> list[str]:
    """The editable columns where the row differs from the claim as exported now."""
    edits = []
    for name in _EDITED:
        if name not in row:
            continue  # an absent column keeps the claim's value
        value = _normal(name, row[name])
        if not value and name in _BLANK_KEEPS:
            continue
        if value != _normal(name, current[name]):
            edits.append(name)
    return edits


def _read_only_warnings(
    line: int, row: dict[str, str], current: dict[str, str] | None
) -> list[RowWarning]:
    """Edits to read-only columns: compared with the export, ignored, and said so."""
    warnings = []
    for name in DERIVED_COLUMNS:
        if name not in row:
            continue
        if current is None:
            if row[name].strip():
                warnings.append(
                    RowWarning(
                        line, name, f"read-only, ignored for a new claim; {READ_ONLY_HINTS[name]}"
                    )
                )
        elif row[name] != current[name]:
            warnings.append(RowWarning(line, name, f"read-only, ignored; {READ_ONLY_HINTS[name]}"))
    return warnings


def _int(row: dict[str, str], name: str, line: int, problems: list[RowProblem]) -> int | None:
    raw = (row.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        problems.append(RowProblem(line, name, raw, "must be a whole number"))
        return None
    if not 0 <= value <= MAX_ID:  # what a column of the database can hold
        problems.append(RowProblem(line, name, raw, f"must be from 0 to {MAX_ID:,}"))
        return None
    return value


def _enum_problem(line: int, name: str, value: str, enum_cls: type[StrEnum]) -> RowProblem:
    allowed = ", ".join(m.value for m in enum_cls)
    return RowProblem(line, name, value, f"unknown {name}; allowed: {allowed}")


def _import_row(
    session: Session, line: int, row: dict[str, str], ctx: _Context
) -> list[RowProblem]:
    problems: list[RowProblem] = []
    status = (row.get("status") or "").strip()
    reason = (row.get("flag_reason") or "").strip() or None
    ctype = (row.get("claim_type") or "").strip()
    if status and status not in ClaimStatus.__members__:
        problems.append(_enum_problem(line, "status", status, ClaimStatus))
    if reason and reason not in FlagReason.__members__:
        problems.append(_enum_problem(line, "flag_reason", reason, FlagReason))
    if ctype and ctype not in ClaimType.__members__:
        problems.append(_enum_problem(line, "claim_type", ctype, ClaimType))
    for name in ("claim", "section", "assignee"):
        try:
            clean_field(Claim, name, row.get(name), required=name == "claim")
        except TrackerError as exc:
            problems.append(RowProblem(line, name, row.get(name), str(exc)))
    claim_id = _int(row, "claim_id", line, problems)
    version = _int(row, "version", line, problems)
    start = _int(row, "quote_start", line, problems)
    end = _int(row, "quote_end", line, problems)
    slug = (row.get("article") or "").strip()
    article = ctx.articles.get(slug)
    if article is None:
        problems.append(RowProblem(line, "article", slug, "no such article"))
    if problems:
        return problems
    assert article is not None
    assignee = (row.get("assignee") or "").strip() or None

    if claim_id is None:
        return _create_row(session, line, row, ctx, article, status, ctype, start, end, assignee)

    if claim_id in ctx.seen:
        return [
            RowProblem(
                line,
                "claim_id",
                str(claim_id),
                f"claim appears twice (first on line {ctx.seen[claim_id]})",
            )
        ]
    ctx.seen[claim_id] = line
    claim = session.get(Claim, claim_id)
    exported = ctx.exported.get(claim_id)
    if claim is None or exported is None:
        return [RowProblem(line, "claim_id", str(claim_id), "no such claim")]
    if claim.article_id != article.id:
        return [
            RowProblem(
                line,
                "article",
                slug,
                f"claim {claim_id} belongs to another "
                "article; moving claims between articles is not supported",
            )
        ]
    current_version = version == claim.version
    if not _edits(row, exported):
        # Equal to the claim as it is now: nothing to apply, so no version to check
        # (a file that was just applied can be applied again). A stale row's read-only
        # cells differ because the claim moved on, not because someone edited them.
        ctx.report.unchanged += 1
        if current_version:
            ctx.report.warnings += _read_only_warnings(line, row, exported)
        return []
    if version is None:
        return [RowProblem(line, "version", "", "required to update a claim; export a fresh CSV")]
    if not current_version:
        return [
            RowProblem(
                line,
                "version",
                str(version),
                f"claim {claim_id} is at version {claim.version}: it changed after "
                "this file was exported; export again and redo the edit",
            )
        ]
    warnings = _read_only_warnings(line, row, exported)
    before = claim.version
    changes = build(
        ClaimUpdate,
        claim=row["claim"],
        section=row.get("section") or None,
        claim_type=ctype or claim.claim_type,
        quote=row.get("quote", claim.quote),
        quote_start=claim.quote_start if start is None else start,
        quote_end=claim.quote_end if end is None else end,
    )
    current = update_claim(
        session=session,
        claim_id=claim_id,
        changes=changes,
        actor=ctx.actor,
        expected_version=version,
    )
    if assignee != current.assignee:
        try:
            current = assign_claim(
                session=session,
                claim_id=claim_id,
                assignee=assignee,
                actor=ctx.actor,
                expected_version=current.version,
            )
        except TrackerError as exc:
            return [RowProblem(line, "assignee", assignee or "", str(exc))]
    new_status = status or current.status
    if new_status != current.status or (
        new_status == ClaimStatus.flagged and reason != current.flag_reason
    ):
        try:
            current = review_claim(
                session=session,
                claim_id=claim_id,
                status=new_status,
                actor=ctx.actor,
                expected_version=current.version,
                reason=reason,
            )
        except TrackerError as exc:
            return [RowProblem(line, "status", new_status, str(exc))]
    elif reason and new_status != ClaimStatus.flagged:
        return [RowProblem(line, "flag_reason", reason, "only flagged claims have a reason")]
    if current.version != before:
        ctx.report.updated.append(claim_id)
    else:
        ctx.report.unchanged += 1
    ctx.report.warnings += warnings
    return []


def _create_row(
    session: Session,
    line: int,
    row: dict[str, str],
    ctx: _Context,
    article: Article,
    status: str,
    ctype: str,
    start: int | None,
    end: int | None,
    assignee: str | None,
) -> list[RowProblem]:
    if status and status != ClaimStatus.unreviewed:
        return [
            RowProblem(
                line,
                "status",
                status,
                "a new claim starts as unreviewed; import it first, then review it",
            )
        ]
    if (row.get("flag_reason") or "").strip():
        return [
            RowProblem(line, "flag_reason", row["flag_reason"], "a new claim has no flag reason")
        ]
    quote = row.get("quote") or ""
    if not quote:
        return [RowProblem(line, "quote", "", "a new claim needs a quote from the article")]
    if start is None or end is None:
        try:
            start, end = locate_quote(article, quote)
        except TrackerError as exc:
            return [RowProblem(line, "quote", quote, str(exc))]
    quotes = ctx.quotes_of(session, article)
    match = duplicate_of(quote, start, end, quotes)
    if match is not None:
        # Skipped, not refused: importing the same new rows twice, or a quote already
        # extracted from the article, must not create the claim a second time.
        ctx.report.skipped.append((line, match))
        ctx.report.warnings.append(
            RowWarning(
                line,
                "quote",
                f"repeats the quote of claim {match} (same place or the same words); "
                "not created again",
            )
        )
        return []
    claim = create_claim(
        session=session,
        data=build(
            ClaimCreate,
            article=article.slug,
            claim=row["claim"],
            quote=quote,
            quote_start=start,
            quote_end=end,
            section=row.get("section") or None,
            claim_type=ctype or ClaimType.other.value,
        ),
        actor=ctx.actor,
        origin=ClaimOrigin.imported,
    )
    if assignee:
        try:
            assign_claim(
                session=session,
                claim_id=claim.id,
                assignee=assignee,
                actor=ctx.actor,
                expected_version=claim.version,
            )
        except TrackerError as exc:
            return [RowProblem(line, "assignee", assignee, str(exc))]
    quotes.append((claim.id, quote, start, end))
    ctx.report.created.append(claim.id)
    ctx.report.warnings += _read_only_warnings(line, row, None)
    return []


# --- claims from another tracker: a column mapping and a label file -------------------------

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

    def __str__(self) -> str:
        would = "would " if self.dry_run else ""
        lines = [
            f"{self.source}: {self.rows} rows into {self.article!r}; {would}create "
            f"{self.created}, {would}review {self.reviewed}, {would}add {self.sources_added} "
            f"source(s), {would}skip {self.skipped} already imported; "
            f"{self.unreviewed_for_lack_of_source} verdict(s) left unreviewed for want of a "
            "source (label kept)"
        ]
        for label, n in sorted(self.labels.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {label or '(no label)'!s:<30} {n:>7}  -> {self.mapped[label]}")
        if self.problems:
            lines.append(f"{len(self.problems)} bad row(s), nothing imported:")
            lines += [f"  {p}" for p in self.problems[:_SHOWN_PROBLEMS]]
            if len(self.problems) > _SHOWN_PROBLEMS:
                lines.append(f"  ... and {len(self.problems) - _SHOWN_PROBLEMS} more")
        return "\n".join(lines)


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
    header: bool = True,
    dry_run: bool = False,
    source: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> MappedImportReport:
    """Import claims from another tracker's CSV/TSV through ``mapping``; all rows or none.

    Claims go into ``article``: an article with text (a ``quote`` column must
    then give each claim's words in it), or a *collection* (no text; created
    if there is no article of that slug), whose claims have an empty quote at
    0:0. A label mapped by ``labels`` becomes a review through
    :func:`review_claim` (same rules: a verdict needs a source, so one comes
    from the ``source`` column through :func:`add_source`; without it the
    claim stays unreviewed), a flag with a note that names the label. The
    foreign label is kept on the claim either way. A dry run returns the
    report with the bad rows instead of raising.
    """
    source = source or (str(path) if path else "<csv>")
    actor = clean_actor(actor)
    authorize(session, actor, Action.import_claims)  # before reading the file
    session.rollback()
    if data is None:
        if path is None:
            raise ValueError("give path or data")
        data = read_file(str(path))
    raw = read_mapped(data, source, mapping, delimiter=delimiter, header=header)
    report = MappedImportReport(source=source, article=article, rows=len(raw), dry_run=dry_run)
    try:
        with unit_of_work(session):
            authorize(session, actor, Action.import_claims)
            authorize(session, actor, Action.edit_claim)
            target = session.exec(select(Article).where(Article.slug == article)).first()
            collection = target is None or target.kind == ArticleKind.collection
            rows, report.problems = _check_mapped(raw, labels, collection=collection, report=report)
            if target is None:
                target = _new_collection(session, article, actor)
            if not report.problems:
                _write_mapped(session, actor, target, rows, report, progress)
            if report.problems:
                if dry_run:
                    raise _Rollback
                raise ImportFailed(source, report.problems)
            if dry_run:
                raise _Rollback
    except _Rollback:
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
    raw: list[tuple[int, dict[str, str]]],
    labels: dict[str, Verdict] | None,
    *,
    collection: bool,
    report: MappedImportReport,
) -> tuple[list[_MappedRow], list[RowProblem]]:
    """Every row checked before anything is written; problems per line and field."""
    rows: list[_MappedRow] = []
    problems: list[RowProblem] = []
    for line, cells in raw:
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
            bad.append(_enum_problem(line, "claim_type", ctype, ClaimType))
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
            problems += bad
            continue
        rows.append(
            _MappedRow(
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
        )
    return rows, problems


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


def _write_mapped(
    session: Session,
    actor: str,
    article: Article,
    rows: list[_MappedRow],
    report: MappedImportReport,
    progress: Callable[[int], None] | None,
) -> None:
    existing = {
        (c, who, when)
        for c, who, when in session.exec(
            select(Claim.claim, col(Claim.claimant), col(Claim.claim_date)).where(
                Claim.article_id == article.id
            )
        )
    }
    done = 0
    for row in rows:
        done += 1
        if done % 500 == 0:
            # Written rows need not stay in the identity map: every flush and autoflush
            # would walk them all (quadratic over a large file).
            session.flush()
            session.expunge_all()
            if progress:
                progress(500)
        key = (row.claim, row.claimant, row.claim_date)
        if key in existing:
            report.skipped += 1
            continue
        existing.add(key)
        try:
            claim = _insert_mapped_claim(session, actor, article, row)
        except TrackerError as exc:
            report.problems.append(RowProblem(row.line, "quote", row.quote, str(exc)))
            continue
        report.created += 1
        verdict = row.verdict
        if verdict is None or verdict.status is ClaimStatus.unreviewed:
            continue
        if row.source:
            try:
                add_source(
                    session=session,
                    claim_id=claim.id or 0,
                    url=row.source,
                    stance=verdict.stance.value,
                    actor=actor,
                )
            except TrackerError as exc:
                report.problems.append(RowProblem(row.line, "source", row.source, str(exc)))
                continue
            report.sources_added += 1
        elif verdict.needs_source:
            report.unreviewed_for_lack_of_source += 1
            continue
        try:
            review_claim(
                session=session,
                claim_id=claim.id or 0,
                status=verdict.status.value,
                actor=actor,
                expected_version=claim.version,
                reason=verdict.flag_reason.value if verdict.flag_reason else None,
                note=(
                    f"Imported verdict {row.label!r} from {Path(report.source).name}, "
                    f"line {row.line}."
                    if verdict.status is ClaimStatus.flagged
                    else None
                ),
            )
        except TrackerError as exc:
            report.problems.append(RowProblem(row.line, "label", row.label, str(exc)))
            continue
        report.reviewed += 1
    if progress and done % 500:
        progress(done % 500)


def _insert_mapped_claim(session: Session, actor: str, article: Article, row: _MappedRow) -> Claim:
    """The claim and its ``created`` event; a collection's claims quote nothing (0:0)."""
    if row.quote is None:
        quote, start, end = "", 0, 0
    else:
        quote = row.quote
        start, end = locate_quote(article, quote)
        check_quote(article, quote, start, end)
    claim = Claim(
        article_id=article.id or 0,
        claim=row.claim,
        quote=quote,
        quote_start=start,
        quote_end=end,
        section=row.section,
        claim_type=row.claim_type,
        origin=ClaimOrigin.imported.value,
        claimant=row.claimant,
        claim_date=row.claim_date,
        context=row.context,
        foreign_label=row.label,
    )
    session.add(claim)
    session.flush()
    record_event(
        session,
        EventAction.created,
        actor=actor,
        claim_id=claim.id,
        new=claim.claim,
        detail=f"imported from another tracker (label {row.label!r})" if row.label else None,
        version=claim.version,
    )
    return claim
