"""The eligibility check before a claim goes to the payer (a 270 out, a 271 back).

Runs in SCRUBBED, before the submission: the first time, again after a correction of what
it was about (member, payer, patient, date of service), and before a resubmission when the
last answer is older than ``eligibility_recheck_after_days``. The course it sets comes from
``claims.eligibility_gate.verdict``: no coverage holds the claim in ELIGIBILITY_HOLD for a
biller; anything else lets it go on (with a warning and an alert when nobody answered).
The answer is kept on the claim, free of the member's identity, as ``eligibility`` in the
events and the claim view: coverage, the plan's cost sharing and the expected patient share.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.eligibility import EligibilityActivities, EligibilityInput
    from claims.eligibility import EligibilityResult, EligibilityStatus
    from claims.eligibility_gate import STAGE, coverage_key, late_answer, needs_check, verdict
    from claims.findings import Finding, report
    from claims.model import Claim
    from claims.payer_messages import EligibilityAnswer
    from claims.status import ClaimStatus
    from events.contract import AlertKind, EligibilityData, PatientShareData
    from workflows.messages import EligibilityCheckRequest
    from workflows.options import ELIGIBILITY_OPTIONS

from workflows.claim_core import STEP_FAILED, ClaimCore

S = ClaimStatus
# Without this marker (histories recorded before it) a claim goes out unchecked, as before.
ELIGIBILITY_V1 = "eligibility-v1"
# Without this marker a 271 asked for by file (``pending``) is not waited for: the claim
# goes on at once with an ELIGIBILITY_PENDING warning, as before.
ELIGIBILITY_FILE_271 = "eligibility-file-271"
# Without this marker a 271 that comes back after the bound (the claim went on unchecked)
# changes nothing, as before; with it the claim keeps a note, and an alert goes out when the
# 271 says there is no coverage.
ELIGIBILITY_LATE_271 = "eligibility-late-271"
# The wait for a 271 file when the activity did not say (it always does since the marker).
_DEFAULT_FILE_BOUND = dt.timedelta(seconds=15)
# Answers that settle the question for this claim until it changes or grows old; the rest
# (timeout, error, pending) are asked again before the next submission.
_ANSWERED = frozenset(
    {EligibilityStatus.ACTIVE, EligibilityStatus.INACTIVE, EligibilityStatus.NOT_FOUND}
)


def eligibility_data(result: EligibilityResult, claim: Claim, at: dt.datetime) -> EligibilityData:
    """The answer as events carry it: coverage, cost sharing and the claim's expected
    patient share (only for active coverage: without it the share is the whole charge)."""
    share = None
    summary = None
    if result.status is EligibilityStatus.ACTIVE:
        summary = result.summary()
        expected = result.expected_patient_share(claim.total_charge)
        share = PatientShareData(
            amount=expected.amount,
            total=expected.total,
            copay=expected.copay,
            deductible=expected.deductible,
            coinsurance=expected.coinsurance,
            known=expected.known,
        )
    return EligibilityData(
        status=result.status.value,
        checked_at=at,
        date_of_service=claim.first_service_date,
        trace_number=result.trace_number,
        plan_name=result.plan_name,
        coverage_end=result.coverage_end,
        copay=summary.copay if summary else None,
        coinsurance_percent=summary.coinsurance_percent if summary else None,
        deductible_remaining=summary.deductible_remaining if summary else None,
        out_of_pocket_remaining=summary.out_of_pocket_remaining if summary else None,
        expected_patient_share=share,
        reasons=None if result.status is EligibilityStatus.ACTIVE else result.reason_text(),
    )


class EligibilityGate(ClaimCore):
    # workflow.patched(ELIGIBILITY_V1), decided once at the start of the run.
    _eligibility_v1: bool
    _recheck_after: dt.timedelta
    # 271s that came back as files, by the trace number of the 270 they answer.
    _eligibility_answers: dict[str, EligibilityResult]

    async def _check_eligibility(self) -> tuple[tuple[Finding, ...], tuple[str, ...]] | None:
        """SCRUBBED, before the submission. None: do not submit (the claim is held, or a
        person moved it meanwhile). Otherwise the findings and stages the SUBMITTED event
        carries (empty when no check was due)."""
        st = self._state
        if not self._eligibility_v1 or not needs_check(
            self._claim,
            last_key=st.eligibility_key,
            last_at=st.eligibility_at,
            now=workflow.now(),
            recheck_after=self._recheck_after,
        ):
            return (), ()
        claim = self._claim
        trace = self._claim_id if st.eligibility is None else f"{self._claim_id}-{st.seq}"
        result = await self._ask_payer(claim, trace)
        if result.status is EligibilityStatus.PENDING and workflow.patched(ELIGIBILITY_FILE_271):
            result = await self._await_271(claim, trace, result)
        course = verdict(result)
        async with self._lock:
            if st.status is not S.SCRUBBED or self._claim is not claim:
                return None  # written off, or replaced, while the payer was asked
            now = workflow.now()
            st.eligibility = eligibility_data(result, claim, now)
            answered = result.status in _ANSWERED
            st.eligibility_at = now if answered else None
            st.eligibility_key = coverage_key(claim) if answered else None
            st.reports[STAGE] = report(STAGE, list(course.findings))
            if course.alert is not None:
                await self._alert(AlertKind.ELIGIBILITY_UNANSWERED, course.alert)
            if course.hold:
                await self._enter(
                    S.ELIGIBILITY_HOLD,
                    findings=course.findings,
                    stages=(STAGE,),
                    reason=f"eligibility: {result.status.value}",
                )
                return None
        return course.findings, (STAGE,)

    def _held_resubmission(self, corrected: Claim) -> Claim:
        """A replacement held for eligibility stays a replacement when a biller corrects its
        member or payer: the payer has the claim, so frequency 7 and REF*F8 go with it."""
        held = self._claim
        if self._state.status is not S.ELIGIBILITY_HOLD or held.frequency_code != "7":
            return corrected
        if corrected.frequency_code != "1":
            return corrected  # the biller chose the frequency
        return corrected.model_copy(
            update={
                "frequency_code": "7",
                "payer_claim_control_number": corrected.payer_claim_control_number
                or held.payer_claim_control_number,
            }
        )

    async def _ask_payer(self, claim: Claim, trace: str) -> EligibilityResult:
        """The activity's answer; a worker lost past its retries is an unanswered check."""
        try:
            # A local activity under LOCAL_STEPS, like the other short steps: the activity
            # bounds itself (settings.eligibility_timeout_seconds).
            result: EligibilityResult = await self._step(
                EligibilityActivities.check_eligibility,
                EligibilityInput(claim=claim, trace_number=trace),
                ELIGIBILITY_OPTIONS,
            )
        except STEP_FAILED as exc:
            result = EligibilityResult(
                status=EligibilityStatus.TIMEOUT,
                trace_number=trace,
                claim_id=self._claim_id,
                payer_id=claim.payer.payer_id,
                message=f"the eligibility check failed: {exc.cause or exc}",
            )
        return result

    async def _await_271(
        self, claim: Claim, trace: str, pending: EligibilityResult
    ) -> EligibilityResult:
        """The file exchange: wait for the 271 (``eligibility_answer``) within the bound the
        activity gave (``eligibility_timeout_seconds``). Silence past it is an unanswered
        check, exactly as when a payer does not answer over HTTP. A person who moves the
        claim meanwhile (write-off, correction) ends the wait."""
        seconds = pending.answer_within_seconds
        bound = dt.timedelta(seconds=seconds) if seconds else _DEFAULT_FILE_BOUND
        answers = self._eligibility_answers
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: (
                    trace in answers
                    or self._state.status is not S.SCRUBBED
                    or self._claim is not claim
                ),
                timeout=bound,
            )
        answer = answers.get(trace)
        if answer is None:
            return pending.model_copy(
                update={
                    "status": EligibilityStatus.TIMEOUT,
                    "claim_id": self._claim_id,
                    "answer_within_seconds": None,
                    "message": f"the payer's 271 to {pending.reference or 'the 270'} did not "
                    f"come back within {bound.total_seconds():g} s",
                }
            )
        return answer.model_copy(
            update={"trace_number": trace, "claim_id": self._claim_id,
                    "reference": pending.reference}
        )  # fmt: skip

    @workflow.signal
    async def eligibility_answer(self, answer: EligibilityAnswer) -> None:
        """A 271 that came back as a file, delivered by posting (the inbox, or
        ``POST /x12/inbound``) by the trace number of the 270 it answers. The first answer
        to a question stands. One that answers the check the claim went on without (past the
        bound) does not vanish: it is noted on the claim, and one that says there is no
        coverage raises an alert (``eligibility-late-271``)."""
        if answer.claim_id != self._claim_id:
            return
        trace = answer.trace_number
        if self._answered_late(trace) and workflow.patched(ELIGIBILITY_LATE_271):
            self._eligibility_answers[trace] = answer.result
            late = late_answer(answer.result, trace, "the claim went on unchecked")
            self._state.late_messages.append(late.note)
            if late.alert is not None:
                await self._alert(AlertKind.ELIGIBILITY_LATE_NO_COVERAGE, late.alert)
            return
        self._eligibility_answers.setdefault(trace, answer.result)

    def _answered_late(self, trace: str) -> bool:
        """This 271 answers the check that stands for the claim, which nobody answered in
        time, and it is the first answer to it."""
        last = self._state.eligibility
        return (
            last is not None
            and last.status == EligibilityStatus.TIMEOUT.value
            and last.trace_number == trace
            and trace not in self._eligibility_answers
            and not any(f"check {trace}," in m for m in self._state.late_messages)
            and self._state.status is not None
        )

    @workflow.update
    async def check_eligibility(self, request: EligibilityCheckRequest) -> EligibilityResult:
        """Ask the payer now, for the claim as it stands; the answer is returned, not kept
        (the check before submission is the one the claim's course depends on)."""
        return await self._ask_payer(self._claim, f"{self._claim_id}-Q{self._state.seq}")
