"""Accounts, roles in the service layer, passwords and the second review."""

from __future__ import annotations

import ast
import inspect
import multiprocessing
import re
import sqlite3
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from tracker import db, queries, services
from tracker.audit import EventAction
from tracker.cli import app
from tracker.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    RuleViolation,
    TrackerError,
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


# --- sign-in throttle, account administration (#9) ---------------------------

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
RIGHT = "right password"
LOCKED = "too many failed sign-ins; try again after 10:05 UTC"


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many Argon2 verifications ran (the real work of a sign-in), thread-safe."""
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    real = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> Any:
        with lock:
            counts["verify"] += 1
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return counts


@pytest.fixture
def root(engine: Engine) -> Iterator[Engine]:
    """A database with the admin ``root`` (password RIGHT)."""
    with Session(engine) as s:
        accounts.create_user(session=s, name="root", role="admin", actor=None, password=RIGHT)
    yield engine


def sign_in(engine: Engine, name: str, password: str, now: datetime = T0) -> str:
    """The outcome of one sign-in in its own session: the role, or the refusal."""
    with Session(engine) as s:
        try:
            return accounts.authenticate(session=s, name=name, password=password, now=now).role
        except TrackerError as exc:
            return f"{type(exc).__name__}: {exc}"


def account_events(engine: Engine) -> list[tuple[str, str, str | None]]:
    with Session(engine) as s:
        rows = s.exec(select(Event).where(col(Event.account).is_not(None)).order_by(col(Event.id)))
        return [(e.action, e.actor, e.account) for e in rows]


def epoch(engine: Engine, name: str) -> int:
    with Session(engine) as s:
        return s.exec(select(User).where(User.name == name)).one().session_epoch


def test_parallel_wrong_passwords_lock_after_five_on_both_databases(
    root: Engine, verifications: Counter[str]
) -> None:
    """20 sign-ins at once: at most five passwords are checked, then the name is locked."""
    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(lambda _: sign_in(root, "root", "wrong guess"), range(20)))
    assert verifications["verify"] <= 5
    assert Counter(outcomes) == {
        "PermissionDenied: wrong name or password": verifications["verify"],
        f"PermissionDenied: {LOCKED}": 20 - verifications["verify"],
    }, outcomes  # no "database is locked", no other error
    # the lock holds against the right password until it expires
    assert sign_in(root, "root", RIGHT, T0 + timedelta(minutes=4)) == f"PermissionDenied: {LOCKED}"
    assert sign_in(root, "root", RIGHT, T0 + timedelta(minutes=6)) == "admin"


def _sign_in_from_another_process(url: str) -> str:
    engine = db.make_engine(url)
    try:
        return sign_in(engine, "root", "wrong guess")
    finally:
        engine.dispose()


def test_parallel_wrong_passwords_from_processes_lock_after_five(root: Engine, db_url: str) -> None:
    """The same with 10 processes, each with its own engine and connection pool."""
    root.dispose()  # no inherited connections in the children
    with multiprocessing.get_context("fork").Pool(10) as pool:
        outcomes = pool.map(_sign_in_from_another_process, [db_url] * 10)
    assert Counter(outcomes) == {
        "PermissionDenied: wrong name or password": 5,
        f"PermissionDenied: {LOCKED}": 5,
    }, outcomes
    assert sign_in(root, "root", RIGHT, T0 + timedelta(minutes=4)) == f"PermissionDenied: {LOCKED}"


def test_unknown_and_known_names_fail_alike(root: Engine, verifications: Counter[str]) -> None:
    """No way to tell which names exist: same messages, same lock, same work."""
    with Session(root) as s:
        accounts.create_user(session=s, name="nopw", role="viewer", actor="root")
    answers: dict[str, list[str]] = {}
    work: dict[str, int] = {}
    for name in ("root", "nobody", "nopw", "x" * 300, "Nobody\x00"):
        before = verifications["verify"]
        answers[name] = [sign_in(root, name, "wrong guess") for _ in range(5)]
        answers[name].append(sign_in(root, name, RIGHT))  # the 6th: locked, even if right
        work[name] = verifications["verify"] - before
    expected = ["PermissionDenied: wrong name or password"] * 5 + [f"PermissionDenied: {LOCKED}"]
    assert answers == dict.fromkeys(answers, expected)
    assert work == dict.fromkeys(work, 5)  # one Argon2 verification per checked attempt


def test_a_disabled_account_answers_like_an_unknown_name(root: Engine) -> None:
    with Session(root) as s:
        accounts.create_user(session=s, name="gone", role="viewer", actor="root", password=RIGHT)
        accounts.disable_user(session=s, name="gone", actor="root")
    for name in ("gone", "never"):
        outcomes = [sign_in(root, name, RIGHT) for _ in range(6)]
        assert outcomes == ["PermissionDenied: wrong name or password"] * 5 + [
            f"PermissionDenied: {LOCKED}"
        ]


def test_a_busy_database_is_a_one_line_error_at_sign_in(sqlite_url: str) -> None:
    engine = db.make_engine(sqlite_url)
    db.upgrade(engine)

    @event.listens_for(engine, "connect")
    def _short_wait(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=50")

    engine.dispose()  # reconnect with the short wait
    with Session(engine) as s:
        accounts.create_user(session=s, name="root", role="admin", actor=None, password=RIGHT)
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the database
    try:
        outcome = sign_in(engine, "root", RIGHT)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()
    # a project error (one line for the page), never sqlite3's exception
    assert outcome.startswith("DatabaseBusy: the database is busy")
    assert "\n" not in outcome


def test_account_changes_are_authorised_audited_and_end_sessions(root: Engine) -> None:
    later = T0 + timedelta(hours=1)
    with Session(root) as s:
        accounts.create_user(
            session=s, name="ana", role="reviewer", actor="root", password="ana's first pw"
        )
        # own password: needs the current one, checked like a sign-in
        with pytest.raises(ValidationFailed, match="give your current password"):
            accounts.set_password(session=s, name="ana", password="ana's second pw", actor="ana")
        with pytest.raises(PermissionDenied, match="current password is not right; the password"):
            accounts.set_password(
                session=s, name="ana", password="ana's second pw", actor="ana", current="nope"
            )
        changed = accounts.set_password(
            session=s,
            name="ana",
            password="ana's second pw",
            actor="ana",
            current="ana's first pw",
        )
        assert changed.session_epoch == 1
        with pytest.raises(PermissionDenied, match=r"ana \(reviewer\) may not manage accounts"):
            accounts.reset_password(session=s, name="root", actor="ana")
        with pytest.raises(PermissionDenied, match="may not manage accounts"):
            accounts.set_password(session=s, name="root", password="x" * 12, actor="ana")
        one_time = accounts.reset_password(session=s, name="ana", actor="root")
    assert sign_in(root, "ana", "ana's second pw", later).endswith("wrong name or password")
    assert sign_in(root, "ana", one_time, later) == "reviewer"
    with Session(root) as s:
        accounts.disable_user(session=s, name="ana", actor="root")
        with pytest.raises(PermissionDenied, match="account 'ana' is disabled"):
            services.set_password(
                session=s, name="ana", password="x" * 12, actor="ana", current="y"
            )
        with pytest.raises(ValidationFailed, match="already disabled"):
            accounts.disable_user(session=s, name="ana", actor="root")
    assert sign_in(root, "ana", one_time, later).endswith("wrong name or password")
    with Session(root) as s:
        accounts.enable_user(session=s, name="ana", actor="root")
        accounts.set_role(session=s, name="ana", role="editor", actor="root")
        assert accounts.session_epoch(session=s, name="ana") == 4
    for _ in range(5):
        sign_in(root, "ana", "wrong guess", later)
    assert sign_in(root, "ana", one_time, later).endswith(
        "too many failed sign-ins; try again after 11:05 UTC"
    )
    with Session(root) as s:
        accounts.unlock_user(session=s, name="ana", actor="root")
    assert sign_in(root, "ana", one_time, later) == "editor"
    assert epoch(root, "ana") == 4  # password, reset, disable, role; not enable or unlock
    assert account_events(root) == [
        (EventAction.account_added, "root", "root"),
        (EventAction.account_added, "root", "ana"),
        (EventAction.password_changed, "ana", "ana"),
        (EventAction.password_reset, "root", "ana"),
        (EventAction.account_disabled, "root", "ana"),
        (EventAction.account_enabled, "root", "ana"),
        (EventAction.role_changed, "root", "ana"),
        (EventAction.account_unlocked, "root", "ana"),
    ]
    with Session(root) as s:
        text = " ".join(f"{e.old_value} {e.new_value} {e.detail}" for e in s.exec(select(Event)))
    assert one_time not in text and "second pw" not in text


def test_the_last_active_admin_cannot_be_demoted_or_disabled(root: Engine) -> None:
    with Session(root) as s:
        with pytest.raises(PermissionDenied, match="needs an admin: add --by ADMIN"):
            accounts.create_user(session=s, name="ana", role="reviewer", actor=None)
        with pytest.raises(
            RuleViolation, match="root is the last active admin and cannot be demoted"
        ):
            accounts.set_role(session=s, name="root", role="editor", actor="root")
        with pytest.raises(
            RuleViolation, match="root is the last active admin and cannot be disabled"
        ):
            accounts.disable_user(session=s, name="root", actor="root")
        accounts.create_user(session=s, name="boss", role="admin", actor="root")
        accounts.disable_user(session=s, name="boss", actor="root")  # a disabled admin is no admin
        with pytest.raises(RuleViolation, match="last active admin"):
            accounts.set_role(session=s, name="root", role="viewer", actor="root")
        accounts.enable_user(session=s, name="boss", actor="root")
        assert (
            accounts.set_role(session=s, name="root", role="viewer", actor="boss").role == "viewer"
        )
        assert (
            accounts.set_role(session=s, name="root", role="viewer", actor="boss").role == "viewer"
        )
    assert [a for a, *_ in account_events(root)].count(EventAction.role_changed) == 1


def test_two_admins_demoting_each_other_at_once_leave_one_admin(root: Engine) -> None:
    with Session(root) as s:
        accounts.create_user(session=s, name="boss", role="admin", actor="root")
    barrier = threading.Barrier(2)

    def demote(name: str, actor: str) -> str:
        with Session(root) as s:
            barrier.wait()
            try:
                return accounts.set_role(session=s, name=name, role="editor", actor=actor).role
            except TrackerError as exc:
                return type(exc).__name__

    for _ in range(3):
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = sorted(pool.map(demote, ["root", "boss"], ["boss", "root"]))
        with Session(root) as s:
            admins = [u.name for u in accounts.list_users(session=s) if u.role == "admin"]
            assert len(admins) == 1, results
            survivor = admins[0]
            other = "boss" if survivor == "root" else "root"
            accounts.set_role(session=s, name=other, role="admin", actor=survivor)


def test_every_account_change_is_a_use_case() -> None:
    """Each public writer in accounts.py opens a unit of work, authorises and records."""
    tree = ast.parse(inspect.getsource(accounts))
    writers = {
        node.name: ast.unparse(node)
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and not node.name.startswith("_")
        and "record_event(" in ast.unparse(node)
    }
    assert set(writers) == {
        "create_user",
        "set_role",
        "set_password",
        "reset_password",
        "disable_user",
        "enable_user",
        "unlock_user",
    }
    for name, source in writers.items():
        assert "unit_of_work(" in source and "authorize(" in source, name


def test_cli_account_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'u.db'}"
    runner = CliRunner()

    def cli(*args: str, input: str | None = None) -> Any:
        result = runner.invoke(app, ["--db", url, *args], input=input)
        assert "Traceback" not in result.output + result.stderr
        return result

    assert cli("init").exit_code == 0
    demo = cli("users", "demo")
    admin_pw = demo.stdout.split("admin / ")[1].split()[0]
    assert "tracker users passwd admin --by admin" in demo.stdout
    # (8) adding without --by once accounts exist names what is missing
    no_by = cli("users", "add", "ana", "--role", "reviewer", "--no-password")
    assert no_by.exit_code == 1
    assert "accounts exist already, so adding one needs an admin: add --by ADMIN" in no_by.stderr
    assert "no account named" not in no_by.stderr
    added = cli(
        "users",
        "add",
        "ana",
        "--role",
        "reviewer",
        "--by",
        "admin",
        "--password-stdin",
        input="ana's first pw\n",
    )
    assert added.exit_code == 0, added.stderr
    wrong = cli(
        "users", "passwd", "ana", "--by", "ana", "--password-stdin", input="nope\nnew pw 12345\n"
    )
    assert wrong.exit_code == 1 and "current password is not right" in wrong.stderr
    own = cli(
        "users",
        "passwd",
        "ana",
        "--by",
        "ana",
        "--password-stdin",
        input="ana's first pw\nana's second pw\n",
    )
    assert own.exit_code == 0, own.stderr
    assert "ana's second pw" not in own.output
    by_admin = cli(
        "users", "passwd", "ana", "--by", "admin", "--password-stdin", input="set by admin!\n"
    )
    assert by_admin.exit_code == 0, by_admin.stderr
    no_tty = cli("users", "passwd", "ana", "--by", "ana")
    assert no_tty.exit_code == 1 and "--password-stdin" in no_tty.stderr
    reset = cli("users", "reset-password", "ana", "--by", "admin")
    assert reset.exit_code == 0 and "shown once" in reset.stdout
    one_time = reset.stdout.split("new password for ana: ")[1].split()[0]
    assert cli("users", "disable", "ana", "--by", "admin").stdout == "account ana disabled\n"
    assert "(disabled)" in cli("users", "list").stdout
    assert cli("users", "enable", "ana", "--by", "admin").exit_code == 0
    assert cli("users", "unlock", "ana", "--by", "admin").stdout == "account ana unlocked\n"
    last = cli("users", "disable", "admin", "--by", "admin")
    assert last.exit_code == 1 and "admin is the last active admin" in last.stderr
    demote = cli("users", "set-role", "admin", "viewer", "--by", "admin")
    assert demote.exit_code == 1 and "last active admin" in demote.stderr
    viewer = cli("users", "reset-password", "admin", "--by", "ana")
    assert viewer.exit_code == 1 and "may not manage accounts" in viewer.stderr
    engine = db.make_engine(url)
    assert sign_in(engine, "ana", one_time, datetime.now(UTC)) == "reviewer"
    assert sign_in(engine, "admin", admin_pw, datetime.now(UTC)) == "admin"
    engine.dispose()
    for command in ("passwd", "reset-password", "disable", "enable", "unlock"):
        assert cli("users", command, "--help").exit_code == 0


def test_migration_0006_keeps_accounts_both_ways(engine: Engine) -> None:
    from sqlalchemy import inspect as sa_inspect

    head = db.current_revision(engine)  # later migrations go down and up again too
    with Session(engine) as s:
        accounts.create_user(session=s, name="root", role="admin", actor=None, password=RIGHT)
    db.downgrade(engine, "0005")
    with engine.connect() as conn:
        columns = {c["name"] for c in sa_inspect(conn).get_columns("account")}
        assert {"failed_logins", "locked_until"} <= columns and "session_epoch" not in columns
        assert "signin_attempt" not in sa_inspect(conn).get_table_names()
    db.upgrade(engine)
    assert db.current_revision(engine) == head
    assert sign_in(engine, "root", RIGHT) == "admin" and epoch(engine, "root") == 0
