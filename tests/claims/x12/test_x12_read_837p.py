"""Reading 837Ps written by other systems (other delimiters, layout, loops we do not send)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from x12_testkit import sample

from claims.x12.errors import X12Error
from claims.x12.read_837p import parse_837p
from claims.x12.validate import validate


def test_sample_from_another_system_is_valid_x12() -> None:
    assert validate(sample("claim_pipe_style.837")) == []


def test_claims_of_another_system() -> None:
    first, void = parse_837p(sample("claim_pipe_style.837"))
    assert first.claim_id == "01JNQ5A1B2C3D4E5F6G7H8J9K0"
    assert first.transaction_control_number == "0207"
    assert (first.total_charge, first.line_total) == (Decimal("487.5"), Decimal("487.5"))
    assert first.diagnoses == ("M25561", "M1711", "E119", "I10")
    assert first.prior_authorization == "AUTH-77120" and first.account_number == "ENC-2026-0311-07"
    assert (first.billing_provider_npi, first.payer_id, first.member_id) == (
        "1234567893", "BRHP01", "BRX20409011",
    )  # fmt: skip
    visit, injection, drug = first.lines
    assert visit.diagnosis_pointers == (1, 2, 3, 4) and visit.modifiers == ("25",)
    assert injection.modifiers == ("RT", "XS")
    assert drug.units == Decimal(4)
    assert (drug.service_date_from, drug.service_date_to) == (
        dt.date(2026, 3, 9), dt.date(2026, 3, 10),
    )  # fmt: skip
    assert void.frequency_code == "8" and void.payer_claim_control_number == "2026021000999"


def test_x12sdk_generated_837p_is_read() -> None:
    """x12sdk writes 005010X222A2 with BK (not ABK) diagnoses; pyx12 has no A2 map."""
    from x12sdk.generate import generate_837p

    text = generate_837p(seed=5, claims=12)
    claims = parse_837p(text)
    assert len(claims) == 12
    assert any(not c.patient_is_subscriber for c in claims)
    assert all(c.diagnoses for c in claims)
    (finding,) = validate(text)
    assert finding.code == "PYX12_ENGINE" and "005010X222A2" in finding.message


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("11>B>1", "11>A>1", "CLM05-2 facility code qualifier"),
        ("|||1>2>3>4", "|||1>2>3>9", "pointer '9' points at no diagnosis"),
        ("HI|ABK>M25561|ABF>M1711", "HI|ABF>M25561|ABF>M1711", "ABK first"),
        ("HI|ABK>M25561|ABF>M1711", "HI|ABK>M25561|XX>M1711", "is not ABF"),
        ("HL|2|1|22|0", "HL|2|1|99|0", "HL03 .* '99' is not a known qualifier"),
        ("SV1|HC>99213|120", "SV1|ZZ>99213|120", "not qualifier:procedure"),
    ],
)
def test_bad_837p(old: str, new: str, fragment: str) -> None:
    text = sample("claim_pipe_style.837")
    assert old in text
    with pytest.raises(X12Error, match=fragment):
        parse_837p(text.replace(old, new, 1))


def test_claim_before_its_subscriber_is_out_of_order() -> None:
    text = sample("claim_pipe_style.837")
    start = text.index("HL|2|1|22|0")
    end = text.index("CLM|")
    moved = text[:start] + text[end : text.index("~", end) + 2] + text[start:end]
    moved += text[text.index("~", end) + 2 :]
    with pytest.raises(X12Error, match="CLM before its subscriber"):
        parse_837p(moved)
