"""Patient statements: rendered from the ledger, stored sealed, announced on Kafka.

A biller asks for one (``POST /statements`` or ``claimflow statements create``) for a claim
or for every claim of a patient key. The API process, the only place the patient's name and
address are opened, renders the document (HTML, Jinja2 with autoescaping), seals it with the
data key ring (AES-256-GCM, bound to the statement id) and stores it in the database, then
publishes ``claimflow.statement.ready.v1`` on ``claims.statements.v1`` with ids and amounts
only. ``GET /statements/{id}`` opens it for a caller with a billing role.

The row is stored before the event is sent: an event never names a statement that is not
there. If Kafka does not take the event, the row says so (``published_at`` empty) and the
API answers 503; asking again for the same claims re-sends it rather than making another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from kafka import KafkaProducer
from pydantic import BaseModel
from sqlalchemy import Column, DateTime, Engine, LargeBinary, Numeric
from sqlmodel import Field, Session, col, select
from ulid import ULID

from claims.patient_share import (
    PatientShare,
    claim_level_reasons,
    claim_share,
    services_owed,
    total_share,
)
from events.connection import client_kwargs
from events.contract import Actor, StatementReady, StatementReadyData, make_statement_ready
from events.topics import STATEMENTS
from services import patient_ledger as pl
from services.aware_times import AwareTimes
from services.crypto.aead import open_labelled, seal_labelled
from services.crypto.keyring import KeyRing
from services.settings import Settings

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    undefined=StrictUndefined,
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _money() -> Column[Decimal]:
    return Column(Numeric(14, 2), nullable=False)


class StatementRecord(AwareTimes, table=True):
    __tablename__ = "statements"

    statement_id: str = Field(primary_key=True, max_length=26)
    patient_key: str = Field(index=True, max_length=64)
    # Comma-separated claim ids (ULIDs): what the statement covers.
    claim_ids: str
    amount_due: Decimal = Field(sa_column=_money())
    responsibility: Decimal = Field(sa_column=_money())
    # The HTML document, sealed (``seal_labelled``).
    document: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_by: str = Field(max_length=120)
    created_at: dt.datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    published_at: dt.datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True))
    )


class StatementSummary(BaseModel):
    statement_id: str
    patient_key: str
    claim_ids: list[str]
    totals: PatientShare
    document_url: str
    published: bool


def _context(statement_id: str) -> bytes:
    return f"statement|{statement_id}".encode()


def render(
    statement_id: str, ring: KeyRing, rows: Sequence[pl.ClaimPatient], engine: Engine
) -> tuple[str, PatientShare, dict[str, PatientShare]]:
    """The document, its totals and each claim's share (from the projected ledger)."""
    visits = []
    shares: dict[str, PatientShare] = {}
    party = None
    for row in rows:
        party = pl.open_party(ring, row)
        entries = pl.ledger_entries(engine, row.claim_id)
        share = claim_share(entries, [p.amount for p in pl.payments_of(engine, row.claim_id)])
        shares[row.claim_id] = share
        visits.append(
            {
                "account_number": party.account_number,
                "payer_name": party.payer_name,
                "dates": party.service_dates,
                "services": services_owed(entries),
                "claim_reasons": claim_level_reasons(entries),
                "share": share,
            }
        )
    assert party is not None
    total = total_share(shares.values())
    html = _TEMPLATES.get_template("statement.html.j2").render(
        statement_id=statement_id,
        date=_now().date().isoformat(),
        patient_name=party.patient_name,
        address_lines=party.address_lines,
        provider_name=party.provider_name,
        provider_address=party.provider_address,
        total=total,
        visits=visits,
    )
    return html, total, shares


def _unpublished(engine: Engine, patient_key: str, claim_ids: str) -> StatementRecord | None:
    with Session(engine) as session:
        return session.exec(
            select(StatementRecord)
            .where(StatementRecord.patient_key == patient_key)
            .where(StatementRecord.claim_ids == claim_ids)
            .where(col(StatementRecord.published_at).is_(None))
            .order_by(col(StatementRecord.created_at).desc())
        ).first()


def create(
    engine: Engine, ring: KeyRing, rows: Sequence[pl.ClaimPatient], by: str
) -> tuple[StatementRecord, PatientShare]:
    """Render and store a statement for the claims of ``rows`` (one patient's)."""
    claim_ids = ",".join(r.claim_id for r in rows)
    key = rows[0].patient_key
    earlier = _unpublished(engine, key, claim_ids)
    statement_id = earlier.statement_id if earlier else str(ULID())
    html, total, _ = render(statement_id, ring, rows, engine)
    if earlier is not None:
        return earlier, total
    record = StatementRecord(
        statement_id=statement_id,
        patient_key=key,
        claim_ids=claim_ids,
        amount_due=total.balance,
        responsibility=total.responsibility,
        document=seal_labelled(ring, html.encode(), _context(statement_id)),
        created_by=by,
    )
    with Session(engine) as session:
        session.add(record)
        session.commit()
        session.refresh(record)
    return record, total


def event_for(record: StatementRecord, total: PatientShare, actor: Actor | None) -> StatementReady:
    return make_statement_ready(
        time=record.created_at,
        data=StatementReadyData(
            statement_id=record.statement_id,
            patient_key=record.patient_key,
            claim_ids=tuple(record.claim_ids.split(",")),
            charged=total.charged,
            insurance_paid=total.insurance_paid,
            deductible=total.deductible,
            coinsurance=total.coinsurance,
            copay=total.copay,
            non_covered=total.non_covered,
            other=total.other,
            patient_responsibility=total.responsibility,
            patient_paid=total.patient_paid,
            amount_due=total.balance,
            document_url=f"/statements/{record.statement_id}",
            actor=actor,
        ),
    )


def publish(settings: Settings, engine: Engine, event: StatementReady) -> None:
    """Send the event (every in-sync replica has it on return), then mark the row sent."""
    producer = KafkaProducer(
        **client_kwargs(settings.kafka_connection),
        acks="all",
        enable_idempotence=True,
        client_id="claimflow-statements",
    )
    try:
        headers = [("ce_type", event.type.encode()), ("ce_id", event.id.encode())]
        producer.send(
            settings.topic(STATEMENTS),
            key=event.data.patient_key.encode(),
            value=event.to_json_bytes(),
            headers=headers,
        ).get(timeout=20)
    finally:
        producer.close(timeout=20)
    with Session(engine) as session:
        row = session.get(StatementRecord, event.data.statement_id)
        if row is not None and row.published_at is None:
            row.published_at = _now()
            session.add(row)
            session.commit()


def get(engine: Engine, statement_id: str) -> StatementRecord | None:
    with Session(engine) as session:
        return session.get(StatementRecord, statement_id)


def latest_for_claim(engine: Engine, claim_id: str) -> StatementRecord | None:
    """The newest statement that lists ``claim_id`` (alone or with the patient's others)."""
    with Session(engine) as session:
        found = session.exec(
            select(StatementRecord)
            .where(col(StatementRecord.claim_ids).contains(claim_id))
            .order_by(col(StatementRecord.created_at).desc())
        )
        return next((r for r in found if claim_id in r.claim_ids.split(",")), None)


def document(ring: KeyRing, record: StatementRecord) -> str:
    return open_labelled(ring, record.document, _context(record.statement_id)).decode()


def summary(record: StatementRecord, total: PatientShare) -> StatementSummary:
    return StatementSummary(
        statement_id=record.statement_id,
        patient_key=record.patient_key,
        claim_ids=record.claim_ids.split(","),
        totals=total,
        document_url=f"/statements/{record.statement_id}",
        published=record.published_at is not None,
    )
