"""Accounts, roles in the service layer, passwords and the second review."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from tracker import db, queries, services
from tracker.cli import app
from tracker.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from tracker.models import ClaimUpdate, Event, User
from tracker.services import accounts

from .conftest import ROOT

URL = "https://www.example.org/evidence"
# an OIDC secret with a value, as it would appear in a committed secrets.toml
SECRET_VALUE = re.compile(r"(?:cookie|client)_secret\s*=\s*[\"'][^\"']+[\"']")


def test_first_account_must_be_admin_and_later_ones_need_an_admin(sqlite_engine: Engine) -> None:
    with Session(sqlite_engine) as s:
        with pytest.raises(ValidationFailed, match="the first account must be an admin"):
            accounts.create_user(session=s, name="ana", role="reviewer", actor=None)
        accounts.create_user(
            session=s, name="root", role="admin", actor=None, password="long enough pw"
        )
        with pytest.raises(NotFound, match="no account named 'ana'"):
            accounts.create_user(session=s, name="bob", role="reviewer", actor="ana")
        accounts.create_user(session=s, name="ana", role="reviewer", actor="root")
        with pytest.raises(PermissionDenied, match=r"ana \(reviewer\) may not manage accounts"):
            accounts.create_user(session=s, name="bob", role="reviewer", actor="ana")
        with pytest.raises(
            ValidationFailed,
            match="unknown role 'wizard'; allowed: viewer, reviewer, editor, admin",
        ):
            accounts.create_user(session=s, name="bob", role="wizard", actor="root")
        with pytest.raises(ValidationFailed, match="not allowed"):
            accounts.create_user(session=s, name="seed", role="reviewer", actor="root")
        with pytest.raises(ValidationFailed, match="at least 10 characters"):
            accounts.create_user(
                session=s, name="bob", role="reviewer", actor="root", password="short"
            )
        assert [u.name for u in accounts.list_users(session=s)] == ["ana", "root"]
        stored = s.exec(select(User).where(User.name == "root")).one().password_hash
        assert stored and stored.startswith("$argon2id$") and "long enough pw" not in stored


def test_sign_in_is_rate_limited(sqlite_engine: Engine) -> None:
    t0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    with Session(sqlite_engine) as s:
        accounts.create_user(
            session=s, name="root", role="admin", actor=None, password="right password"
        )
        assert (
            accounts.authenticate(session=s, name="root", password="right password", now=t0).role
            == "admin"
        )
        for _ in range(5):
            with pytest.raises(PermissionDenied, match="wrong name or password"):
                accounts.authenticate(session=s, name="root", password="nope", now=t0)
        with pytest.raises(
            PermissionDenied, match="too many failed sign-ins; try again after 10:05 UTC"
        ):
            accounts.authenticate(session=s, name="root", password="right password", now=t0)
        later = t0 + timedelta(minutes=6)
        assert accounts.authenticate(session=s, name="root", password="right password", now=later)
        with pytest.raises(PermissionDenied, match="wrong name or password"):
            accounts.authenticate(session=s, name="nobody", password="x", now=later)


def test_roles_are_enforced_by_the_services(seeded: Session) -> None:
    with pytest.raises(PermissionDenied, match=r"victor \(viewer\) may not add notes"):
        services.add_note(session=seeded, claim_id=1, body="hi", actor="victor")
    with pytest.raises(PermissionDenied, match=r"ana \(reviewer\) may not assign claims to others"):
        services.assign_claim(
            session=seeded, claim_id=1, assignee="bob", actor="ana", expected_version=1
        )
    services.assign_claim(
        session=seeded, claim_id=1, assignee="ana", actor="ana", expected_version=1
    )
    with pytest.raises(NotFound, match="no account named 'zed'"):
        services.assign_claim(
            session=seeded, claim_id=2, assignee="zed", actor="editor", expected_version=1
        )
    with pytest.raises(NotFound, match="no account named 'mallory'"):
        services.add_note(session=seeded, claim_id=1, body="hi", actor="mallory")
    with pytest.raises(PermissionDenied, match="system actor"):
        services.add_note(session=seeded, claim_id=1, body="hi", actor="seed")
    with pytest.raises(PermissionDenied, match="needs the editor role"):
        services.update_claim(
            session=seeded,
            claim_id=3,
            changes=ClaimUpdate(claim="x y z"),
            actor="ana",
            expected_version=1,
        )


def test_second_review(seeded: Session) -> None:
    services.add_source(session=seeded, claim_id=3, url=URL, stance="supports", actor="ana")
    c = services.review_claim(
        session=seeded, claim_id=3, status="verified", actor="ana", expected_version=1
    )
    assert c.pending_confirmation
    with pytest.raises(PermissionDenied, match="may not confirm verdicts"):
        services.confirm_verdict(session=seeded, claim_id=3, actor="bob", expected_version=2)
    with pytest.raises(PermissionDenied, match="may not change a claim that has a verdict"):
        services.review_claim(
            session=seeded, claim_id=3, status="in_review", actor="bob", expected_version=2
        )
    c = services.confirm_verdict(session=seeded, claim_id=3, actor="editor", expected_version=2)
    assert (c.confirmed_by, c.pending_confirmation) == ("editor", False) and c.confirmed_at
    with pytest.raises(InvalidTransition, match="already confirmed by editor"):
        services.confirm_verdict(session=seeded, claim_id=3, actor="eve", expected_version=3)
    # an editor's own verdict needs another editor
    c = services.review_claim(
        session=seeded,
        claim_id=3,
        status="flagged",
        actor="eve",
        expected_version=3,
        reason="outdated",
        note="Superseded by the 2026 spec.",
    )
    assert c.confirmed_by is None and c.pending_confirmation
    with pytest.raises(PermissionDenied, match="another editor must confirm it"):
        services.confirm_verdict(session=seeded, claim_id=3, actor="eve", expected_version=4)
    assert (
        services.confirm_verdict(
            session=seeded, claim_id=3, actor="editor", expected_version=4
        ).confirmed_by
        == "editor"
    )


def test_bad_text_limits_on_claims(seeded: Session) -> None:
    before = queries.get_claim(session=seeded, claim_id=5)
    with pytest.raises(ValidationFailed, match="the limit is 2,000"):
        services.update_claim(
            session=seeded,
            claim_id=5,
            changes=ClaimUpdate.model_construct(claim="x" * 2001),
            actor="editor",
            expected_version=1,
        )
    with pytest.raises(ValidationFailed, match="control character U\\+001B"):
        services.update_claim(
            session=seeded,
            claim_id=5,
            changes=ClaimUpdate(claim="bad \x1b[31m"),
            actor="editor",
            expected_version=1,
        )
    seeded.expire_all()
    assert queries.get_claim(session=seeded, claim_id=5) == before


def test_cli_users_and_passwords(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'u.db'}"
    runner = CliRunner()
    assert runner.invoke(app, ["--db", url, "init"]).exit_code == 0
    demo = runner.invoke(app, ["--db", url, "users", "demo"])
    assert demo.exit_code == 0 and "demo account: admin / " in demo.stdout
    password = demo.stdout.split("admin / ")[1].split()[0]
    engine = db.make_engine(url)
    with Session(engine) as s:
        assert accounts.authenticate(session=s, name="admin", password=password).role == "admin"
        events = " ".join(str(e) for e in s.exec(select(Event)))
    assert password not in events
    again = runner.invoke(app, ["--db", url, "users", "demo"])
    assert "accounts exist already" in again.stdout and password not in again.stdout
    monkeypatch.setenv("TRACKER_PASSWORD", "from-the-environment")
    added = runner.invoke(
        app, ["--db", url, "users", "add", "ana", "--role", "reviewer", "--by", "admin"]
    )
    assert added.exit_code == 0
    monkeypatch.delenv("TRACKER_PASSWORD")
    piped = runner.invoke(
        app,
        [
            "--db",
            url,
            "users",
            "add",
            "eve",
            "--role",
            "editor",
            "--by",
            "admin",
            "--password-stdin",
        ],
        input="typed-on-stdin\n",
    )
    assert piped.exit_code == 0
    bad_role = runner.invoke(
        app, ["--db", url, "users", "add", "x", "--role", "boss", "--by", "admin", "--no-password"]
    )
    assert bad_role.exit_code == 1 and "unknown role 'boss'" in bad_role.stderr
    denied = runner.invoke(app, ["--db", url, "users", "set-role", "ana", "admin", "--by", "ana"])
    assert denied.exit_code == 1 and "may not manage accounts" in denied.stderr
    with Session(engine) as s:
        assert accounts.authenticate(session=s, name="ana", password="from-the-environment")
        assert accounts.authenticate(session=s, name="eve", password="typed-on-stdin")
    engine.dispose()


def test_no_secrets_in_the_repository() -> None:
    ignored = (ROOT / ".gitignore").read_text()
    assert ".streamlit/secrets.toml" in ignored
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout
    if not tracked:  # not a git checkout (e.g. an sdist): nothing more to check
        return
    assert "secrets.toml" not in tracked
    for name in tracked.splitlines():
        if name.endswith((".py", ".toml", ".md", ".sh", ".json", ".cfg", ".ini")):
            text = (ROOT / name).read_text(encoding="utf-8", errors="replace")
            assert not SECRET_VALUE.search(text), name
