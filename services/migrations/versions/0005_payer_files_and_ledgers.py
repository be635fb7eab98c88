"""Payer files by reference, ledgers, payments, the payer registry

``inbound_files`` changes meaning: it was one row per unit taken (id ``835-<payer>-<trace>``,
status posting or quarantined), it is now one row per stored file (a ULID). Old rows are
kept as files received and taken before this release (with new ids; their bytes were never
stored), and every ERA an old row took keeps its trace number taken in ``inbound_taken``,
so an old ERA sent again is still refused as a duplicate.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op
from ulid import ULID

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claim_ledger",
        sa.Column("claim_id", sa.String(length=40), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("activity", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("procedure_code", sa.String(length=48), nullable=True),
        sa.Column("group", sa.String(length=2), nullable=True),
        sa.Column("carc", sa.String(length=5), nullable=True),
        sa.Column("rarcs", sa.String(), nullable=False),
        sa.Column("patient_kind", sa.String(length=16), nullable=True),
        sa.Column("remittance_id", sa.String(length=80), nullable=True),
        sa.Column("payment_id", sa.String(length=80), nullable=True),
        sa.Column("trace_number", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("claim_id", "n"),
    )
    with op.batch_alter_table("claim_ledger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_ledger_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_claim_ledger_payment_id"), ["payment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_claim_ledger_trace_number"), ["trace_number"], unique=False
        )

    op.create_table(
        "inbound_taken",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.String(length=40), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "inbound_units",
        sa.Column("unit_id", sa.String(length=40), nullable=False),
        sa.Column("file_id", sa.String(length=26), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("delivered", sa.Integer(), nullable=False),
        sa.Column("unmatched", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("unit_id"),
    )
    with op.batch_alter_table("inbound_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbound_units_file_id"), ["file_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbound_units_key"), ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_inbound_units_status"), ["status"], unique=False)

    op.create_table(
        "payer_file_chunks",
        sa.Column("file_id", sa.String(length=26), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("file_id", "n"),
    )
    op.create_table(
        "payer_files",
        sa.Column("file_id", sa.String(length=26), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("file_id"),
    )
    with op.batch_alter_table("payer_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payer_files_sha256"), ["sha256"], unique=False)

    op.create_table(
        "payers",
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("payer_id"),
    )
    op.create_table(
        "payment_entries",
        sa.Column("payment_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("claim_ref", sa.String(length=80), nullable=True),
        sa.Column("remittance_id", sa.String(length=80), nullable=True),
        sa.Column("payer_claim_control_number", sa.String(length=50), nullable=True),
        sa.Column("status_code", sa.String(length=4), nullable=True),
        sa.Column("reason", sa.String(length=4), nullable=True),
        sa.Column("reference", sa.String(length=80), nullable=True),
        sa.Column("fiscal_period_date", sa.Date(), nullable=True),
        sa.Column("provider_id", sa.String(length=80), nullable=True),
        sa.Column("booked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("payment_id", "kind", "n"),
    )
    with op.batch_alter_table("payment_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_entries_claim_ref"), ["claim_ref"], unique=False
        )

    op.create_table(
        "payments",
        sa.Column("payment_id", sa.String(length=80), nullable=False),
        sa.Column("unit_id", sa.String(length=40), nullable=False),
        sa.Column("payer_identifier", sa.String(length=80), nullable=False),
        sa.Column("trace_number", sa.String(length=80), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=True),
        sa.Column("net_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("payment_id"),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payments_payer_identifier"), ["payer_identifier"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payments_trace_number"), ["trace_number"], unique=False
        )

    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("patient_balance", sa.Numeric(precision=12, scale=2), nullable=True)
        )
        batch_op.add_column(
            sa.Column("recoupment_expected", sa.Numeric(precision=12, scale=2), nullable=True)
        )

    _rebuild_inbound_files()


def _rebuild_inbound_files() -> None:
    bind = op.get_bind()
    old = bind.execute(
        sa.text("SELECT file_id, kind, status, source, report, received_at FROM inbound_files")
    ).fetchall()
    op.drop_table("inbound_files")
    table = op.create_table(
        "inbound_files",
        sa.Column("file_id", sa.String(length=26), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("file_id"),
    )
    with op.batch_alter_table("inbound_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbound_files_status"), ["status"], unique=False)
    files, taken = [], []
    for file_id, kind, status, source, report, raw_time in old:
        # A raw SELECT on SQLite gives the stored text back, PostgreSQL a datetime.
        received_at = dt.datetime.fromisoformat(raw_time) if isinstance(raw_time, str) else raw_time
        new_id = str(ULID())
        note = f"taken before payer files were stored (was {file_id}, {status})"
        files.append(
            {
                "file_id": new_id, "kind": kind, "status": "taken", "source": source[:200],
                "size": 0, "units": 1, "reason": "\n".join(filter(None, [note, report])),
                "findings": "", "received_at": received_at, "completed_at": received_at,
            }
        )  # fmt: skip
        parts = file_id.split("-", 2)
        if kind == "835" and status == "posting" and len(parts) == 3:
            key = f"835:{parts[1]}:{parts[2]}"[:200]
            taken.append({"key": key, "unit_id": new_id, "taken_at": received_at})
    if files:
        op.bulk_insert(table, files)
    if taken:
        taken_table = sa.table(
            "inbound_taken",
            sa.column("key", sa.String),
            sa.column("unit_id", sa.String),
            sa.column("taken_at", sa.DateTime(timezone=True)),
        )
        op.bulk_insert(taken_table, taken)


def downgrade() -> None:
    # The old shape, empty: a stored file has no single unit id to go back to.
    op.drop_table("inbound_files")
    op.create_table(
        "inbound_files",
        sa.Column("file_id", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("file_id"),
    )

    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_column("recoupment_expected")
        batch_op.drop_column("patient_balance")

    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_trace_number"))
        batch_op.drop_index(batch_op.f("ix_payments_payer_identifier"))

    op.drop_table("payments")
    with op.batch_alter_table("payment_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_entries_claim_ref"))

    op.drop_table("payment_entries")
    op.drop_table("payers")
    with op.batch_alter_table("payer_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payer_files_sha256"))

    op.drop_table("payer_files")
    op.drop_table("payer_file_chunks")
    with op.batch_alter_table("inbound_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_units_status"))
        batch_op.drop_index(batch_op.f("ix_inbound_units_key"))
        batch_op.drop_index(batch_op.f("ix_inbound_units_file_id"))

    op.drop_table("inbound_units")
    op.drop_table("inbound_taken")
    with op.batch_alter_table("claim_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_ledger_trace_number"))
        batch_op.drop_index(batch_op.f("ix_claim_ledger_payment_id"))
        batch_op.drop_index(batch_op.f("ix_claim_ledger_kind"))

    op.drop_table("claim_ledger")
