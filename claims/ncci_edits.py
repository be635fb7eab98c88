"""The NCCI scrub edits: code pairs billed together (PTP) and units over the limit (MUE).

Both compare lines on the same date of service, taken as the line's from-date (professional
lines rarely span days; a span line is compared on its first day).

PTP: when a column 1 and a column 2 code of an edit in effect on that date are both on the
claim, the payer denies the column 2 line. Modifier indicator 0: nothing bypasses it.
Indicator 1: an NCCI PTP-associated modifier (59, XE, XS, XP, XU, anatomic, global-surgery,
27, 91) on either line bypasses it. Indicator 9: not applicable, never fires.

MUE: MAI 1 compares each line's units with the limit (a second line with a modifier such as
76 or RT is how more units are billed); MAI 2 and 3 sum the units of all lines with the code
on the date of service. All units over an MUE are denied, so each is an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from claims.findings import Finding, error
from claims.model import ServiceLine
from claims.modifiers import PTP_ASSOCIATED_MODIFIERS
from claims.ncci import MueTable, PtpEdit, PtpTable


def _first_in_effect(edits: tuple[PtpEdit, ...], day: dt.date) -> PtpEdit | None:
    for e in edits:
        if e.modifier_indicator != "9" and e.in_effect(day):
            return e
    return None


def ptp_findings(lines: Sequence[ServiceLine], ptp: PtpTable) -> list[Finding]:
    by_day: dict[dt.date, list[int]] = {}
    codes = ptp.codes
    for i, line in enumerate(lines):
        if line.procedure_code in codes:
            by_day.setdefault(line.service_date_from, []).append(i)
    findings: list[Finding] = []
    by_pair = ptp.by_pair
    for day, idx in by_day.items():
        if len(idx) < 2:
            continue
        for i in idx:
            for j in idx:
                if i == j:
                    continue
                c1, c2 = lines[i].procedure_code, lines[j].procedure_code
                edits = by_pair.get((c1, c2))
                if edits is None:
                    continue
                edit = _first_in_effect(edits, day)
                if edit is None:
                    continue
                if edit.modifier_indicator == "1" and _bypassed(lines[i], lines[j]):
                    continue
                findings.append(_ptp_finding(i, j, edit, day))
    return findings


def _bypassed(a: ServiceLine, b: ServiceLine) -> bool:
    return any(m in PTP_ASSOCIATED_MODIFIERS for m in a.modifiers) or any(
        m in PTP_ASSOCIATED_MODIFIERS for m in b.modifiers
    )


def _ptp_finding(i: int, j: int, edit: PtpEdit, day: dt.date) -> Finding:
    if edit.modifier_indicator == "0":
        how = "no modifier allows both (modifier indicator 0)"
    else:
        how = (
            "unless the services were distinct and an NCCI-associated modifier "
            "(59, XE, XS, XP, XU, anatomic) on either line says so (modifier indicator 1)"
        )
    why = f" ({edit.rationale})" if edit.rationale else ""
    return error(
        "SCRUB_NCCI_PTP",
        f"lines[{j}].procedure_code",
        f"{edit.column2} on line {j + 1} is bundled into {edit.column1} on line {i + 1} on "
        f"{day}: NCCI pays only the column 1 code{why}; {how}",
    )


def mue_findings(lines: Sequence[ServiceLine], mue: MueTable) -> list[Finding]:
    findings: list[Finding] = []
    per_day: dict[tuple[str, dt.date], list[int]] = {}
    by_code = mue.by_code
    for i, line in enumerate(lines):
        edit = by_code.get(line.procedure_code)
        if edit is None:
            continue
        if edit.mai == 1:
            if line.units > edit.limit:
                findings.append(
                    error(
                        "SCRUB_MUE_LINE",
                        f"lines[{i}].units",
                        f"{line.units} units of {edit.code} on one line exceed the MUE of "
                        f"{edit.limit}; bill further units on another line with a modifier "
                        "(such as 76, 91, RT/LT) when they were separate services",
                    )
                )
        else:
            per_day.setdefault((line.procedure_code, line.service_date_from), []).append(i)
    for (code, day), idx in per_day.items():
        edit = by_code[code]
        total = sum((lines[i].units for i in idx), Decimal(0))
        if total > edit.limit:
            kind = "policy" if edit.mai == 2 else "clinical"
            where = ("lines " if len(idx) > 1 else "line ") + ", ".join(str(i + 1) for i in idx)
            findings.append(
                error(
                    "SCRUB_MUE_DOS",
                    f"lines[{idx[0]}].units",
                    f"{total} units of {code} on {day} ({where}) exceed the MUE of "
                    f"{edit.limit} per date of service ({kind}, MAI {edit.mai}): all units "
                    "are denied, whatever the modifiers",
                )
            )
    return findings
