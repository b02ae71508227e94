"""Account use cases: add, change role, passwords, sign-in with rate limiting.

Every change to an account is authorised through :mod:`tracker.permissions`
and recorded by :func:`tracker.audit.record_event` in the same transaction.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from ..audit import EventAction, record_event
from ..errors import PermissionDenied, ValidationFailed
from ..models import Role, User, UserPublic
from ..permissions import SYSTEM_ACTORS, Action, authorize, get_user
from ..validation import clean_field, parse_enum
from .uow import unit_of_work

MIN_PASSWORD = 10
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=5)
_hasher = PasswordHasher()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"the password must have at least {MIN_PASSWORD} characters")


def create_user(
    *,
    session: Session,
    name: str,
    role: str,
    actor: str | None,
    password: str | None = None,
    email: str | None = None,
) -> UserPublic:
    """Add an account. Needs an admin, except for the very first account (an admin)."""
    with unit_of_work(session):
        role_value = parse_enum(Role, role, "role")
        first = session.exec(select(User.id)).first() is None
        if first:
            if role_value is not Role.admin:
                raise ValidationFailed("the first account must be an admin (--role admin)")
        else:
            authorize(session, actor or "", Action.manage_users)
        clean = clean_field(User, "name", name, label="account name", multiline=False) or ""
        if (
            clean in SYSTEM_ACTORS
            or not clean.replace("-", "").replace("_", "").replace(".", "").isalnum()
        ):
            raise ValidationFailed(
                f"account name {clean!r} is not allowed; use letters, digits, '.', '-' or '_'"
            )
        if session.exec(select(User.id).where(User.name == clean)).first() is not None:
            raise ValidationFailed(f"account {clean!r} already exists")
        if password is not None:
            _check_password(password)
        mail = clean_field(User, "email", email, required=False, multiline=False)
        user = User(
            name=clean,
            role=role_value.value,
            email=mail.lower() if mail else None,
            password_hash=_hasher.hash(password) if password else None,
        )
        session.add(user)
        session.flush()
        record_event(
            session,
            EventAction.account_added,
            actor=actor or clean,
            account=clean,
            field="role",
            new=role_value.value,
        )
        public = UserPublic.model_validate(user)
    return public


def set_role(*, session: Session, name: str, role: str, actor: str) -> UserPublic:
    with unit_of_work(session):
        authorize(session, actor, Action.manage_users)
        user = get_user(session, name)
        old = user.role
        user.role = parse_enum(Role, role, "role").value
        session.add(user)
        record_event(
            session,
            EventAction.role_changed,
            actor=actor,
            account=user.name,
            field="role",
            old=old,
            new=user.role,
        )
        public = UserPublic.model_validate(user)
    return public


def set_password(*, session: Session, name: str, password: str, actor: str) -> None:
    with unit_of_work(session):
        authorize(
            session, actor, Action.change_own_password if actor == name else Action.manage_users
        )
        _check_password(password)
        user = get_user(session, name)
        user.password_hash = _hasher.hash(password)
        user.failed_logins, user.locked_until = 0, None
        session.add(user)
        record_event(
            session,
            EventAction.password_changed if actor == name else EventAction.password_reset,
            actor=actor,
            account=user.name,
        )


def list_users(*, session: Session) -> list[UserPublic]:
    users = session.exec(select(User).order_by(col(User.name))).all()
    return [UserPublic.model_validate(u) for u in users]


def authenticate(
    *, session: Session, name: str, password: str, now: datetime | None = None
) -> UserPublic:
    """Check a password. After 5 failures the account is locked for 5 minutes."""
    now = now or datetime.now(UTC)
    generic = PermissionDenied("wrong name or password")
    failed: PermissionDenied | None = None
    with unit_of_work(session):
        user = session.exec(select(User).where(User.name == (name or "").strip())).first()
        if user is None or not user.active or not user.password_hash:
            _hasher.hash("timing-equaliser")  # same work whether or not the account exists
            raise generic
        locked = user.locked_until and (
            user.locked_until if user.locked_until.tzinfo else user.locked_until.replace(tzinfo=UTC)
        )
        if locked and locked > now:
            raise PermissionDenied(f"too many failed sign-ins; try again after {locked:%H:%M} UTC")
        try:
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILURES:
                user.locked_until, user.failed_logins = now + LOCKOUT, 0
            session.add(user)
            failed = generic  # commit the count, then refuse
        else:
            user.failed_logins, user.locked_until = 0, None
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            session.add(user)
        public = UserPublic.model_validate(user)
    if failed is not None:
        raise failed
    return public


def user_by_email(*, session: Session, email: str) -> UserPublic:
    """The active account for an OIDC e-mail address."""
    user = session.exec(select(User).where(User.email == (email or "").strip().lower())).first()
    if user is None or not user.active:
        raise PermissionDenied(f"no active account for {email}; ask an admin to add one")
    return UserPublic.model_validate(user)


def new_password() -> str:
    return secrets.token_urlsafe(12)
