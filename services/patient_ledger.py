"""The patient's side of a claim: who the patient is (sealed), and what the patient paid.

At intake (the API process, where the claim's PHI is in memory) each claim gets a row with

* a **patient key**: HMAC-SHA256 of the patient's normalised last name, first name and birth
  date, under a key derived from the data key ring (or ``CLAIMFLOW_PATIENT_KEY_SECRET``).
  Claims of one patient share it, so balances and statements go by patient, while the key
  itself says nothing about the patient to anyone without the secret;
* the **statement party**, sealed with the key ring (AES-256-GCM, bound to the claim id):
  the patient's name and address, the account number, the provider and each service's date.
  Only a statement, rendered in the API process, opens it.

Patient payments are appended (``n`` 1, 2, 3 ... per claim), never changed: a refund or a
correction is a later entry. The claim's patient share comes from its projected ledger.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import unicodedata
from collections.abc import Sequence
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import Column, DateTime, Engine, LargeBinary, Numeric
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, col, select

from claims.ledger import Activity, EntryKind, LedgerEntry, PatientKind
from claims.model import Claim
from claims.patient_share import PatientShare, claim_share
from services import readmodel
from services.aware_times import AwareTimes
from services.crypto.aead import open_labelled, seal_labelled
from services.crypto.keyring import KeyRing
from services.settings import Settings

KEY_CONTEXT = b"claimflow-patient-key-v1"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ClaimPatient(AwareTimes, table=True):
    __tablename__ = "claim_patients"

    claim_id: str = Field(primary_key=True, max_length=40)
    patient_key: str = Field(index=True, max_length=64)
    # The statement party (JSON), sealed: key id length, key id, nonce + ciphertext.
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    recorded_at: dt.datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class PatientPayment(AwareTimes, table=True):
    """One payment by the patient on a claim. Append-only."""

    __tablename__ = "patient_payments"

    claim_id: str = Field(primary_key=True, max_length=40)
    n: int = Field(primary_key=True)
    patient_key: str = Field(index=True, max_length=64)
    amount: Decimal = Field(sa_column=Column(Numeric(14, 2), nullable=False))
    method: str = Field(max_length=16)
    reference: str | None = Field(default=None, max_length=40)
    recorded_by: str = Field(max_length=120)
    recorded_at: dt.datetime = Field(
        default_factory=_now, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class StatementParty(BaseModel):
    """What a statement prints about the people and the visits: PHI, only ever sealed."""

    patient_name: str
    address_lines: list[str]
    account_number: str
    provider_name: str
    provider_address: list[str]
    payer_name: str
    service_dates: dict[int, str]


def _hmac_key(settings: Settings, ring: KeyRing) -> bytes:
    """The patient-key secret: the setting if given, else derived from the ring's oldest
    key (the same on every process and across rotations, which only add keys)."""
    if settings.patient_key_secret is not None:
        return settings.patient_key_secret.get_secret_value().encode()
    oldest = ring.key(min(ring.keys))
    return hmac.new(oldest, KEY_CONTEXT, hashlib.sha256).digest()


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def patient_key(settings: Settings, ring: KeyRing, claim: Claim) -> str:
    """The claim's patient as an opaque key (hex HMAC): the same for every claim of the
    same person (last name, first name, birth date), whatever the spelling's case."""
    person = claim.patient or claim.subscriber
    born = person.date_of_birth.isoformat() if person.date_of_birth else ""
    identity = "|".join((_norm(person.last_name), _norm(person.first_name), born))
    return hmac.new(_hmac_key(settings, ring), identity.encode(), hashlib.sha256).hexdigest()


def _address(lines: list[str | None], city: str, state: str, postal: str) -> list[str]:
    return [*(line for line in lines if line), f"{city}, {state} {postal}"]


def party_of(claim: Claim) -> StatementParty:
    person = claim.patient or claim.subscriber
    address = person.address or claim.subscriber.address
    provider = claim.billing_provider
    return StatementParty(
        patient_name=f"{person.first_name} {person.last_name}",
        address_lines=(
            _address(
                [address.line1, address.line2], address.city, address.state, address.postal_code
            )
            if address
            else []
        ),  # fmt: skip
        account_number=claim.account_number,
        provider_name=provider.display_name,
        provider_address=(
            _address(
                [provider.address.line1, provider.address.line2],
                provider.address.city,
                provider.address.state,
                provider.address.postal_code,
            )
            if provider.address
            else []
        ),  # fmt: skip
        payer_name=claim.payer.name,
        service_dates={
            n: line.service_date_from.isoformat() for n, line in enumerate(claim.lines, start=1)
        },
    )


