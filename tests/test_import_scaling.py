"""A large article: its import does the work before taking the write lock, and grows
linearly with the article's length (generated text; the benchmark uses real news)."""

from __future__ import annotations

import random
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tracker.intake import text as text_module
from tracker.intake.loading import LoadedArticle
from tracker.intake.text import nearest_occurrence
from tracker.services import articles, claims, import_article
from tracker.services.claims import duplicate_of

from .conftest import make_accounts

SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
COMMON = ["the", "a", "of", "in", "and", "to", "said", "was", "for", "on", "that", "with"]


def generated_article(sentences: int, *, seed: int = 5) -> str:
    """News-like text: paragraphs of five sentences under headings, names and figures,
    common words, and repeats (verbatim, with other punctuation, with other figures,
    a bare link) such as long articles have."""
    rng = random.Random(seed)
    said: list[str] = []
    out: list[str] = []
    paragraph: list[str] = []
    for i in range(sentences):
        roll = rng.random()
        if said and roll < 0.05:
            sentence = rng.choice(said)  # the same sentence again
        elif said and roll < 0.08:
            sentence = rng.choice(said).replace(",", "").replace(" the ", " The ", 1)
        elif said and roll < 0.10:
            sentence = rng.choice(said).replace("%", " per cent", 1)
        elif roll < 0.12:
            sentence = f"https://news.example.org/{''.join(rng.choices(SYLLABLES, k=4))}"
        else:
            words = [
                rng.choice(COMMON)
                if rng.random() < 0.45
                else "".join(rng.choices(SYLLABLES, k=rng.randint(2, 4)))
                for _ in range(rng.randint(8, 24))
            ]
            words.insert(rng.randint(1, len(words)), f"{rng.randint(1, 99)}.{i % 10}%,")
            words.insert(rng.randint(1, len(words)), rng.choice(SYLLABLES).title() + "corp")
            sentence = " ".join(words).capitalize() + "."
            said.append(sentence)
        paragraph.append(sentence)
        if len(paragraph) == 5:
            out.append(" ".join(paragraph))
            paragraph = []
            if rng.random() < 0.2:
                out.append(f"Section {len(out)}")
    out.append(" ".join(paragraph))
    return "\n\n".join(p for p in out if p)


def _brute_force(text: str) -> tuple[list[int], list[tuple[int, str]]]:
    """The duplicate rule asked of every earlier candidate, as the import did before."""
    covering: list[tuple[int, str, int, int]] = []
    fresh: list[int] = []
    matches: list[tuple[int, str]] = []
    for cand in articles._scored(text):
        match = duplicate_of(cand.quote, cand.start, cand.end, covering)
        if match is not None:
            matches.append((match, cand.quote))
            continue
        fresh.append(cand.start)
        covering.append((-len(fresh), cand.quote, cand.start, cand.end))
    return fresh, matches


def test_the_index_finds_the_repeats_comparing_with_all_would() -> None:
    text = generated_article(600)
    plan = articles._plan(text, "generated", 0.5, [], articles._scored(text))
    fresh, matches = _brute_force(text)
    assert len(matches) > 30  # verbatim, re-punctuated and linked repeats were found
    assert [c.start for c in plan.fresh] == fresh
    assert plan.matches == matches


@pytest.fixture
def sqlite_db(sqlite_engine: Engine, sqlite_url: str) -> tuple[Engine, Path]:
    make_accounts(sqlite_engine)
    return sqlite_engine, Path(sqlite_url.removeprefix("sqlite:///"))


