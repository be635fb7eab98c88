"""Alerts from ``claims.alerts.v1`` as a read model: the alert list and the write-off queue.

Written by the projector (one transaction per alert, de-duplicated on the alert's id, since
delivery is at-least-once); read and acknowledged through the API. Some alerts also mark the
claim row: a ``follow_up_due`` alert puts the claim in the "waiting on the payer past its
follow-up date" queue until its next transition; the write-off alerts feed the approval
queue (``services.approvals``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Column, DateTime, Engine, Index, Numeric, Text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, col, func, select

from events.contract import AlertKind, ClaimAlert
from services.approvals import WriteOffRequest, close_requests
from services.aware_times import AwareTimes
from services.readmodel import ClaimRecord


class AlertRecord(AwareTimes, table=True):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_open", "acknowledged_at", "time"),)

    alert_id: str = Field(primary_key=True, max_length=80)
    claim_id: str = Field(index=True, max_length=40)
    alert_seq: int
    kind: str = Field(index=True, max_length=40)
    status: str = Field(max_length=32)
    payer_id: str = Field(max_length=80)
    due: dt.datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    days_left: int | None = None
    message: str = Field(sa_column=Column(Text, nullable=False))
    amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))
    actor: str | None = Field(default=None, max_length=120)
    time: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    acknowledged_at: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    # The signed-in person's name (never PHI).
    acknowledged_by: str | None = Field(default=None, max_length=120)
    acknowledge_note: str | None = Field(default=None, max_length=500)


class SqlAlertStore:
    """The projector's store for alerts; ``apply`` is idempotent per alert id."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def apply(self, alert: ClaimAlert) -> bool:
        data = alert.data
        with Session(self._engine) as session:
            if session.get(AlertRecord, alert.id) is not None:
                return False
            session.add(
                AlertRecord(
                    alert_id=alert.id,
                    claim_id=data.claim_id,
                    alert_seq=data.alert_seq,
                    kind=data.kind.value,
                    status=data.status.value,
                    payer_id=data.payer_id,
                    due=data.due,
                    days_left=data.days_left,
                    message=data.message,
                    amount=data.amount,
                    actor=data.actor.name if data.actor else None,
                    time=alert.time,
                )
            )
            if data.kind is AlertKind.FOLLOW_UP_DUE:
                # Only while the claim still waits where the alert found it: an alert read
                # after the claim moved on must not put it back in the queue.
                session.execute(
                    update(ClaimRecord)
                    .where(
                        col(ClaimRecord.claim_id) == data.claim_id,
                        col(ClaimRecord.status) == data.status.value,
                        col(ClaimRecord.updated_at) <= alert.time,
                    )
                    .values(follow_up_overdue_at=data.due or alert.time)
                )
            elif data.kind is AlertKind.WRITE_OFF_APPROVAL_REQUESTED:
                # Open until the claim moves past the seq it was asked at (projected before
                # this alert, perhaps: then it opens closed) or a rejection arrives.
                claim = session.get(ClaimRecord, data.claim_id)
                seq = data.claim_seq or 0
                moved_on = claim is not None and claim.last_seq > seq
                session.add(
                    WriteOffRequest(
                        request_id=alert.id,
                        claim_id=data.claim_id,
                        claim_seq=seq,
                        payer_id=data.payer_id,
                        amount=data.amount,
                        reason=data.message,
                        requested_by=data.actor.name if data.actor else None,
                        requested_at=alert.time,
                        state="closed" if moved_on else "pending",
                        outcome="the claim moved on" if moved_on else None,
                        decided_at=claim.updated_at if moved_on and claim else None,
                    )
                )
            elif data.kind is AlertKind.WRITE_OFF_REJECTED:
                close_requests(session, data.claim_id, data.message, alert.time, "decided")
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return False
        return True


def list_alerts(
    engine: Engine,
    *,
    kind: AlertKind | None = None,
    claim_id: str | None = None,
    include_acknowledged: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AlertRecord], int]:
    """Alerts newest first, and how many match."""
    with Session(engine) as session:
        query = select(AlertRecord)
        if not include_acknowledged:
            query = query.where(col(AlertRecord.acknowledged_at).is_(None))
        if kind is not None:
            query = query.where(AlertRecord.kind == kind.value)
        if claim_id is not None:
            query = query.where(AlertRecord.claim_id == claim_id)
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.exec(
            query.order_by(col(AlertRecord.time).desc()).offset(offset).limit(limit)
        )
        return list(rows), int(total)


def get_alert(engine: Engine, alert_id: str) -> AlertRecord | None:
    with Session(engine) as session:
        return session.get(AlertRecord, alert_id)


def acknowledge(
    engine: Engine, alert_id: str, *, by: str | None, note: str | None
) -> AlertRecord | None:
    """Mark an alert seen. Acknowledging twice keeps the first acknowledgment."""
    with Session(engine) as session:
        row = session.get(AlertRecord, alert_id)
        if row is None:
            return None
        if row.acknowledged_at is None:
            row.acknowledged_at = dt.datetime.now(dt.UTC)
            row.acknowledged_by = by
            row.acknowledge_note = note
            session.add(row)
            session.commit()
            session.refresh(row)
        return row
