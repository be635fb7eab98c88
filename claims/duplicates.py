"""The duplicate-claim key: what makes two claims "the same claim" to a payer.

Payers deny an exact duplicate (CARC 18): the same patient, provider, dates of service and
procedure codes as a claim they already have. ``duplicate_key`` reduces a claim to those
facts; the scrub edit asks an injected lookup (the read model, in production) whether a
claim with the same key is already known.

The key is a SHA-256 digest of the canonical fields, not the fields themselves: the read
model must store and index it, and a key made of member id, name, date of birth and dates of
service would put PHI in one more place. Charges and units are left out on purpose: a
resubmission with a changed charge is still a duplicate to the payer.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from claims.model import Claim, ServiceLine

KEY_VERSION = "dup1"


@dataclass(frozen=True, slots=True)
class DuplicateKey:
    digest: str  # "dup1:" + hex SHA-256; the prefix changes if the canonical form does

    def __str__(self) -> str:
        return self.digest


def _line_part(line: ServiceLine) -> str:
    to = line.service_date_to or line.service_date_from
    mods = ",".join(sorted(line.modifiers))
    return f"{line.service_date_from.isoformat()}/{to.isoformat()}/{line.procedure_code}/{mods}"


def duplicate_key(claim: Claim) -> DuplicateKey:
    """A pure function of the claim: payer, patient, billing and rendering NPI, and the
    sorted (dates, procedure code, modifiers) of its lines."""
    person = claim.patient or claim.subscriber
    rendering = claim.rendering_provider.npi if claim.rendering_provider else ""
    parts = [
        KEY_VERSION,
        claim.payer.payer_id.upper(),
        claim.subscriber.member_id.strip().upper(),
        person.last_name.upper(),
        person.first_name.upper(),
        person.date_of_birth.isoformat() if person.date_of_birth else "",
        claim.billing_provider.npi,
        rendering,
        *sorted(_line_part(line) for line in claim.lines),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return DuplicateKey(f"{KEY_VERSION}:{digest}")
