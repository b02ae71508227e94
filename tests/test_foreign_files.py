"""Foreign files in, cleanly: TSV as tab-separated values, --skip-invalid, files that are not files.

A file shaped like the LIAR data set's ``test.tsv`` (no header, 14 tab-separated
columns, statements with ``"`` anywhere) is read the same, byte for byte, by
``import csv --map`` and ``import factchecks``; one bad row among thousands is
skipped with ``--skip-invalid FILE``; a FIFO or a device named as any input file
is refused at once (the commands run in a subprocess with a timeout, so a
regression fails rather than hangs).
"""

from __future__ import annotations

import csv
import io
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from tracker import db
from tracker.cli import app
from tracker.errors import ImportFailed
from tracker.interchange import mapping
from tracker.interchange.rejects import Rejects
from tracker.matching import feeds

from .conftest import make_accounts

STATEMENTS = [
    '"We\'ve got 10 million jobs," she said, and the senate agreed.',
    'Says the health bill sets up a "death panel" for seniors.',
    'Obama said there would be "no new taxes"',
    '"Quoted from start to end"',
    '"An opening quote that never closes.',
    "The governor's budget cuts schools by 12%.",
    "Café owners in Zürich pay 30% more — “curly quotes” stay as written.",
    '"',
    'Two "quoted" words and a "third".',
    'A statement ending in a doubled quote ""',
]


def liar_line(number: int, statement: str) -> str:
    """One row as the LIAR data set writes it: 14 columns, the statement third."""
    cells = [
        f"{10000 + number}.json",
        ("half-true", "false", "pants-fire", "true")[number % 4],
        statement,
        "economy,taxes",
        f"speaker-{number}",
        "State senator",
        "Texas",
        "republican",
        "1",
        "2",
        "3",
        "4",
        "5",
        "a television interview",
    ]
    return "\t".join(cells)


@pytest.fixture
def liar(tmp_path: Path) -> tuple[Path, list[str]]:
    """40 rows; the quoted statements come back at line 20 as in the real file."""
    statements = [f"Plain statement number {n}." for n in range(40)]
    for k, statement in enumerate(STATEMENTS):
        statements[19 + k] = statement
    path = tmp_path / "test.tsv"
    path.write_bytes("".join(liar_line(n, s) + "\n" for n, s in enumerate(statements)).encode())
    return path, statements


