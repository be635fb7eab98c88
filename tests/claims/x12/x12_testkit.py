"""Shared builders for the X12 tests: envelopes, sample files, claims with ids."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from claims.model import Address, Claim
from claims.x12.envelope import Envelope
from claims.x12.render_remits import PayeeInfo, PayerInfo
from tests.claims.claims_testkit import address, clean_claim, line

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).parents[3] / "examples"
WHEN = dt.datetime(2026, 3, 10, 12, 0)


def sample(name: str) -> str:
    """A sample file exactly as stored (no newline translation: offsets stay true)."""
    return (DATA / name).read_bytes().decode("ascii")


def envelope(**overrides: Any) -> Envelope:
    values: dict[str, Any] = {
        "sender_id": "CLAIMFLOW",
        "receiver_id": "SIMPAYER1",
        "interchange_control_number": 1,
        "group_control_number": 1,
        "created": WHEN,
        "sender_name": "Claimflow",
        "receiver_name": "Simulated Health Plan",
    }
    values.update(overrides)
    return Envelope(**values)


def ulid(n: int) -> str:
    """A well-formed claim id (ULID alphabet), distinct per ``n``."""
    return f"01JX{n:022d}"


def example_claims() -> list[Claim]:
    paths = sorted(p for p in EXAMPLES.glob("*.json") if "fhir" not in p.name)
    return [
        Claim.model_validate(json.loads(p.read_text())).with_id(ulid(i))
        for i, p in enumerate(paths, start=1)
    ]


def dependent(**overrides: Any) -> dict[str, Any]:
    return {
        "member_id": "MEM123",
        "first_name": "Sam",
        "last_name": "Jones",
        "date_of_birth": "2012-08-01",
        "sex": "M",
        "relationship": "19",
        "address": address(line1="5 Elm Street", postal_code="62702"),
        **overrides,
    }


def varied_claims() -> list[Claim]:
    """Testkit claims covering the 837P's branches, each with an id."""
    return [
        clean_claim().with_id(ulid(101)),
        clean_claim(patient=dependent()).with_id(ulid(102)),
        clean_claim(frequency_code="7", payer_claim_control_number="PCN-2026-0001").with_id(
            ulid(103)
        ),
        clean_claim(
            line("99214", modifiers=["25"], charge="175.00"),
            line(
                "20610",
                modifiers=["RT", "XS", "59", "76"],
                charge="262.50",
                diagnosis_pointers=[1, 2],
                place_of_service="22",
            ),
            line("J3301", units="4", charge="50.00", service_date_to="2026-03-03"),
            diagnoses=["M25561", "M1711", "E119", "I10"],
            prior_authorization="AUTH-1",
        ).with_id(ulid(104)),  # fmt: skip
        clean_claim(frequency_code="8", payer_claim_control_number="PCN-2026-0002").with_id(
            ulid(105)
        ),
    ]


PAYER = PayerInfo(
    "Simulated Health Plan",
    "SIMPAYER1",
    Address(line1="1 Payer Way", city="Hartford", state="CT", postal_code="06101"),
)
PAYEE = PayeeInfo("Riverside Family Medicine", "1234567893", "123456789")
