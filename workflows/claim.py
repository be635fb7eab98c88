"""ClaimWorkflow: one durable workflow per claim, from receipt to a terminal status.

Every status change goes through ``_enter``, which checks the move against the transition
table in ``claims.status``, publishes the event from an activity and waits for the broker's
acknowledgment before the status changes. So the event stream and the workflow's state can
never disagree about order, and a crash between the two replays into the same publish.

Human actions are updates with validators (refused before anything is recorded); payer
messages are signals; the current state is a query.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.payer import AppealPacket, PayerActivities, SubmissionReceipt, SubmitInput
    from activities.publishing import PublishActivities, PublishInput
    from activities.stages import CodingInput, ScrubInput, StageActivities
    from claims.findings import Finding, Report
    from claims.model import Claim
    from claims.remittance import Decision, Remittance
    from claims.status import ClaimStatus, check_transition
    from events.contract import AdjustmentData, ClaimEventData, FindingData, make_event
    from workflows.messages import (
        AppealAccepted,
        AppealRequest,
        ClaimOutcome,
        ClaimView,
        ClaimWorkflowInput,
        CorrectionAccepted,
        CorrectionRequest,
        StageEntry,
    )

S = ClaimStatus

CLAIM_STATUS = SearchAttributeKey.for_keyword("ClaimStatus")
PAYER_ID = SearchAttributeKey.for_keyword("PayerId")
APPEAL_DEADLINE = SearchAttributeKey.for_datetime("AppealDeadline")
OUTSTANDING = SearchAttributeKey.for_float("OutstandingAmount")

# Pure checks: quick, and a failure is a bug or an outage, never the claim's fault.
CHECK_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": dt.timedelta(seconds=30),
    "retry_policy": RetryPolicy(maximum_interval=dt.timedelta(seconds=30)),
}
# Publishing must eventually succeed: the claim does not move until its event is out.
PUBLISH_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": dt.timedelta(seconds=30),
    "retry_policy": RetryPolicy(
        initial_interval=dt.timedelta(milliseconds=200),
        maximum_interval=dt.timedelta(seconds=10),
    ),
}
# A first submission may wait out a payer outage; a refusal is final.
SUBMIT_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": dt.timedelta(seconds=30),
    "retry_policy": RetryPolicy(
        maximum_interval=dt.timedelta(minutes=1), non_retryable_error_types=["PayerRefused"]
    ),
}
# An appeal runs inside a biller's update call, so it gives up soon enough to tell them.
APPEAL_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": dt.timedelta(seconds=15),
    "schedule_to_close_timeout": dt.timedelta(minutes=2),
    "retry_policy": RetryPolicy(
        maximum_interval=dt.timedelta(seconds=10), non_retryable_error_types=["PayerRefused"]
    ),
}

MAX_APPEAL_LEVEL = 2


@workflow.defn
class ClaimWorkflow:
    @workflow.init
    def __init__(self, inp: ClaimWorkflowInput) -> None:
        if inp.claim.claim_id is None:
            raise ApplicationError("claim_id is required to start a claim workflow")
        self._claim: Claim = inp.claim
        self._claim_id: str = inp.claim.claim_id
        self._use_search_attributes = inp.search_attributes
        self._status: ClaimStatus | None = None
        self._seq = 0
        self._history: list[StageEntry] = []
        self._reports: dict[str, Report] = {}
        self._pending: list[Remittance] = []
        self._seen_remittances: set[str] = set()
        self._adjudication: Remittance | None = None
        self._payer_ccn: str | None = None
        self._appeal_level = 0
        self._appeal_deadline: dt.datetime | None = None
        self._correction: CorrectionRequest | None = None
        # Held across an update's payer call and status change, so two appeals sent at
        # once cannot both pass the status check and both go out.
        self._lock = asyncio.Lock()
        self._appeal_in_flight = False

    # ----------------------------------------------------------------- the lifecycle

    @workflow.run
    async def run(self, inp: ClaimWorkflowInput) -> ClaimOutcome:
        await self._enter(S.RECEIVED)
        await self._code_and_scrub()
        receipt: SubmissionReceipt = await workflow.execute_activity_method(
            PayerActivities.submit_claim, SubmitInput(claim=self._claim), **SUBMIT_OPTIONS
        )
        self._payer_ccn = receipt.payer_claim_control_number
        await self._enter(S.SUBMITTED)
        await self._adjudicate_until_settled()
        # Let an update that is still answering its caller finish before the run ends.
        await workflow.wait_condition(workflow.all_handlers_finished)
        assert self._status is not None
        return ClaimOutcome(claim_id=self._claim_id, status=self._status, seq=self._seq)

    async def _code_and_scrub(self) -> None:
        """Loop until the claim codes and scrubs clean; each failure waits for a human fix."""
        while True:
            coding: Report = await workflow.execute_activity_method(
                StageActivities.check_coding, CodingInput(claim=self._claim), **CHECK_OPTIONS
            )
            self._reports["coding"] = coding
            if not coding.ok:
                await self._enter(S.CODING_REVIEW, findings=coding.findings)
                await self._await_correction()
                continue
            await self._enter(S.CODED)
            scrub: Report = await workflow.execute_activity_method(
                StageActivities.scrub_claim,
                ScrubInput(claim=self._claim, as_of=workflow.now().date()),
                **CHECK_OPTIONS,
            )
            self._reports["scrub"] = scrub
            if not scrub.ok:
                await self._enter(S.SCRUB_FAILED, findings=scrub.findings)
                await self._await_correction()
                continue
            await self._enter(S.SCRUBBED, findings=scrub.findings)
            return

    async def _await_correction(self) -> None:
        await workflow.wait_condition(lambda: self._correction is not None)
        assert self._correction is not None
        self._claim = self._correction.claim
        self._correction = None

    async def _adjudicate_until_settled(self) -> None:
        while True:
            await workflow.wait_condition(lambda: bool(self._pending))
            remittance = self._pending.pop(0)
            self._adjudication = remittance
            await self._enter(S.ADJUDICATED)
            if remittance.decision is Decision.PAID:
                await self._enter(S.PAID)
                return
            deadline = workflow.now() + dt.timedelta(days=self._claim.payer.appeal_window_days)
            self._appeal_deadline = deadline
            await self._enter(S.DENIED)
            if not await self._wait_for_appeal(deadline):
                await self._enter(S.WRITTEN_OFF, reason="appeal_window_expired")
                return

    async def _wait_for_appeal(self, deadline: dt.datetime) -> bool:
        """True once an appeal has gone out; False if the window closed without one."""
        try:
            await workflow.wait_condition(
                lambda: self._status is S.APPEALED, timeout=deadline - workflow.now()
            )
            return True
        except TimeoutError:
            # An appeal accepted by its validator just before the deadline may still be
            # talking to the payer: its outcome decides, not the timer.
            await workflow.wait_condition(lambda: not self._appeal_in_flight)
            return self._status is S.APPEALED

    # ----------------------------------------------------------------- transitions

    async def _enter(
        self,
        target: ClaimStatus,
        *,
        findings: tuple[Finding, ...] = (),
        reason: str | None = None,
    ) -> None:
        check_transition(self._status, target)
        seq = self._seq + 1
        now = workflow.now()
        event = make_event(time=now, data=self._event_data(target, seq, findings, reason))
        await workflow.execute_activity_method(
            PublishActivities.publish_event, PublishInput(event=event), **PUBLISH_OPTIONS
        )
        # Only now, with the event on every in-sync replica, does the state move.
        self._seq = seq
        self._status = target
        self._history.append(StageEntry(seq=seq, status=target, at=now, reason=reason))
        self._upsert_search_attributes()

    def _event_data(
        self,
        target: ClaimStatus,
        seq: int,
        findings: tuple[Finding, ...],
        reason: str | None,
    ) -> ClaimEventData:
        claim = self._claim
        rem = self._adjudication
        return ClaimEventData(
            claim_id=self._claim_id,
            seq=seq,
            status=target,
            previous_status=self._status,
            payer_id=claim.payer.payer_id,
            total_charge=claim.total_charge,
            paid_amount=rem.paid_amount if rem else None,
            patient_responsibility=rem.patient_responsibility if rem else None,
            diagnosis_codes=tuple(claim.diagnoses),
            procedure_codes=tuple(line.procedure_code for line in claim.lines),
            payer_claim_control_number=self._payer_ccn,
            adjustments=tuple(
                AdjustmentData(group=a.group, carc=a.carc, amount=a.amount, rarcs=a.rarcs)
                for a in (rem.adjustments if rem else ())
            ),
            findings=tuple(
                FindingData(
                    code=f.code,
                    severity=f.severity,
                    field=f.field,
                    message=f.message,
                    candidates=f.candidates,
                )
                for f in findings
            ),
            appeal_level=self._appeal_level,
            reason=reason,
        )

    def _outstanding(self) -> Decimal:
        paid = self._adjudication.paid_amount if self._adjudication else Decimal(0)
        if self._status in (S.PAID, S.WRITTEN_OFF):
            return Decimal(0)
        return self._claim.total_charge - paid

    def _upsert_search_attributes(self) -> None:
        if not self._use_search_attributes or self._status is None:
            return
        updates: list[SearchAttributeUpdate[Any]] = [
            CLAIM_STATUS.value_set(self._status.value),
            PAYER_ID.value_set(self._claim.payer.payer_id),
            OUTSTANDING.value_set(float(self._outstanding())),
        ]
        if self._status is S.DENIED and self._appeal_deadline is not None:
            updates.append(APPEAL_DEADLINE.value_set(self._appeal_deadline))
        else:
            updates.append(APPEAL_DEADLINE.value_unset())
        workflow.upsert_search_attributes(updates)

    # ----------------------------------------------------------------- payer messages

    @workflow.signal
    def remittance(self, remittance: Remittance) -> None:
        """A payer's decision. Delivered at least once: duplicates are dropped by id."""
        if remittance.claim_id != self._claim_id:
            workflow.logger.warning(
                "remittance %s is for claim %s, not this one; ignored",
                remittance.remittance_id,
                remittance.claim_id,
            )
            return
        if remittance.remittance_id in self._seen_remittances:
            return
        self._seen_remittances.add(remittance.remittance_id)
        self._pending.append(remittance)

    # ----------------------------------------------------------------- human actions

    @workflow.update
    async def appeal(self, request: AppealRequest) -> AppealAccepted:
        async with self._lock:
            # Re-checked under the lock: another appeal may have gone out while we waited.
            self._check_appealable()
            assert self._payer_ccn is not None
            level = self._appeal_level + 1
            self._appeal_in_flight = True
            try:
                receipt: SubmissionReceipt = await workflow.execute_activity_method(
                    PayerActivities.submit_appeal,
                    AppealPacket(
                        claim_id=self._claim_id,
                        payer_claim_control_number=self._payer_ccn,
                        level=level,
                        reason=request.reason,
                        note=request.note,
                        attachments=request.attachments,
                    ),
                    **APPEAL_OPTIONS,
                )
                self._appeal_level = level
                self._appeal_deadline = None
                await self._enter(S.APPEALED, reason=request.reason)
            finally:
                self._appeal_in_flight = False
        return AppealAccepted(
            claim_id=self._claim_id,
            level=level,
            status=S.APPEALED,
            submission_id=receipt.submission_id,
        )

    @appeal.validator
    def _validate_appeal(self, request: AppealRequest) -> None:
        self._check_appealable()

    def _check_appealable(self) -> None:
        if self._status is not S.DENIED:
            raise ApplicationError(
                f"appeal refused: claim {self._claim_id} is {self._status}; "
                "only a DENIED claim can be appealed",
                type="AppealRefused",
            )
        if self._appeal_in_flight:
            raise ApplicationError(
                "appeal refused: an appeal of this claim is already being sent",
                type="AppealRefused",
            )
        if self._appeal_level >= MAX_APPEAL_LEVEL:
            raise ApplicationError(
                f"appeal refused: level {MAX_APPEAL_LEVEL} is the last appeal level",
                type="AppealRefused",
            )
        if self._appeal_deadline is not None and workflow.now() >= self._appeal_deadline:
            raise ApplicationError(
                f"appeal refused: the appeal window closed at {self._appeal_deadline.isoformat()}",
                type="AppealRefused",
            )

    @workflow.update
    def recode(self, request: CorrectionRequest) -> CorrectionAccepted:
        return self._accept_correction(request)

    @recode.validator
    def _validate_recode(self, request: CorrectionRequest) -> None:
        self._check_correction(request, S.CODING_REVIEW, "recode")

    @workflow.update
    def correct(self, request: CorrectionRequest) -> CorrectionAccepted:
        return self._accept_correction(request)

    @correct.validator
    def _validate_correct(self, request: CorrectionRequest) -> None:
        self._check_correction(request, S.SCRUB_FAILED, "correct")

    def _accept_correction(self, request: CorrectionRequest) -> CorrectionAccepted:
        """Hand the corrected claim to the waiting lifecycle, which codes and scrubs it again."""
        self._correction = CorrectionRequest(
            claim=request.claim.with_id(self._claim_id), note=request.note
        )
        return CorrectionAccepted(claim_id=self._claim_id, accepted_at_seq=self._seq)

    def _check_correction(self, request: CorrectionRequest, needed: ClaimStatus, verb: str) -> None:
        if self._status is not needed:
            raise ApplicationError(
                f"{verb} refused: claim {self._claim_id} is {self._status}; {verb} is allowed "
                f"only from {needed}",
                type="CorrectionRefused",
            )
        if self._correction is not None:
            raise ApplicationError(
                f"{verb} refused: a correction is already being applied", type="CorrectionRefused"
            )
        if request.claim.claim_id not in (None, self._claim_id):
            raise ApplicationError(
                f"{verb} refused: claim_id {request.claim.claim_id} does not match "
                f"{self._claim_id}",
                type="CorrectionRefused",
            )

    # ----------------------------------------------------------------- query

    @workflow.query
    def state(self) -> ClaimView:
        rem = self._adjudication
        return ClaimView(
            claim_id=self._claim_id,
            status=self._status or S.RECEIVED,
            seq=self._seq,
            payer_id=self._claim.payer.payer_id,
            total_charge=self._claim.total_charge,
            paid_amount=rem.paid_amount if rem else None,
            patient_responsibility=rem.patient_responsibility if rem else None,
            outstanding_amount=self._outstanding(),
            payer_claim_control_number=self._payer_ccn,
            appeal_level=self._appeal_level,
            appeal_deadline=self._appeal_deadline,
            denial_reasons=rem.denial_reasons if rem and rem.decision is Decision.DENIED else (),
            reports=dict(self._reports),
            adjudication=rem,
            history=list(self._history),
        )
