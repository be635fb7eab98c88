"""Patients and statements: claim patients (patient key, sealed party), patient payments,
statements (sealed documents)

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claim_patients",
        sa.Column("claim_id", sa.String(length=40), nullable=False),
        sa.Column("patient_key", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("claim_id"),
    )
    with op.batch_alter_table("claim_patients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claim_patients_patient_key"), ["patient_key"], unique=False
        )

    op.create_table(
        "patient_payments",
        sa.Column("claim_id", sa.String(length=40), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("patient_key", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=True),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("claim_id", "n"),
    )
    with op.batch_alter_table("patient_payments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_payments_patient_key"), ["patient_key"], unique=False
        )

    op.create_table(
        "statements",
        sa.Column("statement_id", sa.String(length=26), nullable=False),
        sa.Column("patient_key", sa.String(length=64), nullable=False),
        sa.Column("claim_ids", sa.String(), nullable=False),
        sa.Column("amount_due", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("responsibility", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("statement_id"),
    )
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_statements_patient_key"), ["patient_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statements_patient_key"))

    op.drop_table("statements")
    with op.batch_alter_table("patient_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_payments_patient_key"))

    op.drop_table("patient_payments")
    with op.batch_alter_table("claim_patients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_patients_patient_key"))

    op.drop_table("claim_patients")
