"""Link checking against a real HTTP server on 127.0.0.1, and the SSRF guard."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from tracker import queries, services
from tracker.cli import app
from tracker.linkcheck.links import CheckResult, ErrorClass, LinkState, check_url, next_state
from tracker.linkcheck.netguard import LinkPolicy, guarded_client
from tracker.models import Event, LinkCheck, Source
from tracker.services.links import check_sources, parse_duration

from .conftest import make_accounts, make_accounts_via_cli
from .linkserver import Served, serve

LOCAL = LinkPolicy.parse("127.0.0.0/8")  # the test server, allowed for these tests only


@pytest.fixture
def server() -> Iterator[Served]:
    with serve() as s:
        yield s


def run_check(
    url: str, policy: LinkPolicy = LOCAL, timeout: float = 1.0, **kw: object
) -> CheckResult:
    async def go() -> CheckResult:
        async with guarded_client(policy, timeout=timeout, user_agent="tracker-test") as client:
            return await check_url(client, url, policy, **kw)  # type: ignore[arg-type]

    return asyncio.run(go())


def test_200_with_title(server: Served) -> None:
    r = run_check(f"{server.base}/ok")
    assert (r.http_status, r.error_class, r.title) == (200, None, "Trainium 3 & HBM4 spec")
    assert r.final_url == f"{server.base}/ok" and r.content_type == "text/html"
    assert [m for _, m, _ in server.log.requests] == ["HEAD", "GET"]


def test_redirect_chain_is_followed_to_the_final_url(server: Served) -> None:
    r = run_check(f"{server.base}/r1")
    assert r.http_status == 200 and r.final_url == f"{server.base}/ok?via=r2"
    assert r.redirects == [f"{server.base}/r2", f"{server.base}/ok?via=r2"]


def test_redirect_loop_is_too_many_redirects(server: Served) -> None:
    r = run_check(f"{server.base}/loop")
    assert r.error_class is ErrorClass.too_many_redirects
    assert sum(1 for _, m, p in server.log.requests if p == "/loop") == 6  # 1 + 5 hops


@pytest.mark.parametrize(
    ("path", "status", "error"), [("/404", 404, "http_4xx"), ("/500", 500, "http_5xx")]
)
def test_http_errors(server: Served, path: str, status: int, error: str) -> None:
    r = run_check(server.base + path)
    assert (r.http_status, r.error_class) == (status, error)


def test_429_is_retried_after_retry_after(server: Served) -> None:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    r = run_check(f"{server.base}/429", sleep=fake_sleep)
    assert (r.http_status, r.error_class, r.attempts) == (200, None, 2)
    assert slept == [1.0]


def test_slow_endpoint_times_out(server: Served) -> None:
    r = run_check(f"{server.base}/slow", timeout=0.5)
    assert r.error_class is ErrorClass.timeout


def test_head_refused_falls_back_to_get(server: Served) -> None:
    r = run_check(f"{server.base}/head405")
    assert (r.http_status, r.title) == (200, "GET only")
    assert [m for _, m, _ in server.log.requests] == ["HEAD", "GET"]


def test_pdf_title_and_content_type(server: Served) -> None:
    r = run_check(f"{server.base}/report.pdf")
    assert (r.http_status, r.content_type, r.title) == (
        200,
        "application/pdf",
        "Annual Report 2026",
    )


def test_recheck_without_title_uses_head_only(server: Served) -> None:
    r = run_check(f"{server.base}/ok", want_title=False)
    assert r.http_status == 200 and [m for _, m, _ in server.log.requests] == ["HEAD"]


def test_unknown_host_is_dns_and_refused_port_is_connect() -> None:
    assert run_check("http://no-such-host.invalid/").error_class is ErrorClass.dns
    closed = run_check("http://127.0.0.1:9/")  # discard port: nothing listens
    assert closed.error_class is ErrorClass.connect


def test_ssrf_guard_refuses_internal_targets_and_sends_nothing(server: Served) -> None:
    default = LinkPolicy()
    for url in (
        f"{server.base}/ok",
        f"http://localhost:{server.port}/ok",  # a name that resolves to loopback
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "file:///etc/passwd",
        f"http://user:pass@127.0.0.1:{server.port}/ok",
    ):
        r = run_check(url, policy=default)
        assert r.error_class is ErrorClass.blocked, url
    assert server.log.requests == []


def test_name_resolving_to_loopback_is_refused_on_the_connected_address(server: Served) -> None:
    # 'localhost' on port 80 passes the static checks; the connection guard refuses it.
    policy = LinkPolicy(allow_hosts=frozenset())
    r = run_check("http://localhost/", policy=policy)
    assert r.error_class is ErrorClass.blocked and "resolves to" in (r.error or "")


def test_redirect_from_an_allowed_host_to_loopback_is_refused(server: Served) -> None:
    with serve("127.0.0.2", loopback_target=f"{server.base}/ok", log=server.log) as allowed:
        policy = LinkPolicy.parse("127.0.0.2/32")
        r = run_check(f"{allowed.base}/to-loopback", policy=policy)
    assert r.error_class is ErrorClass.blocked
    assert [(h, p) for h, _, p in server.log.requests] == [("127.0.0.2", "/to-loopback")]


def test_dead_needs_two_failures_some_time_apart() -> None:
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    fail = CheckResult(url="u", checked_at=t0, error_class=ErrorClass.http_5xx)
    state, since, count = next_state(
        fail, failing_since=None, fail_count=0, dead_after=timedelta(days=1)
    )
    assert (state, since, count) == (LinkState.failing, t0, 1)
    soon = CheckResult(url="u", checked_at=t0 + timedelta(hours=1), error_class=ErrorClass.timeout)
    assert (
        next_state(soon, failing_since=since, fail_count=1, dead_after=timedelta(days=1))[0]
        is LinkState.failing
    )
    later = CheckResult(url="u", checked_at=t0 + timedelta(days=2), error_class=ErrorClass.timeout)
    assert (
        next_state(later, failing_since=since, fail_count=2, dead_after=timedelta(days=1))[0]
        is LinkState.dead
    )
    ok = CheckResult(url="u", checked_at=t0 + timedelta(days=3))
    assert next_state(ok, failing_since=since, fail_count=3, dead_after=timedelta(days=1)) == (
        LinkState.live,
        None,
        0,
    )


def test_parse_duration() -> None:
    assert parse_duration("7d") == timedelta(days=7) and parse_duration("0") == timedelta(0)
    with pytest.raises(Exception, match="use a number and d, h, m or s"):
        parse_duration("soon")


def _add(session: Session, claim_id: int, url: str) -> None:
    services.add_source(session=session, claim_id=claim_id, url=url, stance="supports", actor="ana")


def test_check_sources_records_history_state_and_events(seeded: Session, server: Served) -> None:
    _add(seeded, 1, f"{server.base}/ok")
    _add(seeded, 2, f"{server.base}/500")
    _add(seeded, 3, "http://10.0.0.1/internal")
    summary = check_sources(
        session=seeded,
        actor="ana",
        policy=LinkPolicy.parse("127.0.0.1"),
        concurrency=4,
        per_host=2,
        timeout=2,
        host_delay=0,
    )
    assert summary.checked == 3 and summary.states == {"live": 1, "failing": 1, "blocked": 1}
    by_url = {r["url"]: r for r in summary.results}
    assert by_url[f"{server.base}/ok"]["title"] == "Trainium 3 & HBM4 spec"
    assert by_url["http://10.0.0.1/internal"]["error_class"] == "blocked"
    seeded.expire_all()
    sources = {s.url: s for s in seeded.exec(select(Source))}
    ok = sources[f"{server.base}/ok"]
    assert (ok.link_state, ok.http_status, ok.page_title) == ("live", 200, "Trainium 3 & HBM4 spec")
    assert len(list(seeded.exec(select(LinkCheck)))) == 3
    changes = list(seeded.exec(select(Event).where(Event.action == "link_state")))
    assert {(e.claim_id, e.new_value) for e in changes} == {
        (1, "live"),
        (2, "failing"),
        (3, "blocked"),
    }
    # within stale_after nothing is re-checked
    again = check_sources(
        session=seeded,
        actor="ana",
        policy=LinkPolicy.parse("127.0.0.1"),
        stale_after=timedelta(days=7),
    )
    assert (again.checked, again.skipped) == (0, 3)
    # a second failure a day later makes it dead; history keeps both
    later = check_sources(
        session=seeded,
        actor="ana",
        policy=LinkPolicy.parse("127.0.0.1"),
        claim_id=2,
        dead_after=timedelta(0),
        host_delay=0,
    )
    assert later.states == {"dead": 1}
    detail = queries.claim_detail(session=seeded, claim_id=2)
    assert detail.sources[0].link_state == "dead"


def test_cli_check_sources_json(
    cli_seeded: str, server: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    runner.invoke(
        app,
        [
            "--db",
            cli_seeded,
            "source",
            "add",
            "1",
            f"{server.base}/r1",
            "--stance",
            "supports",
            "--by",
            "ana",
        ],
    )
    denied = runner.invoke(
        app, ["--db", cli_seeded, "check-sources", "--by", "ana", "--format", "json"]
    )
    assert denied.exit_code == 0
    assert json.loads(denied.stdout)[0]["state"] == "blocked" and server.log.requests == []
    allowed = runner.invoke(
        app,
        [
            "--db",
            cli_seeded,
            "check-sources",
            "--by",
            "ana",
            "--allow-private",
            "--format",
            "json",
            "--per-host",
            "1",
        ],
    )
    rows = json.loads(allowed.stdout)
    assert rows[0]["url"] == f"{server.base}/r1"
    assert {
        k: rows[0][k] for k in ("http_status", "final_url", "title", "error_class", "state")
    } == {
        "http_status": 200,
        "final_url": f"{server.base}/ok?via=r2",
        "title": "Trainium 3 & HBM4 spec",
        "error_class": None,
        "state": "live",
    }
    table = runner.invoke(
        app,
        [
            "--db",
            cli_seeded,
            "check-sources",
            "--by",
            "ana",
            "--allow-private",
            "--stale-after",
            "7d",
        ],
    )
    assert "checked 0" in table.stdout and "skipped 1" in table.stdout


@pytest.fixture
def cli_seeded(db_url: str) -> str:
    runner = CliRunner()
    assert runner.invoke(app, ["--db", db_url, "init"]).exit_code == 0
    assert runner.invoke(app, ["--db", db_url, "seed"]).exit_code == 0
    make_accounts_via_cli(db_url)
    return db_url


def test_guarded_client_ignores_proxy_environment(
    monkeypatch: pytest.MonkeyPatch, server: Served
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://10.9.9.9:3128")
    r = run_check(f"{server.base}/ok")
    assert r.http_status == 200
    assert isinstance(httpx.AsyncClient, type)


def test_dashboard_check_links_button_records_state(tmp_path, monkeypatch, server: Served) -> None:  # type: ignore[no-untyped-def]
    from streamlit.testing.v1 import AppTest

    from tracker import db
    from tracker.services.seeding import seed

    from .conftest import ROOT, SEEDS

    url = f"sqlite:///{tmp_path / 'dash.db'}"
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    monkeypatch.setenv("TRACKER_LINKCHECK_ALLOW", "127.0.0.1")
    engine = db.make_engine(url)
    db.upgrade(engine)
    make_accounts(engine)
    with Session(engine) as s:
        seed(session=s, seeds_dir=SEEDS)
        _add(s, 7, f"{server.base}/404")
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=30)
    at.session_state["signed_in"] = {"name": "ana", "role": "reviewer"}
    at.run()
    at.query_params["id"] = "7"
    at.switch_page("views/claim.py").run()
    at.button(key="c_check_links").click().run()
    assert not at.exception
    assert any("failing 1" in i.value for i in at.info)
    # the source's fine print, under its link
    assert any(r":orange-badge[link failing \(HTTP 404\)]" in m.value for m in at.markdown)
