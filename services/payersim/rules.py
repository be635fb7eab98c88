"""How the simulated payer decides: a fee schedule and a few denial rules, deterministic.

The same claim always gets the same answer, so tests can choose an outcome by choosing the
claim's content:
- a procedure on NON_COVERED is denied CO-96 (non-covered), and stays denied on appeal;
- a procedure on NEEDS_AUTH without ``prior_authorization`` is denied CO-197 (authorization
  absent); the first appeal overturns it (a retro-authorization);
- venipuncture (36415) billed with other services is bundled (CO-97): the claim is
  partially paid; an appeal overturns it;
- a service older than the payer's own 180-day filing limit is denied CO-29 (timely
  filing), which no appeal changes;
- an unlisted procedure (a code ending in 99, e.g. 99499) is denied CO-16 (missing
  information) with RARC M51; the first appeal, with the documentation, overturns it;
- a screening diagnosis (Z00-Z13) as the principal diagnosis of a diagnostic service is
  denied CO-50 (medical necessity) with N115; the first appeal is upheld, the second pays;
- anything else is paid at the fee schedule (or 80% of charge when unlisted), less the
  patient's share: 20% coinsurance (PR-2); for member ids starting with COPAY a $25 copay per
  office visit (PR-3); for HDHP members the first $250 is deductible (PR-1). The difference
  to the charge is the contractual write-down (CO-45);
- a subscriber whose member id starts with REJECT (or NOTFOUND, when nobody checked
  eligibility first) is rejected by the 277CA (A3:33, subscriber not found): the claim never
  enters adjudication. REJECT members are "active" to the eligibility service: the front end
  and the eligibility system disagree, as real payers' sometimes do.
Coordination of benefits:
- a claim sent to the simulator as the secondary (or tertiary) payer (SBR01 S/T, with the
  primary's AMT*D and AMT*EAF in 2320) is paid by the secondary's own rule: the patient's
  share the primary left, up to its own fee schedule less what the primary paid; a COPAY
  member keeps the copay. The rest of the charge is OA-23 (the prior payer's impact), the
  patient's part PR; CLP02 is 2 (3 for a tertiary);
- a primary claim whose other payer's id starts with XOVER is crossed over: its 835 says
  CLP02 19 with NM1*TT naming that payer, and that payer's own 835 (CLP02 2, paying the
  patient's share) follows on the same claim.
Every decision balances the way an 835 must: charge - sum(adjustments) = paid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from claims.model import Claim
from claims.payer_messages import ClaimStatusReport
from claims.remittance import Adjustment, Decision, GroupCode, Remittance
from claims.x12.read_837p import SubmittedClaim

CENT = Decimal("0.01")
COINSURANCE = Decimal("0.20")
UNLISTED_ALLOWED_RATIO = Decimal("0.80")

# Allowed amount per unit, by procedure code.
FEE_SCHEDULE: dict[str, Decimal] = {
    "99213": Decimal("92.00"),
    "99214": Decimal("131.00"),
    "99203": Decimal("110.00"),
    "85025": Decimal("10.50"),
    "80053": Decimal("14.00"),
    "93000": Decimal("17.00"),
    "70553": Decimal("420.00"),
    "72148": Decimal("230.00"),
}
NON_COVERED: frozenset[str] = frozenset({"97810", "97811", "S9090"})
NEEDS_AUTH: frozenset[str] = frozenset({"70553", "72148"})
BUNDLED: frozenset[str] = frozenset({"36415"})
FILING_LIMIT_DAYS = 180
OFFICE_VISITS = frozenset(f"992{n:02d}" for n in range(2, 16))
PREVENTIVE = frozenset({*(f"993{n}" for n in range(81, 98)), "G0438", "G0439"})
COPAY = Decimal("25.00")
DEDUCTIBLE = Decimal("250.00")
UNKNOWN_MEMBER_PREFIX = "NOTFOUND"
REJECTED_MEMBER_PREFIX = "REJECT"
# Other payers with a crossover agreement: the primary forwards the claim to them itself.
CROSSOVER = "XOVER"


@dataclass(frozen=True)
class Line:
    procedure_code: str
    charge: Decimal
    units: Decimal
    service_date: dt.date | None


@dataclass(frozen=True)
class PayerView:
    """What the rules look at, the same whether the claim came as JSON or as an 837P."""

    claim_id: str
    member_id: str
    prior_authorization: str | None
    total_charge: Decimal
    principal_diagnosis: str
    lines: tuple[Line, ...]
    responsibility: str = "P"
    other_payer_ids: tuple[str, ...] = ()
    prior_paid: Decimal = Decimal(0)
    prior_patient: Decimal | None = None


def view(claim: Claim | SubmittedClaim) -> PayerView:
    assert claim.claim_id is not None
    member = claim.subscriber.member_id if isinstance(claim, Claim) else claim.member_id or ""
    if isinstance(claim, Claim):
        decided = [c.adjudication for c in claim.other_coverages if c.adjudication is not None]
        others = tuple(c.payer.payer_id for c in claim.other_coverages)
        prior_paid = sum((a.paid for a in decided), Decimal(0))
        prior_patient = decided[-1].remaining_patient_liability if decided else None
    else:
        others, prior_paid = claim.other_payer_ids, claim.prior_paid or Decimal(0)
        prior_patient = claim.prior_patient_liability
    return PayerView(
        claim_id=claim.claim_id,
        member_id=member,
        prior_authorization=claim.prior_authorization,
        total_charge=claim.total_charge,
        principal_diagnosis=claim.diagnoses[0] if claim.diagnoses else "",
        lines=tuple(
            Line(ln.procedure_code, ln.charge, ln.units, ln.service_date_from) for ln in claim.lines
        ),
        responsibility=claim.responsibility,
        other_payer_ids=others,
        prior_paid=prior_paid,
        prior_patient=prior_patient,
    )


def control_number(claim_id: str) -> str:
    """The payer's claim control number: stable per claim, so a resubmission is recognised."""
    return "PCN" + hashlib.sha256(claim_id.encode()).hexdigest()[:12].upper()


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def claim_status(submitted: Claim | SubmittedClaim, *, submission: int) -> ClaimStatusReport:
    """The 277CA: A3 (rejected, never adjudicated) for an unknown member, else A2."""
    claim = view(submitted)
    ccn = control_number(claim.claim_id)
    unknown = claim.member_id.upper().startswith((UNKNOWN_MEMBER_PREFIX, REJECTED_MEMBER_PREFIX))
    return ClaimStatusReport(
        message_id=f"{ccn}-S{submission}-277",
        claim_id=claim.claim_id,
        category="A3" if unknown else "A2",
        status_codes=("A3:33",) if unknown else ("A2:20",),
        payer_claim_control_number=ccn,
    )


