"""ClaimReview JSON-LD (#13): the export file, the markup embedded in the report, expanded
with a JSON-LD processor (pyld, offline) and checked against Google's fact-check fields.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld
from sqlmodel import Session
from typer.testing import CliRunner

from tracker import publishing, queries, services
from tracker.cli import app
from tracker.config import get_settings

from .test_publishing import SLUG, confirmed_verdict, rate
from .test_report import HOSTILE, parse, publish_some

runner = CliRunner()
SCHEMA = "http://schema.org/"  # the @vocab of schema.org's own JSON-LD context
# The part of https://schema.org/docs/jsonldcontext.jsonld these documents use.
LOCAL_CONTEXT = {
    "@context": {
        "@vocab": SCHEMA,
        "url": {"@id": f"{SCHEMA}url", "@type": "@id"},
        "datePublished": {"@id": f"{SCHEMA}datePublished", "@type": "Date"},
    }
}
BASE = "https://factcheck.example.org/reports"


def offline_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    assert url.rstrip("/") in ("https://schema.org", "http://schema.org"), url
    return {"contextUrl": None, "documentUrl": url, "document": LOCAL_CONTEXT}


@pytest.fixture
def publisher_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_REPORT_BASE_URL", BASE + "/")
    monkeypatch.setenv("TRACKER_ORG_NAME", "Example Fact Desk")
    monkeypatch.setenv("TRACKER_ORG_URL", "https://factcheck.example.org/")


def import_linked_article(s: Session, tmp_path: Path) -> int:
    """An article with a URL; its first candidate claim published as Mostly true."""
    text = tmp_path / "acme.txt"
    text.write_text(
        "Acme chips\nAcme said its X1 chip is 40% faster than the fastest rival chip in 2025.\n",
        encoding="utf-8",
    )
    report = services.import_article(
        session=s,
        source=str(text),
        actor="editor",
        slug="acme-x1",
        title="Acme chips",
        publisher="Acme Daily",
        url="https://news.example/acme-x1",
        published=date(2025, 5, 6),
    )
    claim_id = report.created[0]
    version = confirmed_verdict(s, claim_id)
    rate(s, claim_id, version, rating="Mostly true", verdict_summary="Faster, by 35%.")
    return claim_id


def check_google_fields(item: dict[str, Any]) -> None:
    """Required and recommended properties of Google's ClaimReview documentation."""
    assert item["@context"] == "https://schema.org" and item["@type"] == "ClaimReview"
    assert item["claimReviewed"] and item["url"].startswith(BASE + "/")
    assert item["author"] == {
        "@type": "Organization",
        "name": "Example Fact Desk",
        "url": "https://factcheck.example.org/",
    }
    rating = item["reviewRating"]
    assert rating["@type"] == "Rating" and rating["alternateName"]
    if rating["alternateName"] == "Unverifiable":
        assert set(rating) == {"@type", "alternateName"}
    else:
        assert rating["worstRating"] == 1 and rating["bestRating"] == 5
        assert 1 <= rating["ratingValue"] <= 5
    assert len(item["datePublished"]) == 10  # ISO date
    assert item["itemReviewed"]["@type"] == "Claim"
    assert item["itemReviewed"]["author"]["@type"] == "Organization"
    assert item["itemReviewed"]["author"]["name"]
    assert item["itemReviewed"]["datePublished"]


