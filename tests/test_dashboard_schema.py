"""The dashboard never migrates: on an old or unknown schema it refuses to serve, with
one line naming the command that upgrades the database (several replicas may start at
once; a page request is no place for a schema change)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from tracker import db
from tracker.cli import app as cli

from .conftest import ROOT

APP = str(ROOT / "dashboard" / "app.py")


@pytest.fixture
def old_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    engine = db.make_engine(url)
    db.upgrade(engine, "0011")
    return engine


def _page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_an_old_schema_is_refused_and_left_as_it_is(old_db: Engine) -> None:
    at = _page()
    assert [e.value for e in at.error] == [
        f"the database {old_db.url} is at schema revision 0011, this tracker needs "
        f"{db.head_revision()}; upgrade it with `tracker init` (with the same --db or "
        "TRACKER_DATABASE_URL)"
    ]
    assert not at.text_input  # no sign-in form, no page
    assert db.current_revision(old_db) == "0011"
    db.upgrade(old_db)  # what `tracker init` does; the next page load works
    at.run()
    assert not at.error and at.text_input


def test_a_newer_schema_is_refused(old_db: Engine) -> None:
    with old_db.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0999_future'")
    (error,) = _page().error
    assert "newer than this tracker knows" in error.value and "upgrade tracker" in error.value


def test_no_schema_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'none.db'}"
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    (error,) = _page().error
    assert error.value.endswith("has no tracker schema; run `tracker init`")
    assert db.current_revision(db.make_engine(url)) is None


def test_tracker_dashboard_refuses_an_old_schema_in_one_line(old_db: Engine) -> None:
    result = CliRunner().invoke(cli, ["--db", str(old_db.url), "dashboard", "--port", "1"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"error: the database {old_db.url} is at schema revision 0011, this tracker needs "
        f"{db.head_revision()}; upgrade it with `tracker init` (with the same --db or "
        "TRACKER_DATABASE_URL)"
    ]
