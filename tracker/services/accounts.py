"""Account use cases: add, role, passwords, disable/enable/unlock, and sign-in.

Every change to an account is authorised through :mod:`tracker.permissions`
and recorded by :func:`tracker.audit.record_event` in the same transaction.

Sign-in is throttled per *name typed*, whether or not an account has that name
(table ``signin_attempt``), so the answers for unknown and known names are
the same: the same messages, the same lock, the same Argon2 work. An attempt
is counted *before* the password is checked, by one atomic
``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` (SQLite 3.35+ and
PostgreSQL), which also reads the lock. Parallel attempts therefore cannot all
pass the check: at most :data:`MAX_FAILURES` passwords are verified before a
name locks for :data:`LOCKOUT`, and no transaction is open while Argon2 runs.

A password change, a disable and a role change bump the account's
``session_epoch`` and end its dashboard sessions (:mod:`.sessions`); the
dashboard signs out browser sessions of an older epoch at their next rerun.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, case, delete, literal, null
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.types import DateTime
from sqlmodel import Session, col, select

from ..audit import EventAction, record_event
from ..errors import PermissionDenied, RuleViolation, TrackerError, ValidationFailed
from ..models import Role, SignInAttempt, User, UserPublic, as_utc
from ..permissions import SYSTEM_ACTORS, Action, authorize, get_user
from ..validation import clean_field, parse_enum
from .sessions import end_account_sessions
from .uow import unit_of_work

MIN_PASSWORD = 10
_NAME = re.compile(r"[A-Za-z0-9._-]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=5)
FORGET_FAILURES_AFTER = timedelta(days=1)  # a name's count is dropped after a quiet day
WRONG = "wrong name or password"
NEEDS_AN_ADMIN = "accounts exist already, so adding one needs an admin: add --by ADMIN"
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
            if not actor:
                raise PermissionDenied(NEEDS_AN_ADMIN)
            authorize(session, actor, Action.manage_users)
        clean = clean_field(User, "name", name, label="account name", multiline=False) or ""
        key = _throttle_key(clean)
        if key in {_throttle_key(s) for s in SYSTEM_ACTORS} or not _NAME.fullmatch(clean):
            raise ValidationFailed(
                f"account name {clean!r} is not allowed; use ASCII letters, digits, '.', '-' "
                "or '_' (and not a system name)"
            )
        # "Ed" and "ed" would be two accounts to the audit trail but one to a reader.
        for existing in session.exec(select(User.name)):
            if _throttle_key(existing) == key:
                raise ValidationFailed(
                    f"account {clean!r} already exists"
                    + (f" (as {existing!r})" if existing != clean else "")
                )
        if password is not None:
            _check_password(password)
        mail = clean_field(User, "email", email, required=False, multiline=False)
        if mail and not _EMAIL.fullmatch(mail):
            raise ValidationFailed(f"e-mail {mail!r} is not an address like name@example.org")
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


def _lock_for_admin_change(session: Session, name: str) -> tuple[User, int]:
    """The account ``name`` and how many *other* active admins there are, both locked.

    The active admins' rows are locked first, in id order, then the target
    (``FOR UPDATE`` on PostgreSQL; SQLite's write transaction already holds the
    database), so two admins demoting or disabling each other at once are
    serialised: the second sees the first's change and is refused.
    """
    admins = session.exec(
        select(User.id)
        .where(User.role == Role.admin.value, col(User.active).is_(True))
        .order_by(col(User.id))
        .with_for_update()
    ).all()
    user = session.exec(
        select(User)
        .where(User.name == name)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if user is None:
        get_user(session, name)  # raises NotFound with the usual hint
        raise AssertionError("unreachable")  # pragma: no cover
    return user, len([i for i in admins if i != user.id])


def _keep_an_admin(user: User, other_admins: int, doing: str) -> None:
    if user.role == Role.admin.value and user.active and other_admins == 0:
        raise RuleViolation(
            f"{user.name} is the last active admin and cannot be {doing}; "
            "make another account admin first"
        )


def set_role(*, session: Session, name: str, role: str, actor: str) -> UserPublic:
    """Change an account's role. The last active admin keeps the admin role."""
    with unit_of_work(session):
        authorize(session, actor, Action.manage_users)
        new = parse_enum(Role, role, "role").value
        user, other_admins = _lock_for_admin_change(session, name)
        old = user.role
        if new != old:
            if new != Role.admin.value:
                _keep_an_admin(user, other_admins, "demoted")
            user.role = new
            user.session_epoch += 1  # sessions signed in with the old role end
            session.add(user)
            end_account_sessions(session, user)
            record_event(
                session,
                EventAction.role_changed,
                actor=actor,
                account=user.name,
                field="role",
                old=old,
                new=new,
            )
        public = UserPublic.model_validate(user)
    return public


