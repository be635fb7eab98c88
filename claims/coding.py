"""The coding stage: are the claim's codes real, billable code-set members?

* ICD-10-CM: format, existence and billability (a leaf) in the release covering each
  line's date of service (``claims.icd10``: the shipped release and CMS order files). A
  category such as E11 is refused with its more specific codes as candidates. A date no
  loaded release covers is one warning per claim naming the missing fiscal year and how
  to load it (the codes are checked against the nearest release meanwhile).
* CPT: format only. Its descriptions are AMA-licensed and claimflow ships none.
* HCPCS Level II: format, existence in the loaded list and, from a CMS file, its add and
  termination dates against the line's date of service (``claims.hcpcs``): a warning
  against the shipped sample, an error against a complete CMS file.
* Modifiers: format, known (``claims.modifiers``; unknown is a warning), not repeated.
* Diagnosis pointers: every line has one, none repeated, each names a diagnosis.

Findings are for a coder: ``CODING_REVIEW`` is where a claim with coding errors waits.
"""

from __future__ import annotations

import re

from claims.findings import Finding, Report, error, report, warning
from claims.hcpcs import (
    CPT_FORMAT,
    HCPCS_FORMAT,
    HcpcsCodeSet,
    default_hcpcs,
    hcpcs_date_findings,
)
from claims.icd10 import (
    ICD10CM_DIR_ENV,
    MAX_CANDIDATES,
    Icd10Release,
    Icd10Releases,
    Icd10Status,
    default_releases,
    fiscal_year,
    fiscal_year_range,
)
from claims.model import Claim, ServiceLine
from claims.modifiers import KNOWN_MODIFIERS

# ICD-10-CM: letter, digit, letter-or-digit, then up to four more characters (no dot).
ICD10CM = re.compile(r"^[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}$")
MODIFIER = re.compile(r"^[A-Z0-9]{2}$")


def check_coding(
    claim: Claim,
    *,
    hcpcs: HcpcsCodeSet | None = None,
    icd10: Icd10Releases | None = None,
) -> Report:
    """Coding findings for ``claim``.

    ``hcpcs`` defaults to ``claims.hcpcs.default_hcpcs()`` (``CLAIMFLOW_HCPCS_FILE`` or the
    shipped sample); ``icd10`` to ``claims.icd10.default_releases()`` (the shipped release
    and ``CLAIMFLOW_ICD10CM_DIR``).
    """
    codes = hcpcs if hcpcs is not None else default_hcpcs()
    releases = icd10 if icd10 is not None else default_releases()
    findings: list[Finding] = []
    by_diagnosis, missing = _releases_by_diagnosis(claim, releases)
    for i, dx in enumerate(claim.diagnoses):
        seen: set[str] = set()
        for release in by_diagnosis[i]:
            for finding in _diagnosis_findings(i, dx, release):
                if finding.message not in seen:
                    seen.add(finding.message)
                    findings.append(finding)
    findings.extend(_missing_release_findings(missing, releases))
    for i, line in enumerate(claim.lines):
        findings.extend(_procedure_findings(i, line.procedure_code, codes))
        findings.extend(hcpcs_date_findings(i, line, codes))
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
    found = release.lookup(dx)
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
                f"{', '.join(children)}{more} ({release.name})",
                candidates=children,
            )
        ]
    return []


def _releases_by_diagnosis(
    claim: Claim, releases: Icd10Releases
) -> tuple[list[list[Icd10Release]], dict[int, list[tuple[int, str]]]]:
    """For each diagnosis, the releases of the lines that point at it (the claim's first
    date when none does); and each fiscal year no release covers, with the lines dated in
    it (line index, field)."""
    missing: dict[int, list[tuple[int, str]]] = {}
    line_release: list[Icd10Release] = []
    for i, line in enumerate(claim.lines):
        day = line.service_date_from
        release = releases.for_date(day)
        if release is None:
            missing.setdefault(fiscal_year(day), []).append((i, "service_date_from"))
            release = releases.nearest(day)
        line_release.append(release)
    out: list[list[Icd10Release]] = []
    for d in range(len(claim.diagnoses)):
        chosen = [line_release[i] for i, line in enumerate(claim.lines)
                  if d + 1 in line.diagnosis_pointers]  # fmt: skip
        out.append(list(dict.fromkeys(chosen or line_release[:1])))
    return out, missing


def _missing_release_findings(
    missing: dict[int, list[tuple[int, str]]], releases: Icd10Releases
) -> list[Finding]:
    """One warning per claim, however many lines and years lack their release."""
    if not missing:
        return []
    years = sorted(missing)
    first_line, name = missing[years[0]][0]
    spans = "; ".join(
        f"FY{y} ({fiscal_year_range(y)[0]} to {fiscal_year_range(y)[1]}: line(s) "
        f"{', '.join(str(i + 1) for i, _ in missing[y])})"
        for y in years
    )
    files = ", ".join(f"icd10cm_order_{y}.txt" for y in years)
    loaded = ", ".join(f"FY{r.fiscal_year}" for r in releases.releases)
    return [
        warning(
            "CODE_ICD10_RELEASE_MISSING",
            f"lines[{first_line}].{name}",
            f"no ICD-10-CM release loaded covers {spans}; loaded: {loaded}. The diagnoses were "
            f"checked against the nearest loaded release instead. To check them against the "
            f"right year, put CMS's {files} in the folder named by {ICD10CM_DIR_ENV} and "
            "restart the worker (see claims/data/README.md)",
        )
    ]


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
