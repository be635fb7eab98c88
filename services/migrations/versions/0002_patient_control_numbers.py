"""Patient control numbers: the 20-character CLM01 of each claim, and the index that
matches an old claim id by prefix

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "x12_patient_control_numbers",
        sa.Column("patient_control_number", sa.String(length=20), nullable=False),
        sa.Column("claim_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("patient_control_number"),
        sa.UniqueConstraint("claim_id"),
    )
    with op.batch_alter_table("x12_sent_transactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_x12_sent_transactions_claim_id"), ["claim_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("x12_sent_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_x12_sent_transactions_claim_id"))

    op.drop_table("x12_patient_control_numbers")