def cli(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--db", url, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.stdout, result.stderr


def column(url: str, sql: str) -> list[str]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def test_a_liar_tsv_imports_every_row_byte_identical_with_both_commands(
    db_url: str, session: object, liar: tuple[Path, list[str]]
) -> None:
    path, statements = liar
    code, out, err = cli(
        db_url, "import", "csv", str(path), "--delimiter", "TAB", "--no-header",
        "--map", "claim=3", "--map", "label=2", "--article", "liar", "--by", "editor",
    )  # fmt: skip
    assert code == 0, err
    assert "40 rows into 'liar'; create 40" in out
    claims = column(db_url, "SELECT claim FROM claim ORDER BY id")
    assert claims == statements

    code, out, err = cli(
        db_url, "import", "factchecks", str(path), "--no-header",
        "--map", "id=1", "--map", "rating=2", "--map", "claim=3", "--map", "claimant=5",
        "--by", "editor",
    )  # fmt: skip
    assert code == 0, err
    assert "40 fact-checks added" in out
    references = column(db_url, "SELECT claim FROM reference ORDER BY external_id")
    assert references == statements


def test_a_tsv_whose_cells_are_quoted_is_read_with_quote(sqlite_url: str, tmp_path: Path) -> None:
    _accounts(sqlite_url)
    path = tmp_path / "quoted.tsv"
    path.write_text('claim\tnote\n"a ""quoted"" claim\twith a tab"\tx\n"plain"\ty\n')
    code, _, err = cli(
        sqlite_url, "import", "csv", str(path), "--delimiter", "TAB", "--quote", '"',
        "--map", "claim=claim", "--article", "quoted", "--by", "editor",
    )  # fmt: skip
    assert code == 0, err
    assert column(sqlite_url, "SELECT claim FROM claim ORDER BY id") == [
        'a "quoted" claim\twith a tab',
        "plain",
    ]


def test_csv_stays_rfc_4180_and_bad_quoting_in_a_quoted_tsv_names_the_line(
    sqlite_url: str, tmp_path: Path
) -> None:
    _accounts(sqlite_url)
    path = tmp_path / "other.csv"
    path.write_text('claim,speaker\n"Jobs, jobs, jobs",A\n"He said ""no""",B\n')
    code, _, err = cli(
        sqlite_url, "import", "csv", str(path), "--map", "claim=claim",
        "--article", "commas", "--by", "editor",
    )  # fmt: skip
    assert code == 0, err
    assert column(sqlite_url, "SELECT claim FROM claim ORDER BY id") == [
        "Jobs, jobs, jobs",
        'He said "no"',
    ]
    bad = tmp_path / "bad.tsv"
    bad.write_text('claim\n"Lies," he said\n')
    code, _, err = cli(
        sqlite_url, "import", "csv", str(bad), "--delimiter", "TAB", "--quote", '"',
        "--map", "claim=1", "--article", "bad", "--by", "editor",
    )  # fmt: skip
    assert code == 1
    assert err.splitlines()[0].startswith("error: ")
    assert "line 2: bad CSV" in err and "unquoted unless --quote" in err


def _accounts(url: str) -> None:
    engine = db.make_engine(url)
    db.upgrade(engine)
    make_accounts(engine)
    engine.dispose()


ROWS = 10_240


@pytest.fixture
def one_bad_row(tmp_path: Path) -> Path:
    """10,240 fact-checks, one of them with a stray control character (a bell)."""
    lines = ["url\tclaim\trating"]
    for n in range(ROWS):
        claim = f"Statement {n} about the budget." if n != 5000 else "Statement \x07 rings."
        lines.append(f"https://checks.example/{n}\t{claim}\tFalse")
    path = tmp_path / "checks.tsv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _rejects(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


@pytest.mark.slow
def test_skip_invalid_imports_the_valid_fact_checks_and_lists_the_bad_row(
    sqlite_url: str, one_bad_row: Path, tmp_path: Path
) -> None:
    _accounts(sqlite_url)
    code, out, err = cli(sqlite_url, "import", "factchecks", str(one_bad_row), "--by", "editor")
    assert code == 1
    assert err.splitlines()[0] == f"error: {one_bad_row}: 1 problem(s), nothing imported"
    assert "line 5002, field 'claim'" in err and "control character U+0007" in err
    assert column(sqlite_url, "SELECT count(*) FROM reference") == [0]
    assert not (tmp_path / "rejects.csv").exists()

    rejects = tmp_path / "rejects.csv"
    code, out, err = cli(
        sqlite_url, "import", "factchecks", str(one_bad_row), "--by", "editor",
        "--skip-invalid", str(rejects),
    )  # fmt: skip
    assert code == 0, err
    assert f"{ROWS - 1} fact-checks added" in out
    assert f"1 invalid row(s) skipped, listed in {rejects}" in out
    assert column(sqlite_url, "SELECT count(*) FROM reference") == [ROWS - 1]
    header, row = _rejects(rejects)
    assert header == ["line", "reason", "fields"]
    assert row[0] == "5002" and "control character U+0007" in row[1]
    assert row[2:] == ["https://checks.example/5000", "Statement \x07 rings.", "False"]


@pytest.mark.slow
def test_skip_invalid_imports_the_valid_mapped_rows_and_lists_the_bad_ones(
    sqlite_url: str, one_bad_row: Path, tmp_path: Path
) -> None:
    _accounts(sqlite_url)
    with one_bad_row.open("a") as fh:
        fh.write("https://checks.example/short\n")  # too short for the mapping
    args = [
        "import", "csv", str(one_bad_row), "--delimiter", "TAB", "--map", "claim=claim",
        "--map", "label=rating", "--map", "claimant=3", "--article", "checks", "--by", "editor",
    ]  # fmt: skip
    code, _, err = cli(sqlite_url, *args)
    assert code == 1
    assert "line 5002, field 'claim'" in err and "line 10242: has 1 cells" in err
    assert column(sqlite_url, "SELECT count(*) FROM claim") == [0]

    rejects = tmp_path / "rejects.csv"
    code, out, err = cli(sqlite_url, *args, "--skip-invalid", str(rejects))
    assert code == 0, err
    assert f"create {ROWS - 1}" in out
    assert f"2 invalid row(s) skipped, listed in {rejects}" in out
    assert column(sqlite_url, "SELECT count(*) FROM claim") == [ROWS - 1]
    _, first, second = _rejects(rejects)
    assert first[0] == "5002" and first[2:] == [
        "https://checks.example/5000",
        "Statement \x07 rings.",
        "False",
    ]
    assert second == [
        "10242",
        "has 1 cells; the mapping reads column 3",
        "https://checks.example/short",
    ]


def test_skip_invalid_never_overwrites_the_input_nor_writes_a_device(
    sqlite_url: str, liar: tuple[Path, list[str]]
) -> None:
    _accounts(sqlite_url)
    path, _ = liar
    before = path.read_bytes()
    base = ["import", "factchecks", str(path), "--no-header", "--map", "claim=3", "--by", "editor"]
    code, _, err = cli(sqlite_url, *base, "--skip-invalid", str(path))
    assert (code, err) == (1, f"error: --skip-invalid {path}: that is the file being imported\n")
    assert path.read_bytes() == before
    code, _, err = cli(sqlite_url, *base, "--skip-invalid", "/dev/null")
    assert (code, err) == (1, "error: --skip-invalid /dev/null: not a regular file\n")


# --- files that are not files -----------------------------------------------------------


def _run(url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRACKER_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "tracker.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,  # a command that waits on a FIFO fails here
        preexec_fn=_bounded_memory,  # and one that reads /dev/zero fails fast, machine intact
    )


def _bounded_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (4 * 1024**3, 4 * 1024**3))


