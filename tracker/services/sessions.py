"""Dashboard sessions that survive a reload (#11): start, resume, end.

Signing in (after :func:`tracker.services.authenticate`) starts a session: a
random token (``secrets.token_urlsafe(32)``, 256 bits) goes to the browser in
a cookie, and only its SHA-256 is stored (table ``web_session``) with the
account, the account's session epoch, and when the session began, was last
seen and expires. Presenting the token resumes the session while

- it began no more than ``TRACKER_SESSION_MAX_DAYS`` ago (``expires_at``),
- it was seen within ``TRACKER_SESSION_IDLE_HOURS``,
- the account is active and its session epoch is the one it began with.

A password change or reset, a disable and a role change delete the account's
sessions in their own transaction (:func:`end_account_sessions`; the session
that changed its own password is kept and moves to the new epoch). Signing
out deletes the row. ``last_seen`` is written at most once per
:data:`TOUCH_EVERY`, so most page views are one primary-key read, not a write.

No audit event: a session is not a change to the record, and the account
changes that end sessions are audited already.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from ..config import get_settings
from ..errors import PermissionDenied, UnknownSession, ValidationFailed
from ..models import User, WebSession, as_utc
from ..permissions import Action, authorize
from .uow import unit_of_work

TOUCH_EVERY = timedelta(minutes=1)
MAX_TOKEN = 200  # token_urlsafe(32) is 43 characters; anything far longer is not ours
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")  # what new_token makes
ENDED = "this session has ended: it was signed out, perhaps in another tab; sign in again"
IDLE = "you were signed out after {hours:g} hours without activity; sign in again"
EXPIRED = "your session is {days:g} days old and has expired; sign in again"
CHANGED = (
    "you were signed out: this account's password, role or access changed "
    "in another session; sign in again"
)


@dataclass(frozen=True)
class SessionAccount:
    """Who a resumed session acts as."""

    name: str
    role: str
    epoch: int
    expires_at: datetime


@dataclass(frozen=True)
class NewSession:
    token: str  # for the browser's cookie only; never stored
    account: SessionAccount


def new_token() -> str:
    """A session token: 256 random bits, URL-safe, for the browser's cookie only."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def start_session(
    *,
    session: Session,
    name: str,
    epoch: int,
    now: datetime | None = None,
    token: str | None = None,
) -> NewSession:
    """A new session for ``name``, who has just signed in at session epoch ``epoch``.

    ``token``, when given, is one the caller made with :func:`new_token` before
    the sign-in (the dashboard puts it in the browser's cookie while the sign-in
    form shows, so signing in needs no second round trip to the browser); it must
    have that shape and belong to no session yet. Without it a new one is made.

    Refused when the account was disabled or its epoch moved on since the
    sign-in was checked (a password or role change in between). Sessions that
    have expired, of any account, are deleted on the way.
    """
    now = _now(now)
    settings = get_settings()
    if token is None:
        token = new_token()
    elif not TOKEN_SHAPE.fullmatch(token):
        raise ValidationFailed("a session token is 43 URL-safe characters made by new_token()")
    with unit_of_work(session):
        if session.get(WebSession, token_hash(token)) is not None:
            raise ValidationFailed("this session token is taken; start the session with a new one")
        user = authorize(session, name, Action.hold_session)
        if user is None or user.id is None:  # a system actor never holds a session
            raise PermissionDenied(f"{name!r} cannot sign in")
        if user.session_epoch != epoch:
            raise PermissionDenied(CHANGED)
        session.execute(
            delete(WebSession).where(
                or_(
                    col(WebSession.expires_at) <= now,
                    col(WebSession.last_seen) <= now - settings.session_idle,
                )
            )
        )
        expires = now + settings.session_max_age
        session.add(
            WebSession(
                token_hash=token_hash(token),
                account_id=user.id,
                epoch=epoch,
                created_at=now,
                last_seen=now,
                expires_at=expires,
            )
        )
        account = SessionAccount(user.name, user.role, epoch, expires)
    return NewSession(token, account)


def resume_session(*, session: Session, token: str, now: datetime | None = None) -> SessionAccount:
    """The account of the live session ``token`` names, else PermissionDenied saying why
    (:class:`~tracker.errors.UnknownSession` when no session has that token).

    A session that has expired, idled out or outlived an account change is
    deleted. ``last_seen`` moves on when it is older than :data:`TOUCH_EVERY`.
    """
    now = _now(now)
    settings = get_settings()
    if not token or len(token) > MAX_TOKEN:
        raise UnknownSession(ENDED)
    key = token_hash(token)
    row = session.exec(
        select(WebSession, User)
        .join(User, col(User.id) == WebSession.account_id)
        .where(WebSession.token_hash == key)
    ).first()
    if row is None:
        raise UnknownSession(ENDED)
    web, user = row
    last_seen = as_utc(web.last_seen) or now
    expires_at = as_utc(web.expires_at) or now
    problem = None
    if now >= expires_at:
        problem = EXPIRED.format(days=settings.session_max_age / timedelta(days=1))
    elif now - last_seen >= settings.session_idle:
        problem = IDLE.format(hours=settings.session_idle / timedelta(hours=1))
    elif not user.active or user.session_epoch != web.epoch:
        problem = CHANGED
    account = SessionAccount(user.name, user.role, web.epoch, expires_at)
    if problem is None and now - last_seen < TOUCH_EVERY:
        return account  # the common case: a read
    with unit_of_work(session):
        if problem is not None:
            session.execute(delete(WebSession).where(col(WebSession.token_hash) == key))
        else:
            authorize(session, user.name, Action.hold_session)
            session.execute(
                update(WebSession)
                .where(col(WebSession.token_hash) == key)
                .values(last_seen=now)
                .execution_options(synchronize_session=False)
            )
    if problem is not None:
        raise PermissionDenied(problem)
    return account


def end_session(*, session: Session, token: str) -> bool:
    """Sign out: delete the session ``token`` names. True when there was one.

    Needs no role: holding the token is what the session is, and giving it up
    must work even for an account disabled meanwhile.
    """
    if not token or len(token) > MAX_TOKEN:
        return False
    with unit_of_work(session):
        result = session.execute(
            delete(WebSession).where(col(WebSession.token_hash) == token_hash(token))
        )
    return bool(getattr(result, "rowcount", 0))


def end_account_sessions(session: Session, user: User, *, keep: str | None = None) -> None:
    """In the caller's unit of work: end every session of ``user`` except ``keep``'s.

    The kept session (the one that changed its own password) moves to the
    account's new epoch, so it carries on.
    """
    kept = token_hash(keep) if keep and len(keep) <= MAX_TOKEN else None
    gone = delete(WebSession).where(col(WebSession.account_id) == user.id)
    if kept:
        gone = gone.where(col(WebSession.token_hash) != kept)
        session.execute(
            update(WebSession)
            .where(col(WebSession.token_hash) == kept, col(WebSession.account_id) == user.id)
            .values(epoch=user.session_epoch)
            .execution_options(synchronize_session=False)
        )
    session.execute(gone)


def count_sessions(*, session: Session, name: str) -> int:
    """How many sessions ``name`` holds (live or not yet cleaned up)."""
    stmt = (
        select(WebSession.token_hash)
        .join(User, col(User.id) == WebSession.account_id)
        .where(User.name == name)
    )
    return len(session.exec(stmt).all())
