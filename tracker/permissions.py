"""Who may do what: one table of actions, each with the least role that may do it.

Roles are ordered ``viewer < reviewer < editor < admin``; a role may do all
that the roles below it may. Every use case in :mod:`tracker.services` calls
:func:`authorize` with one :class:`Action` before it reads or fetches anything
on the actor's behalf, so the CLI, the dashboard and every importer are held
to the same table. The dashboard may call :func:`can` to hide controls, never
instead of the services' check.

System actors (the seed loader) are not accounts: they cannot sign in, cannot
be named with ``--by``, and may do only the actions listed for them here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from sqlmodel import Session, select

from .errors import NotFound, PermissionDenied
from .models import Role, User

RANK = MappingProxyType({Role.viewer: 0, Role.reviewer: 1, Role.editor: 2, Role.admin: 3})


class Action(StrEnum):
    """Everything that changes the record or reaches out of the building."""

    review = "review"
    add_source = "add_source"
    add_note = "add_note"
    assign_self = "assign_self"
    promote = "promote"
    check_links = "check_links"
    archive_sources = "archive_sources"
    reopen_verdict = "reopen_verdict"
    confirm = "confirm"
    assign_other = "assign_other"
    edit_claim = "edit_claim"
    import_claims = "import_claims"
    import_article = "import_article"
    rate = "rate"
    move_quote = "move_quote"
    dismiss_lost_quote = "dismiss_lost_quote"
    manage_users = "manage_users"
    change_own_password = "change_own_password"  # noqa: S105 (an action name)
    seed = "seed"
    restore_database = "restore_database"
    copy_database = "copy_database"
    import_references = "import_references"
    refresh_matches = "refresh_matches"
    hold_session = "hold_session"


@dataclass(frozen=True)
class Permission:
    least: Role
    description: str  # completes "NAME (role) may not ..."


PERMISSIONS: MappingProxyType[Action, Permission] = MappingProxyType(
    {
        Action.review: Permission(Role.reviewer, "review claims"),
        Action.add_source: Permission(Role.reviewer, "add sources"),
        Action.add_note: Permission(Role.reviewer, "add notes"),
        Action.assign_self: Permission(Role.reviewer, "take claims"),
        Action.promote: Permission(Role.reviewer, "promote candidates"),
        Action.check_links: Permission(Role.reviewer, "check source links (outbound requests)"),
        Action.archive_sources: Permission(
            Role.reviewer, "look up archived copies (outbound requests)"
        ),
        Action.reopen_verdict: Permission(Role.editor, "change a claim that has a verdict"),
        Action.confirm: Permission(Role.editor, "confirm verdicts"),
        Action.assign_other: Permission(Role.editor, "assign claims to others"),
        Action.edit_claim: Permission(Role.editor, "edit claims"),
        Action.import_claims: Permission(Role.editor, "import claims"),
        Action.import_article: Permission(Role.editor, "import articles"),
        Action.rate: Permission(Role.editor, "rate claims and write verdict summaries"),
        Action.move_quote: Permission(
            Role.editor, "move a claim whose quote was lost to a sentence of the current text"
        ),
        Action.dismiss_lost_quote: Permission(
            Role.editor, "dismiss a claim whose quote is no longer in its article"
        ),
        Action.manage_users: Permission(Role.admin, "manage accounts"),
        Action.change_own_password: Permission(Role.viewer, "change their own password"),
        Action.seed: Permission(Role.admin, "load the seed articles"),
        Action.restore_database: Permission(Role.admin, "restore a database from a JSON dump"),
        Action.copy_database: Permission(Role.admin, "copy the whole database"),
        Action.import_references: Permission(Role.editor, "import published fact-checks"),
        Action.refresh_matches: Permission(
            Role.viewer, "refresh the stored claim vectors and best matches"
        ),
        Action.hold_session: Permission(Role.viewer, "stay signed in to the dashboard"),
    }
)

# System actors and the only actions each may take.
SYSTEM_ACTORS: MappingProxyType[str, frozenset[Action]] = MappingProxyType(
    {
        "seed": frozenset({Action.seed}),
        "system": frozenset(),
        "linkcheck": frozenset(),
        "archive": frozenset(),
        "matching": frozenset({Action.refresh_matches}),
        "worker": frozenset({Action.refresh_matches, Action.check_links}),
    }
)

_CACHE_KEY = "tracker.authorized"


def get_user(session: Session, name: str) -> User:
    user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        raise NotFound(f"no account named {name!r}; an admin can add it with `tracker users add`")
    return user


def authorize(session: Session, actor: str, action: Action) -> User | None:
    """The active account ``actor`` if its role allows ``action``, else PermissionDenied.

    Returns None for a system actor allowed ``action``. The account is read
    once per transaction (an import checks thousands of rows).
    """
    needed = PERMISSIONS[action]
    if actor in SYSTEM_ACTORS:
        if action in SYSTEM_ACTORS[actor]:
            return None
        raise PermissionDenied(f"{actor!r} is a system actor, not an account")
    if not actor:
        raise PermissionDenied(
            f"to {needed.description} name the acting account (--by NAME in the CLI)"
        )
    cache: dict[str, User] = session.info.setdefault(_CACHE_KEY, {})
    user = cache.get(actor)
    if user is None:
        user = get_user(session, actor)
        cache[actor] = user
    if not user.active:
        raise PermissionDenied(f"account {actor!r} is disabled")
    if RANK[Role(user.role)] < RANK[needed.least]:
        raise PermissionDenied(
            f"{actor} ({user.role}) may not {needed.description}; that needs the "
            f"{needed.least.value} role or higher"
        )
    return user


def forget_authorized(session: Session) -> None:
    """Drop the per-transaction account cache (called when a transaction ends)."""
    session.info.pop(_CACHE_KEY, None)


def can(role: str | None, action: Action | str) -> bool:
    """For showing or hiding controls only; the services check again."""
    if role is None:
        return False
    return RANK[Role(role)] >= RANK[PERMISSIONS[Action(action)].least]
