"""Coordination of benefits, the pure part: coverages on a claim, the secondary claim built
from the primary's decision, and the ledger across both payers and the patient."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from claims import cob
from claims.cob_ledger import secondary_entries
from claims.ledger import Activity, balances, charge_entries, remittance_entries
from claims.model import Claim, is_phi_field
from claims.remittance import Adjustment, Decision, GroupCode, Remittance, RemittanceLine
from tests.claims.claims_testkit import claim_data, clean_claim, line

D = Decimal
AT = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
PRIMARY_ID = "01JX0000000000000000000007"


def coverage(**overrides: Any) -> dict[str, Any]:
    return {
        "responsibility": "S",
        "payer": {"payer_id": "SECOND1", "name": "Second Mutual"},
        "subscriber": {
            "member_id": "SEC998877",
            "first_name": "Pat",
            "last_name": "Jones",
            "sex": "F",
        },  # fmt: skip
        **overrides,
    }


def cob_claim(**overrides: Any) -> Claim:
    return clean_claim(
        line("99213", charge="150.00"), line("85025", charge="50.00"),
        **{"other_coverages": [coverage()], **overrides},
    ).with_id(PRIMARY_ID)  # fmt: skip


def adj(group: str, carc: str, amount: str) -> Adjustment:
    return Adjustment(group=GroupCode(group), carc=carc, amount=D(amount))


def primary_835(**overrides: Any) -> Remittance:
    """200 charged: 99213 allowed 120 (paid 90, PR-2 30), 85025 allowed 30 (paid 30)."""
    values: dict[str, Any] = {
        "remittance_id": "prim-1",
        "claim_id": PRIMARY_ID,
        "payer_claim_control_number": "PCCN1",
        "decision": Decision.PAID,
        "total_charge": D("200"),
        "paid_amount": D("120"),
        "patient_responsibility": D("30"),
        "adjustments": (adj("CO", "45", "50"), adj("PR", "2", "30")),
        "status_code": "1",
        "lines": (
            RemittanceLine(
                line=1,
                procedure_code="99213",
                charge=D("150"),
                paid=D("90"),
                adjustments=(adj("CO", "45", "30"), adj("PR", "2", "30")),
            ),
            RemittanceLine(
                line=2,
                procedure_code="85025",
                charge=D("50"),
                paid=D("30"),
                adjustments=(adj("CO", "45", "20"),),
            ),
        ),  # fmt: skip
        **overrides,
    }
    return Remittance(**values)


def secondary_835(paid: str, patient: str = "0") -> Remittance:
    adjustments = [adj("OA", "23", "170")]
    if D(patient):
        adjustments.append(adj("PR", "2", patient))
    return Remittance(
        remittance_id="sec-1", claim_id="x", payer_claim_control_number="S1",
        decision=Decision.PAID, total_charge=D("200"), paid_amount=D(paid),
        patient_responsibility=D(patient), adjustments=tuple(adjustments), status_code="2",
    )  # fmt: skip


# ------------------------------------------------------------------ the claim's coverages


def test_a_claim_carries_its_secondary_coverage() -> None:
    claim = cob_claim()
    assert claim.responsibility == "P"
    nxt = claim.next_coverage
    assert nxt is not None and nxt.payer.payer_id == "SECOND1"
    assert clean_claim().next_coverage is None


@pytest.mark.parametrize(
    ("coverages", "where", "rule"),
    [
        ([coverage(responsibility="P")], "responsibility", "given twice"),
        ([coverage(payer={"payer_id": "PAYER1", "name": "Acme"})], "payer_id", "already a payer"),
        ([coverage(), coverage(payer={"payer_id": "SECOND2", "name": "B"})], "responsibility",
         "given twice"),
        ([coverage(responsibility="T")], "other_coverages", "gap"),
        ([coverage(adjudication={"paid": "10", "adjudicated_on": "2026-04-01"})], "adjudication",
         "cannot have decided"),
    ],
)  # fmt: skip
def test_coverages_that_cannot_be_billed_are_refused(
    coverages: list[dict[str, Any]], where: str, rule: str
) -> None:
    with pytest.raises(ValidationError) as exc:
        Claim.model_validate(claim_data(other_coverages=coverages))
    assert where in str(exc.value) and rule in str(exc.value)


def test_a_secondary_claim_needs_the_primary_decision_and_it_must_add_up() -> None:
    primary = {**coverage(responsibility="P"), "payer": {"payer_id": "PRIM1", "name": "Prim"}}
    with pytest.raises(ValidationError, match="needs what the P payer decided"):
        Claim.model_validate(claim_data(responsibility="S", other_coverages=[primary]))
    wrong = {"paid": "90", "adjudicated_on": "2026-04-01",
             "lines": [{"line": 1, "paid": "90", "adjustments": [
                 {"group": "CO", "carc": "45", "amount": "5"}]}]}  # fmt: skip
    with pytest.raises(ValidationError, match=r"lines\[0\]: paid 90.00 and adjustments make"):
        Claim.model_validate(
            claim_data(responsibility="S", other_coverages=[{**primary, "adjudication": wrong}])
        )


def test_the_other_subscriber_is_phi_in_refusals() -> None:
    assert is_phi_field(("other_coverages", 0, "subscriber", "member_id"))
    assert not is_phi_field(("other_coverages", 0, "payer", "payer_id"))


# ------------------------------------------------------------------ the secondary claim


def test_secondary_claim_id_is_derived_stable_and_a_ulid() -> None:
    sid = cob.secondary_claim_id(PRIMARY_ID, "S")
    assert sid == cob.secondary_claim_id(PRIMARY_ID, "S") != PRIMARY_ID
    assert sid[:10] == PRIMARY_ID[:10]
    assert cob.secondary_claim_id(PRIMARY_ID, "T") != sid
    assert cob_claim().with_id(sid).claim_id == sid  # passes the ULID pattern


def test_secondary_claim_carries_the_primary_decision_line_by_line() -> None:
    claim = cob_claim()
    assert cob.secondary_due(claim, primary_835())
    sec = cob.secondary_claim(claim, primary_835(), dt.date(2026, 4, 1))
    assert sec.claim_id == cob.secondary_claim_id(PRIMARY_ID, "S")
    assert sec.responsibility == "S"
    assert sec.payer.payer_id == "SECOND1"
    assert sec.subscriber.member_id == "SEC998877"
    # The patient is the secondary's subscriber: their birth date and address go out.
    assert sec.subscriber.date_of_birth == claim.subscriber.date_of_birth
    assert sec.patient is None
    (prior,) = sec.other_coverages
    assert (prior.responsibility, prior.payer.payer_id) == ("P", "PAYER1")
    assert prior.subscriber.member_id == claim.subscriber.member_id
    a = prior.adjudication
    assert a is not None
    assert (a.paid, a.remaining_patient_liability) == (D("120"), D("30"))
    assert [(p.line, p.paid) for p in a.lines] == [(1, D("90")), (2, D("30"))]
    assert a.payer_claim_control_number == "PCCN1"
    assert sec.lines == claim.lines and sec.total_charge == claim.total_charge


def test_a_dependent_on_the_secondary_plan_is_the_patient_loop() -> None:
    spouse = coverage(relationship="01", subscriber={"member_id": "SP1", "first_name": "Sam",
                      "last_name": "Jones", "sex": "M"})  # fmt: skip
    claim = cob_claim(other_coverages=[spouse])
    sec = cob.secondary_claim(claim, primary_835(), dt.date(2026, 4, 1))
    assert sec.subscriber.member_id == "SP1"
    assert sec.patient is not None and sec.patient.relationship == "01"
    assert sec.patient.date_of_birth == claim.subscriber.date_of_birth


def test_no_secondary_when_nothing_is_left_or_no_next_payer_or_crossed_over() -> None:
    paid_in_full = primary_835(patient_responsibility=D("0"))
    assert not cob.secondary_due(cob_claim(), paid_in_full)
    assert not cob.secondary_due(clean_claim().with_id(PRIMARY_ID), primary_835())
    crossed = primary_835(status_code="19", crossover_payer_id="SECOND1")
    assert cob.crossed_over(crossed) and not cob.secondary_due(cob_claim(), crossed)
    with pytest.raises(cob.CobError, match="no coverage after"):
        cob.secondary_claim(clean_claim().with_id(PRIMARY_ID), primary_835(), AT.date())


def test_an_835_that_does_not_add_up_is_a_cob_error_not_a_bad_claim() -> None:
    bad_line = RemittanceLine(line=1, procedure_code="99213", charge=D("150"), paid=D("90"))
    with pytest.raises(cob.CobError, match=r"lines\[0\]: paid 90.00 and adjustments make 90"):
        cob.secondary_claim(cob_claim(), primary_835(lines=(bad_line,)), AT.date())
    stranger = RemittanceLine(line=1, procedure_code="11111", charge=D("1"), paid=D("1"))
    with pytest.raises(cob.CobError, match="not on the claim"):
        cob.secondary_claim(cob_claim(), primary_835(lines=(stranger,)), AT.date())


# ------------------------------------------------------------------ one ledger, two payers


def booked_primary() -> list[Any]:
    charges = charge_entries([], [("99213", D("150")), ("85025", D("50"))], at=AT)
    return charges + remittance_entries(charges, primary_835(), at=AT)


@pytest.mark.parametrize(
    ("paid", "patient", "patient_balance"),
    [("30", "0", "0.00"), ("20", "10", "10.00"), ("0", "30", "30.00")],
)
def test_the_ledger_balances_across_both_payers_and_the_patient(
    paid: str, patient: str, patient_balance: str
) -> None:
    entries = booked_primary()
    assert balances(entries).patient_balance == D("30.00")
    entries += secondary_entries(entries, secondary_835(paid, patient), at=AT)
    b = balances(entries)
    assert b.paid == D("120") + D(paid)
    assert b.outstanding == D("0.00") and b.credit_balance == D("0.00")
    assert b.patient_balance == D(patient_balance)
    # Kind by kind too: what is left is the secondary's coinsurance, nothing else.
    assert b.coinsurance == D(patient_balance) and b.deductible == D("0.00")
    assert b.charged == b.paid + b.contractual + b.patient_responsibility
    # The primary's decision still stands: the secondary's does not supersede it.
    assert not any(e.activity is Activity.SUPERSEDED for e in entries)
    assert {e.activity for e in entries} >= {Activity.COB_TRANSFER, Activity.SECONDARY}
