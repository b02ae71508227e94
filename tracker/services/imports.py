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

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from sqlmodel import Session, col, select

from ..errors import ImportFailed, RowProblem, TrackerError
from ..interchange.csv_export import DERIVED_COLUMNS, EDITABLE_COLUMNS, current_rows
from ..interchange.csv_import import READ_ONLY_HINTS, read_rows
from ..models import Article, Claim, ClaimCreate, ClaimStatus, ClaimType, ClaimUpdate, FlagReason
from ..models import Origin as ClaimOrigin
from ..permissions import Action, authorize
from ..queries import MAX_ID
from ..validation import build, clean_field
from .claims import (
    assign_claim,
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
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ImportFailed(source, [RowProblem(0, None, None, str(exc))]) from None
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
