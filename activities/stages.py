"""Coding and scrubbing activities: thin wrappers over the pure checks in ``claims/``.

They run as activities rather than inline in the workflow because the code sets and edit
tables they consult change quarterly: an activity's result is recorded in history, so a
replay after a table update still sees the answer the claim was given at the time.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel
from temporalio import activity

from claims.coding import check_coding as _check_coding
from claims.findings import Report
from claims.model import Claim
from claims.scrub import scrub as _scrub


class CodingInput(BaseModel):
    claim: Claim


class ScrubInput(BaseModel):
    claim: Claim
    # The workflow's date, so the same claim scrubs the same way on replay.
    as_of: dt.date


@activity.defn
async def check_coding(inp: CodingInput) -> Report:
    return _check_coding(inp.claim)


@activity.defn
async def scrub_claim(inp: ScrubInput) -> Report:
    return _scrub(inp.claim, today=inp.as_of)
