"""Liberal reading: files that are not textbook-clean are read, every deviation a finding.

Two kinds of input: real public test files nobody on the project wrote (``data/public``,
see its README for where they come from), and hand-made variants of our own samples with
one deviation each. Strict reads (no ``findings`` list) still refuse every deviation; only
what cannot be read at all is refused by a liberal read too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from claims.x12.ack_999 import AckStatus, parse_999
from claims.x12.balance_835 import check_balancing
from claims.x12.errors import X12Error, X12Finding
from claims.x12.read_837p import parse_837p
from claims.x12.remit_835 import parse_835
from claims.x12.status_277ca import is_rejected, parse_277ca
from tests.claims.x12.x12_testkit import sample

PUBLIC = Path(__file__).parent / "data" / "public"


def public(name: str) -> str:
    return (PUBLIC / name).read_bytes().decode("latin-1")


def liberal(parse: Callable[..., list[Any]], text: str) -> tuple[list[Any], list[X12Finding]]:
    findings: list[X12Finding] = []
    return parse(text, findings=findings), findings


# ----------------------------------------------------------- public files


def test_moov_835_with_isa11_u_is_read_with_one_finding() -> None:
    text = public("moov_835_sample1.835")
    with pytest.raises(X12Error, match="ISA11 'U'"):
        parse_835(text)
    eras, findings = liberal(parse_835, text)
    assert [str(f) for f in findings] == [
        "segment 1 (ISA) at offset 0: ISA11 'U' is not a repetition separator (the 4010 "
        "standards identifier): read as none"
    ]
    assert [e.trace_number for e in eras] == ["0000010305", "0000010305"]
    first, second = eras
    # The payer's own sample: the first ERA is a cent out at its claim, the second balances.
    assert [e.rule for e in check_balancing(first)] == ["claim"]
    assert check_balancing(second) == []
    [plb] = second.provider_adjustments
    assert (plb.reason, plb.reference, str(plb.amount)) == ("50", "111", "6173.4")


def test_moov_835_with_an_invalid_bpr16_is_read_and_found_unbalanced() -> None:
    text = public("moov_835_sample2.835")
    [era], findings = liberal(parse_835, text)
    [finding] = findings
    assert finding.segment_id == "BPR" and finding.position is not None
    assert finding.position.offset == text.index("BPR*")
    assert "BPR16" in finding.message and "20990080" in finding.message
    assert era.payment_date is None
    [claim] = era.claims
    assert [(a.group, a.reason, str(a.amount)) for a in claim.service_lines[0].adjustments] == [
        ("PR", "1", "1199.68"),
        ("PR", "2", "2"),
    ]
    assert [e.rule for e in check_balancing(era)] == ["claim"]


def test_imsweb_277ca_and_999_are_read() -> None:
    [status], findings = liberal(parse_277ca, public("imsweb_277ca_rejected.277"))
    assert findings == []
    [claim] = status.claims
    assert is_rejected(claim) and claim.category == "A7"
    [group], _ = liberal(parse_999, public("imsweb_999_rejected.999"))
    assert group.status is AckStatus.REJECTED
    assert [t.control_number for t in group.transactions] == ["0028"]


# ----------------------------------------------------------- one deviation each

ERA = "era_mixed_outcomes.835"


def _bpr16(text: str, value: str) -> str:
    start = text.index("BPR*")
    end = text.index("~", start)
    elements = text[start:end].split("*")
    elements[16:] = [value] if value else []
    return text[:start] + "*".join(elements) + text[end:]


DEVIATIONS_835: list[tuple[str, Callable[[str], str], str, str]] = [
    ("isa11_u", lambda t: t[:82] + "U" + t[83:], "ISA", "ISA11 'U'"),
    ("iea02", lambda t: t.replace("IEA*1*000004711", "IEA*1*000004712"), "IEA", "IEA02"),
    ("iea01", lambda t: t.replace("IEA*1*000004711", "IEA*2*000004711"), "IEA", "IEA01"),
    ("ge02", lambda t: t.replace("GE*1*4711", "GE*1*4712"), "GE", "GE02"),
    ("se01", lambda t: t.replace("~SE*", "~SE*9", 1), "SE", "SE01"),
    ("bpr16_missing", lambda t: _bpr16(t, ""), "BPR", "BPR16"),
    ("bpr16_invalid", lambda t: _bpr16(t, "20261341"), "BPR", "not a CCYYMMDD date"),
    ("no_final_terminator", lambda t: t.rstrip().removesuffix("~"), "IEA", "truncated?"),
    ("empty_segment", lambda t: t.replace("~LX*1~", "~~LX*1~", 1), None, "empty segment"),
    ("plb_reason", lambda t: t.replace("*L6*", "*ZZ*", 1), "PLB", "PLB03-01"),
    ("method", lambda t: t.replace("*C*ACH*", "*C*XYZ*", 1), "BPR", "BPR04"),
]


@pytest.mark.parametrize(
    ("mutate", "segment", "fragment"),
    [d[1:] for d in DEVIATIONS_835],
    ids=[d[0] for d in DEVIATIONS_835],
)
def test_each_835_deviation_is_a_finding_with_its_segment_and_offset(
    mutate: Callable[[str], str], segment: str | None, fragment: str
) -> None:
    text = mutate(sample(ERA))
    assert text != sample(ERA)
    with pytest.raises(X12Error, match=fragment.replace("?", r"\?")):
        parse_835(text)
    eras, findings = liberal(parse_835, text)
    assert len(eras) == 1 and eras[0].claims
    [finding] = [f for f in findings if fragment in f.message]
    assert finding.segment_id == segment
    assert finding.position is not None
    if segment is not None:
        assert text[finding.position.offset :].startswith(segment)


def test_clm05_with_an_empty_facility_qualifier_is_read() -> None:
    text = sample("claim_pipe_style.837")
    broken = text.replace("|11>B>1|", "|11>>1|", 1)
    assert broken != text
    with pytest.raises(X12Error, match="CLM05-2"):
        parse_837p(broken)
    claims, findings = liberal(parse_837p, broken)
    assert claims[0].place_of_service == "11" and claims[0].frequency_code == "1"
    [finding] = findings
    assert finding.segment_id == "CLM" and "CLM05-2" in finding.message


# ----------------------------------------------------------- still refused

UNREADABLE: list[tuple[str, str, str]] = [
    ("no_isa", "GS*HP*X*Y*20260101*0101*1*X*005010X221A1~", "starts with ISA"),
    ("empty", "   \n", "no ISA segment"),
    ("mixed_delimiters", "ISA|00" + "*" * 100, "wrong or mixed delimiters"),
    ("no_segments", "", "no ISA segment"),
]


@pytest.mark.parametrize(("text", "fragment"), [u[1:] for u in UNREADABLE],
                         ids=[u[0] for u in UNREADABLE])  # fmt: skip
def test_what_cannot_be_read_is_refused_even_liberally(text: str, fragment: str) -> None:
    with pytest.raises(X12Error, match=fragment):
        liberal(parse_835, text)


def test_a_file_cut_short_is_refused_even_liberally() -> None:
    text = sample(ERA)
    with pytest.raises(X12Error, match="ends without its"):
        liberal(parse_835, text[: text.index("SE*")])
