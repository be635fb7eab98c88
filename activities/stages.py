"""Coding and scrubbing activities: thin wrappers over the pure checks in ``claims/``.

They run as activities rather than inline in the workflow because the code sets and edit
tables they consult change quarterly: an activity's result is recorded in history, so a
replay after a table update still sees the answer the claim was given at the time.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from pydantic import BaseModel
from temporalio import activity

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


class DuplicateIndex(Protocol):
    """Claims already on their way to a payer, by duplicate key."""

    def find(self, key: DuplicateKey) -> str | None: ...

    def register(self, claim_id: str, key: DuplicateKey) -> None: ...


class StageActivities:
    def __init__(self, duplicates: DuplicateIndex | None = None) -> None:
        self._duplicates = duplicates

    @activity.defn(name="check_coding")
    async def check_coding(self, inp: CodingInput) -> Report:
        return _counted(_check_coding(inp.claim))

    @activity.defn(name="scrub_claim")
    def scrub_claim(self, inp: ScrubInput) -> Report:
        """Scrub; a clean claim is then registered, so a later copy of it is a duplicate.

        Synchronous because the duplicate index is a database: it runs on the worker's
        thread pool. Registering is an upsert, so a retried activity registers once.
        """
        index = self._duplicates
        report = _scrub(
            inp.claim, today=inp.as_of, duplicate_of=index.find if index is not None else None
        )
        if report.ok and index is not None and inp.claim.claim_id is not None:
            index.register(inp.claim.claim_id, duplicate_key(inp.claim))
        return _counted(report)


def _counted(report: Report) -> Report:
    for finding in report.findings:
        FINDINGS.labels(report.stage, finding.code, finding.severity.value).inc()
    return report
