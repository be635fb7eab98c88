"""Payer messages in ClaimWorkflow: 999, 277CA and 835 arrive as signals and are applied.

Payer files cross: a 999 or 277CA can arrive after the 835 it preceded. One that agrees
with what already happened is recorded on the claim (``late_messages``); only a message
that fits nowhere raises an alert.

Signals only queue a message (de-duplicated by its id: delivery is at-least-once); the
lifecycle loop applies it when the claim's current status waits for the payer, so a message
and a person's action never change the claim at the same time.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from claims import ledger
    from claims.appeals import appeal_deadline
    from claims.ledger import LedgerEntry
    from claims.model import Claim
    from claims.payer_messages import Acknowledgment, ClaimStatusReport, PayerMessage
    from claims.remittance import Decision, Remittance
    from claims.status import ClaimStatus
    from events.contract import AlertKind

from workflows.claim_cob import CobHandling
from workflows.claim_core import AWAITING_PAYER, DECIDED

S = ClaimStatus

# Where the payer has already got further than a 999 or an accepting 277CA can say: a
# late one of those agrees with what happened. A late *rejection* contradicts it and is
# still an unexpected message for a person to look at.
PAST_ACK = DECIDED | {S.ACCEPTED, S.ADJUDICATED, S.APPEALED}


class PayerMessageHandling(CobHandling):
    async def _apply_next_message(self, seq: int) -> None:
        async with self._lock:
            if self._state.seq != seq or not self._state.pending:
                return
            message = self._state.pending.pop(0)
            if isinstance(message, Remittance):
                await self._apply_remittance(message)
            elif isinstance(message, ClaimStatusReport):
                await self._apply_claim_status(message)
            elif isinstance(message, Acknowledgment):
                await self._apply_acknowledgment(message)
            # (a 271 never waits here: ``eligibility_answer`` takes it at once)

    async def _apply_remittance(self, remittance: Remittance) -> None:
        status = self._state.status
        if self._cob and self._is_later_payers(remittance):
            await self._apply_later_payer(remittance)
            return
        if remittance.decision is Decision.REVERSAL:
            # A payer that reprocesses an appealed claim reverses the decision appealed
            # before it sends the new one (payers reverse, then correct).
            reversible = DECIDED | {S.APPEALED} if self._books else DECIDED
            if status not in reversible:
                await self._unexpected(remittance.remittance_id, "a reversal of no decision")
                return
            self._state.adjudication = remittance
            self._book(self._remittance_entries(remittance))
            self._restart_follow_up()
            await self._enter(S.ADJUDICATED, reason="reversal")
            return
        if status not in AWAITING_PAYER and status not in DECIDED:
            await self._unexpected(remittance.remittance_id, "a remittance")
            return
        recoupment = self._balances().recoupment_expected
        self._state.adjudication = remittance
        self._book(self._remittance_entries(remittance))
        self._state.payer_ccn = remittance.payer_claim_control_number or self._state.payer_ccn
        self._state.follow_up_due = None
        if status is not S.ADJUDICATED:
            await self._enter(S.ADJUDICATED)
        now = workflow.now()
        self._state.decided_at = now
        secondary, problem = self._coordinate(remittance) if self._cob else (None, None)
        if remittance.decision is Decision.PAID:
            self._state.appeal_deadline = None
            await self._enter(S.PAID)
            await self._alert_overpayment(remittance, recoupment)
            await self._decided(remittance, secondary, problem)
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
        await self._alert_overpayment(remittance, recoupment)
        await self._decided(remittance, secondary, problem)

    async def _decided(self, rem: Remittance, secondary: Claim | None, problem: str | None) -> None:
        """cob-v1: after this payer's decision, the next payer's turn (``claim_cob``); on a
        secondary claim, the primary is told."""
        if not self._cob:
            return
        await self._after_decision(secondary, problem)
        if self._state.primary_claim_id is not None:
            await self._tell_primary(rem)

    def _remittance_entries(self, remittance: Remittance) -> list[LedgerEntry]:
        return ledger.remittance_entries(self._pending_ledger(), remittance, at=workflow.now())

    async def _alert_overpayment(self, remittance: Remittance, before: Decimal) -> None:
        """A decision that superseded one the payer had paid, with no reversal between:
        the money is to be given back. Billers see it in the claim view (the ledger's
        recoupment); the alert makes sure someone looks."""
        after = self._balances().recoupment_expected
        if self._books and after > before:
            await self._alert(
                AlertKind.OVERPAYMENT,
                f"{remittance.remittance_id} (trace {remittance.trace_number or 'none'}) pays a "
                f"claim already paid without a reversal: {after - before} to be recouped "
                f"({after} in all)",
            )

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
        elif self._v3 and (report.accepted or report.category == "A1") and status in PAST_ACK:
            self._late(report.message_id, f"277CA {report.category}")
        else:
            await self._unexpected(report.message_id, f"a 277CA {report.category}")

    async def _apply_acknowledgment(self, ack: Acknowledgment) -> None:
        status = self._state.status
        if ack.accepted and status in AWAITING_PAYER:
            self._restart_follow_up()
        elif not ack.accepted and status is S.SUBMITTED:
            await self._enter(S.REJECTED, reason="999 rejected: " + "; ".join(ack.errors))
        elif self._v3 and ack.accepted and status in PAST_ACK | {S.REJECTED}:
            self._late(ack.message_id, "999 accepted")
        else:
            await self._unexpected(ack.message_id, "a 999")

    def _late(self, message_id: str, what: str) -> None:
        """Record an acknowledgment the payer has already overtaken (its files crossed):
        it agrees with what happened, so it is history, not an alarm."""
        self._state.late_messages.append(
            f"{what} {message_id} arrived while {self._state.status}; already overtaken"
        )

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
