"""Importing claims from CSV: every row through the same use cases as the CLI and dashboard.

The import is one unit of work. Each row runs in its own savepoint and is
applied by :func:`create_claim`, :func:`update_claim`, :func:`assign_claim`
and :func:`review_claim`, so each row obeys exactly the rules, permissions
and audit trail of the same change made by hand. If any row is bad,
everything is rolled back and every problem is reported with its line number,
field and value. ``dry_run`` always rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from sqlmodel import Session, select

from ..errors import ImportFailed, RowProblem, TrackerError
from ..interchange.csv_import import read_rows
from ..models import Article, Claim, ClaimCreate, ClaimStatus, ClaimType, ClaimUpdate, FlagReason
from ..models import Origin as ClaimOrigin
from ..permissions import Action, authorize
from ..validation import build, clean_field
from .claims import assign_claim, create_claim, locate_quote, review_claim, update_claim
from .uow import clean_actor, unit_of_work


@dataclass
class ImportReport:
    source: str
    rows: int = 0
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: int = 0
    dry_run: bool = False

    def __str__(self) -> str:
        verb = "would create" if self.dry_run else "created"
        upd = "would update" if self.dry_run else "updated"
        return (
            f"{self.source}: {self.rows} rows; {verb} {len(self.created)}, "
            f"{upd} {len(self.updated)}, unchanged {self.unchanged}"
        )


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
            seen: dict[int, int] = {}
            for line, row in rows:
                savepoint = session.begin_nested()
                try:
                    row_problems = _import_row(session, line, row, actor, articles, seen, report)
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


def _int(row: dict[str, str], name: str, line: int, problems: list[RowProblem]) -> int | None:
    raw = (row.get(name) or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        problems.append(RowProblem(line, name, raw, "must be a whole number"))
        return None


def _enum_problem(line: int, name: str, value: str, enum_cls: type[StrEnum]) -> RowProblem:
    allowed = ", ".join(m.value for m in enum_cls)
    return RowProblem(line, name, value, f"unknown {name}; allowed: {allowed}")


def _import_row(
    session: Session,
    line: int,
    row: dict[str, str],
    actor: str,
    articles: dict[str, Article],
    seen: dict[int, int],
    report: ImportReport,
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
    article = articles.get(slug)
    if article is None:
        problems.append(RowProblem(line, "article", slug, "no such article"))
    if problems:
        return problems
    assert article is not None
    assignee = (row.get("assignee") or "").strip() or None

    if claim_id is None:
        return _create_row(
            session, line, row, actor, article, status, ctype, start, end, assignee, report
        )

    if claim_id in seen:
        return [
            RowProblem(
                line,
                "claim_id",
                str(claim_id),
                f"claim appears twice (first on line {seen[claim_id]})",
            )
        ]
    seen[claim_id] = line
    claim = session.get(Claim, claim_id)
    if claim is None:
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
    if version is None:
        return [RowProblem(line, "version", "", "required to update a claim; export a fresh CSV")]
    if version != claim.version:
        return [
            RowProblem(
                line,
                "version",
                str(version),
                f"claim {claim_id} is at version {claim.version}: it changed after "
                "this file was exported; export again and redo the edit",
            )
        ]
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
        session=session, claim_id=claim_id, changes=changes, actor=actor, expected_version=version
    )
    if assignee != current.assignee:
        current = assign_claim(
            session=session,
            claim_id=claim_id,
            assignee=assignee,
            actor=actor,
            expected_version=current.version,
        )
    new_status = status or current.status
    if new_status != current.status or (
        new_status == ClaimStatus.flagged and reason != current.flag_reason
    ):
        current = review_claim(
            session=session,
            claim_id=claim_id,
            status=new_status,
            actor=actor,
            expected_version=current.version,
            reason=reason,
        )
    elif reason and new_status != ClaimStatus.flagged:
        return [RowProblem(line, "flag_reason", reason, "only flagged claims have a reason")]
    if current.version != before:
        report.updated.append(claim_id)
    else:
        report.unchanged += 1
    return []


def _create_row(
    session: Session,
    line: int,
    row: dict[str, str],
    actor: str,
    article: Article,
    status: str,
    ctype: str,
    start: int | None,
    end: int | None,
    assignee: str | None,
    report: ImportReport,
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
        actor=actor,
        origin=ClaimOrigin.imported,
    )
    if assignee:
        assign_claim(
            session=session,
            claim_id=claim.id,
            assignee=assignee,
            actor=actor,
            expected_version=claim.version,
        )
    report.created.append(claim.id)
    return []
