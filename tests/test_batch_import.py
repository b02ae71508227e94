"""The batch import path (#10, #13): the same rows and events as the one-claim use cases,
a bounded number of statements per 1,000 rows, all-or-nothing across chunks."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from tracker import db, services
from tracker.errors import ImportFailed
from tracker.interchange.csv_export import CSV_COLUMNS
from tracker.interchange.mapping import read_labels
from tracker.models import Article, Claim, ClaimCreate, Event, Note, Origin, Source
from tracker.services import batch

from .conftest import make_accounts
from .test_scale_reads import statements

SENTENCES = [
    f"Sentence {i} says the harbour moved {i * 37} tonnes in {1990 + i}." for i in range(60)
]
TEXT = " ".join(SENTENCES)
LABELS = (
    b"label,status,flag_reason,rating\n"
    b"True,verified,,\nFalse,flagged,false,\nOdd,flagged,unverifiable,\nLook,in_review,,\n"
)
CLAIM_COLUMNS = (
    *("claim", "quote", "quote_start", "quote_end", "section", "claim_type", "status"),
    *("flag_reason", "assignee", "origin", "version", "source_count", "last_reviewed_by"),
    *("confirmed_by", "claimant", "claim_date", "context", "foreign_label", "below_threshold"),
    "score",
)
CHUNK_ROWS = 250  # the tests' chunk: several chunks in a few hundred rows
EVENT_COLUMNS = ("actor", "action", "field", "old_value", "new_value", "detail", "claim_version")


def add_article(session: Session, slug: str, body: str = TEXT) -> None:
    """Test setup: an article with a known text (the seeds have one article only)."""
    session.add(Article(slug=slug, title=slug, text=body, sha256="0" * 64))
    session.commit()


def native_csv(slug: str, quotes: list[str], assignees: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for i, (quote, who) in enumerate(zip(quotes, assignees, strict=True)):
        row = dict.fromkeys(CSV_COLUMNS, "")
        row |= {"article": slug, "claim": f"Claim {i}", "quote": quote, "assignee": who}
        row |= {"claim_type": "statistic", "section": "Port" if i % 2 else ""}
        writer.writerow(row)
    return out.getvalue().encode()


def claims_and_events(session: Session, slug: str) -> tuple[list[Any], list[Any]]:
    session.expire_all()
    article_id = session.exec(select(Article.id).where(Article.slug == slug)).one()
    claims = list(
        session.exec(select(Claim).where(Claim.article_id == article_id).order_by(Claim.id))
    )
    rows = [tuple(getattr(c, k) for k in CLAIM_COLUMNS) for c in claims]
    events = []
    for c in claims:
        for e in session.exec(select(Event).where(Event.claim_id == c.id).order_by(Event.id)):
            events.append(tuple(getattr(e, k) for k in EVENT_COLUMNS))
    return rows, events


def test_a_native_batch_makes_the_rows_and_events_of_create_and_assign(session: Session) -> None:
    add_article(session, "twin-batch")
    add_article(session, "twin-single")
    quotes = SENTENCES[:12]
    who = ["", "ana", "", "editor", "", "", "bob", "", "", "", "carol", ""]
    report = services.import_claims_csv(
        session=session, data=native_csv("twin-batch", quotes, who), actor="editor"
    )
    assert len(report.created) == 12
    for i, (quote, name) in enumerate(zip(quotes, who, strict=True)):
        start = TEXT.index(quote)
        claim = services.create_claim(
            session=session,
            data=ClaimCreate(
                article="twin-single",
                claim=f"Claim {i}",
                quote=quote,
                quote_start=start,
                quote_end=start + len(quote),
                section="Port" if i % 2 else None,
                claim_type="statistic",
            ),
            actor="editor",
            origin=Origin.imported,
        )
        if name:
            services.assign_claim(
                session=session,
                claim_id=claim.id,
                assignee=name,
                actor="editor",
                expected_version=claim.version,
            )
    assert claims_and_events(session, "twin-batch") == claims_and_events(session, "twin-single")


def test_a_mapped_batch_makes_the_rows_and_events_of_the_review_use_cases(
    session: Session,
) -> None:
    data = (
        b"claim\tlabel\turl\n"
        b"One is true.\tTrue\thttps://a.example/1\n"
        b"Two is false.\tFalse\thttps://a.example/2\n"
        b"Three is odd.\tOdd\t\n"
        b"Four needs a look.\tLook\t\n"
        b"Five has no source.\tTrue\t\n"
    )
    labels = read_labels(LABELS, "labels.csv")
    mapping = {"claim": "claim", "label": "label", "source": "url"}
    services.import_mapped_csv(
        session=session,
        actor="editor",
        mapping=mapping,
        article="batch",
        data=data,
        labels=labels,
        delimiter="\t",
        source="f.tsv",
    )
    # The one-claim path: the same claims without verdicts, then source and review one by one.
    services.import_mapped_csv(
        session=session,
        actor="editor",
        mapping=mapping,
        article="single",
        data=data,
        labels=None,
        delimiter="\t",
        source="f.tsv",
    )
    session.expire_all()
    single = session.exec(select(Article.id).where(Article.slug == "single")).one()
    claims = list(session.exec(select(Claim).where(Claim.article_id == single).order_by(Claim.id)))
    urls = {
        "One is true.": ("https://a.example/1", "supports"),
        "Two is false.": ("https://a.example/2", "refutes"),
    }
    for line, claim in enumerate(claims, start=2):
        verdict = labels[(claim.foreign_label or "").casefold()]
        if claim.claim in urls:
            url, stance = urls[claim.claim]
            services.add_source(
                session=session, claim_id=claim.id or 0, url=url, stance=stance, actor="editor"
            )
        elif verdict.needs_source:
            continue  # left unreviewed for want of a source, as the import does
        flagged = verdict.status.value == "flagged"
        services.review_claim(
            session=session,
            claim_id=claim.id or 0,
            status=verdict.status.value,
            actor="editor",
            expected_version=1,
            reason=verdict.flag_reason.value if verdict.flag_reason else None,
            note=f"Imported verdict {claim.foreign_label!r} from f.tsv, line {line}."
            if flagged
            else None,
        )
    batch_rows, batch_events = claims_and_events(session, "batch")
    single_rows, single_events = claims_and_events(session, "single")
    assert batch_rows == single_rows
    assert batch_events == single_events
    assert {e[1] for e in batch_events} == {"created", "source_added", "review", "note_added"}
    for table, column in ((Source, Source.url), (Note, Note.body)):
        per_article = []
        for slug in ("batch", "single"):
            per_article.append(
                sorted(
                    session.exec(
                        select(column)
                        .join(Claim, Claim.id == table.claim_id)  # type: ignore[attr-defined]
                        .join(Article, Article.id == Claim.article_id)
                        .where(Article.slug == slug)
                    )
                )
            )
        assert per_article[0] == per_article[1]
    counters = {
        slug: sorted(
            session.execute(
                text(
                    "SELECT status, n FROM verdict_day JOIN article ON article.id = "
                    "verdict_day.article_id WHERE article.slug = :s"
                ),
                {"s": slug},
            ).all()
        )
        for slug in ("batch", "single")
    }
    assert counters["batch"] == counters["single"] != []


def mapped_rows(n: int) -> bytes:
    names = ["True", "False", "Odd", "Look", ""]
    lines = ["claim\tlabel\turl"]
    for i in range(n):
        url = f"https://example.org/{i}" if i % 3 else ""
        lines.append(f"Claim number {i} about {i * 7} things.\t{names[i % len(names)]}\t{url}")
    return ("\n".join(lines) + "\n").encode()


def statements_for(session: Session, call: Any) -> int:
    session.rollback()
    with statements() as seen:
        call()
    return len(seen)


@pytest.mark.slow
def test_statements_per_chunk_do_not_grow_with_the_rows(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Native and mapped: a few statements per chunk of rows, not one or more per row."""
    monkeypatch.setattr(batch, "CHUNK_ROWS", CHUNK_ROWS)
    labels = read_labels(LABELS, "labels.csv")
    body = " ".join(
        f"Line {i} of the long text counts {i * 13} boats." for i in range(3 * CHUNK_ROWS)
    )
    add_article(session, "long", body)
    counts = {}
    for n in (CHUNK_ROWS, 3 * CHUNK_ROWS):
        counts[("mapped", n)] = statements_for(
            session,
            lambda n=n: services.import_mapped_csv(
                session=session,
                actor="editor",
                mapping={"claim": "claim", "label": "label", "source": "url"},
                article=f"bulk-{n}",
                data=mapped_rows(n),
                labels=labels,
                delimiter="\t",
            ),
        )
    quotes = [f"Line {i} of the long text counts {i * 13} boats." for i in range(3 * CHUNK_ROWS)]
    first = native_csv("long", quotes[:CHUNK_ROWS], [""] * CHUNK_ROWS)
    rest = native_csv("long", quotes[CHUNK_ROWS:], ["ana"] * (2 * CHUNK_ROWS))
    counts[("native", CHUNK_ROWS)] = statements_for(
        session, lambda: services.import_claims_csv(session=session, data=first, actor="editor")
    )
    counts[("native", 2 * CHUNK_ROWS)] = statements_for(
        session, lambda: services.import_claims_csv(session=session, data=rest, actor="editor")
    )
    for kind in ("mapped", "native"):
        small, large = sorted((n, c) for (k, n), c in counts.items() if k == kind)
        per_chunk = (large[1] - small[1]) / ((large[0] - small[0]) / CHUNK_ROWS)
        assert per_chunk <= 10, (kind, counts)
        assert small[1] <= 40, (kind, counts)


