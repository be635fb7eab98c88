"""Timely filing: a payer refuses a first submission sent too long after the service.

The limit is the payer's ``filing_limit_days`` (contract terms on ``Payer``), counted in
calendar days from the date of service. A line is late when ``today`` is after its
deadline; a claim filed on the deadline day itself is on time. For a line that spans days
the from-date is used: it is the earliest date, so the deadline is never overstated.
"""

from __future__ import annotations

import datetime as dt

from claims.findings import Finding, error
from claims.model import Claim


def filing_deadline(service_date: dt.date, limit_days: int) -> dt.date:
    """The last day a claim for ``service_date`` may be filed."""
    return service_date + dt.timedelta(days=limit_days)


def claim_filing_deadline(claim: Claim) -> dt.date:
    """The claim's deadline: that of its earliest line (the one that runs out first)."""
    return filing_deadline(claim.first_service_date, claim.payer.filing_limit_days)


def timely_filing_findings(claim: Claim, today: dt.date) -> list[Finding]:
    findings: list[Finding] = []
    limit = claim.payer.filing_limit_days
    for i, line in enumerate(claim.lines):
        deadline = filing_deadline(line.service_date_from, limit)
        if today > deadline:
            findings.append(
                error(
                    "SCRUB_TIMELY_FILING",
                    f"lines[{i}].service_date_from",
                    f"date of service {line.service_date_from} is past {claim.payer.name}'s "
                    f"{limit}-day filing limit: the last day to file was {deadline}",
                )
            )
    return findings
