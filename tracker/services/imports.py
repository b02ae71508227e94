"""Importing claims from CSV: a streaming batch path under the rules of the one-claim use cases.

The import is one unit of work, and a file is read as a stream (memory does
not grow with it). Every row is checked by the same rule functions the
one-claim use cases call (:func:`~tracker.services.claims.new_claim_values`,
:func:`~tracker.services.claims.check_review`,
:func:`~tracker.services.claims.verdict_blocker`,
:func:`~tracker.services.claims.check_source`,
:func:`~tracker.services.claims.check_assignee`,
:func:`~tracker.services.claims.duplicate_of`); new claims, their sources,
notes and events are then written a chunk at a time with one multi-row
INSERT per table (events through :func:`tracker.audit.record_events`). A
row that edits an existing claim goes through :func:`update_claim`,
:func:`assign_claim` and :func:`review_claim` in its own savepoint. Problems
are collected with their line, field and value while the writing goes on;
if there is any, the whole transaction is rolled back and all of them are
reported: nothing is written. ``dry_run`` always rolls back.

A row is compared with what an export writes for its claim now
(:func:`~tracker.interchange.csv_export.current_rows`): a row whose editable
columns equal the claim's is unchanged whatever its ``version`` (so a file can
be applied twice), and an edit to a read-only column is ignored with a
warning. A new row that repeats an existing claim's quote
(:func:`~tracker.services.claims.duplicate_of`, as the article import
decides) is skipped with a warning instead of creating the claim twice.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from ..audit import EventAction, event_row, record_events
from ..errors import ImportFailed, RowProblem, TrackerError
from ..interchange.csv_export import DERIVED_COLUMNS, EDITABLE_COLUMNS, current_rows
from ..interchange.csv_import import READ_ONLY_HINTS, iter_rows
from ..models import (
    Article,
    Claim,
    ClaimStatus,
    ClaimType,
    ClaimUpdate,
    FlagReason,
    utcnow,
)
from ..models import Origin as ClaimOrigin
from ..permissions import Action, authorize
from ..queries import MAX_ID
from ..validation import build, clean_field
from . import batch
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
    assign_claim,
    check_assignee,
    duplicate_index,
    locate_quote,
    new_claim_values,
    review_claim,
    update_claim,
)
from .uow import clean_actor, unit_of_work

# The columns a row may change, in the order they are applied.
_EDITED = tuple(c for c in EDITABLE_COLUMNS if c not in ("claim_id", "article", "version"))
_BLANK_KEEPS = frozenset({"quote_start", "quote_end", "claim_type", "status"})
_SHOWN_WARNINGS = 50


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


_TEXTS_KEPT = 32  # articles whose text and quotes are kept at once (files go article by article)


def import_claims_csv(
    *,
    session: Session,
    path: Path | None = None,
    data: bytes | None = None,
    actor: str,
    dry_run: bool = False,
    source: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import claims from a CSV file (or its bytes); all rows or none.

    The file is streamed; ``progress(n)`` is called after every ``n`` rows.
    """
    source = source or (str(path) if path else "<csv>")
    actor = clean_actor(actor)
    authorize(session, actor, Action.import_claims)  # before reading the file
    session.rollback()
    report = ImportReport(source=source, dry_run=dry_run)
    problems: list[RowProblem] = []
    try:
        with opened(path, data) as (stream, size), unit_of_work(session):
            authorize(session, actor, Action.import_claims)
            importer = _NativeImport(session, actor, report, problems)
            with closing(iter_rows(stream, source, problems, size=size)) as rows:
                for chunk in chunks(rows, batch.CHUNK_ROWS):
                    importer.take(chunk)
                    if progress:
                        progress(len(chunk))
            importer.finish()
            if problems:
                raise ImportFailed(source, sorted(problems, key=by_line))
            if dry_run:
                raise Rollback
    except Rollback:
        pass
    return report


@dataclass(eq=False)
class _NewClaim:
    """A checked new claim waiting for its chunk's INSERT; ``id`` once written."""

    line: int
    values: dict[str, Any] | None
    assignee: str | None = None
    id: int | None = None
    quote_slot: tuple[int, int] | None = None  # (article id, index in its quotes)


def _claim_ref(ref: int | _NewClaim) -> int:
    return ref if isinstance(ref, int) else int(ref.id or 0)


