"""Coordination of benefits in X12: the secondary 837P's 2320/2330A/2330B/2430 loops are
pyx12-valid and read back; a crossover 835 (CLP02 19, NM1*TT) round-trips."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from x12_testkit import PAYEE, PAYER, envelope, ulid

from claims.cob import crossed_over, secondary_claim, secondary_claim_id
from claims.model import Claim
from claims.remittance import Adjustment, Decision, GroupCode, Remittance, RemittanceLine
from claims.x12.control import patient_control_number as pcn
from claims.x12.read_837p import parse_837p
from claims.x12.remit_835 import parse_835, to_remittance
from claims.x12.render_837p import render_837p
from claims.x12.render_remits import render_835
from claims.x12.validate import validate
from tests.claims.claims_testkit import clean_claim, line

D = Decimal


def coverage(responsibility: str, payer_id: str, member: str, **extra: Any) -> dict[str, Any]:
    return {
        "responsibility": responsibility,
        "payer": {"payer_id": payer_id, "name": f"Plan {payer_id}"},
        "subscriber": {
            "member_id": member,
            "first_name": "Pat",
            "last_name": "Jones",
            "sex": "F",
        },  # fmt: skip
        **extra,
    }


def adj(group: str, carc: str, amount: str) -> Adjustment:
    return Adjustment(group=GroupCode(group), carc=carc, amount=D(amount))


def primary_claim(*others: dict[str, Any]) -> Claim:
    return clean_claim(
        line("99213", charge="150.00", modifiers=["25"]), line("85025", charge="50.00"),
        other_coverages=list(others) or [coverage("S", "SECOND1", "SEC998877")],
    ).with_id(ulid(501))  # fmt: skip


def primary_835(claim: Claim) -> Remittance:
    assert claim.claim_id
    return Remittance(
        remittance_id="p1", claim_id=claim.claim_id, payer_claim_control_number="PCCN1",
        decision=Decision.PAID, total_charge=D("200"), paid_amount=D("120"),
        patient_responsibility=D("30"), adjustments=(adj("CO", "45", "50"), adj("PR", "2", "30")),
        lines=(
            RemittanceLine(line=1, procedure_code="99213", modifiers=("25",), charge=D("150"),
                           paid=D("90"), adjustments=(adj("CO", "45", "30"), adj("PR", "2", "30"))),
            RemittanceLine(line=2, procedure_code="85025", charge=D("50"), paid=D("30"),
                           adjustments=(adj("CO", "45", "20"),)),
        ),
    )  # fmt: skip


def test_primary_claim_lists_the_secondary_in_2320_without_amounts() -> None:
    text = render_837p([primary_claim()], envelope=envelope())
    assert validate(text) == []
    assert "SBR*P*18*******CI~" in text
    assert "SBR*S*18*******CI~OI***Y***Y~NM1*IL*1*JONES*PAT****MI*SEC998877~" in text
    assert "NM1*PR*2*PLAN SECOND1*****PI*SECOND1~" in text
    assert "AMT*D" not in text and "SVD*" not in text
    (sent,) = parse_837p(text)
    assert (sent.responsibility, sent.other_payer_ids, sent.prior_paid) == ("P", ("SECOND1",), None)
    # 2330A/2330B do not overwrite the claim's own subscriber and payer.
    assert (sent.member_id, sent.payer_id) == ("MEM123", "PAYER1")


def test_secondary_837p_has_2320_amounts_and_2430_lines_and_is_valid() -> None:
    claim = primary_claim()
    sec = secondary_claim(claim, primary_835(claim), dt.date(2026, 4, 1))
    text = render_837p([sec], envelope=envelope())
    assert validate(text) == []
    segments = text.split("~")
    # 2000B: the secondary payer, SBR01 S; 2320: the primary, SBR01 P, with what it paid.
    assert "SBR*S*18*******CI" in segments
    i = segments.index("SBR*P*18*******CI")
    assert segments[i + 1 : i + 7] == [
        "AMT*D*120", "AMT*EAF*30", "OI***Y***Y", "NM1*IL*1*JONES*PAT****MI*MEM123",
        "NM1*PR*2*ACME HEALTH*****PI*PAYER1", "REF*F8*PCCN1",
    ]  # fmt: skip
    # 2430 after each line: SVD (payer id, paid, procedure, units), CAS, DTP*573.
    j = segments.index("SVD*PAYER1*90*HC:99213:25**1")
    assert segments[j + 1 : j + 4] == ["CAS*CO*45*30", "CAS*PR*2*30", "DTP*573*D8*20260401"]
    assert "SVD*PAYER1*30*HC:85025**1" in segments
    (sent,) = parse_837p(text)
    assert sent.claim_id == pcn(sec.claim_id or "")
    assert (sent.responsibility, sent.payer_id, sent.member_id) == ("S", "SECOND1", "SEC998877")
    assert (sent.prior_paid, sent.prior_patient_liability) == (D("120"), D("30"))
    assert sent.other_payer_ids == ("PAYER1",)


def test_claim_level_only_decision_dates_2330b_and_a_spouse_plan_uses_2000c() -> None:
    spouse = coverage("S", "SECOND1", "SP1", relationship="01")
    claim = primary_claim(spouse, coverage("T", "THIRD1", "T1"))
    rem = primary_835(claim).model_copy(
        update={"lines": (), "adjustments": (adj("CO", "45", "50"), adj("PR", "2", "30"))}
    )
    sec = secondary_claim(claim, rem, dt.date(2026, 4, 2))
    text = render_837p([sec], envelope=envelope())
    assert validate(text) == []
    assert "CAS*CO*45*50~CAS*PR*2*30~AMT*D*120~" in text
    assert "NM1*PR*2*ACME HEALTH*****PI*PAYER1~DTP*573*D8*20260402~" in text
    assert "SVD*" not in text
    # The patient is the spouse's dependent on the secondary plan: 2000C with PAT*01.
    assert "PAT*01~" in text
    # The tertiary is listed too, after the primary, without amounts.
    assert text.index("SBR*P*18") < text.index("SBR*T*18")


def test_crossover_835_round_trips_nm1_tt() -> None:
    claim = primary_claim()
    rem = primary_835(claim).model_copy(
        update={
            "status_code": "19",
            "crossover_payer_id": "SECOND1",
            "crossover_payer_name": "Second Mutual",
        }  # fmt: skip
    )
    text = render_835(
        [rem], envelope=envelope(), trace_number="T1", payer=PAYER, payee=PAYEE,
        payment_date=dt.date(2026, 4, 1),
    )  # fmt: skip
    assert validate(text) == []
    assert "NM1*TT*2*SECOND MUTUAL*****PI*SECOND1~" in text
    (era,) = parse_835(text)
    back = to_remittance(era.claims[0], remittance_id="x")
    assert back.status_code == "19" and crossed_over(back)
    assert (back.crossover_payer_id, back.crossover_payer_name) == ("SECOND1", "SECOND MUTUAL")


def test_tertiary_837p_carries_both_earlier_payers_and_is_valid() -> None:
    """A claim with a secondary and a tertiary coverage: the secondary claim lists the
    tertiary (no amounts yet); the tertiary claim, built from the secondary claim and its
    payer's decision, carries both earlier payers' decisions: 2320 (AMT*D, AMT*EAF, CAS)
    and 2330B per payer, and per line a 2430 per payer; SBR01 T; pyx12-valid."""
    claim = primary_claim(
        coverage("S", "SECOND1", "SEC998877"), coverage("T", "THIRD1", "TER554433")
    )
    sec = secondary_claim(claim, primary_835(claim), dt.date(2026, 4, 1))
    assert sec.claim_id and claim.claim_id
    assert [c.responsibility for c in sec.other_coverages] == ["P", "T"]
    assert validate(render_837p([sec], envelope=envelope())) == []
    sec_835 = Remittance(
        remittance_id="s1", claim_id=sec.claim_id, payer_claim_control_number="SCCN1",
        decision=Decision.PARTIALLY_PAID, total_charge=D("200"), paid_amount=D("20"),
        patient_responsibility=D("10"), status_code="2",
        adjustments=(adj("OA", "23", "170"), adj("PR", "2", "10")),
        lines=(
            RemittanceLine(line=1, procedure_code="99213", modifiers=("25",), charge=D("150"),
                           paid=D("20"), adjustments=(adj("OA", "23", "120"),
                                                      adj("PR", "2", "10"))),
            RemittanceLine(line=2, procedure_code="85025", charge=D("50"), paid=D("0"),
                           adjustments=(adj("OA", "23", "50"),)),
        ),
    )  # fmt: skip
    ter = secondary_claim(sec, sec_835, dt.date(2026, 5, 1), primary_claim_id=claim.claim_id)
    assert ter.claim_id == secondary_claim_id(claim.claim_id, "T")  # found from the primary
    assert (ter.responsibility, ter.payer.payer_id, ter.subscriber.member_id) == (
        "T", "THIRD1", "TER554433",
    )  # fmt: skip
    text = render_837p([ter], envelope=envelope())
    assert validate(text) == []
    segments = text.split("~")
    assert "SBR*T*18*******CI" in segments
    i = segments.index("SBR*P*18*******CI")
    assert segments[i + 1 : i + 3] == ["AMT*D*120", "AMT*EAF*30"]
    k = segments.index("SBR*S*18*******CI")
    assert segments[k + 1 : k + 3] == ["AMT*D*20", "AMT*EAF*10"]
    assert "NM1*PR*2*ACME HEALTH*****PI*PAYER1" in segments
    assert "NM1*PR*2*PLAN SECOND1*****PI*SECOND1" in segments
    # Per line, one 2430 per earlier payer: what each paid for it.
    assert "SVD*PAYER1*90*HC:99213:25**1" in segments
    assert "SVD*SECOND1*20*HC:99213:25**1" in segments
    assert "SVD*PAYER1*30*HC:85025**1" in segments and "SVD*SECOND1*0*HC:85025**1" in segments
    (sent,) = parse_837p(text)
    assert (sent.responsibility, sent.payer_id) == ("T", "THIRD1")
    assert sent.other_payer_ids == ("PAYER1", "SECOND1")
    # What the earlier payers paid, summed; what the last one left the patient.
    assert (sent.prior_paid, sent.prior_patient_liability) == (D("140"), D("10"))
