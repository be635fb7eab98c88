"""999 and 277CA: realistic samples, mapping back to claims, and malformed input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from x12_testkit import sample

from claims.x12.ack_999 import AckStatus, claim_acks, parse_999
from claims.x12.errors import X12Error
from claims.x12.status_277ca import StatusCode, is_accepted, is_rejected, parse_277ca

K = "01JNQ5A1B2C3D4E5F6G7H8J9K"


def test_999_per_transaction_set() -> None:
    (group,) = parse_999(sample("ack_partial.999"))
    assert (group.functional_id, group.group_control_number) == ("HC", "207")
    assert group.status is AckStatus.PARTIALLY_ACCEPTED
    assert (group.included, group.received, group.accepted) == (3, 3, 2)
    ok, bad, warned = group.transactions
    assert ok.status is AckStatus.ACCEPTED and ok.errors == ()
    assert warned.status is AckStatus.ACCEPTED_WITH_ERRORS and warned.status.accepted
    assert bad.status is AckStatus.REJECTED and bad.codes == ("5",)
    member, line = bad.errors
    assert (member.segment_id, member.segment_position, member.loop_id) == ("NM1", 9, "2010")
    assert member.elements[0].element == 9 and member.elements[0].element_reference == "67"
    assert member.claim_id == f"{K}3"
    assert (line.elements[0].element, line.elements[0].component) == (1, 2)
    assert line.elements[0].bad_value == "99999"
    assert "SV1 at position 25" in line.describe()


def test_999_maps_back_to_claims() -> None:
    (group,) = parse_999(sample("ack_partial.999"))
    lookup = {"0001": (f"{K}0", f"{K}1"), "0002": (f"{K}2", f"{K}3"), "0003": (f"{K}4",),
              "0004": (f"{K}5",)}  # fmt: skip
    acks = {a.claim_id: a for a in claim_acks(group, lookup)}
    assert acks[f"{K}0"].status is AckStatus.ACCEPTED
    # A rejected set rejects every claim in it; errors go to the claim CTX names.
    assert acks[f"{K}2"].status is AckStatus.REJECTED and acks[f"{K}2"].errors == ()
    assert acks[f"{K}3"].status is AckStatus.REJECTED and len(acks[f"{K}3"].errors) == 2
    assert acks[f"{K}4"].status is AckStatus.ACCEPTED_WITH_ERRORS
    # A set the 999 leaves out takes the group's outcome (not rejected: P).
    assert acks[f"{K}5"].status is AckStatus.ACCEPTED
    assert acks[f"{K}5"].transaction_control_number == "0004"


def test_999_rejected_group_rejects_unlisted_sets() -> None:
    text = sample("ack_partial.999").replace("AK9*P*3*3*2", "AK9*R*3*3*0")
    (group,) = parse_999(text)
    (ack,) = claim_acks(group, {"0009": ("X",)})
    assert ack.status is AckStatus.REJECTED


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("IK5*R*5", "IK5*Q*5", "IK501 .* 'Q' is not a known qualifier"),
        ("AK9*P*3*3*2", "AK9*Z*3*3*2", "AK901"),
        ("IK5*A~", "", "expected IK5 closing AK2"),
        ("AK9*P*3*3*2", "AK9*P*3*three*2", "AK903 'three' is not a number"),
        ("IK3*SV1*25*", "IK3*SV1*x25*", "IK302 'x25' is not a number"),
    ],
)
def test_999_bad_input(old: str, new: str, fragment: str) -> None:
    text = sample("ack_partial.999")
    assert old in text
    text = text.replace(old, new, 1)
    if not new:  # keep SE01 true to the segment count
        text = text.replace("SE*17*", "SE*16*")
    with pytest.raises(X12Error, match=fragment):
        parse_999(text)


def test_277ca_per_claim() -> None:
    (status_file,) = parse_277ca(sample("status_mixed.277"))
    assert (status_file.payer_name, status_file.payer_id) == ("BLUE RIVER HEALTH PLAN", "BRHP01")
    assert status_file.batch_statuses == (StatusCode("A1", "19", "PR"),)
    a, b, c, d = status_file.claims
    assert a.claim_id == f"{K}0" and is_accepted(a) and a.category == "A2"
    assert a.payer_claim_control_number == "2026031200777"
    assert (a.service_date_from, a.service_date_to) == (dt.date(2026, 3, 9), dt.date(2026, 3, 10))
    assert a.total_charge == Decimal("487.5") and a.billing_provider_id == "1234567893"
    assert is_accepted(b) and not is_rejected(b)
    assert is_rejected(c) and c.status_codes == ("A3:21", "A3:562") and c.action_code == "U"
    assert c.free_text == "NPI NOT ON FILE" and c.payer_claim_control_number is None
    assert is_rejected(d) and d.category == "A7" and d.clearinghouse_trace == "CH-88120044"
    (line,) = d.lines
    assert line.procedure_code == "99213" and line.statuses == (StatusCode("A7", "453"),)
    assert line.line_control_number == "1"


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("STC*A2:20:PR*20260312*WQ*120", "STC*A2*20260312*WQ*120", "not category:status"),
        ("STC*A2:20:PR*20260312*WQ*120", "STC*A2:20:PR*20260312*XX*120", "STC03"),
        ("HL*4*3*PT", "HL*4*3*ZZ", "HL is not allowed here"),
        ("TRN*2*01JNQ5A1B2C3D4E5F6G7H8J9K1", "TRN*9*01JNQ5A1B2C3D4E5F6G7H8J9K1", "TRN01"),
        ("DTP*472*D8*20260210", "DTP*472*D9*20260210", "not D8 or RD8"),
        ("DTP*472*RD8*20260309-20260310", "DTP*472*RD8*20260309", "not an RD8 range"),
    ],
)
def test_277ca_bad_input(old: str, new: str, fragment: str) -> None:
    text = sample("status_mixed.277")
    assert old in text
    with pytest.raises(X12Error, match=fragment):
        parse_277ca(text.replace(old, new, 1))


def test_277ca_claim_without_stc() -> None:
    text = sample("status_mixed.277").replace("STC*A2:20:PR*20260312*WQ*120~", "REF*D9*X~")
    with pytest.raises(X12Error, match="has no STC") as err:
        parse_277ca(text)
    assert err.value.segment_id == "TRN"


def test_wrong_transaction_type() -> None:
    with pytest.raises(X12Error, match="not 'FA'"):
        parse_999(sample("status_mixed.277"))
    with pytest.raises(X12Error, match="not 'HN'"):
        parse_277ca(sample("ack_partial.999"))
