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
import contextlib
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.publishing import AlertInput, PublishActivities, PublishInput
    from activities.stages import ReleaseInput, StageActivities
    from claims import ledger
    from claims.findings import Finding
    from claims.ledger import LedgerBalances, LedgerEntry
    from claims.model import Claim
    from claims.status import ClaimStatus, check_transition
    from events.contract import (
        Actor,
        AdjustmentData,
        AlertKind,
        ClaimAlertData,
        ClaimEventData,
        FindingData,
        RemittanceData,
        make_alert,
        make_event,
    )
    from events.view import ClaimView, claim_view
    from workflows.messages import ActionResult, ClaimState, StageEntry
    from workflows.options import CHECK_OPTIONS, PUBLISH_OPTIONS, start_step

S = ClaimStatus
T = TypeVar("T")

# Histories recorded before follow-ups, reminders, settlement and continue-as-new existed
# replay without this marker and take the original path (see tests/workflows/test_replay.py).
LIFECYCLE_V2 = "lifecycle-v2"
# Write-offs above the threshold wait for a supervisor (an alert, a pending request, and the
# approve/reject updates). Only requests that carry a threshold reach it.
WRITE_OFF_APPROVAL = "write-off-approval"
# Claims started with the ledger: a reversal is taken while APPEALED (a payer reprocessing an
# appealed claim), and an overpayment raises an alert. Older histories take neither path.
LEDGER_V1 = "ledger-v1"
# Without this one, the path before: a refused submission failed the workflow, payer
# messages that crossed were alerts, a correction was released before it had been coded,
# nothing watched for stalled steps, and voided claims stayed in the duplicate index.
LIFECYCLE_V3 = "lifecycle-v3"
# Coding, scrubbing, publishing, submitting and releasing the duplicate key run as local
# activities (``workflows.options.start_step``): the same code in the same worker, without
# a task-queue round trip each. Older histories scheduled them as ordinary activities.
LOCAL_STEPS = "local-steps"

CLAIM_STATUS = SearchAttributeKey.for_keyword("ClaimStatus")
PAYER_ID = SearchAttributeKey.for_keyword("PayerId")
APPEAL_DEADLINE = SearchAttributeKey.for_datetime("AppealDeadline")
OUTSTANDING = SearchAttributeKey.for_float("OutstandingAmount")

# Where a payer message is expected: the claim waits here, chasing the payer if it is silent.
AWAITING_PAYER = frozenset({S.SUBMITTED, S.ACCEPTED, S.APPEALED, S.ADJUDICATED})
# Where a payer decision stands and may still be reversed or corrected.
DECIDED = frozenset({S.PAID, S.PARTIALLY_PAID, S.DENIED})
# Ends after which nobody pursues the claim: it leaves the duplicate index.
RELEASED = frozenset({S.VOIDED, S.WRITTEN_OFF})


def refuse(message: str, kind: str = "ActionRefused") -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


# What awaiting a failed step raises. An ordinary activity's failure comes wrapped in an
# ActivityError; a local activity's (LOCAL_STEPS) arrives as the activity's ApplicationError
# itself, unwrapped. Code that turns a step's refusal into a finding catches both.
STEP_FAILED = (ActivityError, ApplicationError)


def refusal(exc: BaseException, *kinds: str) -> str | None:
    """The message of a step's non-retryable refusal of one of ``kinds``, else None."""
    cause = exc.cause if isinstance(exc, ActivityError) else exc
    if isinstance(cause, ApplicationError) and cause.type in kinds:
        return cause.message
    return None


