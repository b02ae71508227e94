"""A dump that is not what `export json` writes, and outputs that are not files.

One table, as in tests/test_cli_errors.py: each case edits one line of a real
dump (of a seeded database with claim vectors) and restores it through the real
command line into an empty database, on SQLite and PostgreSQL. Each ends in
one `error:` line naming the file, with the line, field and value below it, and
changes nothing: no SQLite file is left behind, no table in PostgreSQL's schema.

Then every command that writes `--out` refuses a named pipe, a device and a
symbolic link the same way, through the one writer they share.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlmodel import Session
from typer.testing import CliRunner

from tracker import db, services
from tracker.cli import app

from .conftest import Templates, private_schema

Edit = Callable[[dict[str, Any]], None]  # changes one row, given as {column: value}


@dataclass(frozen=True)
class Case:
    name: str
    table: str
    says: str  # in the problem line
    edit: Edit | None = None
    line: str | None = None  # replaces the table's first row line as it is


def _set(column: str, value: Any) -> Edit:
    return lambda row: row.__setitem__(column, value)


CASES = [
    Case("a deeply nested row", "claim", "nested 100000 deep", line="[" * 100_000 + "]" * 100_000),
    Case(
        "an integer of 5,000 digits",
        "claim",
        "not a value a dump holds: Exceeds the limit (4300 digits)",
        line="[" + "9" * 5000 + "]",
    ),
    Case(
        "an integer over 64 bits",
        "claim",
        "field 'claim.version', value '18446744073709551616': is outside the 64-bit range",
        edit=_set("version", 2**64),
    ),
    Case(
        "a timestamp that overflows in UTC",
        "note",
        "field 'note.created_at', value '9999-12-31T23:59:59-05:00': timestamp is out of range",
        edit=_set("created_at", "9999-12-31T23:59:59-05:00"),
    ),
    Case(
        "a timestamp without a zone",
        "event",
        "field 'event.at', value '2026-01-01T00:00:00': timestamp needs a time zone",
        edit=_set("at", "2026-01-01T00:00:00"),
    ),
    Case(
        "an unknown role",
        "account",
        "field 'account.role', value 'superuser': is not one of viewer, reviewer, editor, admin",
        edit=_set("role", "superuser"),
    ),
    Case(
        "an unknown claim status",
        "claim",
        "field 'claim.status', value 'approved': is not one of unreviewed",
        edit=_set("status", "approved"),
    ),
    Case(
        "a number given as text",
        "claim",
        "field 'claim.quote_start', value '12': must be a whole number",
        edit=_set("quote_start", "12"),
    ),
    Case(
        "a boolean given as a number",
        "account",
        "field 'account.active', value '1': must be true or false",
        edit=_set("active", 1),
    ),
    Case(
        "text longer than its column",
        "account",
        "field 'account.name', value 'nnnnn",
        edit=_set("name", "n" * 101),
    ),
    Case(
        "binary data as a plain string",
        "claim_vector",
        "field 'claim_vector.embedding', value 'AAAA': binary data must be {\"base64\": \"...\"}",
        edit=_set("embedding", "AAAA"),
    ),
    Case(
        "binary data that is not base64",
        "claim_vector",
        "field 'claim_vector.embedding', value '{\"base64\": \"**\"}': is not valid base64",
        edit=_set("embedding", {"base64": "**"}),
    ),
    Case(
        "a float that overflows to infinity",
        "claim",
        "field 'claim.score', value 'Infinity': must be a finite number",
        edit=_set("score", "1e999"),  # written as a bare number below
    ),
]


@pytest.fixture(scope="module")
def good_dump(tmp_path_factory: pytest.TempPathFactory, templates: Templates) -> list[str]:
    """A dump of the seeded database with its claim vectors (as the queue leaves it)."""
    folder = tmp_path_factory.mktemp("backup_errors")
    url = f"sqlite:///{folder / 'source.db'}"
    templates.fill(url, "seeded")
    engine = db.make_engine(url)
    with Session(engine) as s:
        services.refresh_matches(session=s, limit=None)
    engine.dispose()
    out = folder / "good.jsonl"
    result = CliRunner().invoke(app, ["--db", url, "export", "json", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    return out.read_text(encoding="utf-8").split("\n")


def _broken(lines: list[str], case: Case) -> tuple[list[str], int]:
    """``lines`` with the case's table's first row changed; and that row's line number."""
    start = next(i for i, x in enumerate(lines) if x.startswith(f'{{"table":"{case.table}"'))
    columns = json.loads(lines[start])["columns"]
    at = start + 1
    if case.line is not None:
        new = case.line
    else:
        assert case.edit is not None
        row = dict(zip(columns, json.loads(lines[at]), strict=True))
        case.edit(row)
        new = json.dumps(list(row.values()), ensure_ascii=False)
        new = new.replace('"1e999"', "1e999")
    return [*lines[:at], new, *lines[at + 1 :]], at + 1


