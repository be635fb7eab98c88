"""The PHI classification of every field of every event, published in the AsyncAPI document.

Events carry no direct identifiers (names, birth dates, member ids, addresses, account
numbers): the contract test checks that. What they do carry is health and payment
information keyed by an opaque claim id, and a consumer has to know which field is which to
decide what it may log, keep or show. A field added to a model without a class here fails
``tests/events/test_phi.py``, so the document can never be silently incomplete.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from claims.ledger import LedgerEntry
from events.contract import (
    Actor,
    AdjustmentData,
    ClaimAlert,
    ClaimAlertData,
    ClaimEvent,
    ClaimEventData,
    CloudEvent,
    EligibilityData,
    FindingData,
    PatientShareData,
    RemittanceData,
    StatementReady,
    StatementReadyData,
)


class Phi(StrEnum):
    # About no patient: envelope metadata, counters, the payer (an organisation).
    NONE = "none"
    # An opaque id that leads to a patient only through claimflow's or the payer's records.
    PSEUDONYMOUS_ID = "pseudonymous-id"
    # Health or payment information about the (pseudonymous) patient of the claim: codes,
    # amounts, statuses, adjustments. PHI once joined with the claim's patient.
    HEALTH = "health"
    # Text typed by a person (an appeal reason): claimflow puts no PHI there, a person might.
    FREE_TEXT = "free-text"
    # Who acted: a member of staff or a machine (user or API key name, roles). Not about
    # the patient; personal data of the staff member, for audit.
    STAFF = "staff"


LEGEND: dict[Phi, str] = {
    Phi.NONE: "about no patient (envelope metadata, counters, the payer organisation)",
    Phi.PSEUDONYMOUS_ID: (
        "an opaque id that leads to a patient only through claimflow's or the payer's records"
    ),
    Phi.HEALTH: (
        "health or payment information of the claim's (pseudonymous) patient: PHI once joined "
        "with the patient, so keep it as you keep PHI"
    ),
    Phi.FREE_TEXT: "typed by a person: may contain anything, never log it",
    Phi.STAFF: "who acted (a staff member's or a machine's name and roles), not the patient",
}

_ENVELOPE: dict[str, Phi] = {
    "specversion": Phi.NONE,
    "id": Phi.PSEUDONYMOUS_ID,
    "source": Phi.NONE,
    # The type names the status the claim entered (e.g. denied).
    "type": Phi.HEALTH,
    "subject": Phi.PSEUDONYMOUS_ID,
    "time": Phi.NONE,
    "datacontenttype": Phi.NONE,
}

CLASSIFICATION: dict[type[BaseModel], dict[str, Phi]] = {
    ClaimEvent: {**_ENVELOPE, "data": Phi.HEALTH},
    ClaimAlert: {**_ENVELOPE, "data": Phi.HEALTH},
    ClaimEventData: {
        "claim_id": Phi.PSEUDONYMOUS_ID,
        "seq": Phi.NONE,
        "status": Phi.HEALTH,
        "previous_status": Phi.HEALTH,
        "payer_id": Phi.NONE,
        "total_charge": Phi.HEALTH,
        "paid_amount": Phi.HEALTH,
        "patient_responsibility": Phi.HEALTH,
        "outstanding_amount": Phi.HEALTH,
        "diagnosis_codes": Phi.HEALTH,
        "procedure_codes": Phi.HEALTH,
        "payer_claim_control_number": Phi.PSEUDONYMOUS_ID,
        "adjustments": Phi.HEALTH,
        "findings": Phi.HEALTH,
        "appeal_level": Phi.HEALTH,
        "reason": Phi.FREE_TEXT,
        "actor": Phi.STAFF,
        "frequency_code": Phi.HEALTH,
        "appeal_deadline": Phi.HEALTH,
        "patient_balance": Phi.HEALTH,
        "recoupment_expected": Phi.HEALTH,
        "stages": Phi.NONE,
        "remittance": Phi.HEALTH,
        "ledger": Phi.HEALTH,
        "primary_claim_id": Phi.PSEUDONYMOUS_ID,
        "secondary_claim_id": Phi.PSEUDONYMOUS_ID,
        # A payer's id, like payer_id.
        "crossover_payer_id": Phi.NONE,
        "eligibility": Phi.HEALTH,
    },
    EligibilityData: {
        "status": Phi.HEALTH,
        "checked_at": Phi.NONE,
        "date_of_service": Phi.HEALTH,
        # Built from the claim id (pseudonymous), never from the member.
        "trace_number": Phi.PSEUDONYMOUS_ID,
        # The payer's plan product name (e.g. "SIMULATED PPO"), not the member's.
        "plan_name": Phi.HEALTH,
        "coverage_end": Phi.HEALTH,
        "copay": Phi.HEALTH,
        "coinsurance_percent": Phi.HEALTH,
        "deductible_remaining": Phi.HEALTH,
        "out_of_pocket_remaining": Phi.HEALTH,
        "expected_patient_share": Phi.HEALTH,
        # Written by claimflow from AAA codes and the payer's answer; quotes codes, not people.
        "reasons": Phi.HEALTH,
    },
    PatientShareData: {
        "amount": Phi.HEALTH,
        "total": Phi.HEALTH,
        "copay": Phi.HEALTH,
        "deductible": Phi.HEALTH,
        "coinsurance": Phi.HEALTH,
        "known": Phi.HEALTH,
    },
    RemittanceData: {
        "remittance_id": Phi.PSEUDONYMOUS_ID,
        "decision": Phi.HEALTH,
        "status_code": Phi.HEALTH,
        # A check or EFT number: the payer's, about the payment to the provider.
        "trace_number": Phi.PSEUDONYMOUS_ID,
        "payment_id": Phi.PSEUDONYMOUS_ID,
        "total_charge": Phi.HEALTH,
        "paid_amount": Phi.HEALTH,
        "patient_responsibility": Phi.HEALTH,
        "remark_codes": Phi.HEALTH,
    },
    LedgerEntry: {
        "n": Phi.NONE,
        "at": Phi.HEALTH,
        "kind": Phi.HEALTH,
        "activity": Phi.HEALTH,
        "amount": Phi.HEALTH,
        "line": Phi.NONE,
        "procedure_code": Phi.HEALTH,
        "group": Phi.HEALTH,
        "carc": Phi.HEALTH,
        "rarcs": Phi.HEALTH,
        "patient_kind": Phi.HEALTH,
        "remittance_id": Phi.PSEUDONYMOUS_ID,
        "payment_id": Phi.PSEUDONYMOUS_ID,
        "trace_number": Phi.PSEUDONYMOUS_ID,
        "cancels": Phi.PSEUDONYMOUS_ID,
    },
    AdjustmentData: {
        "group": Phi.HEALTH,
        "carc": Phi.HEALTH,
        "amount": Phi.HEALTH,
        "rarcs": Phi.HEALTH,
    },
    FindingData: {
        "code": Phi.HEALTH,
        "severity": Phi.NONE,
        "field": Phi.NONE,
        # Written by claimflow's checks; it quotes codes, never demographics.
        "message": Phi.HEALTH,
        "candidates": Phi.HEALTH,
        "stage": Phi.NONE,
    },
    ClaimAlertData: {
        "claim_id": Phi.PSEUDONYMOUS_ID,
        "alert_seq": Phi.NONE,
        "kind": Phi.HEALTH,
        "status": Phi.HEALTH,
        "payer_id": Phi.NONE,
        "due": Phi.HEALTH,
        "days_left": Phi.HEALTH,
        "message": Phi.HEALTH,
        "claim_seq": Phi.NONE,
        "amount": Phi.HEALTH,
        "actor": Phi.STAFF,
    },
    StatementReady: {**_ENVELOPE, "type": Phi.NONE, "data": Phi.HEALTH},
    StatementReadyData: {
        "statement_id": Phi.PSEUDONYMOUS_ID,
        "patient_key": Phi.PSEUDONYMOUS_ID,
        "claim_ids": Phi.PSEUDONYMOUS_ID,
        "charged": Phi.HEALTH,
        "insurance_paid": Phi.HEALTH,
        "deductible": Phi.HEALTH,
        "coinsurance": Phi.HEALTH,
        "copay": Phi.HEALTH,
        "non_covered": Phi.HEALTH,
        "other": Phi.HEALTH,
        "patient_responsibility": Phi.HEALTH,
        "patient_paid": Phi.HEALTH,
        "amount_due": Phi.HEALTH,
        "document_url": Phi.PSEUDONYMOUS_ID,
        "actor": Phi.STAFF,
    },
    Actor: {
        "name": Phi.STAFF,
        "kind": Phi.NONE,
        "roles": Phi.STAFF,
        "channel": Phi.NONE,
    },
}

# The envelope base is classified through its subclasses; listed so the check sees it.
BASES: tuple[type[BaseModel], ...] = (CloudEvent,)


def classify(model_name: str, field: str) -> Phi:
    """The class of ``field`` of the model whose JSON Schema title is ``model_name``."""
    for model, fields in CLASSIFICATION.items():
        if model.__name__ == model_name:
            return fields[field]
    raise KeyError(f"{model_name} has no PHI classification")