def _denial(claim: PayerView, ccn: str, tag: str, carc: str, rarc: str) -> Remittance:
    return Remittance(
        remittance_id=f"{ccn}-{tag}",
        claim_id=claim.claim_id,
        payer_claim_control_number=ccn,
        decision=Decision.DENIED,
        total_charge=claim.total_charge,
        paid_amount=Decimal("0.00"),
        adjustments=(
            Adjustment(group=GroupCode.CO, carc=carc, amount=claim.total_charge, rarcs=(rarc,)),
        ),
    )


def _patient_shares(claim: PayerView, allowed: Decimal) -> dict[str, Decimal]:
    """The patient's part of the allowed amount by CARC: 1 deductible, 2 coinsurance, 3 copay."""
    member = claim.member_id.upper()
    if member.startswith("COPAY"):
        visits = sum(1 for ln in claim.lines if ln.procedure_code in OFFICE_VISITS)
        return {"3": min(COPAY * visits, allowed)}
    deductible = min(DEDUCTIBLE, allowed) if member.startswith("HDHP") else Decimal(0)
    return {"1": deductible, "2": _money((allowed - deductible) * COINSURANCE)}


def adjudicate(
    submitted: Claim | SubmittedClaim, *, level: int = 0, submission: int = 1
) -> Remittance:
    """Decide the claim; ``level`` is 0 for a submission, n for appeal n of it."""
    claim = view(submitted)
    ccn = control_number(claim.claim_id)
    tag = f"S{submission}-L{level}"
    codes = {line.procedure_code for line in claim.lines}
    oldest = min((ln.service_date for ln in claim.lines if ln.service_date), default=None)
    if oldest is not None and (dt.date.today() - oldest).days > FILING_LIMIT_DAYS:
        return _denial(claim, ccn, tag, "29", "N211")
    if claim.responsibility in ("S", "T"):
        return as_secondary(claim, ccn, tag)
    if codes & NON_COVERED:
        return _denial(claim, ccn, tag, "96", "N130")
    if codes & NEEDS_AUTH and not claim.prior_authorization and level == 0:
        return _denial(claim, ccn, tag, "197", "N54")
    if any(code.endswith("99") for code in codes) and level == 0:
        return _denial(claim, ccn, tag, "16", "M51")
    screening = claim.principal_diagnosis[:3] in {f"Z{n:02d}" for n in range(14)}
    if screening and not codes <= PREVENTIVE and level < 2:
        return _denial(claim, ccn, tag, "50", "N115")
    bundle = len(claim.lines) > 1 and level == 0
    bundled = sum((ln.charge for ln in claim.lines if bundle and ln.procedure_code in BUNDLED),
                  Decimal(0))  # fmt: skip
    allowed = _allowed(ln for ln in claim.lines if not (bundle and ln.procedure_code in BUNDLED))
    shares = _patient_shares(claim, allowed)
    patient = sum(shares.values(), Decimal(0))
    contractual = claim.total_charge - allowed - bundled
    adjustments = [
        Adjustment(group=GroupCode.PR, carc=carc, amount=amount)
        for carc, amount in shares.items()
        if amount
    ]
    if bundled:
        adjustments.insert(0, Adjustment(group=GroupCode.CO, carc="97", amount=bundled))
    if contractual:
        adjustments.insert(0, Adjustment(group=GroupCode.CO, carc="45", amount=contractual))
    crossover = next((p for p in claim.other_payer_ids if p.upper().startswith(CROSSOVER)), None)
    return Remittance(
        remittance_id=f"{ccn}-{tag}",
        claim_id=claim.claim_id,
        payer_claim_control_number=ccn,
        decision=Decision.PARTIALLY_PAID if bundled else Decision.PAID,
        total_charge=claim.total_charge,
        paid_amount=allowed - patient,
        patient_responsibility=patient,
        adjustments=tuple(adjustments),
        status_code="19" if crossover and patient else None,
        crossover_payer_id=crossover if patient else None,
        crossover_payer_name="Crossover Supplemental Plan" if crossover and patient else None,
    )


