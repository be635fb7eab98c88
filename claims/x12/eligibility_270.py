"""The eligibility inquiry, X12 270 (005010X279A1): written by claimflow, read by a payer.

Each request is its own transaction set: a real-time exchange carries exactly one, and in a
batch file one bad inquiry then fails only itself. The hierarchy is payer (2000A), provider
asking (2000B), subscriber (2000C) and, when the patient is someone else, dependent (2000D).
The patient's loop carries the trace number (TRN*1, echoed by the 271 as TRN*2), the date
of service (DTP*291) and one 2110 loop per service type asked about (EQ). One EQ per loop
rather than one EQ with repetitions: the guide allows both, and a single code per EQ is
what every payer reads (pyx12 4.0.0 does not read repetitions at all).

``parse_270`` is the payer's side (the simulator): liberal where the guide leaves room
(no date of service means "today", an unknown sex code is dropped, both with a finding),
strict where an answer is impossible: no subscriber member id, or no loop structure.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from claims.eligibility import EligibilityRequest, InquiringProvider, Member, PayerRef
from claims.x12 import elements as el
from claims.x12.envelope import Envelope, Writer, date8
from claims.x12.errors import Position, X12Error, internal_error
from claims.x12.interchange import TransactionSet, transactions_of
from claims.x12.parse import Segment

VERSION = "005010X279A1"


def originator_id(sender_id: str) -> str:
    """TRN03: ten characters, "9" (a user-assigned id) and the sender's id, zero-padded."""
    core = re.sub(r"[^A-Z0-9]", "", sender_id.upper())[:9]
    return "9" + core.ljust(9, "0")


def render_270(requests: Sequence[EligibilityRequest], *, envelope: Envelope) -> str:
    """One interchange, one transaction set per request, numbered from the envelope's ST02."""
    if not requests:
        raise ValueError("a 270 needs at least one request")
    w = Writer(envelope)
    w.begin_interchange("HS", VERSION)
    for request in requests:
        _inquiry(w, request)
    return w.end_interchange()


def write_name(w: Writer, entity: str, who: Member) -> None:
    """NM1 of a subscriber (IL) or dependent (03); the 271 echoes it the same way."""
    member = w.ident(who.member_id, "member id") if who.member_id else ""
    w.seg(
        "NM1", entity, "1", w.clean(who.last_name or "", 60), w.clean(who.first_name or "", 35),
        "", "", "", "MI" if member else "", member,
    )  # fmt: skip


def write_dmg(w: Writer, who: Member) -> None:
    if who.date_of_birth is not None:
        w.seg("DMG", "D8", date8(who.date_of_birth), who.sex or "")


def write_payer_name(w: Writer, name: str, payer_id: str) -> None:
    """2100A NM1: the payer asked (the 271 echoes it)."""
    w.seg("NM1", "PR", "2", w.clean(name, 60), "", "", "", "", "PI", w.ident(payer_id, "payer id"))


def write_provider(w: Writer, p: InquiringProvider, child: str) -> None:
    """2000B HL and 2100B NM1: the provider asking (the 271 echoes it)."""
    w.seg("HL", "2", "1", "21", child)
    person = p.first_name is not None
    w.seg(
        "NM1", "1P", "1" if person else "2", w.clean(p.name, 60),
        w.clean(p.first_name or "", 35), "", "", "", p.qualifier,
        w.ident(p.identifier, "provider identifier"),
    )  # fmt: skip


def _person(w: Writer, entity: str, who: Member) -> None:
    write_name(w, entity, who)
    write_dmg(w, who)


def _ask(w: Writer, r: EligibilityRequest) -> None:
    w.seg("DTP", "291", "D8", date8(r.date_of_service))
    for service_type in r.service_types:
        w.seg("EQ", service_type)


