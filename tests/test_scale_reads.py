"""Scale (#10): reads cost a fixed number of statements, caches follow the
database's change markers (across processes), and the CLI starts light."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from sqlalchemy import event
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from benchmarks.generate import generate
from tracker.cli import app as cli_app

from .conftest import ROOT

APP = str(ROOT / "dashboard" / "app.py")
PAGES = ["views/queue.py", "views/claim.py", "views/article.py", "views/overview.py"]


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine of this process runs inside the block (the
    stored matches are refreshed by `tracker worker`, not by a page)."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen.append(sql)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", count)


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A small archive (one article, 20 claims) and a larger one (3 x 100)."""
    folder = tmp_path_factory.mktemp("archives")
    urls = {
        "small": f"sqlite:///{folder / 'small.db'}",
        "large": f"sqlite:///{folder / 'large.db'}",
    }
    generate(urls["small"], 20, seed=1)
    generate(urls["large"], 300, seed=1)
    return urls


def cold_rerun(url: str, page: str, monkeypatch: pytest.MonkeyPatch, **query: str) -> int:
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["signed_in"] = {"name": "admin", "role": "admin"}
    at.query_params.update(query)
    at.run()
    at.switch_page(page).run()  # engines and migrations checked: not counted
    st.cache_data.clear()
    with statements() as seen:
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    return len(seen)


