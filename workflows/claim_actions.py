"""Human actions on ClaimWorkflow: updates with validators.

A validator refuses a request before anything is recorded in history, so a refused action
leaves no trace but the caller's error. Which statuses allow which action comes from the
``ACTIONS`` table in ``claims.status`` (itself checked against the transition table), so
the workflow, the API and the console cannot disagree about it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.payer import AppealPacket, PayerActivities, SubmissionReceipt, SubmitInput
    from activities.stages import CodingInput, ScrubInput, StageActivities
    from claims import ledger
    from claims.appeals import appeal_refusal
    from claims.findings import Report
    from claims.model import Claim
    from claims.roles import Role, write_off_needs_approval
    from claims.status import Action, ClaimStatus, allowed_from
    from events.contract import Actor, AlertKind
    from workflows.messages import (
        ActionResult,
        AppealAccepted,
        AppealRequest,
        CorrectionAccepted,
        CorrectionRequest,
        PendingWriteOff,
        VoidRequest,
        WriteOffDecision,
        WriteOffRequest,
    )
    from workflows.options import CHECK_OPTIONS, INTERACTIVE_OPTIONS

from workflows.claim_core import WRITE_OFF_APPROVAL, ClaimCore, refuse

S = ClaimStatus


class HumanActions(ClaimCore):
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
        if self._v3 and self._state.correction is not None:
            raise refuse(f"{verb} refused: a correction of this claim is being applied")

    async def _interactive(self, verb: str, send: Callable[[], Awaitable[Any]]) -> Any:
        """Run a payer call for an update, marking it in flight (timers defer to it)."""
        self._in_flight = verb
        try:
            return await send()
        finally:
            self._in_flight = None

    # appeal --------------------------------------------------------------------

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
            await self._enter(S.APPEALED, reason=request.reason, actor=request.actor)
        return AppealAccepted(
            claim_id=self._claim_id,
            level=level,
            status=S.APPEALED,
            submission_id=receipt.submission_id,
        )

    @appeal.validator
    def _validate_appeal(self, request: AppealRequest) -> None:
        allowed = allowed_from(Action.APPEAL) if self._v2 else frozenset({S.DENIED})
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
        return self._accept_correction(request, "recode")

    @recode.validator
    def _validate_recode(self, request: CorrectionRequest) -> None:
        self._check_correction(request, allowed_from(Action.RECODE), "recode")

    @workflow.update
    def correct(self, request: CorrectionRequest) -> CorrectionAccepted:
        return self._accept_correction(request, "correct")

    @correct.validator
    def _validate_correct(self, request: CorrectionRequest) -> None:
        allowed = allowed_from(Action.CORRECT) if self._v2 else frozenset({S.SCRUB_FAILED})
        self._check_correction(request, allowed, "correct")

    def _accept_correction(self, request: CorrectionRequest, verb: str) -> CorrectionAccepted:
        """Hand the corrected claim to the waiting lifecycle, which codes and scrubs it again.

        Checked again here: two requests delivered in one workflow task both pass their
        validators before either handler runs, so only the handler can tell the second one
        that the first won.
        """
        self._refuse_if_busy(verb)
        self._state.correction = CorrectionRequest(
            claim=request.claim.with_id(self._claim_id), note=request.note, actor=request.actor
        )
        return CorrectionAccepted(claim_id=self._claim_id, accepted_at_seq=self._state.seq)

    def _refuse_if_busy(self, verb: str) -> None:
        """A correction is handed to the lifecycle without the lock, so it must not start
        while another action holds the lock (a write-off mid-publish has not changed the
        status yet) nor while another correction is still being applied."""
        if not self._v3:
            return
        if self._state.correction is not None:
            raise refuse(f"{verb} refused: a correction of this claim is being applied")
        if self._lock.locked():
            raise refuse(f"{verb} refused: another action on this claim is being applied")

    def _check_correction(
        self, request: CorrectionRequest, allowed: frozenset[ClaimStatus], verb: str
    ) -> None:
        self._check(allowed, verb)
        self._refuse_if_busy(verb)
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
            self._book(ledger.void_entries(self._pending_ledger(), at=workflow.now()))
            await self._enter(S.VOIDED, reason=request.reason, actor=request.actor)
        return self._result()

    @void.validator
    def _validate_void(self, request: VoidRequest) -> None:
        self._check(allowed_from(Action.VOID), "void")
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
            coding: Report = await self._step(
                StageActivities.check_coding, CodingInput(claim=replacement), CHECK_OPTIONS
            )
            scrub: Report = await self._step(
                StageActivities.scrub_claim,
                ScrubInput(claim=replacement, as_of=workflow.now().date()),
                CHECK_OPTIONS,
            )
            if not (coding.ok and scrub.ok):
                raise refuse(
                    "replace refused: the replacement has errors: "
                    + "; ".join(
                        f"{f.code} {f.field}: {f.message}" for f in coding.errors + scrub.errors
                    ),
                    "ReplaceRefused",
                )
            self._check(allowed_from(Action.REPLACE), "replace")  # still, after the awaits
            self._state.claim = replacement
            self._state.reports.update(coding=coding, scrub=scrub)
            self._state.adjudication = None
            self._state.appeal_deadline = None
            self._state.appeal_level = 0
            self._state.follow_up_due = None
            await self._enter(
                S.SCRUBBED,
                findings=coding.findings + scrub.findings,
                reason="replacement",
                stages=("coding", "scrub"),
                actor=request.actor,
            )
        return self._result()

    @replace.validator
    def _validate_replace(self, request: CorrectionRequest) -> None:
        self._check(allowed_from(Action.REPLACE), "replace")
        if self._state.payer_ccn is None:
            raise refuse("replace refused: the payer has not given a claim control number yet")
        self._check_same_claim(request.claim, "replace")

    # write off -------------------------------------------------------------------

    @workflow.update
    async def write_off(self, request: WriteOffRequest) -> ActionResult:
        """Give up on the claim's outstanding amount: a recorded business decision.

        Above the threshold, asked by someone who is not a supervisor, it does not happen
        yet: the request waits on the claim (the view shows it) and an alert tells the
        supervisors' queue, until one approves or rejects it.
        """
        async with self._lock:
            self._validate_write_off(request)
            roles = request.actor.roles if request.actor else ()
            amount = self._outstanding()
            if write_off_needs_approval(
                amount, request.approval_threshold, roles
            ) and workflow.patched(WRITE_OFF_APPROVAL):
                return await self._hold_write_off(request, amount)
            self._book(ledger.write_off_entries(self._pending_ledger(), at=workflow.now()))
            await self._enter(S.WRITTEN_OFF, reason=request.reason, actor=request.actor)
        return self._result()

    @write_off.validator
    def _validate_write_off(self, request: WriteOffRequest) -> None:
        self._check(allowed_from(Action.WRITE_OFF), "write_off")
        pending = self._state.pending_write_off
        roles = request.actor.roles if request.actor else ()
        if pending is not None and Role.SUPERVISOR not in roles:
            raise refuse(
                f"write_off refused: a write-off of {pending.amount} asked by "
                f"{_name(pending.requested_by)} already waits for a supervisor's approval",
                "WriteOffRefused",
            )

    async def _hold_write_off(self, request: WriteOffRequest, amount: Decimal) -> ActionResult:
        pending = PendingWriteOff(
            reason=request.reason,
            note=request.note,
            amount=amount,
            requested_by=request.actor,
            requested_at=workflow.now(),
            at_seq=self._state.seq,
        )
        await self._alert(
            AlertKind.WRITE_OFF_APPROVAL_REQUESTED,
            f"write-off of {amount} asked by {_name(request.actor)} waits for a supervisor "
            f"(above the threshold of {request.approval_threshold}): {request.reason}",
            amount=amount,
            actor=request.actor,
        )
        self._state.pending_write_off = pending
        return self._result().model_copy(update={"pending_write_off": pending})

    @workflow.update
    async def approve_write_off(self, decision: WriteOffDecision) -> ActionResult:
        """A supervisor approves the pending write-off: the claim is WRITTEN_OFF now."""
        async with self._lock:
            self._validate_decision(decision)
            pending = self._state.pending_write_off
            assert pending is not None
            reason = (
                f"{pending.reason} (asked by {_name(pending.requested_by)}, "
                f"approved by {_name(decision.actor)})"
            )
            self._book(ledger.write_off_entries(self._pending_ledger(), at=workflow.now()))
            await self._enter(S.WRITTEN_OFF, reason=reason, actor=decision.actor)
        return self._result()

    @approve_write_off.validator
    def _validate_approve(self, decision: WriteOffDecision) -> None:
        self._validate_decision(decision)

    @workflow.update
    async def reject_write_off(self, decision: WriteOffDecision) -> ActionResult:
        """A supervisor rejects the pending write-off: the claim stays as it is."""
        async with self._lock:
            self._validate_decision(decision)
            pending = self._state.pending_write_off
            assert pending is not None
            note = f": {decision.note}" if decision.note else ""
            await self._alert(
                AlertKind.WRITE_OFF_REJECTED,
                f"write-off of {pending.amount} asked by {_name(pending.requested_by)} "
                f"rejected by {_name(decision.actor)}{note}",
                amount=pending.amount,
                actor=decision.actor,
            )
            self._state.pending_write_off = None
        return self._result()

    @reject_write_off.validator
    def _validate_reject(self, decision: WriteOffDecision) -> None:
        self._validate_decision(decision)

    def _validate_decision(self, decision: WriteOffDecision) -> None:
        if self._state.pending_write_off is None:
            raise refuse(
                f"no write-off of claim {self._claim_id} waits for approval", "WriteOffRefused"
            )
        if decision.actor is None or Role.SUPERVISOR not in decision.actor.roles:
            raise refuse(
                "deciding a write-off above the threshold needs the supervisor role",
                "WriteOffRefused",
            )
        self._check(allowed_from(Action.WRITE_OFF), "write_off")


def _name(actor: Actor | None) -> str:
    return actor.name if actor is not None else "the engine"
