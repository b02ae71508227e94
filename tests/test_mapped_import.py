"""Claims from another tracker's CSV/TSV: column mapping, label file, collections (#13)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from tracker import queries, services
from tracker.cli import app
from tracker.errors import ImportFailed, ValidationFailed
from tracker.interchange.mapping import parse_map, read_labels
from tracker.models import Article, Claim, Event, Source

LABELS = b"""label,status,flag_reason,rating,stance
True,verified,,true,
Pants on Fire,flagged,false,pants-fire,
Half True,flagged,misleading,half-true,context
Mostly True,verified,,mostly-true,
Unproven,flagged,unverifiable,unproven,
"""

TSV = (
    "statement\tspeaker\twhen\tverdict\turl\tsetting\n"
    "Crime fell 40% last year.\tMayor Ünïcödé\t2024-03-01\tTrue\thttps://stats.example/crime\tspeech\n"
    "The bridge cost $2 billion.\tSenator B\t2024-03-02T10:00:00Z\tpants on fire\t"
    "https://example.org/bridge\ttweet\n"
    "Unemployment is at 3%.\tMinister C\t\tMostly True\t\tinterview\n"
    "Nobody knows this.\t\t\tUnproven\t\t\n"
    "No label here.\tD\t\t\t\t\n"
)
MAP = {
    "claim": "statement",
    "claimant": "speaker",
    "date": "when",
    "label": "verdict",
    "source": "url",
    "context": "setting",
}


def labels() -> dict:
    return read_labels(LABELS, "labels.csv")


def test_mapped_tsv_with_labels_into_a_new_collection(session: Session) -> None:
    report = services.import_mapped_csv(
        session=session,
        actor="editor",
        mapping=MAP,
        article="politifact",
        data=TSV.encode("utf-8"),
        labels=labels(),
        delimiter="\t",
        source="other.tsv",
    )
    assert (report.created, report.reviewed, report.sources_added) == (5, 3, 2)
    assert report.unreviewed_for_lack_of_source == 1  # Mostly True without a source
    assert report.labels == {"True": 1, "pants on fire": 1, "Mostly True": 1, "Unproven": 1, "": 1}
    session.expire_all()
    article = session.exec(select(Article).where(Article.slug == "politifact")).one()
    assert (article.kind, article.text) == ("collection", "")
    claims = {c.claim: c for c in session.exec(select(Claim).where(Claim.article_id == article.id))}
    crime = claims["Crime fell 40% last year."]
    assert (crime.status, crime.claimant, crime.claim_date, crime.context, crime.foreign_label) == (
        "verified",
        "Mayor Ünïcödé",
        date(2024, 3, 1),
        "speech",
        "True",
    )
    assert (crime.quote, crime.quote_start, crime.quote_end, crime.origin) == ("", 0, 0, "imported")
    bridge = claims["The bridge cost $2 billion."]
    assert (bridge.status, bridge.flag_reason, bridge.claim_date) == (
        "flagged",
        "false",
        date(2024, 3, 2),
    )
    stance = session.exec(select(Source.stance).where(Source.claim_id == bridge.id)).one()
    assert stance == "refutes"
    mostly = claims["Unemployment is at 3%."]
    assert (mostly.status, mostly.foreign_label) == ("unreviewed", "Mostly True")
    unproven = claims["Nobody knows this."]
    assert (unproven.status, unproven.flag_reason) == (
        "flagged",
        "unverifiable",
    )  # no source needed
    assert claims["No label here."].status == "unreviewed"
    # Every change is in the audit trail, under the importing account.
    actors = set(
        session.exec(select(Event.actor).where(Event.claim_id.in_([c.id for c in claims.values()])))
    )  # type: ignore[union-attr]
    assert actors == {"editor"}
    # Importing the same file again creates nothing twice.
    again = services.import_mapped_csv(
        session=session,
        actor="editor",
        mapping=MAP,
        article="politifact",
        data=TSV.encode("utf-8"),
        labels=labels(),
        delimiter="\t",
    )
    assert (again.created, again.skipped) == (0, 5)


def test_by_position_without_header_and_without_labels(session: Session) -> None:
    data = b'x,"Claim one, with a comma",Half True\ny,Claim two,whatever\n'
    report = services.import_mapped_csv(
        session=session,
        actor="editor",
        mapping=parse_map(["claim=2", "label=3"]),
        article="other-desk",
        data=data,
        header=False,
    )
    assert report.created == 2 and report.reviewed == 0
    session.expire_all()
    labels_kept = set(session.exec(select(Claim.foreign_label).where(Claim.origin == "imported")))
    assert labels_kept == {"Half True", "whatever"}


def test_into_an_article_with_text_the_quote_must_be_in_it(seeded: Session) -> None:
    data = b"claim,words\nA restated claim,Executive Summary\nAnother,not in the article at all\n"
    with pytest.raises(ImportFailed) as info:
        services.import_mapped_csv(
            session=seeded,
            actor="editor",
            mapping={"claim": "claim", "quote": "words"},
            article="trainium3-silicon-sovereignty",
            data=data,
        )
    assert [(p.line, p.field) for p in info.value.problems] == [(3, "quote")]


def count(session: Session) -> tuple[int, int, int]:
    session.expire_all()
    return (
        session.exec(select(func.count()).select_from(Claim)).one(),
        session.exec(select(func.count()).select_from(Event)).one(),
        session.exec(select(func.count()).select_from(Article)).one(),
    )


def test_bad_rows_are_all_reported_with_lines_and_nothing_is_written(session: Session) -> None:
    bad = TSV + "Bad date.\tE\t03/04/2024\tTrue\thttps://x.example/\t\n\tF\t\tTrue\t\t\n"
    bad += "Unknown label.\tG\t\tMaybe\t\t\nBad URL.\tH\t\tTrue\tjavascript:alert(1)\t\n"
    before = count(session)
    with pytest.raises(ImportFailed) as info:
        services.import_mapped_csv(
            session=session,
            actor="editor",
            mapping=MAP,
            article="politifact",
            data=bad.encode(),
            labels=labels(),
            delimiter="\t",
        )
    problems = [(p.line, p.field) for p in info.value.problems]
    # One streaming pass reports every bad row, the one the source rule refuses included.
    assert problems == [(7, "date"), (8, "claim"), (9, "label"), (10, "source")]
    assert count(session) == before
    # A row the rules refuse while applying (a URL add_source will not store) is reported too.
    with pytest.raises(ImportFailed) as info:
        services.import_mapped_csv(
            session=session,
            actor="editor",
            mapping=MAP,
            article="politifact",
            data=(TSV + "Bad URL.\tH\t\tTrue\tjavascript:alert(1)\t\n").encode(),
            labels=labels(),
            delimiter="\t",
        )
    assert [(p.line, p.field) for p in info.value.problems] == [(7, "source")]
    assert count(session) == before


def test_a_reviewer_may_not_import(session: Session) -> None:
    from tracker.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.import_mapped_csv(
            session=session,
            actor="ana",
            mapping={"claim": "1"},
            article="x",
            data=b"a\n",
            header=False,
        )


def test_label_file_problems_name_their_lines() -> None:
    with pytest.raises(ImportFailed) as info:
        read_labels(
            b"label,status,flag_reason,rating\nA,flagged,,\nB,verified,false,\nA2,nope,,\n", "l.csv"
        )
    assert [(p.line, p.field) for p in info.value.problems] == [
        (2, "flag_reason"),
        (3, "flag_reason"),
        (4, "status"),
    ]


def test_cli_mapped_import_dry_run_and_real(session: Session, db_url: str, tmp_path: Path) -> None:
    src = tmp_path / "other.tsv"
    src.write_text(TSV + "Bad date.\tE\t03/04/2024\tTrue\t\t\n", encoding="utf-8")
    lab = tmp_path / "labels.csv"
    lab.write_bytes(LABELS)
    maps = [a for k, v in MAP.items() for a in ("--map", f"{k}={v}")]
    base = ["--db", db_url, "import", "csv", str(src), "--by", "editor", "--labels", str(lab)]
    base += ["--delimiter", "TAB", "--article", "politifact", *maps]
    runner = CliRunner()
    before = count(session)
    result = runner.invoke(app, [*base, "--dry-run"])
    assert result.exit_code == 1, result.output
    assert "would create" in result.stdout and "pants on fire" in result.stdout
    assert "line 7, field 'date'" in result.stdout
    assert count(session) == before
    src.write_text(TSV, encoding="utf-8")
    result = runner.invoke(app, base)
    assert result.exit_code == 0, result.output
    assert "create 5" in result.stdout
    result = runner.invoke(
        app, ["--db", db_url, "import", "csv", str(src), "--by", "editor", "--labels", str(lab)]
    )
    assert result.exit_code == 1 and "go with --map" in result.stderr


@pytest.mark.slow
def test_a_thousand_rows_with_verdicts_and_sources(session: Session) -> None:
    """Every row through the review rules; `benchmarks/mapped_import.py` times 10,000."""
    rows = ["claim\tlabel\turl"]
    names = ["True", "Pants on Fire", "Half True", "Mostly True", "Unproven", ""]
    for i in range(1_000):
        label = names[i % len(names)]
        url = f"https://example.org/{i}" if i % 3 else ""
        rows.append(f"Claim number {i} about {i * 7} things.\t{label}\t{url}")
    data = ("\n".join(rows) + "\n").encode()
    report = services.import_mapped_csv(
        session=session,
        actor="editor",
        mapping={"claim": "claim", "label": "label", "source": "url"},
        article="bulk",
        data=data,
        labels=labels(),
        delimiter="\t",
    )
    assert report.created == 1_000


def test_an_article_import_never_turns_a_collection_into_an_article(
    session: Session, tmp_path: Path
) -> None:
    services.import_mapped_csv(
        session=session,
        actor="editor",
        mapping={"claim": "claim"},
        article="misc",
        data=b"claim\nThe moon is made of cheese.\n",
    )
    text = tmp_path / "story.txt"
    text.write_text("A story.\n\nThe council spent 4 million pounds on roads in 2024.\n")
    with pytest.raises(ValidationFailed, match="'misc' is a collection"):
        services.import_article(session=session, source=str(text), actor="editor", slug="misc")
    assert queries.get_article(session=session, slug="misc").text == ""
