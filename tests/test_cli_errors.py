"""Every way a command can fail ends in one `error:` line and exit status 1, never a traceback (#9).

One table: each case runs through the real command line (Typer's runner, so an
exception that escapes is caught and reported here rather than printed) on
SQLite and on PostgreSQL unless it is about one of them. All cases fail before
writing anything, so they share one seeded database per backend.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from tracker import db
from tracker.cli import app
from tracker.services.seeding import seed

from .conftest import SEEDS, make_accounts, private_schema

SLUG = "trainium3-silicon-sovereignty"
HEADER = "claim_id,article,section,claim,quote,claim_type,status,flag_reason,assignee,version"


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]
    says: str  # in the error line (or, for an import, in its problem lines)
    backends: tuple[str, ...] = ("sqlite", "postgres")
    url: str | None = None  # a database of its own instead of the seeded one
    listed: bool = False  # an import lists its problems on indented lines below
    disk_full: bool = False
    xfail: str | None = None


CASES = [
    Case(
        "id beyond any integer",
        ("show", "99999999999999999999"),
        "claim 99999999999999999999 does not exist",
    ),
    Case("id beyond int4", ("show", "2147483648"), "claim 2147483648 does not exist"),
    Case(
        "review an id beyond any integer",
        ("review", "99999999999999999999", "in_review", "--by", "ana"),
        "claim 99999999999999999999 does not exist",
    ),
    Case("negative limit", ("claims", "--limit", "-5"), "limit must be from 0"),
    Case("negative offset", ("claims", "--offset", "-1"), "offset must be from 0"),
    Case(
        "csv claim_id beyond any integer",
        ("import", "csv", "{dir}/huge_id.csv", "--by", "editor"),
        "line 2, field 'claim_id', value '99999999999999999999999'",
        listed=True,
    ),
    Case(
        "csv section longer than the model allows",
        ("import", "csv", "{dir}/long_section.csv", "--by", "editor"),
        "line 2, field 'section'",
        listed=True,
    ),
    Case(
        "export into a missing folder",
        ("export", "csv", "--out", "/nonexistent/x.csv"),
        "cannot write /nonexistent/x.csv: No such file or directory",
    ),
    Case(
        "export onto a device",
        ("export", "csv", "--out", "/dev/full"),
        "cannot write /dev/full: a device, not a file",
    ),
    Case(
        "server not listening",
        ("claims",),
        "cannot connect to the database postgresql+psycopg://postgres@127.0.0.1:1/test",
        backends=("any",),
        url="postgresql://postgres@127.0.0.1:1/test",
    ),
    Case(
        "no such database (password not shown)",
        ("claims",),
        "cannot connect to the database postgresql+psycopg://postgres:***@127.0.0.1:5432/"
        'no_such_db: connection to server at "127.0.0.1", port 5432 failed: '
        'FATAL: database "no_such_db" does not exist',
        backends=("postgres",),
        url="postgresql://postgres:s3cret@127.0.0.1:5432/no_such_db",
    ),
    Case(
        "read-only database file",
        ("note", "1", "checked", "--by", "ana"),
        "is read-only",
        backends=("sqlite",),
        url="sqlite:///file:{dir}/tracker.db?mode=ro&uri=true",
    ),
    Case(
        "database or disk is full",
        ("note", "1", "x" * 9000, "--by", "ana"),
        "is full (no space left on the disk, or its size limit reached)",
        backends=("sqlite",),
        disk_full=True,
    ),
    Case(
        "article host that does not resolve",
        ("import-article", "http://no-such-host.invalid/", "--by", "editor"),
        "no-such-host.invalid",
    ),
    Case(
        "article on an octal loopback address",
        ("import-article", "http://0177.0.0.1/", "--by", "editor"),
        "0177.0.0.1",
    ),
    Case(
        "article URL of 100,000 characters",
        ("import-article", "http://example.org/" + "a" * 100_000, "--by", "editor"),
        "http://example.org/aaa",
    ),
    Case(
        "infinite --stale-after",
        ("check-sources", "--stale-after", "1e999d", "--by", "ana"),
        "1e999d",
    ),
    Case(
        "--dead-after beyond any date",
        ("check-sources", "--dead-after", "99999999999d", "--by", "ana"),
        "99999999999d",
    ),
    # found by the review of #9: every path that reads a file or names a claim
    Case("import csv from a device", ("import", "csv", "/dev/zero", "--by", "editor"), "a device"),
    Case(
        "import csv from a named pipe",
        ("import", "csv", "{dir}/pipe.csv", "--by", "editor"),
        "a named pipe",
    ),
    Case(
        "import csv from a directory", ("import", "csv", "{dir}", "--by", "editor"), "a directory"
    ),
    Case("import json from a device", ("import", "json", "/dev/zero", "--by", "admin"), "a device"),
    Case(
        "check-sources of an id beyond any integer",
        ("check-sources", "--by", "ana", "--claim", "99999999999999999999"),
        "claim 99999999999999999999 does not exist",
    ),
    Case(
        "archive-sources of a claim that does not exist",
        ("archive-sources", "--by", "ana", "--claim", "2147483647"),
        "claim 2147483647 does not exist",
    ),
    Case(
        "check-sources of an article that does not exist",
        ("check-sources", "--by", "ana", "--article", "no-such-article"),
        "article 'no-such-article' does not exist",
    ),
    # foreign files: every parser error is one error line with the file, line, field and value
    Case(
        "fact-checks nested deeper than JSON can be read",
        ("import", "factchecks", "{dir}/deep.json", "--by", "editor"),
        "line 1: not read: nested too deeply",
        backends=("sqlite",),
        listed=True,
    ),
    Case(
        "a fact-check with an empty @type",
        ("import", "factchecks", "{dir}/empty_type.json", "--by", "editor"),
        "line 2, field '@type', value '': empty; expected ClaimReview",
        backends=("sqlite",),
        listed=True,
    ),
    Case(
        "a fact-check whose claim is over 128 KiB (JSON)",
        ("import", "factchecks", "{dir}/huge_field.json", "--by", "editor"),
        "line 1, field 'claimReviewed', value 'xxxx",
        backends=("sqlite",),
        listed=True,
    ),
    Case(
        "a fact-check whose claim is over 128 KiB (CSV)",
        ("import", "factchecks", "{dir}/huge_field.csv", "--by", "editor"),
        "line 2, field 'claim', value 'xxxx",
        backends=("sqlite",),
        listed=True,
    ),
    Case(
        "a mapped claim over 128 KiB (quoted CSV)",
        (
            "import",
            "csv",
            "{dir}/huge_field.csv",
            "--map",
            "claim=claim",
            "--article",
            "big",
            "--by",
            "editor",
        ),
        "line 2, field 'claim', value 'xxxx",
        backends=("sqlite",),
        listed=True,
    ),
    Case(
        "a fact-check rating of 5,000 digits",
        ("import", "factchecks", "{dir}/big_number.json", "--by", "editor"),
        "line 1, field 'reviewRating.alternateName', value '1111",
        backends=("sqlite",),
        listed=True,
    ),
    Case(
        "NaN in a fact-check file",
        ("import", "factchecks", "{dir}/nan.json", "--by", "editor"),
        "line 1: not valid JSON: NaN is not a JSON value",
        backends=("sqlite",),
        listed=True,
    ),
    Case(
        "a DataFeed nested in a DataFeed",
        ("import", "factchecks", "{dir}/nested_feed.json", "--by", "editor"),
        "line 3, field '@type', value 'DataFeed': a DataFeed inside a feed is not read",
        backends=("sqlite",),
        listed=True,
    ),
    Case(
        "a fact-check label file with an infinite rating",
        (
            "import",
            "factchecks",
            "{dir}/nan.json",
            "--labels",
            "{dir}/scale_inf.csv",
            "--by",
            "editor",
        ),
        "line 2, field 'rating_value', value '1e999': not a finite number",
        backends=("sqlite",),
        listed=True,
    ),
    Case(
        "a fact-check label file with a NaN rating",
        (
            "import",
            "factchecks",
            "{dir}/nan.json",
            "--labels",
            "{dir}/scale_nan.csv",
            "--by",
            "editor",
        ),
        "line 3, field 'rating_value', value 'nan': not a finite number",
        backends=("sqlite",),
        listed=True,
    ),
    Case(
        "a mapped label file with an infinite rating",
        (
            "import",
            "csv",
            "{dir}/huge_field.csv",
            "--map",
            "claim=claim",
            "--article",
            "big",
            "--labels",
            "{dir}/verdicts_inf.csv",
            "--by",
            "editor",
        ),
        "line 2, field 'rating', value 'inf': not a finite number",
        backends=("sqlite",),
        listed=True,
    ),
    Case("not a URL", ("claims",), "is not a database URL", backends=("sqlite",), url="bogus"),
    Case(
        "another kind of database",
        ("claims",),
        "tracker runs on SQLite or PostgreSQL, not 'mysql'",
        backends=("sqlite",),
        url="mysql://x@127.0.0.1/test",
    ),
    Case(
        "a file that is not a database",
        ("claims",),
        "is not a SQLite database",
        backends=("sqlite",),
        url="sqlite:///{dir}/huge_id.csv",
    ),
]


def _params() -> Iterator[Any]:
    for case in CASES:
        for backend in case.backends:
            marks = [pytest.mark.postgres] if backend == "postgres" else []
            if case.xfail:
                marks.append(pytest.mark.xfail(reason=case.xfail, strict=True))
            yield pytest.param(case, backend, marks=marks, id=f"{backend}-{case.name}")


def _fill(engine: Engine) -> None:
    make_accounts(engine)
    with Session(engine) as s:
        seed(session=s, seeds_dir=SEEDS)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli_errors")
    row = f"{SLUG},Summary,A claim.,NVIDIA,other,unreviewed,,,1"
    (folder / "huge_id.csv").write_text(f"{HEADER}\n99999999999999999999999,{row}\n")
    section = "S" * 400
    new = f",{SLUG},{section},A new claim.,NVIDIA,other,unreviewed,,,"
    (folder / "long_section.csv").write_text(f"{HEADER}\n{new}\n")
    os.mkfifo(folder / "pipe.csv")
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    review = '"claimReviewed": "A claim.", "url": "https://checks.example/1"'
    (folder / "empty_type.json").write_text(f'[\n{{"@type": [], {review}}}\n]')
    (folder / "huge_field.json").write_text(f'{{"claimReviewed": "{"x" * 140_000}"}}')
    (folder / "huge_field.csv").write_text(f'claim,url\n"{"x" * 140_000}",https://a.example/\n')
    big = "1" * 5000
    (folder / "big_number.json").write_text(
        f'{{{review}, "reviewRating": {{"ratingValue": {big}}}}}'
    )
    (folder / "nan.json").write_text(f'{{{review}, "reviewRating": {{"ratingValue": NaN}}}}')
    (folder / "nested_feed.json").write_text(
        f'{{"@type": "DataFeed", "dataFeedElement": [\n{{{review}}},\n'
        f'{{"@type": "DataFeed", "dataFeedElement": [{{{review}}}]}}\n]}}'
    )
    (folder / "scale_inf.csv").write_text("label,rating_value,rating_name\nfalse,1e999,false\n")
    (folder / "scale_nan.csv").write_text(
        "label,rating_value,rating_name\ntrue,1,true\nfalse,nan,f\n"
    )
    (folder / "verdicts_inf.csv").write_text(
        "label,status,flag_reason,rating\nTrue,verified,,inf\n"
    )
    return folder


@pytest.fixture(scope="module")
def sqlite_db(files: Path) -> str:
    url = f"sqlite:///{files / 'tracker.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    _fill(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def postgres_db() -> Iterator[str]:
    with private_schema() as url:
        engine = db.make_engine(url)
        try:
            db.upgrade(engine)
            _fill(engine)
        finally:
            engine.dispose()
        yield url


def _no_room_to_grow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Engines the CLI makes cannot grow the file: SQLite says the disk is full."""
    make_engine = db.make_engine

    def full(url: str | None = None, **kwargs: Any) -> Engine:
        engine = make_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _cap(dbapi_conn: Any, _record: Any) -> None:
            pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
            dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

        return engine

    monkeypatch.setattr(db, "make_engine", full)


