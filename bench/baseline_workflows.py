"""Baseline workflows for bench/lifecycle_bench.py: what Temporal alone costs.

They live in a module of their own, importing nothing but temporalio and the standard
library, because the workflow sandbox re-imports a workflow's module for every run: a module
that pulled in pydantic or claimflow would make the baseline pay for imports that
ClaimWorkflow (which passes its imports through) does not, and a workflow defined in
``__main__`` cannot be re-imported at all.

- ``NoopWorkflow`` is the denominator: start, complete, nothing else.
- ``ActivityChainWorkflow`` runs as many trivial activities, one after another, as a clean
  claim runs real ones (one publish per transition, coding, scrub, submission; the benchmark
  counts them in a warm-up claim's history). Between the two it shows how much of a
  lifecycle is Temporal's per-activity round trips and how much is our code.
- ``MessagesWorkflow`` is the floor of any design in which a claim hears its payer: started,
  then told three things (the 999, the 277CA and the 835 of a clean claim) by signals, as the
  posting workflows tell a claim, and done. No activity, no event, no Kafka. Whatever a
  lifecycle costs above the no-op, at least this much of it is Temporal's alone.
- ``FloorWorkflow`` is ``MessagesWorkflow`` plus what no design may drop while keeping the
  guarantee that the event is on Kafka before the status moves: a clean claim's seven
  events, published by local activities and awaited, grouped as generously as the
  guarantee allows (the moves the claim makes on its own in one group, then the moves each
  payer message allows; each group in two waits). No coding, scrub, X12, eligibility,
  posting or search attributes.
"""

from __future__ import annotations

import datetime as dt

from temporalio import activity, workflow


@activity.defn(name="bench_noop")
def noop_activity(step: int) -> int:
    """Synchronous like publish_event and scrub_claim, so it takes the same thread-pool path."""
    return step


@workflow.defn(name="BenchNoop")
class NoopWorkflow:
    @workflow.run
    async def run(self) -> None:
        return None


@workflow.defn(name="BenchActivityChain")
class ActivityChainWorkflow:
    @workflow.run
    async def run(self, steps: int) -> int:
        done = 0
        for step in range(steps):
            done += await workflow.execute_activity(
                noop_activity, step, start_to_close_timeout=dt.timedelta(seconds=30)
            )
        return done


# A clean claim hears three payer messages on its way to PAID: the 999, the 277CA, the 835.
PAYER_MESSAGES = 3


@workflow.defn(name="BenchMessages")
class MessagesWorkflow:
    def __init__(self) -> None:
        self._heard = 0

    @workflow.signal(name="payer_message")
    def payer_message(self, _kind: str) -> None:
        self._heard += 1

    @workflow.run
    async def run(self, expected: int) -> int:
        await workflow.wait_condition(lambda: self._heard >= expected)
        return self._heard


# A clean claim's events, grouped by what lets the claim make those moves: its own steps
# (RECEIVED, CODED, SCRUBBED, SUBMITTED), then the 999 (ACCEPTED), the 277CA (no move) and
# the 835 (ADJUDICATED, PAID).
CLEAN_EVENT_GROUPS = (4, 1, 0, 2)


@workflow.defn(name="BenchFloor")
class FloorWorkflow:
    def __init__(self) -> None:
        self._heard = 0

    @workflow.signal(name="payer_message")
    def payer_message(self, _kind: str) -> None:
        self._heard += 1

    @workflow.run
    async def run(self, claim_id: str) -> int:
        published = 0
        for heard, events in enumerate(CLEAN_EVENT_GROUPS):
            await self._hear(heard)
            if events:
                # By name: the activity builds claimflow events, which this module must not
                # import (see the module's docstring).
                published += await workflow.execute_local_activity(
                    "bench_publish_events",
                    args=[claim_id, published + 1, events],
                    result_type=int,
                    start_to_close_timeout=dt.timedelta(seconds=30),
                )
        return published

    async def _hear(self, messages: int) -> None:
        await workflow.wait_condition(lambda: self._heard >= messages)