def _inquiry(w: Writer, r: EligibilityRequest) -> None:
    e = w.envelope
    control = w.begin_transaction("270", VERSION)
    trace = w.ident(r.trace_number, "trace number")
    w.seg("BHT", "0022", "13", f"{e.interchange_control_number}-{control}",
          date8(e.created.date()), e.created.strftime("%H%M"))  # fmt: skip
    w.seg("HL", "1", "", "20", "1")
    write_payer_name(w, r.payer.name, r.payer.payer_id)
    write_provider(w, r.provider, "1")
    w.seg("HL", "3", "2", "22", "1" if r.dependent else "0")
    originator = originator_id(e.sender_id)
    if r.dependent is None:
        w.seg("TRN", "1", trace, originator)
    _person(w, "IL", r.subscriber)
    if r.dependent is None:
        _ask(w, r)
    else:
        w.seg("HL", "4", "3", "23", "0")
        w.seg("TRN", "1", trace, originator)
        _person(w, "03", r.dependent)
        if r.relationship:
            w.seg("INS", "N", r.relationship)
        _ask(w, r)
    w.end_transaction(control)


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class Trace:
    """A TRN segment: trace type (1 current, 2 referenced), number, originator, extra."""

    number: str
    originator: str
    extra: str | None = None


@dataclass(frozen=True, slots=True)
class Inquiry:
    """One patient asked about in a 270, as a payer reads it."""

    control_number: str
    # BHT03, echoed in the 271's BHT03.
    reference: str
    payer_id: str
    payer_name: str
    provider: InquiringProvider
    subscriber: Member
    traces: tuple[Trace, ...]
    service_types: tuple[str, ...]
    date_of_service: dt.date | None = None
    dependent: Member | None = None
    relationship: str | None = None
    findings: tuple[str, ...] = ()
    position: Position | None = None

    @property
    def trace_number(self) -> str | None:
        return self.traces[0].number if self.traces else None

    @property
    def member_id(self) -> str:
        return self.subscriber.member_id or ""

    def to_request(self) -> EligibilityRequest:
        """The inquiry as claimflow's model (for round trips); raises ``ValueError``."""
        return EligibilityRequest(
            trace_number=self.trace_number or "",
            payer=PayerRef(payer_id=self.payer_id, name=self.payer_name),
            provider=self.provider,
            subscriber=self.subscriber,
            dependent=self.dependent,
            relationship=self.relationship,
            date_of_service=self.date_of_service or dt.date.today(),
            service_types=self.service_types,
        )


def parse_270(data: str | bytes) -> list[Inquiry]:
    """Every patient asked about in every 270 of ``data``; raises ``X12Error``."""
    try:
        doc, found = transactions_of(
            data, functional_id="HS", set_id="270", versions=("005010X279",)
        )
        return [
            inquiry for _, _, st in found for inquiry in _inquiries(st, doc.delimiters.repetition)
        ]
    except X12Error:
        raise
    except Exception as exc:  # noqa: BLE001 - the contract is X12Error or a result
        raise internal_error(exc, "a 270") from exc


@dataclass
class _Patient:
    """The 2000C or 2000D loop being read."""

    hl: Segment
    nm1: Segment | None = None
    dmg: Segment | None = None
    traces: list[Trace] = field(default_factory=list)
    service_types: list[str] = field(default_factory=list)
    date: dt.date | None = None
    relationship: str | None = None
    dependents: list[_Patient] = field(default_factory=list)


def _member(nm1: Segment, dmg: Segment | None, findings: list[str]) -> Member:
    born: dt.date | None = None
    sex: str | None = None
    if dmg is not None:
        if dmg.get(1) == "D8":
            try:
                born = el.date8(dmg, 2, "birth date")
            except X12Error as exc:
                findings.append(f"{exc}: birth date ignored")
        sex = dmg.get(3) or None
        if sex not in (None, "F", "M", "U"):
            findings.append(f"{dmg.position} DMG03 sex {sex[:3]!r} is not F, M or U: ignored")
            sex = None
    try:
        return Member(
            member_id=nm1.get(9) or None, last_name=nm1.get(3) or None,
            first_name=nm1.get(4) or None, date_of_birth=born, sex=sex,
        )  # fmt: skip
    except ValidationError as exc:
        first = exc.errors()[0]
        raise nm1.error(f"NM1 name or id unusable: {first['loc'][0]}: {first['msg']}") from None


