"""Fixtures: a fresh database per test, on SQLite and on PostgreSQL.

PostgreSQL comes from ``TRACKER_TEST_POSTGRES_URL`` (default: the local server,
``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Each test gets its own
schema, dropped afterwards. Without a reachable server the PostgreSQL cases
are skipped on a developer machine and **fail** under CI (``CI=true``).

Expensive setup is shared, not repeated: each test process (pytest-xdist
worker) builds a database once per level (migrated; with the test accounts;
seeded) through the real migrations and services, and every test gets a
private copy of the level it asks for (``engine``, ``session``, ``seeded``).
SQLite copies the file; PostgreSQL replays the migrations' DDL (Alembic's
offline SQL) in the test's schema and copies the rows. The CLI tests still
run ``tracker init`` and ``tracker seed`` for real.
"""

from __future__ import annotations

import io
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from tracker import db
from tracker.services.seeding import seed

from .livedin import LivedIn, build_lived_in

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
PG_URL = os.environ.get(
    "TRACKER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what: str) -> None:
    """Skip locally, fail under CI: a gap in CI must be red, not hidden."""
    if IN_CI:
        pytest.fail(f"{what} (CI=true: this must not be skipped)", pytrace=False)
    pytest.skip(what)


def _pg_admin() -> Engine:
    engine = create_engine(
        PG_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        engine.dispose()
        missing(f"PostgreSQL at {PG_URL} is not reachable: {exc.__class__.__name__}")
    return engine


@contextmanager
def private_schema() -> Iterator[str]:
    """A URL whose connections land in a fresh schema, dropped afterwards."""
    admin = _pg_admin()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _schema_url(schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL whose connections land in a fresh, private schema."""
    with private_schema() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return request.getfixturevalue(name)


LEVELS = ("migrated", "accounts", "seeded", "lived_in")
LEVEL = pytest.StashKey[str]()


def _sqlite(path: Path) -> str:
    return f"sqlite:///{path}"


# A PostgreSQL template's sequences: (sequence, table, column), for advancing a copy's.
_OWNED_SEQUENCES = """
SELECT s.relname, t.relname, a.attname
FROM pg_class s
JOIN pg_namespace n ON n.oid = s.relnamespace
JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE s.relkind = 'S' AND n.nspname = %(schema)s
ORDER BY s.relname
"""


class Templates:
    """One database per level, built once per test process, copied per test.

    Every level is built through the real migrations and services on each
    backend, and a copy takes every table of the schema (in foreign-key order,
    triggers off so derived rows are copied, not recomputed) and advances every
    sequence, so a copy holds exactly the template's rows.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._sqlite: dict[str, Path] = {}
        self._pg_ddl: str | None = None
        self._pg_schemas: dict[str, str] = {}
        self._lived_in: LivedIn | None = None
        self.build_seconds: dict[tuple[str, str], float] = {}

    @property
    def lived_in(self) -> LivedIn:
        """What the lived-in level holds where (the same on both backends)."""
        assert self._lived_in is not None, "build a lived_in template first"
        return self._lived_in

    def _fill_level(self, engine: Engine, level: str, backend: str) -> None:
        started = time.perf_counter()
        if level == "accounts":
            make_accounts(engine)
        elif level == "seeded":
            with Session(engine) as s:
                seed(session=s, seeds_dir=SEEDS)
        elif level == "lived_in":
            built = build_lived_in(engine)
            assert self._lived_in in (None, built), "the lived-in build is not deterministic"
            self._lived_in = built
        self.build_seconds[(level, backend)] = time.perf_counter() - started

    def _build_sqlite(self, level: str) -> Path:
        if level in self._sqlite:
            return self._sqlite[level]
        path = self.root / f"{level}.db"
        if level == "migrated":
            engine = db.make_engine(_sqlite(path))
            db.upgrade(engine)
        else:
            # the lived-in database starts from an empty schema: it makes its own accounts
            previous = "migrated" if level == "lived_in" else LEVELS[LEVELS.index(level) - 1]
            shutil.copyfile(self._build_sqlite(previous), path)
            engine = db.make_engine(_sqlite(path))
            self._fill_level(engine, level, "sqlite")
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        self._sqlite[level] = path
        return path

    def sqlite_template(self, level: str) -> str:
        """The URL of the SQLite template ``level`` (read it, never write it)."""
        return _sqlite(self._build_sqlite(level))

    def _ddl(self) -> str:
        if self._pg_ddl is None:
            from alembic import command

            cfg = db.alembic_config(PG_URL)
            cfg.output_buffer = io.StringIO()
            command.upgrade(cfg, "head", sql=True)
            self._pg_ddl = cfg.output_buffer.getvalue()
        return self._pg_ddl

    def pg_template(self, level: str) -> str:
        """The schema of the PostgreSQL template ``level`` (read it, never write it)."""
        if level not in self._pg_schemas:
            schema = f"tmpl_{uuid.uuid4().hex[:12]}"
            admin = _pg_admin()
            try:
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
                    self._pg_schemas[level] = schema  # dropped by close() even if filling fails
                    conn.exec_driver_sql(f'SET search_path TO "{schema}"')
                    conn.exec_driver_sql(self._ddl())
                    if level == "seeded":  # the accounts level's rows, then the seed
                        self._copy_pg(conn, self.pg_template("accounts"), schema)
            finally:
                admin.dispose()
            engine = db.make_engine(_schema_url(schema))
            self._fill_level(engine, level, "postgres")
            engine.dispose()
        return self._pg_schemas[level]

    @staticmethod
    def _copy_pg(conn: Connection, source: str, target: str) -> None:
        """Every row of every table of schema ``source`` into the empty schema ``target``."""
        tables = [
            name
            for name, _ in inspect(conn).get_sorted_table_and_fkc_names(schema=source)
            if name is not None and name != "alembic_version"
        ]
        # triggers off: the counters and tallies are rows of their own, copied as they are
        conn.exec_driver_sql("SET session_replication_role = replica")
        try:
            for table in reversed(tables):  # rows the migrations wrote (markers) included
                conn.exec_driver_sql(f'DELETE FROM "{target}"."{table}"')
            for table in tables:
                conn.exec_driver_sql(
                    f'INSERT INTO "{target}"."{table}" SELECT * FROM "{source}"."{table}"'
                )
        finally:
            conn.exec_driver_sql("SET session_replication_role = DEFAULT")
        owned = conn.exec_driver_sql(_OWNED_SEQUENCES, {"schema": source}).all()
        for sequence, table, column in owned:
            conn.exec_driver_sql(
                f"""SELECT setval('"{target}"."{sequence}"', """
                f'coalesce((SELECT max("{column}") FROM "{target}"."{table}"), 0) + 1, false)'
            )

    def fill(self, url: str, level: str) -> None:
        """Make the empty database at ``url`` a copy of the template ``level``."""
        if url.startswith("sqlite"):
            target = Path(url.removeprefix("sqlite:///"))
            shutil.copyfile(self._build_sqlite(level), target)
            return
        schema = url.split("search_path%3D", 1)[1]
        template = self.pg_template(level) if level != "migrated" else None
        admin = _pg_admin()
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'SET search_path TO "{schema}"')
                conn.exec_driver_sql(self._ddl())
                if template is not None:
                    self._copy_pg(conn, template, schema)
        finally:
            admin.dispose()

    def close(self) -> None:
        if self._pg_schemas:
            admin = _pg_admin()
            with admin.connect() as conn:
                for schema in self._pg_schemas.values():
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def _schema_url(schema: str) -> str:
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    t = Templates(tmp_path_factory.mktemp("templates"))
    yield t
    t.close()


def _level(request: pytest.FixtureRequest) -> str:
    names = request.fixturenames
    return "seeded" if "seeded" in names else "accounts" if "session" in names else "migrated"


@pytest.fixture
def engine(db_url: str, templates: Templates, request: pytest.FixtureRequest) -> Iterator[Engine]:
    level = _level(request)
    templates.fill(db_url, level)
    request.node.stash[LEVEL] = level
    eng = db.make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    eng = db.make_engine(sqlite_url)
    db.upgrade(eng)
    yield eng
    eng.dispose()


ACCOUNTS = {
    "admin": "admin",
    "ana": "reviewer",
    "bob": "reviewer",
    "carol": "reviewer",
    "editor": "editor",
    "eve": "editor",
    "victor": "viewer",
}


def make_accounts(engine: Engine) -> None:
    """The standard test accounts (no passwords: they act through the services)."""
    from tracker.services import create_user

    with Session(engine) as s:
        for name, role in ACCOUNTS.items():
            create_user(session=s, name=name, role=role, actor="admin")


def make_accounts_via_cli(db_url: str) -> None:
    from typer.testing import CliRunner

    from tracker.cli import app

    runner = CliRunner()
    for name, role in ACCOUNTS.items():
        result = runner.invoke(
            app,
            [
                "--db",
                db_url,
                "users",
                "add",
                name,
                "--role",
                role,
                "--no-password",
                "--by",
                "admin",
            ],
        )
        assert result.exit_code == 0, result.stderr


@pytest.fixture
def session(engine: Engine, request: pytest.FixtureRequest) -> Iterator[Session]:
    if request.node.stash[LEVEL] == "migrated":
        make_accounts(engine)
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def seeded(session: Session, request: pytest.FixtureRequest) -> Session:
    if request.node.stash[LEVEL] != "seeded":
        seed(session=session, seeds_dir=SEEDS)
    return session


@dataclass
class LivedDb:
    """A private copy of the lived-in database, and what it holds where."""

    url: str
    engine: Engine
    facts: LivedIn

    @property
    def backend(self) -> str:
        return self.engine.dialect.name


@pytest.fixture
def lived_in(db_url: str, templates: Templates) -> Iterator[LivedDb]:
    """The lived-in database (tests/livedin.py) on SQLite and on PostgreSQL, built once
    per test process and per backend, copied for each test."""
    templates.fill(db_url, "lived_in")
    eng = db.make_engine(db_url)
    yield LivedDb(db_url, eng, templates.lived_in)
    eng.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the slow tests first, so parallel workers finish together (xdist hands
    out tests in collection order)."""
    items.sort(key=lambda item: 0 if item.get_closest_marker("slow") else 1)


def migrate(engine: Engine, target: str) -> None:
    """Upgrade ``engine``'s database to ``target`` ("head" included) or downgrade it."""
    if target == "head":
        db.upgrade(engine)
    else:
        db.downgrade(engine, target)