def _context(claim_id: str) -> bytes:
    return f"claim-patient|{claim_id}".encode()


def record_claim(
    engine: Engine, settings: Settings, ring: KeyRing, claim_id: str, claim: Claim
) -> None:
    """Keep the claim's patient key and sealed party, once (a resubmission keeps the first)."""
    party = party_of(claim).model_dump_json().encode()
    row = ClaimPatient(
        claim_id=claim_id,
        patient_key=patient_key(settings, ring, claim),
        sealed=seal_labelled(ring, party, _context(claim_id)),
    )
    with Session(engine) as session:
        if session.get(ClaimPatient, claim_id) is not None:
            return
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # the same claim submitted twice at once
            session.rollback()


def patient_of(engine: Engine, claim_id: str) -> ClaimPatient | None:
    with Session(engine) as session:
        return session.get(ClaimPatient, claim_id)


def claims_of(engine: Engine, key: str) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(
            select(ClaimPatient.claim_id)
            .where(ClaimPatient.patient_key == key)
            .order_by(col(ClaimPatient.recorded_at), col(ClaimPatient.claim_id))
        )
        return list(rows)


def open_party(ring: KeyRing, row: ClaimPatient) -> StatementParty:
    return StatementParty.model_validate(
        json.loads(open_labelled(ring, row.sealed, _context(row.claim_id)))
    )


def ledger_entries(engine: Engine, claim_id: str) -> list[LedgerEntry]:
    """The claim's projected ledger as ``claims.ledger`` entries."""
    return [
        LedgerEntry(
            n=r.n,
            at=r.at,
            kind=EntryKind(r.kind),
            activity=Activity(r.activity),
            amount=r.amount,
            line=r.line,
            procedure_code=r.procedure_code,
            group=r.group,
            carc=r.carc,
            rarcs=tuple(x for x in r.rarcs.split(",") if x),
            patient_kind=PatientKind(r.patient_kind) if r.patient_kind else None,
            remittance_id=r.remittance_id,
            payment_id=r.payment_id,
            trace_number=r.trace_number,
        )  # fmt: skip
        for r in readmodel.ledger_of(engine, claim_id)
    ]


def payments_of(engine: Engine, claim_id: str) -> list[PatientPayment]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(PatientPayment)
                .where(PatientPayment.claim_id == claim_id)
                .order_by(col(PatientPayment.n))
            )
        )


def share_of(engine: Engine, claim_id: str) -> PatientShare:
    return claim_share(
        ledger_entries(engine, claim_id), [p.amount for p in payments_of(engine, claim_id)]
    )


class OverBalance(ValueError):
    """A payment larger than what the patient still owes on the claim."""


def add_payment(
    engine: Engine,
    claim_id: str,
    *,
    patient: str,
    amount: Decimal,
    method: str,
    reference: str | None,
    by: str,
) -> PatientPayment:
    """Append a patient payment; ``OverBalance`` if it is more than the balance (checked
    in the same transaction that appends, so two payments at once cannot both pass)."""
    with Session(engine) as session:
        paid = list(session.exec(select(PatientPayment).where(PatientPayment.claim_id == claim_id)))
        share = claim_share(ledger_entries(engine, claim_id), [p.amount for p in paid])
        if amount > share.balance:
            raise OverBalance(
                f"the patient owes {share.balance} on this claim; {amount} is more than that"
            )
        row = PatientPayment(
            claim_id=claim_id, n=len(paid) + 1, patient_key=patient, amount=amount,
            method=method, reference=reference, recorded_by=by,
        )  # fmt: skip
        session.add(row)
        session.commit()
        session.refresh(row)
        return row


def shares(engine: Engine, claim_ids: Sequence[str]) -> dict[str, PatientShare]:
    return {claim_id: share_of(engine, claim_id) for claim_id in claim_ids}
