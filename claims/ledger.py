"""A claim's money as a ledger: entries are appended, never changed; balances are derived.

Billers reconcile by line and by check, so every payer decision is booked line by line:
each service line's charge, the payer's allowed amount, what it paid, and every adjustment
by group, CARC and RARCs, with the patient's share by kind (deductible PR-1, coinsurance
PR-2, copay PR-3, non-covered). Nothing is overwritten:

* a **reversal** (835 CLP02 22) is booked as it comes, with its negative amounts, and
  cancels the decision it reverses;
* a **new decision** (an appeal's outcome, a correction, a second payment) supersedes the
  standing one: that decision's adjustments are taken off by ``superseded`` entries (the
  payer's position is now the new one), but the money it paid stays paid. If it paid
  anything and was not reversed, that money is now owed back: a ``recoupment`` entry. So a
  second payment for a paid claim is an overpayment the ledger shows, not a silent
  overwrite; a later reversal recovers it;
* a **void** after payment records the recoupment to expect; a **write-off** books what
  was still outstanding.

The balances every screen and event shows come from ``balances``:
``outstanding = charged - (paid - recoupment) - contractual - patient - written off -
voided``; denials stay outstanding (money at risk until appealed or written off).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from claims.remittance import Adjustment, Decision, Remittance, is_denial

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
Money = Annotated[
    Decimal, Field(max_digits=14, decimal_places=2), AfterValidator(lambda d: d.quantize(CENT))
]


class EntryKind(StrEnum):
    CHARGE = "charge"  # a line billed (negative: taken back by a correction)
    ALLOWED = "allowed"  # what the payer allows for a line: information, not a balance
    PAYMENT = "payment"  # money from the payer (negative in a reversal)
    CONTRACTUAL = "contractual"  # reductions the provider absorbs (CO-45, OA-23 ...)
    DENIAL = "denial"  # what the payer refused: still outstanding until appealed or written off
    PATIENT = "patient"  # the patient's responsibility (group PR)
    WRITE_OFF = "write_off"
    VOID = "void"  # the claim withdrawn
    RECOUPMENT = "recoupment"  # money the payer will take back


class Activity(StrEnum):
    BILLED = "billed"
    ADJUDICATED = "adjudicated"
    REVERSAL = "reversal"
    SUPERSEDED = "superseded"
    OVERPAYMENT = "overpayment"
    WRITE_OFF = "write_off"
    VOID = "void"
    # Coordination of benefits: the patient's share the primary left, handed to the next
    # payer, and that payer's decision (which never supersedes the primary's).
    COB_TRANSFER = "cob_transfer"
    SECONDARY = "secondary"


class PatientKind(StrEnum):
    DEDUCTIBLE = "deductible"
    COINSURANCE = "coinsurance"
    COPAY = "copay"
    NON_COVERED = "non_covered"
    OTHER = "other"


# PR CARCs by kind; the non-covered ones are services the plan does not cover at all.
PATIENT_KINDS: dict[str, PatientKind] = {
    "1": PatientKind.DEDUCTIBLE,
    "2": PatientKind.COINSURANCE,
    "3": PatientKind.COPAY,
    **{carc: PatientKind.NON_COVERED for carc in ("49", "50", "96", "119", "204")},
}


class LedgerEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    # 1, 2, 3 ... per claim, in booking order.
    n: int = Field(ge=1)
    at: dt.datetime
    kind: EntryKind
    activity: Activity
    amount: Money
    # 1-based service line (the claim's line for charges, the SVC's place for the payer's).
    line: int | None = None
    procedure_code: str | None = None
    group: str | None = None
    carc: str | None = None
    rarcs: tuple[str, ...] = ()
    patient_kind: PatientKind | None = None
    # The payer message that booked it, and the payment (check/EFT) it came with.
    remittance_id: str | None = None
    payment_id: str | None = None
    trace_number: str | None = None
    # For reversal and superseded entries: the decision (remittance id) they take off.
    cancels: str | None = None


class LedgerBalances(BaseModel):
    model_config = ConfigDict(frozen=True)

    charged: Money = ZERO
    allowed: Money = ZERO
    paid: Money = ZERO
    contractual: Money = ZERO
    denied: Money = ZERO
    patient_responsibility: Money = ZERO
    deductible: Money = ZERO
    coinsurance: Money = ZERO
    copay: Money = ZERO
    non_covered: Money = ZERO
    written_off: Money = ZERO
    voided: Money = ZERO
    recoupment_expected: Money = ZERO
    # What the payer may still owe (never negative: see ``credit_balance``).
    outstanding: Money = ZERO
    # Paid beyond the charge with nothing explaining it: for a person to look at.
    credit_balance: Money = ZERO
    patient_balance: Money = ZERO


class LineAdjustment(BaseModel):
    model_config = ConfigDict(frozen=True)

    group: str
    carc: str
    amount: Money
    rarcs: tuple[str, ...] = ()


class LineBalance(BaseModel):
    """One service line as a biller reconciles it: net of every entry booked against it."""

    model_config = ConfigDict(frozen=True)

    line: int
    procedure_code: str | None = None
    charge: Money = ZERO
    allowed: Money = ZERO
    paid: Money = ZERO
    adjustments: tuple[LineAdjustment, ...] = ()
    patient: dict[PatientKind, Money] = Field(default_factory=dict)


class PaymentBalance(BaseModel):
    """A check or EFT reconciled: sum(CLP04) - sum(PLB) = BPR02."""

    model_config = ConfigDict(frozen=True)

    net_amount: Money
    claims_paid: Money
    provider_adjustments: Money
    claims_posted: int
    claims_expected: int
    balanced: bool
    complete: bool


def _sum(entries: Iterable[LedgerEntry], kind: EntryKind) -> Decimal:
    return sum((e.amount for e in entries if e.kind is kind), ZERO)


def balances(entries: Sequence[LedgerEntry]) -> LedgerBalances:
    by_kind = {kind: _sum(entries, kind) for kind in EntryKind}
    patient = {
        kind: sum(
            (e.amount for e in entries if e.kind is EntryKind.PATIENT and e.patient_kind is kind),
            ZERO,
        )
        for kind in PatientKind
    }
    raw = (
        by_kind[EntryKind.CHARGE]
        - (by_kind[EntryKind.PAYMENT] - by_kind[EntryKind.RECOUPMENT])
        - by_kind[EntryKind.CONTRACTUAL]
        - by_kind[EntryKind.PATIENT]
        - by_kind[EntryKind.WRITE_OFF]
        - by_kind[EntryKind.VOID]
    )
    return LedgerBalances(
        charged=by_kind[EntryKind.CHARGE],
        allowed=by_kind[EntryKind.ALLOWED],
        paid=by_kind[EntryKind.PAYMENT],
        contractual=by_kind[EntryKind.CONTRACTUAL],
        denied=by_kind[EntryKind.DENIAL],
        patient_responsibility=by_kind[EntryKind.PATIENT],
        deductible=patient[PatientKind.DEDUCTIBLE],
        coinsurance=patient[PatientKind.COINSURANCE],
        copay=patient[PatientKind.COPAY],
        non_covered=patient[PatientKind.NON_COVERED],
        written_off=by_kind[EntryKind.WRITE_OFF],
        voided=by_kind[EntryKind.VOID],
        recoupment_expected=by_kind[EntryKind.RECOUPMENT],
        outstanding=max(raw, ZERO),
        credit_balance=max(-raw, ZERO),
        patient_balance=max(by_kind[EntryKind.PATIENT], ZERO),
    )


class _LineSums:
    __slots__ = ("adjust", "code", "patient", "rarcs", "sums")

    def __init__(self) -> None:
        self.code: str | None = None
        self.sums: dict[EntryKind, Decimal] = {}
        self.adjust: dict[tuple[str, str], Decimal] = {}
        self.rarcs: dict[tuple[str, str], tuple[str, ...]] = {}
        self.patient: dict[PatientKind, Decimal] = {}

    def add(self, e: LedgerEntry) -> None:
        if e.procedure_code and (self.code is None or e.kind is EntryKind.CHARGE):
            self.code = e.procedure_code
        self.sums[e.kind] = self.sums.get(e.kind, ZERO) + e.amount
        if e.group and e.carc:
            key = (e.group, e.carc)
            self.adjust[key] = self.adjust.get(key, ZERO) + e.amount
            self.rarcs[key] = tuple(dict.fromkeys(self.rarcs.get(key, ()) + e.rarcs))
        if e.kind is EntryKind.PATIENT and e.patient_kind is not None:
            self.patient[e.patient_kind] = self.patient.get(e.patient_kind, ZERO) + e.amount

    def balance(self, line: int) -> LineBalance:
        return LineBalance(
            line=line,
            procedure_code=self.code,
            charge=self.sums.get(EntryKind.CHARGE, ZERO),
            allowed=self.sums.get(EntryKind.ALLOWED, ZERO),
            paid=self.sums.get(EntryKind.PAYMENT, ZERO),
            adjustments=tuple(
                LineAdjustment(group=g, carc=c, amount=amount, rarcs=self.rarcs[(g, c)])
                for (g, c), amount in self.adjust.items()
                if amount
            ),
            patient={k: v for k, v in self.patient.items() if v},
        )


def line_balances(entries: Sequence[LedgerEntry]) -> list[LineBalance]:
    """Per service line, net of every entry booked against it."""
    lines: dict[int, _LineSums] = {}
    for e in entries:
        if e.line is not None:
            lines.setdefault(e.line, _LineSums()).add(e)
    return [lines[n].balance(n) for n in sorted(lines)]


# ------------------------------------------------------------------ booking


class Book:
    """Builds the entries of one booking, numbered on from the claim's last entry."""

    def __init__(self, entries: Sequence[LedgerEntry], at: dt.datetime) -> None:
        self.next = (entries[-1].n if entries else 0) + 1
        self.at = at
        self.out: list[LedgerEntry] = []

    def add(self, kind: EntryKind, activity: Activity, amount: Decimal, **detail: object) -> None:
        if not amount:
            return
        self.out.append(
            LedgerEntry(n=self.next, at=self.at, kind=kind, activity=activity, amount=amount,
                        **detail)
        )  # fmt: skip
        self.next += 1