@pytest.mark.postgres
def test_on_postgresql_a_bulk_import_writes_the_tallies_once_a_chunk(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0018: the tallies are kept per statement and each chunk is one statement per table,
    so a 750-row import in three chunks writes a few dozen tally rows. Row-level
    triggers, or rows sent one statement each (a pipelined executemany), write eight
    claim-tally rows per claim: quadratic in one transaction (found at 20,000 rows)."""
    monkeypatch.setattr(batch, "CHUNK_ROWS", CHUNK_ROWS)
    engine = db.make_engine(pg_url)
    db.upgrade(engine)
    make_accounts(engine)
    with engine.begin() as conn:  # counts every tally row written, outside transactions
        conn.exec_driver_sql("CREATE SEQUENCE tally_writes MINVALUE 0 START 0")
        conn.exec_driver_sql(
            "CREATE FUNCTION count_tally_write() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM nextval('tally_writes'); RETURN NULL; END $$"
        )
        for table in ("claim_tally", "source_tally"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER counted AFTER INSERT OR UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION count_tally_write()"
            )
    rows = 3 * CHUNK_ROWS
    with Session(engine) as s:
        report = services.import_mapped_csv(
            session=s,
            actor="editor",
            mapping={"claim": "claim", "label": "label", "source": "url"},
            article="bulk",
            data=mapped_rows(rows),
            labels=read_labels(LABELS, "labels.csv"),
            delimiter="\t",
        )
        assert report.created == rows
        writes = s.execute(text("SELECT last_value FROM tally_writes")).scalar_one()
        assert 0 < writes <= 3 * 40, writes
    engine.dispose()


@pytest.mark.slow
def test_a_bad_row_in_a_late_chunk_undoes_every_chunk_and_all_are_listed(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "CHUNK_ROWS", CHUNK_ROWS)
    rows = mapped_rows(2 * CHUNK_ROWS + 500).decode().splitlines()
    rows[CHUNK_ROWS + 100] = "Bad URL.\tTrue\tjavascript:alert(1)"
    rows[-1] = "Unknown label.\tMaybe\t"
    source = tmp_path / "late.tsv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    before = session.exec(select(func.count()).select_from(Claim)).one()
    with pytest.raises(ImportFailed) as info:
        services.import_mapped_csv(
            session=session,
            actor="editor",
            mapping={"claim": "claim", "label": "label", "source": "url"},
            article="late",
            path=source,
            labels=read_labels(LABELS, "labels.csv"),
            delimiter="\t",
        )
    lines = [(p.line, p.field) for p in info.value.problems]
    assert lines == [(CHUNK_ROWS + 101, "source"), (len(rows), "label")]
    session.rollback()
    assert session.exec(select(func.count()).select_from(Claim)).one() == before
    assert session.exec(select(Article).where(Article.slug == "late")).first() is None


@pytest.mark.slow
def test_the_import_benchmarks_run_at_a_small_size(capsys: pytest.CaptureFixture[str]) -> None:
    """So they cannot rot: project, raw and peak memory printed side by side."""
    from benchmarks import csv_import, mapped_import

    csv_import.main(["--rows", "150", "--sqlite-only"])
    mapped_import.main(["--rows", "150", "--sqlite-only"])
    out = capsys.readouterr().out
    assert re.search(r"sqlite\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+\.\dx\s+\d+\.\d\d\s+\d+\.\dx\s+\d+", out)
    assert re.search(r"sqlite\s+150\s+\d+\.\d\ds", out)


def _allocate_and_report(mb: int) -> int:
    """In a spawned child: hold ``mb`` MB, then report the child's peak."""
    from benchmarks.csv_import import peak_mb

    ballast = bytearray(mb * 2**20)
    ballast[::4096] = b"x" * len(ballast[::4096])  # touch every page: resident
    return int(peak_mb())


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="VmHWM is Linux's")
def test_a_spawned_childs_peak_is_its_own_not_its_parents() -> None:
    """ru_maxrss survives execve: the benchmarks' child would report the parent's peak."""
    from benchmarks.csv_import import in_child, peak_mb

    ballast = bytearray(300 * 2**20)
    ballast[::4096] = b"x" * len(ballast[::4096])
    assert peak_mb() >= 300
    reported_inside, _seconds, child_peak = in_child(_allocate_and_report, 50)
    assert reported_inside >= 50  # the child held its own 50 MB
    assert 50 <= child_peak < 250, child_peak  # and did not inherit the parent's 300
