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
