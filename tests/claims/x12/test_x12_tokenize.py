"""Delimiters from the ISA, segment positions, and each malformed-envelope error."""

from __future__ import annotations

import pytest
from x12_testkit import envelope, sample, varied_claims

from claims.x12.errors import Position, X12Error
from claims.x12.interchange import read_document
from claims.x12.parse import Delimiters, tokenize
from claims.x12.render_837p import render_837p


def rendered() -> str:
    return render_837p(varied_claims()[:1], envelope=envelope())


def test_default_delimiters_and_positions() -> None:
    text = rendered()
    tokens = tokenize(text)
    assert tokens.delimiters == Delimiters("*", ":", "^", "~")
    first, second = tokens.segments[:2]
    assert (first.id, first.index, first.offset) == ("ISA", 1, 0)
    assert (second.id, second.index, second.offset) == ("GS", 2, 106)
    for seg in tokens.segments:
        assert text[seg.offset : seg.offset + len(seg.id)] == seg.id


def test_other_delimiters_and_line_breaks_are_read_from_the_isa() -> None:
    text = sample("era_pipe_style.835")
    tokens = tokenize(text)
    assert tokens.delimiters == Delimiters("|", ">", "{", "~")
    svc = next(s for s in tokens.segments if s.id == "SVC")
    assert svc.get(1) == "HC>99213"
    # Offsets point into the original text, past the CR LF after each terminator.
    assert text[svc.offset : svc.offset + 3] == "SVC"
    assert text[svc.offset - 3 : svc.offset] == "~\r\n"


def test_bytes_and_leading_whitespace() -> None:
    text = rendered()
    tokens = tokenize(b"\n\n" + text.encode())
    assert tokens.segments[0].offset == 2
    assert tokens.segments[-1].id == "IEA"


def test_get_beyond_the_last_element_is_empty() -> None:
    seg = tokenize(rendered()).segments[2]
    assert seg.id == "ST" and seg.get(1) == "837" and seg.get(9) == ""


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ("", "empty input"),
        ("   \n", "empty input"),
        ("GS*HC*A~", "starts with ISA"),
        ("ISA*00*", "truncated: the ISA is 106 characters"),
    ],
)
def test_not_an_interchange(data: str, fragment: str) -> None:
    with pytest.raises(X12Error, match=fragment):
        tokenize(data)


def test_isa_that_is_not_fixed_width_names_wrong_delimiters() -> None:
    text = rendered()
    broken = text.replace("*ZZ*CLAIMFLOW      *", "*ZZ*CLAIMFLOW*", 1)
    with pytest.raises(X12Error, match="wrong or mixed delimiters") as err:
        tokenize(broken)
    assert err.value.segment_id == "ISA" and err.value.position == Position(1, 0)


def test_a_segment_written_with_other_delimiters_is_named() -> None:
    text = rendered()
    gs_start = text.index("GS*")
    broken = text[:gs_start] + text[gs_start:].replace("*", "|", 3)
    with pytest.raises(X12Error) as err:
        tokenize(broken)
    assert err.value.position == Position(2, 106)
    assert "wrong delimiters" in str(err.value)
    assert str(err.value).startswith("segment 2 at offset 106")


def test_version_4010_is_refused() -> None:
    text = rendered().replace("*00501*", "*00401*", 1)
    with pytest.raises(X12Error, match="only X12 5010"):
        tokenize(text)


def test_identical_delimiters_are_refused() -> None:
    text = rendered()
    broken = text[:104] + "*" + text[105:]
    with pytest.raises(X12Error, match="unusable delimiters|wrong or mixed"):
        tokenize(broken)


def test_truncated_file_names_the_unterminated_segment() -> None:
    text = rendered()
    cut = text[: len(text) - 8]  # inside IEA
    with pytest.raises(X12Error, match="truncated") as err:
        tokenize(cut)
    assert err.value.segment_id == "IEA"
    assert err.value.position is not None
    assert err.value.position.offset == text.rindex("IEA")


def test_file_cut_at_a_terminator_is_truncated_too() -> None:
    text = rendered()
    cut = text[: text.rindex("GE*")]
    with pytest.raises(X12Error, match="ends without its GE"):
        read_document(cut)


def test_empty_segment() -> None:
    text = rendered().replace("~HL*1", "~~HL*1", 1)
    with pytest.raises(X12Error, match="empty segment"):
        tokenize(text)


@pytest.mark.parametrize(
    ("old", "new", "fragment", "segment_id"),
    [
        ("SE*", "SE*9", "SE01 says", "SE"),
        ("*0001~GE", "*0002~GE", "SE02 control number", "SE"),
        ("GE*1*1~", "GE*2*1~", "GE01 says 2", "GE"),
        ("GE*1*1~", "GE*1*9~", "GE02", "GE"),
        ("IEA*1*", "IEA*2*", "IEA01 says 2", "IEA"),
        ("IEA*1*000000001", "IEA*1*000000002", "IEA02", "IEA"),
    ],
)
def test_trailer_mismatches(old: str, new: str, fragment: str, segment_id: str) -> None:
    text = rendered()
    assert old in text
    with pytest.raises(X12Error, match=fragment) as err:
        read_document(text.replace(old, new, 1))
    assert err.value.segment_id == segment_id


def test_a_deleted_segment_breaks_the_count() -> None:
    text = rendered()
    start = text.index("~DMG*") + 1
    end = text.index("~", start) + 1
    with pytest.raises(X12Error, match="SE01 says"):
        read_document(text[:start] + text[end:])


def test_segments_out_of_envelope_order() -> None:
    text = rendered()
    st = text.index("ST*837")
    gs = text.index("GS*")
    swapped = (
        text[:gs]
        + text[st : text.index("~", st) + 1]
        + text[gs:st]
        + text[text.index("~", st) + 1 :]
    )
    with pytest.raises(X12Error, match="ST outside a functional group"):
        read_document(swapped)


def test_se_missing_names_the_next_envelope_segment() -> None:
    text = rendered()
    se = text.index("~SE*") + 1
    broken = text[:se] + text[text.index("~", se) + 1 :]
    with pytest.raises(X12Error, match="GE inside transaction set") as err:
        read_document(broken)
    assert err.value.segment_id == "GE"


def test_parsing_pauses_and_restores_the_garbage_collector() -> None:
    import gc
    import threading

    from claims.x12.gc_pause import gc_paused
    from claims.x12.remit_835 import parse_835

    assert gc.isenabled()
    parse_835(sample("era_mixed_outcomes.835"))
    assert gc.isenabled()
    with pytest.raises(X12Error):
        parse_835("ISA garbage")
    assert gc.isenabled()

    inside = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with gc_paused():
            inside.set()
            release.wait(5)

    other = threading.Thread(target=hold)
    other.start()
    inside.wait(5)
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread is still parsing
    release.set()
    other.join(5)
    assert gc.isenabled()

    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