def charge_entries(
    entries: Sequence[LedgerEntry],
    lines: Sequence[tuple[str, Decimal]],
    *,
    at: dt.datetime,
) -> list[LedgerEntry]:
    """What to book so the ledger charges each line (procedure code, charge) as billed
    now: nothing if unchanged; a corrected or replaced claim re-bills the difference."""
    book = Book(entries, at)
    booked: dict[int, tuple[str | None, Decimal]] = {}
    for e in entries:
        if e.kind is EntryKind.CHARGE and e.line is not None:
            code, total = booked.get(e.line, (None, ZERO))
            booked[e.line] = (e.procedure_code if e.amount > 0 else code, total + e.amount)
    wanted = {n: (code, charge) for n, (code, charge) in enumerate(lines, start=1)}
    for n in sorted(set(booked) | set(wanted)):
        old_code, old = booked.get(n, (None, ZERO))
        new_code, new = wanted.get(n, (None, ZERO))
        if old and (old_code != new_code or old != new):
            book.add(EntryKind.CHARGE, Activity.BILLED, -old, line=n, procedure_code=old_code)
            old = ZERO
        if new != old:
            book.add(EntryKind.CHARGE, Activity.BILLED, new - old, line=n, procedure_code=new_code)
    return book.out


def standing_decision(entries: Sequence[LedgerEntry]) -> str | None:
    """The remittance id of the payer decision that stands (not reversed or superseded)."""
    standing: str | None = None
    for e in entries:
        if e.activity is Activity.ADJUDICATED:
            standing = e.remittance_id
        elif e.cancels is not None and e.cancels == standing:
            standing = None
    return standing


