"""Baseline: the schema as ``create_all`` made it before migrations existed

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claim_events",
        sa.Column("claim_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("claim_id", "seq"),
    )
    op.create_table(
        "claim_fingerprints",
        sa.Column("claim_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("claim_id"),
    )
    with op.batch_alter_table("claim_fingerprints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_fingerprints_key"), ["key"], unique=False)

    op.create_table(
        "claims",
        sa.Column("claim_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("total_charge", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("paid_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("patient_responsibility", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("outstanding_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("payer_claim_control_number", sa.String(length=50), nullable=True),
        sa.Column("appeal_level", sa.Integer(), nullable=False),
        sa.Column("denial_reasons", sa.String(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("claim_id"),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_payer_id"), ["payer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_updated_at"), ["updated_at"], unique=False)

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
    op.create_table(
        "unmatched_payer_messages",
        sa.Column("message_id", sa.String(length=120), nullable=False),
        sa.Column("file_id", sa.String(length=120), nullable=False),
        sa.Column("claim_ref", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id"),
    )
    with op.batch_alter_table("unmatched_payer_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unmatched_payer_messages_claim_ref"), ["claim_ref"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_unmatched_payer_messages_file_id"), ["file_id"], unique=False
        )

    op.create_table(
        "x12_control_numbers",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "x12_sent_transactions",
        sa.Column("group_control_number", sa.String(length=9), nullable=False),
        sa.Column("transaction_control_number", sa.String(length=9), nullable=False),
        sa.Column("claim_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("group_control_number", "transaction_control_number", "claim_id"),
    )


def downgrade() -> None:
    op.drop_table("x12_sent_transactions")
    op.drop_table("x12_control_numbers")
    with op.batch_alter_table("unmatched_payer_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unmatched_payer_messages_file_id"))
        batch_op.drop_index(batch_op.f("ix_unmatched_payer_messages_claim_ref"))

    op.drop_table("unmatched_payer_messages")
    op.drop_table("inbound_files")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_updated_at"))
        batch_op.drop_index(batch_op.f("ix_claims_status"))
        batch_op.drop_index(batch_op.f("ix_claims_payer_id"))

    op.drop_table("claims")
    with op.batch_alter_table("claim_fingerprints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_fingerprints_key"))

    op.drop_table("claim_fingerprints")
    op.drop_table("claim_events")
