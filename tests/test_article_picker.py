"""The article picker (#10): the newest articles as options, any other slug typed,
a hint for a typed beginning; and ``queries.article_slugs`` behind it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from tracker import db, queries


def add_articles(engine: Engine, slugs: list[str]) -> None:
    with engine.begin() as conn:
        for slug in slugs:
            conn.execute(
                text(
                    "INSERT INTO article (slug, title, text, sha256, created_at) "
                    "VALUES (:s, :s, 'text', :s, CURRENT_TIMESTAMP)"
                ),
                {"s": slug},
            )


@pytest.fixture
def archive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'picker.db'}"
    monkeypatch.setenv("TRACKER_DATABASE_URL", url)
    engine = db.make_engine(url)
    db.upgrade(engine)
    add_articles(engine, [f"a-{i:03d}" for i in range(30)] + ["b_1", "b%2", "older"])
    yield engine
    engine.dispose()


def picker_app() -> None:
    import streamlit as st

    from dashboard import pickers

    pickers.PICKER_LIMIT = 5
    st.session_state["chosen"] = pickers.article_picker("Article", key="pick", everything="All")


def typed(value: str) -> AppTest:
    at = AppTest.from_function(picker_app, default_timeout=30)
    at.session_state["pick"] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_article_slugs_newest_first_or_by_prefix(archive: Engine) -> None:
    with Session(archive) as s:
        assert queries.article_slugs(session=s, limit=3) == ["older", "b%2", "b_1"]
        assert queries.article_slugs(session=s, prefix="A-02", limit=3) == [
            "a-020",
            "a-021",
            "a-022",
        ]
        # LIKE's wildcards are literal characters
        assert queries.article_slugs(session=s, prefix="b_") == ["b_1"]
        assert queries.article_slugs(session=s, prefix="b%") == ["b%2"]
        assert queries.article_slugs(session=s, prefix="zz") == []


def test_picker_offers_the_newest_and_takes_a_typed_slug(archive: Engine) -> None:
    at = AppTest.from_function(picker_app, default_timeout=30).run()
    assert not at.exception, [e.message for e in at.exception]
    box = at.selectbox(key="pick")
    assert box.options == ["All", "older", "b%2", "b_1", "a-029", "a-028"]
    assert at.session_state["chosen"] == "All"

    # typed in: the widget holds the text (AppTest's set_value takes listed options only)
    at = typed("a-003")
    assert at.session_state["chosen"] == "a-003"
    assert not at.warning
    assert at.selectbox(key="pick").value == "a-003"

    at = typed("a-01")  # a beginning, not a slug
    assert at.session_state["chosen"] is None
    assert "a\\-010" in at.warning[0].value and "a\\-017" in at.warning[0].value
