"""Schema migrations: the models and the migrations agree, and an upgrade keeps the data.

Runs on SQLite and PostgreSQL (the ``engine`` fixture is already migrated; these tests make
databases of their own in the same places).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

from services import claim_queries, db, inbound_store, readmodel
from services.claim_queries import Queue
from services.settings import Settings
from services.stack import postgres


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database, not yet created or migrated."""
    if request.param == "sqlite":
        eng = db.make_engine(f"sqlite:///{tmp_path / 'm.db'}")
        yield eng
        eng.dispose()
        return
    pg: Settings = request.getfixturevalue("pg_settings")
    name = f"mig_{uuid.uuid4().hex[:12]}"
    eng = db.make_engine(postgres.create_database(pg, name))
    yield eng
    eng.dispose()
    postgres.drop_database(pg, name)


def _drift(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), SQLModel.metadata))


def test_migrations_alone_build_what_the_models_describe(empty: Engine) -> None:
    # From the baseline up, step by step: what a production database goes through.
    db.upgrade(empty, db.BASELINE)
    db.upgrade(empty)
    assert db.current(empty) == db.head()
    assert _drift(empty) == []


def test_a_new_database_is_created_at_the_newest_revision(empty: Engine) -> None:
    db.init_db(empty)
    assert db.current(empty) == db.head()
    assert _drift(empty) == []


def test_a_database_from_before_migrations_is_upgraded_with_its_data(empty: Engine) -> None:
    # What `make run` left behind before this release: create_all's tables, no alembic_version.
    db.upgrade(empty, db.BASELINE)
    with empty.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(
            text(
                "INSERT INTO claims (claim_id, status, last_seq, payer_id, total_charge, "
                "appeal_level, denial_reasons, received_at, updated_at) VALUES "
                "('01KAAAAAAAAAAAAAAAAAAAAAAA', 'DENIED', 6, 'SIMPAYER1', 1450.00, 0, "
                "'CO-197', :t, :t)"
            ),
            {"t": dt.datetime(2026, 11, 1, tzinfo=dt.UTC)},
        )
        conn.execute(
            text(
                "INSERT INTO inbound_files (file_id, kind, status, source, messages, report, "
                "received_at) VALUES ('835-1999999999-EFT0042', '835', 'posting', 'api', 3, '', "
                ":t), ('835-1999999999-EFT0043', '835', 'quarantined', 'api', 1, 'CLP03 - CAS "
                "!= CLP04', :t)"
            ),
            {"t": dt.datetime(2026, 11, 1, tzinfo=dt.UTC)},
        )
    assert db.current(empty) == db.BASELINE
    db.init_db(empty)
    assert db.current(empty) == db.head()
    row = readmodel.get_claim(empty, "01KAAAAAAAAAAAAAAAAAAAAAAA")
    assert row is not None
    assert (row.status, row.last_seq, row.total_charge) == ("DENIED", 6, Decimal("1450.00"))
    assert row.denial_reasons == "CO-197"
    # Payer files recorded before files were stored: kept, and the ERA taken stays taken
    # (sent again it is a duplicate); the quarantined one did not burn its trace number.
    files = inbound_store.list_files(empty, limit=10)
    assert sorted(f.reason.split(" (was ")[1].split(",")[0] for f in files) == [
        "835-1999999999-EFT0042",
        "835-1999999999-EFT0043",
    ]
    assert all(f.status == "taken" for f in files)
    with empty.connect() as conn:
        keys = conn.execute(text("SELECT key FROM inbound_taken")).scalars().all()
    assert keys == ["835:1999999999:EFT0042"]
    assert _drift(empty) == []


def test_a_process_refuses_a_schema_it_may_not_migrate(empty: Engine) -> None:
    with pytest.raises(db.SchemaBehind, match="none, this release needs .*claimflow db upgrade"):
        db.init_db(empty, auto_migrate=False)
    assert inspect(empty).get_table_names() == []  # nothing half-made
    db.upgrade(empty)
    db.init_db(empty, auto_migrate=False)  # at head: starts


def test_the_audit_log_is_append_only_after_migrating(empty: Engine) -> None:
    # Created by migrations (a production database), not by create_all's table events.
    db.upgrade(empty, db.BASELINE)
    db.upgrade(empty)
    with empty.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (at, roles, method, route, status_code, outcome) "
                "VALUES (:t, 'biller', 'POST', '/claims/{claim_id}/appeal', 200, 'done')"
            ),
            {"t": dt.datetime(2026, 12, 1, tzinfo=dt.UTC)},
        )
    for statement in ("UPDATE audit_log SET outcome = 'refused'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="append-only"), empty.begin() as conn:
            conn.execute(text(statement))


def test_denials_take_their_claims_payer_when_migrated(empty: Engine) -> None:
    # 0009 copies the payer onto claim_denials; rows from before it must get it, or a list
    # narrowed by CARC and payer would lose them.
    db.upgrade(empty, "0008")
    at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    with empty.begin() as conn:
        for claim_id, payer in (("01KBBBBBBBBBBBBBBBBBBBBBBB", "SIMPAYER1"),
                                ("01KCCCCCCCCCCCCCCCCCCCCCCC", "SIMPAYER2")):  # fmt: skip
            conn.execute(
                text(
                    "INSERT INTO claims (claim_id, status, last_seq, payer_id, total_charge, "
                    "appeal_level, denial_reasons, received_at, updated_at) VALUES "
                    "(:c, 'DENIED', 6, :p, 100.00, 0, 'CO-197', :t, :t)"
                ),
                {"c": claim_id, "p": payer, "t": at},
            )
            conn.execute(
                text(
                    'INSERT INTO claim_denials (claim_id, reason, "group", carc, amount, rarcs, '
                    "status, updated_at, appeal_deadline) VALUES "
                    "(:c, 'CO-197', 'CO', '197', 100.00, '', 'DENIED', :t, :t)"
                ),
                {"c": claim_id, "t": at},
            )
    db.upgrade(empty)
    found = claim_queries.find(
        empty, claim_queries.queue_filter(Queue.DENIALS, carc="CO-197", payer_id="SIMPAYER2")
    )
    assert [c.claim_id for c in found] == ["01KCCCCCCCCCCCCCCCCCCCCCCC"]
    assert [d.payer_id for d in readmodel.claim_denials(empty, found[0].claim_id)] == ["SIMPAYER2"]
    assert _drift(empty) == []
