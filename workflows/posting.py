"""PostingWorkflow: post one unit of an inbound payer file (an ERA, a 277CA, a 999), completely.

A unit is posted by a workflow, not a loop in a request handler, so that posting can't stop
half-way: if a process dies after the tenth page of fifty, Temporal resumes at the
eleventh. Its input is a reference (the unit's id and how many pages it has), never the
file or its messages: an ERA of any size posts in pages an activity reads from the stored
file, so neither the input nor the history grows with the file (long runs continue as new).
When the last page is delivered the unit is recorded as posted, and its file as taken once
all its units are.

The same unit is never posted twice: intake takes the unit's identity (payer id and trace
number) before it starts the workflow, and the workflow id is the unit's id.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.delivery import (
        DeliverInput,
        DeliverResult,
        Delivery,
        DeliveryActivities,
        FinishInput,
        PageInput,
        PageResult,
    )
    from claims.payer_messages import PayerMessage
    from workflows.posting_messages import PostingInput, PostingResult


BATCH = 100
_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": dt.timedelta(minutes=5),
    "heartbeat_timeout": dt.timedelta(seconds=30),
    "retry_policy": RetryPolicy(maximum_interval=dt.timedelta(seconds=30)),
}


def posting_workflow_id(unit_id: str) -> str:
    return f"inbound-{unit_id}"


@workflow.defn
class PostingWorkflow:
    @workflow.run
    async def run(self, inp: PostingInput) -> PostingResult:
        if inp.messages is not None:
            return await self._inline(inp.file_id, inp.messages)
        delivered, unmatched = inp.delivered, inp.unmatched_count
        for page in range(inp.next_page, inp.pages):
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(
                    inp.model_copy(
                        update={"next_page": page, "delivered": delivered,
                                "unmatched_count": unmatched}
                    )
                )  # fmt: skip
            result: PageResult = await workflow.execute_activity_method(
                DeliveryActivities.post_page, PageInput(unit_id=inp.file_id, page=page), **_OPTIONS
            )
            delivered += result.delivered
            unmatched += result.unmatched
        await workflow.execute_activity_method(
            DeliveryActivities.finish_posting,
            FinishInput(unit_id=inp.file_id, delivered=delivered, unmatched=unmatched),
            **_OPTIONS,
        )
        return PostingResult(file_id=inp.file_id, delivered=delivered, unmatched_count=unmatched)

    async def _inline(self, file_id: str, messages: list[PayerMessage]) -> PostingResult:
        unmatched: list[str] = []
        # Batches keep the history short for an ERA of thousands of claims.
        for start in range(0, len(messages), BATCH):
            batch = messages[start : start + BATCH]
            result: DeliverResult = await workflow.execute_activity_method(
                DeliveryActivities.deliver_payer_messages,
                DeliverInput(file_id=file_id, messages=batch),
                **_OPTIONS,
            )
            unmatched.extend(
                m.claim_id
                for m, outcome in zip(batch, result.outcomes, strict=True)
                if outcome is Delivery.UNMATCHED
            )
        return PostingResult(
            file_id=file_id,
            delivered=len(messages) - len(unmatched),
            unmatched=unmatched,
            unmatched_count=len(unmatched),
        )
