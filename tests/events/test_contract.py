"""The v1 event contract as consumers see it: envelope fields, money as strings, no PHI."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from claims.status import ClaimStatus
from events import schemas
from events.contract import ClaimEvent, ClaimEventData, event_type, make_event


def sample() -> ClaimEvent:
    return make_event(
        time=dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC),
        data=ClaimEventData(
            claim_id="01M8D30NJ44G962JVCCHKVFJ8A",
            seq=3,
            status=ClaimStatus.SCRUBBED,
            previous_status=ClaimStatus.CODED,
            payer_id="SIMPAYER1",
            total_charge=Decimal("185.10"),
        ),
    )


def test_cloudevents_envelope() -> None:
    raw = json.loads(sample().to_json_bytes())
    assert raw["specversion"] == "1.0"
    assert raw["id"] == "01M8D30NJ44G962JVCCHKVFJ8A:3"
    assert raw["type"] == "claimflow.claim.scrubbed.v1"
    assert raw["subject"] == raw["data"]["claim_id"]
    assert raw["source"] == "/claimflow/claim-workflow"
    assert raw["datacontenttype"] == "application/json"
    assert raw["time"].startswith("2026-11-02T12:00:00")


def test_money_travels_as_exact_decimal_strings() -> None:
    raw = json.loads(sample().to_json_bytes())
    assert raw["data"]["total_charge"] == "185.10"
    assert ClaimEvent.from_json_bytes(sample().to_json_bytes()) == sample()


def test_no_patient_demographics_in_event_data() -> None:
    phi = {"subscriber", "patient", "member_id", "date_of_birth", "first_name", "last_name"}
    assert not phi & set(ClaimEventData.model_fields)
    assert "account_number" not in ClaimEventData.model_fields


def test_every_status_has_an_event_type() -> None:
    assert {event_type(s) for s in ClaimStatus} == {
        f"claimflow.claim.{s.value.lower()}.v1" for s in ClaimStatus
    }


def test_checked_in_schemas_match_the_models() -> None:
    """Fails when a model changes without `claimflow schema write` (and a contract review)."""
    for name, schema in schemas.generated().items():
        checked_in = (schemas.SCHEMA_DIR / name).read_text()
        assert checked_in == schemas.render(schema), f"{name} drifted: run claimflow schema write"
