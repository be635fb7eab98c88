"""Coordination of benefits in ClaimWorkflow (``cob-v1``): the payers after the primary.

When the primary payer's decision leaves the patient a share and the claim names a next
coverage, the primary claim starts the secondary claim as a **child workflow** (same
workflow type, its own claim id derived from the primary's, parent-close policy ABANDON).
A child rather than a start from an activity: the start is a command in the primary's
history, so it happens once whatever replays or retries, with an id fixed in advance; the
worker needs no Temporal client inside an activity; and the Temporal UI shows the link.
ABANDON, because the secondary lives its own life (appeals, follow-ups) and must outlive a
primary that continues as new.

The secondary claim tells its primary what its payer decided (a signal to the primary's
workflow, ``later_payer``); the primary books it on its own ledger as a later payer's
decision (``claims.cob_ledger``) and does not close before it. So the primary claim's
balance covers both payers and the patient.

A tertiary coverage (``cob-tertiary-v1``): when the secondary payer too leaves the patient a
share, the secondary claim starts the tertiary claim the same way (its child), carrying both
earlier payers' decisions in 2320/2430; the tertiary claim reports to the primary claim, so
one ledger books all three payers and the patient, and the primary waits for it.

A crossover (the primary forwarded the claim itself, 835 CLP02 19/20/21 with NM1*TT) starts
nothing: the claim waits for the crossover payer's 835, which arrives on the primary claim
(the crossover payer has our CLM01) with CLP02 2 or 3, and is booked the same way.
"""

from __future__ import annotations

import contextlib

from temporalio import workflow
from temporalio.exceptions import FailureError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from claims import cob, cob_ledger
    from claims.model import Claim
    from claims.remittance import Remittance
    from claims.status import ClaimStatus
    from events.contract import AlertKind
    from workflows.messages import ClaimWorkflowInput, LaterPayerOutcome, workflow_id

from workflows.claim_core import DECIDED, ClaimCore

S = ClaimStatus

COB_V1 = "cob-v1"
# A secondary claim whose payer leaves the patient a share starts the tertiary claim;
# without this marker (histories before it) it starts nothing, as before.
COB_TERTIARY_V1 = "cob-tertiary-v1"


