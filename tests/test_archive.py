"""The Wayback Machine client and archiving service, through httpx.MockTransport."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from sqlmodel import Session

from tracker import queries, services
from tracker.interchange.csv_export import export_csv_bytes
from tracker.linkcheck.archive import WaybackError, closest_snapshot, request_capture
from tracker.services.links import archive_sources

HIT = {
    "url": "example.org/report",
    "archived_snapshots": {
        "closest": {
            "available": True,
            "url": "http://web.archive.org/web/20260301120000/https://example.org/report",
            "timestamp": "20260301120000",
            "status": "200",
        }
    },
}
WHEN = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


def client_answering(handler: httpx.MockTransport | object) -> httpx.Client:
    return httpx.Client(transport=handler)  # type: ignore[arg-type]


def answering(status: int, body: object, seen: list[httpx.Request] | None = None) -> httpx.Client:
    def handle(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.Response(status, content=content)

    return httpx.Client(transport=httpx.MockTransport(handle))


def test_hit_returns_the_snapshot_and_asks_for_the_added_time() -> None:
    seen: list[httpx.Request] = []
    snap = closest_snapshot(answering(200, HIT, seen), "https://example.org/report", WHEN)
    assert snap is not None and snap.url.startswith("http://web.archive.org/web/20260301120000/")
    assert snap.timestamp == datetime(2026, 3, 1, 12, 0, tzinfo=UTC) and snap.status == "200"
    params = seen[0].url.params
    assert (params["url"], params["timestamp"]) == ("https://example.org/report", "20260302083000")
    assert seen[0].url.host == "archive.org" and seen[0].url.path == "/wayback/available"


def test_miss_returns_none() -> None:
    assert (
        closest_snapshot(answering(200, {"archived_snapshots": {}}), "https://x.org", WHEN) is None
    )


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (503, {"error": "busy"}, "answered HTTP 503"),
        (200, b"<html>not json</html>", "not JSON"),
        (200, {"unexpected": True}, "no 'archived_snapshots' object"),
        (200, {"archived_snapshots": {"closest": "yes"}}, "malformed 'closest'"),
        (
            200,
            {
                "archived_snapshots": {
                    "closest": {
                        "available": True,
                        "url": "javascript:x",
                        "timestamp": "20260101000000",
                    }
                }
            },
            r"not an http\(s\) URL",
        ),
        (
            200,
            {
                "archived_snapshots": {
                    "closest": {
                        "available": True,
                        "url": "http://web.archive.org/x",
                        "timestamp": "yesterday",
                    }
                }
            },
            "timestamp 'yesterday' is malformed",
        ),
    ],
)
def test_errors_and_malformed_answers(status: int, body: object, message: str) -> None:
    with pytest.raises(WaybackError, match=message):
        closest_snapshot(answering(status, body), "https://example.org/report", WHEN)


def test_network_error_is_a_wayback_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(WaybackError, match="unreachable"):
        closest_snapshot(httpx.Client(transport=httpx.MockTransport(refuse)), "https://x.org", WHEN)


def test_save_page_now_sends_the_keys() -> None:
    seen: list[httpx.Request] = []
    job = request_capture(
        answering(200, {"job_id": "spn2-abc"}, seen), "https://x.org/a", "KEY", "SECRET"
    )
    assert job == "spn2-abc" and seen[0].headers["Authorization"] == "LOW KEY:SECRET"


def test_archive_sources_stores_snapshots_and_the_csv_shows_them(
    seeded: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRACKER_WAYBACK_ACCESS_KEY", raising=False)
    services.add_source(
        session=seeded, claim_id=1, url="https://example.org/report", stance="supports", actor="ana"
    )
    services.add_source(
        session=seeded, claim_id=2, url="https://example.org/missing", stance="context", actor="ana"
    )

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.params["url"].endswith("/report"):
            return httpx.Response(200, json=HIT)
        return httpx.Response(200, json={"archived_snapshots": {}})

    summary = archive_sources(
        session=seeded,
        actor="ana",
        client=httpx.Client(transport=httpx.MockTransport(handle)),
        capture=True,
    )
    assert (summary.found, summary.missing, summary.captures) == (1, 1, 0)
    assert summary.capture_note and "not configured" in summary.capture_note
    detail = queries.claim_detail(session=seeded, claim_id=1)
    assert detail.sources[0].archived_url == HIT["archived_snapshots"]["closest"]["url"]  # type: ignore[index]
    assert detail.events[-1].action == "archived"
    csv_text = export_csv_bytes(session=seeded, filters=queries.ClaimFilter(ids=[1])).decode()
    assert "web.archive.org/web/20260301120000" in csv_text
    again = archive_sources(
        session=seeded, actor="ana", client=httpx.Client(transport=httpx.MockTransport(handle))
    )
    assert (again.found, again.missing) == (0, 1)  # only the one without a copy is looked up again
