"""ClaimWorkflow: one durable workflow per claim, from receipt to a terminal status.

The run is a loop over the claim's status: each status has one step that does its work or
waits for what moves it on (a payer message, a person, a deadline). Every status change
goes through ``_enter``, which checks the move against the transition table in
``claims.status``, publishes the event from an activity and waits for the broker's
acknowledgment before the status changes. So the event stream and the workflow's state can
never disagree about order, and a crash between the two replays into the same publish.

Human actions are updates with validators (refused before anything is recorded); payer
messages are signals, de-duplicated by message id; the current state is a query.

Concurrency: update handlers and the main loop both change state, and both await
activities. Every change happens under ``_lock`` and re-checks the status it expects after
taking it, because the other side may have moved the claim while this one waited.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeKey, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.payer import (
        AppealPacket,
        PayerActivities,
        StatusInquiry,
        SubmissionReceipt,
        SubmitInput,
    )
    from activities.publishing import AlertInput, PublishActivities, PublishInput
    from activities.stages import CodingInput, ScrubInput, StageActivities
    from claims.appeals import appeal_deadline, appeal_refusal
    from claims.findings import Finding, Report
    from claims.model import Claim
    from claims.payer_messages import Acknowledgment, ClaimStatusReport
    from claims.remittance import Decision, Remittance, payer_balance
    from claims.status import POST_SUBMISSION, TERMINAL, ClaimStatus, check_transition
    from events.contract import (
        AdjustmentData,
        AlertKind,
        ClaimAlertData,
        ClaimEventData,
        FindingData,
        make_alert,
        make_event,
    )
    from workflows.messages import (
        ActionResult,
        AppealAccepted,
        AppealRequest,
        ClaimOutcome,
        ClaimState,
        ClaimView,
        ClaimWorkflowInput,
        CorrectionAccepted,
        CorrectionRequest,
        PayerMessage,
        StageEntry,
        VoidRequest,
        WriteOffRequest,
    )

S = ClaimStatus

# Histories recorded before follow-ups, reminders, settlement and continue-as-new existed
# replay without this marker and take the original path (see tests/workflows/test_replay.py).
LIFECYCLE_V2 = "lifecycle-v2"

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
# Submissions made inside a person's update call give up soon enough to tell them.
INTERACTIVE_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": dt.timedelta(seconds=15),
    "schedule_to_close_timeout": dt.timedelta(minutes=2),
    "retry_policy": RetryPolicy(
        maximum_interval=dt.timedelta(seconds=10), non_retryable_error_types=["PayerRefused"]
    ),
}

# Appeal-deadline reminders, in days before the deadline.
REMINDER_DAYS: tuple[int, ...] = (30, 7, 1)
# Where a payer message is expected: the claim waits here, chasing the payer if it is silent.
AWAITING_PAYER = frozenset({S.SUBMITTED, S.ACCEPTED, S.APPEALED, S.ADJUDICATED})


def refuse(message: str, kind: str = "ActionRefused") -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


@workflow.defn
class ClaimWorkflow:
    @workflow.init
    def __init__(self, inp: ClaimWorkflowInput) -> None:
        if inp.claim.claim_id is None:
            raise ApplicationError("claim_id is required to start a claim workflow")
        self._claim_id: str = inp.claim.claim_id
        self._state = inp.state or ClaimState(claim=inp.claim)
        self._use_search_attributes = inp.search_attributes
        self._history_limit = inp.history_limit
        self._lock = asyncio.Lock()
        # True while an update handler talks to the payer for a move it has not made yet.
        self._in_flight: str | None = None
        self._v2 = False
        self._steps: dict[ClaimStatus, Callable[[], Awaitable[None]]] = {
            S.RECEIVED: self._code,
            S.CODING_REVIEW: self._await_correction,
            S.CODED: self._scrub,
            S.SCRUB_FAILED: self._await_correction,
            S.REJECTED: self._await_correction,
            S.SCRUBBED: self._submit,
            S.SUBMITTED: self._await_payer,
            S.ACCEPTED: self._await_payer,
            S.APPEALED: self._await_payer,
            S.ADJUDICATED: self._await_payer,
            S.PAID: self._settle,
            S.PARTIALLY_PAID: self._await_appeal,
            S.DENIED: self._await_appeal,
        }

    @property
    def _claim(self) -> Claim:
        return self._state.claim

    # ----------------------------------------------------------------- the lifecycle

    @workflow.run
    async def run(self, inp: ClaimWorkflowInput) -> ClaimOutcome:
        self._v2 = workflow.patched(LIFECYCLE_V2)
        if self._state.status is None:
            await self._enter(S.RECEIVED)
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
                    )
                )
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

    async def _code(self) -> None:
        coding: Report = await workflow.execute_activity_method(
            StageActivities.check_coding, CodingInput(claim=self._claim), **CHECK_OPTIONS
        )
        self._state.reports["coding"] = coding
        if coding.ok:
            await self._enter(S.CODED)
        else:
            await self._enter(S.CODING_REVIEW, findings=coding.findings)

    async def _scrub(self) -> None:
        scrub: Report = await workflow.execute_activity_method(
            StageActivities.scrub_claim,
            ScrubInput(claim=self._claim, as_of=workflow.now().date()),
            **CHECK_OPTIONS,
        )
        self._state.reports["scrub"] = scrub
        if scrub.ok:
            await self._enter(S.SCRUBBED, findings=scrub.findings)
        else:
            await self._enter(S.SCRUB_FAILED, findings=scrub.findings)

    async def _await_correction(self) -> None:
        """CODING_REVIEW, SCRUB_FAILED, REJECTED: wait for a fix (or a write-off)."""
        seq = self._state.seq
        await workflow.wait_condition(
            lambda: self._state.correction is not None or self._state.seq != seq
        )
        correction = self._state.correction
        if correction is None:
            return
        self._state.claim = correction.claim
        self._state.correction = None
        await self._code()

    async def _submit(self) -> None:
        receipt: SubmissionReceipt = await workflow.execute_activity_method(
            PayerActivities.submit_claim, SubmitInput(claim=self._claim), **SUBMIT_OPTIONS
        )
        async with self._lock:
            if self._state.status is not S.SCRUBBED:
                return
            self._state.payer_ccn = receipt.payer_claim_control_number
            await self._enter(S.SUBMITTED)

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
                    await self._enter(S.WRITTEN_OFF, reason=reason)
            return
        if self._state.seq == seq and self._state.pending:
            await self._apply_next_message(seq)

    def _moved(self, seq: int) -> bool:
        return self._state.seq != seq or bool(self._state.pending)

    async def _wait_for(self, done: Callable[[], bool], until: dt.datetime | None) -> bool:
        """Wait until ``done()``; False if ``until`` passed first (None waits for ever)."""
        if until is None:
            await workflow.wait_condition(done)
            return True
        try:
            await workflow.wait_condition(
                done, timeout=max(until - workflow.now(), dt.timedelta(0))
            )
            return True
        except TimeoutError:
            return done()

    def _follow_up_from(self, when: dt.datetime) -> dt.datetime:
        return when + dt.timedelta(days=self._claim.payer.follow_up_days)

    async def _follow_up(self) -> None:
        due = self._state.follow_up_due
        await self._alert(
            AlertKind.FOLLOW_UP_DUE,
            f"no word from {self._claim.payer.name} for {self._claim.payer.follow_up_days} "
            f"days while {self._state.status}; status inquiry sent",
            due=due,
        )
        await workflow.execute_activity_method(
            PayerActivities.inquire_status,
            StatusInquiry(
                claim_id=self._claim_id, payer_claim_control_number=self._state.payer_ccn
            ),
            **SUBMIT_OPTIONS,
        )
        self._state.follow_up_due = self._follow_up_from(workflow.now())

    # ----------------------------------------------------------------- payer messages

    async def _apply_next_message(self, seq: int) -> None:
        async with self._lock:
            if self._state.seq != seq or not self._state.pending:
                return
            message = self._state.pending.pop(0)
            if isinstance(message, Remittance):
                await self._apply_remittance(message)
            elif isinstance(message, ClaimStatusReport):
                await self._apply_claim_status(message)
            else:
                await self._apply_acknowledgment(message)

    async def _apply_remittance(self, remittance: Remittance) -> None:
        status = self._state.status
        if remittance.decision is Decision.REVERSAL:
            if status not in (S.PAID, S.PARTIALLY_PAID, S.DENIED):
                await self._unexpected(remittance.remittance_id, "a reversal of no decision")
                return
            self._state.adjudication = remittance
            self._restart_follow_up()
            await self._enter(S.ADJUDICATED, reason="reversal")
            return
        if status not in AWAITING_PAYER and status not in (S.PAID, S.PARTIALLY_PAID, S.DENIED):
            await self._unexpected(remittance.remittance_id, "a remittance")
            return
        self._state.adjudication = remittance
        self._state.payer_ccn = remittance.payer_claim_control_number or self._state.payer_ccn
        self._state.follow_up_due = None
        if status is not S.ADJUDICATED:
            await self._enter(S.ADJUDICATED)
        now = workflow.now()
        self._state.decided_at = now
        if remittance.decision is Decision.PAID:
            self._state.appeal_deadline = None
            await self._enter(S.PAID)
            return
        level = self._state.appeal_level + 1
        if self._v2:
            payer = self._claim.payer
            self._state.appeal_deadline = (
                appeal_deadline(now, payer, level) if level <= payer.max_appeal_level else now
            )
        else:
            self._state.appeal_deadline = now + dt.timedelta(
                days=self._claim.payer.appeal_window_days
            )
        target = S.DENIED if remittance.decision is Decision.DENIED else S.PARTIALLY_PAID
        await self._enter(target)

    async def _apply_claim_status(self, report: ClaimStatusReport) -> None:
        status = self._state.status
        if report.rejected and status in (S.SUBMITTED, S.ACCEPTED):
            await self._enter(
                S.REJECTED, reason=f"277CA {report.category} " + " ".join(report.status_codes)
            )
        elif report.accepted and status is S.SUBMITTED:
            self._state.payer_ccn = report.payer_claim_control_number or self._state.payer_ccn
            self._restart_follow_up()
            await self._enter(S.ACCEPTED)
        elif report.category == "A1" and status in AWAITING_PAYER:
            self._restart_follow_up()  # received: the payer is not silent
        else:
            await self._unexpected(report.message_id, f"a 277CA {report.category}")

    async def _apply_acknowledgment(self, ack: Acknowledgment) -> None:
        status = self._state.status
        if ack.accepted and status in AWAITING_PAYER:
            self._restart_follow_up()
        elif not ack.accepted and status is S.SUBMITTED:
            await self._enter(S.REJECTED, reason="999 rejected: " + "; ".join(ack.errors))
        else:
            await self._unexpected(ack.message_id, "a 999")

    def _restart_follow_up(self) -> None:
        if self._v2:
            self._state.follow_up_due = self._follow_up_from(workflow.now())

    async def _unexpected(self, message_id: str, what: str) -> None:
        await self._alert(
            AlertKind.UNEXPECTED_PAYER_MESSAGE,
            f"{what} ({message_id}) arrived while the claim is {self._state.status}; "
            "it was not applied",
        )

    def _receive(self, message: PayerMessage, message_id: str) -> None:
        if message.claim_id != self._claim_id:
            workflow.logger.warning(
                "payer message %s is for claim %s, not this one; ignored",
                message_id,
                message.claim_id,
            )
            return
        if message_id in self._state.seen_messages:
            return
        self._state.seen_messages.append(message_id)
        self._state.pending.append(message)

    @workflow.signal
    def remittance(self, remittance: Remittance) -> None:
        """An 835 claim payment (or denial, or reversal). At-least-once: de-duplicated."""
        self._receive(remittance, remittance.remittance_id)

    @workflow.signal
    def claim_status(self, report: ClaimStatusReport) -> None:
        """A 277CA claim status: A2 accepted into adjudication, A3 rejected."""
        self._receive(report, report.message_id)

    @workflow.signal
    def acknowledgment(self, ack: Acknowledgment) -> None:
        """The 999 for the file that carried the claim."""
        self._receive(ack, ack.message_id)

    # ----------------------------------------------------------------- transitions

    async def _enter(
        self,
        target: ClaimStatus,
        *,
        findings: tuple[Finding, ...] = (),
        reason: str | None = None,
    ) -> None:
        check_transition(self._state.status, target)
        seq = self._state.seq + 1
        now = workflow.now()
        event = make_event(time=now, data=self._event_data(target, seq, findings, reason))
        await workflow.execute_activity_method(
            PublishActivities.publish_event, PublishInput(event=event), **PUBLISH_OPTIONS
        )
        # Only now, with the event on every in-sync replica, does the state move.
        self._state.seq = seq
        self._state.status = target
        self._state.history.append(StageEntry(seq=seq, status=target, at=now, reason=reason))
        self._upsert_search_attributes()

    async def _alert(
        self,
        kind: AlertKind,
        message: str,
        *,
        due: dt.datetime | None = None,
        days_left: int | None = None,
    ) -> None:
        status = self._state.status
        assert status is not None
        self._state.alert_seq += 1
        alert = make_alert(
            time=workflow.now(),
            data=ClaimAlertData(
                claim_id=self._claim_id,
                alert_seq=self._state.alert_seq,
                kind=kind,
                status=status,
                payer_id=self._claim.payer.payer_id,
                due=due,
                days_left=days_left,
                message=message,
            ),
        )
        await workflow.execute_activity_method(
            PublishActivities.publish_alert, AlertInput(alert=alert), **PUBLISH_OPTIONS
        )

    def _event_data(
        self,
        target: ClaimStatus,
        seq: int,
        findings: tuple[Finding, ...],
        reason: str | None,
    ) -> ClaimEventData:
        claim = self._claim
        rem = self._state.adjudication
        return ClaimEventData(
            claim_id=self._claim_id,
            seq=seq,
            status=target,
            previous_status=self._state.status,
            payer_id=claim.payer.payer_id,
            total_charge=claim.total_charge,
            paid_amount=rem.paid_amount if rem else None,
            patient_responsibility=rem.patient_responsibility if rem else None,
            outstanding_amount=self._outstanding(target),
            diagnosis_codes=tuple(claim.diagnoses),
            procedure_codes=tuple(line.procedure_code for line in claim.lines),
            payer_claim_control_number=self._state.payer_ccn,
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
            appeal_level=self._state.appeal_level,
            reason=reason,
        )

    def _outstanding(self, status: ClaimStatus | None = None) -> Decimal:
        if (status or self._state.status) in (S.PAID, S.WRITTEN_OFF, S.VOIDED, S.CLOSED):
            return Decimal(0)
        rem = self._state.adjudication
        return payer_balance(
            self._claim.total_charge,
            rem.decision if rem else None,
            rem.paid_amount if rem else None,
            ((a.group, a.carc, a.amount) for a in (rem.adjustments if rem else ())),
        )

    def _upsert_search_attributes(self) -> None:
        status = self._state.status
        if not self._use_search_attributes or status is None:
            return
        updates: list[SearchAttributeUpdate[Any]] = [
            CLAIM_STATUS.value_set(status.value),
            PAYER_ID.value_set(self._claim.payer.payer_id),
            OUTSTANDING.value_set(float(self._outstanding())),
        ]
        deadline = self._state.appeal_deadline
        if status in (S.DENIED, S.PARTIALLY_PAID) and deadline is not None:
            updates.append(APPEAL_DEADLINE.value_set(deadline))
        else:
            updates.append(APPEAL_DEADLINE.value_unset())
        workflow.upsert_search_attributes(updates)

    # ----------------------------------------------------------------- human actions

    def _check(self, allowed: frozenset[ClaimStatus], verb: str) -> None:
        status = self._state.status
        if status not in allowed:
            names = ", ".join(sorted(allowed))
            raise refuse(
                f"{verb} refused: claim {self._claim_id} is {status}; {verb} is allowed "
                f"only from {names}",
                f"{verb.capitalize()}Refused",
            )
        if self._in_flight is not None:
            raise refuse(f"{verb} refused: a {self._in_flight} of this claim is being sent")

    async def _interactive(self, verb: str, send: Callable[[], Awaitable[Any]]) -> Any:
        """Run a payer call for an update, marking it in flight (timers defer to it)."""
        self._in_flight = verb
        try:
            return await send()
        finally:
            self._in_flight = None

    # appeal --------------------------------------------------------------------

    APPEALABLE = frozenset({S.DENIED, S.PARTIALLY_PAID})

    @workflow.update
    async def appeal(self, request: AppealRequest) -> AppealAccepted:
        async with self._lock:
            # Re-checked under the lock: another action may have gone out while we waited.
            self._validate_appeal(request)
            payer_ccn = self._state.payer_ccn
            assert payer_ccn is not None
            level = self._state.appeal_level + 1
            receipt: SubmissionReceipt = await self._interactive(
                "appeal",
                lambda: workflow.execute_activity_method(
                    PayerActivities.submit_appeal,
                    AppealPacket(
                        claim_id=self._claim_id,
                        payer_claim_control_number=payer_ccn,
                        level=level,
                        reason=request.reason,
                        note=request.note,
                        attachments=request.attachments,
                    ),
                    **INTERACTIVE_OPTIONS,
                ),
            )
            self._state.appeal_level = level
            self._state.appeal_deadline = None
            if self._v2:
                self._state.follow_up_due = self._follow_up_from(workflow.now())
            await self._enter(S.APPEALED, reason=request.reason)
        return AppealAccepted(
            claim_id=self._claim_id,
            level=level,
            status=S.APPEALED,
            submission_id=receipt.submission_id,
        )

    @appeal.validator
    def _validate_appeal(self, request: AppealRequest) -> None:
        allowed = self.APPEALABLE if self._v2 else frozenset({S.DENIED})
        status = self._state.status
        if status not in allowed:
            raise refuse(
                f"appeal refused: claim {self._claim_id} is {status}; only a DENIED or "
                "PARTIALLY_PAID claim can be appealed",
                "AppealRefused",
            )
        if self._in_flight is not None:
            raise refuse(
                f"appeal refused: a {self._in_flight} of this claim is already being sent",
                "AppealRefused",
            )
        if not self._v2:
            return
        problem = appeal_refusal(
            self._state.adjudication,
            level=self._state.appeal_level + 1,
            payer=self._claim.payer,
            deadline=self._state.appeal_deadline,
            now=workflow.now(),
        )
        if problem is not None:
            raise refuse(f"appeal refused: {problem}", "AppealRefused")

    # recode / correct ----------------------------------------------------------

    @workflow.update
    def recode(self, request: CorrectionRequest) -> CorrectionAccepted:
        return self._accept_correction(request)

    @recode.validator
    def _validate_recode(self, request: CorrectionRequest) -> None:
        self._check_correction(request, frozenset({S.CODING_REVIEW}), "recode")

    @workflow.update
    def correct(self, request: CorrectionRequest) -> CorrectionAccepted:
        return self._accept_correction(request)

    @correct.validator
    def _validate_correct(self, request: CorrectionRequest) -> None:
        allowed = {S.SCRUB_FAILED, S.REJECTED} if self._v2 else {S.SCRUB_FAILED}
        self._check_correction(request, frozenset(allowed), "correct")

    def _accept_correction(self, request: CorrectionRequest) -> CorrectionAccepted:
        """Hand the corrected claim to the waiting lifecycle, which codes and scrubs it again."""
        self._state.correction = CorrectionRequest(
            claim=request.claim.with_id(self._claim_id), note=request.note
        )
        return CorrectionAccepted(claim_id=self._claim_id, accepted_at_seq=self._state.seq)

    def _check_correction(
        self, request: CorrectionRequest, allowed: frozenset[ClaimStatus], verb: str
    ) -> None:
        self._check(allowed, verb)
        if self._state.correction is not None:
            raise refuse(f"{verb} refused: a correction is already being applied")
        self._check_same_claim(request.claim, verb)

    def _check_same_claim(self, claim: Claim, verb: str) -> None:
        if claim.claim_id not in (None, self._claim_id):
            raise refuse(
                f"{verb} refused: claim_id {claim.claim_id} does not match {self._claim_id}"
            )

    # void ------------------------------------------------------------------------

    @workflow.update
    async def void(self, request: VoidRequest) -> ActionResult:
        """Tell the payer to void the claim (frequency 8 with REF*F8); the claim is VOIDED."""
        async with self._lock:
            self._validate_void(request)
            void_claim = self._claim.model_copy(
                update={
                    "frequency_code": "8",
                    "payer_claim_control_number": self._state.payer_ccn,
                }
            )
            await self._interactive(
                "void",
                lambda: workflow.execute_activity_method(
                    PayerActivities.submit_claim,
                    SubmitInput(claim=void_claim),
                    **INTERACTIVE_OPTIONS,
                ),
            )
            self._state.claim = void_claim
            await self._enter(S.VOIDED, reason=request.reason)
        return self._result()

    @void.validator
    def _validate_void(self, request: VoidRequest) -> None:
        self._check(POST_SUBMISSION, "void")
        if self._state.payer_ccn is None:
            raise refuse("void refused: the payer has not given a claim control number yet")

    # replace ---------------------------------------------------------------------

    @workflow.update
    async def replace(self, request: CorrectionRequest) -> ActionResult:
        """Send a replacement claim (frequency 7, REF*F8 = the payer's control number).

        The replacement is coded and scrubbed here, inside the update: one with errors is
        refused with its findings and nothing changes. A clean one enters SCRUBBED and the
        lifecycle submits it and waits for the payer again.
        """
        async with self._lock:
            self._validate_replace(request)
            replacement = request.claim.model_copy(
                update={
                    "claim_id": self._claim_id,
                    "frequency_code": "7",
                    "payer_claim_control_number": self._state.payer_ccn,
                }
            )
            coding: Report = await workflow.execute_activity_method(
                StageActivities.check_coding, CodingInput(claim=replacement), **CHECK_OPTIONS
            )
            scrub: Report = await workflow.execute_activity_method(
                StageActivities.scrub_claim,
                ScrubInput(claim=replacement, as_of=workflow.now().date()),
                **CHECK_OPTIONS,
            )
            if not (coding.ok and scrub.ok):
                raise refuse(
                    "replace refused: the replacement has errors: "
                    + "; ".join(
                        f"{f.code} {f.field}: {f.message}" for f in coding.errors + scrub.errors
                    ),
                    "ReplaceRefused",
                )
            self._check(POST_SUBMISSION, "replace")  # still, after the awaits
            self._state.claim = replacement
            self._state.reports.update(coding=coding, scrub=scrub)
            self._state.adjudication = None
            self._state.appeal_deadline = None
            self._state.appeal_level = 0
            self._state.follow_up_due = None
            await self._enter(S.SCRUBBED, findings=scrub.findings, reason="replacement")
        return self._result()

    @replace.validator
    def _validate_replace(self, request: CorrectionRequest) -> None:
        self._check(POST_SUBMISSION, "replace")
        if self._state.payer_ccn is None:
            raise refuse("replace refused: the payer has not given a claim control number yet")
        self._check_same_claim(request.claim, "replace")

    # write off -------------------------------------------------------------------

    WRITE_OFF_FROM = frozenset(
        {S.DENIED, S.PARTIALLY_PAID, S.APPEALED, S.CODING_REVIEW, S.SCRUB_FAILED, S.REJECTED}
    )

    @workflow.update
    async def write_off(self, request: WriteOffRequest) -> ActionResult:
        """Give up on the claim's outstanding amount: a recorded business decision."""
        async with self._lock:
            self._validate_write_off(request)
            await self._enter(S.WRITTEN_OFF, reason=request.reason)
        return self._result()

    @write_off.validator
    def _validate_write_off(self, request: WriteOffRequest) -> None:
        self._check(self.WRITE_OFF_FROM, "write_off")

    def _result(self) -> ActionResult:
        status = self._state.status
        assert status is not None
        return ActionResult(claim_id=self._claim_id, status=status, seq=self._state.seq)

    # ----------------------------------------------------------------- query

    @workflow.query
    def state(self) -> ClaimView:
        st = self._state
        rem = st.adjudication
        denied = rem is not None and rem.decision in (Decision.DENIED, Decision.PARTIALLY_PAID)
        return ClaimView(
            claim_id=self._claim_id,
            status=st.status or S.RECEIVED,
            seq=st.seq,
            payer_id=self._claim.payer.payer_id,
            frequency_code=self._claim.frequency_code,
            total_charge=self._claim.total_charge,
            paid_amount=rem.paid_amount if rem else None,
            patient_responsibility=rem.patient_responsibility if rem else None,
            outstanding_amount=self._outstanding(),
            payer_claim_control_number=st.payer_ccn,
            appeal_level=st.appeal_level,
            appeal_deadline=st.appeal_deadline,
            follow_up_due=st.follow_up_due,
            denial_reasons=rem.denial_reasons if rem and denied else (),
            reports=dict(st.reports),
            adjudication=rem,
            history=list(st.history),
        )
