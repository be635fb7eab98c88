"""What every part of ClaimWorkflow shares: its state, and the one way a status changes.

ClaimWorkflow is assembled from three parts (the lifecycle loop in ``claim.py``, payer
messages in ``claim_payer.py``, human actions in ``claim_actions.py``) that all read and
change one ``ClaimState``. This base holds that state's declaration and the moves all of
them make: entering a status (``_enter``: check the table, publish, then change), raising
an alert, and keeping the search attributes current.

Concurrency: update handlers and the main loop both change state, and both await
activities. Every change happens under ``_lock`` and re-checks the status it expects after
taking it, because the other side may have moved the claim while this one waited.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.publishing import AlertInput, PublishActivities, PublishInput
    from claims.findings import Finding
    from claims.model import Claim
    from claims.remittance import payer_balance
    from claims.status import ClaimStatus, check_transition
    from events.contract import (
        AdjustmentData,
        AlertKind,
        ClaimAlertData,
        ClaimEventData,
        FindingData,
        make_alert,
        make_event,
    )
    from workflows.messages import ActionResult, ClaimState, StageEntry
    from workflows.options import PUBLISH_OPTIONS

S = ClaimStatus

# Histories recorded before follow-ups, reminders, settlement and continue-as-new existed
# replay without this marker and take the original path (see tests/workflows/test_replay.py).
LIFECYCLE_V2 = "lifecycle-v2"

CLAIM_STATUS = SearchAttributeKey.for_keyword("ClaimStatus")
PAYER_ID = SearchAttributeKey.for_keyword("PayerId")
APPEAL_DEADLINE = SearchAttributeKey.for_datetime("AppealDeadline")
OUTSTANDING = SearchAttributeKey.for_float("OutstandingAmount")

# Where a payer message is expected: the claim waits here, chasing the payer if it is silent.
AWAITING_PAYER = frozenset({S.SUBMITTED, S.ACCEPTED, S.APPEALED, S.ADJUDICATED})
# Where a payer decision stands and may still be reversed or corrected.
DECIDED = frozenset({S.PAID, S.PARTIALLY_PAID, S.DENIED})


def refuse(message: str, kind: str = "ActionRefused") -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


class ClaimCore:
    """State and transitions shared by the parts of ClaimWorkflow (not a workflow itself)."""

    _claim_id: str
    _state: ClaimState
    _use_search_attributes: bool
    _history_limit: int
    _lock: asyncio.Lock
    # Set while an update handler talks to the payer for a move it has not made yet.
    _in_flight: str | None
    # workflow.patched(LIFECYCLE_V2), decided once at the start of the run.
    _v2: bool

    @property
    def _claim(self) -> Claim:
        return self._state.claim

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
            # The read model's appeal-deadline queue needs it: payer terms are not in events.
            appeal_deadline=(
                self._state.appeal_deadline if target in (S.DENIED, S.PARTIALLY_PAID) else None
            ),
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

    def _result(self) -> ActionResult:
        status = self._state.status
        assert status is not None
        return ActionResult(claim_id=self._claim_id, status=status, seq=self._state.seq)

    # ----------------------------------------------------------------- waiting

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

    def _restart_follow_up(self) -> None:
        if self._v2:
            self._state.follow_up_due = self._follow_up_from(workflow.now())
