"""Every edge of the transition table, exercised on the real workflow; every refusal, checked.

The table in ``claims.status`` is the contract; these tests prove the workflow can make each
move it lists (and publishes it), and that each human action is refused, with no event and
no state change, from every resting status where the table does not allow it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError

from claims.model import Claim
from claims.status import TRANSITIONS
from claims.status import ClaimStatus as S
from tests.workflows.conftest import (
    REFUSED_ACCOUNT,
    Handle,
    Run,
    denial,
    new_claim,
    partial,
    payment,
    reversal,
    status_report,
    wait_status,
)
from tests.workflows.test_stuck_paths import with_member
from workflows.claim import ClaimWorkflow
from workflows.messages import AppealRequest, CorrectionRequest, VoidRequest, WriteOffRequest

pytestmark = [pytest.mark.stack, pytest.mark.timeout(120)]

EDGES = sorted((a, b) for a, targets in TRANSITIONS.items() for b in targets)
# Statuses the lifecycle passes through without waiting: reached only as a step of another.
TRANSIENT = {S.RECEIVED, S.CODED, S.SCRUBBED}


def covered(claim: Claim) -> Claim:
    """The claim with a member the payer covers (a held claim's correction)."""
    sub = claim.subscriber
    if not sub.member_id.startswith("INACTIVE"):
        return claim
    return claim.model_copy(update={"subscriber": sub.model_copy(update={"member_id": "XJH1"})})


def good(claim: Claim) -> Claim:
    fixed = {"diagnoses": ["E119"], "total_charge": claim.line_total}
    return covered(claim).model_copy(update=fixed)


def bad_code(claim: Claim) -> Claim:
    fixed = {"diagnoses": ["E11"], "total_charge": claim.line_total}
    return covered(claim).model_copy(update=fixed)


async def reach(run: Run, status: S) -> tuple[Claim, Handle]:
    """A claim resting in ``status``, got there the way a real one would."""
    if status is S.CODING_REVIEW:
        claim = new_claim(diagnoses=("E11",))
    elif status is S.SCRUB_FAILED:
        claim = new_claim(total_charge="999.00")
    elif status is S.ELIGIBILITY_HOLD:
        claim = new_claim(**with_member("INACTIVE1"))
    else:
        claim = new_claim()
    handle = await run.start(claim)
    if status in (S.CODING_REVIEW, S.SCRUB_FAILED, S.ELIGIBILITY_HOLD):
        await wait_status(handle, status)
        return claim, handle
    await wait_status(handle, S.SUBMITTED)
    then: dict[S, Callable[[], Awaitable[None]]] = {
        S.ACCEPTED: lambda: handle.signal(ClaimWorkflow.claim_status, status_report(claim, "A2")),
        S.REJECTED: lambda: handle.signal(ClaimWorkflow.claim_status, status_report(claim, "A3")),
        S.PAID: lambda: handle.signal(ClaimWorkflow.remittance, payment(claim)),
        S.PARTIALLY_PAID: lambda: handle.signal(ClaimWorkflow.remittance, partial(claim)),
        S.DENIED: lambda: handle.signal(ClaimWorkflow.remittance, denial(claim)),
    }
    if status in then:
        await then[status]()
    elif status is S.APPEALED:
        await handle.signal(ClaimWorkflow.remittance, denial(claim))
        await wait_status(handle, S.DENIED)
        await handle.execute_update(ClaimWorkflow.appeal, AppealRequest(reason="appeal"))
    elif status is S.ADJUDICATED:  # resting only after a reversal, awaiting the correction
        await handle.signal(ClaimWorkflow.remittance, payment(claim))
        await wait_status(handle, S.PAID)
        await handle.signal(ClaimWorkflow.remittance, reversal(claim))
    await wait_status(handle, status)
    return claim, handle


async def act(run: Run, claim: Claim, handle: Handle, source: S, target: S) -> None:
    """Do what moves a claim from ``source`` to ``target``."""
    correct = ClaimWorkflow.recode if source is S.CODING_REVIEW else ClaimWorkflow.correct
    if target is S.CODED:
        await handle.execute_update(correct, CorrectionRequest(claim=good(claim)))
    elif target is S.CODING_REVIEW:
        await handle.execute_update(correct, CorrectionRequest(claim=bad_code(claim)))
    elif target is S.WRITTEN_OFF:
        await handle.execute_update(ClaimWorkflow.write_off, WriteOffRequest(reason="test"))
    elif target is S.SCRUBBED:
        await handle.execute_update(ClaimWorkflow.replace, CorrectionRequest(claim=good(claim)))
    elif target is S.VOIDED:
        await handle.execute_update(ClaimWorkflow.void, VoidRequest(reason="test"))
    elif target is S.APPEALED:
        await handle.execute_update(ClaimWorkflow.appeal, AppealRequest(reason="test"))
    elif target is S.ACCEPTED:
        await handle.signal(ClaimWorkflow.claim_status, status_report(claim, "A2"))
    elif target is S.REJECTED:
        await handle.signal(ClaimWorkflow.claim_status, status_report(claim, "A3", "A3:21"))
    elif target is S.CLOSED:
        await run.env.sleep(dt.timedelta(days=91))
    elif target is S.ADJUDICATED and source in (S.PAID, S.PARTIALLY_PAID, S.DENIED):
        await handle.signal(ClaimWorkflow.remittance, reversal(claim))
    else:
        remittance = {S.PARTIALLY_PAID: partial, S.DENIED: denial}.get(target, payment)
        await handle.signal(ClaimWorkflow.remittance, remittance(claim))


@pytest.mark.parametrize(("source", "target"), EDGES, ids=[f"{a}-{b}" for a, b in EDGES])
async def test_transition(run: Run, source: S, target: S) -> None:
    if (source, target) == (S.SCRUBBED, S.WRITTEN_OFF):  # a payer outage, given up on
        run.payer.down = True
        claim = new_claim()
        handle = await run.start(claim)
        await wait_status(handle, S.SCRUBBED)
        await act(run, claim, handle, source, target)
    elif source in TRANSIENT:
        claim = {
            (S.RECEIVED, S.CODING_REVIEW): new_claim(diagnoses=("E11",)),
            (S.CODED, S.SCRUB_FAILED): new_claim(total_charge="999.00"),
            (S.SCRUBBED, S.SCRUB_FAILED): new_claim(account_number=f"{REFUSED_ACCOUNT}-1"),
            (S.SCRUBBED, S.ELIGIBILITY_HOLD): new_claim(**with_member("INACTIVE1")),
        }.get((source, target), new_claim())
        await run.start(claim)
    else:
        claim, handle = await reach(run, source)
        await act(run, claim, handle, source, target)
    for _ in range(200):
        if (source, target) in run.transitions(claim):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{source} -> {target} not in {run.transitions(claim)}")


RESTING = [S.CODING_REVIEW, S.SCRUB_FAILED, S.ELIGIBILITY_HOLD, S.SUBMITTED, S.ACCEPTED]
RESTING += [S.REJECTED, S.ADJUDICATED]
RESTING += [S.PAID, S.PARTIALLY_PAID, S.DENIED, S.APPEALED]


def actions(claim: Claim) -> dict[str, tuple[Any, Any]]:
    return {
        "recode": (ClaimWorkflow.recode, CorrectionRequest(claim=good(claim))),
        "correct": (ClaimWorkflow.correct, CorrectionRequest(claim=good(claim))),
        "appeal": (ClaimWorkflow.appeal, AppealRequest(reason="x")),
        "void": (ClaimWorkflow.void, VoidRequest(reason="x")),
        "replace": (ClaimWorkflow.replace, CorrectionRequest(claim=good(claim))),
        "write_off": (ClaimWorkflow.write_off, WriteOffRequest(reason="x")),
    }


# Written out here, not read from the workflow, so that the test states the intent.
AT_PAYER = {S.SUBMITTED, S.ACCEPTED, S.ADJUDICATED, S.PAID, S.PARTIALLY_PAID, S.DENIED, S.APPEALED}
ALLOWED = {
    "recode": {S.CODING_REVIEW},
    "correct": {S.SCRUB_FAILED, S.REJECTED, S.ELIGIBILITY_HOLD},
    "appeal": {S.DENIED, S.PARTIALLY_PAID},
    "void": AT_PAYER,
    "replace": AT_PAYER,
    "write_off": {
        S.SUBMITTED,
        S.ACCEPTED,
        S.ADJUDICATED,
        S.DENIED,
        S.PARTIALLY_PAID,
        S.APPEALED,
        S.CODING_REVIEW,
        S.SCRUB_FAILED,
        S.REJECTED,
        S.ELIGIBILITY_HOLD,
    },
}


@pytest.mark.parametrize("status", RESTING, ids=[s.value for s in RESTING])
async def test_refused_actions_change_nothing(run: Run, status: S) -> None:
    claim, handle = await reach(run, status)
    before = await handle.query(ClaimWorkflow.state)
    events_before = run.events(claim)
    refused = []
    for name, (update, request) in actions(claim).items():
        if status in ALLOWED[name]:
            continue
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await handle.execute_update(update, request)
        assert "refused" in str(err.value.cause), (name, err.value.cause)
        refused.append(name)
    assert refused, "every resting status refuses something"
    after = await handle.query(ClaimWorkflow.state)
    assert (after.status, after.seq, after.history) == (before.status, before.seq, before.history)
    assert run.events(claim) == events_before
    assert run.payer.appeals == [] or status is S.APPEALED
