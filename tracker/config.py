"""Settings read from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import ValidationFailed

DEFAULT_DB_FILE = "tracker.db"
DEFAULT_SQLITE_BUSY_TIMEOUT = 30.0


@dataclass(frozen=True)
class Settings:
    database_url: str
    http_timeout: float
    user_agent: str
    # Seconds a SQLite writer waits for another writer's lock before giving up.
    sqlite_busy_timeout: float = DEFAULT_SQLITE_BUSY_TIMEOUT


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
    )


def _seconds(name: str, default: float, *, low: float = 0.0) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not low <= value <= 86_400:  # also refuses nan and inf
        raise ValidationFailed(f"{name}={raw!r} is not a number of seconds from {low:g} to 86400")
    return value
