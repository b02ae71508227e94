"""Accounts, roles and what each role may do; password sign-in with rate limiting.

Roles are ordered: viewer < reviewer < editor < admin; a role may do all that
the roles below it may. Every write in :mod:`tracker.services` calls
:func:`authorize` first, so the CLI and the dashboard are held to the same
rules. A few system actors (the seed loader, the link checker, the archiver)
are not accounts and cannot be used with ``--by``.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from .errors import NotFound, PermissionDenied, ValidationFailed
from .models import Role, User, UserPublic
from .validation import clean_text, parse_enum

RANK = {Role.viewer: 0, Role.reviewer: 1, Role.editor: 2, Role.admin: 3}
PERMISSIONS: dict[str, Role] = {
    "review": Role.reviewer,
    "add_source": Role.reviewer,
    "add_note": Role.reviewer,
    "assign_self": Role.reviewer,
    "promote": Role.reviewer,
    "reopen_verdict": Role.editor,
    "confirm": Role.editor,
    "assign_other": Role.editor,
    "edit_claim": Role.editor,
    "import_claims": Role.editor,
    "import_article": Role.editor,
    "manage_users": Role.admin,
}
DESCRIPTIONS = {
    "review": "review claims",
    "add_source": "add sources",
    "add_note": "add notes",
    "assign_self": "take claims",
    "promote": "promote candidates",
    "reopen_verdict": "change a claim that has a verdict",
    "confirm": "confirm verdicts",
    "assign_other": "assign claims to others",
    "edit_claim": "edit claims",
    "import_claims": "import claims",
    "import_article": "import articles",
    "manage_users": "manage accounts",
}
SYSTEM_ACTORS = frozenset({"seed", "linkcheck", "archive", "system"})
MIN_PASSWORD = 10
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=5)
_hasher = PasswordHasher()


def get_user(session: Session, name: str) -> User:
    user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        raise NotFound(f"no account named {name!r}; an admin can add it with `tracker users add`")
    return user


def authorize(session: Session, actor: str, action: str) -> User:
    """The active account ``actor`` if its role allows ``action``, else PermissionDenied."""
    needed = PERMISSIONS[action]
    if actor in SYSTEM_ACTORS:
        raise PermissionDenied(f"{actor!r} is a system actor, not an account")
    user = get_user(session, actor)
    if not user.active:
        raise PermissionDenied(f"account {actor!r} is disabled")
    if RANK[Role(user.role)] < RANK[needed]:
        raise PermissionDenied(
            f"{actor} ({user.role}) may not {DESCRIPTIONS[action]}; that needs the "
            f"{needed.value} role or higher"
        )
    return user


def can(user_role: str | None, action: str) -> bool:
    """For showing or hiding controls only; the services check again."""
    return user_role is not None and RANK[Role(user_role)] >= RANK[PERMISSIONS[action]]


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
    role_value = parse_enum(Role, role, "role")
    first = session.exec(select(User.id)).first() is None
    if first:
        if role_value is not Role.admin:
            raise ValidationFailed("the first account must be an admin (--role admin)")
    else:
        authorize(session, actor or "", "manage_users")
    clean = clean_text(name, "name", max_chars=100, multiline=False) or ""
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
    user = User(
        name=clean,
        role=role_value.value,
        email=(
            clean_text(email, "email", max_chars=320, required=False, multiline=False) or ""
        ).lower()
        or None,
        password_hash=_hasher.hash(password) if password else None,
    )
    session.add(user)
    session.commit()
    return UserPublic.model_validate(user)


def set_role(*, session: Session, name: str, role: str, actor: str) -> UserPublic:
    authorize(session, actor, "manage_users")
    user = get_user(session, name)
    user.role = parse_enum(Role, role, "role").value
    session.add(user)
    session.commit()
    return UserPublic.model_validate(user)


def set_password(*, session: Session, name: str, password: str, actor: str) -> None:
    if actor != name:
        authorize(session, actor, "manage_users")
    _check_password(password)
    user = get_user(session, name)
    user.password_hash = _hasher.hash(password)
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    session.commit()


def list_users(*, session: Session) -> list[UserPublic]:
    users = session.exec(select(User).order_by(col(User.name))).all()
    return [UserPublic.model_validate(u) for u in users]


def authenticate(
    *, session: Session, name: str, password: str, now: datetime | None = None
) -> UserPublic:
    """Check a password. After 5 failures the account is locked for 5 minutes."""
    now = now or datetime.now(UTC)
    generic = PermissionDenied("wrong name or password")
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
        session.commit()
        raise generic from None
    user.failed_logins, user.locked_until = 0, None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.add(user)
    session.commit()
    return UserPublic.model_validate(user)


def user_by_email(*, session: Session, email: str) -> UserPublic:
    """The active account for an OIDC e-mail address."""
    user = session.exec(select(User).where(User.email == (email or "").strip().lower())).first()
    if user is None or not user.active:
        raise PermissionDenied(f"no active account for {email}; ask an admin to add one")
    return UserPublic.model_validate(user)


def new_password() -> str:
    return secrets.token_urlsafe(12)
