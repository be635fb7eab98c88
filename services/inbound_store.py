"""What claimflow keeps about inbound payer files and the messages it could not match.

``inbound_files`` remembers every file by its identity (an 835's TRN trace number, an
interchange's control number) so the same ERA is never posted twice and a quarantined one
keeps its report. ``unmatched_payer_messages`` is the work queue for payments and statuses
that name no open claim: nothing a payer sends is dropped.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Column, DateTime, Engine, Text, update
from sqlmodel import Field, Session, SQLModel, col, func, select

from claims.payer_messages import Acknowledgment, ClaimStatusReport, PayerMessage
from claims.remittance import Remittance


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class InboundFile(SQLModel, table=True):
    __tablename__ = "inbound_files"

    file_id: str = Field(primary_key=True, max_length=120)
    kind: str = Field(max_length=16)
    status: str = Field(max_length=16)  # posting | quarantined
    source: str = Field(default="", max_length=300)
    messages: int = 0
    report: str = Field(default="", sa_column=Column(Text, nullable=False))
    received_at: dt.datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class UnmatchedPayerMessage(SQLModel, table=True):
    __tablename__ = "unmatched_payer_messages"

    message_id: str = Field(primary_key=True, max_length=120)
    file_id: str = Field(index=True, max_length=120)
    claim_ref: str = Field(index=True, max_length=80)
    kind: str = Field(max_length=32)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    received_at: dt.datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    # open | matched (delivered to resolved_claim_id) | dismissed (with a note)
    state: str = Field(default="open", index=True, max_length=16)
    resolved_at: dt.datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    resolved_claim_id: str | None = Field(default=None, max_length=40)
    resolution_note: str | None = Field(default=None, max_length=500)
    # Filled once requests carry a signed-in person (the security work).
    resolved_by: str | None = Field(default=None, max_length=120)


class PayerMessageOut(BaseModel):
    """An unmatched payer message as the API shows it: the message itself as an object."""

    message_id: str
    file_id: str
    claim_ref: str
    kind: str
    reason: str
    message: dict[str, Any]
    received_at: dt.datetime
    state: str
    resolved_at: dt.datetime | None = None
    resolved_claim_id: str | None = None
    resolution_note: str | None = None
    resolved_by: str | None = None

    @classmethod
    def of(cls, row: UnmatchedPayerMessage) -> PayerMessageOut:
        fields = row.model_dump(exclude={"payload"})
        return cls(**fields, message=json.loads(row.payload))


_KINDS: dict[str, type[BaseModel]] = {
    "Remittance": Remittance,
    "ClaimStatusReport": ClaimStatusReport,
    "Acknowledgment": Acknowledgment,
}


def as_message(row: UnmatchedPayerMessage, claim_id: str) -> PayerMessage:
    """The stored message, readdressed to ``claim_id`` (a person matched it to that claim)."""
    message = _KINDS[row.kind].model_validate_json(row.payload)
    readdressed: PayerMessage = message.model_copy(update={"claim_id": claim_id})  # type: ignore[assignment]
    return readdressed


def message_id(message: PayerMessage) -> str:
    if isinstance(message, Remittance):
        return message.remittance_id
    return message.message_id


class SqlUnmatchedStore:
    """``activities.delivery.UnmatchedStore`` on SQLModel."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, *, file_id: str, message: PayerMessage, reason: str) -> None:
        with Session(self._engine) as session:
            if session.get(UnmatchedPayerMessage, message_id(message)) is not None:
                return  # a retried delivery: already queued
            session.add(
                UnmatchedPayerMessage(
                    message_id=message_id(message),
                    file_id=file_id,
                    claim_ref=message.claim_id,
                    kind=type(message).__name__,
                    reason=reason,
                    payload=message.model_dump_json(),
                )
            )
            session.commit()


def unmatched(
    engine: Engine, *, state: str | None = "open", limit: int = 100, offset: int = 0
) -> tuple[list[UnmatchedPayerMessage], int]:
    """Messages in ``state`` (None: all), newest first, and how many there are."""
    with Session(engine) as session:
        query = select(UnmatchedPayerMessage)
        if state is not None:
            query = query.where(UnmatchedPayerMessage.state == state)
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        query = query.order_by(col(UnmatchedPayerMessage.received_at).desc())
        return list(session.exec(query.offset(offset).limit(limit))), int(total)


def get_message(engine: Engine, message_id: str) -> UnmatchedPayerMessage | None:
    with Session(engine) as session:
        return session.get(UnmatchedPayerMessage, message_id)


def resolve(
    engine: Engine,
    message_id: str,
    *,
    state: str,
    claim_id: str | None,
    note: str | None,
    by: str | None,
) -> UnmatchedPayerMessage | None:
    """Mark an open message matched or dismissed; None if it is not open (any more).

    The update is conditional on the message still being open, so two people resolving the
    same message at once cannot both win.
    """
    with Session(engine) as session:
        result = session.execute(
            update(UnmatchedPayerMessage)
            .where(
                col(UnmatchedPayerMessage.message_id) == message_id,
                col(UnmatchedPayerMessage.state) == "open",
            )
            .values(
                state=state,
                resolved_at=_now(),
                resolved_claim_id=claim_id,
                resolution_note=note,
                resolved_by=by,
            )
        )
        session.commit()
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return session.get(UnmatchedPayerMessage, message_id)


def get_file(engine: Engine, file_id: str) -> InboundFile | None:
    with Session(engine) as session:
        return session.get(InboundFile, file_id)


def record_file(engine: Engine, record: InboundFile) -> bool:
    """Insert; False if a file with this id is already recorded (a duplicate)."""
    with Session(engine) as session:
        if session.get(InboundFile, record.file_id) is not None:
            return False
        session.add(record)
        session.commit()
        return True
