"""Validating, all-or-nothing CSV import of claims (the export's own format).

Every row is checked and applied inside one transaction, each row in its own
savepoint; if any row is bad, everything is rolled back and every problem is
reported with its line number, field and value. ``dry_run`` always rolls back.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from sqlmodel import Session, select

from .accounts import authorize
from .csvsafe import unescape_cell
from .errors import ImportFailed, RowProblem, TrackerError
from .exporters import CSV_COLUMNS, DERIVED_COLUMNS
from .models import (
    Article,
    Claim,
    ClaimCreate,
    ClaimStatus,
    ClaimType,
    ClaimUpdate,
    FlagReason,
    Note,
    Origin,
)
from .services import (
    apply_assign,
    apply_create_claim,
    apply_review,
    apply_update,
    clean_actor,
    locate_quote,
    unit_of_work,
)
from .validation import clean_text

REQUIRED_COLUMNS = (
    "claim_id",
    "article",
    "section",
    "claim",
    "quote",
    "claim_type",
    "status",
    "flag_reason",
    "assignee",
)
KNOWN_COLUMNS = frozenset(CSV_COLUMNS)


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


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start : exc.start + 4]
        raise ImportFailed(
            source,
            [
                RowProblem(
                    line,
                    None,
                    None,
                    f"not valid UTF-8 (byte {bad[:1]!r} at offset "
                    f"{exc.start}); save the file as UTF-8 and try again",
                )
            ],
        ) from None


def _check_header(header: list[str], source: str) -> None:
    problems: list[RowProblem] = []
    if len(header) == 1:
        for delimiter, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if delimiter in header[0]:
                raise ImportFailed(
                    source,
                    [
                        RowProblem(
                            1,
                            None,
                            header[0][:60],
                            f"the header is separated by {name}; tracker reads comma-separated "
                            "files (RFC 4180) such as `tracker export csv` writes",
                        )
                    ],
                )
    dupes = [name for name, n in Counter(header).items() if n > 1]
    for name in dupes:
        problems.append(RowProblem(1, name, None, "column appears more than once in the header"))
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.append(RowProblem(1, None, None, f"missing column(s): {', '.join(missing)}"))
    unknown = [c for c in header if c not in KNOWN_COLUMNS]
    if unknown:
        problems.append(
            RowProblem(
                1,
                None,
                None,
                f"unknown column(s): {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(CSV_COLUMNS)}",
            )
        )
    if problems:
        raise ImportFailed(source, problems)


def read_rows(data: bytes, source: str) -> list[tuple[int, dict[str, str]]]:
    """Parse and unescape; returns (line number where the record starts, row)."""
    text = _decode(data, source)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFailed(source, [RowProblem(1, None, None, "the file is empty")]) from None
    except csv.Error as exc:
        raise ImportFailed(source, [RowProblem(1, None, None, f"bad CSV: {exc}")]) from None
    header = [h.strip() for h in header]
    _check_header(header, source)
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[RowProblem] = []
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(RowProblem(line, None, None, f"bad CSV: {exc}"))
            break
        if cells and len(cells) != len(header):
            problems.append(
                RowProblem(
                    line,
                    None,
                    None,
                    f"has {len(cells)} cells but the header has {len(header)} columns",
                )
            )
        elif cells:
            rows.append((line, {h: unescape_cell(v) for h, v in zip(header, cells, strict=True)}))
        line = reader.line_num + 1
    if problems:
        raise ImportFailed(source, problems)
    return rows


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
    with unit_of_work(session):
        actor = clean_actor(actor)
        authorize(session, actor, "import_claims")
        articles = {a.slug: a for a in session.exec(select(Article))}
        seen: dict[int, int] = {}
        for line, row in rows:
            savepoint = session.begin_nested()
            try:
                row_problems = _apply_row(session, line, row, actor, articles, seen, report)
            except TrackerError as exc:
                row_problems = [RowProblem(line, None, None, str(exc))]
            if row_problems:
                savepoint.rollback()
                problems.extend(row_problems)
            else:
                savepoint.commit()
        if problems:
            raise ImportFailed(source, problems)
        if dry_run:
            session.rollback()
            return report
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


def _apply_row(
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
            clean_text(row.get(name), name, max_chars=2000, required=name == "claim")
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
    changed = False
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
    update = ClaimUpdate(
        claim=row["claim"],
        section=row.get("section") or None,
        claim_type=ctype or claim.claim_type,
        quote=row.get("quote", claim.quote),
        quote_start=claim.quote_start if start is None else start,
        quote_end=claim.quote_end if end is None else end,
    )
    if apply_update(session, claim, update, actor, claim.version):
        changed = True
    if assignee != claim.assignee:
        apply_assign(session, claim, assignee, actor, claim.version)
        changed = True
    new_status = status or claim.status
    if new_status != claim.status or (new_status == "flagged" and reason != claim.flag_reason):
        if new_status == ClaimStatus.flagged and not _has_note(session, claim_id):
            return [
                RowProblem(
                    line,
                    "status",
                    new_status,
                    "flagging needs a note that says "
                    f"what is wrong; add one with `tracker note {claim_id}` first",
                )
            ]
        apply_review(
            session,
            claim,
            status=new_status,
            actor=actor,
            expected_version=claim.version,
            reason=reason,
            require_note=False,
        )
        changed = True
    elif reason and new_status != "flagged":
        return [RowProblem(line, "flag_reason", reason, "only flagged claims have a reason")]
    if changed:
        report.updated.append(claim_id)
    else:
        report.unchanged += 1
    return []


def _has_note(session: Session, claim_id: int) -> bool:
    return session.exec(select(Note.id).where(Note.claim_id == claim_id)).first() is not None


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
    claim = apply_create_claim(
        session,
        ClaimCreate(
            article=article.slug,
            claim=row["claim"],
            quote=quote,
            quote_start=start,
            quote_end=end,
            section=row.get("section") or None,
            claim_type=ctype or ClaimType.other.value,
        ),
        actor=actor,
        origin=Origin.imported,
        article=article,
    )
    if assignee:
        apply_assign(session, claim, assignee, actor, claim.version)
    report.created.append(claim.id or 0)
    return []


__all__ = ["DERIVED_COLUMNS", "ImportReport", "import_claims_csv", "read_rows"]