def _commands(bad: str, good: Path, tsv: Path) -> list[list[str]]:
    by = ["--by", "editor"]
    mapped = ["--map", "claim=1", "--article", "fifo-test", *by]
    return [
        ["import", "csv", bad, *by],
        ["import", "csv", bad, *mapped],
        ["import", "csv", str(tsv), "--delimiter", "TAB", "--labels", bad, *mapped],
        ["import", "factchecks", bad, *by],
        ["import", "factchecks", bad, "--map", "claim=1", *by],
        ["import", "factchecks", str(good), "--labels", bad, *by],
        ["import", "json", bad, "--by", "admin"],
        ["match", "--queries", bad],
        ["import-article", bad, *by],
    ]


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_no_command_waits_on_a_fifo_or_reads_a_device(
    sqlite_url: str, tmp_path: Path, kind: str
) -> None:
    _accounts(sqlite_url)
    if kind == "fifo":
        bad = str(tmp_path / "pipe.json")
        os.mkfifo(bad)
        says = "a named pipe"
    else:
        bad, says = "/dev/zero", "a device"
    good = tmp_path / "checks.jsonl"
    good.write_text('{"claimReviewed": "x", "url": "https://a.example/1"}\n')
    tsv = tmp_path / "rows.tsv"
    tsv.write_text("claim\nOne.\n")
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    if kind == "fifo":
        os.mkfifo(seeds / "a.claims.json")
    else:
        (seeds / "a.claims.json").write_text('{"article": {"text_file": "/dev/zero"}}')
    commands = [*_commands(bad, good, tsv), ["seed", "--seeds", str(seeds)]]
    for args in commands:
        done = _run(sqlite_url, *args, cwd=tmp_path)
        lines = done.stderr.splitlines()
        assert done.returncode == 1, (args, done.stderr)
        assert lines and lines[0].startswith("error:") and says in done.stderr, (args, lines)
        assert "Traceback" not in done.stderr


