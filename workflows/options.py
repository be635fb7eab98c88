"""Timeouts and retry policies of the activities ClaimWorkflow runs, by kind of step.

Kept apart from the workflow so the choice is visible in one place: which steps may retry
for ever (publishing: the claim does not move until its event is out), which give up soon
enough to answer a person (updates), and which errors are final.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

# Pure checks: quick, and a failure is a bug or an outage, never the claim's fault.
CHECK_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": dt.timedelta(seconds=30),
    "retry_policy": RetryPolicy(maximum_interval=dt.timedelta(seconds=30)),
}
# Publishing must eventually succeed: the claim does not move until its event is out.
PUBLISH_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": dt.timedelta(seconds=30),
    "retry_policy": RetryPolicy(
        initial_interval=dt.timedelta(milliseconds=200),
        maximum_interval=dt.timedelta(seconds=10),
    ),
}
# A first submission may wait out a payer outage; a refusal is final.
SUBMIT_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": dt.timedelta(seconds=30),
    "retry_policy": RetryPolicy(
        maximum_interval=dt.timedelta(minutes=1), non_retryable_error_types=["PayerRefused"]
    ),
}
# Submissions made inside a person's update call give up soon enough to tell them.
INTERACTIVE_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": dt.timedelta(seconds=15),
    "schedule_to_close_timeout": dt.timedelta(minutes=2),
    "retry_policy": RetryPolicy(
        maximum_interval=dt.timedelta(seconds=10), non_retryable_error_types=["PayerRefused"]
    ),
}
# The eligibility activity bounds itself (settings.eligibility_timeout_seconds) and always
# returns an outcome; these only cover a worker lost mid-check. Past them the workflow
# treats the check as unanswered: eligibility must never hang a claim.
ELIGIBILITY_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": dt.timedelta(minutes=2),
    "retry_policy": RetryPolicy(maximum_attempts=3),
}

# Under LOCAL_STEPS the short steps (coding, scrubbing, publishing, submitting) run as local
# activities with the options above: in the worker that runs the workflow, inside its
# workflow task, with no task-queue round trip and no history events but a marker. A local
# activity retries inside the task up to this long, then backs off on a durable timer, so a
# long outage neither holds a workflow task for ever nor hides the claim's timers and signals.
LOCAL_RETRY_THRESHOLD = dt.timedelta(seconds=10)


def start_step(
    method: Callable[..., Any], arg: Any, options: dict[str, Any], *, local: bool
) -> workflow.ActivityHandle[Any]:
    """Start a short step as a local activity (``local``) or as an ordinary one.

    The same options serve both, so the retry policy (which errors are final, how long
    between tries) is the step's, whichever way it runs.
    """
    if local:
        return workflow.start_local_activity_method(
            method, arg, local_retry_threshold=LOCAL_RETRY_THRESHOLD, **options
        )
    return workflow.start_activity_method(method, arg, **options)
