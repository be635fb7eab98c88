"""The coding stage: are the claim's codes real, billable code-set members?

* ICD-10-CM: format, existence and billability (a leaf) in the release covering the date of
  service (``claims.icd10``). A category such as E11 is refused with its more specific codes
  as candidates; a date of service outside the shipped release is a warning.
* CPT: format only. Its descriptions are AMA-licensed and claimflow ships none.
* HCPCS Level II: format, and existence in the loaded list (``claims.hcpcs``): a warning
  against the shipped sample, an error against a complete CMS file.
* Modifiers: format, known (``claims.modifiers``; unknown is a warning), not repeated.
* Diagnosis pointers: every line has one, none repeated, each names a diagnosis.

Findings are for a coder: ``CODING_REVIEW`` is where a claim with coding errors waits.
"""

from __future__ import annotations

import re

from claims.findings import Finding, Report, error, report, warning
from claims.hcpcs import CPT_FORMAT, HCPCS_FORMAT, HcpcsCodeSet, default_hcpcs
from claims.icd10 import MAX_CANDIDATES, SHIPPED_RELEASE, Icd10Release, Icd10Status, lookup
from claims.model import Claim, ServiceLine
from claims.modifiers import KNOWN_MODIFIERS

# ICD-10-CM: letter, digit, letter-or-digit, then up to four more characters (no dot).
ICD10CM = re.compile(r"^[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}$")
MODIFIER = re.compile(r"^[A-Z0-9]{2}$")


def check_coding(
    claim: Claim,
    *,
    hcpcs: HcpcsCodeSet | None = None,
    icd10_release: Icd10Release = SHIPPED_RELEASE,
) -> Report:
    """Coding findings for ``claim``.

    ``hcpcs`` defaults to ``claims.hcpcs.default_hcpcs()`` (``CLAIMFLOW_HCPCS_FILE`` or the
    shipped sample); ``icd10_release`` is the date range of the loaded ICD-10-CM release.
    """
    codes = hcpcs if hcpcs is not None else default_hcpcs()
    findings: list[Finding] = []
    for i, dx in enumerate(claim.diagnoses):
        findings.extend(_diagnosis_findings(i, dx, icd10_release))
    findings.extend(_release_range_findings(claim, icd10_release))
    for i, line in enumerate(claim.lines):
        findings.extend(_procedure_findings(i, line.procedure_code, codes))
        findings.extend(_modifier_findings(i, line))
        findings.extend(_pointer_findings(i, line, len(claim.diagnoses)))
    return report("coding", findings)


def shown(dx: str) -> str:
    """An ICD-10-CM code as people write it, and as the claim holds it: ``M54.5 (M545)``.

    Claims hold codes without the dot (the 837P's form); a FHIR Claim or a coder writes
    them with it. A finding names both, so the sender finds the value they wrote."""
    if len(dx) <= 3 or not ICD10CM.match(dx):
        return dx
    return f"{dx[:3]}.{dx[3:]} ({dx})"


def _diagnosis_findings(i: int, dx: str, release: Icd10Release) -> list[Finding]:
    field = f"diagnoses[{i}]"
    if not ICD10CM.match(dx):
        return [
            error(
                "CODE_ICD10_FORMAT",
                field,
                f"{dx!r} is not an ICD-10-CM code (letter, digit, then 1-5 characters, no dot)",
            )
        ]
    found = lookup(dx)
    if found.status is Icd10Status.UNKNOWN:
        return [
            error(
                "CODE_ICD10_UNKNOWN",
                field,
                f"{shown(dx)} is not an ICD-10-CM code in {release.name}",
            )
        ]
    if found.status is Icd10Status.NOT_BILLABLE:
        children = found.children[:MAX_CANDIDATES]
        more = ", ..." if len(found.children) > len(children) else ""
        return [
            error(
                "CODE_ICD10_NOT_BILLABLE",
                field,
                f"{shown(dx)} is not billable; more specific codes exist: "
                f"{', '.join(children)}{more}",
                candidates=children,
            )
        ]
    return []


def _release_range_findings(claim: Claim, release: Icd10Release) -> list[Finding]:
    for i, line in enumerate(claim.lines):
        for name, day in (("service_date_from", line.service_date_from),
                          ("service_date_to", line.service_date_to)):  # fmt: skip
            if day is not None and not release.covers(day):
                return [
                    warning(
                        "CODE_ICD10_RELEASE_RANGE",
                        f"lines[{i}].{name}",
                        f"date of service {day} is outside {release.name} "
                        f"({release.effective_from} to {release.effective_to}); diagnoses were "
                        "checked against that release and may be wrong for this date",
                    )
                ]
    return []


def _procedure_findings(i: int, code: str, codes: HcpcsCodeSet) -> list[Finding]:
    field = f"lines[{i}].procedure_code"
    if CPT_FORMAT.match(code):
        return []
    if HCPCS_FORMAT.match(code):
        if code in codes:
            return []
        make = error if codes.complete else warning
        return [make("CODE_HCPCS_UNKNOWN", field, f"{code} is not in {codes.source}")]
    return [
        error(
            "CODE_PROCEDURE_FORMAT",
            field,
            f"{code!r} is neither CPT (5 digits, or 4 digits + F/T) nor HCPCS Level II "
            "(letter + 4 digits)",
        )
    ]


def _modifier_findings(i: int, line: ServiceLine) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[str] = set()
    for j, mod in enumerate(line.modifiers):
        field = f"lines[{i}].modifiers[{j}]"
        if not MODIFIER.match(mod):
            findings.append(
                error("CODE_MODIFIER_FORMAT", field, f"{mod!r} is not a two-character modifier")
            )
        elif mod in seen:
            findings.append(
                error("CODE_MODIFIER_REPEATED", field, f"modifier {mod} appears twice on the line")
            )
        elif mod not in KNOWN_MODIFIERS:
            findings.append(
                warning("CODE_MODIFIER_UNKNOWN", field, f"{mod} is not a modifier claimflow knows")
            )
        seen.add(mod)
    return findings


def _pointer_findings(i: int, line: ServiceLine, n_diagnoses: int) -> list[Finding]:
    field = f"lines[{i}].diagnosis_pointers"
    pointers = line.diagnosis_pointers
    if not pointers:
        return [error("CODE_POINTER_MISSING", field, "the line points at no diagnosis")]
    findings: list[Finding] = []
    if len(set(pointers)) != len(pointers):
        findings.append(
            error("CODE_POINTER_REPEATED", field, "a diagnosis pointer is repeated on the line")
        )
    for j, p in enumerate(pointers):
        if not 1 <= p <= n_diagnoses:
            findings.append(
                error(
                    "CODE_POINTER_RANGE",
                    f"{field}[{j}]",
                    f"pointer {p} names no diagnosis (the claim has {n_diagnoses})",
                )
            )
    return findings