def _write_elsewhere(path: Path) -> None:
    """A write on another connection that does not wait for the lock."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE change_marker SET n = n + 1")
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_other_writers_go_on_while_a_large_article_is_worked_out(
    sqlite_db: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, path = sqlite_db
    refused: list[str] = []
    calls: list[str] = []

    def writing_meanwhile(step: str, real: Any) -> Any:
        def step_with_a_write(*args: Any, **kwargs: Any) -> Any:
            calls.append(step)
            try:
                _write_elsewhere(path)
            except sqlite3.OperationalError as exc:  # "database is locked"
                refused.append(f"{step}: {exc}")
            return real(*args, **kwargs)

        return step_with_a_write

    monkeypatch.setattr(
        articles, "extract_candidates", writing_meanwhile("split", articles.extract_candidates)
    )
    # the claims' checked values are worked out before the transaction too
    values = getattr(articles, "new_claim_values", None)
    monkeypatch.setattr(
        articles, "new_claim_values", writing_meanwhile("values", values), raising=False
    )
    text = generated_article(1500)  # about 150 KB
    assert len(text) > 120_000
    loaded = LoadedArticle(text, "A long generated article", None, "generated")
    with Session(engine) as session:
        report = import_article(session=session, source=loaded, actor="editor")
    assert refused == []
    assert report.outcome == "created" and len(report.created) > 1000
    assert "split" in calls and "values" in calls


class _Counting:
    """The duplicate rule's scorers, counting the pairs they score."""

    def __init__(self, real: Any, counts: dict[str, int]) -> None:
        self.real, self.counts = real, counts

    def __getattr__(self, name: str) -> Any:
        real = getattr(self.real, name)
        if name == "extract":  # rapidfuzz.process.extract: one query, many choices

            def extract(query: str, choices: list[str], **kwargs: Any) -> Any:
                self.counts["pairs"] += len(choices)
                return real(query, choices, **kwargs)

            return extract
        if name == "token_set_ratio":

            def ratio(*args: Any, **kwargs: Any) -> Any:
                self.counts["pairs"] += 1
                return real(*args, **kwargs)

            return ratio
        return real


def _work(engine: Engine, sentences: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Pairs of quotes scored, and statements that read the article's whole text."""
    counts = {"pairs": 0, "text_reads": 0, "candidates": 0}
    with monkeypatch.context() as m:
        m.setattr(claims, "process", _Counting(claims.process, counts))
        m.setattr(articles, "fuzz", _Counting(articles.fuzz, counts))

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            head = statement.split(" FROM ", 1)[0]
            if statement.startswith("SELECT") and "article.text" in head:
                counts["text_reads"] += 1

        event.listen(engine, "before_cursor_execute", count)
        try:
            text = generated_article(sentences, seed=sentences)
            loaded = LoadedArticle(text, f"Generated {sentences}", None, "generated")
            with Session(engine) as session:
                report = import_article(session=session, source=loaded, actor="editor")
            counts["candidates"] = len(report.created) + report.below_threshold
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return counts


def test_the_work_of_an_import_grows_linearly(
    sqlite_db: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = sqlite_db
    small = _work(engine, 250, monkeypatch)
    large = _work(engine, 1000, monkeypatch)
    # four times the text: four to six times the comparisons (all pairs: sixteen), and
    # fewer than one a candidate (all pairs: half the candidates before it)
    assert large["pairs"] <= 8 * small["pairs"], (small, large)
    assert large["pairs"] <= large["candidates"], (small, large)
    # the article's text is read a fixed number of times, not once a candidate
    assert large["text_reads"] == small["text_reads"] <= 3, (small, large)


def _nearest_by_scanning(text: str, quote: str, near: int) -> int | None:
    positions = [m.start() for m in re.finditer(re.escape(quote), text)]
    return min(positions, key=lambda p: abs(p - near)) if positions else None


def test_a_quote_is_found_where_scanning_the_whole_text_would_find_it() -> None:
    rng = random.Random(3)
    for _ in range(3000):
        text = "".join(rng.choices("ab. ", k=rng.randint(0, 40)))
        shifts = [rng.randint(-8, 8) for _ in range(rng.randint(0, 5))]
        quote = "".join(rng.choices("ab. ", k=rng.randint(1, 4)))
        near = rng.randint(0, 45)
        expected = _nearest_by_scanning(text, quote, near)
        assert nearest_occurrence(text, quote, near, list(shifts)) == expected, (
            text,
            quote,
            near,
            shifts,
        )


def test_revising_a_long_article_searches_the_whole_text_for_few_quotes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = generated_article(800)
    candidates = articles._scored(text)
    claims_before = [(i, c.quote, c.start, c.end) for i, c in enumerate(candidates)]
    revised = "A new first paragraph, 12% longer.\n\n" + text.replace(
        claims_before[400][1], "A sentence rewritten.", 1
    )
    scans: list[str] = []
    real = re.finditer

    def counting(pattern: Any, string: str, *args: Any) -> Any:
        scans.append(pattern)
        return real(pattern, string, *args)

    monkeypatch.setattr(text_module.re, "finditer", counting)
    anchored = articles._anchored(claims_before, revised)
    monkeypatch.undo()
    expected = [
        (i, q, s, s + len(q))
        for i, q, s0, _e in claims_before
        if (s := _nearest_by_scanning(revised, q, s0)) is not None
    ]
    assert anchored == expected
    assert len(scans) < len(claims_before) / 10
