"""Contract evolution: new events still read under every released schema, and the checker
that guards it catches each kind of breaking change."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, validators

from claims.status import ClaimStatus
from events import evolution, schemas
from events.contract import (
    AdjustmentData,
    AlertKind,
    ClaimAlertData,
    ClaimEventData,
    EligibilityData,
    FindingData,
    PatientShareData,
    make_alert,
    make_event,
)

T = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)


def every_event() -> list[dict[str, Any]]:
    """One event of every type, every optional field filled, as consumers receive them."""
    events = []
    for n, status in enumerate(ClaimStatus, start=1):
        data = ClaimEventData(
            claim_id="01M8D30NJ44G962JVCCHKVFJ8A",
            seq=n,
            status=status,
            previous_status=ClaimStatus.RECEIVED,
            payer_id="SIMPAYER1",
            total_charge=Decimal("185.10"),
            paid_amount=Decimal("82.00"),
            patient_responsibility=Decimal("20.50"),
            outstanding_amount=Decimal("0"),
            diagnosis_codes=("E119",),
            procedure_codes=("99213",),
            payer_claim_control_number="PCN1",
            adjustments=(
                AdjustmentData(group="CO", carc="45", amount=Decimal("1.00"), rarcs=("N54",)),
            ),
            findings=(
                FindingData(
                    code="c", severity="error", field="lines.0", message="m", candidates=("A",)
                ),
            ),
            appeal_level=1,
            reason="why",
            eligibility=EligibilityData(
                status="active",
                checked_at=T,
                date_of_service=T.date(),
                trace_number="01M8D30NJ44G962JVCCHKVFJ8A",
                plan_name="PPO",
                coverage_end=T.date(),
                copay=Decimal("25.00"),
                coinsurance_percent=Decimal("20"),
                deductible_remaining=Decimal("0.00"),
                out_of_pocket_remaining=Decimal("2500.00"),
                expected_patient_share=PatientShareData(
                    amount=Decimal("185.10"),
                    total=Decimal("25.00"),
                    copay=Decimal("25.00"),
                    deductible=Decimal("0.00"),
                    coinsurance=Decimal("0.00"),
                ),
                reasons="none",
            ),
        )
        events.append(make_event(time=T, data=data).model_dump(mode="json"))
    return events


def every_alert() -> list[dict[str, Any]]:
    return [
        make_alert(
            time=T,
            data=ClaimAlertData(
                claim_id="01M8D30NJ44G962JVCCHKVFJ8A",
                alert_seq=n,
                kind=kind,
                status=ClaimStatus.DENIED,
                payer_id="SIMPAYER1",
                due=T,
                days_left=7,
                message="m",
            ),
        ).model_dump(mode="json")
        for n, kind in enumerate(AlertKind, start=1)
    ]


# How a v1 consumer reads: enumerations (status, alert kind) are open, so a value it does not
# know is not an error (events.evolution explains the rule).
OpenEnumValidator = validators.extend(Draft202012Validator, {"enum": None})


def test_the_first_release_is_kept() -> None:
    assert evolution.release_versions()[0] == "1.0.0"


@pytest.mark.parametrize("version", evolution.release_versions())
def test_new_events_validate_against_every_released_schema(version: str) -> None:
    released = evolution.load_release(version)
    for name, instances in (
        ("claim-event.v1.json", every_event()),
        ("claim-alert.v1.json", every_alert()),
    ):
        validator = OpenEnumValidator(released[name])
        for instance in instances:
            errors = [e.message for e in validator.iter_errors(instance)]
            assert not errors, f"{instance['type']} breaks release {version} {name}: {errors}"


def test_current_schemas_break_no_release() -> None:
    problems = evolution.check_against_releases(schemas.generated())
    assert not problems, "\n".join(f"{k}: {b}" for k, v in problems.items() for b in v)


# --- the checker itself, on the real released schema with one change made to it


def released_event() -> dict[str, Any]:
    return evolution.load_release(evolution.release_versions()[-1])["claim-event.v1.json"]


def data_props(schema: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = schema["$defs"]["ClaimEventData"]["properties"]
    return props


def test_an_optional_field_added_is_compatible() -> None:
    new = copy.deepcopy(released_event())
    data_props(new)["rendering_npi"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    assert evolution.breaking_changes(released_event(), new) == []


def test_a_removed_field_is_caught() -> None:
    new = copy.deepcopy(released_event())
    del data_props(new)["paid_amount"]
    breaks = evolution.breaking_changes(released_event(), new)
    assert [(b.path, b.kind) for b in breaks] == [("data.paid_amount", "removed")]


def test_a_removed_nested_field_is_caught() -> None:
    new = copy.deepcopy(released_event())
    del new["$defs"]["AdjustmentData"]["properties"]["rarcs"]
    breaks = evolution.breaking_changes(released_event(), new)
    assert [(b.path, b.kind) for b in breaks] == [("data.adjustments[].rarcs", "removed")]


def test_a_changed_type_is_caught() -> None:
    new = copy.deepcopy(released_event())
    data_props(new)["seq"] = {"type": "string"}
    breaks = evolution.breaking_changes(released_event(), new)
    assert [(b.path, b.kind) for b in breaks] == [("data.seq", "type")]
    assert "integer" in breaks[0].detail and "string" in breaks[0].detail


def test_a_field_made_nullable_is_a_changed_type() -> None:
    new = copy.deepcopy(released_event())
    data_props(new)["payer_id"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    breaks = evolution.breaking_changes(released_event(), new)
    assert [(b.path, b.kind) for b in breaks] == [("data.payer_id", "type")]


def test_a_new_enum_value_is_additive() -> None:
    new = copy.deepcopy(released_event())
    new["$defs"]["ClaimStatus"]["enum"].append("ON_HOLD")
    assert evolution.breaking_changes(released_event(), new) == []


def test_a_removed_enum_value_is_caught() -> None:
    new = copy.deepcopy(released_event())
    new["$defs"]["ClaimStatus"]["enum"].remove("DENIED")
    breaks = evolution.breaking_changes(released_event(), new)
    assert {b.path for b in breaks} == {"data.status", "data.previous_status"}
    assert all(b.kind == "value removed" and "DENIED" in b.detail for b in breaks)


def test_a_free_field_made_an_enumeration_is_caught() -> None:
    new = copy.deepcopy(released_event())
    data_props(new)["payer_id"] = {"type": "string", "enum": ["SIMPAYER1"]}
    breaks = evolution.breaking_changes(released_event(), new)
    assert [(b.path, b.kind) for b in breaks] == [("data.payer_id", "type")]


def test_an_unknown_status_reads_under_an_open_enum_but_a_wrong_type_does_not() -> None:
    validator = OpenEnumValidator(released_event())
    event = every_event()[0]
    event["data"]["status"] = "ON_HOLD"
    assert not list(validator.iter_errors(event))
    event["data"]["status"] = 7
    assert list(validator.iter_errors(event))


def test_a_newly_required_field_is_caught() -> None:
    new = copy.deepcopy(released_event())
    data_props(new)["rendering_npi"] = {"type": "string"}
    new["$defs"]["ClaimEventData"]["required"].append("rendering_npi")
    breaks = evolution.breaking_changes(released_event(), new)
    assert [(b.path, b.kind) for b in breaks] == [("data.rendering_npi", "required")]


def test_an_existing_field_made_required_is_caught() -> None:
    new = copy.deepcopy(released_event())
    new["$defs"]["ClaimEventData"]["required"].append("reason")
    breaks = evolution.breaking_changes(released_event(), new)
    assert [(b.path, b.kind) for b in breaks] == [("data.reason", "required")]


def test_release_refuses_a_breaking_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`claimflow schema release` will not keep a schema that breaks an earlier release."""
    releases = tmp_path / "v1"
    (releases / "1.0.0").mkdir(parents=True)
    for name, schema in evolution.load_release("1.0.0").items():
        (releases / "1.0.0" / name).write_text(schemas.render(schema))
    monkeypatch.setattr(evolution, "RELEASES_DIR", releases)
    current = schemas.generated()
    del data_props(current["claim-event.v1.json"])["seq"]
    monkeypatch.setattr(schemas, "generated", lambda: current)
    with pytest.raises(ValueError, match=r"data\.seq: removed"):
        schemas.release("1.1.0")
    assert not (releases / "1.1.0").exists()
    with pytest.raises(ValueError, match="exists already"):
        schemas.release("1.0.0")
    with pytest.raises(ValueError, match="1.MINOR.PATCH"):
        schemas.release("2.0.0")
