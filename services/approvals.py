"""The write-off approval queue: a read model fed by the claim workflow's alerts.

The rules are the contract's (``events.contract.AlertKind``, on ``claims.alerts.v1``):

- ``write_off_approval_requested`` opens a request: ``amount`` to write off, ``actor`` who
  asked, ``message`` the reason, ``claim_seq`` the claim's seq when it was asked. The
  request's id is the alert's id.
- ``write_off_rejected`` closes the claim's pending requests (``message`` why).
- any lifecycle event past ``claim_seq`` closes them too (the approved write-off's event,
  or anything else that moved the claim).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Column, DateTime, Engine, Index, Numeric, Text, update
from sqlmodel import Field, Session, col, func, select

from services.aware_times import AwareTimes


class WriteOffRequest(AwareTimes, table=True):
    __tablename__ = "write_off_requests"
    __table_args__ = (Index("ix_write_off_requests_open", "state", "requested_at"),)

    request_id: str = Field(primary_key=True, max_length=80)
    claim_id: str = Field(index=True, max_length=40)
    # The claim's seq when the write-off was asked: a later event closes the request.
    claim_seq: int = 0
    payer_id: str = Field(max_length=80)
    amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    requested_by: str | None = Field(default=None, max_length=120)
    requested_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    state: str = Field(default="pending", max_length=16)  # pending | decided | closed
    outcome: str | None = Field(default=None, sa_column=Column(Text))
    decided_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


def close_requests(
    session: Session,
    claim_id: str,
    outcome: str,
    when: dt.datetime,
    state: str,
    *,
    before_seq: int | None = None,
) -> None:
    """Close the claim's pending requests (asked before ``before_seq``, if given), in the
    caller's transaction."""
    query = update(WriteOffRequest).where(
        col(WriteOffRequest.claim_id) == claim_id, col(WriteOffRequest.state) == "pending"
    )
    if before_seq is not None:
        query = query.where(col(WriteOffRequest.claim_seq) < before_seq)
    session.execute(query.values(state=state, outcome=outcome, decided_at=when))


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
