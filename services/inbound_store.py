"""What claimflow keeps about inbound payer files and the messages it could not match.

``inbound_files`` remembers every file by its identity (an 835's TRN trace number, an
interchange's control number) so the same ERA is never posted twice and a quarantined one
keeps its report. ``unmatched_payer_messages`` is the work queue for payments and statuses
that name no open claim: nothing a payer sends is dropped.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, DateTime, Engine, Text
from sqlmodel import Field, Session, SQLModel, col, select

from claims.payer_messages import PayerMessage
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


def unmatched(engine: Engine, *, limit: int = 100) -> list[UnmatchedPayerMessage]:
    with Session(engine) as session:
        query = select(UnmatchedPayerMessage).order_by(
            col(UnmatchedPayerMessage.received_at).desc()
        )
        return list(session.exec(query.limit(limit)))


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
