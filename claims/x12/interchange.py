"""The ISA/GS/ST envelopes around every transaction, checked before any content is read.

The trailers (SE, GE, IEA) repeat the control numbers and count what they close. A
missing trailer means the file was cut or spliced: nothing inside it is trusted, and that
is an ``X12Error`` naming where it stopped, never a partly read file. A trailer that is
present but repeats the wrong control number or count is common in files people edited by
hand (and in many senders' test files): a liberal read notes it as a deviation and goes
on, since the segments themselves are all there; a strict read refuses it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from claims.x12.errors import Deviations, Position, X12Error, X12Finding
from claims.x12.parse import Delimiters, Segment, tokenize


@dataclass(slots=True)
class TransactionSet:
    st: Segment
    # The segments between ST and SE (both excluded).
    body: list[Segment]
    se: Segment | None = None

    @property
    def set_id(self) -> str:
        return self.st.get(1)

    @property
    def control_number(self) -> str:
        return self.st.get(2)


@dataclass(slots=True)
class FunctionalGroup:
    gs: Segment
    transactions: list[TransactionSet] = field(default_factory=list)

    @property
    def functional_id(self) -> str:
        return self.gs.get(1)

    @property
    def control_number(self) -> str:
        return self.gs.get(6)

    @property
    def version(self) -> str:
        return self.gs.get(8)


@dataclass(slots=True)
class Interchange:
    isa: Segment
    groups: list[FunctionalGroup] = field(default_factory=list)

    @property
    def sender_id(self) -> str:
        return self.isa.get(6).strip()

    @property
    def receiver_id(self) -> str:
        return self.isa.get(8).strip()

    @property
    def control_number(self) -> str:
        return self.isa.get(13)

    @property
    def usage(self) -> str:
        return self.isa.get(15)


@dataclass(slots=True)
class Document:
    delimiters: Delimiters
    interchanges: list[Interchange]
    # What a liberal read tolerated (empty for a strict one, which raises instead).
    findings: list[X12Finding] = field(default_factory=list)

    def transactions(self) -> Iterator[tuple[Interchange, FunctionalGroup, TransactionSet]]:
        for isa in self.interchanges:
            for gs in isa.groups:
                for st in gs.transactions:
                    yield isa, gs, st


def _count(seg: Segment, n: int, what: str, actual: int, dev: Deviations) -> None:
    raw = seg.get(n)
    if not (raw.isascii() and raw.isdigit()):
        dev.note(seg.id, seg.position, f"{seg.id}{n:02d} ({what}) must be a number, got {raw!r}")
    elif int(raw) != actual:
        dev.note(seg.id, seg.position, f"{seg.id}{n:02d} says {int(raw)} {what} but there are "
                 f"{actual}")  # fmt: skip


def _close_transaction(
    st: Segment, body: list[Segment], se: Segment, dev: Deviations
) -> TransactionSet:
    if se.get(2) != st.get(2):
        dev.note("SE", se.position, f"SE02 control number {se.get(2)!r} does not match ST02 "
                 f"{st.get(2)!r} (segment {st.index})")  # fmt: skip
    _count(se, 1, "segments (segments missing or added?)", len(body) + 2, dev)
    return TransactionSet(st, body, se)


def _close_group(group: FunctionalGroup, ge: Segment, dev: Deviations) -> None:
    if ge.get(2) != group.control_number:
        dev.note("GE", ge.position, f"GE02 {ge.get(2)!r} does not match GS06 "
                 f"{group.control_number!r} (segment {group.gs.index})")  # fmt: skip
    _count(ge, 1, "transaction sets", len(group.transactions), dev)


def _close_interchange(interchange: Interchange, iea: Segment, dev: Deviations) -> None:
    if iea.get(2) != interchange.control_number:
        dev.note("IEA", iea.position, f"IEA02 {iea.get(2)!r} does not match ISA13 "
                 f"{interchange.control_number!r}")  # fmt: skip
    _count(iea, 1, "groups", len(interchange.groups), dev)


def read_document(data: str | bytes, findings: list[X12Finding] | None = None) -> Document:
    """Every interchange in ``data`` with its groups and transaction sets, trailers checked.

    With a ``findings`` list the read is liberal: tolerated deviations are appended there
    (and kept on the document); without one it is strict and raises at the first."""
    dev = Deviations(findings)
    tokens = tokenize(data, dev)
    interchanges: list[Interchange] = []
    isa: Interchange | None = None
    group: FunctionalGroup | None = None
    st: Segment | None = None
    body: list[Segment] = []
    for seg in tokens.segments:
        sid = seg.id
        if st is not None:
            if sid == "SE":
                assert group is not None
                group.transactions.append(_close_transaction(st, body, seg, dev))
                st, body = None, []
            elif sid in ("ST", "GS", "GE", "ISA", "IEA"):
                raise seg.error(f"{sid} inside transaction set {st.get(2)!r}: its SE is missing")
            else:
                body.append(seg)
        elif sid == "ISA":
            if isa is not None:
                raise seg.error("a second ISA before the IEA of the first")
            if len(seg.elements) != 17:
                raise seg.error(f"the ISA has 16 elements, found {len(seg.elements) - 1}")
            isa = Interchange(seg)
        elif isa is None:
            raise seg.error(f"{sid} outside an interchange: segments out of order")
        elif sid == "GS":
            if group is not None:
                raise seg.error("a second GS before the GE of the first")
            group = FunctionalGroup(seg)
        elif sid == "GE":
            if group is None:
                raise seg.error("GE without a GS")
            _close_group(group, seg, dev)
            isa.groups.append(group)
            group = None
        elif sid == "IEA":
            if group is not None:
                raise seg.error(f"IEA before the GE of group {group.control_number!r}")
            _close_interchange(isa, seg, dev)
            interchanges.append(isa)
            isa = None
        elif sid == "ST":
            if group is None:
                raise seg.error("ST outside a functional group: segments out of order")
            st = seg
        else:
            raise seg.error(f"{sid} outside a transaction set: segments out of order")
    if st is not None or group is not None or isa is not None:
        last = tokens.segments[-1]
        missing = "SE" if st is not None else "GE" if group is not None else "IEA"
        raise X12Error(
            last.id,
            Position(last.index, last.offset),
            f"truncated: the file ends without its {missing}",
        )
    if not any(i.groups for i in interchanges):
        raise X12Error(None, Position(1, 0), "the interchange holds no functional group")
    return Document(tokens.delimiters, interchanges, dev.found)


def transactions_of(
    data: str | bytes,
    *,
    functional_id: str,
    set_id: str,
    versions: tuple[str, ...],
    findings: list[X12Finding] | None = None,
) -> tuple[Document, list[tuple[Interchange, FunctionalGroup, TransactionSet]]]:
    """The transaction sets of one kind; any other kind in the file is an error, since a
    caller that asked for 835s must not silently drop a 277 that came along."""
    doc = read_document(data, findings)
    found = []
    for isa, gs, st in doc.transactions():
        if gs.functional_id != functional_id:
            raise gs.gs.error(
                f"GS01 {gs.functional_id!r} is not {functional_id!r}: not a {set_id} group"
            )
        if not gs.version.startswith(versions):
            raise gs.gs.error(f"GS08 version {gs.version!r} is not one of {', '.join(versions)}")
        if st.set_id != set_id:
            raise st.st.error(f"ST01 {st.set_id!r} is not {set_id!r}")
        found.append((isa, gs, st))
    if not found:
        raise X12Error(None, Position(1, 0), f"no {set_id} transaction set in the file")
    return doc, found
