"""Eligibility inquiries sent as files: a 270's trace number -> the claim that asked, so the
271 that comes back through the inbox finds its claim.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "x12_eligibility_inquiries",
        sa.Column("trace_number", sa.String(length=50), nullable=False),
        sa.Column("claim_id", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.String(length=40), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("trace_number"),
    )
    with op.batch_alter_table("x12_eligibility_inquiries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_x12_eligibility_inquiries_claim_id"), ["claim_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("x12_eligibility_inquiries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_x12_eligibility_inquiries_claim_id"))
    op.drop_table("x12_eligibility_inquiries")
