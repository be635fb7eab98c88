"""The payer's eligibility answer, X12 271 (005010X279A1), for the payer simulator and tests.

It takes what ``parse_270`` read (the question, to echo) and an ``EligibilityResult`` (the
payer's decision: the model ``read_271`` returns), so the simulator answers through the
same model claimflow reads, and a round trip ``read_271(render_271(x)) == x`` is testable.

Echoes the guide requires: BHT03 (the 270's), the payer and provider names and ids, the
subscriber's (and dependent's) name, id and birth date, and every TRN*1 of the 270 back as
TRN*2. Rejections go to the loop their ``RejectReason.loop`` names; one at the payer or
provider level (2000A, 2100A, 2100B) ends the answer there, since the payer took no
member-level look at the request. A benefit line naming several service types is written
as one EB per service type (EB03 repetitions are legal, but not every reader, pyx12
included, understands them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from claims.eligibility import Benefit, EligibilityResult, RejectReason
from claims.x12.eligibility_270 import (
    VERSION,
    Inquiry,
    originator_id,
    write_dmg,
    write_name,
    write_payer_name,
    write_provider,
)
from claims.x12.envelope import Envelope, Writer, date8, money, number, period

_TOP_LOOPS = ("2000A", "2100A", "2100B")
_MEMBER_LOOPS = ("2100C", "2100D")


@dataclass(frozen=True, slots=True)
class Answer:
    inquiry: Inquiry
    result: EligibilityResult
    # The payer's own trace for this answer (a TRN*1 after the echoed TRN*2s).
    payer_trace: str | None = None


def render_271(answers: Sequence[Answer], *, envelope: Envelope) -> str:
    """One transaction set per answer."""
    if not answers:
        raise ValueError("a 271 needs at least one answer")
    w = Writer(envelope)
    w.begin_interchange("HB", VERSION)
    for answer in answers:
        _answer(w, answer)
    return w.end_interchange()


def _aaa(w: Writer, reasons: Sequence[RejectReason], loop: str) -> None:
    for r in reasons:
        if r.loop == loop:
            w.seg("AAA", "Y" if r.valid_request else "N", "", r.reason, r.follow_up or "")


def _check_loops(result: EligibilityResult, has_dependent: bool) -> None:
    allowed = _TOP_LOOPS + (_MEMBER_LOOPS if has_dependent else _MEMBER_LOOPS[:1])
    for r in result.rejections:
        if r.loop not in allowed:
            raise ValueError(
                f"a rejection at loop {r.loop!r} has no place in this 271 "
                f"(expected one of {', '.join(allowed)})"
            )


def _answer(w: Writer, a: Answer) -> None:
    q, result = a.inquiry, a.result
    _check_loops(result, q.dependent is not None)
    e = w.envelope
    control = w.begin_transaction("271", VERSION)
    w.seg("BHT", "0022", "11", w.ident(q.reference, "BHT03 reference"),
          date8(e.created.date()), e.created.strftime("%H%M"))  # fmt: skip
    loops = {r.loop for r in result.rejections}
    source_only = bool(loops & {"2000A", "2100A"})
    w.seg("HL", "1", "", "20", "0" if source_only else "1")
    _aaa(w, result.rejections, "2000A")
    write_payer_name(w, q.payer_name, q.payer_id)
    _aaa(w, result.rejections, "2100A")
    if source_only:
        w.end_transaction(control)
        return
    receiver_only = "2100B" in loops
    write_provider(w, q.provider, "0" if receiver_only else "1")
    _aaa(w, result.rejections, "2100B")
    if receiver_only:
        w.end_transaction(control)
        return
    dependent = q.dependent
    w.seg("HL", "3", "2", "22", "1" if dependent else "0")
    if dependent is None:
        _traces(w, a)
    write_name(w, "IL", q.subscriber)
    if result.group_number:
        w.seg("REF", "6P", w.ident(result.group_number, "group number"),
              w.clean(result.group_name or "", 60))  # fmt: skip
    _aaa(w, result.rejections, "2100C")
    write_dmg(w, q.subscriber)
    if dependent is None:
        _coverage(w, result)
        return _finish(w, result, control)
    w.seg("HL", "4", "3", "23", "0")
    _traces(w, a)
    write_name(w, "03", dependent)
    _aaa(w, result.rejections, "2100D")
    write_dmg(w, dependent)
    if q.relationship:
        w.seg("INS", "N", q.relationship, "001", "25")
    _coverage(w, result)
    _finish(w, result, control)


def _finish(w: Writer, result: EligibilityResult, control: str) -> None:
    for benefit in result.benefits:
        _benefit(w, benefit)
    w.end_transaction(control)


def _traces(w: Writer, a: Answer) -> None:
    for t in a.inquiry.traces:
        w.seg("TRN", "2", w.ident(t.number, "trace number"), t.originator, t.extra or "")
    if a.payer_trace:
        w.seg("TRN", "1", w.ident(a.payer_trace, "payer trace"),
              originator_id(w.envelope.sender_id))  # fmt: skip


def _coverage(w: Writer, result: EligibilityResult) -> None:
    """Member-level dates: plan begin (346) and, for terminated coverage, plan end (347)."""
    if result.coverage_begin is not None:
        w.seg("DTP", "346", "D8", date8(result.coverage_begin))
    if result.coverage_end is not None:
        w.seg("DTP", "347", "D8", date8(result.coverage_end))


def _yes_no(value: bool | None, unknown: str) -> str:
    return unknown if value is None else "Y" if value else "N"


def _benefit(w: Writer, b: Benefit) -> None:
    if (b.quantity is None) != (b.quantity_qualifier is None):
        raise ValueError("EB09 and EB10 (quantity qualifier and quantity) go together")
    for service_type in b.service_types or ("",):
        w.seg(
            "EB", b.code, b.coverage_level or "", service_type, b.insurance_type or "",
            w.clean(b.plan or "", 50), b.time_period or "",
            money(b.amount) if b.amount is not None else "",
            number(b.percent) if b.percent is not None else "",
            b.quantity_qualifier or "", number(b.quantity) if b.quantity is not None else "",
            "" if b.authorization_required is None else _yes_no(b.authorization_required, "U"),
            "" if b.in_network is None else _yes_no(b.in_network, "W"),
        )  # fmt: skip
        for d in b.dates:
            w.seg("DTP", d.qualifier, *period(d.start, d.end))
        for r in b.rejections:
            w.seg("AAA", "Y" if r.valid_request else "N", "", r.reason, r.follow_up or "")
        for text in b.messages:
            w.seg("MSG", w.clean(text, 264))
