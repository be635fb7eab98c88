"""What claimflow must remember about the X12 it sends.

Control numbers: ISA13 and GS06 must be unique per sender, across restarts, so they are a
persisted counter, not a clock or a random number. Sent transactions: a 999 names only our
GS06 and ST02s, so which claims went in which transaction set is kept to map it back.
Patient control numbers: CLM01 is a 20-character number per claim (``claims.x12.control``),
recorded before the 837P leaves; every 835 CLP01, 277CA TRN02 and 999 answer finds its
claim through ``claim_for_patient_control_number``. Eligibility inquiries sent as files:
the 270's trace number, recorded before it leaves; its 271 finds the claim through
``claim_for_eligibility_trace``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Column, DateTime, Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, col, select

from claims.model import ULID_PATTERN
from claims.x12.control import ALPHABET, patient_control_number
from services.aware_times import AwareTimes


class ControlNumber(AwareTimes, table=True):
    __tablename__ = "x12_control_numbers"

    name: str = Field(primary_key=True, max_length=32)
    value: int = 0


class SentTransaction(AwareTimes, table=True):
    __tablename__ = "x12_sent_transactions"

    group_control_number: str = Field(primary_key=True, max_length=9)
    transaction_control_number: str = Field(primary_key=True, max_length=9)
    # Indexed: the claims sent before patient control numbers existed carried their claim id
    # as CLM01, and a payer that keeps 20 characters answers with its prefix.
    claim_id: str = Field(primary_key=True, max_length=40, index=True)


class PatientControlNumber(AwareTimes, table=True):
    """CLM01 -> claim id, one number per claim for all its submissions."""

    __tablename__ = "x12_patient_control_numbers"

    patient_control_number: str = Field(primary_key=True, max_length=20)
    claim_id: str = Field(unique=True, max_length=40)


class EligibilityInquiry(AwareTimes, table=True):
    """A 270 sent as a file: its trace number (TRN*1, echoed as the 271's TRN*2) -> the claim
    that asked. Recorded before the file leaves, so the 271 that comes back through the
    inbox always finds its claim (or, for a question no claim asked, the unmatched queue)."""

    __tablename__ = "x12_eligibility_inquiries"

    trace_number: str = Field(primary_key=True, max_length=50)
    claim_id: str = Field(max_length=40, index=True)
    # The 270 file's name (``270-<ISA13>.x12``), for an EDI analyst.
    file_name: str = Field(max_length=40)
    sent_at: dt.datetime = Field(
        default_factory=lambda: dt.datetime.now(dt.UTC),
        sa_column=Column(DateTime(timezone=True), nullable=False),
    )


INTERCHANGE = "interchange"
GROUP = "group"


def next_number(engine: Engine, name: str) -> int:
    """The next value of counter ``name``, 1 .. 999999999, then round again.

    One atomic UPDATE ... RETURNING, so concurrent submissions (the worker's threads, or
    several workers) can never draw the same number: a read-then-write would.
    """
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO x12_control_numbers (name, value) VALUES (:name, 0) "
                "ON CONFLICT (name) DO NOTHING"
            ),
            {"name": name},
        )
        value = conn.execute(
            text(
                "UPDATE x12_control_numbers SET value = value % 999999999 + 1 "
                "WHERE name = :name RETURNING value"
            ),
            {"name": name},
        ).scalar_one()
    return int(value)


def record_sent(engine: Engine, group: int, transactions: Mapping[str, Sequence[str]]) -> None:
    with Session(engine) as session:
        for st02, claim_ids in transactions.items():
            for claim_id in claim_ids:
                key = (str(group), st02, claim_id)
                if session.get(SentTransaction, key) is None:
                    session.add(
                        SentTransaction(
                            group_control_number=str(group),
                            transaction_control_number=st02,
                            claim_id=claim_id,
                        )
                    )
        session.commit()


def sent_transactions(engine: Engine, group: str) -> dict[str, list[str]]:
    """``claims.x12.inbound.SentTransactions`` for a 999: ST02 -> claim ids of group GS06."""
    # GS06 may come back zero-padded or not; it is a number.
    with Session(engine) as session:
        rows = session.exec(
            select(SentTransaction).where(
                SentTransaction.group_control_number
                == str(int(group) if group.isdigit() else group)
            )
        ).all()
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.transaction_control_number, []).append(row.claim_id)
    return found


def assign_patient_control_numbers(engine: Engine, claim_ids: Iterable[str]) -> dict[str, str]:
    """Claim id -> CLM01, recording a number for each claim that has none yet.

    A claim keeps its number for every resubmission. The number is derived from the claim
    id; the primary key makes it unique, so on the rare clash with another claim's number
    (or a concurrent insert) the next derivation is tried.
    """
    found: dict[str, str] = {}
    for claim_id in dict.fromkeys(claim_ids):
        for attempt in range(100):
            with Session(engine) as session:
                row = session.exec(
                    select(PatientControlNumber).where(PatientControlNumber.claim_id == claim_id)
                ).first()
                if row is not None:
                    found[claim_id] = row.patient_control_number
                    break
                pcn = patient_control_number(claim_id, attempt)
                session.add(PatientControlNumber(patient_control_number=pcn, claim_id=claim_id))
                try:
                    session.commit()
                except IntegrityError:
                    continue  # taken by another claim, or this one concurrently: look again
                found[claim_id] = pcn
                break
        else:  # pragma: no cover - 100 clashes of 100-bit numbers
            raise RuntimeError(f"no free patient control number for claim {claim_id}")
    return found


class AmbiguousControlNumber(LookupError):
    """A truncated patient control number that the prefixes of several claims share."""


# A payer that keeps fewer characters than it was sent returns a prefix; below this many,
# a prefix says too little to name one claim with confidence.
MIN_PREFIX = 10
_PREFIX = re.compile(rf"[{ALPHABET}]{{{MIN_PREFIX},25}}")
_CLAIM_ID = re.compile(ULID_PATTERN)


def claim_for_patient_control_number(engine: Engine, value: str) -> str | None:
    """The claim a payer means by ``value`` (835 CLP01, 277CA TRN02, 999 claim), or None.

    In order: a recorded patient control number; a whole claim id (claims sent before
    patient control numbers existed, and 999 answers, which are mapped to claim ids by
    ST02); a prefix of either, as a payer that truncates returns it, when exactly one claim
    has it. Raises ``AmbiguousControlNumber`` when several do, so the message is parked
    for a person rather than posted to a guess.
    """
    value = value.strip()
    if not value:
        return None
    with Session(engine) as session:
        row = session.get(PatientControlNumber, value)
        if row is not None:
            return row.claim_id
        if _CLAIM_ID.fullmatch(value):
            return value
        if not _PREFIX.fullmatch(value):
            return None
        candidates = set(
            session.exec(
                select(PatientControlNumber.claim_id)
                .where(col(PatientControlNumber.patient_control_number).startswith(value))
                .limit(2)
            ).all()
        )
        candidates |= set(
            session.exec(
                select(SentTransaction.claim_id)
                .where(col(SentTransaction.claim_id).startswith(value))
                .distinct()
                .limit(2)
            ).all()
        )
    if len(candidates) > 1:
        raise AmbiguousControlNumber(
            f"patient control number {value!r} is the start of several claims' numbers; "
            "the payer truncated it too far to tell which claim it means"
        )
    return candidates.pop() if candidates else None


def patient_control_number_of(engine: Engine, claim_id: str) -> str | None:
    """The CLM01 a claim was sent with, or None (never sent as X12, or sent before patient
    control numbers existed: then its claim id was CLM01)."""
    with Session(engine) as session:
        row = session.exec(
            select(PatientControlNumber).where(PatientControlNumber.claim_id == claim_id)
        ).first()
    return row.patient_control_number if row is not None else None


def record_eligibility_inquiry(
    engine: Engine, trace_number: str, claim_id: str, file_name: str
) -> None:
    """Remember which claim asked under ``trace_number`` (idempotent: a retried send of the
    same question records it once, the latest file name kept)."""
    with Session(engine) as session:
        row = session.get(EligibilityInquiry, trace_number)
        if row is None:
            row = EligibilityInquiry(
                trace_number=trace_number, claim_id=claim_id, file_name=file_name[:40]
            )
        else:
            row.claim_id, row.file_name = claim_id, file_name[:40]
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # a concurrent retry recorded it first: the same question
            session.rollback()


def claim_for_eligibility_trace(engine: Engine, trace_number: str) -> str | None:
    """The claim whose 270 went out under ``trace_number`` (a 271's TRN*2), or None."""
    value = trace_number.strip()
    if not value:
        return None
    with Session(engine) as session:
        row = session.get(EligibilityInquiry, value[:50])
    return row.claim_id if row is not None else None
