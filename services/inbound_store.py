"""What claimflow keeps about inbound payer files: each file, each unit, what was taken.

* ``inbound_files``: one row per file received (its bytes are in ``services.payer_files``
  under the same id): ``received`` until every unit in it is handled, then ``taken``; or
  ``refused`` when it could not be read, with the reason. Deviations a liberal read
  tolerated are kept with it (``findings``).
* ``inbound_units``: one row per unit (an ERA, a 277CA or 999 transaction set): ``posting``
  then ``posted``, or ``quarantined`` with its report, or ``duplicate``. Its ``plan`` says
  how posting reads it in pages.
* ``inbound_taken``: the identities taken (an ERA's payer id and trace number; a status
  file's content). A row is written only when a unit starts posting, so a quarantined ERA
  does not burn its trace number: the corrected resend is taken.
* ``unmatched_payer_messages``: payments and statuses that name no open claim.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Column, DateTime, Engine, Text, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, col, select

from claims.payer_messages import (
    Acknowledgment,
    ClaimStatusReport,
    EligibilityAnswer,
    PayerMessage,
)
from claims.remittance import PaymentRef, Remittance
from claims.x12.inbound import InboundUnit, Page
from services.aware_times import AwareTimes

FileStatus = Literal["received", "taken", "refused"]
UnitStatus = Literal["posting", "posted", "quarantined", "duplicate"]
DONE: frozenset[str] = frozenset({"posted", "quarantined", "duplicate"})


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _when() -> Column[dt.datetime]:
    return Column(DateTime(timezone=True), nullable=True)


class InboundFile(AwareTimes, table=True):
    __tablename__ = "inbound_files"

    file_id: str = Field(primary_key=True, max_length=26)
    kind: str = Field(default="", max_length=16)
    status: str = Field(index=True, max_length=16)
    # The name it came with, made safe (see ``safe_name``).
    source: str = Field(default="", max_length=200)
    size: int = 0
    units: int = 0
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    findings: str = Field(default="", sa_column=Column(Text, nullable=False))
    received_at: dt.datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    completed_at: dt.datetime | None = Field(default=None, sa_column=_when())


class InboundUnitRecord(AwareTimes, table=True):
    __tablename__ = "inbound_units"

    unit_id: str = Field(primary_key=True, max_length=40)
    file_id: str = Field(index=True, max_length=26)
    n: int
    kind: str = Field(max_length=16)
    key: str = Field(index=True, max_length=200)
    status: str = Field(index=True, max_length=16)
    messages: int = 0
    delivered: int = 0
    unmatched: int = 0
    report: str = Field(default="", sa_column=Column(Text, nullable=False))
    plan: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    received_at: dt.datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    completed_at: dt.datetime | None = Field(default=None, sa_column=_when())


class TakenKey(AwareTimes, table=True):
    __tablename__ = "inbound_taken"

    key: str = Field(primary_key=True, max_length=200)
    unit_id: str = Field(max_length=40)
    taken_at: dt.datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class UnmatchedPayerMessage(AwareTimes, table=True):
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
    # The signed-in person's name (never PHI).
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
    "EligibilityAnswer": EligibilityAnswer,
}


def as_message(row: UnmatchedPayerMessage, claim_id: str) -> PayerMessage:
    """The stored message, readdressed to ``claim_id`` (a person matched it to that claim)."""
    message = _KINDS[row.kind].model_validate_json(row.payload)
    readdressed: PayerMessage = message.model_copy(update={"claim_id": claim_id})  # type: ignore[assignment]
    return readdressed


class UnitPlan(BaseModel):
    """How posting reads a unit: what ``claims.x12.inbound`` worked out at intake."""

    kind: str
    n: int
    key: str
    message_count: int
    pages: list[tuple[int, int, int, int]]
    payment: PaymentRef | None = None

    @classmethod
    def of(cls, unit: InboundUnit) -> UnitPlan:
        return cls(
            kind=unit.kind,
            n=unit.n,
            key=unit.key,
            message_count=unit.message_count,
            pages=[(p.first, p.count, p.start, p.end) for p in unit.pages],
            payment=unit.payment.payment if unit.payment else None,
        )

    def page(self, number: int) -> Page:
        return Page(*self.pages[number])


def unit_id(file_id: str, n: int) -> str:
    return f"{file_id}-{n}"


def safe_name(name: str, limit: int = 120) -> str:
    """A name for people and logs made from anything a sender wrote (a trace number with
    ``/``, a path, control characters): letters, digits and ``.-_`` only."""
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in ".-_") else "_" for c in name)
    return cleaned.strip("._")[:limit] or "unnamed"


def message_id(message: PayerMessage) -> str:
    if isinstance(message, Remittance):
        return message.remittance_id
    return message.message_id


# ------------------------------------------------------------------ files


def record_received(engine: Engine, file_id: str, *, source: str, size: int) -> None:
    with Session(engine) as session:
        session.add(
            InboundFile(file_id=file_id, status="received", source=safe_name(source), size=size)
        )
        session.commit()


def record_refused(engine: Engine, file_id: str, reason: str) -> None:
    _update_file(engine, file_id, status="refused", reason=reason, completed_at=_now())


def record_read(engine: Engine, file_id: str, *, kind: str, units: int, findings: str) -> None:
    _update_file(engine, file_id, kind=kind, units=units, findings=findings)


def _update_file(engine: Engine, file_id: str, **values: object) -> None:
    with Session(engine) as session:
        row = session.get(InboundFile, file_id)
        if row is None:
            raise LookupError(f"no inbound file {file_id}")
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
        session.commit()


def get_file(engine: Engine, file_id: str) -> InboundFile | None:
    with Session(engine) as session:
        return session.get(InboundFile, file_id)


def list_files(engine: Engine, *, status: str | None = None, limit: int = 100) -> list[InboundFile]:
    with Session(engine) as session:
        query = select(InboundFile)
        if status is not None:
            query = query.where(InboundFile.status == status)
        query = query.order_by(col(InboundFile.received_at).desc()).limit(limit)
        return list(session.exec(query))


def units_of(engine: Engine, file_id: str) -> list[InboundUnitRecord]:
    with Session(engine) as session:
        query = select(InboundUnitRecord).where(InboundUnitRecord.file_id == file_id)
        return list(session.exec(query.order_by(col(InboundUnitRecord.n))))


def complete_file_if_done(engine: Engine, file_id: str) -> bool:
    """Mark the file taken once every unit in it is handled; True if it is (now) taken."""
    with Session(engine) as session:
        row = session.get(InboundFile, file_id)
        if row is None or row.status == "refused":
            return False
        if row.status == "taken":
            return True
        units = session.exec(
            select(InboundUnitRecord).where(InboundUnitRecord.file_id == file_id)
        ).all()
        if len(units) < row.units or any(u.status not in DONE for u in units):
            return False
        row.status = "taken"
        row.completed_at = _now()
        session.add(row)
        session.commit()
        return True


# ------------------------------------------------------------------ units


def add_unit(engine: Engine, record: InboundUnitRecord) -> None:
    """Insert a copy (the caller's record stays usable after the session closes)."""
    with Session(engine) as session:
        if session.get(InboundUnitRecord, record.unit_id) is None:
            session.add(InboundUnitRecord.model_validate(record.model_dump()))
            session.commit()


def get_unit(engine: Engine, unit: str) -> InboundUnitRecord | None:
    with Session(engine) as session:
        return session.get(InboundUnitRecord, unit)


def plan_of(record: InboundUnitRecord) -> UnitPlan:
    return UnitPlan.model_validate(json.loads(record.plan))


def take(engine: Engine, key: str, unit: str) -> TakenKey | None:
    """Claim ``key`` for ``unit``: None if it is now ours, else who took it before.

    One INSERT on a primary key, so two intakes of the same ERA at once cannot both win."""
    with Session(engine) as session:
        session.add(TakenKey(key=key, unit_id=unit))
        try:
            session.commit()
            return None
        except IntegrityError:
            session.rollback()
    with Session(engine) as session:
        found = session.get(TakenKey, key)
        assert found is not None
        return found


def finish_unit(engine: Engine, unit: str, *, delivered: int, unmatched: int) -> str:
    """Mark a unit posted (idempotent); return its file id."""
    with Session(engine) as session:
        row = session.get(InboundUnitRecord, unit)
        if row is None:
            raise LookupError(f"no inbound unit {unit}")
        if row.status != "posted":
            row.status = "posted"
            row.delivered, row.unmatched = delivered, unmatched
            row.completed_at = _now()
            session.add(row)
            session.commit()
        return row.file_id


def unfinished_units(engine: Engine, *, limit: int = 1000) -> list[InboundUnitRecord]:
    """Units still posting: a crash between taking a unit and starting its posting leaves
    one here, and ``services.inbound.resume`` starts it (idempotently)."""
    with Session(engine) as session:
        query = select(InboundUnitRecord).where(InboundUnitRecord.status == "posting")
        return list(session.exec(query.limit(limit)))


# ------------------------------------------------------------------ unmatched


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
                    claim_ref=message.claim_id[:80],
                    kind=type(message).__name__,
                    reason=reason,
                    payload=message.model_dump_json(),
                )
            )
            try:
                session.commit()
            except IntegrityError:  # a concurrent retry queued it first
                session.rollback()


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


def count_unmatched(engine: Engine, file_id: str) -> int:
    with Session(engine) as session:
        query = (
            select(func.count())
            .select_from(UnmatchedPayerMessage)
            .where(UnmatchedPayerMessage.file_id == file_id)
        )
        return int(session.exec(query).one())