@pytest.mark.parametrize("page", PAGES)
def test_a_page_issues_as_many_statements_for_many_rows_as_for_few(
    archives: dict[str, str], page: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # claim 1 of the small archive has fewer sources and notes than claim 7 of the large
    small = cold_rerun(archives["small"], page, monkeypatch, id="2")
    large = cold_rerun(archives["large"], page, monkeypatch, id="7")
    assert small == large, f"{page}: {small} statements for 20 claims, {large} for 300"


def test_the_queue_searches_once_for_its_page_and_its_counts(
    archives: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a text search (here from the link's ``q``), the counts and the page's rows
    come from one search (queries.queue_page), not one search each."""
    monkeypatch.setenv("TRACKER_DATABASE_URL", archives["large"])
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["signed_in"] = {"name": "admin", "role": "admin"}
    at.query_params["q"] = "the"
    at.run()
    st.cache_data.clear()
    with statements() as seen:
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    searches = [sql for sql in seen if "claim_fts" in sql]
    assert len(searches) == 1, searches
    assert any("unreviewed to go" in m.value for m in at.markdown)


LIST_COMMANDS = [
    ["claims"],
    ["claims", "--limit", "0"],
    ["claims", "--format", "json"],
    ["claims", "--format", "csv", "--limit", "0"],
    ["claims", "--search", "the", "--sort", "sources"],
    ["articles"],
]


@pytest.mark.parametrize("args", LIST_COMMANDS, ids=" ".join)
def test_a_list_command_issues_as_many_statements_for_many_rows_as_for_few(
    archives: dict[str, str], args: list[str]
) -> None:
    counts, outputs = [], []
    for name in ("small", "large"):
        with statements() as seen:
            result = CliRunner().invoke(cli_app, ["--db", archives[name], *args])
        assert result.exit_code == 0, result.output
        counts.append(len(seen))
        outputs.append(len(result.stdout))
    assert outputs[0] < outputs[1]  # more rows shown ...
    assert counts[0] == counts[1]  # ... by the same statements


def test_claims_prints_100_rows_unless_told(archives: dict[str, str]) -> None:
    def rows(*args: str) -> int:
        result = CliRunner().invoke(
            cli_app, ["--db", archives["large"], "claims", "--format", "json", *args]
        )
        return len(json.loads(result.stdout))

    assert rows() == 100
    assert rows("--limit", "7") == 7
    assert rows("--limit", "0") == 300
    assert rows("--limit", "0", "--offset", "290") == 10


def test_help_imports_neither_the_database_stack_nor_http_nor_streamlit() -> None:
    probe = (
        "import sys\n"
        "from tracker.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('httpx', 'streamlit', 'sqlalchemy', 'sqlmodel') or m == 'tracker.services.links']\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert "HEAVY []" in out


# --- caches and change markers ------------------------------------------------------------


def unreviewed_to_go(at: AppTest) -> int:
    line = next(m.value for m in at.markdown if "unreviewed to go" in m.value)
    return int(line.split("**")[3])


WRITE_IN_ANOTHER_PROCESS = """
import sys
from dashboard import data
from tracker import services
data.write(services.review_claim, claim_id=int(sys.argv[1]), status="dismissed",
           actor="ana", expected_version=None)
"""


def test_a_verdict_given_in_one_replica_shows_in_another_at_its_next_rerun(
    seeded: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_DATABASE_URL", db_url)
    replica = AppTest.from_file(APP, default_timeout=60)
    replica.session_state["signed_in"] = {"name": "ana", "role": "reviewer"}
    replica.run()
    before = unreviewed_to_go(replica)
    replica.run()  # cached now
    assert unreviewed_to_go(replica) == before
    env = {"TRACKER_DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "-c", WRITE_IN_ANOTHER_PROCESS, "5"], check=True, cwd=ROOT, env=env
    )
    replica.run()
    assert not replica.exception
    assert unreviewed_to_go(replica) == before - 1


def test_a_claim_write_keeps_the_cached_article_text(
    archives: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard import data
    from tracker import services

    url = archives["small"]
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    slug = data.articles(url)[0].slug
    first_count = data.count_claims(url, data.queries.ClaimFilter())

    def reads(call: Callable[[], object]) -> int:
        with statements() as seen:
            call()
        return len(seen)

    marker = reads(lambda: data.marker(data.CLAIMS))  # the one read every cached call makes
    assert reads(lambda: data.article_text(url, slug)) > marker  # cold
    assert reads(lambda: data.count_claims(url, data.queries.ClaimFilter())) == marker  # cached
    data.write(services.add_note, claim_id=3, body="a note", actor="ana")
    assert reads(lambda: data.article_text(url, slug)) == marker  # articles untouched: cached
    assert reads(lambda: data.count_claims(url, data.queries.ClaimFilter())) > marker  # re-read
    assert data.count_claims(url, data.queries.ClaimFilter()) == first_count


def test_generated_archives_are_deterministic(tmp_path: Path) -> None:
    a, b = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    assert generate(a, 150, seed=3) == generate(b, 150, seed=3)
    dumps = []
    for url in (a, b):
        out = CliRunner().invoke(cli_app, ["--db", url, "export", "csv"]).stdout
        dumps.append(out)
    assert dumps[0] == dumps[1] and dumps[0].count("archive-0000002") > 0


def test_the_scale_benchmark_runs_at_a_small_size(
    db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import scale

    monkeypatch.setenv("TRACKER_DATABASE_URL", db_url)
    generate(db_url, 300, seed=2)
    scale.main(["--db", db_url, "--runs", "1"])
    out = capsys.readouterr().out
    assert "300 claims" in out and "worst queue query" in out
    assert re.search(r"export csv: project \d+ ms, raw \d+ ms", out)
    assert re.search(r"overview\s+\d+\.\d\d", out)


def test_the_export_page_offers_at_most_the_download_limit(
    archives: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard import data

    monkeypatch.setenv("TRACKER_DATABASE_URL", archives["large"])
    monkeypatch.setattr(data, "DOWNLOAD_LIMIT", 250)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["signed_in"] = {"name": "admin", "role": "admin"}
    at.run()
    at.switch_page("views/export.py").run()
    assert not at.exception
    assert "tracker export csv --out" in at.warning[0].value
    assert "x_download" not in {getattr(b, "key", None) for b in at.get("download_button")}


def test_generated_articles_have_paragraphs_under_their_claims_sections(tmp_path: Path) -> None:
    """Each generated claim's section is the heading its quote stands under, and its
    paragraph is a few sentences (the claim page shows the quote's paragraph)."""
    from sqlmodel import Session, select

    from tracker import db
    from tracker.intake.text import Outline, paragraph_bounds
    from tracker.models import Article, Claim

    url = f"sqlite:///{tmp_path / 'g.db'}"
    generate(url, 150, seed=5)
    engine = db.make_engine(url)
    with Session(engine) as s:
        texts = {a.id: a.text for a in s.exec(select(Article))}
        claims = list(s.exec(select(Claim)))
    engine.dispose()
    outlines = {k: Outline(t) for k, t in texts.items()}
    for c in claims:
        text = texts[c.article_id]
        assert text[c.quote_start : c.quote_end] == c.quote
        heading = outlines[c.article_id].section_at(c.quote_start)
        assert heading is not None and heading.startswith(f"{c.section}: "), (c.id, heading)
        start, end = paragraph_bounds(text, c.quote_start, c.quote_end)
        assert text[start:end].count(". ") < 5, (c.id, text[start:end])