class CobHandling(ClaimCore):
    # workflow.patched(COB_V1), decided once at the start of the run.
    _cob: bool

    def _is_later_payers(self, rem: Remittance) -> bool:
        """A decision of a payer after this claim's: relayed by the secondary claim, or a
        crossover payer's 835 (CLP02 2/3/20/21) while one is awaited."""
        if rem.processed_as in ("S", "T"):
            return True
        return self._state.awaiting_later_payer and cob.processed_after_primary(rem)

    def _coordinate(self, rem: Remittance) -> tuple[Claim | None, str | None]:
        """Before the decision's event: what comes after this payer. Returns the secondary
        claim to start (its id is then on the event), or why none could be built."""
        claim = self._claim
        nxt = claim.next_coverage
        if nxt is None:
            return None, None
        if self._state.primary_claim_id is not None:
            return self._coordinate_tertiary(rem)
        if cob.crossed_over(rem):
            self._state.crossover_payer_id = rem.crossover_payer_id or nxt.payer.payer_id
            self._state.awaiting_later_payer = True
            return None, None
        if self._state.secondary_claim_id is not None or not cob.secondary_due(claim, rem):
            return None, None
        try:
            secondary = cob.secondary_claim(claim, rem, workflow.now().date())
        except cob.CobError as exc:
            return None, str(exc)
        self._state.secondary_claim_id = secondary.claim_id
        self._state.awaiting_later_payer = True
        return secondary, None

    def _coordinate_tertiary(self, rem: Remittance) -> tuple[Claim | None, str | None]:
        """On a secondary claim: the tertiary claim, when this payer left the patient a
        share and a third coverage is named. It carries both earlier payers' decisions and
        reports to the primary claim (its id derived from the primary's), whose ledger
        books all three payers; this claim does not wait for it."""
        claim = self._claim
        primary = self._state.primary_claim_id
        if primary is None or self._state.secondary_claim_id is not None:
            return None, None
        if not cob.secondary_due(claim, rem) or not workflow.patched(COB_TERTIARY_V1):
            return None, None
        try:
            tertiary = cob.secondary_claim(
                claim, rem, workflow.now().date(), primary_claim_id=primary
            )
        except cob.CobError as exc:
            return None, str(exc)
        self._state.secondary_claim_id = tertiary.claim_id
        return tertiary, None

    async def _after_decision(self, secondary: Claim | None, problem: str | None) -> None:
        """After the decision's event: start the secondary claim, or say why not."""
        if problem is not None:
            await self._alert(
                AlertKind.SECONDARY_NOT_BILLED,
                f"the {self._claim.next_coverage and self._claim.next_coverage.payer.name} "
                f"claim was not built: {problem}; bill it by hand",
            )
            return
        if secondary is None:
            return
        assert secondary.claim_id is not None
        # Started before (this run handed over mid-start): the same claim, nothing to do.
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await workflow.start_child_workflow(
                "ClaimWorkflow",
                ClaimWorkflowInput(
                    claim=secondary,
                    search_attributes=self._use_search_attributes,
                    history_limit=self._history_limit,
                    stall_alert_after_seconds=int(self._stall_after.total_seconds()),
                    # A tertiary claim reports to the primary claim, as the secondary does.
                    primary_claim_id=self._state.primary_claim_id or self._claim_id,
                ),
                id=workflow_id(secondary.claim_id),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )

    async def _apply_later_payer(self, rem: Remittance) -> None:
        """Book a later payer's decision on this claim's ledger; the claim's own decision
        stands, so it goes through ADJUDICATED back to the status it had."""
        status = self._state.status
        if status not in DECIDED:
            await self._unexpected_later(rem)
            return
        self._book(cob_ledger.secondary_entries(self._pending_ledger(), rem, at=workflow.now()))
        # After the secondary's decision a tertiary claim may still be to decide.
        self._state.awaiting_later_payer = (
            rem.processed_as == "S" and self._state.tertiary_claim_id is not None
        )
        self._state.decided_at = workflow.now()
        which = {"T": "tertiary"}.get(rem.processed_as or "", "secondary")
        await self._enter(S.ADJUDICATED, reason=f"{which} payer decided ({rem.remittance_id})")
        await self._enter(status, reason="coordination of benefits")

    async def _unexpected_later(self, rem: Remittance) -> None:
        await self._alert(
            AlertKind.UNEXPECTED_PAYER_MESSAGE,
            f"a later payer's remittance ({rem.remittance_id}) arrived while the claim is "
            f"{self._state.status}; it was not applied",
        )

    async def _tell_primary(self, rem: Remittance | None) -> None:
        """On a secondary claim: hand its payer's decision (or its end without one) to the
        primary claim. A primary that is gone is an alert, not a failed workflow."""
        primary = self._state.primary_claim_id
        status = self._state.status
        if primary is None or status is None:
            return
        relayed = None
        if rem is not None:
            relayed = rem.model_copy(
                update={
                    "claim_id": primary,
                    "remittance_id": f"{rem.remittance_id}@{self._claim_id}",
                    "processed_as": self._claim.responsibility,
                }
            )
        # A tertiary claim this claim started (its own secondary_claim_id) is named, so the
        # primary waits for it too.
        outcome = LaterPayerOutcome(
            claim_id=primary,
            secondary_claim_id=self._claim_id,
            remittance=relayed,
            status=status,
            next_claim_id=self._state.secondary_claim_id,
        )
        try:
            await workflow.get_external_workflow_handle(workflow_id(primary)).signal(
                "later_payer", outcome
            )
        except FailureError as exc:
            await self._alert(
                AlertKind.SECONDARY_NOT_BILLED,
                f"the primary claim {primary} could not be told of this decision: {exc}",
            )

    @workflow.signal
    def later_payer(self, outcome: LaterPayerOutcome) -> None:
        """From this claim's secondary claim: its payer's decision, or that it ended."""
        if outcome.claim_id != self._claim_id:
            return
        if outcome.next_claim_id is not None and self._state.tertiary_claim_id is None:
            self._state.tertiary_claim_id = outcome.next_claim_id
        if outcome.remittance is None:
            # The last claim in line ended without a decision: nobody else is to decide.
            tertiary = self._state.tertiary_claim_id
            if outcome.secondary_claim_id == (tertiary or self._state.secondary_claim_id):
                self._state.awaiting_later_payer = False
            return
        rem = outcome.remittance
        if rem.remittance_id in self._state.seen_messages:
            return
        self._state.seen_messages.append(rem.remittance_id)
        self._state.pending.append(rem)
