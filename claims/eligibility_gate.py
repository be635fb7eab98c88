"""What the claim does with a 271 before it goes to the payer.

Eligibility is a safeguard, not a gate that can hang a claim. So only an answer that says
there is no coverage (inactive, or the member unknown to the payer) holds the claim for a
biller, with a finding that quotes the payer's reason. Every other outcome lets it go on:
active coverage quietly (its benefits kept as the expected patient share), a payer that did
not or could not answer with a warning (and an alert), a check asked by file (its 271 comes
later) with a warning.

A claim is checked before its first submission, and again before a resubmission when the
last check is older than the setting, or when what the check was about changed (a biller
corrected the member id, the payer, the patient or the date of service).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from claims.eligibility import EligibilityResult, EligibilityStatus
from claims.findings import Finding, error, warning
from claims.model import Claim

ST = EligibilityStatus
STAGE = "eligibility"

# Outcomes that hold the claim for a biller: the payer says there is nothing to bill.
HOLDING = frozenset({ST.INACTIVE, ST.NOT_FOUND})
# Outcomes where nobody answered the question: worth an alert, never a hold.
UNANSWERED = frozenset({ST.TIMEOUT, ST.ERROR})


def coverage_key(claim: Claim) -> str:
    """A digest of what an eligibility check is about: payer, member, patient, date.

    Kept in the workflow instead of the values themselves, so the state says "checked for
    this" without repeating the member's identity.
    """
    sub = claim.subscriber
    pat = claim.patient
    parts = [
        claim.payer.payer_id,
        sub.member_id,
        sub.last_name,
        sub.first_name or "",
        pat.last_name if pat else "",
        pat.first_name if pat else "",
        str(pat.date_of_birth if pat else sub.date_of_birth),
        claim.first_service_date.isoformat(),
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def needs_check(
    claim: Claim,
    *,
    last_key: str | None,
    last_at: dt.datetime | None,
    now: dt.datetime,
    recheck_after: dt.timedelta,
) -> bool:
    """True before the first submission, after a change of what was checked, and when the
    last check is older than ``recheck_after`` (a resubmission weeks later)."""
    if last_key is None or last_at is None:
        return True
    if last_key != coverage_key(claim):
        return True
    return now - last_at > recheck_after


@dataclass(frozen=True)
class Verdict:
    """What the claim does: hold it (with findings), and whether to alert someone."""

    hold: bool
    findings: tuple[Finding, ...]
    alert: str | None = None


def verdict(result: EligibilityResult) -> Verdict:
    """The claim's course for one eligibility answer."""
    field = "subscriber.member_id"
    if result.status is ST.ACTIVE:
        return Verdict(hold=False, findings=())
    if result.status is ST.INACTIVE:
        text = result.reason_text()
        return Verdict(
            hold=True,
            findings=(
                error(
                    "ELIGIBILITY_INACTIVE",
                    field,
                    f"{text}. Correct the member id or payer if the patient has other "
                    "coverage, or write the claim off to bill the patient.",
                ),
            ),
        )
    if result.status is ST.NOT_FOUND:
        text = result.reason_text()
        return Verdict(
            hold=True,
            findings=(
                error(
                    "ELIGIBILITY_NOT_FOUND",
                    field,
                    f"the payer does not know the member: {text}. Correct the member id, "
                    "the patient's name or birth date, or the payer.",
                ),
            ),
        )
    if result.status is ST.PENDING:
        return Verdict(
            hold=False,
            findings=(
                warning(
                    "ELIGIBILITY_PENDING",
                    "payer",
                    f"eligibility asked, the answer comes later: {result.message or ''}".strip(),
                ),
            ),
        )
    # TIMEOUT or ERROR (and any outcome a later version adds): nobody answered the question.
    what = "did not answer" if result.status is ST.TIMEOUT else "could not answer"
    text = result.reason_text()
    message = f"the payer {what} the eligibility check; the claim goes out unchecked: {text}"
    return Verdict(
        hold=False,
        findings=(warning("ELIGIBILITY_UNANSWERED", "payer", message),),
        alert=message,
    )


@dataclass(frozen=True)
class LateAnswer:
    """A 271 that came back after the bound, when the claim had already gone on unchecked:
    a note kept on the claim, and an alert when it says there is no coverage (the claim is
    with a payer that will likely deny it: a biller should look)."""

    note: str
    alert: str | None = None


def late_answer(result: EligibilityResult, trace_number: str, bound_passed: str) -> LateAnswer:
    """What a late 271 leaves on the claim; ``bound_passed`` says what happened meanwhile."""
    status = result.status
    text = result.reason_text()
    if status is ST.ACTIVE:
        summary = result.summary()
        figures = [
            f"{what} {value}"
            for what, value in (
                ("copay", summary.copay),
                ("coinsurance %", summary.coinsurance_percent),
                ("deductible remaining", summary.deductible_remaining),
                ("out-of-pocket remaining", summary.out_of_pocket_remaining),
            )
            if value is not None
        ]
        detail = f" ({', '.join(figures)})" if figures else ""
        note = f"coverage active{detail}"
    elif status in HOLDING:
        note = f"no coverage ({status.value}): {text}"
    else:
        note = f"{status.value}: {text}"
    message = f"late 271 to the eligibility check {trace_number}, after {bound_passed}: {note}"
    if status not in HOLDING:
        return LateAnswer(note=message)
    return LateAnswer(
        note=message,
        alert=f"{message}. The claim went to the payer unchecked: check the member id and "
        "payer, and correct or replace the claim, or bill the patient.",
    )
