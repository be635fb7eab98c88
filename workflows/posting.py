"""PostingWorkflow: post one inbound payer file (835, 277CA, 999) to its claims, completely.

A file is posted by a workflow, not a loop in a request handler, so that posting can't stop
half-way: if a process dies after the tenth claim of fifty, Temporal resumes at the
eleventh. Its id is the file's identity (an 835's TRN trace number), and the id is never
reused, so the same ERA cannot be posted twice.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.delivery import DeliverInput, DeliverResult, Delivery, DeliveryActivities
    from claims.payer_messages import PayerMessage
    from events.contract import Actor


BATCH = 100


def posting_workflow_id(file_id: str) -> str:
    return f"inbound-{file_id}"


class PostingInput(BaseModel):
    file_id: str
    messages: list[PayerMessage]
    # Who uploaded the file (set by the API from the credential; None: the inbound folder).
    actor: Actor | None = None


class PostingResult(BaseModel):
    file_id: str
    delivered: int
    unmatched: list[str]


@workflow.defn
class PostingWorkflow:
    @workflow.run
    async def run(self, inp: PostingInput) -> PostingResult:
        unmatched: list[str] = []
        # Batches keep the history short for an ERA of thousands of claims.
        for start in range(0, len(inp.messages), BATCH):
            batch = inp.messages[start : start + BATCH]
            result: DeliverResult = await workflow.execute_activity_method(
                DeliveryActivities.deliver_payer_messages,
                DeliverInput(file_id=inp.file_id, messages=batch),
                start_to_close_timeout=dt.timedelta(minutes=5),
                heartbeat_timeout=dt.timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_interval=dt.timedelta(seconds=30)),
            )
            unmatched.extend(
                m.claim_id
                for m, outcome in zip(batch, result.outcomes, strict=True)
                if outcome is Delivery.UNMATCHED
            )
        return PostingResult(
            file_id=inp.file_id,
            delivered=len(inp.messages) - len(unmatched),
            unmatched=unmatched,
        )
