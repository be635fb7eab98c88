"""Database engine and schema: SQLite file by default, PostgreSQL when the URL says so.

The schema is owned by Alembic migrations (``services/migrations``). A brand-new database
is created from the models and stamped at the newest revision (one step, fast enough for
every test's fresh database); an existing one is upgraded in place, so data survives a new
release. With ``auto_migrate`` off (production), processes refuse to start on a database
that is behind, and ``claimflow db upgrade`` moves it.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, event, inspect, text
from sqlmodel import SQLModel, create_engine

from services import (  # noqa: F401  (register their tables)
    alerts_store,
    approvals,
    attachments,
    fingerprints,
    inbound_store,
    patient_ledger,
    payer_files,
    payers,
    payments,
    readmodel,
    rollups,
    statements,
    x12_store,
)
from services.auth import apikeys, audit_log, users  # noqa: F401
from services.webhooks import store as webhook_store  # noqa: F401

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Revision of the schema as it was before migrations existed: a database created then by
# ``create_all`` has these tables and no ``alembic_version``.
BASELINE = "0001"
# Serialises schema changes between processes starting at once on PostgreSQL.
_PG_LOCK = 7_411_020


class SchemaBehind(RuntimeError):
    """The database is older than this code and automatic migration is off."""


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _wal(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # WAL lets the API read while the projector writes.
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute("PRAGMA synchronous=NORMAL")

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision this code knows."""
    revision = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert revision is not None
    return revision


def current(engine: Engine) -> str | None:
    """The database's revision: None for an empty database, BASELINE for a pre-migration one."""
    with engine.connect() as conn:
        found = MigrationContext.configure(conn).get_current_revision()
        if found is None and inspect(conn).has_table("claims"):
            return BASELINE
        return found


@contextmanager
def _sqlite_lock(engine: Engine) -> Iterator[None]:
    """Serialise schema changes between processes starting at once on one SQLite file."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.schema-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision``: create it, or migrate what is there."""
    with _sqlite_lock(engine), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        context = MigrationContext.configure(conn)
        config = alembic_config(conn)
        if context.get_current_revision() is None:
            if not inspect(conn).has_table("claims") and revision == "head":
                SQLModel.metadata.create_all(conn)
                command.stamp(config, "head")
                return
            if inspect(conn).has_table("claims"):
                command.stamp(config, BASELINE)
        command.upgrade(config, revision)


def init_db(engine: Engine, *, auto_migrate: bool = True) -> None:
    """Make sure the schema matches this code before a process uses the database."""
    if auto_migrate:
        upgrade(engine)
        return
    found, wanted = current(engine), head()
    if found != wanted:
        raise SchemaBehind(
            f"the database is at schema revision {found or 'none'}, this release needs "
            f"{wanted}: run `claimflow db upgrade` first"
        )
