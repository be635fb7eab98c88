"""The scrub stage: would a payer's front end accept this claim as filed?

Each edit yields findings with a stable code, a severity, the JSON path of the field to fix
and a sentence a biller can act on. The edits, in order:

* claim arithmetic and dates (here): total charge equals the sum of the lines
  (``SCRUB_TOTAL_MISMATCH``), from <= to (``SCRUB_DATE_ORDER``), no date in the future
  (``SCRUB_DATE_FUTURE``), a replacement or void carries REF*F8 (``SCRUB_MISSING_F8``);
* parties (``claims.parties``): NPIs, required 837P fields, rendering provider rules;
* every value the 837P carries fits its X12 element (``claims.x12_values``): no
  delimiter, only the X12 character set, within the element's length;
* timely filing (``claims.timely_filing``);
* NCCI PTP and MUE (``claims.ncci_edits``) against ``tables``;
* duplicate claim (``SCRUB_DUPLICATE_CLAIM``), when a lookup is given.

It is a pure function of its arguments: ``today`` is passed in, never read from the clock,
and the tables are values, so a replayed workflow gets the same answer. The hot path
builds no pydantic models but the findings and the report, and compiles nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from claims.duplicates import DuplicateKey, duplicate_key
from claims.findings import Finding, Report, error, report
from claims.model import Claim
from claims.ncci import EditTables, default_tables
from claims.ncci_edits import mue_findings, ptp_findings
from claims.parties import npi_findings, rendering_findings, required_field_findings
from claims.timely_filing import timely_filing_findings
from claims.x12_values import x12_value_findings

# Given a claim's duplicate key, the id of a claim already known with that key, or None.
DuplicateLookup = Callable[[DuplicateKey], str | None]


def scrub(
    claim: Claim,
    *,
    today: dt.date,
    tables: EditTables | None = None,
    duplicate_of: DuplicateLookup | None = None,
) -> Report:
    """Scrub findings for ``claim`` as of ``today``.

    ``tables`` defaults to ``claims.ncci.default_tables()`` (``CLAIMFLOW_NCCI_DIR`` or the
    shipped samples). ``duplicate_of`` is the read model's lookup; without it the duplicate
    edit is not run.
    """
    edit_tables = tables if tables is not None else default_tables()
    findings: list[Finding] = []
    findings.extend(_claim_findings(claim, today))
    findings.extend(npi_findings(claim))
    findings.extend(required_field_findings(claim))
    findings.extend(rendering_findings(claim))
    findings.extend(x12_value_findings(claim))
    findings.extend(timely_filing_findings(claim, today))
    findings.extend(ptp_findings(claim.lines, edit_tables.ptp))
    findings.extend(mue_findings(claim.lines, edit_tables.mue))
    if duplicate_of is not None:
        findings.extend(duplicate_findings(claim, duplicate_of))
    return report("scrub", findings)


def _claim_findings(claim: Claim, today: dt.date) -> list[Finding]:
    findings: list[Finding] = []
    line_total = claim.line_total
    if line_total != claim.total_charge:
        findings.append(
            error(
                "SCRUB_TOTAL_MISMATCH",
                "total_charge",
                f"total charge {claim.total_charge} does not equal the sum of the line "
                f"charges {line_total}",
            )
        )
    if claim.frequency_code in ("7", "8") and not claim.payer_claim_control_number:
        findings.append(
            error(
                "SCRUB_MISSING_F8",
                "payer_claim_control_number",
                f"frequency code {claim.frequency_code} needs the payer claim control number "
                "(REF*F8) of the claim it replaces or voids",
            )
        )
    for i, line in enumerate(claim.lines):
        start, end = line.service_date_from, line.service_date_to
        if end is not None and end < start:
            findings.append(
                error(
                    "SCRUB_DATE_ORDER",
                    f"lines[{i}].service_date_to",
                    f"service date to {end} is before service date from {start}",
                )
            )
        if start > today:
            findings.append(
                error(
                    "SCRUB_DATE_FUTURE",
                    f"lines[{i}].service_date_from",
                    f"date of service {start} is in the future",
                )
            )
        elif end is not None and end > today:
            findings.append(
                error(
                    "SCRUB_DATE_FUTURE",
                    f"lines[{i}].service_date_to",
                    f"service date to {end} is in the future",
                )
            )
    return findings


def duplicate_findings(claim: Claim, duplicate_of: DuplicateLookup) -> list[Finding]:
    """Replacements and voids (7, 8) repeat their original by design, so they are exempt;
    a match on the claim's own id is the claim itself (a rescrub after a correction)."""
    if claim.frequency_code != "1":
        return []
    existing = duplicate_of(duplicate_key(claim))
    if existing is None or existing == claim.claim_id:
        return []
    return [
        error(
            "SCRUB_DUPLICATE_CLAIM",
            "frequency_code",
            f"claim {existing} already has the same patient, provider, dates of service and "
            "procedure codes; the payer would deny this one as a duplicate. If this corrects "
            "that claim, fix it there instead: `correct` it while it is REJECTED or "
            "SCRUB_FAILED, `replace` it once the payer has it. If that claim is dropped, "
            "void or write it off first: voided and written-off claims are not duplicates",
        )
    ]