class _NativeImport:
    """One import of the export's format: rows checked a chunk at a time, new claims batched."""

    def __init__(
        self, session: Session, actor: str, report: ImportReport, problems: list[RowProblem]
    ) -> None:
        self.session = session
        self.actor = actor
        self.report = report
        self.problems = problems
        # slug -> article id; texts are read when a row needs one, a few at a time
        self.articles = {
            slug: int(i or 0) for slug, i in session.exec(select(Article.slug, Article.id))
        }
        self.texts: OrderedDict[int, ArticleText] = OrderedDict()
        self.quotes: dict[int, list[tuple[int | _NewClaim, str, int, int]]] = {}
        self.pending: list[_NewClaim] = []
        self.pending_articles: set[int] = set()
        self.seen: dict[int, int] = {}  # claim id -> first line
        self.assignable: dict[str, str | None] = {}  # account -> why it cannot be assigned
        self.skipped: list[tuple[int, int | _NewClaim]] = []
        self.deferred: list[tuple[int, int, int | _NewClaim]] = []  # warning index, line, ref
        self.now = utcnow()

    # --- reading what the rules need --------------------------------------------

    def text(self, article_id: int) -> ArticleText:
        found = self.texts.get(article_id)
        if found is not None:
            self.texts.move_to_end(article_id)
            return found
        if len(self.texts) >= _TEXTS_KEPT:
            old, _ = self.texts.popitem(last=False)
            if old in self.pending_articles:
                self.flush()  # its new claims must be in the database before it is forgotten
            self.quotes.pop(old, None)
        slug, text = self.session.exec(
            select(Article.slug, Article.text).where(Article.id == article_id)
        ).one()
        found = self.texts[article_id] = ArticleText(article_id, slug, text)
        self.quotes[article_id] = [
            (int(i or 0), q, s, e)
            for i, q, s, e in self.session.exec(
                select(Claim.id, Claim.quote, Claim.quote_start, Claim.quote_end)
                .where(Claim.article_id == article_id)
                .order_by(col(Claim.id))
            )
        ]
        return found

    def why_unassignable(self, who: str) -> str | None:
        if who not in self.assignable:
            try:
                check_assignee(self.session, who)
                self.assignable[who] = None
            except TrackerError as exc:
                self.assignable[who] = str(exc)
        return self.assignable[who]

    # --- a chunk of rows -----------------------------------------------------------

    def take(self, chunk: list[tuple[int, dict[str, str]]]) -> None:
        exported = current_rows(session=self.session, claim_ids=_claim_ids(chunk))
        for line, row in chunk:
            self.report.rows += 1
            try:
                row_problems = self.row(line, row, exported)
            except TrackerError as exc:
                row_problems = [RowProblem(line, None, None, str(exc))]
            self.problems.extend(row_problems)
        self.flush()
        # Rows written need not stay in the identity map (every flush would walk them).
        self.session.expunge_all()

    def row(
        self, line: int, row: dict[str, str], exported: dict[int, dict[str, str]]
    ) -> list[RowProblem]:
        problems: list[RowProblem] = []
        status = (row.get("status") or "").strip()
        reason = (row.get("flag_reason") or "").strip() or None
        ctype = (row.get("claim_type") or "").strip()
        if status and status not in ClaimStatus.__members__:
            problems.append(enum_problem(line, "status", status, ClaimStatus))
        if reason and reason not in FlagReason.__members__:
            problems.append(enum_problem(line, "flag_reason", reason, FlagReason))
        if ctype and ctype not in ClaimType.__members__:
            problems.append(enum_problem(line, "claim_type", ctype, ClaimType))
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
        article_id = self.articles.get(slug)
        if article_id is None:
            problems.append(RowProblem(line, "article", slug, "no such article"))
        if problems:
            return problems
        assert article_id is not None
        assignee = (row.get("assignee") or "").strip() or None
        if claim_id is None:
            return self.new_row(line, row, article_id, status, ctype, start, end, assignee)
        savepoint = self.session.begin_nested()
        try:
            row_problems = _update_row(
                self.session,
                line,
                row,
                _Context(self.actor, exported, self.report, self.seen),
                article_id,
                slug,
                claim_id,
                version,
                status,
                reason,
                ctype,
                start,
                end,
                assignee,
            )
        except BaseException:
            if savepoint.is_active:
                savepoint.rollback()
            raise
        if savepoint.is_active:
            if row_problems:
                savepoint.rollback()
            else:
                savepoint.commit()
        return row_problems

    def new_row(
        self,
        line: int,
        row: dict[str, str],
        article_id: int,
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
                RowProblem(
                    line, "flag_reason", row["flag_reason"], "a new claim has no flag reason"
                )
            ]
        quote = row.get("quote") or ""
        if not quote:
            return [RowProblem(line, "quote", "", "a new claim needs a quote from the article")]
        article = self.text(article_id)
        try:
            if start is None or end is None:
                start, end = locate_quote(article, quote)
            values = new_claim_values(
                article,
                article_id,
                claim=row["claim"],
                quote=quote,
                quote_start=start,
                quote_end=end,
                section=row.get("section") or None,
                claim_type=ctype or ClaimType.other.value,
                origin=ClaimOrigin.imported,
                now=self.now,
            )
        except TrackerError as exc:
            return [RowProblem(line, "quote", quote, str(exc))]
        quotes = self.quotes[article_id]
        index = duplicate_index(quote, start, end, quotes)
        if index is not None:
            # Skipped, not refused: importing the same new rows twice, or a quote already
            # extracted from the article, must not create the claim a second time.
            match = quotes[index][0]
            self.skipped.append((line, match))
            self.deferred.append((len(self.report.warnings), line, match))
            self.report.warnings.append(RowWarning(line, "quote", ""))  # said once written
            return []
        new = _NewClaim(line, values)
        if assignee:
            who = clean_field(Claim, "assignee", assignee, required=False, multiline=False)
            assert who is not None
            try:
                authorize(
                    self.session,
                    self.actor,
                    Action.assign_self if who == self.actor else Action.assign_other,
                )
            except TrackerError as exc:
                return [RowProblem(line, "assignee", assignee, str(exc))]
            why = self.why_unassignable(who)
            if why is not None:
                return [RowProblem(line, "assignee", assignee, why)]
            new.assignee = who
            values |= {"assignee": who, "version": 2}
        new.quote_slot = (article_id, len(quotes))
        quotes.append((new, quote, start, end))
        self.pending.append(new)
        self.pending_articles.add(article_id)
        self.report.warnings += _read_only_warnings(line, row, None)
        return []

    # --- writing ----------------------------------------------------------------------

    def flush(self) -> None:
        """Write the pending new claims and their events: one INSERT per table."""
        if not self.pending:
            return
        ids = insert_claims(self.session, [p.values or {} for p in self.pending])
        events = []
        for new, claim_id in zip(self.pending, ids, strict=True):
            new.id = claim_id
            values = new.values or {}
            events.append(
                event_row(
                    EventAction.created,
                    actor=self.actor,
                    claim_id=claim_id,
                    new=values["claim"],
                    version=1,
                    at=self.now,
                )
            )
            if new.assignee:
                events.append(
                    event_row(
                        EventAction.assign,
                        actor=self.actor,
                        claim_id=claim_id,
                        field="assignee",
                        new=new.assignee,
                        version=2,
                        at=self.now,
                    )
                )
            if new.quote_slot is not None:
                article_id, index = new.quote_slot
                _, quote, s, e = self.quotes[article_id][index]
                self.quotes[article_id][index] = (claim_id, quote, s, e)
            new.values = None  # only the id is kept
            self.report.created.append(claim_id)
        record_events(self.session, events)
        self.pending = []
        self.pending_articles = set()

    def finish(self) -> None:
        self.flush()
        self.report.skipped = [(line, _claim_ref(ref)) for line, ref in self.skipped]
        for index, line, ref in self.deferred:
            self.report.warnings[index] = RowWarning(
                line,
                "quote",
                f"repeats the quote of claim {_claim_ref(ref)} (same place or the same words); "
                "not created again",
            )


@dataclass
class _Context:
    """What an update row reads and reports to."""

    actor: str
    exported: dict[int, dict[str, str]]  # the export's row of each claim the chunk names
    report: ImportReport
    seen: dict[int, int]  # claim id -> first line


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


def _update_row(
    session: Session,
    line: int,
    row: dict[str, str],
    ctx: _Context,
    article_id: int,
    slug: str,
    claim_id: int,
    version: int | None,
    status: str,
    reason: str | None,
    ctype: str,
    start: int | None,
    end: int | None,
    assignee: str | None,
) -> list[RowProblem]:
    """A row naming an existing claim: through the one-claim use cases, in a savepoint."""
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
    if claim.article_id != article_id:
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
