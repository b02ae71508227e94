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
from collections.abc import Callable, Iterable
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

    from . import db, queries, services
    from .intake import consistency
    from .interchange.csv_export import write_csv
    from .linkcheck.netguard import LinkPolicy
    from .queries import ClaimFilter
    from .services import links as link_service
else:
    db, queries, services = _Lazy("tracker.db"), _Lazy("tracker.queries"), _Lazy("tracker.services")
    consistency = _Lazy("tracker.intake.consistency")
    write_csv = _Lazy("tracker.interchange.csv_export", "write_csv")
    LinkPolicy = _Lazy("tracker.linkcheck.netguard", "LinkPolicy")
    ClaimFilter = _Lazy("tracker.queries", "ClaimFilter")
    link_service = _Lazy("tracker.services.links")


def _database_errors() -> tuple[type[BaseException], ...]:
    """What the last-resort handler turns into one line (imported only when raised)."""
    from sqlalchemy.exc import DataError, OperationalError

    return (OperationalError, DataError, OSError)


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
app.add_typer(source_app, name="source")
app.add_typer(users_app, name="users")
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")

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
        typer.echo(
            f"{r.id:>5}  {r.status:<10}  {r.claim_type:<11}  {r.source_count:>3}  "
            f"{_short(r.claim, 80)}"
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
        try:
            count = _write_export(target, session=session, filters=filters)
        except OSError as exc:
            fail(f"cannot write {target}: {exc.strerror or exc}")
    typer.echo(f"wrote {count} claims to {target}", err=True)


def _write_export(target: Path, **query: Any) -> int:
    if target.exists() and not target.is_file():  # a device or a pipe: never replace it
        with target.open("w", encoding="utf-8", newline="") as fh:
            return write_csv(fh, **query)
    tmp = target.with_name(f".{target.name}.partial")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            count = write_csv(fh, **query)
        tmp.replace(target)  # readers never see half a file
    finally:
        tmp.unlink(missing_ok=True)
    return count


@import_app.command("csv")
@handles_errors
def import_csv(
    file: Annotated[Path, typer.Argument(help="CSV in the export's format.")],
    by: ByOpt,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only validate.")] = False,
) -> None:
    """Import claims from CSV: update existing ones, create new ones; all rows or none.

    Example: tracker import csv claims.csv --by ana --dry-run
    """
    with db.session_scope(_engine()) as session:
        report = services.import_claims_csv(session=session, path=file, actor=by, dry_run=dry_run)
    typer.echo(str(report))


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


DASHBOARD_APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
STREAMLIT_OPTIONS = {
    "server.headless": "true",
    "browser.gatherUsageStats": "false",
    "client.toolbarMode": "minimal",
    # Tables show claim text; their built-in "Download as CSV" and clipboard copy would
    # hand a spreadsheet unescaped formulas. The Export page's CSV is the escaped one.
    "client.disableDataExport": "true",
    "theme.primaryColor": "#1f5fbf",
}


def streamlit_command(*, port: int, address: str) -> list[str]:
    """The command that serves the dashboard (also used by the browser tests)."""
    options = {**STREAMLIT_OPTIONS, "server.port": str(port), "server.address": address}
    flags = [item for key, value in options.items() for item in (f"--{key}", value)]
    return [sys.executable, "-m", "streamlit", "run", str(DASHBOARD_APP), *flags]


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
    env = {**os.environ, "TRACKER_DATABASE_URL": _state.get("url") or str(engine.url)}
    cmd = streamlit_command(port=port, address=address)
    typer.echo(f"dashboard on http://{address}:{port}/  (Ctrl+C to stop)")
    try:
        code = subprocess.call(cmd, env=env)  # noqa: S603
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)


if __name__ == "__main__":
    app()
