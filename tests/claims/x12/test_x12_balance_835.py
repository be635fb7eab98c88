"""The three 835 balancing rules: each fires alone, all are reported together."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from x12_testkit import sample

from claims.x12.balance_835 import balancing_report, check_balancing
from claims.x12.era import Era
from claims.x12.remit_835 import parse_835

A = "01JNM3Q8ZK4V5W6X7Y8Z9A0B1C"


def era_of(text: str) -> Era:
    (era,) = parse_835(text)
    return era


def edited(*pairs: tuple[str, str]) -> Era:
    text = sample("era_mixed_outcomes.835")
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    return era_of(text)


def test_balanced_file_has_no_errors() -> None:
    report = balancing_report(era_of(sample("era_mixed_outcomes.835")))
    assert report.ok and report.errors == () and report.trace_number == "0012345678"


def test_service_line_rule() -> None:
    # SVC03 off by 1 on line 1, and CLP04 moved with it so only the line rule breaks.
    era = edited(("SVC*HC:99214:25*180*96.4", "SVC*HC:99214:25*180*97.4"))
    errors = check_balancing(era)
    assert [e.rule for e in errors] == ["service_line"]
    (error,) = errors
    assert (error.claim_id, error.line, error.segment_id) == (A, 1, "SVC")
    assert (error.expected, error.actual) == (Decimal("96.4"), Decimal("97.4"))
    assert error.position is not None and error.position.index == 24
    text = sample("era_mixed_outcomes.835")
    assert text[error.position.offset :].startswith("SVC*HC:99214:25*180*")
    assert "line 1 (99214)" in error.message and str(error).startswith("segment 24 at offset")


def test_claim_rule() -> None:
    era = edited((f"CLP*{A}*1*250*118.4", f"CLP*{A}*1*251*118.4"))
    (error,) = check_balancing(era)
    assert error.rule == "claim" and error.claim_id == A and error.segment_id == "CLP"
    assert (error.expected, error.actual) == (Decimal("119.4"), Decimal("118.4"))


def test_claim_rule_counts_claim_and_line_adjustments() -> None:
    # A claim-level CAS on a claim whose lines already explain everything breaks the rule.
    era = edited(("REF*EA*ACCT-10045", "CAS*OA*23*10"))
    (error,) = check_balancing(era)
    assert error.rule == "claim" and error.expected == Decimal("108.4")


def test_transaction_rule() -> None:
    era = edited(("BPR*I*200.55*", "BPR*I*200.56*"))
    (error,) = check_balancing(era)
    assert error.rule == "transaction" and error.segment_id == "BPR"
    assert (error.expected, error.actual) == (Decimal("200.55"), Decimal("200.56"))
    assert error.position is not None and error.position.index == 4


def test_plb_sign_matters() -> None:
    era = edited(("*L6*-2.15*", "*L6*2.15*"))
    (error,) = check_balancing(era)
    assert error.rule == "transaction" and error.expected == Decimal("196.25")


def test_every_violation_is_reported() -> None:
    era = edited(
        ("SVC*HC:85025*70*22", "SVC*HC:85025*70*23"),
        ("CAS*CO*97*100", "CAS*CO*97*90"),
        ("BPR*I*200.55*", "BPR*I*1*"),
    )
    errors = check_balancing(era)
    # A's line 2 breaks alone (CLP04 still matches its CAS); B's CAS breaks line and claim.
    assert [(e.rule, e.claim_id, e.line) for e in errors] == [
        ("service_line", A, 2),
        ("service_line", "01JNM3Q8ZK4V5W6X7Y8Z9A0B2D", 2),
        ("claim", "01JNM3Q8ZK4V5W6X7Y8Z9A0B2D", None),
        ("transaction", None, None),
    ]
    assert not balancing_report(era).ok


def test_reversal_balances_with_negative_amounts() -> None:
    era = era_of(sample("era_mixed_outcomes.835"))
    reversal = era.claims[3]
    assert reversal.charge - sum(a.amount for a in reversal.all_adjustments) == reversal.paid
    broken = dataclasses.replace(reversal, paid=Decimal(160))
    era = dataclasses.replace(era, claims=(*era.claims[:3], broken, era.claims[4]))
    rules = [e.rule for e in check_balancing(era)]
    assert rules == ["claim", "transaction"]


def test_debit_payment_is_negative() -> None:
    era = era_of(sample("era_mixed_outcomes.835"))
    debit = dataclasses.replace(era, credit_debit="D")
    (error,) = check_balancing(debit)
    assert error.actual == Decimal("-200.55")
    assert check_balancing(dataclasses.replace(debit, payment_amount=Decimal("-200.55"))) == []
