"""835 parsing on realistic samples, the mapping to Remittance, and each bad-input class."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from x12_testkit import sample

from claims.remittance import Decision, GroupCode
from claims.x12.balance_835 import check_balancing
from claims.x12.era import CasAdjustment, Era
from claims.x12.errors import X12Error
from claims.x12.remit_835 import decision_of, parse_835, to_remittance
from claims.x12.validate import validate

A, B, C, D = (f"01JNM3Q8ZK4V5W6X7Y8Z9A0B{s}" for s in ("1C", "2D", "3E", "4F"))


def mixed() -> Era:
    (era,) = parse_835(sample("era_mixed_outcomes.835"))
    return era


def test_sample_files_are_valid_x12() -> None:
    for name in ("era_mixed_outcomes.835", "era_pipe_style.835"):
        assert validate(sample(name)) == [], name


def test_payment_header() -> None:
    era = mixed()
    assert (era.handling_code, era.payment_amount, era.credit_debit) == (
        "I",
        Decimal("200.55"),
        "C",
    )
    assert era.payment_method == "ACH" and era.payment_date == dt.date(2026, 3, 13)
    assert era.trace_number == "0012345678" and era.payer_identifier == "1512345678"
    assert era.dedup_key == "1512345678:0012345678"
    assert era.payer.name == "BLUE RIVER HEALTH PLAN"
    assert (era.payee.id_qualifier, era.payee.identifier) == ("XX", "1234567893")
    assert era.production_date == dt.date(2026, 3, 12)
    assert era.interchange_control_number == "000004711"
    assert [c.claim_id for c in era.claims] == [A, B, C, D, D]
    assert check_balancing(era) == []


def test_paid_claim_with_contractual_and_patient_responsibility() -> None:
    claim = mixed().claims[0]
    assert (claim.status_code, claim.charge, claim.paid) == ("1", Decimal(250), Decimal("118.4"))
    assert claim.patient_responsibility == Decimal("41.6")
    assert claim.payer_claim_control_number == "2026031200123"
    assert claim.account_number == "ACCT-10045"
    assert claim.patient_last_name == "RIVERA" and claim.patient_member_id == "XJH123456789"
    first, second = claim.service_lines
    assert (first.procedure_code, first.modifiers) == ("99214", ("25",))
    # One CAS carrying two PR triplets: copay (3) and coinsurance (2).
    assert first.adjustments == (
        CasAdjustment("CO", "45", Decimal(55)),
        CasAdjustment("PR", "3", Decimal(25)),
        CasAdjustment("PR", "2", Decimal("3.6")),
    )
    assert first.allowed_amount == Decimal(125) and first.line_control_number == "1"
    assert second.adjustments[1] == CasAdjustment("PR", "1", Decimal(13))  # deductible
    rem = to_remittance(claim, remittance_id="era-1:1", trace_number="0012345678")
    assert rem.decision is Decision.PAID and rem.status_code == "1"
    assert rem.patient_responsibility == Decimal("41.6")
    assert rem.trace_number == "0012345678"
    assert [(a.group, a.carc, a.amount) for a in rem.adjustments] == [
        (GroupCode.CO, "45", Decimal(90)),
        (GroupCode.PR, "3", Decimal(25)),
        (GroupCode.PR, "2", Decimal("3.6")),
        (GroupCode.PR, "1", Decimal(13)),
    ]
    assert rem.total_charge - sum(a.amount for a in rem.adjustments) == rem.paid_amount


def test_line_level_bundling_denial_is_a_partial_payment() -> None:
    claim = mixed().claims[1]
    line = claim.service_lines[1]
    assert line.adjustments == (CasAdjustment("CO", "97", Decimal(100)),)
    assert line.remark_codes == ("M15",)
    rem = to_remittance(claim, remittance_id="r")
    assert rem.decision is Decision.PARTIALLY_PAID
    co97 = next(a for a in rem.adjustments if a.carc == "97")
    assert co97.rarcs == ("M15",) and "CO-97" in rem.denial_reasons


def test_claim_level_denial() -> None:
    claim = mixed().claims[2]
    assert claim.is_denied and claim.adjustments == (CasAdjustment("CO", "50", Decimal(450)),)
    assert claim.remark_codes == ("N115",)
    rem = to_remittance(claim, remittance_id="r")
    assert rem.decision is Decision.DENIED
    assert rem.adjustments[0].rarcs == ("N115",) and rem.remark_codes == ("N115",)
    assert claim.statement_from == dt.date(2026, 3, 5)


def test_reversal_and_correction_pair() -> None:
    reversal, correction = mixed().claims[3:]
    assert reversal.is_reversal and reversal.claim_id == correction.claim_id
    assert (reversal.charge, reversal.paid) == (Decimal(-200), Decimal(-160))
    assert reversal.adjustments == (CasAdjustment("CO", "45", Decimal(-40)),)
    assert reversal.payer_claim_control_number == "2026021000999"
    assert correction.payer_claim_control_number == "2026031200126"
    rev = to_remittance(reversal, remittance_id="r1")
    cor = to_remittance(correction, remittance_id="r2")
    assert rev.decision is Decision.REVERSAL and rev.paid_amount == Decimal(-160)
    assert cor.decision is Decision.PAID and cor.paid_amount == Decimal(140)


def test_provider_level_adjustments() -> None:
    interest, recovery = mixed().provider_adjustments
    assert (interest.reason, interest.amount, interest.reference) == ("L6", Decimal("-2.15"), None)
    assert (recovery.reason, recovery.reference, recovery.amount) == (
        "WO", "2026020100555", Decimal(50),
    )  # fmt: skip
    assert recovery.provider_id == "1234567893"
    assert recovery.fiscal_period_date == dt.date(2026, 12, 31)


def test_other_delimiters_crlf_and_situational_elements() -> None:
    (era,) = parse_835(sample("era_pipe_style.835"))
    assert era.payment_method == "CHK" and era.payer.identifier == "GMI001"
    assert era.payee.id_qualifier == "FI"
    first, second = era.claims
    assert first.patient_responsibility is None  # CLP05 left out
    assert first.received_date == dt.date(2026, 3, 16)
    adjudicated, therapy = first.service_lines
    assert adjudicated.submitted_procedure_code == "99214"  # SVC06: billed 99214
    assert adjudicated.remark_codes == ("N22", "M80")
    assert therapy.modifiers == ("GP",) and therapy.units_paid == Decimal(2)
    assert (therapy.service_date_from, therapy.service_date_to) == (
        dt.date(2026, 3, 10), dt.date(2026, 3, 11),
    )  # fmt: skip
    assert [a.reason for a in therapy.adjustments] == ["2", "59", "45", "253"]
    assert therapy.adjustments[1].quantity == Decimal(1)
    assert check_balancing(era) == []
    # PR from the CAS when CLP05 is absent.
    assert to_remittance(first, remittance_id="r").patient_responsibility == Decimal(5)
    assert second.status_code == "2" and second.remark_codes == ("MA07",)


def test_payment_reductions_are_not_denials() -> None:
    (era,) = parse_835(sample("era_pipe_style.835"))
    first, second = era.claims
    assert decision_of(first) is Decision.PAID  # CO-45, CO-59, CO-253, PR-2
    assert decision_of(second) is Decision.PAID  # secondary: OA-23, OA-94, PR-2


def test_parse_accepts_bytes() -> None:
    assert parse_835(sample("era_mixed_outcomes.835").encode())[0].payment_amount == Decimal(
        "200.55"
    )


def test_x12sdk_generated_835_is_read_once_its_bpr16_is_supplied() -> None:
    """x12sdk writes BPR without BPR16 (pyx12 flags it too); with it, every claim balances."""
    from x12sdk.generate import generate_835

    text = generate_835(seed=11, claims=25)
    with pytest.raises(X12Error, match="BPR16") as err:
        parse_835(text)
    assert err.value.segment_id == "BPR" and err.value.position is not None
    assert any(f.element == "BPR16" for f in validate(text))
    fixed = text.replace("*CHK~", "*CHK************20260101~").replace(
        "*ACH~", "*ACH************20260101~"
    )
    (era,) = parse_835(fixed)
    assert len(era.claims) == 25 and check_balancing(era) == []


def test_our_835_reads_the_same_in_x12sdk() -> None:
    from x12sdk.io import X12ModelReader

    text = sample("era_mixed_outcomes.835")
    era = mixed()
    with X12ModelReader(text) as reader:
        (model,) = list(reader.models())
    data = model.model_dump()
    assert data["header"]["bpr_segment"]["total_actual_provider_payment_amount"] == (
        era.payment_amount
    )
    clps = [l2100["clp_segment"] for l2000 in data["loop_2000"] for l2100 in l2000["loop_2100"]]
    assert [(c["patient_control_number"], c["claim_payment_amount"]) for c in clps] == [
        (c.claim_id, c.paid) for c in era.claims
    ]


# ------------------------------------------------------------------------- bad input


def replace_once(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "segment_id", "fragment"),
    [
        ("CAS*CO*50*450", "CAS*XX*50*450", "CAS", "CAS01 .* 'XX' is not a known qualifier"),
        (f"CLP*{C}*4*", f"CLP*{C}*99*", "CLP", "CLP02 .* '99' is not a known qualifier"),
        ("*C*ACH*", "*C*WIRE*", "BPR", "BPR04 .* 'WIRE' is not a known qualifier"),
        ("*L6*-2.15*", "*ZZ*-2.15*", "PLB", "'ZZ' is not known"),
        ("LQ*HE*M15", "LQ*XX*M15", "LQ", "LQ01"),
        ("DTM*232*20260305", "DTM*999*20260305", "DTM", "DTM01"),
        ("SVC*HC:99213*200", "SVC*QQ:99213*200", "SVC", "product/service qualifier 'QQ'"),
        ("*12*2026031200124*", "*XY*2026031200124*", "CLP", "CLP06"),
    ],
)
def test_unknown_qualifiers(old: str, new: str, segment_id: str, fragment: str) -> None:
    text = replace_once(sample("era_mixed_outcomes.835"), old, new)
    with pytest.raises(X12Error, match=fragment) as err:
        parse_835(text)
    assert err.value.segment_id == segment_id
    assert err.value.position is not None
    assert text[err.value.position.offset :].startswith(segment_id)


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("CLP*01JNM3Q8ZK4V5W6X7Y8Z9A0B1C*1*250", "CLP*01JNM3Q8ZK4V5W6X7Y8Z9A0B1C*1*2.5.0",
         "CLP03 .* not an amount"),
        ("CAS*CO*45*55", "CAS*CO*45*NaN", "CAS03 .* not an amount"),
        ("CAS*CO*45*55", "CAS*CO*45*1E3", "not an amount"),
        ("CAS*CO*45*55", "CAS*CO*45*55.123", "not an amount"),
        ("CAS*CO*45*55", "CAS*CO*45", "CAS03 .* is required"),
        ("CAS*CO*45*55", "CAS*CO**55", "CAS02 .* is required"),
        ("CAS*CO*45*55", "CAS*CO*45*55***10", "CAS05 .* is required"),
        ("CAS*CO*45*55", "CAS*CO*4-5*55", "not a reason code"),
        ("*20260313~", "*20261313~", "BPR16 .* not a CCYYMMDD date"),
        ("TRN*1*0012345678*1512345678", "TRN*1**1512345678", "TRN02 .* is required"),
    ],
)  # fmt: skip
def test_bad_values(old: str, new: str, fragment: str) -> None:
    text = replace_once(sample("era_mixed_outcomes.835"), old, new)
    with pytest.raises(X12Error, match=fragment):
        parse_835(text)


def move_segment(text: str, segment: str, before: str) -> str:
    """``segment`` (its text, without terminator) moved to just before ``before``."""
    text = replace_once(text, segment + "~", "")
    return replace_once(text, before, segment + "~" + before)


@pytest.mark.parametrize(
    ("segment", "before", "fragment"),
    [
        ("LX*1", "PLB*", "CLP before any LX"),
        ("PLB*1234567893*20261231*L6*-2.15*WO:2026020100555*50", "LX*1", "LX after the PLB"),
        ("N1*PE*RIVERSIDE FAMILY MEDICINE*XX*1234567893", "N1*PR*", "expected N1\\*PR"),
        ("TRN*1*0012345678*1512345678", "BPR*", "expected BPR"),
        ("N3*500 CAPITOL AVE", "SVC*HC:85025", "N3 is not allowed here"),
        ("CAS*CO*50*450", f"CLP*{A}", "CAS is not allowed here"),
        ("SVC*HC:36415*100*0**1", f"CLP*{A}", "SVC is not allowed here"),
    ],
)
def test_segments_out_of_order(segment: str, before: str, fragment: str) -> None:
    text = move_segment(sample("era_mixed_outcomes.835"), segment, before)
    with pytest.raises(X12Error, match=fragment) as err:
        parse_835(text)
    assert "out of order" in str(err.value) or "expected" in str(err.value)


def test_not_an_835() -> None:
    with pytest.raises(X12Error, match="GS01 'HC' is not 'HP'"):
        parse_835(sample("claim_pipe_style.837"))


def test_truncated_835() -> None:
    text = sample("era_mixed_outcomes.835")
    with pytest.raises(X12Error, match="truncated"):
        parse_835(text[: text.index("PLB*") + 10])


def test_amounts_beyond_a_remittance_are_an_x12_error() -> None:
    claim = mixed().claims[2]
    huge = dataclasses.replace(
        claim,
        charge=Decimal("19999999999.98"),
        adjustments=(
            CasAdjustment("CO", "50", Decimal("9999999999.99")),
            CasAdjustment("CO", "50", Decimal("9999999999.99")),
        ),
    )
    with pytest.raises(X12Error, match="claim '01JNM3Q8ZK4V5W6X7Y8Z9A0B3E'") as err:
        to_remittance(huge, remittance_id="r")
    assert err.value.segment_id == "CLP" and err.value.position == claim.position
