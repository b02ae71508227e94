"""The claim page's "Checked before" panel and the queue's match badge and filter (#12)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tracker import queries, services
from tracker.models import Claim, Source
from tracker.queries import ClaimFilter

from .test_dashboard_apptest import app, empty_db, seeded_db, texts  # noqa: F401 (fixtures)

FEED = Path(__file__).parent / "data" / "claimreview_feed.json"


def _matched_claim(engine: Engine) -> tuple[int, int]:
    with Session(engine) as s:
        services.import_references(session=s, path=FEED, actor="editor")
        services.refresh_matches(session=s)
        (row,) = queries.list_claims(session=s, filters=ClaimFilter(has_match=True), limit=1)
        best = queries.best_matches(session=s, claim_ids=[row.id])[row.id]
    return row.id, best.id


def test_panel_shows_the_fact_check_and_reuses_its_source_without_the_verdict(
    seeded_db: Engine,  # noqa: F811
) -> None:
    claim_id, ref_id = _matched_claim(seeded_db)
    at = app("views/claim.py", user="ana", id=str(claim_id))
    shown = texts(at)
    assert "Checked before" in [h.value for h in at.subheader]
    assert "Trainium 3 chips carry 144 GB of HBM3e memory each" in shown
    assert "True" in shown and "factcheck.example/trainium-hbm" in shown
    at.button(key=f"c_reuse_reference_{ref_id}").click().run()
    assert not at.exception
    with Session(seeded_db) as s:
        urls = s.exec(select(Source.url, Source.stance).where(Source.claim_id == claim_id)).all()
        status = s.get(Claim, claim_id).status  # type: ignore[union-attr]
    assert ("https://factcheck.example/trainium-hbm", "context") in urls
    assert status == "unreviewed"  # the reference's "True" is never copied


def test_queue_badge_and_has_a_match_filter(seeded_db: Engine) -> None:  # noqa: F811
    claim_id, ref_id = _matched_claim(seeded_db)
    at = app("views/queue.py", user="ana")
    at.toggle(key="f_match").set_value(True).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert claim_id in list(table["ID"])
    assert f"reference {ref_id}" in str(table["Checked before"].iloc[0])


def test_a_fact_check_imported_by_another_process_shows_in_an_open_panel(
    seeded_db: Engine,  # noqa: F811
    tmp_path: Path,
) -> None:
    with Session(seeded_db) as s:
        claim = s.exec(select(Claim).order_by(col(Claim.id))).first()
    assert claim is not None
    replica = app("views/claim.py", user="ana", id=str(claim.id))
    assert "wombat.example" not in texts(replica)
    feed = tmp_path / "feed.json"
    feed.write_text(
        json.dumps(
            {
                "@type": "ClaimReview",
                "url": "https://wombat.example/check",
                "claimReviewed": claim.claim,
                "author": {"name": "Wombat desk"},
                "reviewRating": {"alternateName": "Accurate"},
            }
        )
    )
    command = ["import", "factchecks", str(feed), "--by", "editor"]
    result = subprocess.run(  # another process: the CLI, as an editor would run it
        [sys.executable, "-m", "tracker.cli", "--db", str(seeded_db.url), *command],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    replica.run()  # the next rerun of the replica that has the panel open
    assert not replica.exception
    shown = texts(replica)
    assert "wombat.example/check" in shown and "Accurate" in shown
    assert "Wombat desk" in shown