class ClaimCore:
    """State and transitions shared by the parts of ClaimWorkflow (not a workflow itself)."""

    _claim_id: str
    _state: ClaimState
    _use_search_attributes: bool
    _history_limit: int
    _lock: asyncio.Lock
    # Set while an update handler talks to the payer for a move it has not made yet.
    _in_flight: str | None
    # workflow.patched(LIFECYCLE_V2) and (V3), decided once at the start of the run.
    _v2: bool
    _v3: bool
    # workflow.patched(LEDGER_V1), likewise.
    _books: bool
    # workflow.patched(LOCAL_STEPS) (and the input did not ask for ordinary activities).
    _local: bool
    _stall_after: dt.timedelta

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
        actor: Actor | None = None,
        stages: tuple[str, ...] = (),
    ) -> None:
        """Move to ``target``: check the table, publish the event, then change the state.

        ``findings`` are those of ``stages`` (each finding's stage is its report's), so the
        event carries complete reports. The event also carries the ledger entries booked
        since the last one, the claim's charges first (re-billed if a correction changed
        them).
        """
        check_transition(self._state.status, target)
        seq = self._state.seq + 1
        now = workflow.now()
        lines = [(line.procedure_code, line.charge) for line in self._claim.lines]
        charges = ledger.charge_entries(self._ledger(), lines, at=now)
        booked = charges + ledger.renumber(self._state.unposted, after=self._ledger() + charges)
        data = self._event_data(target, seq, findings, reason, stages, tuple(booked))
        if actor is not None:
            data = data.model_copy(update={"actor": actor})
        event = make_event(time=now, data=data)
        await self._step(
            PublishActivities.publish_event, PublishInput(event=event), PUBLISH_OPTIONS
        )
        # Only now, with the event on every in-sync replica, does the state move.
        self._state.seq = seq
        self._state.status = target
        self._state.history.append(
            StageEntry(seq=seq, status=target, at=now, reason=reason, actor=actor)
        )
        self._state.events.append(event)
        self._state.unposted = []
        # A write-off request waits on the claim as it was; once the claim moves, it lapses.
        self._state.pending_write_off = None
        self._upsert_search_attributes()
        if self._v3 and target in RELEASED:
            await self._call(
                "releasing the duplicate key",
                lambda: self._step(
                    StageActivities.release_duplicate_key,
                    ReleaseInput(claim_id=self._claim_id),
                    CHECK_OPTIONS,
                ),
            )

    def _step(
        self, method: Callable[..., Any], arg: Any, options: dict[str, Any]
    ) -> workflow.ActivityHandle[Any]:
        """Start a short step: a local activity under LOCAL_STEPS, else an ordinary one."""
        return start_step(method, arg, options, local=self._local)

    async def _call(
        self,
        what: str,
        start: Callable[[], workflow.ActivityHandle[T]],
        *,
        wanted: Callable[[], bool] | None = None,
    ) -> T | None:
        """Run an activity that talks to another system and retries through its outages.

        Past the stall bound an ``activity_stalled`` alert goes out once and the claim's view
        says what it waits on; the activity keeps retrying. If ``wanted()`` turns false (a
        person wrote the claim off, the payer spoke meanwhile) the activity is cancelled and
        None returned. Errors that will not heal are the activity's to raise non-retryable.
        """
        handle = start()
        if not self._v3:
            return await handle

        def settled() -> bool:
            return handle.done() or (wanted is not None and not wanted())

        alerted = False
        while not settled():
            try:
                await workflow.wait_condition(
                    settled, timeout=None if alerted else self._stall_after
                )
            except TimeoutError:
                alerted = True
                since = (workflow.now() - self._stall_after).isoformat(timespec="seconds")
                self._state.stalled = f"{what} (failing since {since})"
                await self._alert(
                    AlertKind.ACTIVITY_STALLED,
                    f"{what} has kept failing for {self._stall_after}; still retrying "
                    "(is the system it talks to down?)",
                )
        self._state.stalled = None
        if not handle.done():
            handle.cancel()
            with contextlib.suppress(asyncio.CancelledError, *STEP_FAILED):
                await handle
            return None
        return await handle

    # ----------------------------------------------------------------- money

    def _ledger(self) -> list[LedgerEntry]:
        """Every entry posted with an event so far (the unposted ones are not yet)."""
        return [entry for event in self._state.events for entry in event.data.ledger]

    def _book(self, entries: list[LedgerEntry]) -> None:
        """Entries for the next event (``_enter`` numbers them after its charges)."""
        self._state.unposted.extend(entries)

    def _pending_ledger(self) -> list[LedgerEntry]:
        return self._ledger() + self._state.unposted

    def _balances(self, extra: tuple[LedgerEntry, ...] = ()) -> LedgerBalances:
        return ledger.balances(self._ledger() + list(extra))

    def _view(self) -> ClaimView:
        """The claim view, folded from this claim's events by the function the read model
        uses too (``events.view.claim_view``), plus what is live and not a transition: the
        follow-up timer, a write-off waiting for approval, late messages, a stalled step."""
        st = self._state
        if not st.events:
            view = ClaimView(
                claim_id=self._claim_id, status=st.status or S.RECEIVED, seq=0,
                payer_id=self._claim.payer.payer_id, total_charge=self._claim.total_charge,
                outstanding_amount=self._claim.total_charge,
            )  # fmt: skip
        else:
            view = claim_view(st.events)
        return view.model_copy(
            update={
                "follow_up_due": st.follow_up_due,
                "pending_write_off": st.pending_write_off,
                "late_messages": list(st.late_messages),
                "stalled": st.stalled,
            }
        )

    async def _alert(
        self,
        kind: AlertKind,
        message: str,
        *,
        due: dt.datetime | None = None,
        days_left: int | None = None,
        amount: Decimal | None = None,
        actor: Actor | None = None,
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
                claim_seq=self._state.seq,
                amount=amount,
                actor=actor,
            ),
        )
        await self._step(PublishActivities.publish_alert, AlertInput(alert=alert), PUBLISH_OPTIONS)

    def _event_data(
        self,
        target: ClaimStatus,
        seq: int,
        findings: tuple[Finding, ...],
        reason: str | None,
        stages: tuple[str, ...],
        booked: tuple[LedgerEntry, ...],
    ) -> ClaimEventData:
        claim = self._claim
        rem = self._state.adjudication
        money = self._balances(booked)
        decided = any(e.remittance_id for e in self._ledger() + list(booked))
        stage_of = {f: stage for stage in stages for f in self._stage_findings(stage)}
        return ClaimEventData(
            claim_id=self._claim_id,
            seq=seq,
            status=target,
            previous_status=self._state.status,
            payer_id=claim.payer.payer_id,
            total_charge=claim.total_charge,
            paid_amount=money.paid if decided else None,
            patient_responsibility=money.patient_responsibility if decided else None,
            outstanding_amount=money.outstanding,
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
                    stage=stage_of.get(f),
                )
                for f in findings
            ),
            appeal_level=self._state.appeal_level,
            reason=reason,
            frequency_code=claim.frequency_code,
            appeal_deadline=self._state.appeal_deadline,
            patient_balance=money.patient_balance if decided else None,
            recoupment_expected=money.recoupment_expected if decided else None,
            stages=stages,
            remittance=(
                RemittanceData(
                    remittance_id=rem.remittance_id,
                    decision=rem.decision,
                    status_code=rem.status_code,
                    trace_number=rem.trace_number,
                    payment_id=rem.payment.payment_id if rem.payment else None,
                    total_charge=rem.total_charge,
                    paid_amount=rem.paid_amount,
                    patient_responsibility=rem.patient_responsibility,
                    remark_codes=rem.remark_codes,
                )  # fmt: skip
                if rem
                else None
            ),
            ledger=booked,
            primary_claim_id=self._state.primary_claim_id,
            secondary_claim_id=self._state.secondary_claim_id,
            crossover_payer_id=self._state.crossover_payer_id,
            eligibility=self._state.eligibility,
        )

    def _stage_findings(self, stage: str) -> tuple[Finding, ...]:
        report = self._state.reports.get(stage)
        return report.findings if report else ()

    def _outstanding(self) -> Decimal:
        return self._balances().outstanding

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