def _classify(group: str, carc: str) -> tuple[EntryKind, PatientKind | None]:
    if group == "PR":
        return EntryKind.PATIENT, PATIENT_KINDS.get(carc, PatientKind.OTHER)
    return (EntryKind.DENIAL if is_denial(group, carc) else EntryKind.CONTRACTUAL), None


def book_decision(
    book: Book, rem: Remittance, activity: Activity, cancels: str | None, *, allowed: bool = True
) -> None:
    ref = {
        "remittance_id": rem.remittance_id,
        "payment_id": rem.payment.payment_id if rem.payment else None,
        "trace_number": rem.trace_number,
        "cancels": cancels,
    }

    def adjust(a: Adjustment, line: int | None, code: str | None) -> None:
        kind, patient = _classify(a.group, a.carc)
        book.add(kind, activity, a.amount, line=line, procedure_code=code, group=a.group,
                 carc=a.carc, rarcs=a.rarcs, patient_kind=patient, **ref)  # fmt: skip

    if not rem.lines:
        book.add(EntryKind.PAYMENT, activity, rem.paid_amount, **ref)
        for a in rem.adjustments:
            adjust(a, None, None)
        return
    lines_paid = ZERO
    for line in rem.lines:
        code = line.procedure_code
        patient = sum((a.amount for a in line.adjustments if a.group == "PR"), ZERO)
        if allowed:  # a later payer's allowed amount is not the claim's
            amount = line.allowed if line.allowed is not None else line.paid + patient
            book.add(EntryKind.ALLOWED, activity, amount, line=line.line, procedure_code=code,
                     **ref)  # fmt: skip
        book.add(EntryKind.PAYMENT, activity, line.paid, line=line.line, procedure_code=code,
                 **ref)  # fmt: skip
        lines_paid += line.paid
        for a in line.adjustments:
            adjust(a, line.line, code)
    # CLP04 beyond the lines' SVC03 (interest, a claim-level amount) is paid to the claim.
    book.add(EntryKind.PAYMENT, activity, rem.paid_amount - lines_paid, **ref)
    for a in rem.claim_adjustments:
        adjust(a, None, None)


