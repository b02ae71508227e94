"""Settings read from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB_FILE = "tracker.db"


@dataclass(frozen=True)
class Settings:
    database_url: str
    http_timeout: float
    user_agent: str


def default_database_url(cwd: Path | None = None) -> str:
    path = (cwd or Path.cwd()) / DEFAULT_DB_FILE
    return f"sqlite:///{path}"


def get_settings(database_url: str | None = None) -> Settings:
    """Settings from the environment; an explicit ``database_url`` wins."""
    return Settings(
        database_url=database_url
        or os.environ.get("TRACKER_DATABASE_URL")
        or default_database_url(),
        http_timeout=float(os.environ.get("TRACKER_HTTP_TIMEOUT", "10")),
        user_agent=os.environ.get(
            "TRACKER_USER_AGENT", "tracker-factcheck/0.1 (+https://example.org/tracker)"
        ),
    )
