"""Engines and sessions: the only module that knows about database URLs.

SQLite gets foreign keys, WAL journaling and a busy timeout on every
connection. Writes on SQLite take the database lock when their transaction
begins (``BEGIN IMMEDIATE``), so two writers never deadlock on a lock upgrade;
reads stay plain deferred transactions and never block writers under WAL.

The driver errors that are about the database rather than the code (busy,
unreachable, missing, read-only, full) leave the engine as
:class:`~tracker.errors.DatabaseBusy` or
:class:`~tracker.errors.DatabaseUnavailable`, naming the URL without its
password, so every entry point shows them as one line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, create_engine

from .config import get_settings
from .errors import DatabaseBusy, DatabaseUnavailable, SchemaMismatch, ValidationFailed

WRITE_OPTION = "tracker_write"
_MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default: settings), tuned for the backend."""
    url = url or get_settings().database_url
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValidationFailed(
            f"{url!r} is not a database URL; use sqlite:///PATH or "
            "postgresql://USER@HOST:PORT/DBNAME"
        ) from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValidationFailed(
            f"tracker runs on SQLite or PostgreSQL, not {parsed.get_backend_name()!r} "
            f"({public_url(parsed)})"
        )
    if parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(False))
        parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        busy_timeout = get_settings(url).sqlite_busy_timeout
        kwargs.setdefault("connect_args", {})
        kwargs["connect_args"].setdefault("check_same_thread", False)
        kwargs["connect_args"].setdefault("timeout", busy_timeout)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, busy_timeout, get_settings(url).sqlite_cache_kib)
        _translate_errors(engine, busy_timeout)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if parsed.get_backend_name() == "postgresql":
        # Timestamps are compared and grouped as UTC whatever the server's zone.
        # Merge with any libpq options already in the URL (e.g. a search_path).
        connect_args = kwargs.setdefault("connect_args", {})
        in_url = parsed.query.get("options", "")
        in_url = " ".join(in_url) if isinstance(in_url, tuple) else in_url
        merged = f"{in_url} {connect_args.get('options', '')} -c timezone=UTC"
        connect_args["options"] = " ".join(merged.split())
        url = parsed.difference_update_query(["options"]).render_as_string(hide_password=False)
    engine = create_engine(url, **kwargs)
    _translate_errors(engine, None)
    return engine


def _configure_sqlite(engine: Engine, busy_timeout: float, cache_kib: int | None) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")  # first: WAL may wait
        cur.execute("PRAGMA foreign_keys=ON")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        if cache_kib is not None:
            cur.execute(f"PRAGMA cache_size=-{int(cache_kib)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def public_url(url: URL | str) -> str:
    """``url`` as it may be shown to people: the password masked."""
    return (make_url(url) if isinstance(url, str) else url).render_as_string(hide_password=True)


# SQLite's own messages (sqlite3_errstr), the same in every version and driver.
_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")
_SQLITE_READ_ONLY = "attempt to write a readonly database"
_SQLITE_FULL = "database or disk is full"
_SQLITE_CANNOT_OPEN = "unable to open database file"
_SQLITE_NOT_A_DATABASE = "file is not a database"


def _translate_errors(engine: Engine, busy_timeout: float | None) -> None:
    """Driver errors about the database itself become the project's own errors."""
    sqlite = engine.dialect.name == "sqlite"
    where = (engine.url.database or ":memory:") if sqlite else public_url(engine.url)

    @event.listens_for(engine, "handle_error")
    def _on_error(ctx: ExceptionContext) -> Exception | None:
        if ctx.is_pre_ping:  # the pool reconnects on its own
            return None
        original = ctx.original_exception
        message = " ".join(str(original).split())
        if sqlite:
            lowered = message.lower()
            if busy_timeout is not None and any(m in lowered for m in _SQLITE_BUSY):
                return DatabaseBusy(busy_timeout)
            if _SQLITE_READ_ONLY in lowered:
                return DatabaseUnavailable(
                    f"the database {where} is read-only; check the file's and its folder's "
                    "permissions, or use a writable copy"
                )
            if _SQLITE_FULL in lowered:
                return DatabaseUnavailable(
                    f"the database {where} is full (no space left on the disk, or its size "
                    "limit reached); free some space and try again"
                )
            if _SQLITE_NOT_A_DATABASE in lowered:
                return DatabaseUnavailable(
                    f"{where} is not a SQLite database (or it is encrypted or damaged); "
                    "check --db / TRACKER_DATABASE_URL"
                )
            if _SQLITE_CANNOT_OPEN in lowered:
                return DatabaseUnavailable(
                    f"cannot open the database {where}: does its folder exist and may "
                    "tracker read and write it?"
                )
            return None
        if ctx.connection is None and ctx.sqlalchemy_exception is not None:
            # Connecting failed: server down, wrong port, no such database, refused login.
            reason = message.removeprefix("connection failed: ") or type(original).__name__
            return DatabaseUnavailable(f"cannot connect to the database {where}: {reason}")
        return None


def begin_write(session: Session) -> None:
    """Start ``session``'s transaction as a write (SQLite: ``BEGIN IMMEDIATE``).

    Every use case that writes calls it first. A read transaction still open
    on the session (an entry point that looked the claim up first) is ended
    before: upgrading a read to a write is what fails on SQLite with "database
    is locked" instead of waiting its turn.
    """
    if session.in_transaction():
        if session.info.get(WRITE_OPTION):
            return
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() with unsaved changes in a read transaction")
        session.rollback()
    session.connection(execution_options={WRITE_OPTION: True})
    session.info[WRITE_OPTION] = True


def _end_of_transaction(session: Session, _transaction: Any) -> None:
    if _transaction.parent is None:
        session.info.pop(WRITE_OPTION, None)


event.listen(OrmSession, "after_transaction_end", _end_of_transaction)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, target: str = "head") -> None:
    """Create or upgrade the schema to ``target`` (default: the newest migration)."""
    _migrate(engine, "upgrade", target)


