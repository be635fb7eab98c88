"""The claim ledger: line by line, never overwritten, balances derived."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from claims import ledger
from claims.ledger import Activity, EntryKind, LedgerEntry, PatientKind, balances
from claims.remittance import Adjustment, Decision, GroupCode, Remittance, RemittanceLine

AT = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
D = Decimal


def adj(group: str, carc: str, amount: str, *rarcs: str) -> Adjustment:
    return Adjustment(group=GroupCode(group), carc=carc, amount=D(amount), rarcs=rarcs)


def paid_by_line(rid: str = "r1", *, sign: int = 1) -> Remittance:
    """Two lines: 99213 150 -> allowed 92, paid 73.60 (CO-45 58, PR-2 18.40);
    85025 35 -> paid 10.50 less a 5.00 copay (CO-45 19.50, PR-3 5.00)."""
    s = D(sign)
    lines = (
        RemittanceLine(line=1, procedure_code="99213", charge=s * 150, paid=s * D("73.60"),
                       allowed=s * 92, adjustments=(adj("CO", "45", str(s * 58)),
                                                    adj("PR", "2", str(s * D("18.40")), "N130"))),
        RemittanceLine(line=2, procedure_code="85025", charge=s * 35, paid=s * D("10.50"),
                       adjustments=(adj("CO", "45", str(s * D("19.50"))),
                                    adj("PR", "3", str(s * 5)))),
    )  # fmt: skip
    return Remittance(
        remittance_id=rid, claim_id="C1", payer_claim_control_number="P1",
        decision=Decision.REVERSAL if sign < 0 else Decision.PAID,
        total_charge=s * 185, paid_amount=s * D("84.10"), patient_responsibility=s * D("23.40"),
        adjustments=(), lines=lines, trace_number=f"T-{rid}",
    )  # fmt: skip


def billed() -> list[LedgerEntry]:
    return ledger.charge_entries([], [("99213", D(150)), ("85025", D(35))], at=AT)


def book(entries: list[LedgerEntry], rem: Remittance) -> list[LedgerEntry]:
    return entries + ledger.remittance_entries(entries, rem, at=AT)


def test_a_payment_is_booked_line_by_line_with_the_patient_share_by_kind() -> None:
    entries = book(billed(), paid_by_line())
    money = balances(entries)
    assert (money.charged, money.paid, money.contractual) == (D(185), D("84.10"), D("77.50"))
    assert (money.coinsurance, money.copay, money.patient_balance) == (
        D("18.40"), D(5), D("23.40"),
    )  # fmt: skip
    assert money.outstanding == 0 and money.recoupment_expected == 0
    first, second = ledger.line_balances(entries)
    assert (first.procedure_code, first.charge, first.allowed, first.paid) == (
        "99213", D(150), D(92), D("73.60"),
    )  # fmt: skip
    assert [(a.group, a.carc, a.amount, a.rarcs) for a in first.adjustments] == [
        ("CO", "45", D(58), ()), ("PR", "2", D("18.40"), ("N130",)),
    ]  # fmt: skip
    assert first.patient == {PatientKind.COINSURANCE: D("18.40")}
    # No AMT*B6 on line 2: allowed is what was paid plus the patient's share.
    assert second.allowed == D("15.50")
    assert [e.n for e in entries] == list(range(1, len(entries) + 1))


def test_a_reversal_and_its_correction_are_kept_as_entries() -> None:
    entries = book(billed(), paid_by_line("r1"))
    entries = book(entries, paid_by_line("r1-rev", sign=-1))
    assert balances(entries).outstanding == D(185)  # nothing stands: the payer owes it all
    assert ledger.standing_decision(entries) is None
    entries = book(entries, paid_by_line("r2"))
    money = balances(entries)
    assert (money.paid, money.outstanding, money.recoupment_expected) == (D("84.10"), 0, 0)
    assert {e.activity for e in entries} >= {Activity.ADJUDICATED, Activity.REVERSAL}


def test_a_second_payment_for_a_paid_claim_is_an_overpayment_not_an_overwrite() -> None:
    entries = book(book(billed(), paid_by_line("r1")), paid_by_line("r2"))
    money = balances(entries)
    assert money.paid == D("168.20")  # both checks are in the ledger
    assert money.recoupment_expected == D("84.10")  # and the second is owed back
    assert money.outstanding == 0 and money.contractual == D("77.50")
    assert any(e.activity is Activity.SUPERSEDED for e in entries)
    # The payer recoups it with a reversal: the overpayment is settled, the decision stands.
    entries = book(entries, paid_by_line("r2-rev", sign=-1))
    money = balances(entries)
    assert (money.paid, money.recoupment_expected, money.outstanding) == (D("84.10"), 0, 0)
    assert ledger.standing_decision(entries) == "r2"


def test_a_denial_overturned_on_appeal_is_superseded() -> None:
    denial = Remittance(
        remittance_id="d1", claim_id="C1", payer_claim_control_number="P1",
        decision=Decision.DENIED, total_charge=D(185), paid_amount=D(0),
        adjustments=(adj("CO", "50", "185", "N115"),),
    )  # fmt: skip
    entries = book(billed(), denial)
    assert balances(entries).denied == D(185)
    assert balances(entries).outstanding == D(185)  # at risk, until appealed or written off
    entries = book(entries, paid_by_line("r2"))
    money = balances(entries)
    assert (money.denied, money.outstanding, money.recoupment_expected) == (0, 0, 0)


def test_a_void_after_payment_records_the_recoupment_to_expect() -> None:
    entries = book(billed(), paid_by_line())
    entries += ledger.void_entries(entries, at=AT)
    money = balances(entries)
    assert money.recoupment_expected == D("84.10")
    assert (money.outstanding, money.patient_balance) == (0, 0)
    assert money.voided == D("107.50")  # the charge less the contractual write-down


def test_a_write_off_books_what_was_outstanding() -> None:
    partial = paid_by_line().model_copy(
        update={"lines": (paid_by_line().lines[0],), "paid_amount": D("73.60")}
    )
    entries = book(billed(), partial)
    assert balances(entries).outstanding == D(35)
    entries += ledger.write_off_entries(entries, at=AT)
    assert balances(entries).outstanding == 0 and balances(entries).written_off == D(35)


def test_a_corrected_claim_is_rebilled_by_difference_only() -> None:
    entries = billed()
    assert ledger.charge_entries(entries, [("99213", D(150)), ("85025", D(35))], at=AT) == []
    changed = ledger.charge_entries(entries, [("99214", D(200)), ("85025", D(35))], at=AT)
    assert [(e.kind, e.line, e.procedure_code, e.amount) for e in changed] == [
        (EntryKind.CHARGE, 1, "99213", D(-150)), (EntryKind.CHARGE, 1, "99214", D(200)),
    ]  # fmt: skip
    assert balances(entries + changed).charged == D(235)


def test_claim_level_remittance_without_lines() -> None:
    rem = Remittance(
        remittance_id="j1", claim_id="C1", payer_claim_control_number="P1",
        decision=Decision.PARTIALLY_PAID, total_charge=D(185), paid_amount=D(150),
        adjustments=(adj("CO", "97", "35"),),
    )  # fmt: skip
    money = balances(book(billed(), rem))
    assert (money.paid, money.denied, money.outstanding) == (D(150), D(35), D(35))


def test_a_payment_reconciles_when_every_claim_payment_is_posted() -> None:
    half = ledger.reconcile_payment(
        D("200.55"), expected_claims=2, claim_payments=[D("118.40")],
        provider_adjustments=[D("-2.15")],
    )  # fmt: skip
    assert not half.complete and not half.balanced
    whole = ledger.reconcile_payment(
        D("200.55"), expected_claims=2, claim_payments=[D("118.40"), D("80.00")],
        provider_adjustments=[D("-2.15")],
    )  # fmt: skip
    assert whole.complete and whole.balanced