def set_password(
    *,
    session: Session,
    name: str,
    password: str,
    actor: str,
    current: str | None = None,
    now: datetime | None = None,
    keep_session: str | None = None,
) -> UserPublic:
    """Set ``name``'s password to a chosen one.

    Changing your own needs your current password, checked like a sign-in
    (the same throttle); an admin may set another account's without it. The
    account's dashboard sessions end, except ``keep_session`` (the token of
    the session changing its own password), which carries on.
    """
    own = actor == name
    if own:
        if not current:
            raise ValidationFailed("give your current password to change it")
        _check_password(password)
        authorize(session, actor, Action.change_own_password)  # a disabled account stops here
        try:
            authenticate(session=session, name=name, password=current, now=now)
        except PermissionDenied as exc:
            reason = str(exc) if str(exc) != WRONG else "the current password is not right"
            raise PermissionDenied(f"{reason}; the password was not changed") from None
    with unit_of_work(session):
        authorize(session, actor, Action.change_own_password if own else Action.manage_users)
        _check_password(password)
        user = get_user(session, name)
        user.password_hash = _hasher.hash(password)
        user.session_epoch += 1
        session.add(user)
        end_account_sessions(session, user, keep=keep_session if own else None)
        _clear_attempts(session, user.name)
        record_event(
            session,
            EventAction.password_changed,
            actor=actor,
            account=user.name,
            detail=None if own else "set by an admin",
        )
        public = UserPublic.model_validate(user)
    return public


def reset_password(*, session: Session, name: str, actor: str) -> str:
    """Give ``name`` a new random password and return it (to be shown once).

    The account's dashboard sessions end and its sign-in lock is lifted.
    """
    with unit_of_work(session):
        authorize(session, actor, Action.manage_users)
        user = get_user(session, name)
        password = new_password()
        user.password_hash = _hasher.hash(password)
        user.session_epoch += 1
        session.add(user)
        end_account_sessions(session, user)
        _clear_attempts(session, user.name)
        record_event(session, EventAction.password_reset, actor=actor, account=user.name)
    return password


def disable_user(*, session: Session, name: str, actor: str) -> UserPublic:
    """Disable an account: no sign-in, no ``--by``, its sessions end. Not the last admin."""
    with unit_of_work(session):
        authorize(session, actor, Action.manage_users)
        user, other_admins = _lock_for_admin_change(session, name)
        if not user.active:
            raise ValidationFailed(f"account {user.name!r} is already disabled")
        _keep_an_admin(user, other_admins, "disabled")
        user.active = False
        user.session_epoch += 1
        session.add(user)
        end_account_sessions(session, user)
        record_event(
            session,
            EventAction.account_disabled,
            actor=actor,
            account=user.name,
            field="active",
            old=True,
            new=False,
        )
        public = UserPublic.model_validate(user)
    return public


def enable_user(*, session: Session, name: str, actor: str) -> UserPublic:
    with unit_of_work(session):
        authorize(session, actor, Action.manage_users)
        user = get_user(session, name)
        if user.active:
            raise ValidationFailed(f"account {user.name!r} is not disabled")
        user.active = True
        session.add(user)
        record_event(
            session,
            EventAction.account_enabled,
            actor=actor,
            account=user.name,
            field="active",
            old=False,
            new=True,
        )
        public = UserPublic.model_validate(user)
    return public


def unlock_user(*, session: Session, name: str, actor: str) -> UserPublic:
    """Forget the failed sign-ins of ``name``, lifting a lock before it expires."""
    with unit_of_work(session):
        authorize(session, actor, Action.manage_users)
        user = get_user(session, name)
        attempt = session.get(SignInAttempt, _throttle_key(user.name))
        locked = as_utc(attempt.locked_until) if attempt else None
        _clear_attempts(session, user.name)
        record_event(
            session,
            EventAction.account_unlocked,
            actor=actor,
            account=user.name,
            field="locked_until",
            old=f"{locked:%Y-%m-%d %H:%M} UTC" if locked else None,
            detail=f"{attempt.failures} failed sign-in(s) forgotten" if attempt else None,
        )
        public = UserPublic.model_validate(user)
    return public


def list_users(*, session: Session) -> list[UserPublic]:
    users = session.exec(select(User).order_by(col(User.name))).all()
    return [UserPublic.model_validate(u) for u in users]


def session_epoch(*, session: Session, name: str) -> int | None:
    """The account's session epoch, or None when it is gone or disabled."""
    row = session.exec(select(User.session_epoch, User.active).where(User.name == name)).first()
    if row is None or not row[1]:
        return None
    return int(row[0])


