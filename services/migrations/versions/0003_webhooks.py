"""Webhook subscriptions and their dead letters

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_dead_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.String(length=40), nullable=False),
        sa.Column("claim_id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=80), nullable=False),
        sa.Column("event_type", sa.String(length=120), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("held_behind", sa.String(length=80), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redriven_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("webhook_dead_letters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_dead_letters_claim_id"), ["claim_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_webhook_dead_letters_state"), ["state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_webhook_dead_letters_subscription_id"), ["subscription_id"], unique=False
        )

    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("event_types", sa.Text(), nullable=False),
        sa.Column("payer_ids", sa.Text(), nullable=False),
        sa.Column("content_mode", sa.String(length=16), nullable=False),
        sa.Column("secret_sealed", sa.Text(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("webhook_subscriptions")
    with op.batch_alter_table("webhook_dead_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_dead_letters_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_webhook_dead_letters_state"))
        batch_op.drop_index(batch_op.f("ix_webhook_dead_letters_claim_id"))

    op.drop_table("webhook_dead_letters")
