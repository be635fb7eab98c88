"""ClaimWorkflow: one durable workflow per claim, from receipt to a terminal status.

The run is a loop over the claim's status: each status has one step that does its work or
waits for what moves it on (a payer message, a person, a deadline). Every status change
goes through ``_enter`` (``claim_core.py``), which checks the move against the transition
table in ``claims.status``, publishes the event from an activity and waits for the broker's
acknowledgment before the status changes. So the event stream and the workflow's state can
never disagree about order, and a crash between the two replays into the same publish.

The class is assembled from parts, one concern each: this module is the loop and the
query; payer messages (signals) are in ``claim_payer.py``; human actions (updates with
validators) in ``claim_actions.py``; the shared state and transitions in ``claim_core.py``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.payer import (
        PAYER_REFUSED,
        PayerActivities,
        StatusInquiry,
        SubmissionReceipt,
        SubmitInput,
    )
    from activities.stages import CHECK_FAILED, CodingInput, ScrubInput, StageActivities
    from claims import ledger
    from claims.findings import Report, error, report
    from claims.model import Claim
    from claims.status import TERMINAL, ClaimStatus
    from events.contract import Actor, AlertKind
    from workflows.messages import (
        ClaimOutcome,
        ClaimState,
        ClaimView,
        ClaimWorkflowInput,
    )
    from workflows.options import CHECK_OPTIONS, SUBMIT_OPTIONS

from workflows.claim_actions import HumanActions
from workflows.claim_cob import COB_V1
from workflows.claim_core import (
    LEDGER_V1,
    LIFECYCLE_V2,
    LIFECYCLE_V3,
    LOCAL_STEPS,
    STEP_FAILED,
    refusal,
)
from workflows.claim_eligibility import ELIGIBILITY_V1, EligibilityGate
from workflows.claim_payer import PayerMessageHandling

S = ClaimStatus

# Appeal-deadline reminders, in days before the deadline.
REMINDER_DAYS: tuple[int, ...] = (30, 7, 1)


@workflow.defn
class ClaimWorkflow(HumanActions, PayerMessageHandling, EligibilityGate):
    @workflow.init
    def __init__(self, inp: ClaimWorkflowInput) -> None:
        if inp.claim.claim_id is None:
            raise ApplicationError("claim_id is required to start a claim workflow")
        self._claim_id = inp.claim.claim_id
        self._state = inp.state or ClaimState(claim=inp.claim)
        self._use_search_attributes = inp.search_attributes
        self._history_limit = inp.history_limit
        self._lock = asyncio.Lock()
        self._in_flight = None
        self._v2 = False
        self._books = False
        self._v3 = False
        self._cob = False
        if inp.state is None:
            self._state.primary_claim_id = inp.primary_claim_id
        self._local = False
        self._stall_after = dt.timedelta(seconds=inp.stall_alert_after_seconds)
        self._eligibility_v1 = False
        self._recheck_after = dt.timedelta(days=inp.eligibility_recheck_after_days)
        self._eligibility_answers = {}
        self._steps: dict[ClaimStatus, Callable[[], Awaitable[None]]] = {
            S.RECEIVED: self._code,
            S.CODING_REVIEW: self._await_correction,
            S.CODED: self._scrub,
            S.SCRUB_FAILED: self._await_correction,
            S.REJECTED: self._await_correction,
            S.SCRUBBED: self._submit,
            S.ELIGIBILITY_HOLD: self._await_correction,
            S.SUBMITTED: self._await_payer,
            S.ACCEPTED: self._await_payer,
            S.APPEALED: self._await_payer,
            S.ADJUDICATED: self._await_payer,
            S.PAID: self._settle,
            S.PARTIALLY_PAID: self._await_appeal,
            S.DENIED: self._await_appeal,
        }

    # ----------------------------------------------------------------- the lifecycle

    @workflow.run
    async def run(self, inp: ClaimWorkflowInput) -> ClaimOutcome:
        self._v2 = workflow.patched(LIFECYCLE_V2)
        self._v3 = workflow.patched(LIFECYCLE_V3)
        self._books = workflow.patched(LEDGER_V1)
        self._cob = workflow.patched(COB_V1)
        self._eligibility_v1 = workflow.patched(ELIGIBILITY_V1)
        self._local = workflow.patched(LOCAL_STEPS) and not inp.remote_steps
        if self._state.status is None:
            intake = inp.intake_findings
            self._state.reports["intake"] = Report(stage="intake", findings=intake)
            await self._enter(
                S.RECEIVED,
                findings=intake,
                stages=("intake",) if intake else (),
                actor=inp.actor,
            )
        while not self._finished():
            status = self._state.status
            assert status is not None
            await self._steps[status]()
            if self._v2 and self._should_continue_as_new():
                await workflow.wait_condition(
                    lambda: workflow.all_handlers_finished() and self._in_flight is None
                )
                workflow.continue_as_new(
                    ClaimWorkflowInput(
                        claim=self._claim,
                        search_attributes=self._use_search_attributes,
                        state=self._state,
                        history_limit=self._history_limit,
                        stall_alert_after_seconds=int(self._stall_after.total_seconds()),
                        eligibility_recheck_after_days=self._recheck_after.days,
                        remote_steps=inp.remote_steps,
                    )
                )
        if self._cob and self._state.status not in (S.CLOSED,):
            # A secondary claim that ends without its payer's payment standing (written off,
            # voided): its primary stops waiting for it.
            await self._tell_primary(None)
        # Let an update that is still answering its caller finish before the run ends.
        await workflow.wait_condition(workflow.all_handlers_finished)
        status = self._state.status
        assert status is not None
        return ClaimOutcome(claim_id=self._claim_id, status=status, seq=self._state.seq)

    def _finished(self) -> bool:
        if self._state.status in TERMINAL:
            return True
        # Before LIFECYCLE_V2 a paid claim was done; now it waits out reversals first.
        return not self._v2 and self._state.status is S.PAID

    def _should_continue_as_new(self) -> bool:
        if self._state.status in TERMINAL:
            return False
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= self._history_limit
        )

    async def _code(self, actor: Actor | None = None) -> None:
        """RECEIVED (or a correction): check the codes. ``actor``: who sent the correction."""
        try:
            coding: Report = await self._step(
                StageActivities.check_coding, CodingInput(claim=self._claim), CHECK_OPTIONS
            )
        except STEP_FAILED as exc:
            crashed = refusal(exc, CHECK_FAILED) if self._v3 else None
            if crashed is None:
                raise
            coding = report("coding", [error("CHECK_FAILED", "claim", crashed)])
        self._state.reports["coding"] = coding
        target = S.CODED if coding.ok else S.CODING_REVIEW
        await self._enter(target, findings=coding.findings, stages=("coding",), actor=actor)

    async def _scrub(self) -> None:
        try:
            scrub = await self._call(
                "scrubbing (the duplicate index)",
                lambda: self._step(
                    StageActivities.scrub_claim,
                    ScrubInput(claim=self._claim, as_of=workflow.now().date()),
                    CHECK_OPTIONS,
                ),
            )
        except STEP_FAILED as exc:
            crashed = refusal(exc, CHECK_FAILED) if self._v3 else None
            if crashed is None:
                raise
            scrub = report("scrub", [error("CHECK_FAILED", "claim", crashed)])
        assert scrub is not None
        self._state.reports["scrub"] = scrub
        target = S.SCRUBBED if scrub.ok else S.SCRUB_FAILED
        await self._enter(target, findings=scrub.findings, stages=("scrub",))

    async def _await_correction(self) -> None:
        """CODING_REVIEW, SCRUB_FAILED, REJECTED, ELIGIBILITY_HOLD: wait for a fix (or a
        write-off)."""
        seq = self._state.seq
        await workflow.wait_condition(
            lambda: self._state.correction is not None or self._state.seq != seq
        )
        correction = self._state.correction
        if correction is None:
            return
        self._state.claim = self._held_resubmission(correction.claim)
        if not self._v3:
            self._state.correction = None
            await self._code(correction.actor)
            return
        # Held until the claim has left this status: while the coding activity runs the
        # status is unchanged, and a second correction must not pass as if none were pending.
        try:
            await self._code(correction.actor)
        finally:
            self._state.correction = None

    async def _submit(self) -> None:
        """SCRUBBED: send the claim. An outage is retried (and alerted on past the stall
        bound); a refusal (the claim cannot be carried, or the payer's front door says no)
        is the claim's fault: SCRUB_FAILED with the refusal as a finding, for a biller.
        When due, the patient's coverage is checked first (``claim_eligibility``)."""
        checked = await self._check_eligibility()
        if checked is None:
            return
        findings, stages = checked
        try:
            receipt: SubmissionReceipt | None = await self._call(
                "submission to the payer",
                lambda: self._step(
                    PayerActivities.submit_claim, SubmitInput(claim=self._claim), SUBMIT_OPTIONS
                ),
                wanted=lambda: self._state.status is S.SCRUBBED,
            )
        except STEP_FAILED as exc:
            refused = refusal(exc, PAYER_REFUSED) if self._v3 else None
            if refused is None:
                raise
            async with self._lock:
                if self._state.status is S.SCRUBBED:
                    finding = error("SUBMIT_REFUSED", "claim", refused)
                    self._state.reports["submission"] = report("submission", [finding])
                    # Named, so the claim view (folded from events) files the refusal
                    # under "submission", not as a scrub finding.
                    await self._enter(
                        S.SCRUB_FAILED,
                        findings=(finding,),
                        stages=("submission",),
                        reason="submission refused",
                    )
            return
        async with self._lock:
            if receipt is None or self._state.status is not S.SCRUBBED:
                return
            self._state.payer_ccn = receipt.payer_claim_control_number
            await self._enter(S.SUBMITTED, findings=findings, stages=stages)

    async def _await_payer(self) -> None:
        """Wait for the payer; each silent follow-up interval raises an alert and an inquiry."""
        seq = self._state.seq
        if self._v2 and self._state.follow_up_due is None:
            self._state.follow_up_due = self._follow_up_from(workflow.now())
        while True:
            if await self._wait_for(lambda: self._moved(seq), self._state.follow_up_due):
                break
            await self._follow_up()
        if self._state.seq == seq and self._state.pending:
            await self._apply_next_message(seq)

    async def _settle(self) -> None:
        """PAID: a reversal may still come; after the settle period the claim is CLOSED."""
        seq = self._state.seq
        if self._cob and self._state.awaiting_later_payer:
            # Not closed while a later payer (secondary, crossover) has still to decide.
            await workflow.wait_condition(
                lambda: self._moved(seq) or not self._state.awaiting_later_payer
            )
            if self._state.seq == seq and self._state.pending:
                await self._apply_next_message(seq)
            return
        decided = self._state.decided_at or workflow.now()
        closes = decided + dt.timedelta(days=self._claim.payer.settle_days)
        if not await self._wait_for(lambda: self._moved(seq), closes):
            async with self._lock:
                if self._state.seq == seq:
                    await self._enter(S.CLOSED, reason="settled")
            return
        if self._state.seq == seq and self._state.pending:
            await self._apply_next_message(seq)

    async def _await_appeal(self) -> None:
        """DENIED or PARTIALLY_PAID: remind before the appeal deadline, write off after it."""
        seq = self._state.seq
        deadline = self._state.appeal_deadline
        assert deadline is not None
        if self._v2:
            for days in REMINDER_DAYS:
                remind_at = deadline - dt.timedelta(days=days)
                if remind_at <= workflow.now():
                    continue
                if await self._wait_for(lambda: self._moved(seq), remind_at):
                    break
                await self._alert(
                    AlertKind.APPEAL_DEADLINE,
                    f"appeal deadline in {days} day(s); the claim is written off after it",
                    due=deadline,
                    days_left=days,
                )
        if not self._moved(seq) and not await self._wait_for(lambda: self._moved(seq), deadline):
            # An appeal accepted by its validator just before the deadline may still be
            # talking to the payer: its outcome decides, not the timer.
            await workflow.wait_condition(lambda: self._in_flight is None)
            exhausted = self._v2 and self._state.appeal_level >= self._claim.payer.max_appeal_level
            async with self._lock:
                if self._state.seq == seq:
                    reason = "appeals_exhausted" if exhausted else "appeal_window_expired"
                    self._book(ledger.write_off_entries(self._pending_ledger(), at=workflow.now()))
                    await self._enter(S.WRITTEN_OFF, reason=reason)
            return
        if self._state.seq == seq and self._state.pending:
            await self._apply_next_message(seq)

    async def _follow_up(self) -> None:
        due = self._state.follow_up_due
        await self._alert(
            AlertKind.FOLLOW_UP_DUE,
            f"no word from {self._claim.payer.name} for {self._claim.payer.follow_up_days} "
            f"days while {self._state.status}; status inquiry sent",
            due=due,
        )
        seq = self._state.seq
        inquiry = StatusInquiry(
            claim_id=self._claim_id, payer_claim_control_number=self._state.payer_ccn
        )
        await self._call(
            "a status inquiry to the payer",
            lambda: workflow.start_activity_method(
                PayerActivities.inquire_status, inquiry, **SUBMIT_OPTIONS
            ),
            wanted=lambda: not self._moved(seq),  # the payer spoke meanwhile: no need to ask
        )
        self._state.follow_up_due = self._follow_up_from(workflow.now())

    # ----------------------------------------------------------------- queries

    @workflow.query
    def current_claim(self) -> Claim:
        """The claim as it stands now (with PHI): what a code editor starts from.

        A corrected claim must be whole, and no event carries the parts that are not codes;
        only the API asks this, and keeps the answer in memory.
        """
        return self._claim

    @workflow.query
    def state(self) -> ClaimView:
        """The claim view: the same fold over the claim's events as the read model's."""
        return self._view()