def _allowed(lines: Iterable[Line]) -> Decimal:
    total = Decimal(0)
    for line in lines:
        fee = FEE_SCHEDULE.get(line.procedure_code)
        line_allowed = fee * line.units if fee is not None else line.charge * UNLISTED_ALLOWED_RATIO
        total += min(_money(line_allowed), line.charge)
    return total


def _secondary_remittance(
    claim: PayerView,
    ccn: str,
    tag: str,
    remaining: Decimal,
    pays: Decimal,
    patient_carc: str,
    status_code: str,
) -> Remittance:
    patient = remaining - pays
    adjustments = [Adjustment(group=GroupCode.OA, carc="23", amount=claim.total_charge - remaining)]
    if patient:
        adjustments.append(Adjustment(group=GroupCode.PR, carc=patient_carc, amount=patient))
    return Remittance(
        remittance_id=f"{ccn}-{tag}",
        claim_id=claim.claim_id,
        payer_claim_control_number=ccn,
        decision=Decision.PAID,
        total_charge=claim.total_charge,
        paid_amount=pays,
        patient_responsibility=patient,
        adjustments=tuple(a for a in adjustments if a.amount),
        status_code=status_code,
    )


def as_secondary(claim: PayerView, ccn: str, tag: str) -> Remittance:
    """The secondary (or tertiary) payer's rule: what the payers before left the patient,
    up to this payer's own allowed amount less what they paid; a COPAY member keeps the copay."""
    remaining = claim.prior_patient
    if remaining is None:
        remaining = max(claim.total_charge - claim.prior_paid, Decimal(0))
    keep = Decimal(0)
    if claim.member_id.upper().startswith("COPAY"):
        visits = sum(1 for ln in claim.lines if ln.procedure_code in OFFICE_VISITS)
        keep = min(COPAY * visits, remaining)
    benefit = max(_allowed(claim.lines) - claim.prior_paid, Decimal(0))
    pays = max(min(remaining - keep, benefit), Decimal(0))
    return _secondary_remittance(
        claim, ccn, tag, remaining, pays, "3" if keep else "2",
        "3" if claim.responsibility == "T" else "2",
    )  # fmt: skip


def crossover_decision(submitted: Claim | SubmittedClaim, primary: Remittance) -> Remittance:
    """The crossover payer's own 835 on the claim forwarded to it: it pays the patient's share
    the primary left (a supplemental plan), CLP02 2, on the primary's claim number."""
    claim = view(submitted)
    ccn = "X" + control_number(claim.claim_id)
    remaining = primary.patient_responsibility
    return _secondary_remittance(claim, ccn, "XO", remaining, remaining, "2", "2")


def reversal_of(earlier: Remittance) -> Remittance:
    """CLP02 22: the earlier decision taken back, every amount negated (a payer reverses a
    payment before it sends the corrected one)."""
    return earlier.model_copy(
        update={
            "remittance_id": f"{earlier.remittance_id}-REV",
            "decision": Decision.REVERSAL,
            "status_code": "22",
            "total_charge": -earlier.total_charge,
            "paid_amount": -earlier.paid_amount,
            "patient_responsibility": -earlier.patient_responsibility,
            "adjustments": tuple(
                a.model_copy(update={"amount": -a.amount}) for a in earlier.adjustments
            ),
        }
    )