def downgrade(engine: Engine, target: str) -> None:
    """Take the schema back to the migration ``target``, keeping the rows."""
    _migrate(engine, "downgrade", target)


def _migrate(engine: Engine, direction: str, target: str) -> None:
    """Run the migrations in one write transaction.

    SQLite rebuilds a table to change it (copy, drop, rename). With foreign
    keys on, dropping a table that other rows refer to fails, and ``PRAGMA
    foreign_keys`` is ignored inside a transaction, so it is switched off on
    the connection before the transaction begins, the references are checked
    before the commit (a migration that broke one is rolled back) and it is
    switched on again before the connection goes back to the pool.
    """
    from alembic import command

    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            _sqlite_pragma(conn, "foreign_keys=OFF")
        try:
            with conn.execution_options(**{WRITE_OPTION: True}).begin():
                cfg = alembic_config(engine.url.render_as_string(hide_password=False))
                cfg.attributes["connection"] = conn
                getattr(command, direction)(cfg, target)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(
                            f"the {direction} to {target} left rows referring to missing "
                            f"ones (table, rowid, parent): {[tuple(r[:3]) for r in broken[:5]]}"
                        )
        finally:
            if sqlite and not conn.invalidated:
                _sqlite_pragma(conn, "foreign_keys=ON")


def _sqlite_pragma(conn: Connection, pragma: str) -> None:
    """Run ``pragma`` on the driver's connection: outside any transaction, which
    is where ``foreign_keys`` takes effect (SQLAlchemy would begin one first)."""
    if conn.in_transaction():
        raise RuntimeError(f"PRAGMA {pragma} needs a connection outside a transaction")
    conn.connection.driver_connection.execute(f"PRAGMA {pragma}")  # type: ignore[union-attr]


def migrate(conn: Connection) -> None:
    """Upgrade the schema on ``conn`` inside its open transaction (both backends' DDL is
    transactional), so a use case that creates a schema and fills it commits both or neither."""
    from alembic import command

    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        # Foreign keys cannot be switched off inside a transaction; deferred, they are
        # checked once a rebuilt table is back. Immediate again afterwards, so the
        # caller's own rows are refused where they are written, not at the commit.
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    cfg = alembic_config(conn.engine.url.render_as_string(hide_password=False))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")
    if sqlite:
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = OFF")


@contextmanager
def as_it_was_on_failure(engine: Engine) -> Iterator[None]:
    """A SQLite file that connecting to ``engine`` creates is removed again if the block
    fails (with its WAL and shared-memory files): a failed restore or copy into a new
    file leaves no file behind. The block's own transaction undoes everything else."""
    path = _new_sqlite_file(engine)
    try:
        yield
    except BaseException:
        if path is not None:
            engine.dispose()  # close the pool's connections before removing the file
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        raise


def _new_sqlite_file(engine: Engine) -> Path | None:
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    name = engine.url.database
    if name.startswith("file:") or engine.url.query.get("uri") in ("true", "1"):
        return None  # a URI names options, not just a path: leave it alone
    path = Path(name)
    return None if path.exists() else path


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest migration this version of tracker knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def check_schema(engine: Engine) -> None:
    """Refuse a database whose schema is not this tracker's newest migration.

    Only ``tracker init`` migrates: a server (the dashboard, of which several
    replicas may start at once) must not change the schema under the others.
    """
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    where = public_url(engine.url)
    if current is None:
        raise SchemaMismatch(f"the database {where} has no tracker schema; run `tracker init`")
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    try:
        script.get_revision(current)
    except CommandError:
        raise SchemaMismatch(
            f"the database {where} is at schema revision {current}, newer than this tracker "
            f"knows (newest: {head}); upgrade tracker"
        ) from None
    raise SchemaMismatch(
        f"the database {where} is at schema revision {current}, this tracker needs {head}; "
        "upgrade it with `tracker init` (with the same --db or TRACKER_DATABASE_URL)"
    )