def _inquiries(st: TransactionSet, repetition: str | None) -> list[Inquiry]:
    body = st.body
    if not body or body[0].id != "BHT":
        raise X12Error("ST", st.st.position, "expected BHT (beginning of hierarchical transaction)")
    reference = body[0].get(3)
    findings: list[str] = []
    payer: Segment | None = None
    provider: Segment | None = None
    subscribers: list[_Patient] = []
    current: _Patient | None = None
    level = ""
    for seg in body[1:]:
        sid = seg.id
        if sid == "HL":
            level = el.code(seg, 3, ("20", "21", "22", "23"), "hierarchical level code")
            if level == "22":
                current = _Patient(seg)
                subscribers.append(current)
            elif level == "23":
                if not subscribers:
                    raise seg.error("a dependent (HL*23) before any subscriber (HL*22)")
                current = _Patient(seg)
                subscribers[-1].dependents.append(current)
            continue
        if sid == "NM1":
            if level == "20":
                payer = seg
            elif level == "21":
                provider = seg
            elif current is not None:
                current.nm1 = seg
        elif current is None:
            continue  # PER, REF, PRV, N3/N4 of the source or receiver: not needed to answer
        elif sid == "TRN":
            current.traces.append(
                Trace(el.required(seg, 2, "trace number"), seg.get(3), seg.get(4) or None)
            )
        elif sid == "DMG":
            current.dmg = seg
        elif sid == "INS":
            current.relationship = seg.get(2) or None
        elif sid == "DTP" and seg.get(1) in ("291", "307", "472"):
            try:
                current.date = el.period(seg, 2, 3, "date of service")[0]
            except X12Error as exc:
                findings.append(f"{exc}: date ignored")
        elif sid == "EQ":
            raw = el.required(seg, 1, "service type code")
            # A file without a repetition separator (ISA11 "U") has one code per element.
            codes = raw.split(repetition) if repetition else [raw]
            current.service_types.extend(t for t in codes if t)
    if payer is None:
        raise X12Error("ST", st.st.position, "no information source (2100A NM1*PR): no payer named")
    if provider is None:
        raise X12Error("ST", st.st.position, "no information receiver (2100B NM1*1P and kin)")
    if not subscribers:
        raise X12Error("ST", st.st.position, "no subscriber (HL*22): nobody to answer for")
    inquiry = _Shared(st, reference, payer, provider, findings)
    return [q for sub in subscribers for q in inquiry.of(sub)]


@dataclass
class _Shared:
    st: TransactionSet
    reference: str
    payer: Segment
    provider: Segment
    findings: list[str]

    def member(self, who: _Patient, *, subscriber: bool) -> Member:
        if who.nm1 is None:
            raise who.hl.error(f"HL {who.hl.get(1)} has no NM1 (name of the person asked about)")
        if subscriber and not who.nm1.get(9):
            raise who.nm1.error(
                "NM109 (subscriber member id) is required: claimflow's payers identify a "
                "member by id"
            )
        return _member(who.nm1, who.dmg, self.findings)

    def of(self, sub: _Patient) -> list[Inquiry]:
        subscriber = self.member(sub, subscriber=True)
        patients = sub.dependents or [sub]
        out = []
        for patient in patients:
            dependent = None if patient is sub else self.member(patient, subscriber=False)
            findings = list(self.findings)
            traces = patient.traces or sub.traces
            if not traces:
                findings.append(f"{patient.hl.position}: no TRN: the 271 cannot echo a trace")
            date = patient.date or sub.date
            if date is None:
                findings.append(f"{patient.hl.position}: no DTP*291: answered for today")
            types = patient.service_types or sub.service_types
            if not types:
                findings.append(f"{patient.hl.position}: no EQ: answered for 30 (plan coverage)")
            out.append(
                Inquiry(
                    control_number=self.st.control_number,
                    reference=self.reference,
                    payer_id=el.required(self.payer, 9, "payer identifier"),
                    payer_name=self.payer.get(3) or self.payer.get(9),
                    provider=_provider(self.provider),
                    subscriber=subscriber,
                    traces=tuple(traces),
                    service_types=tuple(types or ["30"]),
                    date_of_service=date,
                    dependent=dependent,
                    relationship=patient.relationship if dependent else None,
                    findings=tuple(findings),
                    position=patient.hl.position,
                )
            )
        return out


def _provider(nm1: Segment) -> InquiringProvider:
    person = nm1.get(2) == "1"
    try:
        return InquiringProvider(
            name=el.required(nm1, 3, "provider name"),
            identifier=el.required(nm1, 9, "provider identifier"),
            qualifier=nm1.get(8) or "XX",
            first_name=(nm1.get(4) or None) if person else None,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise nm1.error(f"provider {first['loc'][0]}: {first['msg']}") from None