def test_export_writes_one_claimreview_per_published_claim(
    seeded: Session, db_url: str, tmp_path: Path, publisher_env: None
) -> None:
    publish_some(seeded)
    acme = import_linked_article(seeded, tmp_path)
    out = tmp_path / "claims.jsonld"
    result = runner.invoke(app, ["--db", db_url, "export", "claimreview", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert "wrote 4 ClaimReview objects" in result.stderr
    items = json.loads(out.read_text(encoding="utf-8"))
    by_url = {i["url"].rsplit("#", 1)[1]: i for i in items}
    assert set(by_url) == {"claim-10", "claim-3", "claim-4", f"claim-{acme}"}
    for item in items:
        check_google_fields(item)
    assert by_url["claim-10"]["reviewRating"] == {
        "@type": "Rating",
        "ratingValue": 1,
        "bestRating": 5,
        "worstRating": 1,
        "alternateName": "False",
    }
    assert by_url["claim-4"]["reviewRating"] == {"@type": "Rating", "alternateName": "Unverifiable"}
    assert by_url["claim-3"]["url"] == f"{BASE}/{SLUG}.html#claim-3"
    assert by_url["claim-3"]["claimReviewed"].endswith(HOSTILE)  # data, escaped only in HTML
    assert by_url["claim-3"]["itemReviewed"] == {
        "@type": "Claim",
        "author": {"@type": "Organization", "name": "Vucense"},
        "datePublished": "2026-03-01",
    }
    linked = by_url[f"claim-{acme}"]
    assert linked["itemReviewed"]["appearance"] == {
        "@type": "CreativeWork",
        "url": "https://news.example/acme-x1",
        "headline": "Acme chips",
    }
    assert linked["reviewRating"]["ratingValue"] == 4
    assert linked["itemReviewed"]["datePublished"] == "2025-05-06"

    only = runner.invoke(app, ["--db", db_url, "export", "claimreview", "--article", "acme-x1"])
    assert [i["url"] for i in json.loads(only.stdout)] == [linked["url"]]


def test_the_jsonld_expands_to_schema_org_terms(seeded: Session, publisher_env: None) -> None:
    publish_some(seeded)
    items = publishing.claimreview_items(session=seeded)
    expanded = jsonld.expand(items, {"documentLoader": offline_loader})
    review = next(e for e in expanded if e[f"{SCHEMA}url"][0]["@id"].endswith("#claim-10"))
    assert review["@type"] == [f"{SCHEMA}ClaimReview"]
    assert review[f"{SCHEMA}claimReviewed"][0]["@value"].startswith("Training transformer")
    rating = review[f"{SCHEMA}reviewRating"][0]
    assert rating["@type"] == [f"{SCHEMA}Rating"]
    assert rating[f"{SCHEMA}alternateName"] == [{"@value": "False"}]
    assert rating[f"{SCHEMA}ratingValue"] == [{"@value": 1}]
    item = review[f"{SCHEMA}itemReviewed"][0]
    assert item["@type"] == [f"{SCHEMA}Claim"]
    assert item[f"{SCHEMA}author"][0][f"{SCHEMA}name"] == [{"@value": "Vucense"}]
    assert review[f"{SCHEMA}author"][0][f"{SCHEMA}url"] == [
        {"@id": "https://factcheck.example.org/"}
    ]
    assert len(expanded) == 3


def test_the_report_embeds_the_same_markup_and_no_text_can_close_it(
    seeded: Session, publisher_env: None
) -> None:
    publish_some(seeded)
    page = publishing.report_html(session=seeded, slug=SLUG)
    tags = parse(page)
    scripts = [a for t, a in tags.tags if t == "script"]
    assert scripts == [{"type": "application/ld+json"}]
    assert page.count("</script>") == 1  # the claim's "</script>" is \u003c/script\u003e
    assert "\\u003c/script\\u003e" in page
    embedded = json.loads(tags.scripts[0])
    assert embedded == publishing.claimreview_items(session=seeded, article=SLUG)
    assert any(i["claimReviewed"].endswith(HOSTILE) for i in embedded)
    assert "Fact-check report by Example Fact Desk" in page


def test_export_needs_the_publisher_settings(
    seeded: Session, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRACKER_REPORT_BASE_URL", raising=False)
    monkeypatch.setenv("TRACKER_ORG_NAME", "Desk")
    result = runner.invoke(app, ["--db", db_url, "export", "claimreview"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ClaimReview needs TRACKER_REPORT_BASE_URL")
    monkeypatch.setenv("TRACKER_REPORT_BASE_URL", "ftp://example.org/r")
    result = runner.invoke(app, ["--db", db_url, "export", "claimreview"])
    assert "TRACKER_REPORT_BASE_URL 'ftp://example.org/r' has the scheme ftp:" in result.stderr
    assert get_settings().org_name == "Desk"
    assert queries.get_claim(session=seeded, claim_id=1).rating is None
