"""The ``tracker`` command line: parse arguments, call services, print results.

A domain error (:class:`tracker.errors.TrackerError`) prints one line on
stderr and exits with status 1; usage errors exit with status 2. A database
or file error no domain error covers still prints one line (and exits 1);
``TRACKER_DEBUG=1`` shows its traceback instead.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from .config import get_settings
from .errors import ImportFailed, TrackerError
from .vocabulary import DEFAULT_THRESHOLD, SORT_KEYS


class _Lazy:
    """A module (or one of its names) imported when first used, not at start-up.

    ``tracker --help`` then imports neither SQLAlchemy nor httpx nor the link
    service (#10); a command imports what it uses when it runs.
    """

    def __init__(self, module: str, name: str | None = None) -> None:
        self._module, self._name = module, name

    def _target(self) -> Any:
        target = importlib.import_module(self._module)
        return getattr(target, self._name) if self._name else target

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._target(), attr)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._target()(*args, **kwargs)


if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from . import db, publishing, queries, services
    from .intake import consistency
    from .interchange import claimreview
    from .interchange.csv_export import write_csv
    from .interchange.json_dump import count_rows, write_dump
    from .interchange.mapping import parse_map, read_labels
    from .interchange.pdf import html_to_pdf
    from .interchange.rejects import Rejects
    from .interchange.tables import parse_delimiter
    from .linkcheck.netguard import LinkPolicy
    from .localfiles import count_lines, read_file, write_file
    from .models import RatingUpdate
    from .queries import ClaimFilter
    from .services import links as link_service
else:
    db, queries, services = _Lazy("tracker.db"), _Lazy("tracker.queries"), _Lazy("tracker.services")
    consistency = _Lazy("tracker.intake.consistency")
    write_csv = _Lazy("tracker.interchange.csv_export", "write_csv")
    LinkPolicy = _Lazy("tracker.linkcheck.netguard", "LinkPolicy")
    ClaimFilter = _Lazy("tracker.queries", "ClaimFilter")
    link_service = _Lazy("tracker.services.links")
    publishing = _Lazy("tracker.publishing")
    claimreview = _Lazy("tracker.interchange.claimreview")
    count_rows = _Lazy("tracker.interchange.json_dump", "count_rows")
    write_dump = _Lazy("tracker.interchange.json_dump", "write_dump")
    parse_delimiter = _Lazy("tracker.interchange.tables", "parse_delimiter")
    Rejects = _Lazy("tracker.interchange.rejects", "Rejects")
    parse_map = _Lazy("tracker.interchange.mapping", "parse_map")
    read_labels = _Lazy("tracker.interchange.mapping", "read_labels")
    html_to_pdf = _Lazy("tracker.interchange.pdf", "html_to_pdf")
    count_lines = _Lazy("tracker.localfiles", "count_lines")
    read_file = _Lazy("tracker.localfiles", "read_file")
    write_file = _Lazy("tracker.localfiles", "write_file")
    RatingUpdate = _Lazy("tracker.models", "RatingUpdate")


def _database_errors() -> tuple[type[BaseException], ...]:
    """What the last-resort handler turns into one line (imported only when raised)."""
    from sqlalchemy.exc import DataError, OperationalError, ProgrammingError

    return (OperationalError, DataError, ProgrammingError, OSError)


app = typer.Typer(
    help="Claims tracker and fact-check database for editorial teams.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
source_app = typer.Typer(help="Manage a claim's sources.", no_args_is_help=True)
users_app = typer.Typer(help="Manage accounts and roles.", no_args_is_help=True)
export_app = typer.Typer(help="Export claims.", no_args_is_help=True)
import_app = typer.Typer(help="Import claims.", no_args_is_help=True)
lost_app = typer.Typer(
    help="Resolve claims whose quote a new revision of their article no longer has.",
    no_args_is_help=True,
)
app.add_typer(source_app, name="source")
app.add_typer(users_app, name="users")
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")
app.add_typer(lost_app, name="lost")

F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class ShowFormat(StrEnum):
    text = "text"
    json = "json"


_state: dict[str, Any] = {}


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def handles_errors(func: F) -> F:
    """Turn a TrackerError into one clean line on stderr and exit status 1.

    Last resort: a database or OS error that no domain error covers is still
    one line, with a hint to re-run with ``TRACKER_DEBUG=1`` for the traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ImportFailed as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        except TrackerError as exc:
            fail(str(exc))
        except BrokenPipeError:  # `tracker claims | head`: the reader has all it wanted
            _silence_stdout()
            raise typer.Exit(1) from None
        except _database_errors() as exc:
            if os.environ.get("TRACKER_DEBUG"):
                raise
            fail(f"{_unexpected(exc)} (run again with TRACKER_DEBUG=1 for a traceback)")

    return wrapper  # type: ignore[return-value]


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes at exit
    except (OSError, ValueError):  # pragma: no cover - stdout is not a file (test runner)
        pass


def _unexpected(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc  # the driver's words, not the SQL
    text = " ".join(str(original).split()) or type(original).__name__
    return f"{type(original).__name__}: {text[:300]}"


@app.callback()
@handles_errors
def main(
    database: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL (default: $TRACKER_DATABASE_URL, else sqlite:///./tracker.db).",
            metavar="URL",
        ),
    ] = None,
) -> None:
    """Claims tracker: record an article's claims, review them, export the record.

    Example: tracker init && tracker seed && tracker claims --status unreviewed
    """
    _state.clear()  # one invocation, one database (the test runner reuses the module)
    _state["url"] = get_settings(database).database_url


def _engine(*, need_schema: bool = True) -> Engine:
    if "engine" not in _state:
        _state["engine"] = db.make_engine(_state.get("url") or get_settings().database_url)
    engine: Engine = _state["engine"]
    if need_schema and db.current_revision(engine) is None:
        where = engine.url.render_as_string()
        fail(f"the database {where} has no tracker schema; run `tracker init`")
    return engine


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@app.command()
@handles_errors
def init() -> None:
    """Create or upgrade the database schema (Alembic migrations).

    Example: tracker --db sqlite:///newsroom.db init
    """
    engine = _engine(need_schema=False)
    db.upgrade(engine)
    typer.echo(
        f"schema at revision {db.current_revision(engine)} in {engine.url.render_as_string()}"
    )


@app.command()
@handles_errors
def seed(
    seeds: Annotated[Path | None, typer.Option(help="Folder with *.claims.json files.")] = None,
) -> None:
    """Load the curated seed article and claims. Running it twice changes nothing.

    Example: tracker seed
    """
    with db.session_scope(_engine()) as session:
        report = services.seed(session=session, seeds_dir=seeds)
    typer.echo(str(report))


def _filters(
    status: list[str] | None,
    article: str | None,
    claim_type: list[str] | None,
    assignee: str | None,
    search: str | None,
    origin: str | None = None,
) -> ClaimFilter:
    return ClaimFilter(
        status=status or (),
        article=article,
        claim_type=claim_type or (),
        assignee=assignee,
        search=search,
        origin=origin,
    )


StatusOpt = Annotated[
    list[str] | None, typer.Option("--status", help="Only this status (repeatable).")
]
ArticleOpt = Annotated[str | None, typer.Option("--article", help="Only this article (slug).")]
TypeOpt = Annotated[list[str] | None, typer.Option("--type", help="Only this claim type.")]
AssigneeOpt = Annotated[
    str | None, typer.Option("--assignee", help="Only claims assigned to NAME ('-' = nobody).")
]
SearchOpt = Annotated[
    str | None, typer.Option("--search", help="Text in the claim, its quote or its notes.")
]
ByOpt = Annotated[str, typer.Option("--by", help="Who is acting (recorded in the audit trail).")]


@app.command()
@handles_errors
def claims(
    status: StatusOpt = None,
    article: ArticleOpt = None,
    claim_type: TypeOpt = None,
    assignee: AssigneeOpt = None,
    search: SearchOpt = None,
    origin: Annotated[str | None, typer.Option(help="curated, extracted or imported.")] = None,
    include_below_threshold: Annotated[
        bool,
        typer.Option("--include-below-threshold", help="Also list low-scoring candidates."),
    ] = False,
    quote_lost: Annotated[
        bool,
        typer.Option(
            "--quote-lost",
            help="Only claims whose quote is not in their article's current text "
            "(not dismissed): move or dismiss them with `tracker lost`.",
        ),
    ] = False,
    sort: Annotated[str, typer.Option(help=f"One of: {', '.join(SORT_KEYS)}.")] = "id",
    desc: Annotated[bool, typer.Option("--desc", help="Sort descending.")] = False,
    limit: Annotated[
        int, typer.Option(help="At most this many; 0 = all, streamed as they are read.")
    ] = 100,
    offset: Annotated[int, typer.Option(help="Skip this many.")] = 0,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = (
        OutputFormat.table
    ),
) -> None:
    """List claims, filtered and sorted.

    Example: tracker claims --status unreviewed --search HBM4 --format json
    """
    filters = replace(
        _filters(status, article, claim_type, assignee, search, origin),
        include_below_threshold=include_below_threshold,
        quote_lost=quote_lost,
    )
    with db.session_scope(_engine()) as session:
        if not limit:  # everything: streamed, memory flat however many match
            if fmt is OutputFormat.csv and not offset:
                write_csv(sys.stdout, session=session, filters=filters)
                return
            if fmt is not OutputFormat.csv:
                stream = queries.iter_claims(
                    session=session, filters=filters, sort=sort, descending=desc, offset=offset
                )
                _stream_json(stream) if fmt is OutputFormat.json else _print_table(stream)
                return
        rows = queries.list_claims(
            session=session,
            filters=filters,
            sort=sort,
            descending=desc,
            limit=limit or None,
            offset=offset,
        )
        if fmt is OutputFormat.json:
            _echo_json([r.model_dump(mode="json") for r in rows])
        elif fmt is OutputFormat.csv:
            write_csv(
                sys.stdout, session=session, filters=ClaimFilter(ids=[r.id for r in rows] or [-1])
            )
        else:
            _print_table(rows)
            if limit and len(rows) == limit:
                typer.echo(f"(first {limit}; --limit 0 lists all, --offset pages)", err=True)


def _stream_json(rows: Iterable[Any]) -> None:
    """A JSON array written claim by claim, as ``_echo_json`` would lay it out."""
    first = True
    for r in rows:
        item = json.dumps(r.model_dump(mode="json"), ensure_ascii=False, indent=2, default=str)
        typer.echo(("[\n" if first else ",\n") + "  " + item.replace("\n", "\n  "), nl=False)
        first = False
    typer.echo("[]" if first else "\n]")


def _short(text: str | None, width: int) -> str:
    text = (text or "").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_table(rows: Iterable[Any]) -> None:
    header = False
    for r in rows:
        if not header:
            typer.echo(f"{'ID':>5}  {'STATUS':<10}  {'TYPE':<11}  {'SRC':>3}  CLAIM")
            header = True
        lost = f"[quote {r.quote_state} in r{r.quote_lost_in}] " if r.quote_lost else ""
        typer.echo(
            f"{r.id:>5}  {r.status:<10}  {r.claim_type:<11}  {r.source_count:>3}  "
            f"{lost}{_short(r.claim, 80)}"
        )
    if not header:
        typer.echo("no claims match")


@app.command()
@handles_errors
def show(
    claim_id: Annotated[int, typer.Argument(metavar="ID")],
    fmt: Annotated[ShowFormat, typer.Option("--format")] = ShowFormat.text,
) -> None:
    """Show one claim with its sources, notes and history.

    Example: tracker show 12
    """
    with db.session_scope(_engine()) as session:
        d = queries.claim_detail(session=session, claim_id=claim_id)
    if fmt is ShowFormat.json:
        _echo_json(
            {
                **d.claim.model_dump(mode="json"),
                "sources": [s.model_dump(mode="json") for s in d.sources],
                "notes": [n.model_dump(mode="json") for n in d.notes],
                "events": [e.model_dump(mode="json") for e in d.events],
            }
        )
        return
    c = d.claim
    typer.echo(f"Claim {c.id} (version {c.version}) in {c.article} — {c.section or 'no section'}")
    typer.echo(f"  {c.claim}")
    if c.quote_lost:
        # the offsets are the previous revision's: never shown as a place in the current text
        typer.echo(
            f"  quote LOST: not in revision {c.quote_lost_in} (the current text); it was at "
            f"[{c.quote_start}:{c.quote_end}] of revision {c.quote_revision}: “{c.quote}”"
        )
        if c.quote_state == "dismissed":
            typer.echo("  resolved: dismissed (out of the published record)")
        else:
            proposed = (
                f"; proposed in its place: claim {c.quote_replacement}"
                if c.quote_replacement
                else ""
            )
            typer.echo(
                f"  not confirmed, rated or published until resolved{proposed}: "
                f"tracker lost move {c.id} / tracker lost dismiss {c.id}"
            )
    else:
        typer.echo(f"  quote [{c.quote_start}:{c.quote_end}]: “{c.quote}”")
    reason = f" ({c.flag_reason})" if c.flag_reason else ""
    typer.echo(
        f"  status: {c.status}{reason}   type: {c.claim_type}   assignee: {c.assignee or '-'}"
    )
    typer.echo(f"Sources ({len(d.sources)}):")
    for s in d.sources:
        typer.echo(f"  [{s.stance}] {s.url}  {s.title or ''}  (added by {s.added_by})")
    typer.echo(f"Notes ({len(d.notes)}):")
    for n in d.notes:
        typer.echo(f"  {n.author}, {n.created_at:%Y-%m-%d %H:%M}: {n.body}")
    typer.echo("History:")
    for e in d.events:
        change = f"{e.field}: {e.old_value or '-'} -> {_short(e.new_value, 60)}" if e.field else ""
        typer.echo(f"  {e.at:%Y-%m-%d %H:%M} {e.actor} {e.action} {change}")


@app.command()
@handles_errors
def review(
    claim_id: Annotated[int, typer.Argument(metavar="ID")],
    status: Annotated[
        str, typer.Argument(help="unreviewed, in_review, verified, flagged, dismissed")
    ],
    by: ByOpt,
    reason: Annotated[str | None, typer.Option(help="Flag reason (required with flagged).")] = None,
    note: Annotated[str | None, typer.Option(help="A note (required with flagged).")] = None,
    version: Annotated[
        int | None,
        typer.Option(help="The version you looked at; refuse if the claim changed since."),
    ] = None,
) -> None:
    """Change a claim's status under the review rules.

    Example: tracker review 12 flagged --by ana --reason misleading --note "1.4x vs 40%"
    """
    with db.session_scope(_engine()) as session:
        c = services.review_claim(
            session=session,
            claim_id=claim_id,
            status=status,
            actor=by,
            expected_version=version,
            reason=reason,
            note=note,
        )
    typer.echo(f"claim {c.id} is now {c.status} (version {c.version})")


@app.command()
@handles_errors
def assign(
    claim_id: Annotated[int, typer.Argument(metavar="ID")],
    assignee: Annotated[str, typer.Argument(help="Who should review it ('-' to unassign).")],
    by: ByOpt,
) -> None:
    """Assign a claim to a reviewer.

    Example: tracker assign 12 ana --by editor
    """
    with db.session_scope(_engine()) as session:
        c = services.assign_claim(
            session=session,
            claim_id=claim_id,
            assignee=None if assignee == "-" else assignee,
            actor=by,
            expected_version=None,
        )
    typer.echo(f"claim {c.id} assigned to {c.assignee or 'nobody'}")


@source_app.command("add")
@handles_errors
def source_add(
    claim_id: Annotated[int, typer.Argument(metavar="ID")],
    url: Annotated[str, typer.Argument(help="http(s) URL of the source.")],
    stance: Annotated[str, typer.Option(help="supports, refutes or context.")],
    by: ByOpt,
    title: Annotated[str | None, typer.Option(help="Title of the source.")] = None,
    publisher: Annotated[str | None, typer.Option(help="Publisher of the source.")] = None,
) -> None:
    """Attach a source to a claim.

    Example: tracker source add 12 https://aws.amazon.com/trainium/ --stance context --by ana
    """
    with db.session_scope(_engine()) as session:
        s = services.add_source(
            session=session,
            claim_id=claim_id,
            url=url,
            stance=stance,
            actor=by,
            title=title,
            publisher=publisher,
        )
    typer.echo(f"source {s.id} added to claim {claim_id} ({s.stance})")


@app.command()
@handles_errors
def note(
    claim_id: Annotated[int, typer.Argument(metavar="ID")],
    text: Annotated[str, typer.Argument(help="The note (plain text).")],
    by: ByOpt,
) -> None:
    """Add a note to a claim's thread.

    Example: tracker note 12 "Asked AWS press office for the HBM4 spec" --by ana
    """
    with db.session_scope(_engine()) as session:
        n = services.add_note(session=session, claim_id=claim_id, body=text, actor=by)
    typer.echo(f"note {n.id} added to claim {claim_id}")


@app.command()
@handles_errors
def articles(
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """List articles with their claim counts.

    Example: tracker articles --format json
    """
    with db.session_scope(_engine()) as session:
        rows = queries.list_articles(session=session)
    if fmt is OutputFormat.json:
        _echo_json([r.model_dump(mode="json") for r in rows])
        return
    for a in rows:
        typer.echo(f"{a.slug}  ({a.claim_count} claims)  {a.title}")


@export_app.command("csv")
@handles_errors
def export_csv(
    out: Annotated[str, typer.Option("--out", help="File to write, or - for stdout.")] = "-",
    status: StatusOpt = None,
    article: ArticleOpt = None,
    claim_type: TypeOpt = None,
    assignee: AssigneeOpt = None,
    search: SearchOpt = None,
) -> None:
    """Export claims as CSV (UTF-8, RFC 4180, formula-safe cells).

    Example: tracker export csv --out claims.csv --status flagged
    """
    filters = _filters(status, article, claim_type, assignee, search)
    with db.session_scope(_engine()) as session:
        if out == "-":
            write_csv(sys.stdout, session=session, filters=filters)
            return
        target = Path(out)
        count = write_file(
            target, lambda fh: write_csv(fh, session=session, filters=filters), newline=""
        )
    typer.echo(f"wrote {count} claims to {target}", err=True)


QuoteOpt = Annotated[
    str | None,
    typer.Option(
        help='The quote character of a CSV or TSV file, or none. Default: " for CSV; '
        'none for TAB (TSV: a " is an ordinary character).'
    ),
]
SkipInvalidOpt = Annotated[
    Path | None,
    typer.Option(
        "--skip-invalid",
        metavar="FILE",
        help="Import the valid rows; write each refused row to FILE (CSV: line, reason, "
        "the row's fields). Without it, one bad row stops the whole import.",
    ),
]


@contextmanager
def _rejects_file(target: Path | None, source: Path) -> Iterator[Any]:
    """``Rejects`` writing to ``target`` (whole, after the import ran), or None without one."""
    if target is None:
        yield None
        return
    if target.exists() and not target.is_file():
        fail(f"--skip-invalid {target}: not a regular file")
    if target.exists() and source.exists() and target.samefile(source):
        fail(f"--skip-invalid {target}: that is the file being imported")
    tmp = target.with_name(f".{target.name}.partial")
    try:
        try:
            fh = tmp.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            fail(f"cannot write {target}: {exc.strerror or exc}")
        with fh:
            yield Rejects(fh, str(target))
        tmp.replace(target)  # readers never see half a list
    finally:
        tmp.unlink(missing_ok=True)


@import_app.command("csv")
@handles_errors
def import_csv(
    file: Annotated[Path, typer.Argument(help="CSV in the export's format (or mapped: --map).")],
    by: ByOpt,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only validate.")] = False,
    # --- #13: another tracker's CSV/TSV through a column mapping -----------------------
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="FIELD=COLUMN",
            help="Read another tracker's file: a field (claim, label, source, claimant, date, "
            "context, quote, section, claim_type) from a column, by name or 1-based position. "
            "Repeatable.",
        ),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(help="With --map: CSV label,status,flag_reason,rating[,stance]."),
    ] = None,
    delimiter: Annotated[
        str | None,
        typer.Option(help="With --map: TAB, COMMA, SEMICOLON, PIPE or a character (default ,)."),
    ] = None,
    quote: QuoteOpt = None,
    no_header: Annotated[
        bool, typer.Option("--no-header", help="With --map: the first line is a row.")
    ] = False,
    article: Annotated[
        str | None,
        typer.Option(
            help="With --map: the article (slug) the claims belong to; created as a collection "
            "(no text, no quotes) if there is none."
        ),
    ] = None,
    skip_invalid: SkipInvalidOpt = None,
) -> None:
    """Import claims from CSV: update existing ones, create new ones; all rows or none.

    Example: tracker import csv claims.csv --by ana --dry-run

    Example: tracker import csv other.tsv --delimiter TAB --map claim=statement
    --map label=rating --map source=url --labels labels.csv --article politifact --by ana

    A tab-separated file is read as TSV: no quoting, a " is an ordinary
    character (--quote '"' for a file whose cells are quoted).
    --skip-invalid FILE imports the valid rows and lists the others in FILE.
    """
    if not mapping:
        if labels or delimiter or quote or no_header or article or skip_invalid:
            fail(
                "--labels, --delimiter, --quote, --no-header, --article and --skip-invalid "
                "go with --map"
            )
        with db.session_scope(_engine()) as session, _rows_bar(file, header=True) as progress:
            report = services.import_claims_csv(
                session=session, path=file, actor=by, dry_run=dry_run, progress=progress
            )
        typer.echo(str(report))
        return
    _import_mapped(
        file, by, dry_run, mapping, labels, delimiter, quote, no_header, article, skip_invalid
    )