def remittance_entries(
    entries: Sequence[LedgerEntry], rem: Remittance, *, at: dt.datetime
) -> list[LedgerEntry]:
    """The entries a payer decision books (see the module docstring for the rules)."""
    book = Book(entries, at)
    standing = standing_decision(entries)
    recoupment = _sum(entries, EntryKind.RECOUPMENT)
    if rem.decision is Decision.REVERSAL:
        taken_back = -rem.paid_amount
        if recoupment > 0 and taken_back > 0:
            # The payer takes back an overpayment: the standing decision is untouched.
            recovered = min(recoupment, taken_back)
            book.add(EntryKind.PAYMENT, Activity.REVERSAL, rem.paid_amount,
                     remittance_id=rem.remittance_id, trace_number=rem.trace_number,
                     payment_id=rem.payment.payment_id if rem.payment else None)  # fmt: skip
            book.add(EntryKind.RECOUPMENT, Activity.REVERSAL, -recovered,
                     remittance_id=rem.remittance_id)  # fmt: skip
            return book.out
        book_decision(book, rem, Activity.REVERSAL, standing)
        return book.out
    if standing is not None:
        for e in entries:
            if e.remittance_id == standing and e.activity is Activity.ADJUDICATED:
                if e.kind is EntryKind.PAYMENT:
                    continue
                detail = e.model_dump(exclude={"n", "at", "kind", "activity", "amount", "cancels"})
                book.add(e.kind, Activity.SUPERSEDED, -e.amount, cancels=standing, **detail)
        paid_before = sum(
            (
                e.amount
                for e in entries
                if e.kind is EntryKind.PAYMENT and e.remittance_id == standing
            ),
            ZERO,
        )
        # Money the superseded decision paid, not reversed: the payer paid it twice.
        book.add(EntryKind.RECOUPMENT, Activity.OVERPAYMENT, paid_before,
                 remittance_id=rem.remittance_id, cancels=standing)  # fmt: skip
    book_decision(book, rem, Activity.ADJUDICATED, None)
    return book.out


def write_off_entries(entries: Sequence[LedgerEntry], *, at: dt.datetime) -> list[LedgerEntry]:
    book = Book(entries, at)
    book.add(EntryKind.WRITE_OFF, Activity.WRITE_OFF, balances(entries).outstanding)
    return book.out


def void_entries(entries: Sequence[LedgerEntry], *, at: dt.datetime) -> list[LedgerEntry]:
    """A voided claim: what the payer paid and kept is to be recouped, the patient owes
    nothing, and nothing is outstanding."""
    book = Book(entries, at)
    now = balances(entries)
    book.add(EntryKind.RECOUPMENT, Activity.VOID, now.paid - now.recoupment_expected)
    book.add(EntryKind.PATIENT, Activity.VOID, -now.patient_responsibility)
    after = balances([*entries, *book.out])
    book.add(EntryKind.VOID, Activity.VOID, after.outstanding)
    return book.out


def reconcile_payment(
    net_amount: Decimal,
    *,
    expected_claims: int,
    claim_payments: Sequence[Decimal],
    provider_adjustments: Sequence[Decimal],
) -> PaymentBalance:
    claims_paid = sum(claim_payments, ZERO)
    plb = sum(provider_adjustments, ZERO)
    complete = len(claim_payments) == expected_claims
    return PaymentBalance(
        net_amount=net_amount,
        claims_paid=claims_paid,
        provider_adjustments=plb,
        claims_posted=len(claim_payments),
        claims_expected=expected_claims,
        balanced=complete and claims_paid - plb == net_amount,
        complete=complete,
    )


def renumber(entries: Sequence[LedgerEntry], *, after: Sequence[LedgerEntry]) -> list[LedgerEntry]:
    """``entries`` numbered on from the last of ``after`` (entries built before others were
    booked ahead of them, e.g. a transition's re-billed charges)."""
    start = (after[-1].n if after else 0) + 1
    return [e.model_copy(update={"n": start + i}) for i, e in enumerate(entries)]
