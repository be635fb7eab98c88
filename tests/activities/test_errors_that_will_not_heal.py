"""Which activity errors are retried and which are final: the general rule behind "no
claim is stuck". An error that is the claim's fault fails the activity non-retryable (the
workflow sends the claim to a person); an outage is raised as-is for Temporal to retry,
and a publish that keeps failing past the bound says so in the log."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.publishing import PublishActivities, PublishInput
from activities.stages import CHECK_FAILED, ScrubInput, StageActivities
from claims.duplicates import DuplicateKey
from claims.model import Claim
from claims.status import ClaimStatus
from events.contract import ClaimEventData, make_event
from tests.support import claim_payload


class BrokenIndex:
    def find(self, key: DuplicateKey) -> str | None:
        raise ConnectionError("database gone")

    def register(self, claim_id: str, key: DuplicateKey) -> None: ...

    def release(self, claim_id: str) -> None: ...


def scrub_input() -> ScrubInput:
    return ScrubInput(claim=Claim.model_validate(claim_payload()), as_of=dt.date.today())


async def test_a_check_that_crashes_on_a_claim_is_final_and_quotes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def crash(*_: Any, **__: Any) -> None:
        raise KeyError("Rivera")  # a message that may carry PHI

    monkeypatch.setattr("activities.stages._scrub", crash)
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(StageActivities().scrub_claim, scrub_input())
    assert err.value.type == CHECK_FAILED and err.value.non_retryable
    assert "KeyError" in err.value.message and "Rivera" not in err.value.message


async def test_an_outage_of_the_duplicate_index_is_retried() -> None:
    with pytest.raises(ConnectionError):
        await ActivityEnvironment().run(StageActivities(BrokenIndex()).scrub_claim, scrub_input())


class DownProducer:
    def publish(self, event: Any) -> Any:
        raise TimeoutError("no broker")


async def test_a_publish_failing_past_the_bound_is_logged_and_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = ClaimEventData(
        claim_id="C1", seq=3, status=ClaimStatus.CODED, payer_id="P", total_charge="1.00"
    )
    inp = PublishInput(event=make_event(time=dt.datetime.now(dt.UTC), data=data))
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, scheduled_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20), attempt=9
    )
    publishing = PublishActivities(DownProducer(), stall_after_s=600)  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR), pytest.raises(TimeoutError):
        await env.run(publishing.publish_event, inp)
    [record] = [r for r in caplog.records if "publishing" in r.getMessage()]
    assert "C1:3" in record.getMessage() and "attempt 9" in record.getMessage()
