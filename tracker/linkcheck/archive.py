"""The Internet Archive's Wayback Machine: find a snapshot, optionally request one.

Both calls take an ``httpx.Client`` so tests can give them an
``httpx.MockTransport``. These are fixed, trusted hosts, so they do not go
through the link checker's address guard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from ..errors import TrackerError
from ..validation import is_http_url

AVAILABILITY_API = "https://archive.org/wayback/available"
SAVE_API = "https://web.archive.org/save"


class WaybackError(TrackerError):
    """The Wayback Machine did not give a usable answer."""


@dataclass(frozen=True)
class Snapshot:
    url: str
    timestamp: datetime
    status: str | None


def wayback_timestamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def closest_snapshot(client: httpx.Client, url: str, at: datetime) -> Snapshot | None:
    """The archived snapshot closest to ``at``, or None when there is none."""
    try:
        response = client.get(
            AVAILABILITY_API, params={"url": url, "timestamp": wayback_timestamp(at)}
        )
    except httpx.HTTPError as exc:
        raise WaybackError(f"Wayback availability API unreachable: {exc}") from exc
    if response.status_code != 200:
        raise WaybackError(f"Wayback availability API answered HTTP {response.status_code}")
    try:
        payload: Any = response.json()
    except ValueError:
        raise WaybackError(
            "Wayback availability API answered with something that is not JSON"
        ) from None
    snapshots = payload.get("archived_snapshots") if isinstance(payload, dict) else None
    if not isinstance(snapshots, dict):
        raise WaybackError("Wayback availability API answer has no 'archived_snapshots' object")
    closest = snapshots.get("closest")
    if closest is None:
        return None
    if not isinstance(closest, dict):
        raise WaybackError("Wayback availability API answer has a malformed 'closest' entry")
    if not closest.get("available", False):
        return None
    snap_url, stamp = closest.get("url"), closest.get("timestamp")
    if not isinstance(snap_url, str) or not is_http_url(snap_url):
        raise WaybackError(f"Wayback snapshot URL {snap_url!r} is not an http(s) URL")
    try:
        taken = datetime.strptime(str(stamp), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        raise WaybackError(f"Wayback snapshot timestamp {stamp!r} is malformed") from None
    status = closest.get("status")
    return Snapshot(url=snap_url, timestamp=taken, status=str(status) if status else None)


def request_capture(client: httpx.Client, url: str, access_key: str, secret: str) -> str:
    """Ask Save Page Now for a fresh capture; returns its job id (or the reply's message)."""
    try:
        response = client.post(
            SAVE_API,
            data={"url": url},
            headers={"Accept": "application/json", "Authorization": f"LOW {access_key}:{secret}"},
        )
    except httpx.HTTPError as exc:
        raise WaybackError(f"Save Page Now unreachable: {exc}") from exc
    if response.status_code >= 400:
        raise WaybackError(f"Save Page Now answered HTTP {response.status_code}")
    try:
        payload = response.json()
    except ValueError:
        raise WaybackError("Save Page Now answered with something that is not JSON") from None
    if not isinstance(payload, dict):
        raise WaybackError("Save Page Now answered with an unexpected shape")
    return str(payload.get("job_id") or payload.get("message") or "requested")