@pytest.mark.parametrize(("case", "backend"), list(_params()))
def test_a_failing_command_prints_one_error_line(
    case: Case,
    backend: str,
    files: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = case.url.format(dir=files) if case.url else request.getfixturevalue(f"{backend}_db")
    if case.disk_full:
        _no_room_to_grow(monkeypatch)
    if "/dev/full" in case.args and not Path("/dev/full").is_char_device():
        pytest.skip("/dev/full is not the full device here")
    args = [a.format(dir=files) for a in case.args]

    result = CliRunner().invoke(app, ["--db", url, *args])

    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert [n for n, line in enumerate(lines) if line.startswith("error:")] == [0], lines
    details = lines[1:]
    assert all(line.startswith("  ") for line in details) if case.listed else not details, lines
    assert case.says in result.stderr, lines
    if "/dev/full" in case.args:
        assert stat.S_ISCHR(Path("/dev/full").stat().st_mode)  # refused, never replaced


def test_the_section_limit_is_the_models(files: Path, sqlite_db: str) -> None:
    result = CliRunner().invoke(
        app, ["--db", sqlite_db, "import", "csv", f"{files}/long_section.csv", "--by", "editor"]
    )
    assert "field 'section'" in result.stderr
    assert "section is 400 characters long; the limit is 300" in result.stderr


def test_the_last_resort_is_one_line_and_debug_shows_the_traceback(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error no domain error covers: one line with a hint; TRACKER_DEBUG=1 keeps it raw."""
    from tracker import queries

    def broken(**_kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", "/srv/tracker/cache")

    monkeypatch.setattr(queries, "list_articles", broken)
    result = CliRunner().invoke(app, ["--db", sqlite_db, "articles"])
    assert result.exit_code == 1
    assert result.stderr == (
        "error: PermissionError: [Errno 13] Permission denied: '/srv/tracker/cache' "
        "(run again with TRACKER_DEBUG=1 for a traceback)\n"
    )
    monkeypatch.setenv("TRACKER_DEBUG", "1")
    result = CliRunner().invoke(app, ["--db", sqlite_db, "articles"])
    assert isinstance(result.exception, PermissionError)


def test_a_bad_busy_timeout_setting_is_one_line(
    sqlite_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_SQLITE_BUSY_TIMEOUT", "soon")
    result = CliRunner().invoke(app, ["--db", sqlite_db, "claims"])
    assert result.exit_code == 1
    assert result.stderr == (
        "error: TRACKER_SQLITE_BUSY_TIMEOUT='soon' is not a number of seconds from 0 to 86400\n"
    )
