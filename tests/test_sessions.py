"""Dashboard sessions that survive a reload (#11), on SQLite and PostgreSQL.

Time is passed in (``now=``), never waited for: a session is started at a
moment and resumed hours or days later on the same clock.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from tracker import services
from tracker.config import get_settings
from tracker.errors import PermissionDenied, UnknownSession, ValidationFailed
from tracker.models import User, WebSession
from tracker.services import accounts
from tracker.services.sessions import TOUCH_EVERY, count_sessions

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "ana's first password"


def start(s: Session, name: str = "ana", now: datetime = T0) -> str:
    epoch = s.exec(select(User.session_epoch).where(User.name == name)).one()
    return services.start_session(session=s, name=name, epoch=epoch, now=now).token


def resumes(s: Session, token: str, now: datetime) -> bool:
    try:
        services.resume_session(session=s, token=token, now=now)
    except PermissionDenied:
        return False
    return True


def row(s: Session, token: str) -> WebSession | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    s.expire_all()
    return s.get(WebSession, digest)


def test_only_the_hash_of_the_token_is_stored(session: Session) -> None:
    token = start(session)
    assert len(token) >= 43  # token_urlsafe(32): 256 random bits
    stored = session.exec(select(WebSession)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(v) for v in stored.model_dump().values()}
    assert start(session) != token  # every sign-in gets its own token
    account = services.resume_session(session=session, token=token, now=T0)
    assert (account.name, account.role) == ("ana", "reviewer")


def test_resume_moves_last_seen_at_most_once_a_minute(session: Session) -> None:
    token = start(session)
    services.resume_session(session=session, token=token, now=T0 + TOUCH_EVERY / 2)
    assert row(session, token).last_seen.replace(tzinfo=UTC) == T0  # type: ignore[union-attr]
    later = T0 + TOUCH_EVERY * 2
    services.resume_session(session=session, token=token, now=later)
    assert row(session, token).last_seen.replace(tzinfo=UTC) == later  # type: ignore[union-attr]


def test_a_session_idles_out_after_twelve_hours(session: Session) -> None:
    idle = get_settings().session_idle
    assert idle == timedelta(hours=12)
    token = start(session)
    # active every eleven hours: still signed in after two days
    for step in range(1, 5):
        assert resumes(session, token, T0 + step * timedelta(hours=11))
    quiet = T0 + 4 * timedelta(hours=11) + idle
    with pytest.raises(PermissionDenied, match="12 hours without activity"):
        services.resume_session(session=session, token=token, now=quiet)
    assert row(session, token) is None  # deleted, not only refused
    assert not resumes(session, token, T0 + timedelta(hours=45))


def test_a_session_ends_after_seven_days_however_active(session: Session) -> None:
    token = start(session)
    now = T0
    while now < T0 + timedelta(days=7) - timedelta(hours=10):
        now += timedelta(hours=10)
        assert resumes(session, token, now)
    with pytest.raises(PermissionDenied, match="7 days old"):
        services.resume_session(session=session, token=token, now=T0 + timedelta(days=7))


def test_the_lifetimes_are_settings(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_SESSION_IDLE_HOURS", "1")
    monkeypatch.setenv("TRACKER_SESSION_MAX_DAYS", "0.5")
    token = start(session)
    assert resumes(session, token, T0 + timedelta(minutes=59))
    assert not resumes(session, token, T0 + timedelta(minutes=59) + timedelta(hours=1))
    token = start(session)
    for minutes in range(50, 12 * 60, 50):  # active within every hour, for half a day
        assert resumes(session, token, T0 + timedelta(minutes=minutes))
    assert not resumes(session, token, T0 + timedelta(hours=12))
    monkeypatch.setenv("TRACKER_SESSION_IDLE_HOURS", "soon")
    with pytest.raises(ValidationFailed, match="TRACKER_SESSION_IDLE_HOURS='soon'"):
        get_settings()


def test_signing_out_ends_only_that_session(session: Session) -> None:
    laptop, phone = start(session), start(session)
    assert services.end_session(session=session, token=laptop) is True
    assert not resumes(session, laptop, T0)
    assert resumes(session, phone, T0)
    assert services.end_session(session=session, token=laptop) is False  # already gone
    assert services.end_session(session=session, token="") is False


def test_unknown_and_malformed_tokens_resume_nothing(session: Session) -> None:
    start(session)
    for token in ("", "x", "y" * 10_000, hashlib.sha256(b"x").hexdigest()):
        with pytest.raises(UnknownSession, match="sign in again"):
            services.resume_session(session=session, token=token, now=T0)


def test_a_token_made_before_the_sign_in_is_the_one_the_session_binds(session: Session) -> None:
    """The dashboard puts a token in the cookie while the sign-in form shows (#11)."""
    token = services.new_token()
    with pytest.raises(UnknownSession):  # unbound: it names no session yet
        services.resume_session(session=session, token=token, now=T0)
    epoch = session.exec(select(User.session_epoch).where(User.name == "ana")).one()
    started = services.start_session(session=session, name="ana", epoch=epoch, now=T0, token=token)
    assert started.token == token
    assert row(session, token) is not None
    assert services.resume_session(session=session, token=token, now=T0).name == "ana"
    # a token is bound once: another sign-in cannot take over a live session's token
    with pytest.raises(ValidationFailed, match="taken"):
        services.start_session(session=session, name="ana", epoch=epoch, now=T0, token=token)
    assert count_sessions(session=session, name="ana") == 1


@pytest.mark.parametrize("token", ["", "short", "x" * 43 + "y", "é" * 43, "a b" * 15])
def test_a_token_not_shaped_as_new_token_makes_is_refused(session: Session, token: str) -> None:
    epoch = session.exec(select(User.session_epoch).where(User.name == "ana")).one()
    with pytest.raises(ValidationFailed, match="43 URL-safe characters"):
        services.start_session(session=session, name="ana", epoch=epoch, now=T0, token=token)
    assert count_sessions(session=session, name="ana") == 0


def test_a_password_change_ends_the_other_sessions_and_keeps_its_own(session: Session) -> None:
    accounts.set_password(session=session, name="ana", password=PASSWORD, actor="admin")
    here, elsewhere = start(session), start(session)
    accounts.set_password(
        session=session,
        name="ana",
        password="ana's second password",
        current=PASSWORD,
        actor="ana",
        keep_session=here,
    )
    assert resumes(session, here, T0)
    assert not resumes(session, elsewhere, T0)
    assert count_sessions(session=session, name="ana") == 1


@pytest.mark.parametrize(
    "change",
    [
        lambda s: accounts.set_password(
            session=s, name="ana", password="set by the admin", actor="admin"
        ),
        lambda s: accounts.reset_password(session=s, name="ana", actor="admin"),
        lambda s: accounts.disable_user(session=s, name="ana", actor="admin"),
        lambda s: accounts.set_role(session=s, name="ana", role="editor", actor="admin"),
    ],
    ids=["password set by an admin", "password reset", "disabled", "role changed"],
)
def test_account_changes_end_every_session(session: Session, change: object) -> None:
    tokens = [start(session), start(session)]
    start(session, "bob")
    change(session)  # type: ignore[operator]
    assert count_sessions(session=session, name="ana") == 0
    for token in tokens:
        with pytest.raises(PermissionDenied, match="sign in again"):
            services.resume_session(session=session, token=token, now=T0)
    assert count_sessions(session=session, name="bob") == 1  # others are untouched


def test_a_change_between_sign_in_and_session_start_is_refused(session: Session) -> None:
    epoch = session.exec(select(User.session_epoch).where(User.name == "ana")).one()
    accounts.set_role(session=session, name="ana", role="viewer", actor="admin")
    with pytest.raises(PermissionDenied, match="changed"):
        services.start_session(session=session, name="ana", epoch=epoch, now=T0)
    accounts.disable_user(session=session, name="ana", actor="admin")
    with pytest.raises(PermissionDenied, match="disabled"):
        start(session)
    with pytest.raises(PermissionDenied, match="system actor"):
        services.start_session(session=session, name="seed", epoch=0, now=T0)
    assert session.exec(select(WebSession)).all() == []


def test_starting_a_session_clears_expired_ones(session: Session) -> None:
    old = start(session, now=T0)
    start(session, "bob", now=T0 + timedelta(days=8))
    assert row(session, old) is None
