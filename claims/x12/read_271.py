"""Read a 271 (005010X279A1), the payer's eligibility answer, into ``EligibilityResult``.

Where things sit in a 271:

* 2000A/2100A (payer), 2100B (provider): AAA here means the payer could not take the
  request at all (42 unable to respond, 43 provider not on file, 79 ...); it applies to
  every patient of the transaction set, and there may be no patient loop at all.
* 2000C/2100C (subscriber), 2000D/2100D (dependent): TRN*2 echoes our 270's TRN*1 (that is
  how an answer finds its question), AAA says the member could not be identified (75 not
  found, 72 bad id ...), REF*6P/1L/18 name the group and plan, DTP the coverage dates.
* 2110C/2110D: one EB per benefit line: EB01 what it is (1 active, 6 inactive, A
  coinsurance, B copay, C deductible, G out of pocket ...), EB02 coverage level, EB03
  service types, EB06 time period (29 remaining), EB07 amount, EB08 percent, EB12 in
  network. DTP, AAA and MSG after it belong to it; LS ... LE wraps 2120 entities (other
  payers, primary care providers), which are skipped.

Read liberally: a value that breaks the guide inside a benefit line (an amount that is not
a number, an unknown qualifier) becomes a finding and the rest is kept; only what leaves
the answer unplaceable (the envelope, the hierarchy, an EB without EB01) is an
``X12Error`` naming the segment and element.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from claims.eligibility import (
    Benefit,
    BenefitDate,
    EligibilityResult,
    EligibilityStatus,
    RejectReason,
    status_of,
)
from claims.eligibility_codes import INACTIVE_CODES
from claims.x12 import elements as el
from claims.x12.errors import X12Error, internal_error
from claims.x12.interchange import TransactionSet, transactions_of
from claims.x12.parse import Delimiters, Segment

_BEGIN = ("346", "356", "348")
_END = ("347", "357", "349")
_RANGES = ("291", "307", "292")
_GROUP_REFS = ("6P", "1L", "IG")
_YES_NO = {"Y": True, "N": False}


@dataclass(frozen=True, slots=True)
class Response:
    """One 271 transaction set: its BHT03 (our 270's BHT03) and each patient's result."""

    control_number: str
    reference: str
    results: tuple[EligibilityResult, ...]


def parse_271(data: str | bytes) -> list[Response]:
    """Every 271 transaction set of ``data``; raises ``X12Error``."""
    try:
        doc, found = transactions_of(
            data, functional_id="HB", set_id="271", versions=("005010X279",)
        )
        return [_Reader(st, doc.delimiters).read() for _, _, st in found]
    except X12Error:
        raise
    except Exception as exc:  # noqa: BLE001 - the contract is X12Error or a result
        raise internal_error(exc, "a 271") from exc


def results_of(data: str | bytes) -> list[EligibilityResult]:
    """All results of all transaction sets, in file order."""
    return [r for response in parse_271(data) for r in response.results]


@dataclass
class _Benefit:
    eb: Segment
    values: dict[str, object]
    dates: list[BenefitDate] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    rejections: list[RejectReason] = field(default_factory=list)


@dataclass
class _Level:
    """A subscriber (2000C) or dependent (2000D) loop."""

    hl: Segment
    loop: str
    trace: str | None = None
    named: bool = False
    rejections: list[RejectReason] = field(default_factory=list)
    benefits: list[_Benefit] = field(default_factory=list)
    begin: dt.date | None = None
    end: dt.date | None = None
    refs: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    dependents: list[_Level] = field(default_factory=list)


class _Reader:
    def __init__(self, st: TransactionSet, d: Delimiters) -> None:
        self.st = st
        self.d = d
        self.findings: list[str] = []
        self.top: list[RejectReason] = []
        self.payer_id: str | None = None
        self.subscribers: list[_Level] = []

    def note(self, seg: Segment, message: str) -> None:
        self.findings.append(f"segment {seg.index} ({seg.id}): {message}")

    def read(self) -> Response:
        body = self.st.body
        if not body or body[0].id != "BHT":
            raise X12Error(
                "ST", self.st.st.position, "expected BHT (beginning of hierarchical transaction)"
            )
        reference = body[0].get(3)
        if body[0].get(2) not in ("11", "06"):
            self.note(body[0], f"BHT02 {body[0].get(2)[:3]!r} is not 11 (response)")
        level = ""
        loop = ""
        current: _Level | None = None
        benefit: _Benefit | None = None
        in_2120 = False
        for seg in body[1:]:
            sid = seg.id
            if in_2120:
                in_2120 = sid != "LE"
                continue
            if sid == "HL":
                level = el.code(seg, 3, ("20", "21", "22", "23"), "hierarchical level code")
                loop = {"20": "2000A", "21": "2000B", "22": "2000C", "23": "2000D"}[level]
                benefit = None
                if level == "22":
                    current = _Level(seg, "C")
                    self.subscribers.append(current)
                elif level == "23":
                    if not self.subscribers:
                        raise seg.error("a dependent (HL*23) before any subscriber (HL*22)")
                    current = _Level(seg, "D")
                    self.subscribers[-1].dependents.append(current)
                else:
                    current = None
                continue
            if not level:
                raise seg.error(f"{sid} before the first HL: segments out of order")
            if sid == "EB":
                if current is None:
                    raise seg.error(f"EB outside a subscriber or dependent loop (in {loop})")
                benefit = _Benefit(seg, self.benefit_values(seg))
                current.benefits.append(benefit)
                continue
            if benefit is not None and current is not None:
                in_2120 = self.in_benefit(benefit, seg, "2110" + current.loop)
                continue
            if sid == "NM1":
                loop = loop[:1] + "1" + loop[2:]  # 2000x -> 2100x
                if level == "20":
                    self.payer_id = seg.get(9) or None
                elif current is not None:
                    current.named = True
            elif sid == "AAA":
                reason = self.reject(seg, loop)
                (current.rejections if current is not None else self.top).append(reason)
            elif current is not None:
                self.member_segment(current, seg)
        return Response(self.st.control_number, reference, tuple(self.results()))

    # ---------------------------------------------------------------- member level

    def member_segment(self, level: _Level, seg: Segment) -> None:
        sid = seg.id
        if sid == "TRN":
            if seg.get(1) == "2":
                level.trace = seg.get(2) or level.trace
        elif sid == "REF" and seg.get(1):
            level.refs[seg.get(1)] = (seg.get(2), seg.get(3) or None)
        elif sid == "DTP":
            dates = self.dates(seg)
            if dates is None:
                return
            qualifier = dates.qualifier
            if qualifier in _BEGIN or qualifier in _RANGES:
                level.begin = dates.start
            if qualifier in _RANGES and dates.end is not None:
                level.end = dates.end
            if qualifier in _END:
                level.end = dates.start

    # --------------------------------------------------------------- benefit level

    def in_benefit(self, benefit: _Benefit, seg: Segment, loop: str) -> bool:
        """Attach a 2110 segment to its EB; True when an LS opens a 2120 loop."""
        sid = seg.id
        if sid == "DTP":
            dates = self.dates(seg)
            if dates is not None:
                benefit.dates.append(dates)
        elif sid == "AAA":
            benefit.rejections.append(self.reject(seg, loop))
        elif sid == "MSG":
            if seg.get(1):
                benefit.messages.append(seg.get(1))
        elif sid == "LS":
            return True
        elif sid not in ("HSD", "REF", "III", "LE"):
            self.note(seg, f"{sid} inside a benefit loop (2110) is not expected there: skipped")
        return False

    def benefit_values(self, eb: Segment) -> dict[str, object]:
        values: dict[str, object] = {
            "code": el.required(eb, 1, "eligibility or benefit information code")
        }
        for n, key in (
            (2, "coverage_level"),
            (4, "insurance_type"),
            (5, "plan"),
            (6, "time_period"),
            (9, "quantity_qualifier"),
        ):
            if eb.get(n):
                values[key] = eb.get(n)
        if eb.get(3):
            rep = self.d.repetition
            codes = eb.get(3).split(rep) if rep else [eb.get(3)]
            values["service_types"] = tuple(t for t in codes if t)
        for n, key, what in ((7, "amount", "benefit amount"), (8, "percent", "benefit percent")):
            if eb.get(n):
                try:
                    values[key] = el.money(eb, n, what) if n == 7 else el.quantity(eb, n, what)
                except X12Error as exc:
                    self.findings.append(f"{exc}: ignored")
        if eb.get(10):
            try:
                values["quantity"] = el.quantity(eb, 10, "benefit quantity")
            except X12Error as exc:
                self.findings.append(f"{exc}: ignored")
        if eb.get(11):
            values["authorization_required"] = _YES_NO.get(eb.get(11))
        if eb.get(12):
            if eb.get(12) not in ("Y", "N", "W", "U"):
                self.note(eb, f"EB12 {eb.get(12)[:3]!r} is not Y, N, W or U: network unknown")
            values["in_network"] = _YES_NO.get(eb.get(12))
        percent = values.get("percent")
        if isinstance(percent, Decimal) and percent > 1:
            # Some payers send 20 for 20%; the guide's EB08 is a fraction (0.20).
            self.note(eb, f"EB08 {percent} is not a fraction: read as {percent}%")
            values["percent"] = percent / 100
        return values

    # ----------------------------------------------------------------- shared parts

    def reject(self, seg: Segment, loop: str) -> RejectReason:
        reason = seg.get(3)
        if not reason:
            self.note(seg, "AAA03 (reject reason) is missing: the rejection is kept as 'unknown'")
        valid = seg.get(1)
        if valid not in ("Y", "N"):
            self.note(seg, f"AAA01 {valid[:3]!r} is not Y or N")
        return RejectReason(
            loop=loop,
            valid_request=valid == "Y",
            reason=reason or "??",
            follow_up=seg.get(4) or None,
        )

    def dates(self, seg: Segment) -> BenefitDate | None:
        try:
            start, end = el.period(seg, 2, 3, "date")
        except X12Error as exc:
            self.findings.append(f"{exc}: date ignored")
            return None
        return BenefitDate(qualifier=seg.get(1), start=start, end=end)

    def results(self) -> list[EligibilityResult]:
        if not self.subscribers:
            if not self.top:
                raise X12Error(
                    "ST", self.st.st.position, "no subscriber (HL*22) and no AAA: an empty answer"
                )
            return [self.result(None, None)]
        out = []
        for sub in self.subscribers:
            if not sub.named:
                self.note(sub.hl, "the subscriber loop has no NM1")
            for patient in sub.dependents or [sub]:
                out.append(self.result(sub, None if patient is sub else patient))
        return out

    def result(self, sub: _Level | None, dep: _Level | None) -> EligibilityResult:
        levels = [x for x in (sub, dep) if x is not None]
        rejections = tuple(self.top) + tuple(r for x in levels for r in x.rejections)
        benefits = tuple(_benefit(b) for x in levels for b in x.benefits)
        refs: dict[str, tuple[str, str | None]] = {}
        for x in levels:
            refs.update(x.refs)
        group = next((refs[q] for q in _GROUP_REFS if q in refs), None)
        plan = next((b.plan for b in benefits if b.plan and b.code in ("1", "6")), None)
        if plan is None and "18" in refs:
            plan = refs["18"][1] or refs["18"][0]
        begin = next((x.begin for x in reversed(levels) if x.begin), None)
        end = next((x.end for x in reversed(levels) if x.end), None)
        if end is None:
            end = next(
                (
                    d.start
                    for b in benefits
                    if b.code in INACTIVE_CODES
                    for d in b.dates
                    if d.qualifier in _END
                ),
                None,
            )
        trace = next((x.trace for x in reversed(levels) if x.trace), None)
        if levels and trace is None:
            self.note(levels[-1].hl, "no TRN*2: the answer cannot be matched to its 270 by trace")
        return EligibilityResult(
            status=status_of(benefits, rejections),
            trace_number=trace,
            payer_id=self.payer_id,
            coverage_begin=begin,
            coverage_end=end,
            plan_name=plan,
            group_number=group[0] if group else None,
            group_name=group[1] if group else None,
            benefits=benefits,
            rejections=rejections,
            findings=tuple(self.findings),
        )


def _benefit(b: _Benefit) -> Benefit:
    return Benefit(
        **b.values,
        dates=tuple(b.dates),
        messages=tuple(b.messages),
        rejections=tuple(b.rejections),
    )


def answer_for(
    trace_number: str, data: str | bytes, *, claim_id: str | None = None
) -> EligibilityResult:
    """The result a 271 gives for the 270 with ``trace_number`` (its TRN*1, echoed as TRN*2).

    Never raises: an unreadable 271, or one that answers some other inquiry, is an
    ``error`` result that says so, since the caller asked one question and must get one
    answer. A payer-level rejection carries no trace; in a one-question exchange it is the
    answer to that question.
    """
    try:
        results = results_of(data)
    except X12Error as exc:
        return EligibilityResult(
            status=EligibilityStatus.ERROR,
            trace_number=trace_number,
            claim_id=claim_id,
            message=f"the payer's 271 cannot be read: {exc}",
        )
    matching = [r for r in results if r.trace_number == trace_number]
    if not matching:
        matching = [r for r in results if r.trace_number is None]
    if not matching:
        traces = ", ".join(sorted({r.trace_number or "" for r in results}))
        return EligibilityResult(
            status=EligibilityStatus.ERROR,
            trace_number=trace_number,
            claim_id=claim_id,
            message=f"the 271 answers trace number(s) {traces}, not {trace_number}",
        )
    found = matching[0]
    extra = (
        () if len(matching) == 1 else (f"{len(matching)} answers for one trace: the first is used",)
    )
    return found.model_copy(
        update={
            "trace_number": trace_number,
            "claim_id": claim_id,
            "findings": found.findings + extra,
        }
    )
