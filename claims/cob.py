"""Coordination of benefits: from the primary payer's decision to the secondary claim.

A patient covered twice (an employer plan and a spouse's, Medicare and a supplement) is
billed in order: the primary pays first, and what it leaves to the patient goes to the
secondary payer on a claim of its own. That claim is the same services with the primary's
decision attached (837P loops 2320 AMT*D/CAS and 2430 SVD/CAS/DTP*573), so the secondary can
pay by its own rules without a biller retyping anything.

A primary payer may also forward the claim itself (a crossover: 835 CLP02 19, 20 or 21 with
NM1*TT naming the payer it went to). Then no secondary claim is sent: it would be a
duplicate at that payer; the claim waits for the crossover payer's 835 instead.

Pure: ids are derived, not drawn, so a workflow replaying builds the same claim.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from pydantic import ValidationError

from claims.model import (
    Claim,
    CobAdjustment,
    OtherCoverage,
    Patient,
    PriorAdjudication,
    PriorLine,
    Responsibility,
)
from claims.remittance import Adjustment, Decision, Remittance, RemittanceLine

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# CLP02: the claim was processed as primary/secondary/tertiary and forwarded to another payer.
CROSSOVER_STATUSES = frozenset({"19", "20", "21"})
# CLP02 of a payer that processed the claim after another: secondary, tertiary (forwarded
# on or not). How a crossover payer's 835 on the primary claim is told from the primary's.
AFTER_PRIMARY_STATUSES = frozenset({"2", "3", "20", "21"})


class CobError(ValueError):
    """A primary decision a secondary claim cannot be built from as it stands."""


def secondary_claim_id(primary_claim_id: str, responsibility: Responsibility) -> str:
    """The claim id of ``primary_claim_id``'s claim to its ``responsibility`` payer.

    A ULID with the primary's time part (so both sort together) and 80 bits derived from the
    primary's id: the same primary always gets the same secondary, so a replayed or retried
    start can never make a second one, and anyone holding one id can find the other.
    """
    bits = int.from_bytes(
        hashlib.sha256(f"{primary_claim_id}/{responsibility}".encode()).digest()[:10], "big"
    )
    chars = []
    for _ in range(16):
        bits, digit = divmod(bits, 32)
        chars.append(_ALPHABET[digit])
    return primary_claim_id[:10] + "".join(reversed(chars))


def crossed_over(remittance: Remittance) -> bool:
    """The payer says it forwarded the claim to the next payer itself (CLP02 19/20/21)."""
    return remittance.status_code in CROSSOVER_STATUSES


def processed_after_primary(remittance: Remittance) -> bool:
    """An 835 from a payer that decided the claim as secondary or tertiary (CLP02 2/3/20/21)."""
    return remittance.status_code in AFTER_PRIMARY_STATUSES


def secondary_due(claim: Claim, remittance: Remittance) -> bool:
    """Whether this decision leaves something the next coverage may pay: the patient's
    share (deductible, coinsurance, copay, non-covered), with a next payer to bill and no
    crossover doing it already."""
    return (
        claim.next_coverage is not None
        and remittance.decision is not Decision.REVERSAL
        and remittance.patient_responsibility > 0
        and not crossed_over(remittance)
    )


def _cob(adjustments: tuple[Adjustment, ...]) -> list[CobAdjustment]:
    return [CobAdjustment(group=a.group.value, carc=a.carc, amount=a.amount) for a in adjustments]


def _claim_line(claim: Claim, paid: RemittanceLine, taken: set[int]) -> int:
    """The claim's line an 835 SVC answers: the same position when the procedure agrees,
    else the first line not yet matched with that procedure code."""
    n = paid.line
    if (
        n <= len(claim.lines)
        and n not in taken
        and claim.lines[n - 1].procedure_code == paid.procedure_code
    ):
        return n
    for k, line in enumerate(claim.lines, start=1):
        if k not in taken and line.procedure_code == paid.procedure_code:
            return k
    raise CobError(
        f"the 835's service line {paid.line} ({paid.procedure_code}) is not on the claim"
    )


def adjudication_of(claim: Claim, remittance: Remittance, decided_on: dt.date) -> PriorAdjudication:
    """The payer's decision as the next payer's claim carries it (2320/2430)."""
    taken: set[int] = set()
    lines = []
    for paid in remittance.lines:
        n = _claim_line(claim, paid, taken)
        taken.add(n)
        lines.append(PriorLine(line=n, paid=paid.paid, adjustments=_cob(paid.adjustments)))
    claim_level = remittance.claim_adjustments if remittance.lines else remittance.adjustments
    when = remittance.payment.payment_date if remittance.payment else None
    try:
        return PriorAdjudication(
            paid=remittance.paid_amount,
            adjudicated_on=when or decided_on,
            claim_adjustments=_cob(claim_level),
            lines=sorted(lines, key=lambda p: p.line),
            remaining_patient_liability=remittance.patient_responsibility,
            payer_claim_control_number=remittance.payer_claim_control_number or None,
        )
    except ValidationError as exc:
        raise CobError(
            f"the 835 cannot be carried to the next payer: {exc.errors()[0]['msg']}"
        ) from None


def _this_coverage(claim: Claim, adjudication: PriorAdjudication) -> OtherCoverage:
    """The claim's own payer, as the next payer's claim lists it (2320/2330A/2330B)."""
    relationship = "18" if claim.patient is None else claim.patient.relationship
    return OtherCoverage(
        responsibility=claim.responsibility,
        payer=claim.payer,
        subscriber=claim.subscriber,
        relationship=relationship,
        adjudication=adjudication,
    )


def secondary_claim(
    claim: Claim,
    remittance: Remittance,
    decided_on: dt.date,
    *,
    primary_claim_id: str | None = None,
) -> Claim:
    """The claim to the next payer after ``claim``'s payer decided ``remittance``.

    The next coverage's subscriber becomes the claim's subscriber; the patient stays who
    they were (a dependent on one plan may be the subscriber of the other). Every payer
    before keeps its decision in its 2320/2430 loops: a tertiary claim (built from the
    secondary claim, ``primary_claim_id`` naming the first claim, from which its id is
    derived) carries both the primary's and the secondary's. Raises ``CobError`` when there
    is no next payer or the decision does not add up.
    """
    nxt = claim.next_coverage
    if claim.claim_id is None or nxt is None:
        raise CobError("the claim has no coverage after its payer's")
    adjudication = adjudication_of(claim, remittance, decided_on)
    patient_as_person = claim.patient or claim.subscriber
    if nxt.relationship == "18":
        # The patient is this plan's subscriber: their own birth date and address go out.
        subscriber = nxt.subscriber.model_copy(
            update={
                "date_of_birth": nxt.subscriber.date_of_birth or patient_as_person.date_of_birth,
                "address": nxt.subscriber.address or patient_as_person.address,
            }
        )
        patient = None
    else:
        subscriber = nxt.subscriber
        born = patient_as_person.date_of_birth
        if born is None:
            raise CobError("the patient's birth date is needed for the secondary claim")
        patient = Patient(
            member_id=patient_as_person.member_id,
            first_name=patient_as_person.first_name,
            last_name=patient_as_person.last_name,
            date_of_birth=born,
            sex=patient_as_person.sex,
            address=patient_as_person.address,
            relationship=nxt.relationship,
        )
    others = [c for c in claim.other_coverages if c is not nxt]
    others.append(_this_coverage(claim, adjudication))
    try:
        return Claim.model_validate(
            {
                **claim.model_dump(
                    exclude={"claim_id", "frequency_code", "payer_claim_control_number"}
                ),
                "claim_id": secondary_claim_id(
                    primary_claim_id or claim.claim_id, nxt.responsibility
                ),
                "subscriber": subscriber.model_dump(),
                "patient": patient.model_dump() if patient else None,
                "payer": nxt.payer.model_dump(),
                "responsibility": nxt.responsibility,
                "other_coverages": [
                    c.model_dump() for c in sorted(others, key=lambda c: c.responsibility)
                ],
            }
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise CobError(f"the secondary claim would be invalid: {where or 'claim'}: {msg}") from None


def prior_paid(claim: Claim) -> Decimal:
    """What the payers ahead of this claim's have paid (their AMT*D)."""
    return sum(
        (c.adjudication.paid for c in claim.other_coverages if c.adjudication is not None),
        Decimal(0),
    )
