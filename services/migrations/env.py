"""Alembic's entry point: migrate the connection ``services.db`` hands over.

claimflow never runs ``alembic`` from an ini file; ``services.db`` builds the config in code
and passes an open connection, so the same settings (URL, TLS, credentials) reach every
process and every migration.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

import services.db  # noqa: F401  (registers every table on SQLModel.metadata)


def render_item(kind: str, item: Any, autogen: AutogenContext) -> str | Literal[False]:
    """Write SQLModel's own types as the plain SQLAlchemy types they store as, so migrations
    need no sqlmodel (and do not change meaning when sqlmodel does)."""
    if kind == "type" and isinstance(item, AutoString):
        return f"sa.String(length={item.length!r})" if item.length else "sa.String()"
    if kind == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    # SQLite cannot ALTER most things in place: batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
