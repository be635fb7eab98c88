"""Database fixtures: every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from services.db import init_db, make_engine
from services.settings import Settings
from services.stack import postgres


@pytest.fixture(scope="session")
def pg_settings(stack_settings: Settings) -> Iterator[Settings]:
    postgres.up(stack_settings)
    yield stack_settings
    postgres.down(stack_settings)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'rm.db'}"
        name = None
    else:
        pg = request.getfixturevalue("pg_settings")
        name = f"rm_{uuid.uuid4().hex[:12]}"
        url = postgres.create_database(pg, name)
    eng = make_engine(url)
    init_db(eng)
    yield eng
    eng.dispose()
    if name is not None:
        postgres.drop_database(request.getfixturevalue("pg_settings"), name)
