"""The dashboard's only contact with the database, and the only place with caches.

The engine is created once per process (``st.cache_resource``). List, count,
overview and article reads are cached (``st.cache_data``) under the
database's change marker of their topic (:func:`tracker.queries.change_markers`,
bumped by every write's unit of work): a write to claims makes the next rerun
read claims again, in this replica and in every other one on the same
database, and leaves the cached articles alone. The claim a reviewer is acting
on is always read fresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tracker import db, queries
from tracker.config import get_settings
from tracker.errors import SchemaMismatch
from tracker.intake import consistency
from tracker.interchange import csv_export as exporters
from tracker.models import ArticlePublic, ChangeTopic, ClaimPublic

T = TypeVar("T")
READ_TTL = 600  # seconds; a change makes a new key at once (change markers), this bounds memory
MAX_ENTRIES = 256


def database_url() -> str:
    return get_settings().database_url


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return db.make_engine(url)  # never migrated here: `tracker init` does (see schema_problem)


@st.cache_resource(show_spinner=False)
def _current_schemas() -> set[str]:
    return set()  # the URLs whose schema was found current (a schema does not go back)


def schema_problem() -> str | None:
    """Why this database cannot be served (its schema is not this tracker's), or None.

    The dashboard never migrates: several replicas may start at once, and a
    page request is no place for a schema change. Checked until it passes, so
    the page works at the next reload after ``tracker init``.
    """
    url = database_url()
    if url in _current_schemas():
        return None
    try:
        db.check_schema(engine())
    except SchemaMismatch as exc:
        return str(exc)
    _current_schemas().add(url)
    return None


def engine() -> Engine:
    return _engine(database_url())


@contextmanager
def session() -> Iterator[Session]:
    with Session(engine(), expire_on_commit=False) as s:
        yield s


def write(action: Callable[..., T], /, **kwargs: Any) -> T:
    """Run a tracker service in its own session (it bumps the change markers)."""
    with session() as s:
        return action(session=s, **kwargs)


def marker(topic: ChangeTopic) -> int:
    """The database's change counter of ``topic``, read fresh: the caches' key."""
    with session() as s:
        return queries.change_markers(session=s).get(topic.value, 0)


def read(query: Callable[..., T], /, **kwargs: Any) -> T:
    """An uncached read, for the claim a reviewer is about to act on."""
    with session() as s:
        return query(session=s, **kwargs)


CLAIMS, ARTICLES = ChangeTopic.claims, ChangeTopic.articles


def _cached(func: Callable[..., T]) -> Callable[..., T]:
    return st.cache_data(ttl=READ_TTL, max_entries=MAX_ENTRIES, show_spinner=False)(func)


@_cached
def _queue_page(
    url: str,
    marker: int,
    filters: queries.ClaimFilter,
    sort: str,
    desc: bool,
    limit: int,
    offset: int,
) -> queries.QueuePage:
    with session() as s:
        return queries.queue_page(
            session=s, filters=filters, sort=sort, descending=desc, limit=limit, offset=offset
        )


def queue_page(
    url: str, filters: queries.ClaimFilter, sort: str, desc: bool, limit: int, offset: int
) -> queries.QueuePage:
    """A page of the queue and its match and unreviewed counts (a search runs once)."""
    return _queue_page(url, marker(CLAIMS), filters, sort, desc, limit, offset)


@_cached
def _count_claims(url: str, marker: int, filters: queries.ClaimFilter) -> int:
    with session() as s:
        return queries.count_claims(session=s, filters=filters)


def count_claims(url: str, filters: queries.ClaimFilter) -> int:
    return _count_claims(url, marker(CLAIMS), filters)


@_cached
def _articles(url: str, marker: int) -> list[ArticlePublic]:
    with session() as s:
        return queries.list_articles(session=s, with_counts=False)


def articles(url: str) -> list[ArticlePublic]:
    """The articles for the pickers, without texts and without claim counts (``claim_count``
    is 0: counting every claim of a large archive on each cold rerun costs too much)."""
    return _articles(url, marker(ARTICLES))


@_cached
def _article_text(url: str, marker: int, slug: str) -> tuple[int, str, str]:
    with session() as s:
        a = queries.get_article(session=s, slug=slug)
        return a.id or 0, a.title, a.text


def article_text(url: str, slug: str) -> tuple[int, str, str]:
    return _article_text(url, marker(ARTICLES), slug)


@_cached
def _article_warnings(url: str, marker: int, slug: str) -> list[consistency.Warning]:
    return consistency.check(_article_text(url, marker, slug)[2])


def article_warnings(url: str, slug: str) -> list[consistency.Warning]:
    """Where the article disagrees with itself; computed once per article text."""
    return _article_warnings(url, marker(ARTICLES), slug)


@_cached
def _claims_in_article(url: str, marker: int, article_id: int) -> list[ClaimPublic]:
    with session() as s:
        return queries.claims_in_article(session=s, article_id=article_id)


def claims_in_article(url: str, article_id: int) -> list[ClaimPublic]:
    return _claims_in_article(url, marker(CLAIMS), article_id)


@_cached
def _overview(url: str, marker: int, article: str | None) -> queries.Overview:
    with session() as s:
        return queries.overview(session=s, article=article)


def overview(url: str, article: str | None) -> queries.Overview:
    return _overview(url, marker(CLAIMS), article)


@_cached
def _assignees(url: str, marker: int) -> list[str]:
    with session() as s:
        return queries.assignees(session=s)


def assignees(url: str) -> list[str]:
    return _assignees(url, marker(CLAIMS))


@_cached
def _pending_confirmations(url: str, marker: int, article: str | None) -> list[queries.ClaimDetail]:
    with session() as s:
        return queries.pending_confirmations(session=s, article=article)


def pending_confirmations(url: str, article: str | None = None) -> list[queries.ClaimDetail]:
    """The editor's queue: verdicts waiting for confirmation, oldest first, with their
    sources and notes (at most ``queries.PENDING_SHOWN``)."""
    return _pending_confirmations(url, marker(CLAIMS), article)


# The most claims the export page offers for download: Streamlit keeps the file in
# memory (about 1 KB a claim, twice over while it is encoded); the CLI has no limit.
DOWNLOAD_LIMIT = 50_000


def export_csv(filters: queries.ClaimFilter) -> bytes:
    """The CLI's exporter, for the download button (generated when clicked)."""
    with session() as s:
        return exporters.export_csv_bytes(session=s, filters=filters)


# --- "Checked before" (#12) --------------------------------------------------------


# Keyed by the claims marker like the reads above: a fact-check imported or a claim
# reviewed in another process shows in this replica's panel and queue at the next rerun.


def match_status(url: str) -> Any:
    """Whether there is a library and the stored matches are up to date (uncached part:
    the worker's check is on its lease row, which bumps no marker)."""
    from tracker.matching import store

    with session() as s:
        return store.match_status(s)


def worker_status(url: str) -> Any:
    """The background worker's last run and error, whether one runs (one row, uncached)."""
    from tracker.services.worker import worker_status as read

    with session() as s:
        return read(session=s)


@_cached
def _best_matches(
    url: str, marker: int, claim_ids: tuple[int, ...]
) -> dict[int, queries.BestMatch]:
    with session() as s:
        return queries.best_matches(session=s, claim_ids=claim_ids)


def best_matches(url: str, claim_ids: tuple[int, ...]) -> dict[int, queries.BestMatch]:
    return _best_matches(url, marker(CLAIMS), claim_ids)


@_cached
def _checked_before(url: str, marker: int, claim_id: int, limit: int) -> list[Any]:
    from tracker.matching import store

    with session() as s:
        return store.search_claim(s, claim_id, limit=limit)


def checked_before(url: str, claim_id: int, claim_text: str, limit: int) -> list[Any]:
    """The claim's earlier matches (an edit of its text bumps the marker: asked again)."""
    return _checked_before(url, marker(CLAIMS), claim_id, limit)
