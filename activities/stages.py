"""Coding and scrubbing activities: thin wrappers over the pure checks in ``claims/``.

They run as activities rather than inline in the workflow because the code sets and edit
tables they consult change quarterly: an activity's result is recorded in history, so a
replay after a table update still sees the answer the claim was given at the time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Protocol, TypeVar

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from claims.coding import check_coding as _check_coding
from claims.duplicates import DuplicateKey, duplicate_key
from claims.findings import Report
from claims.model import Claim
from claims.scrub import scrub as _scrub
from events.metrics import FINDINGS


class CodingInput(BaseModel):
    claim: Claim


class ScrubInput(BaseModel):
    claim: Claim
    # The workflow's date, so the same claim scrubs the same way on replay.
    as_of: dt.date


class ReleaseInput(BaseModel):
    claim_id: str


class DuplicateIndex(Protocol):
    """Claims already on their way to a payer, by duplicate key."""

    def find(self, key: DuplicateKey) -> str | None: ...

    def register(self, claim_id: str, key: DuplicateKey) -> None: ...

    def release(self, claim_id: str) -> None: ...


# Raised (non-retryable) when a pure check crashes on a claim: the same claim would crash it
# again on every retry, so retrying for ever would only hide it. The workflow sends the claim
# to a person (CODING_REVIEW or SCRUB_FAILED) with a finding instead.
CHECK_FAILED = "CheckFailed"

T = TypeVar("T")
log = logging.getLogger(__name__)


class _Outage(Exception):
    """Wraps an error of the duplicate index (a database): it may heal, so it is retried."""


def _checked(stage: str, check: Callable[[], T]) -> T:
    try:
        return check()
    except _Outage as exc:
        raise exc.__cause__ or exc from None
    except Exception as exc:
        # Only the type and place: the message of an error about a claim may quote its PHI.
        where = exc.__traceback__
        while where is not None and where.tb_next is not None:
            where = where.tb_next
        place = f"{where.tb_frame.f_code.co_filename}:{where.tb_lineno}" if where else "?"
        log.error("%s check crashed on a claim: %s at %s", stage, type(exc).__name__, place)
        raise ApplicationError(
            f"the {stage} check could not process this claim ({type(exc).__name__}); "
            "this is a defect in claimflow, reported to its operators",
            type=CHECK_FAILED,
            non_retryable=True,
        ) from None


class StageActivities:
    def __init__(self, duplicates: DuplicateIndex | None = None) -> None:
        self._duplicates = duplicates

    @activity.defn(name="check_coding")
    async def check_coding(self, inp: CodingInput) -> Report:
        return _checked("coding", lambda: _counted(_check_coding(inp.claim)))

    @activity.defn(name="scrub_claim")
    def scrub_claim(self, inp: ScrubInput) -> Report:
        """Scrub; a clean claim is then registered, so a later copy of it is a duplicate.

        Synchronous because the duplicate index is a database: it runs on the worker's
        thread pool. Registering is an upsert, so a retried activity registers once.
        """
        index = self._duplicates

        def find(key: DuplicateKey) -> str | None:
            assert index is not None
            try:
                return index.find(key)
            except Exception as exc:
                raise _Outage() from exc

        report = _checked(
            "scrub",
            lambda: _scrub(
                inp.claim, today=inp.as_of, duplicate_of=find if index is not None else None
            ),
        )
        if report.ok and index is not None and inp.claim.claim_id is not None:
            index.register(inp.claim.claim_id, duplicate_key(inp.claim))
        return _counted(report)

    @activity.defn(name="release_duplicate_key")
    def release_duplicate_key(self, inp: ReleaseInput) -> None:
        """A voided or written-off claim no longer stands in the way of a new one for the
        same service; deleting is idempotent, so a retry is harmless."""
        if self._duplicates is not None:
            self._duplicates.release(inp.claim_id)


def _counted(report: Report) -> Report:
    for finding in report.findings:
        FINDINGS.labels(report.stage, finding.code, finding.severity.value).inc()
    return report
