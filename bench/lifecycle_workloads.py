"""The workloads lifecycle_bench measures: clean claims (before and after paths), the no-op,
the activity chain, the payer-message floor and the floor with events, each started and
followed the same way."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError
from ulid import ULID

from bench.baseline_workflows import (
    PAYER_MESSAGES,
    ActivityChainWorkflow,
    FloorWorkflow,
    MessagesWorkflow,
    NoopWorkflow,
)
from bench.lifecycle_measure import (
    completed,
    drive,
    upserted_status,
    wait_in_history,
)
from claims.model import Claim
from claims.status import ClaimStatus
from events.contract import ClaimEventData, make_event
from events.producer import EventProducer
from tests.support import claim_payload
from workflows.claim import ClaimWorkflow
from workflows.messages import ClaimWorkflowInput, workflow_id

RESULT_TIMEOUT_S = 120.0
# A clean claim's path, in order: the floor workload publishes these events.
CLEAN_PATH = tuple(
    ClaimStatus(s)
    for s in ("RECEIVED", "CODED", "SCRUBBED", "SUBMITTED", "ACCEPTED", "ADJUDICATED", "PAID")
)
# Where a clean claim may pass on its way to PAID (ACCEPTED: the payer acknowledged it).
CLEAN_STATUSES = frozenset(s.value for s in CLEAN_PATH)


def make_claims(n: int, tag: str) -> list[Claim]:
    """Clean claims that differ in member id, so the duplicate edit never fires."""
    claims = []
    for k in range(n):
        payload = claim_payload()
        payload["subscriber"]["member_id"] = f"BENCH{tag}{k:06d}"
        claims.append(Claim.model_validate(payload).with_id(str(ULID())))
    return claims


class FloorEvents:
    """The floor workload's local activity: one group of a clean claim's events, published
    as generously as the guarantee allows (``EventProducer.publish_many``: the group's
    lifecycle records in one wait, then its state records in another)."""

    def __init__(self, producer: EventProducer) -> None:
        self._producer = producer

    @activity.defn(name="bench_publish_events")
    def publish(self, claim_id: str, first_seq: int, count: int) -> int:
        now = dt.datetime.now(dt.UTC)
        group = [
            make_event(
                time=now,
                data=ClaimEventData(
                    claim_id=claim_id,
                    seq=seq,
                    status=CLEAN_PATH[seq - 1],
                    previous_status=CLEAN_PATH[seq - 2] if seq > 1 else None,
                    payer_id="SIMPAYER1",
                    total_charge=Decimal("150.00"),
                    outstanding_amount=Decimal(0 if seq == len(CLEAN_PATH) else 150),
                ),
            )
            for seq in range(first_seq, first_seq + count)
        ]
        return len(self._producer.publish_many(group))


@dataclass
class Workloads:
    client: Client
    claim_queue: str
    baseline_queue: str
    # The "before" installation: claims started with ``remote_steps`` on its own task
    # queue, answered by its own payer simulator, which sends a file per answer.
    before_queue: str = ""
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    # Status path of every claim that reached PAID, in order (index = seq - 1).
    paths: dict[str, list[str]] = field(default_factory=dict)
    # Activities each claim scheduled on its way to PAID; the chain runs as many.
    activities: dict[str, int] = field(default_factory=dict)
    chain_length: int = 0

    async def lifecycle(self, claim: Claim) -> None:
        """After: short steps as local activities, answers in check runs."""
        await self._lifecycle(claim, self.claim_queue, remote_steps=False)

    async def lifecycle_before(self, claim: Claim) -> None:
        """Before: every step an ordinary activity, a payer file per answer."""
        await self._lifecycle(claim, self.before_queue, remote_steps=True)

    async def _lifecycle(self, claim: Claim, queue: str, *, remote_steps: bool) -> None:
        assert claim.claim_id is not None
        handle = await self.client.start_workflow(
            ClaimWorkflow.run,
            ClaimWorkflowInput(claim=claim, remote_steps=remote_steps),
            id=workflow_id(claim.claim_id),
            task_queue=queue,
        )
        path: list[str] = []
        scheduled = 0

        def paid(event: HistoryEvent) -> bool:
            nonlocal scheduled
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                scheduled += 1
            status = upserted_status(event)
            if status is None:
                return False
            path.append(status)
            if status not in CLEAN_STATUSES:
                raise RuntimeError(f"claim {claim.claim_id} went {' > '.join(path)}")
            return status == "PAID"

        await asyncio.wait_for(wait_in_history(handle, paid), RESULT_TIMEOUT_S)
        self.paths[claim.claim_id] = path
        self.activities[claim.claim_id] = scheduled

    async def noop(self, key: str) -> None:
        handle = await self.client.start_workflow(
            NoopWorkflow.run, id=f"bench-noop-{self.tag}-{key}", task_queue=self.baseline_queue
        )
        await asyncio.wait_for(wait_in_history(handle, completed), RESULT_TIMEOUT_S)

    async def noop_result(self, key: str) -> None:
        """The no-op awaited with ``handle.result()``: what following the history costs."""
        handle = await self.client.start_workflow(
            NoopWorkflow.run, id=f"bench-noopr-{self.tag}-{key}", task_queue=self.baseline_queue
        )
        await asyncio.wait_for(handle.result(), RESULT_TIMEOUT_S)

    async def messages(self, key: str) -> None:
        """The floor: started, told the three payer messages by signals, done."""
        handle = await self.client.start_workflow(
            MessagesWorkflow.run,
            PAYER_MESSAGES,
            id=f"bench-msgs-{self.tag}-{key}",
            task_queue=self.baseline_queue,
        )
        await self._tell_payer_messages(handle)

    async def floor(self, key: str) -> None:
        """The floor with events: ``messages`` plus the clean claim's seven events on Kafka."""
        handle = await self.client.start_workflow(
            FloorWorkflow.run,
            str(ULID()),
            id=f"bench-floor-{self.tag}-{key}",
            task_queue=self.baseline_queue,
        )
        await self._tell_payer_messages(handle)

    async def _tell_payer_messages(self, handle: WorkflowHandle[Any, Any]) -> None:
        """The 999, 277CA and 835 by the ``payer_message`` signal, then wait for the end."""
        for kind in ("999", "277CA", "835")[:PAYER_MESSAGES]:
            await handle.signal("payer_message", kind)
        await asyncio.wait_for(wait_in_history(handle, completed), RESULT_TIMEOUT_S)

    async def chain(self, key: str) -> None:
        assert self.chain_length > 0, "run lifecycles first: they tell the chain's length"
        handle = await self.client.start_workflow(
            ActivityChainWorkflow.run,
            self.chain_length,
            id=f"bench-chain-{self.tag}-{key}",
            task_queue=self.baseline_queue,
        )
        await asyncio.wait_for(wait_in_history(handle, completed), RESULT_TIMEOUT_S)

    def keys(self, claims: Sequence[Claim]) -> list[tuple[str, int]]:
        """(claim id, seq) of every event the given claims published on their way to PAID."""
        return [
            (c.claim_id, seq)
            for c in claims
            if c.claim_id in self.paths
            for seq in range(1, len(self.paths[c.claim_id]) + 1)
        ]

    async def terminate(self, claims: Sequence[Claim], concurrency: int) -> None:
        """End the measured claims' workflows, which would otherwise wait 90 days to close."""

        async def one(claim: Claim) -> None:
            assert claim.claim_id is not None
            with contextlib.suppress(RPCError):  # already closed
                await self.client.get_workflow_handle(workflow_id(claim.claim_id)).terminate(
                    reason="benchmark finished"
                )

        await drive(claims, concurrency, one)