# --- sign-in -----------------------------------------------------------------


def _throttle_key(name: str) -> str:
    """What failures are counted under: the name as typed, normalised."""
    key = unicodedata.normalize("NFKC", (name or "").strip()).casefold()
    if len(key) > 100 or not key.isprintable():
        # Account names are short and printable, so this never meets one (no ':').
        key = "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return key


def _clear_attempts(session: Session, name: str) -> None:
    session.execute(delete(SignInAttempt).where(col(SignInAttempt.key) == _throttle_key(name)))


def _count_attempt(session: Session, key: str, now: datetime) -> tuple[int, datetime | None]:
    """Count one attempt for ``key`` atomically; return (attempts, locked_until) after it.

    An expired lock starts a fresh count. The attempt that reaches
    MAX_FAILURES sets the lock (a correct password then lifts it again); later
    ones only count, and the caller refuses them without checking.
    """
    session.execute(
        delete(SignInAttempt).where(col(SignInAttempt.updated_at) < now - FORGET_FAILURES_AFTER)
    )
    table: Any = SignInAttempt.__table__  # type: ignore[attr-defined]
    failures, locked_until = table.c.failures, table.c.locked_until
    until = literal(now + LOCKOUT, DateTime(timezone=True))
    expired = and_(locked_until.is_not(None), locked_until <= now)
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(
            key=key,
            failures=1,
            locked_until=now + LOCKOUT if MAX_FAILURES <= 1 else None,
            updated_at=now,
        )
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": case((expired, 1), else_=failures + 1),
                "locked_until": case(
                    (expired, null()),
                    (failures + 1 == MAX_FAILURES, until),
                    else_=locked_until,
                ),
                "updated_at": now,
            },
        )
        .returning(failures, locked_until)
    )
    row = session.execute(statement).one()
    return int(row[0]), as_utc(row[1])


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(stored: str | None, password: str) -> bool:
    """Argon2 verification; the same work when there is no account to check."""
    try:
        _hasher.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError, UnicodeError):
        return False
    return stored is not None


def authenticate(
    *, session: Session, name: str, password: str, now: datetime | None = None
) -> UserPublic:
    """Check a name and password (rate-limited per name typed; see the module docstring).

    Refuses with "wrong name or password" or, from the sixth attempt in a row,
    "too many failed sign-ins" for 5 minutes, alike for unknown, disabled
    and password-less names. A busy or unreachable database is a one-line
    TrackerError, never a traceback.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        return _authenticate(session, (name or "").strip(), password or "", now)
    except OperationalError as exc:
        reason = (str(exc.orig or exc).strip().splitlines() or ["no detail"])[0]
        raise TrackerError(
            f"sign-in could not be checked, the database is busy ({reason}); try again shortly"
        ) from exc


def _authenticate(session: Session, name: str, password: str, now: datetime) -> UserPublic:
    key = _throttle_key(name)
    stored: str | None = None
    with unit_of_work(session):
        attempts, locked = _count_attempt(session, key, now)
        if attempts <= MAX_FAILURES and 0 < len(name) <= 100 and name.isprintable():
            user = session.exec(select(User).where(User.name == name)).first()
            if user is not None and user.active and user.password_hash:
                stored = user.password_hash
    if attempts > MAX_FAILURES:
        when = locked or now + LOCKOUT
        raise PermissionDenied(f"too many failed sign-ins; try again after {when:%H:%M} UTC")
    # No transaction is open while Argon2 works: parallel sign-ins do not queue on it.
    if not _verify(stored, password) or stored is None:
        raise PermissionDenied(WRONG)  # the attempt is already counted
    with unit_of_work(session):
        user = session.exec(
            select(User).where(User.name == name).execution_options(populate_existing=True)
        ).first()
        if user is None or not user.active or user.password_hash != stored:
            raise PermissionDenied(WRONG)  # changed while we checked
        session.execute(delete(SignInAttempt).where(col(SignInAttempt.key) == key))
        if _hasher.check_needs_rehash(stored):
            user.password_hash = _hasher.hash(password)
            session.add(user)
        public = UserPublic.model_validate(user)
    return public


def user_by_email(*, session: Session, email: str) -> UserPublic:
    """The active account for an OIDC e-mail address."""
    user = session.exec(select(User).where(User.email == (email or "").strip().lower())).first()
    if user is None or not user.active:
        raise PermissionDenied(f"no active account for {email}; ask an admin to add one")
    return UserPublic.model_validate(user)


def new_password() -> str:
    return secrets.token_urlsafe(12)
