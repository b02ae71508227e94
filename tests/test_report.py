"""The fact-check report (#13): HTML built from the record, escaped, self-contained, printable;
the PDF printed by headless Chromium and read back with pypdf; the `rate` and `report` commands.
"""

from __future__ import annotations

import io
import re
import shutil
import unicodedata
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import update
from sqlmodel import Session, col
from typer.testing import CliRunner

from tracker import publishing, services
from tracker.cli import app
from tracker.errors import PdfFailed
from tracker.interchange.pdf import find_chromium, html_to_pdf
from tracker.models import ClaimUpdate, Source

from .conftest import missing
from .test_publishing import SLUG, confirmed_verdict, rate

runner = CliRunner()
HOSTILE = "</script><script>alert(1)</script>"


def publish_some(s: Session) -> None:
    """Claims 3 (True), 10 (False), 4 (Unverifiable) published; 12 rated but unconfirmed."""
    services.update_claim(
        session=s,
        claim_id=3,
        changes=ClaimUpdate(claim=f"OpenAI runs on Trainium 3 {HOSTILE}"),
        actor="editor",
        expected_version=1,
    )
    services.add_source(
        session=s,
        claim_id=3,
        url="https://press.example/openai?a=1&b=2",
        stance="supports",
        title='<b>Press</b> & "release"',
        publisher="Example <Wire>",
        actor="ana",
    )
    services.review_claim(
        session=s, claim_id=3, status="verified", actor="ana", expected_version=None
    )
    v3 = services.confirm_verdict(session=s, claim_id=3, actor="editor", expected_version=None)
    rate(s, 3, v3.version, rating="True", verdict_summary="Both <em>said</em> so & more.")
    s.execute(
        update(Source)
        .where(col(Source.claim_id) == 3)
        .values(
            archived_url="https://web.archive.org/web/2026/https://press.example/openai",
            archived_at=datetime(2026, 3, 2, tzinfo=UTC),
        )
    )
    s.commit()
    v10 = confirmed_verdict(s, 10, stance="refutes")
    rate(s, 10, v10, rating="false", verdict_summary="The 40% is for training only.")
    services.review_claim(
        session=s,
        claim_id=4,
        status="flagged",
        reason="unverifiable",
        note="no statement",
        actor="bob",
        expected_version=1,
    )
    v4 = services.confirm_verdict(session=s, claim_id=4, actor="eve", expected_version=None)
    rate(s, 4, v4.version, rating="Unverifiable", verdict_summary="Neither firm would confirm.")
    services.add_source(
        session=s, claim_id=12, url="https://e.example/12", stance="supports", actor="ana"
    )
    services.review_claim(
        session=s, claim_id=12, status="verified", actor="ana", expected_version=1
    )
    rate(s, 12, None, rating="True", verdict_summary="UNCONFIRMED-SUMMARY")


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def parse(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def summary_counts(html: str) -> dict[str, int]:
    section = html.split('<section class="summary">', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r'<span class="rating \w+">([^<]+)</span></td><td class="n">(\d+)', section)
    return {label: int(n) for label, n in rows}


def test_the_report_shows_the_published_claims_and_nothing_else(seeded: Session) -> None:
    publish_some(seeded)
    page = publishing.report_html(session=seeded, slug=SLUG)
    assert "<h1>The Death of the GPU Monoculture: AWS Trainium 3 and Silicon Sovereignty</h1>" in (
        page
    )
    assert "<dt>Publisher</dt><dd>Vucense</dd>" in page and "1 March 2026" in page
    assert summary_counts(page) == {
        "False": 1,
        "Mostly false": 0,
        "Misleading / Half true": 0,
        "Mostly true": 0,
        "True": 1,
        "Unverifiable": 1,
    }
    assert "3 claims checked and published, of 110 claims" in page
    ids = re.findall(r'<article class="claim" id="claim-(\d+)"', page)
    assert ids == ["3", "4", "10"]  # text order; 12 is not confirmed
    assert "UNCONFIRMED-SUMMARY" not in page
    claim10 = page.split('id="claim-10"', 1)[1].split("</article>", 1)[0]
    assert "The 40% is for training only." in claim10
    assert "<mark>achieving a 40% lower Total Cost of Ownership" in claim10  # quote in context
    assert "Reviewed by ana on" in claim10 and "verdict confirmed by editor on" in claim10
    assert 'href="https://e.example/10"' in claim10
    claim3 = page.split('id="claim-3"', 1)[1].split("</article>", 1)[0]
    assert (
        '<a href="https://web.archive.org/web/2026/https://press.example/openai" '
        'rel="noopener noreferrer">archived copy</a> (2 March 2026)'
    ) in claim3
    # the article text, with every published quote marked and linked to its verdict
    article = page.split('<section class="article">', 1)[1]
    assert '<mark><a href="#claim-10">achieving a 40% lower' in article
    assert '<sup><a href="#claim-3">3</a>, <a href="#claim-4">4</a></sup>' in article
    assert article.count("<mark>") == 2  # 3 and 4 quote the same sentence


def test_user_text_is_escaped_and_nothing_is_loaded_or_run(seeded: Session) -> None:
    publish_some(seeded)
    page = publishing.report_html(session=seeded, slug=SLUG)
    assert "&lt;b&gt;Press&lt;/b&gt; &amp; &quot;release&quot;" in page
    assert "Example &lt;Wire&gt;" in page
    assert "Both &lt;em&gt;said&lt;/em&gt; so &amp; more." in page
    assert "<b>Press" not in page and "<em>said" not in page
    assert 'href="https://press.example/openai?a=1&amp;b=2"' in page
    assert f"<h3>OpenAI runs on Trainium 3 {HOSTILE}</h3>" not in page
    tags = parse(page)
    names = {t for t, _ in tags.tags}
    assert not names & {"img", "link", "iframe", "object", "embed", "base", "form", "input"}
    scripts = [a for t, a in tags.tags if t == "script"]
    assert scripts == []  # no ClaimReview settings: no markup, and never a running script
    assert not [a for _, a in tags.tags if "src" in a or any(k.startswith("on") for k in a)]
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page  # the CSP forbids what escaping should already prevent


def test_paper_size_is_set_for_print(seeded: Session) -> None:
    a4 = publishing.report_html(session=seeded, slug=SLUG)
    letter = publishing.report_html(session=seeded, slug=SLUG, paper="letter")
    assert "@page { size: A4;" in a4 and "@page { size: letter;" in letter
    assert "No verdict on this article has been published yet." in a4


def chromium() -> str:
    if shutil.which("chromium") is None:
        missing("Chromium is not installed (apt-get install chromium)")
    return find_chromium()


def cli(db_url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", db_url, *args])
    return result.exit_code, result.stdout, result.stderr


def test_report_command_writes_html_and_a_pdf_with_the_text(
    seeded: Session, db_url: str, tmp_path: Path
) -> None:
    chromium()
    publish_some(seeded)
    code, _, err = cli(db_url, "report", SLUG, "--out", str(tmp_path / "r.html"))
    assert code == 0, err
    assert "wrote the report of trainium3-silicon-sovereignty (3 published claims)" in err
    assert "no ClaimReview markup embedded" in err
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and 'id="claim-10"' in html

    code, _, err = cli(db_url, "report", SLUG, "--format", "pdf", "--out", str(tmp_path / "r.pdf"))
    assert code == 0, err
    reader = pypdf.PdfReader(tmp_path / "r.pdf")
    text = " ".join((p.extract_text() or "") for p in reader.pages)
    # NFKC folds the ligatures (ﬁ) that Chromium sets in some lines and not others
    flat = " ".join(unicodedata.normalize("NFKC", text).split())
    for expected in (
        "The Death of the GPU Monoculture",
        "Vucense",
        "3 claims checked and published",
        "The 40% is for training only.",
        "Neither firm would confirm.",
        "Unverifiable",
        "Our verdict:",
    ):
        assert expected in flat, expected
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    assert not list(tmp_path.glob(".*partial"))


def test_letter_paper_prints_on_letter(tmp_path: Path) -> None:
    chromium()
    from tracker.interchange.report import render_report_html
    from tracker.publishing import PublishedReport

    report = PublishedReport(
        slug="s",
        title="T <x>",
        publisher=None,
        url=None,
        published=None,
        text="Hello.",
        claims_in_article=0,
        claims=[],
    )
    page = render_report_html(
        report,
        scale=("No", "Yes"),
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
        paper="letter",
    )
    reader = pypdf.PdfReader(io.BytesIO(html_to_pdf(page)))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    assert "T <x>" in (reader.pages[0].extract_text() or "")


def test_a_missing_pdf_engine_is_one_clear_line(
    seeded: Session, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_CHROMIUM", "/nonexistent/chromium")
    out = tmp_path / "r.pdf"
    code, _, err = cli(db_url, "report", SLUG, "--format", "pdf", "--out", str(out))
    assert code == 1 and not out.exists()
    assert err.strip().splitlines()[-1] == (
        "error: TRACKER_CHROMIUM='/nonexistent/chromium' is not an executable program"
    )
    monkeypatch.delenv("TRACKER_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PdfFailed, match=r"PDF output needs Chromium.*apt-get install chromium"):
        find_chromium()


def test_report_of_an_unknown_article_names_it(seeded: Session, db_url: str) -> None:
    code, _, err = cli(db_url, "report", "nope")
    assert code == 1 and "error: article 'nope' does not exist" in err


def test_rate_command_editors_only_with_version_check(seeded: Session, db_url: str) -> None:
    code, out, err = cli(
        db_url, "rate", "3", "mostly-false", "--summary", "Only partly.", "--by", "editor"
    )
    assert code == 0, err
    assert out.strip() == (
        "claim 3 rated Mostly false (version 2); not published yet: needs a verdict "
        "(it is unreviewed)"
    )
    code, _, err = cli(db_url, "rate", "3", "true", "--by", "ana")
    assert code == 1
    assert err.strip() == (
        "error: ana (reviewer) may not rate claims and write verdict summaries; "
        "that needs the editor role or higher"
    )
    code, _, err = cli(db_url, "rate", "3", "true", "--by", "eve", "--version", "1")
    assert code == 1 and "was changed by editor" in err and "you had version 1" in err
    code, _, err = cli(db_url, "rate", "3", "Pants on fire", "--by", "eve")
    assert code == 1 and "unknown rating 'Pants on fire'" in err
    code, out, _ = cli(db_url, "rate", "3", "-", "--by", "eve", "--version", "2")
    assert code == 0 and "rated - (version 3)" in out
    code, out, _ = cli(db_url, "show", "3", "--format", "json")
    assert '"verdict_summary": "Only partly."' in out and '"rating": null' in out
