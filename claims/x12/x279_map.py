"""pyx12 maps for the eligibility guide 005010X279A1 (270 and 271), which pyx12 4.0.0 lacks.

pyx12 4.0.0 ships maps for the 4010 eligibility guide (X092A1) only; its index lists the
5010 ones commented out. So that pyx12 still checks every 270 and 271 claimflow writes
(and ``claimflow x12 validate`` checks a payer's), this module describes the X279A1
structure as data -- loops, segments, which elements are required, situational or not
used, and the qualifier code lists -- and writes it as pyx12 map XML. Element types and
lengths come from pyx12's own data element dictionary, the envelope (ISA/GS/GE/IEA) from
its 5010 277CA map, so only the transaction set itself is described here.

Where the guide's code list for an element is long or payer-extended (service types,
insurance types, REF qualifiers, AAA reject reasons per level) no list is given and any
well-formed value passes: the map is strict about structure and usage, and about the
qualifiers that decide which loop a segment opens.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Literal

VERSION = "005010X279A1"
MAP_FILES = {"270": "270.5010.X279.A1.xml", "271": "271.5010.X279.A1.xml"}
FUNCTIONAL_IDS = {"270": "HS", "271": "HB"}

Usage = Literal["R", "S", "N"]

# Data elements of each segment, by position: a data element number, or a composite as
# (composite id, its data elements).
_C003 = ("C003", ("235", "234", "1339", "1339", "1339", "1339", "352", "234"))
_C004 = ("C004", ("1328", "1328", "1328", "1328"))
_C022 = ("C022", ("1270", "1271", "1250", "1251", "782", "380", "799", "1271", "1073"))
Elem = str | tuple[str, tuple[str, ...]]
SEGMENT_ELEMENTS: dict[str, tuple[Elem, ...]] = {
    "ST": ("143", "329", "1705"),
    "SE": ("96", "329"),
    "BHT": ("1005", "353", "127", "373", "337", "640"),
    "HL": ("628", "734", "735", "736"),
    "TRN": ("481", "127", "509", "127"),
    "NM1": (
        "98",
        "1065",
        "1035",
        "1036",
        "1037",
        "1038",
        "1039",
        "66",
        "67",
        "706",
        "98",
        "1035",
    ),  # fmt: skip
    "REF": ("128", "127", "352", ("C040", ())),
    "N3": ("166", "166"),
    "N4": ("19", "156", "116", "26", "309", "310", "1715"),
    "PER": ("366", "93", "365", "364", "365", "364", "365", "364", "443"),
    "PRV": ("1221", "128", "127", "156", ("C035", ()), "1223"),
    "DMG": (
        "1250",
        "1251",
        "1068",
        "1067",
        ("C056", ()),
        "1066",
        "26",
        "659",
        "380",
        "1270",
        "1271",
    ),  # fmt: skip
    "INS": (
        "1073",
        "1069",
        "875",
        "1203",
        "1216",
        ("C052", ()),
        "1219",
        "584",
        "1220",
        "1073",
        "1250",
        "1251",
        "1165",
        "19",
        "156",
        "26",
        "1470",
    ),  # fmt: skip
    "HI": (_C022,) * 12,
    "DTP": ("374", "1250", "1251"),
    "MPI": ("1201", "584", "1595", "352", "1596", "1250", "1251"),
    "EQ": ("1365", _C003, "1207", "1336", _C004),
    "AMT": ("522", "782", "478"),
    "III": ("1270", "1271", "1136", "933", "380", ("C001", ()), "752", "752", "752"),
    "EB": (
        "1390",
        "1207",
        "1365",
        "1336",
        "1204",
        "615",
        "782",
        "954",
        "673",
        "380",
        "1073",
        "1073",
        _C003,
        _C004,
    ),  # fmt: skip
    "HSD": ("673", "380", "355", "1167", "615", "616", "678", "679"),
    "AAA": ("1073", "559", "901", "889"),
    "MSG": ("933", "934", "1470"),
    "LS": ("447",),
    "LE": ("447",),
}
# Components required whenever the composite is sent (a qualifier, and its code).
_REQUIRED_COMPONENTS = {"C003": 2, "C004": 1, "C022": 2}
_COMPOSITE_NAMES = {
    "C001": "Composite Unit of Measure",
    "C003": "Composite Medical Procedure Identifier",
    "C004": "Composite Diagnosis Code Pointer",
    "C022": "Health Care Code Information",
    "C035": "Provider Specialty Information",
    "C040": "Reference Identifier",
    "C052": "Medicare Status Code",
    "C056": "Composite Race or Ethnicity Information",
}


@dataclass(frozen=True)
class Seg:
    """A segment in a loop: ``use`` has one R/S/N per element (missing ones are N)."""

    id: str
    name: str
    usage: Usage
    max_use: str = "1"
    use: str = ""
    codes: dict[int, str] = field(default_factory=dict)
    syntax: tuple[str, ...] = ()


@dataclass(frozen=True)
class Loop:
    id: str
    name: str
    usage: Usage
    repeat: str
    children: tuple[Seg | Loop, ...]


# -------------------------------------------------------------------- shared pieces

_NM1_SYNTAX = ("P0809", "C1110", "C1203")
_NM1_ENTITY = "RRRSSNSRR"  # an organization or person with a required id
_NM1_MEMBER = "RRSSSNSSS"  # a member: name and id each situational (search options)
_ISSUER = "1 2"


def _hl(level: str, child: str) -> Seg:
    return Seg("HL", "Hierarchical Level", "R", use="RSRR", codes={3: level, 4: child})


def _trn(kind: str) -> Seg:
    return Seg("TRN", "Trace", "S", "3", "RRRS", {1: kind})


def _ref(name: str) -> Seg:
    return Seg("REF", name, "S", "9", "RSS", syntax=("R0203",))


_N3 = Seg("N3", "Address", "S", use="RS")
_N4 = Seg("N4", "City, State, ZIP Code", "S", use="RSSSNNS", syntax=("E0207", "C0605", "C0704"))
_PRV = Seg("PRV", "Provider Information", "S", use="RRR", codes={2: "PXC"}, syntax=("P0203",))
_DMG = Seg("DMG", "Demographic Information", "S", use="RRS", codes={1: "D8", 3: "F M U"},
           syntax=("P0102",))  # fmt: skip
_INS = Seg("INS", "Relationship", "S", use="RRSSNNNNSNNNNNNNS",
           codes={1: "N Y", 2: "01 18 19 34"})  # fmt: skip
_HI = Seg("HI", "Health Care Diagnosis Code", "S", use="RSSSSSSS")
_PER = Seg("PER", "Contact Information", "S", "3", "RSSSSSSS",
           {1: "IC", 3: "ED EM FX TE UR", 5: "ED EM EX FX TE UR", 7: "ED EM EX FX TE UR"},
           ("P0304", "P0506", "P0708"))  # fmt: skip
_AAA = Seg("AAA", "Request Validation", "S", "9", "RNRR",
           {1: "N Y", 4: "C N P R S W X Y"})  # fmt: skip
_DTP = Seg("DTP", "Date", "S", "9", "RRR", {2: "D8 RD8"})


# ---------------------------------------------------------------------------- 270


def _eq_loop(suffix: str) -> Loop:
    return Loop(
        f"2110{suffix}", "Eligibility or Benefit Inquiry", "S", "99",
        (
            Seg("EQ", "Eligibility or Benefit Inquiry", "R", use="SSSSS", syntax=("R0102",)),
            Seg("AMT", "Spend Down Amount", "S", use="RR", codes={1: "R"}),
            Seg("AMT", "Spend Down Total Billed Amount", "S", use="RR", codes={1: "PB"}),
            Seg("III", "Additional Inquiry Information", "S", "10", "SSSSNNNNN"),
            Seg("REF", "Additional Information", "S", use="RRS", codes={1: "9F G1"}),
            Seg("DTP", "Date", "S", use="RRR", codes={1: "291", 2: "D8 RD8"}),
        ),
    )  # fmt: skip


def _inquired(suffix: str, entity: str, use: str) -> Loop:
    return Loop(
        f"2100{suffix}", "Name", "R", "1",
        (
            Seg("NM1", "Name", "R", use=use, codes={1: entity, 2: "1"}, syntax=_NM1_SYNTAX),
            _ref("Additional Identification"), _N3, _N4, _PRV, _DMG, _INS, _HI,
            Seg("DTP", "Date", "S", "2", "RRR", {1: "291", 2: "D8 RD8"}),
            _eq_loop(suffix),
        ),
    )  # fmt: skip


def _270() -> Loop:
    dependent = Loop("2000D", "Dependent Level", "S", ">1",
                     (_hl("23", "0"), _trn("1"), _inquired("D", "03", "RRRSSNS")))  # fmt: skip
    subscriber = Loop(
        "2000C", "Subscriber Level", "R", ">1",
        (_hl("22", "0 1"), _trn("1"), _inquired("C", "IL", _NM1_MEMBER), dependent),
    )  # fmt: skip
    receiver = _receiver("R", "1", (), subscriber)
    return _source("1", receiver, ())


def _receiver(usage: Usage, child: str, extra: tuple[Seg, ...], subscriber: Loop) -> Loop:
    """2000B/2100B: the provider asking (the 271 adds AAA before PRV)."""
    name = Seg(
        "NM1", "Information Receiver Name", "R", use=_NM1_ENTITY,
        codes={1: "1P 2B 36 80 FA GP P5 PR", 2: _ISSUER, 8: "24 34 FI PI PP SV XV XX"},
        syntax=_NM1_SYNTAX,
    )  # fmt: skip
    segments = (name, _ref("Information Receiver Additional Identification"), _N3, _N4, *extra,
                _PRV)  # fmt: skip
    return Loop(
        "2000B", "Information Receiver Level", usage, ">1",
        (_hl("21", child), Loop("2100B", "Information Receiver Name", "R", "1", segments),
         subscriber),
    )  # fmt: skip


def _source(child: str, receiver: Loop, extra: tuple[Seg, ...]) -> Loop:
    name = Seg(
        "NM1", "Information Source Name", "R", use=_NM1_ENTITY,
        codes={1: "2B 36 GP P5 PR", 2: _ISSUER, 8: "24 46 FI NI PI XV XX"}, syntax=_NM1_SYNTAX,
    )  # fmt: skip
    return Loop(
        "2000A", "Information Source Level", "R", ">1",
        (
            _hl("20", child),
            *([_AAA] if extra else []),
            Loop("2100A", "Information Source Name", "R", "1", (name, *extra)),
            receiver,
        ),
    )  # fmt: skip


# ---------------------------------------------------------------------------- 271

_EB_CODES = "1 2 3 4 5 6 7 8 A B C CB D E F G H I J K L M MC N O P Q R S T U V W X Y"


def _eb_loop(suffix: str) -> Loop:
    related = Loop(
        f"2120{suffix}", "Benefit Related Entity", "S", "23",
        (
            Seg("NM1", "Benefit Related Entity Name", "R", use="RRSSSNSSSSNN",
                codes={1: "13 1I 1P 2B 36 73 7C 80 FA GP GW I3 IL LR P3 P4 P5 PR PRP SEP "
                          "TTP VER VN VY X3 Y2", 2: _ISSUER}, syntax=_NM1_SYNTAX),
            _N3, _N4, _PER, _PRV,
        ),
    )  # fmt: skip
    return Loop(
        f"2110{suffix}", "Eligibility or Benefit Information", "S", ">1",
        (
            Seg("EB", "Eligibility or Benefit Information", "R", use="RSSSSSSSSSSSSS",
                codes={1: _EB_CODES, 2: "CHD DEP ECH EMP ESP FAM IND SPC SPO",
                       6: "6 7 13 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36",
                       9: "8H 99 CA CE D3 DB DY HS LA LE M2 MN P6 QA S7 S8 VS YY",
                       11: "N U Y", 12: "N U W Y"},
                syntax=("P0910",)),
            Seg("HSD", "Health Care Services Delivery", "S", "9", "SSSSSSSS",
                syntax=("P0102", "C0605")),
            _ref("Additional Identification"),
            Seg("DTP", "Eligibility or Benefit Date", "S", "20", "RRR", {2: "D8 RD8"}),
            _AAA,
            Seg("MSG", "Message Text", "S", "10", "RNN"),
            Loop(f"2115{suffix}", "Additional Information", "S", "10",
                 (Seg("III", "Additional Information", "R", use="SSSSNNNNN"),)),
            Seg("LS", "Loop Header", "S", use="R", codes={1: "2120"}),
            related,
            Seg("LE", "Loop Trailer", "S", use="R", codes={1: "2120"}),
        ),
    )  # fmt: skip


def _answered(suffix: str, entity: str, use: str) -> Loop:
    return Loop(
        f"2100{suffix}", "Name", "R", "1",
        (
            Seg("NM1", "Name", "R", use=use, codes={1: entity, 2: _ISSUER}, syntax=_NM1_SYNTAX),
            _ref("Additional Identification"), _N3, _N4, _AAA, _PRV, _DMG, _INS, _HI, _DTP,
            Seg("MPI", "Military Personnel Information", "S", use="RRRSSSS"),
            _eb_loop(suffix),
        ),
    )  # fmt: skip


def _271() -> Loop:
    dependent = Loop("2000D", "Dependent Level", "S", ">1",
                     (_hl("23", "0"), _trn("1 2"), _answered("D", "03", "RRRSSNSSS")))  # fmt: skip
    subscriber = Loop(
        "2000C", "Subscriber Level", "S", ">1",
        (_hl("22", "0 1"), _trn("1 2"), _answered("C", "IL", _NM1_MEMBER), dependent),
    )  # fmt: skip
    receiver = _receiver("S", "0 1", (_AAA,), subscriber)
    return _source("0 1", receiver, (_PER, _AAA))


# --------------------------------------------------------------------------- writing


def _text(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, tag).text = value


def _element(parent: ET.Element, xid: str, data_ele: str, usage: str, seq: int,
             names: dict[str, str], codes: str | None) -> None:  # fmt: skip
    node = ET.SubElement(parent, "element", xid=xid)
    _text(node, "data_ele", data_ele)
    _text(node, "name", names.get(data_ele, data_ele))
    _text(node, "usage", usage)
    _text(node, "seq", f"{seq:02d}")
    if codes:
        valid = ET.SubElement(node, "valid_codes")
        for code in codes.split():
            _text(valid, "code", code)


def _segment(parent: ET.Element, seg: Seg, pos: int, names: dict[str, str]) -> None:
    node = ET.SubElement(parent, "segment", xid=seg.id)
    _text(node, "name", seg.name)
    _text(node, "usage", seg.usage)
    _text(node, "pos", f"{pos:04d}")
    _text(node, "max_use", seg.max_use)
    for rule in seg.syntax:
        _text(node, "syntax", rule)
    for n, elem in enumerate(SEGMENT_ELEMENTS[seg.id], start=1):
        usage = seg.use[n - 1] if n <= len(seg.use) else "N"
        xid = f"{seg.id}{n:02d}"
        if isinstance(elem, str):
            _element(node, xid, elem, usage, n, names, seg.codes.get(n))
            continue
        comp_id, subs = elem
        comp = ET.SubElement(node, "composite", xid=xid)
        _text(comp, "data_ele", comp_id)
        _text(comp, "name", _COMPOSITE_NAMES[comp_id])
        _text(comp, "usage", usage)
        _text(comp, "seq", f"{n:02d}")
        required = _REQUIRED_COMPONENTS.get(comp_id, 1)
        for k, sub in enumerate(subs, start=1):
            _element(comp, f"{xid}-{k:02d}", sub, "R" if k <= required else "S", k, names, None)


def _loop(parent: ET.Element, loop: Loop, pos: int, names: dict[str, str]) -> None:
    node = ET.SubElement(parent, "loop", xid=loop.id)
    _text(node, "name", loop.name)
    _text(node, "usage", loop.usage)
    _text(node, "pos", f"{pos:04d}")
    _text(node, "repeat", loop.repeat)
    _children(node, loop.children, pos, names)


def _children(node: ET.Element, children: tuple[Seg | Loop, ...], start: int,
              names: dict[str, str]) -> None:  # fmt: skip
    pos = start
    for child in children:
        pos += 10
        if isinstance(child, Seg):
            _segment(node, child, pos, names)
        else:
            _loop(node, child, pos, names)
            pos += 1000


def build_map(set_id: Literal["270", "271"], envelope_map: ET.Element,
              names: dict[str, str]) -> ET.Element:  # fmt: skip
    """The pyx12 map of ``set_id``: ``envelope_map`` is a pyx12 5010 map whose ISA/GS/GE/IEA
    are kept (its ST loop is replaced); ``names`` maps data element numbers to names."""
    root = ET.Element("transaction", xid=set_id)
    _text(root, "name", f"HIPAA Health Care Eligibility {set_id} {VERSION}")
    isa_loop = envelope_map.find("loop")
    if isa_loop is None or isa_loop.get("xid") != "ISA_LOOP":
        raise ValueError("the envelope map has no ISA_LOOP")
    root.append(isa_loop)
    gs_loop = isa_loop.find("loop[@xid='GS_LOOP']")
    st_loop = gs_loop.find("loop[@xid='ST_LOOP']") if gs_loop is not None else None
    if gs_loop is None or st_loop is None:
        raise ValueError("the envelope map has no GS_LOOP/ST_LOOP")
    for element in gs_loop.iter("element"):
        codes = element.find("valid_codes")
        if element.get("xid") == "GS01" and codes is not None:
            codes.clear()
            _text(codes, "code", FUNCTIONAL_IDS[set_id])
        if element.get("xid") == "GS08" and codes is not None:
            codes.clear()
            _text(codes, "code", VERSION)
    keep = {k: st_loop.get(k) for k in ("xid", "type")}
    st_loop.clear()
    st_loop.attrib.update({k: v for k, v in keep.items() if v})
    _text(st_loop, "name", "Transaction Set Header")
    _text(st_loop, "usage", "R")
    _text(st_loop, "pos", "0200")
    _text(st_loop, "repeat", ">1")
    _segment(st_loop, Seg("ST", "Transaction Set Header", "R", use="RRR",
                          codes={1: set_id, 3: VERSION}), 50, names)  # fmt: skip
    header = ET.SubElement(st_loop, "loop", xid="HEADER", type="wrapper")
    _text(header, "name", "Table 1 - Header")
    _text(header, "usage", "R")
    _text(header, "pos", "0100")
    _text(header, "repeat", "1")
    purpose = "01 13" if set_id == "270" else "06 11"
    _segment(header, Seg("BHT", "Beginning of Hierarchical Transaction", "R", use="RRSRRS",
                         codes={1: "0022", 2: purpose}), 200, names)  # fmt: skip
    detail = ET.SubElement(st_loop, "loop", xid="DETAIL", type="wrapper")
    _text(detail, "name", "Table 2 - Detail")
    _text(detail, "usage", "R")
    _text(detail, "pos", "0200")
    _text(detail, "repeat", ">1")
    _loop(detail, _270() if set_id == "270" else _271(), 1000, names)
    _segment(st_loop, Seg("SE", "Transaction Set Trailer", "R", use="RR"), 9000, names)
    return root
