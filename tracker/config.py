"""Settings read from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from .errors import ValidationFailed

DEFAULT_DB_FILE = "tracker.db"
DEFAULT_SQLITE_BUSY_TIMEOUT = 30.0
# The desk's published rating scale, worst to best (#13). Unverifiable is outside it.
DEFAULT_RATING_SCALE = ("False", "Mostly false", "Misleading / Half true", "Mostly true", "True")
UNVERIFIABLE = "Unverifiable"
RATING_MAX_CHARS = 60
# Dashboard sessions (#11): signed out after this long without a page view, and
# after this long at most, however active.
DEFAULT_SESSION_IDLE_HOURS = 12.0
DEFAULT_SESSION_MAX_DAYS = 7.0


@dataclass(frozen=True)
class Settings:
    database_url: str
    http_timeout: float
    user_agent: str
    # Seconds a SQLite writer waits for another writer's lock before giving up.
    sqlite_busy_timeout: float = DEFAULT_SQLITE_BUSY_TIMEOUT
    # KiB of page cache per SQLite connection (None: SQLite's default, 2 MiB); a
    # large import spills its pages to the WAL once its changes outgrow it.
    sqlite_cache_kib: int | None = None
    # Publishing (#13): the rating scale, who publishes, and where reports live.
    rating_scale: tuple[str, ...] = DEFAULT_RATING_SCALE
    org_name: str | None = None
    org_url: str | None = None
    report_base_url: str | None = None
    # Dashboard sessions (#11): idle and absolute lifetime.
    session_idle: timedelta = timedelta(hours=DEFAULT_SESSION_IDLE_HOURS)
    session_max_age: timedelta = timedelta(days=DEFAULT_SESSION_MAX_DAYS)


def default_database_url(cwd: Path | None = None) -> str:
    path = (cwd or Path.cwd()) / DEFAULT_DB_FILE
    return f"sqlite:///{path}"


def get_settings(database_url: str | None = None) -> Settings:
    """Settings from the environment; an explicit ``database_url`` wins."""
    return Settings(
        database_url=database_url
        or os.environ.get("TRACKER_DATABASE_URL")
        or default_database_url(),
        http_timeout=_seconds("TRACKER_HTTP_TIMEOUT", 10.0, low=0.001),
        user_agent=os.environ.get(
            "TRACKER_USER_AGENT", "tracker-factcheck/0.1 (+https://example.org/tracker)"
        ),
        sqlite_busy_timeout=_seconds("TRACKER_SQLITE_BUSY_TIMEOUT", DEFAULT_SQLITE_BUSY_TIMEOUT),
        sqlite_cache_kib=_kib("TRACKER_SQLITE_CACHE_KIB"),
        rating_scale=rating_scale(os.environ.get("TRACKER_RATING_SCALE")),
        org_name=os.environ.get("TRACKER_ORG_NAME", "").strip() or None,
        org_url=os.environ.get("TRACKER_ORG_URL", "").strip() or None,
        report_base_url=os.environ.get("TRACKER_REPORT_BASE_URL", "").strip() or None,
        session_idle=timedelta(
            hours=_number(
                "TRACKER_SESSION_IDLE_HOURS",
                DEFAULT_SESSION_IDLE_HOURS,
                0.01,
                8760,
                unit="number of hours",
            )
        ),
        session_max_age=timedelta(
            days=_number(
                "TRACKER_SESSION_MAX_DAYS",
                DEFAULT_SESSION_MAX_DAYS,
                0.001,
                365,
                unit="number of days",
            )
        ),
    )


def rating_scale(raw: str | None) -> tuple[str, ...]:
    """The labels of ``TRACKER_RATING_SCALE`` ("False|Mostly false|...|True", worst first).

    Unset or blank means :data:`DEFAULT_RATING_SCALE`. Two to ten distinct
    labels of at most 60 characters; "Unverifiable" is always available and
    is never on the scale.
    """
    if raw is None or not raw.strip():
        return DEFAULT_RATING_SCALE
    labels = tuple(" ".join(part.split()) for part in raw.split("|"))
    problem = None
    folded = [label.casefold() for label in labels]
    if not 2 <= len(labels) <= 10:
        problem = f"has {len(labels)} label(s); give 2 to 10, worst first, separated by |"
    elif "" in labels:
        problem = "has an empty label"
    elif len(set(folded)) != len(folded):
        problem = "repeats a label"
    elif UNVERIFIABLE.casefold() in folded:
        problem = f"lists {UNVERIFIABLE!r}, which is always available outside the scale"
    elif any(len(label) > RATING_MAX_CHARS for label in labels):
        problem = f"has a label longer than {RATING_MAX_CHARS} characters"
    if problem:
        raise ValidationFailed(f"TRACKER_RATING_SCALE={raw!r} {problem}")
    return labels


def _seconds(name: str, default: float, *, low: float = 0.0) -> float:
    return _number(name, default, low, 86_400, unit="number of seconds")


def _number(name: str, default: float, low: float, high: float, *, unit: str = "number") -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not low <= value <= high:  # also refuses nan and inf
        raise ValidationFailed(f"{name}={raw!r} is not a {unit} from {low:g} to {high:g}")
    return value


def _kib(name: str) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 64 <= int(raw) <= 16 * 1024 * 1024:
        raise ValidationFailed(f"{name}={raw!r} is not a number of KiB from 64 to 16777216")
    return int(raw)
