"""The console: read-model rollups, claim denials, alerts, write-off requests, attachments

New tables for the work queues and figures (``claim_denials``, ``rollup_*``), the alerts and
the write-off approval queue (``alerts``, ``write_off_requests``) and uploaded attachments;
the claim row's console columns (appeal deadline, billing day, first decision, follow-up
mark, written-off amount, list indexes); unmatched payer messages gain their resolution.
Existing messages are ``open``. The read model is a cache of the event stream: the new claim
columns and rollups of claims projected before this release fill in as their next events
arrive, or all at once by replaying ``claims.lifecycle.v1`` into an empty read model.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.String(length=80), nullable=False),
        sa.Column("claim_id", sa.String(length=40), nullable=False),
        sa.Column("alert_seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("days_left", sa.Integer(), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=True),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=120), nullable=True),
        sa.Column("acknowledge_note", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("alert_id"),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_kind"), ["kind"], unique=False)
        batch_op.create_index("ix_alerts_open", ["acknowledged_at", "time"], unique=False)

    op.create_table(
        "attachments",
        sa.Column("attachment_id", sa.String(length=40), nullable=False),
        sa.Column("claim_id", sa.String(length=40), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("name_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("attachment_id"),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "claim_denials",
        sa.Column("claim_id", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=12), nullable=False),
        sa.Column("group", sa.String(length=2), nullable=False),
        sa.Column("carc", sa.String(length=5), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("rarcs", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("appeal_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("claim_id", "reason"),
    )
    with op.batch_alter_table("claim_denials", schema=None) as batch_op:
        batch_op.create_index(
            "ix_claim_denials_carc_deadline", ["carc", "appeal_deadline"], unique=False
        )
        batch_op.create_index("ix_claim_denials_carc_updated", ["carc", "updated_at"], unique=False)

    op.create_table(
        "rollup_ar",
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("open_claims", sa.Integer(), nullable=False),
        sa.Column("outstanding", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("billed_claims", sa.Integer(), nullable=False),
        sa.Column("billed_charges", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.PrimaryKeyConstraint("payer_id", "day"),
    )
    op.create_table(
        "rollup_decisions",
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("decided", sa.Integer(), nullable=False),
        sa.Column("denied", sa.Integer(), nullable=False),
        sa.Column("first_pass_paid", sa.Integer(), nullable=False),
        sa.Column("appeals_decided", sa.Integer(), nullable=False),
        sa.Column("appeals_overturned", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("payer_id", "day"),
    )
    op.create_table(
        "rollup_reasons",
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("reason", sa.String(length=12), nullable=False),
        sa.Column("denials", sa.Integer(), nullable=False),
        sa.Column("at_risk_claims", sa.Integer(), nullable=False),
        sa.Column("at_risk_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.PrimaryKeyConstraint("payer_id", "reason"),
    )
    op.create_table(
        "rollup_status",
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("payer_id", "status"),
    )
    op.create_table(
        "write_off_requests",
        sa.Column("request_id", sa.String(length=80), nullable=False),
        sa.Column("claim_id", sa.String(length=40), nullable=False),
        sa.Column("claim_seq", sa.Integer(), nullable=False),
        sa.Column("payer_id", sa.String(length=80), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=120), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("request_id"),
    )
    with op.batch_alter_table("write_off_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_write_off_requests_claim_id"), ["claim_id"], unique=False
        )
        batch_op.create_index("ix_write_off_requests_open", ["state", "requested_at"], unique=False)

    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.add_column(sa.Column("appeal_deadline", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("billed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("first_decision", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("reworked", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("appeal_pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("follow_up_overdue_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("written_off_amount", sa.Numeric(precision=12, scale=2), nullable=True)
        )
        batch_op.drop_index(batch_op.f("ix_claims_payer_id"))
        batch_op.drop_index(batch_op.f("ix_claims_status"))
        batch_op.create_index("ix_claims_appeal_deadline", ["appeal_deadline"], unique=False)
        batch_op.create_index("ix_claims_billed_on_id", ["billed_on", "claim_id"], unique=False)
        batch_op.create_index("ix_claims_follow_up", ["follow_up_overdue_at"], unique=False)
        batch_op.create_index("ix_claims_outstanding", ["outstanding_amount"], unique=False)
        batch_op.create_index(
            "ix_claims_payer_billed_on_id", ["payer_id", "billed_on", "claim_id"], unique=False
        )
        batch_op.create_index(
            "ix_claims_payer_status_updated", ["payer_id", "status", "updated_at"], unique=False
        )
        batch_op.create_index("ix_claims_payer_updated", ["payer_id", "updated_at"], unique=False)
        batch_op.create_index("ix_claims_status_updated", ["status", "updated_at"], unique=False)

    with op.batch_alter_table("unmatched_payer_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), nullable=False, server_default="open")
        )
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_claim_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("resolution_note", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.String(length=120), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_unmatched_payer_messages_state"), ["state"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("unmatched_payer_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unmatched_payer_messages_state"))
        batch_op.drop_column("resolved_by")
        batch_op.drop_column("resolution_note")
        batch_op.drop_column("resolved_claim_id")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("state")

    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_status_updated")
        batch_op.drop_index("ix_claims_payer_updated")
        batch_op.drop_index("ix_claims_payer_status_updated")
        batch_op.drop_index("ix_claims_payer_billed_on_id")
        batch_op.drop_index("ix_claims_outstanding")
        batch_op.drop_index("ix_claims_follow_up")
        batch_op.drop_index("ix_claims_billed_on_id")
        batch_op.drop_index("ix_claims_appeal_deadline")
        batch_op.create_index(batch_op.f("ix_claims_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_payer_id"), ["payer_id"], unique=False)
        batch_op.drop_column("written_off_amount")
        batch_op.drop_column("follow_up_overdue_at")
        batch_op.drop_column("appeal_pending")
        batch_op.drop_column("reworked")
        batch_op.drop_column("first_decision")
        batch_op.drop_column("billed_on")
        batch_op.drop_column("appeal_deadline")

    with op.batch_alter_table("write_off_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_write_off_requests_open")
        batch_op.drop_index(batch_op.f("ix_write_off_requests_claim_id"))

    op.drop_table("write_off_requests")
    op.drop_table("rollup_status")
    op.drop_table("rollup_reasons")
    op.drop_table("rollup_decisions")
    op.drop_table("rollup_ar")
    with op.batch_alter_table("claim_denials", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_denials_carc_updated")
        batch_op.drop_index("ix_claim_denials_carc_deadline")

    op.drop_table("claim_denials")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_claim_id"))

    op.drop_table("attachments")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_open")
        batch_op.drop_index(batch_op.f("ix_alerts_kind"))
        batch_op.drop_index(batch_op.f("ix_alerts_claim_id"))

    op.drop_table("alerts")
