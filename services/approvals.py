"""The write-off approval queue: a read model fed by alerts (the approval flow is elsewhere).

The contract, on ``claims.alerts.v1`` (``events.contract.AlertKind``); whoever runs the
approval flow produces these alerts, the projector turns them into this table:

- ``write_off_pending_approval``: opens a request: ``amount`` to write off, ``actor`` who
  asked, ``message`` the reason. The request's id is the alert's id.
- ``write_off_approval_decided``: closes the claim's pending requests; ``message`` says how
  (approved or declined, and why), ``actor`` who decided.
- a lifecycle event into a terminal status (WRITTEN_OFF, VOIDED, CLOSED) closes them too.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Column, DateTime, Engine, Index, Numeric, Text, update
from sqlmodel import Field, Session, SQLModel, col, func, select


class WriteOffRequest(SQLModel, table=True):
    __tablename__ = "write_off_requests"
    __table_args__ = (Index("ix_write_off_requests_open", "state", "requested_at"),)

    request_id: str = Field(primary_key=True, max_length=80)
    claim_id: str = Field(index=True, max_length=40)
    payer_id: str = Field(max_length=80)
    amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    requested_by: str | None = Field(default=None, max_length=120)
    requested_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    state: str = Field(default="pending", max_length=16)  # pending | decided | closed
    outcome: str | None = Field(default=None, sa_column=Column(Text))
    decided_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


def close_requests(
    session: Session, claim_id: str, outcome: str, when: dt.datetime, state: str
) -> None:
    """Close the claim's pending requests (in the caller's transaction)."""
    session.execute(
        update(WriteOffRequest)
        .where(col(WriteOffRequest.claim_id) == claim_id, col(WriteOffRequest.state) == "pending")
        .values(state=state, outcome=outcome, decided_at=when)
    )


def pending(
    engine: Engine, *, payer_id: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[WriteOffRequest], int]:
    """Pending write-off requests, oldest first, and how many there are."""
    with Session(engine) as session:
        query = select(WriteOffRequest).where(WriteOffRequest.state == "pending")
        if payer_id is not None:
            query = query.where(WriteOffRequest.payer_id == payer_id)
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.exec(
            query.order_by(col(WriteOffRequest.requested_at)).offset(offset).limit(limit)
        )
        return list(rows), int(total)