# --- JSON fact-check files ----------------------------------------------------------------


def test_a_feed_is_read_from_its_own_data_feed_element_only(tmp_path: Path) -> None:
    """A member of the feed that holds a "dataFeedElement" of its own is not the feed's list."""
    path = tmp_path / "feed.json"
    path.write_text(
        '{"@type": "DataFeed",\n'
        ' "about": {"dataFeedElement": [{"claimReviewed": "Decoy.", "url": "https://d.example/"}]},\n'
        ' "name": "with \\"dataFeedElement\\" in a string",\n'
        ' "dataFeedElement": [\n'
        '  {"item": {"claimReviewed": "The real one.", "url": "https://r.example/1"}},\n'
        '  {"claimReviewed": "And this.", "url": "https://r.example/2"}\n'
        " ]}\n"
    )
    records = feeds.read_references(path)
    assert [(r.line, r.claim) for r in records] == [(5, "The real one."), (6, "And this.")]


def test_json_lines_skip_a_broken_line_and_a_bad_item(tmp_path: Path) -> None:
    path = tmp_path / "checks.jsonl"
    good = '{"claimReviewed": "Fine.", "url": "https://a.example/1"}'
    path.write_text(f'{good}\n{{"claimReviewed": \n{{"claimReviewed": "x", "url": "ftp://x"}}\n')
    with pytest.raises(ImportFailed) as caught:
        feeds.read_references(path)
    assert "line 2: not valid JSON" in str(caught.value)
    out = io.StringIO()
    rejects = Rejects(out, "rejects.csv")
    records = feeds.read_references(path, rejects=rejects)
    assert [r.claim for r in records] == ["Fine."]
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert [row[0] for row in rows] == ["line", "2", "3"]
    assert rows[1][2] == '{"claimReviewed": ' and "field 'url'" in rows[2][1]
    assert rows[2][2] == '{"claimReviewed": "x", "url": "ftp://x"}'


@pytest.mark.parametrize("value", ["1e999", "inf", "-Infinity", "nan", "NaN"])
def test_both_label_files_refuse_a_rating_that_is_not_a_finite_number(
    tmp_path: Path, value: str
) -> None:
    scale = tmp_path / "scale.csv"
    scale.write_text(f"label,rating_value,rating_name\nFalse,{value},false\n")
    with pytest.raises(ImportFailed, match=f"line 2, field 'rating_value', value '{value}'"):
        feeds.read_labels(scale)
    verdicts = f"label,status,flag_reason,rating\nTrue,verified,,{value}\n".encode()
    with pytest.raises(ImportFailed, match=f"line 2, field 'rating', value '{value}'"):
        mapping.read_labels(verdicts, "verdicts.csv")
    words = b"label,status,flag_reason,rating\nTrue,verified,,mostly-true\n"
    assert mapping.read_labels(words, "verdicts.csv")["true"].rating == "mostly-true"


def test_an_array_of_feeds_is_read_but_a_feed_in_a_feed_is_refused(tmp_path: Path) -> None:
    review = '{"claimReviewed": "One.", "url": "https://a.example/1"}'
    feed = f'{{"@type": "DataFeed", "dataFeedElement": [{review}]}}'
    path = tmp_path / "feeds.json"
    path.write_text(f"[{feed},\n{feed.replace('One', 'Two').replace('/1', '/2')}]")
    assert [r.claim for r in feeds.read_references(path)] == ["One.", "Two."]
    path.write_text(f'{{"@type": "DataFeed", "dataFeedElement": [\n{feed}]}}')
    with pytest.raises(ImportFailed, match="line 2, field '@type', value 'DataFeed': a DataFeed"):
        feeds.read_references(path)
