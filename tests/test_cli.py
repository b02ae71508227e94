"""The command line, through Typer's runner and as a real subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from tracker.cli import app

from .conftest import ROOT, make_accounts_via_cli

runner = CliRunner()


def run(db_url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", db_url, *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def cli_db(db_url: str) -> str:
    assert run(db_url, "init")[0] == 0
    code, out, _ = run(db_url, "seed")
    assert code == 0 and "claims created: 110" in out
    make_accounts_via_cli(db_url)
    return db_url


def test_seed_twice_changes_nothing(cli_db: str) -> None:
    code, out, _ = run(cli_db, "seed")
    assert code == 0 and "claims created: 0, already present: 110" in out


def test_claims_json_has_the_documented_fields(cli_db: str) -> None:
    code, out, _ = run(
        cli_db, "claims", "--status", "unreviewed", "--search", "HBM4", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert (
        data
        and {
            "id",
            "article",
            "claim",
            "quote",
            "quote_start",
            "quote_end",
            "section",
            "claim_type",
            "status",
            "flag_reason",
            "assignee",
            "source_count",
            "version",
            "origin",
            "score",
        }
        <= data[0].keys()
    )


def test_review_flow_and_show(cli_db: str) -> None:
    code, _, err = run(cli_db, "review", "1", "verified", "--by", "ana")
    assert (
        code == 1
        and err.strip()
        == "error: verify needs at least one supporting source; add one to claim 1 first"
    )
    assert (
        run(
            cli_db,
            "source",
            "add",
            "1",
            "https://example.org/a",
            "--stance",
            "supports",
            "--by",
            "ana",
        )[0]
        == 0
    )
    assert run(cli_db, "note", "1", "Checked the spec sheet.", "--by", "ana")[0] == 0
    code, out, _ = run(cli_db, "review", "1", "verified", "--by", "ana", "--version", "1")
    assert code == 0 and "now verified (version 2)" in out
    code, _, err = run(cli_db, "review", "1", "in_review", "--by", "editor", "--version", "1")
    assert code == 1 and "was changed by ana" in err and "Traceback" not in err
    code, out, _ = run(cli_db, "show", "1", "--format", "json")
    shown = json.loads(out)
    assert shown["status"] == "verified" and shown["sources"][0]["url"] == "https://example.org/a"
    assert [e["action"] for e in shown["events"]] == [
        "created",
        "source_added",
        "note_added",
        "review",
    ]
    code, out, _ = run(cli_db, "assign", "2", "bob", "--by", "editor")
    assert code == 0 and "assigned to bob" in out
    code, out, _ = run(cli_db, "claims", "--assignee", "bob", "--format", "json")
    assert [c["id"] for c in json.loads(out)] == [2]


def test_export_then_import_round_trip_via_files(cli_db: str, tmp_path: Path) -> None:
    target = tmp_path / "claims.csv"
    code, _, err = run(cli_db, "export", "csv", "--out", str(target))
    assert code == 0 and "wrote 110 claims" in err
    assert not list(tmp_path.glob(".*partial"))
    code, out, _ = run(cli_db, "import", "csv", str(target), "--by", "editor", "--dry-run")
    assert code == 0 and "unchanged 110" in out
    bad = tmp_path / "bad.csv"
    bad.write_text(
        target.read_text(encoding="utf-8").replace(",unreviewed,", ",done,", 1), encoding="utf-8"
    )
    code, _, err = run(cli_db, "import", "csv", str(bad), "--by", "editor")
    assert code == 1 and "line 2, field 'status', value 'done'" in err


def test_domain_errors_are_one_line_without_traceback(cli_db: str) -> None:
    for args in (
        ("show", "9999"),
        ("review", "1", "done", "--by", "a"),
        ("source", "add", "1", "javascript:alert(1)", "--stance", "supports", "--by", "a"),
        ("claims", "--status", "nope"),
        ("export", "csv", "--article", "nope", "--status", "bogus"),
    ):
        code, _, err = run(cli_db, *args)
        assert code == 1, args
        assert err.startswith("error: ") and err.count("\n") == 1, (args, err)


def test_a_database_without_schema_says_run_init(tmp_path: Path) -> None:
    code, _, err = run(f"sqlite:///{tmp_path / 'empty.db'}", "claims")
    assert code == 1 and "run `tracker init`" in err


def test_real_subprocess_with_environment_variable(tmp_path: Path) -> None:
    env = {**os.environ, "TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    exe = [sys.executable, "-m", "tracker.cli"]
    for args in (["init"], ["seed"]):
        subprocess.run([*exe, *args], env=env, check=True, capture_output=True, cwd=tmp_path)
    done = subprocess.run(
        [*exe, "export", "csv", "--status", "unreviewed"],
        env=env,
        capture_output=True,
        cwd=tmp_path,
        check=True,
    )
    rows = list(csv.DictReader(io.StringIO(done.stdout.decode("utf-8"), newline="")))
    assert len(rows) == 110
    assert (tmp_path / "p.db").exists()
    failed = subprocess.run([*exe, "show", "424242"], env=env, capture_output=True, cwd=tmp_path)
    assert failed.returncode == 1
    assert failed.stderr.decode().strip() == "error: claim 424242 does not exist"


def _commands() -> list[str]:
    group = get_command(app)
    names: list[str] = []
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(cmd, "commands", None)
        names.extend(f"{name} {s}" for s in sub) if sub else names.append(name)
    return names


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help_with_an_example_and_is_documented(command: str) -> None:
    result = runner.invoke(app, [*command.split(), "--help"])
    assert result.exit_code == 0
    assert "Example: tracker" in result.stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"`tracker (--db \S+ )?{re.escape(command)}\b", readme), command
