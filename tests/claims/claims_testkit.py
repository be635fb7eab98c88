"""Builders for claims-domain tests: a claim that codes and scrubs clean, and ways to vary it.

``clean_claim()`` is valid in every edit as of ``TODAY``; each test changes the one thing it
is about, so a finding it sees can only come from that change.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from claims.findings import Report
from claims.model import Claim
from claims.npi import make_npi

TODAY = dt.date(2026, 3, 10)
DOS = dt.date(2026, 3, 2)
BILLING_NPI = make_npi("123456789")  # 1234567893, CMS's own example NPI
RENDERING_NPI = make_npi("198765432")
OTHER_NPI = make_npi("155555555")


def address(**overrides: Any) -> dict[str, Any]:
    return {
        "line1": "100 Main Street",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "627011234",
        **overrides,
    }


def line(code: str = "99213", **overrides: Any) -> dict[str, Any]:
    return {
        "procedure_code": code,
        "charge": "100.00",
        "diagnosis_pointers": [1],
        "service_date_from": DOS.isoformat(),
        **overrides,
    }


def claim_data(*lines: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = list(lines) or [line()]
    total = sum((Decimal(str(ln["charge"])) for ln in body), Decimal(0))
    data: dict[str, Any] = {
        "account_number": "ACCT-1",
        "billing_provider": {
            "npi": BILLING_NPI,
            "name": "Springfield Family Practice",
            "tax_id": "123456789",
            "address": address(),
        },
        "subscriber": {
            "member_id": "MEM123",
            "first_name": "Pat",
            "last_name": "Jones",
            "date_of_birth": "1970-05-06",
            "sex": "F",
            "address": address(line1="5 Elm Street", postal_code="62702"),
        },
        "payer": {"payer_id": "PAYER1", "name": "Acme Health", "filing_limit_days": 365},
        "place_of_service": "11",
        "diagnoses": ["E119"],
        "lines": body,
        "total_charge": str(total),
    }
    data.update(overrides)
    return data


def clean_claim(*lines: dict[str, Any], **overrides: Any) -> Claim:
    return Claim.model_validate(claim_data(*lines, **overrides))


def codes(report: Report) -> list[str]:
    return [f.code for f in report.findings]


def only(report: Report, code: str) -> list[Any]:
    return [f for f in report.findings if f.code == code]
