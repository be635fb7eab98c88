"""Scrub edits on the claim's parties: NPIs and the 837P fields a payer requires.

The model leaves these optional because a claim may arrive before they are known (intake
from a FHIR Claim, a partial import); the 837P TR3 requires them, so a claim without them
is rejected at the payer's front end. Each is a finding for the biller to fix.

* Every NPI (billing, rendering, each line's rendering) passes the check digit.
* Billing provider (loop 2010AA): a street address (N3/N4; a PO box belongs in the pay-to
  loop 2010AB), with a nine-digit ZIP code, and a tax id (REF*EI).
* Subscriber address (2010BA N3/N4) when the subscriber is the patient; patient address
  (2010CA N3/N4) when the patient is someone else.
* Rendering provider (2310B) only when it differs from the billing provider, and a line's
  rendering NPI (2420A) only when it differs from the claim's: a warning, since payers
  accept the redundancy but the TR3 says not to send it.
* A line's rendering provider that differs from the claim's needs a name (2420A NM103):
  an NPI alone is an error unless the claim names that provider elsewhere.
* A rendering provider given only as ``name`` goes out as an organisation; rendering
  providers are mostly people, so that is a warning asking for ``last_name`` and
  ``first_name`` if it is one.
"""

from __future__ import annotations

import functools
import re

from claims.findings import Finding, error, warning
from claims.model import Claim
from claims.npi import is_valid_npi

_PO_BOX = re.compile(r"\b(P\.?\s*O\.?\s*BOX|POST\s+OFFICE\s+BOX|LOCK\s*BOX)\b", re.IGNORECASE)


@functools.lru_cache(maxsize=65536)
def _npi_ok(npi: str) -> bool:
    # A batch repeats the same few providers' NPIs; the cache saves the check-digit sum.
    return is_valid_npi(npi)


def _npi_finding(field: str, npi: str) -> Finding:
    return error(
        "SCRUB_NPI_INVALID",
        field,
        f"NPI {npi} is not valid: an NPI is 10 digits starting with 1 or 2 whose last digit is "
        "a check digit; check it for a typo",
    )


def npi_findings(claim: Claim) -> list[Finding]:
    findings: list[Finding] = []
    if not _npi_ok(claim.billing_provider.npi):
        findings.append(_npi_finding("billing_provider.npi", claim.billing_provider.npi))
    if claim.rendering_provider and not _npi_ok(claim.rendering_provider.npi):
        findings.append(_npi_finding("rendering_provider.npi", claim.rendering_provider.npi))
    for i, line in enumerate(claim.lines):
        if line.rendering_npi and not _npi_ok(line.rendering_npi):
            findings.append(_npi_finding(f"lines[{i}].rendering_npi", line.rendering_npi))
    return findings


def required_field_findings(claim: Claim) -> list[Finding]:
    findings: list[Finding] = []
    billing = claim.billing_provider
    if billing.address is None:
        findings.append(
            error(
                "SCRUB_BILLING_ADDRESS_MISSING",
                "billing_provider.address",
                "the billing provider's street address (837P loop 2010AA) is required",
            )
        )
    else:
        if _PO_BOX.search(billing.address.line1) or (
            billing.address.line2 and _PO_BOX.search(billing.address.line2)
        ):
            findings.append(
                error(
                    "SCRUB_BILLING_ADDRESS_PO_BOX",
                    "billing_provider.address.line1",
                    "the billing provider's address must be a street address, not a PO box "
                    "(a PO box goes in the pay-to address)",
                )
            )
        if len(billing.address.postal_code) != 9:
            findings.append(
                error(
                    "SCRUB_BILLING_ZIP4_MISSING",
                    "billing_provider.address.postal_code",
                    f"the billing provider's ZIP code {billing.address.postal_code} needs all "
                    "nine digits (ZIP+4) on an 837P",
                )
            )
    if billing.tax_id is None:
        findings.append(
            error(
                "SCRUB_BILLING_TAX_ID_MISSING",
                "billing_provider.tax_id",
                "the billing provider's tax id (EIN or SSN, 837P REF*EI) is required",
            )
        )
    if claim.patient is None:
        if claim.subscriber.address is None:
            findings.append(
                error(
                    "SCRUB_SUBSCRIBER_ADDRESS_MISSING",
                    "subscriber.address",
                    "the subscriber's address is required when the subscriber is the patient",
                )
            )
    elif claim.patient.address is None:
        findings.append(
            error(
                "SCRUB_PATIENT_ADDRESS_MISSING",
                "patient.address",
                "the patient's address is required when the patient is not the subscriber",
            )
        )
    return findings


def _named_npis(claim: Claim) -> set[str]:
    providers = [claim.billing_provider, claim.rendering_provider]
    providers += [line.rendering_provider for line in claim.lines]
    return {p.npi for p in providers if p is not None}


def rendering_findings(claim: Claim) -> list[Finding]:
    findings: list[Finding] = []
    billing_npi = claim.billing_provider.npi
    claim_rendering = claim.rendering_provider.npi if claim.rendering_provider else None
    if claim.rendering_provider is not None and not claim.rendering_provider.is_person:
        findings.append(
            warning(
                "SCRUB_RENDERING_NOT_A_PERSON",
                "rendering_provider.name",
                "the rendering provider is given as an organisation name and goes out as one "
                "(NM1*82*2); if it is a person, give last_name and first_name instead",
            )
        )
    named = _named_npis(claim)
    if claim_rendering == billing_npi:
        findings.append(
            warning(
                "SCRUB_RENDERING_REDUNDANT",
                "rendering_provider",
                "the rendering provider is the billing provider; leave it out (837P sends "
                "loop 2310B only when they differ)",
            )
        )
    for i, line in enumerate(claim.lines):
        differs = line.rendering_npi and line.rendering_npi != (claim_rendering or billing_npi)
        if differs and line.rendering_npi not in named:
            findings.append(
                error(
                    "SCRUB_LINE_RENDERING_NAME_MISSING",
                    f"lines[{i}].rendering_provider",
                    f"the line's rendering NPI {line.rendering_npi} differs from the claim's, "
                    "and the 837P names it (2420A NM103): give lines[].rendering_provider "
                    "with the provider's name",
                )
            )
        if line.rendering_npi and line.rendering_npi == (claim_rendering or billing_npi):
            findings.append(
                warning(
                    "SCRUB_RENDERING_REDUNDANT",
                    f"lines[{i}].rendering_npi",
                    "the line's rendering NPI repeats the claim's; leave it out (837P sends "
                    "loop 2420A only when it differs)",
                )
            )
    return findings