@pytest.fixture
def other_pg_url() -> Iterator[str]:
    with private_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.db'}"
    return str(request.getfixturevalue("other_pg_url"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_bad_dump_gives_one_error_and_changes_nothing(
    case: Case, good_dump: list[str], empty_url: str, tmp_path: Path
) -> None:
    lines, number = _broken(good_dump, case)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines), encoding="utf-8")

    result = CliRunner().invoke(
        app, ["--db", empty_url, "import", "json", str(bad), "--by", "admin"]
    )

    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exit_code == 1
    errors = [x for x in result.stderr.splitlines() if not x.startswith("restoring")]
    assert errors[0] == f"error: {bad}: 1 problem(s), nothing imported", errors
    assert errors[1].startswith(f"  line {number}, "), errors
    assert case.says in errors[1], errors
    assert len(errors) == 2, errors
    if empty_url.startswith("sqlite"):
        assert not Path(empty_url.removeprefix("sqlite:///")).exists()  # no file left behind
    else:
        engine = db.make_engine(empty_url)
        with engine.connect() as conn:
            assert inspect(conn).get_table_names() == []  # not even an empty schema
        engine.dispose()


def test_a_good_dump_restores_through_the_command_line(
    good_dump: list[str], tmp_path: Path
) -> None:
    """The unedited dump restores: every refusal above is the edit's."""
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(good_dump), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'restored.db'}"
    result = CliRunner().invoke(app, ["--db", url, "import", "json", str(good), "--by", "admin"])
    assert result.exit_code == 0, result.stderr
    assert "claim_vector 110" in result.stdout


# --- outputs that are not files ----------------------------------------------------


WRITERS = {
    "export json": ("export", "json", "--out"),
    "export csv": ("export", "csv", "--out"),
    "report": ("report", "trainium3-silicon-sovereignty", "--out"),
}


def _fifo(folder: Path) -> Path:
    os.mkfifo(folder / "pipe")
    return folder / "pipe"


def _device(folder: Path) -> Path:
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    node = folder / "full"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 7))  # what /dev/full is
    return node


def _symlink(folder: Path) -> Path:
    (folder / "precious.txt").write_text("keep me\n")
    (folder / "link").symlink_to(folder / "precious.txt")
    return folder / "link"


def _dangling(folder: Path) -> Path:
    (folder / "dangling").symlink_to(folder / "nowhere" / "x")
    return folder / "dangling"


KINDS = {
    "a named pipe": _fifo,
    "a device": _device,
    "a symbolic link": _symlink,
    "a dangling symbolic link": _dangling,
}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("writer", list(WRITERS))
def test_every_out_refuses_what_is_not_a_file(
    writer: str, kind: str, templates: Templates, sqlite_url: str, tmp_path: Path
) -> None:
    templates.fill(sqlite_url, "seeded")
    target = KINDS[kind](tmp_path)
    before = os.lstat(target)

    result = CliRunner().invoke(app, ["--db", sqlite_url, *WRITERS[writer], str(target)])

    assert result.exit_code == 1, result.stderr
    said = kind.removeprefix("a dangling ").removeprefix("a ")
    error = [x for x in result.stderr.splitlines() if x.startswith("error:")]
    assert error == [
        f"error: cannot write {target}: a {said}, not a file "
        "(name a new or regular file, or --out - for standard output)"
    ]
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)  # not replaced
    if kind == "a symbolic link":
        assert (tmp_path / "precious.txt").read_text() == "keep me\n"  # nor written through
    assert not list(tmp_path.glob(".*.partial"))
