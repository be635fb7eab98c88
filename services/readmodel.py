"""The read model: one row per claim (current status) and one per event (its timeline).

Written only by the projector from Kafka, read by the API. It is a cache of the event
stream: drop it and replay ``claims.lifecycle.v1`` to rebuild it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Column, DateTime, Engine, Numeric, Text
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlmodel import Field, Session, SQLModel, col, select

from claims.remittance import is_denial
from claims.status import ClaimStatus
from events.contract import ClaimEvent
from events.projection import StoreUnavailable


class ClaimRecord(SQLModel, table=True):
    __tablename__ = "claims"

    claim_id: str = Field(primary_key=True, max_length=40)
    status: str = Field(index=True, max_length=32)
    last_seq: int
    payer_id: str = Field(index=True, max_length=80)
    total_charge: Decimal = Field(sa_column=Column(Numeric(12, 2), nullable=False))
    paid_amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))
    patient_responsibility: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))
    outstanding_amount: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 2)))
    payer_claim_control_number: str | None = Field(default=None, max_length=50)
    appeal_level: int = 0
    denial_reasons: str = ""
    received_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: dt.datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )


class ClaimEventRecord(SQLModel, table=True):
    __tablename__ = "claim_events"

    claim_id: str = Field(primary_key=True, max_length=40)
    seq: int = Field(primary_key=True)
    type: str = Field(max_length=80)
    status: str = Field(max_length=32)
    time: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))


def _denials(event: ClaimEvent) -> str:
    return ",".join(
        f"{a.group}-{a.carc}" for a in event.data.adjustments if is_denial(a.group, a.carc)
    )


class SqlReadModel:
    """``events.projection.ReadModelStore`` on SQLModel; one transaction per event."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def apply(self, event: ClaimEvent) -> bool:
        try:
            return self._apply(event)
        except (OperationalError, InterfaceError) as exc:
            # Connection refused, database locked, server gone: it heals, the record is fine.
            raise StoreUnavailable(f"read model unavailable: {type(exc).__name__}") from exc

    def _apply(self, event: ClaimEvent) -> bool:
        data = event.data
        with Session(self._engine) as session:
            if session.get(ClaimEventRecord, (data.claim_id, data.seq)) is not None:
                return False
            session.add(
                ClaimEventRecord(
                    claim_id=data.claim_id,
                    seq=data.seq,
                    type=event.type,
                    status=data.status.value,
                    time=event.time,
                    payload=event.model_dump_json(),
                )
            )
            claim = session.get(ClaimRecord, data.claim_id)
            if claim is None:
                claim = ClaimRecord(
                    claim_id=data.claim_id,
                    status=data.status.value,
                    last_seq=0,
                    payer_id=data.payer_id,
                    total_charge=data.total_charge,
                    received_at=event.time,
                    updated_at=event.time,
                )
            # Events of one claim arrive in order, but a replayed older copy must never
            # move the row backwards.
            if data.seq > claim.last_seq:
                claim.status = data.status.value
                claim.last_seq = data.seq
                claim.payer_id = data.payer_id
                claim.total_charge = data.total_charge
                claim.paid_amount = data.paid_amount
                claim.patient_responsibility = data.patient_responsibility
                claim.outstanding_amount = data.outstanding_amount
                claim.payer_claim_control_number = data.payer_claim_control_number
                claim.appeal_level = data.appeal_level
                # Kept through an appeal (billers want to see what was appealed); a
                # payment clears it, since contractual write-downs are not denials.
                if data.status in (ClaimStatus.DENIED, ClaimStatus.PARTIALLY_PAID):
                    claim.denial_reasons = _denials(event)
                elif data.status is ClaimStatus.PAID:
                    claim.denial_reasons = ""
                claim.updated_at = event.time
            session.add(claim)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                # A concurrent copy of this event won the race: same outcome. Anything else
                # (a constraint this event breaks) is an error for the projector to report,
                # never a silent drop.
                if session.get(ClaimEventRecord, (data.claim_id, data.seq)) is not None:
                    return False
                raise
        return True


def get_claim(engine: Engine, claim_id: str) -> ClaimRecord | None:
    with Session(engine) as session:
        return session.get(ClaimRecord, claim_id)


def list_claims(
    engine: Engine, *, status: ClaimStatus | None = None, limit: int = 100, offset: int = 0
) -> list[ClaimRecord]:
    with Session(engine) as session:
        query = select(ClaimRecord)
        if status is not None:
            query = query.where(ClaimRecord.status == status.value)
        query = query.order_by(col(ClaimRecord.updated_at).desc()).offset(offset).limit(limit)
        return list(session.exec(query))


def claim_events(engine: Engine, claim_id: str) -> list[ClaimEventRecord]:
    with Session(engine) as session:
        query = (
            select(ClaimEventRecord)
            .where(ClaimEventRecord.claim_id == claim_id)
            .order_by(col(ClaimEventRecord.seq))
        )
        return list(session.exec(query))
