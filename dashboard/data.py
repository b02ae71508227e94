"""The dashboard's only contact with the database, and the only place with caches.

The engine is created once per process (``st.cache_resource``). List, count,
overview and article reads are cached briefly (``st.cache_data``) and cleared
after every write, so a reviewer sees their own change at once. The claim a
reviewer is acting on is always read fresh.
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
from tracker.intake import consistency
from tracker.interchange import csv_export as exporters
from tracker.models import ArticlePublic, ClaimPublic

T = TypeVar("T")
READ_TTL = 30  # seconds; writes clear the cache anyway


def database_url() -> str:
    return get_settings().database_url


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    engine = db.make_engine(url)
    db.upgrade(engine)  # a fresh database works with no set-up step
    return engine


def engine() -> Engine:
    return _engine(database_url())


@contextmanager
def session() -> Iterator[Session]:
    with Session(engine(), expire_on_commit=False) as s:
        yield s


def write(action: Callable[..., T], **kwargs: Any) -> T:
    """Run a tracker service in its own session, then drop cached reads."""
    with session() as s:
        result = action(session=s, **kwargs)
    st.cache_data.clear()
    return result


def read(query: Callable[..., T], **kwargs: Any) -> T:
    """An uncached read, for the claim a reviewer is about to act on."""
    with session() as s:
        return query(session=s, **kwargs)


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def list_claims(
    url: str, filters: queries.ClaimFilter, sort: str, desc: bool, limit: int, offset: int
) -> list[ClaimPublic]:
    with session() as s:
        return queries.list_claims(
            session=s, filters=filters, sort=sort, descending=desc, limit=limit, offset=offset
        )


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def count_claims(url: str, filters: queries.ClaimFilter) -> int:
    with session() as s:
        return queries.count_claims(session=s, filters=filters)


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def articles(url: str) -> list[ArticlePublic]:
    with session() as s:
        return queries.list_articles(session=s)


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def article_text(url: str, slug: str) -> tuple[int, str, str]:
    with session() as s:
        a = queries.get_article(session=s, slug=slug)
        return a.id or 0, a.title, a.text


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def article_warnings(url: str, slug: str) -> list[consistency.Warning]:
    """Where the article disagrees with itself; computed once per article text."""
    return consistency.check(article_text(url, slug)[2])


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def claims_in_article(url: str, article_id: int) -> list[ClaimPublic]:
    with session() as s:
        return queries.claims_in_article(session=s, article_id=article_id)


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def overview(url: str, article: str | None) -> queries.Overview:
    with session() as s:
        return queries.overview(session=s, article=article)


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def assignees(url: str) -> list[str]:
    with session() as s:
        return queries.assignees(session=s)


def export_csv(filters: queries.ClaimFilter) -> bytes:
    """The CLI's exporter, for the download button (generated when clicked)."""
    with session() as s:
        return exporters.export_csv_bytes(session=s, filters=filters)


# --- "Checked before" (#12) --------------------------------------------------------


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def refreshed_matches(url: str) -> int:
    """Store missing claim vectors and best matches (system actor ``matching``).

    Derived data: cached like a read, so it runs again only after a write
    cleared the caches or the TTL passed. Returns how many claims were rematched.
    """
    from tracker import services

    with session() as s:
        return services.refresh_matches(session=s, actor="matching").matched


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def best_matches(url: str, claim_ids: tuple[int, ...]) -> dict[int, queries.BestMatch]:
    with session() as s:
        return queries.best_matches(session=s, claim_ids=claim_ids)


@st.cache_data(ttl=READ_TTL, show_spinner=False)
def checked_before(url: str, claim_id: int, claim_text: str, limit: int) -> list[Any]:
    """The claim's earlier matches (the text is part of the key: an edit asks again)."""
    from tracker.matching import store

    with session() as s:
        return store.search_claim(s, claim_id, limit=limit)