@contextmanager
def _rows_bar(file: Path, *, header: bool) -> Iterator[Callable[[int], None]]:
    """A progress bar over a file's rows on a terminal; silent when stderr is not one."""
    if not sys.stderr.isatty():
        yield lambda _n: None
        return
    rows = max(1, count_lines(str(file)) - (1 if header else 0))
    with typer.progressbar(length=rows, label="importing", file=sys.stderr) as bar:
        yield bar.update


def _reference_fields() -> tuple[str, ...]:
    from .matching.feeds import FIELDS

    return FIELDS


@contextmanager
def _growing_bar(label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar whose total is learnt as it goes; silent when stderr is no terminal."""
    if not sys.stderr.isatty():
        yield lambda _n: None
        return
    with typer.progressbar(length=0, label=label, file=sys.stderr) as bar:

        def progress(n: int) -> None:
            bar.length = (bar.length or 0) + n
            bar.update(n)

        yield progress


def _import_mapped(
    file: Path,
    by: str,
    dry_run: bool,
    mapping: list[str],
    labels: Path | None,
    delimiter: str | None,
    quote: str | None,
    no_header: bool,
    article: str | None,
    skip_invalid: Path | None,
) -> None:
    if not article:
        fail("--map needs --article SLUG: the article or collection the claims go into")
    assert article is not None
    fields = parse_map(mapping)
    verdicts = None
    if labels is not None:
        verdicts = read_labels(read_file(str(labels)), str(labels))
    sep = parse_delimiter(delimiter)
    with (
        _rejects_file(skip_invalid, file) as rejects,
        db.session_scope(_engine()) as session,
        _rows_bar(file, header=not no_header) as progress,
    ):
        report = services.import_mapped_csv(
            session=session,
            actor=by,
            mapping=fields,
            article=article,
            path=file,
            source=str(file),
            labels=verdicts,
            delimiter=sep,
            quote=quote,
            header=not no_header,
            dry_run=dry_run,
            rejects=rejects,
            progress=progress,
        )
    typer.echo(str(report))
    if report.problems:
        raise typer.Exit(1)


# --- #13: full-fidelity JSON dump, restore, and copying whole databases -------------------


@export_app.command("json")
@handles_errors
def export_json(
    out: Annotated[str, typer.Option("--out", help="File to write, or - for stdout.")] = "-",
) -> None:
    """Dump the whole database as JSON Lines (format in the README); restore with import json.

    Example: tracker export json --out tracker-dump.jsonl
    """
    engine = _engine()
    revision = db.current_revision(engine)
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            if out == "-":
                write_dump(conn, sys.stdout, schema_revision=revision)
                return
            target = Path(out)
            counts = write_file(
                target, lambda fh: write_dump(conn, fh, schema_revision=revision), newline="\n"
            )
    typer.echo(f"wrote {sum(counts.values())} rows of {len(counts)} tables to {target}", err=True)


@import_app.command("json")
@handles_errors
def import_json(
    file: Annotated[Path, typer.Argument(help="A dump written by `tracker export json`.")],
    by: Annotated[
        str, typer.Option("--by", help="An admin account of the dump (recorded as restorer).")
    ],
) -> None:
    """Restore a JSON dump into an empty database (the schema is created first); all or nothing.

    Example: tracker --db postgresql://me@db/newsroom import json tracker-dump.jsonl --by admin
    """
    engine = _engine(need_schema=False)  # the restore creates the schema in its transaction
    with (
        db.as_it_was_on_failure(engine),
        db.session_scope(engine) as session,
        typer.progressbar(
            length=max(1, _line_count(file)), label="restoring", file=sys.stderr
        ) as bar,
    ):
        report = services.restore_json(session=session, actor=by, path=file, progress=bar.update)
    typer.echo(str(report))


def _line_count(path: Path) -> int:
    return count_lines(str(path))  # a regular file, or one clear error line


@app.command("copy")
@handles_errors
def copy_cmd(
    source: Annotated[str, typer.Option("--from", help="Database URL to copy from.")],
    target: Annotated[str, typer.Option("--to", help="Database URL to copy into.")],
    by: Annotated[str, typer.Option("--by", help="An admin account of the source database.")],
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Empty a target that has rows first (refused if it has audit events, "
            "which are never deleted).",
        ),
    ] = False,
) -> None:
    """Copy a whole database into another (schema via Alembic), verified by counts and sha256.

    Example: tracker copy --from sqlite:///tracker.db --to postgresql://me@db/newsroom --by admin
    """
    src = db.make_engine(source)
    dst = db.make_engine(target)
    try:
        with src.connect() as conn:
            total = count_rows(conn) if db.current_revision(src) else 0
        with typer.progressbar(length=max(1, total), label="copying", file=sys.stderr) as bar:
            report = services.copy_database(
                source=src, target=dst, actor=by, force=force, progress=bar.update
            )
    finally:
        src.dispose()
        dst.dispose()
    for line in report.lines():
        typer.echo(line)


_TIMEOUT_DEFAULT = (
    "(connecting, headers, body and redirects; default: $TRACKER_HTTP_TIMEOUT, else 10)"
)


@app.command("import-article")
@handles_errors
def import_article_cmd(
    source: Annotated[str, typer.Argument(help="A .txt, .md or .html file, or an http(s) URL.")],
    by: ByOpt,
    title: Annotated[
        str | None, typer.Option(help="Title (default: from the page or 1st line).")
    ] = None,
    publisher: Annotated[str | None, typer.Option(help="Publisher.")] = None,
    url: Annotated[str | None, typer.Option(help="Canonical URL of the article.")] = None,
    published: Annotated[str | None, typer.Option(help="Publication date, YYYY-MM-DD.")] = None,
    slug: Annotated[str | None, typer.Option(help="Identifier (default: from the title).")] = None,
    threshold: Annotated[
        float, typer.Option(help="Check-worthiness needed to enter the review queue.")
    ] = DEFAULT_THRESHOLD,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Allow fetching from private addresses.")
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(help=f"Seconds for fetching a URL in total {_TIMEOUT_DEFAULT}."),
    ] = None,
) -> None:
    """Import an article and extract candidate claims; re-importing the same text is a no-op.

    Example: tracker import-article https://example.org/story.html --by ana --publisher Example
    """
    try:
        when = date.fromisoformat(published) if published else None
    except ValueError:
        fail(f"--published {published!r} is not a date (YYYY-MM-DD)")
    with db.session_scope(_engine()) as session:
        report = services.import_article(
            session=session,
            source=source,
            policy=LinkPolicy.from_env(allow_private=allow_private),
            actor=by,
            slug=slug,
            title=title,
            publisher=publisher,
            url=url,
            published=when,
            threshold=threshold,
            timeout=timeout,
        )
    typer.echo(report.line())


@app.command()
@handles_errors
def promote(
    claim_id: Annotated[int, typer.Argument(metavar="ID")],
    by: ByOpt,
) -> None:
    """Move a below-threshold candidate into the review queue.

    Example: tracker promote 240 --by ana
    """
    with db.session_scope(_engine()) as session:
        c = services.promote_candidate(session=session, claim_id=claim_id, actor=by)
    typer.echo(f"claim {c.id} is now in the review queue")


@app.command("check-article")
@handles_errors
def check_article(
    slug: Annotated[str, typer.Argument(help="The article's slug.")],
    fmt: Annotated[ShowFormat, typer.Option("--format")] = ShowFormat.text,
) -> None:
    """List places where the article disagrees with itself (numbering, figures, totals).

    Example: tracker check-article trainium3-silicon-sovereignty
    """
    with db.session_scope(_engine()) as session:
        text = queries.get_article(session=session, slug=slug).text
    warnings = consistency.check(text)
    if fmt is ShowFormat.json:
        _echo_json(
            [
                {
                    "kind": w.kind,
                    "message": w.message,
                    "places": [{"start": p.start, "end": p.end, "text": p.text} for p in w.places],
                }
                for w in warnings
            ]
        )
        return
    for w in warnings:
        where = " / ".join(f"[{p.start}:{p.end}] “{_short(p.text, 50)}”" for p in w.places)
        typer.echo(f"{w.kind}: {w.message}\n    {where}")
    typer.echo(f"{len(warnings)} warning(s)")


@app.command("check-sources")
@handles_errors
def check_sources_cmd(
    claim_id: Annotated[
        int | None, typer.Option("--claim", help="Only this claim's sources.")
    ] = None,
    article: ArticleOpt = None,
    stale_after: Annotated[
        str, typer.Option(help="Skip links checked more recently than this (e.g. 7d, 12h, 0).")
    ] = "0",
    concurrency: Annotated[int, typer.Option(help="Requests in flight at once.")] = 20,
    per_host: Annotated[int, typer.Option(help="Requests in flight to one host.")] = 2,
    timeout: Annotated[
        float | None,
        typer.Option(help=f"Seconds for each request in total {_TIMEOUT_DEFAULT}."),
    ] = None,
    dead_after: Annotated[
        str, typer.Option(help="A link failing for this long (2+ checks) is dead.")
    ] = "1d",
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Also fetch private and loopback addresses.")
    ] = False,
    allow: Annotated[
        str | None,
        typer.Option(help="Extra CIDRs/hosts to allow (adds to TRACKER_LINKCHECK_ALLOW)."),
    ] = None,
    fmt: Annotated[ShowFormat, typer.Option("--format", help="text or json.")] = ShowFormat.text,
    by: ByOpt = "",
) -> None:
    """Check source links (HEAD, then GET for titles), politely and many at once.

    Example: tracker check-sources --article trainium3-silicon-sovereignty --stale-after 7d --by ana
    """
    policy = LinkPolicy.from_env(allow_private=allow_private, extra=allow)
    stale, dead = link_service.parse_duration(stale_after), link_service.parse_duration(dead_after)
    with db.session_scope(_engine()) as session:
        total = link_service.count_in_scope(session, claim_id, article)
        quiet = fmt is ShowFormat.json or total == 0
        with typer.progressbar(
            length=total, label="checking", file=sys.stderr, hidden=quiet
        ) as bar:
            summary = link_service.check_sources(
                session=session,
                actor=by,
                policy=policy,
                claim_id=claim_id,
                article=article,
                stale_after=stale,
                concurrency=concurrency,
                per_host=per_host,
                timeout=timeout,
                dead_after=dead,
                progress=lambda _r: bar.update(1),
            )
    if fmt is ShowFormat.json:
        _echo_json(summary.results)
        return
    for r in summary.results:
        status = r["http_status"] or r["error_class"]
        typer.echo(f"{r['state']:<8} {status!s:<18} {r['url']}")
    typer.echo(summary.line())


@app.command("archive-sources")
@handles_errors
def archive_sources_cmd(
    claim_id: Annotated[
        int | None, typer.Option("--claim", help="Only this claim's sources.")
    ] = None,
    article: ArticleOpt = None,
    refresh: Annotated[
        bool, typer.Option(help="Look up sources that already have a copy.")
    ] = False,
    capture: Annotated[
        bool, typer.Option(help="Request Save Page Now captures where none exists (needs keys).")
    ] = False,
    by: ByOpt = "",
) -> None:
    """Find the Wayback Machine snapshot closest to when each source was added.

    Example: tracker archive-sources --article trainium3-silicon-sovereignty --by ana
    """
    with db.session_scope(_engine()) as session:
        summary = link_service.archive_sources(
            session=session,
            actor=by,
            claim_id=claim_id,
            article=article,
            refresh=refresh,
            capture=capture,
        )
    if summary.capture_note:
        typer.echo(summary.capture_note, err=True)
    for error in summary.errors:
        typer.echo(f"warning: {error}", err=True)
    typer.echo(summary.line())


def _password(password_stdin: bool, no_password: bool) -> str | None:
    if no_password:
        return None
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get("TRACKER_PASSWORD"):
        return os.environ["TRACKER_PASSWORD"]
    if not sys.stdin.isatty():
        fail("give the password with --password-stdin or TRACKER_PASSWORD, or use --no-password")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


_ADD_BY_HELP = (
    "The admin adding it (needed once any account exists; only the first admin is added without)."
)


@users_app.command("add")
@handles_errors
def users_add(
    name: Annotated[str, typer.Argument(help="Account name (what --by refers to).")],
    role: Annotated[str, typer.Option(help="viewer, reviewer, editor or admin.")],
    by: Annotated[str | None, typer.Option("--by", help=_ADD_BY_HELP)] = None,
    email: Annotated[str | None, typer.Option(help="E-mail for OIDC sign-in.")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No dashboard password (CLI or OIDC only).")
    ] = False,
) -> None:
    """Add an account. The password comes from a prompt, --password-stdin or TRACKER_PASSWORD.

    Example: tracker users add ana --role reviewer --email ana@example.org --by admin
    """
    with db.session_scope(_engine()) as session:
        if by is None and services.list_users(session=session):
            fail(services.accounts.NEEDS_AN_ADMIN)  # before asking for a password
    password = _password(password_stdin, no_password)
    with db.session_scope(_engine()) as session:
        user = services.create_user(
            session=session, name=name, role=role, actor=by, password=password, email=email
        )
    typer.echo(f"account {user.name} ({user.role}) added")


@users_app.command("list")
@handles_errors
def users_list() -> None:
    """List accounts and their roles.

    Example: tracker users list
    """
    with db.session_scope(_engine()) as session:
        for u in services.list_users(session=session):
            state = "" if u.active else " (disabled)"
            typer.echo(f"{u.name:<20} {u.role:<9} {u.email or ''}{state}")


@users_app.command("set-role")
@handles_errors
def users_set_role(
    name: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Argument(help="viewer, reviewer, editor or admin.")],
    by: ByOpt,
) -> None:
    """Change an account's role (admins only; the last active admin stays admin).

    Ends the account's dashboard sessions.

    Example: tracker users set-role ana editor --by admin
    """
    with db.session_scope(_engine()) as session:
        user = services.set_role(session=session, name=name, role=role, actor=by)
    typer.echo(f"account {user.name} is now {user.role}")


def _read_secret(label: str, *, confirm: bool) -> str:
    if not sys.stdin.isatty():
        fail("no terminal to ask on; give the passwords with --password-stdin")
    return str(typer.prompt(label, hide_input=True, confirmation_prompt=confirm))


@users_app.command("passwd")
@handles_errors
def users_passwd(
    name: Annotated[str, typer.Argument(help="The account whose password changes.")],
    by: ByOpt,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read from stdin: the current password, then the new one, one per line "
            "(only the new one when an admin sets another account's).",
        ),
    ] = False,
) -> None:
    """Change a password: your own (asks for the current one) or, as an admin, another's.

    The new password is asked twice at a prompt, or read from stdin with
    --password-stdin. The account's other dashboard sessions end.

    Example: tracker users passwd ana --by ana
    """
    own = name == by
    if password_stdin:
        current = sys.stdin.readline().rstrip("\n") if own else None
        new = sys.stdin.readline().rstrip("\n")
    else:
        current = _read_secret("Current password", confirm=False) if own else None
        new = _read_secret("New password", confirm=True)
    with db.session_scope(_engine()) as session:
        services.set_password(session=session, name=name, password=new, actor=by, current=current)
    typer.echo(f"password of {name} changed; its other dashboard sessions are signed out")


@users_app.command("reset-password")
@handles_errors
def users_reset_password(
    name: Annotated[str, typer.Argument(help="The account to reset.")],
    by: ByOpt,
) -> None:
    """Give an account a new random password and print it once (admins only).

    Lifts a sign-in lock and ends the account's dashboard sessions; pass the
    password on privately.

    Example: tracker users reset-password ana --by admin
    """
    with db.session_scope(_engine()) as session:
        password = services.reset_password(session=session, name=name, actor=by)
    typer.echo(f"new password for {name}: {password}  (shown once; not stored in clear)")


@users_app.command("disable")
@handles_errors
def users_disable(
    name: Annotated[str, typer.Argument(help="The account to disable.")],
    by: ByOpt,
) -> None:
    """Disable an account: it can no longer sign in or act (admins only).

    Its dashboard sessions end; the last active admin cannot be disabled.

    Example: tracker users disable ana --by admin
    """
    with db.session_scope(_engine()) as session:
        services.disable_user(session=session, name=name, actor=by)
    typer.echo(f"account {name} disabled")


@users_app.command("enable")
@handles_errors
def users_enable(
    name: Annotated[str, typer.Argument(help="The account to enable again.")],
    by: ByOpt,
) -> None:
    """Enable a disabled account again (admins only).

    Example: tracker users enable ana --by admin
    """
    with db.session_scope(_engine()) as session:
        services.enable_user(session=session, name=name, actor=by)
    typer.echo(f"account {name} enabled")


@users_app.command("unlock")
@handles_errors
def users_unlock(
    name: Annotated[str, typer.Argument(help="The account whose sign-in lock is lifted.")],
    by: ByOpt,
) -> None:
    """Forget an account's failed sign-ins, lifting its lock now (admins only).

    Example: tracker users unlock ana --by admin
    """
    with db.session_scope(_engine()) as session:
        services.unlock_user(session=session, name=name, actor=by)
    typer.echo(f"account {name} unlocked")


@users_app.command("demo")
@handles_errors
def users_demo() -> None:
    """Create the demo admin if there is no account yet, and print its one-time password.

    The password is TRACKER_DEMO_PASSWORD if set, else a random one printed once
    (never stored in clear, never logged). Example: tracker users demo
    """
    with db.session_scope(_engine()) as session:
        if services.list_users(session=session):
            typer.echo("accounts exist already; sign in with yours (demo admin not created)")
            return
        password = os.environ.get("TRACKER_DEMO_PASSWORD") or services.new_password()
        services.create_user(
            session=session, name="admin", role="admin", actor=None, password=password
        )
    shown = "from TRACKER_DEMO_PASSWORD" if os.environ.get("TRACKER_DEMO_PASSWORD") else password
    typer.echo(
        f"demo account: admin / {shown}  (shown once; change it with "
        "`tracker users passwd admin --by admin` or the dashboard's Change password)"
    )


@app.command()
@handles_errors
def confirm(
    claim_id: Annotated[int, typer.Argument(metavar="ID")],
    by: ByOpt,
    version: Annotated[int | None, typer.Option(help="The version you looked at.")] = None,
) -> None:
    """Second review: confirm another reviewer's verdict (editors only).

    Example: tracker confirm 12 --by editor
    """
    with db.session_scope(_engine()) as session:
        c = services.confirm_verdict(
            session=session, claim_id=claim_id, actor=by, expected_version=version
        )
    typer.echo(f"claim {c.id}: {c.status} confirmed by {c.confirmed_by}")


@lost_app.command("move")
@handles_errors
def lost_move(
    claim_id: Annotated[int, typer.Argument(metavar="ID")],
    by: ByOpt,
    to: Annotated[
        int | None,
        typer.Option(
            "--to", help="Move to the sentence this claim quotes (default: the one proposed)."
        ),
    ] = None,
    quote: Annotated[
        str | None, typer.Option(help="Move to this exact quote of the current text.")
    ] = None,
    start: Annotated[
        int | None, typer.Option(help="Where --quote starts (default: its first occurrence).")
    ] = None,
    claim: Annotated[
        str | None, typer.Option("--claim", help="New claim text (e.g. with the new figure).")
    ] = None,
    version: Annotated[int | None, typer.Option(help="The version you looked at.")] = None,
) -> None:
    """Move a lost claim to a sentence of its article's current text (editors).

    A verdict goes back to in_review: what was judged changed.

    Example: tracker lost move 12 --claim "Revenue dipped 2.4%" --by editor
    """
    with db.session_scope(_engine()) as session:
        c = services.move_lost_claim(
            session=session,
            claim_id=claim_id,
            actor=by,
            expected_version=version,
            quote=quote,
            start=start,
            to=to,
            claim_text=claim,
        )
    typer.echo(
        f"claim {c.id} now quotes [{c.quote_start}:{c.quote_end}] “{_short(c.quote, 80)}”; "
        f"{c.status} (version {c.version})"
    )


@lost_app.command("dismiss")
@handles_errors
def lost_dismiss(
    claim_id: Annotated[int, typer.Argument(metavar="ID")],
    by: ByOpt,
    note: Annotated[str | None, typer.Option(help="Why (kept as a note).")] = None,
    version: Annotated[int | None, typer.Option(help="The version you looked at.")] = None,
) -> None:
    """Dismiss a lost claim: out of the article's published record, history kept (editors).

    Example: tracker lost dismiss 12 --note "The sentence was cut" --by editor
    """
    with db.session_scope(_engine()) as session:
        c = services.dismiss_lost_claim(
            session=session, claim_id=claim_id, actor=by, expected_version=version, note=note
        )
    typer.echo(f"claim {c.id} dismissed: its quote is not in revision {c.quote_lost_in}")


# --- "Checked before": matching and the reference library (#12) ----------------------


class MatchFormat(StrEnum):
    table = "table"
    json = "json"


def _print_matches(matches: list[Any]) -> None:
    if not matches:
        from .matching.index import MATCH_THRESHOLD

        typer.echo(f"  no match (nothing scores {MATCH_THRESHOLD:.2f} or more)")
    for m in matches:
        verdict = m.verdict or "-"
        if m.rating:
            verdict += f" = {m.rating}"
        when = m.date.isoformat() if m.date else "-"
        typer.echo(
            f"  {m.kind:<9} {m.id:>6}  {m.score:.3f}  {_short(verdict, 24):<24}  {when:<10}  "
            f"{_short(m.text, 70)}"
        )
        if m.url:
            typer.echo(f"{'':>20}{m.url}")


@app.command("match")
@handles_errors
def match_cmd(
    text: Annotated[str | None, typer.Argument(help="The text to match.")] = None,
    claim_id: Annotated[int | None, typer.Option("--claim", help="Match this claim.")] = None,
    queries_file: Annotated[
        Path | None, typer.Option("--queries", help="A file with one text per line.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Matches per query (1-100).")] = 5,
    fmt: Annotated[
        MatchFormat, typer.Option("--format", help="table, or json (JSON Lines with --queries).")
    ] = MatchFormat.table,
    refresh: Annotated[
        bool,
        typer.Option(
            "--refresh", help="Bring every claim's stored best match up to date, to the end."
        ),
    ] = False,
) -> None:
    """Find earlier reviewed claims and published fact-checks like a text or a claim.

    Each match has its kind (claim or reference), id, score, verdict or rating,
    URL and date. Example: tracker match "5G towers spread the virus" --limit 3.
    With --refresh, stores the claims' vectors and best matches the queue page
    has not got to yet (it does a bounded number per page load).
    """
    from .matching import store

    if refresh:
        if any(x is not None for x in (text, claim_id, queries_file)):
            fail("--refresh takes no TEXT, --claim or --queries", 2)
        with db.session_scope(_engine()) as session:
            typer.echo(_refresh_matches(session))
        return
    if sum(x is not None for x in (text, claim_id, queries_file)) != 1:
        fail("give exactly one of TEXT, --claim ID or --queries FILE", 2)
    if not 1 <= limit <= 100:
        fail(f"--limit must be from 1 to 100, got {limit}", 2)
    with db.session_scope(_engine()) as session:
        if queries_file is not None:
            for line in _query_lines(queries_file):
                found = store.search(session, line, limit=limit) if line.strip() else []
                if fmt is MatchFormat.json:
                    row = {"query": line, "matches": [m.as_json() for m in found]}
                    typer.echo(json.dumps(row, ensure_ascii=False, default=str))
                else:
                    typer.echo(_short(line, 100))
                    _print_matches(found)
            return
        if claim_id is not None:
            queries.check_claim_id(claim_id)
            found = store.search_claim(session, claim_id, limit=limit)
        else:
            found = store.search(session, text or "", limit=limit)
    if fmt is MatchFormat.json:
        _echo_json([m.as_json() for m in found])
    else:
        _print_matches(found)


MAX_QUERIES_BYTES = 64 * 1024**2  # a file of queries, one per line


def _query_lines(path: Path) -> list[str]:
    """The lines of a regular UTF-8 file of at most 64 MiB; bad UTF-8 names its line."""
    data = read_file(str(path), MAX_QUERIES_BYTES)
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()  # the last line's break ends it, it does not start another
    out = []
    for number, raw in enumerate(lines, start=1):
        try:
            out.append(raw.decode("utf-8-sig" if number == 1 else "utf-8").removesuffix("\r"))
        except UnicodeDecodeError:
            fail(f"{path}: line {number} is not valid UTF-8; save the file as UTF-8")
    return out


def _refresh_matches(session: Any) -> str:
    """Every stored best match brought up to date, with a progress bar; a summary line."""
    with typer.progressbar(length=0, label="matching", file=sys.stderr) as bar:

        def progress(n: int) -> None:
            bar.length = max(bar.length or 0, bar.pos + n)  # the to-do list is known as it goes
            bar.update(n)

        report = services.refresh_matches(session=session, limit=None, progress=progress)
    return (
        f"{report.matched} best matches computed, {report.vectors} claim vectors; "
        f"{report.changed} indexed rows changed since the last refresh"
    )


@import_app.command("factchecks")
@handles_errors
def import_factchecks(
    file: Annotated[Path, typer.Argument(help="ClaimReview JSON-LD / JSON Lines, CSV or TSV.")],
    by: ByOpt,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="FIELD=COLUMN (name or 1-based position); fields: claim, title, url, "
            "rating, publisher, claimant, appearance, date, id. Repeatable.",
        ),
    ] = None,
    delimiter: Annotated[
        str | None,
        typer.Option(
            help="Column delimiter: TAB, COMMA, SEMICOLON, PIPE or a character "
            "(default: TAB for .tsv/.tab, else COMMA)."
        ),
    ] = None,
    quote: QuoteOpt = None,
    no_header: Annotated[
        bool, typer.Option("--no-header", help="The first row is data; map columns by position.")
    ] = False,
    labels: Annotated[
        Path | None,
        typer.Option(help="CSV label,rating_value,rating_name: each label's place on our scale."),
    ] = None,
    skip_invalid: SkipInvalidOpt = None,
) -> None:
    """Load published fact-checks into the reference library (not the review queue).

    All of the file or nothing (--skip-invalid FILE: the valid records, the
    others listed in FILE); importing it again changes nothing. A TSV file is
    read unquoted: a " is an ordinary character unless --quote '"' is given.

    Example: tracker import factchecks checks.tsv --map claim=vclaim --by editor
    """
    sep = None if delimiter is None else parse_delimiter(delimiter)
    with _rejects_file(skip_invalid, file) as rejects, db.session_scope(_engine()) as session:
        with _growing_bar("importing") as progress:
            report = services.import_references(
                session=session,
                path=file,
                actor=by,
                mapping=parse_map(
                    mapping or [], fields=_reference_fields(), synonyms={}, need_claim=False
                ),
                delimiter=sep,
                quote=quote,
                header=not no_header,
                labels=labels,
                rejects=rejects,
                progress=progress,
            )
        if report.added or report.updated:
            typer.echo(_refresh_matches(session), err=True)
    typer.echo(report.line())


@app.command("references")
@handles_errors
def references_cmd(
    search: Annotated[str | None, typer.Option(help="Text in the fact-checked claim.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (0 = all).")] = 20,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = (
        OutputFormat.table
    ),
) -> None:
    """List the reference library (published fact-checks) and count it by publisher.

    Example: tracker references --search vaccine --limit 10
    """
    with db.session_scope(_engine()) as session:
        counts = queries.reference_counts(session=session)
        rows = queries.list_references(session=session, search=search, limit=limit or None)
    if fmt is OutputFormat.json:
        _echo_json(
            {
                "counts": counts,
                "references": [r.model_dump(mode="json", exclude={"embedding"}) for r in rows],
            }
        )
        return
    for r in rows:
        rating = r.rating_label or "-"
        typer.echo(
            f"{r.id:>6}  {_short(rating, 16):<16}  {_short(r.publisher, 16):<16}  "
            f"{_short(r.claim, 80)}"
        )
    typer.echo(
        f"{counts['total']} references: "
        + ", ".join(f"{k} {v}" for k, v in counts.items() if k != "total")
    )


# --- end of "checked before" (#12) ---------------------------------------------------


DASHBOARD_APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
STREAMLIT_OPTIONS = {
    "server.headless": "true",
    "browser.gatherUsageStats": "false",
    # Users get no developer toolbar ("Deploy", rerun, settings): only the app (#11).
    "client.toolbarMode": "viewer",
    # Nor a "File change. Rerun" prompt when the installed code changes under a running
    # desk, and no thread watching the source files (`streamlit run` keeps it for developers).
    "server.fileWatcherType": "none",
    # Tables show claim text; their built-in "Download as CSV" and clipboard copy would
    # hand a spreadsheet unescaped formulas. The Export page's CSV is the escaped one.
    "client.disableDataExport": "true",
    "theme.primaryColor": "#1f5fbf",
}


def streamlit_command(*, port: int, address: str, app: Path = DASHBOARD_APP) -> list[str]:
    """The command that serves the dashboard, or another ``app`` with its options (the
    browser tests; the benchmark's bare Streamlit page)."""
    options = {**STREAMLIT_OPTIONS, "server.port": str(port), "server.address": address}
    flags = [item for key, value in options.items() for item in (f"--{key}", value)]
    return [sys.executable, "-m", "streamlit", "run", str(app), *flags]


@app.command()
@handles_errors
def dashboard(
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
    address: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
) -> None:
    """Start the Streamlit review dashboard on this database.

    Example: tracker dashboard --port 8501
    """
    engine = _engine()
    db.check_schema(engine)  # the dashboard never migrates; `tracker init` does
    env = {**os.environ, "TRACKER_DATABASE_URL": _state.get("url") or str(engine.url)}
    cmd = streamlit_command(port=port, address=address)
    typer.echo(f"dashboard on http://{address}:{port}/  (Ctrl+C to stop)")
    try:
        code = subprocess.call(cmd, env=env)  # noqa: S603
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)


@app.command("worker")
@handles_errors
def worker_cmd(
    interval: Annotated[
        float, typer.Option(help="Seconds between cycles (at least 1).", min=1.0)
    ] = 30.0,
    stale_after: Annotated[
        str, typer.Option(help="Re-check links not checked for this long (e.g. 7d, 12h).")
    ] = "7d",
    no_links: Annotated[
        bool, typer.Option("--no-links", help="Refresh matches only; check no link.")
    ] = False,
    once: Annotated[
        bool, typer.Option("--once", help="One cycle, then stop (exit 1 if it failed).")
    ] = False,
) -> None:
    """Run the background work: refresh stored matches, re-check stale links.

    One worker is active per database (a lease); a second one waits. Each cycle
    prints a progress line; failures are recorded for the overview page. SIGTERM
    or Ctrl+C finish the current step, release the lease and exit 0.

    Example: tracker worker --interval 60 --stale-after 7d
    """
    from . import worker
    from .services.links import parse_duration

    options = worker.WorkerOptions(
        interval=interval,
        stale_after=parse_duration(stale_after),
        links=not no_links,
        once=once,
    )
    runner = worker.Worker(_engine(), options, say=lambda line: typer.echo(line, err=True))
    runner.handle_signals()
    typer.echo(f"worker {runner.holder}: every {interval:g} s (SIGTERM stops it)", err=True)
    raise typer.Exit(runner.run())


# --- publishing: rate, report, export claimreview (#13) ------------------------------


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"


class Paper(StrEnum):
    a4 = "a4"
    letter = "letter"


@app.command()
@handles_errors
def rate(
    claim_id: Annotated[int, typer.Argument(metavar="ID")],
    rating: Annotated[
        str,
        typer.Argument(
            help="A label of the desk's scale (TRACKER_RATING_SCALE; case and punctuation "
            "ignored, e.g. mostly-false), its number (1 = worst), Unverifiable, or - to clear."
        ),
    ],
    by: ByOpt,
    summary: Annotated[
        str | None,
        typer.Option(help="The verdict summary readers see (one or two sentences; '' clears)."),
    ] = None,
    version: Annotated[int | None, typer.Option(help="The version you looked at.")] = None,
) -> None:
    """Rate a claim on the desk's scale and write its public verdict summary (editors).

    A claim is published once its verdict is confirmed and it has both.

    Example: tracker rate 12 mostly-false --summary "Only for training, says AWS." --by editor
    """
    fields: dict[str, str | None] = {"rating": None if rating.strip() == "-" else rating}
    if summary is not None:
        fields["verdict_summary"] = summary
    changes = RatingUpdate(**fields)
    with db.session_scope(_engine()) as session:
        c = services.rate_claim(
            session=session,
            claim_id=claim_id,
            changes=changes,
            actor=by,
            expected_version=version,
        )
    missing = publishing.publication_blockers(c)
    state = "published" if not missing else "not published yet: needs " + ", ".join(missing)
    typer.echo(f"claim {c.id} rated {c.rating or '-'} (version {c.version}); {state}")


@app.command()
@handles_errors
def report(
    slug: Annotated[str, typer.Argument(help="The article's slug.")],
    fmt: Annotated[ReportFormat, typer.Option("--format", help="html or pdf.")] = (
        ReportFormat.html
    ),
    out: Annotated[
        str | None,
        typer.Option("--out", help="File to write (default SLUG.html / SLUG.pdf; - = stdout)."),
    ] = None,
    paper: Annotated[Paper, typer.Option(help="Page size for printing: a4 or letter.")] = (
        Paper.a4
    ),
) -> None:
    """Write the article's fact-check report: its published claims, ratings and sources.

    Self-contained HTML (inline CSS, print-ready) or a PDF printed by headless
    Chromium. Embeds ClaimReview JSON-LD when TRACKER_REPORT_BASE_URL and
    TRACKER_ORG_NAME are set.

    Example: tracker report trainium3-silicon-sovereignty --format pdf --out report.pdf
    """
    settings = get_settings()
    with db.session_scope(_engine()) as session:
        page = publishing.report_html(
            session=session, slug=slug, settings=settings, paper=paper.value
        )
        published = len(publishing.published_report(session=session, slug=slug).claims)
    if not publishing.claimreview_configured(settings):
        typer.echo(
            "note: no ClaimReview markup embedded; set TRACKER_REPORT_BASE_URL and "
            "TRACKER_ORG_NAME to add it",
            err=True,
        )
    content = page.encode("utf-8") if fmt is ReportFormat.html else html_to_pdf(page)
    if out == "-":
        if fmt is ReportFormat.pdf:
            fail("a PDF is not written to the terminal; give --out FILE")
        sys.stdout.write(page)
        return
    target = Path(out or f"{slug}.{fmt.value}")
    write_file(target, lambda fh: fh.write(content))
    typer.echo(f"wrote the report of {slug} ({published} published claims) to {target}", err=True)


@export_app.command("claimreview")
@handles_errors
def export_claimreview(
    article: ArticleOpt = None,
    out: Annotated[str, typer.Option("--out", help="File to write, or - for stdout.")] = "-",
) -> None:
    """Export schema.org ClaimReview JSON-LD, one object per published claim.

    Needs TRACKER_REPORT_BASE_URL (where reports are published) and
    TRACKER_ORG_NAME (optionally TRACKER_ORG_URL).

    Example: tracker export claimreview --article trainium3-silicon-sovereignty --out claims.jsonld
    """
    with db.session_scope(_engine()) as session:
        items = publishing.claimreview_items(session=session, article=article)
    text = claimreview.dumps(items)
    if out == "-":
        sys.stdout.write(text)
        return
    target = Path(out)
    write_file(target, lambda fh: fh.write(text.encode("utf-8")))
    typer.echo(f"wrote {len(items)} ClaimReview objects to {target}", err=True)


if __name__ == "__main__":
    app()
