"""Inbound files as units to post, read by page."""

from __future__ import annotations

import pytest

from claims.eligibility import EligibilityStatus
from claims.payer_messages import Acknowledgment, ClaimStatusReport, EligibilityAnswer
from claims.remittance import Remittance
from claims.x12.errors import X12Error, X12Finding
from claims.x12.inbound import era_page_messages, file_kind, page_messages, read_inbound
from claims.x12.parse import read_delimiters
from claims.x12.read_271 import results_of
from tests.claims.x12.x12_testkit import sample


def nothing_sent(_: str) -> dict[str, list[str]]:
    return {}


@pytest.mark.parametrize(
    ("name", "kind"),
    [("era_mixed_outcomes.835", "835"), ("status_mixed.277", "277CA"), ("ack_partial.999", "999")],
)
def test_kind_from_the_functional_group(name: str, kind: str) -> None:
    assert file_kind(sample(name)) == kind


def era_messages(text: str, page_size: int) -> list[Remittance]:
    [unit] = read_inbound(text, sent=nothing_sent, page_size=page_size)
    data = text.encode("latin-1")
    assert unit.payment is not None
    out = []
    for page in unit.pages:
        found = era_page_messages(data[:4096], data[page.start : page.end], key=unit.key,
                                  page=page, paid_with=unit.payment.payment)  # fmt: skip
        out += [m for m in found if isinstance(m, Remittance)]
    return out


def test_an_era_is_one_unit_read_in_pages_with_stable_ids() -> None:
    text = sample("era_mixed_outcomes.835")
    [unit] = read_inbound(text, sent=nothing_sent, page_size=2)
    assert unit.kind == "835" and unit.key.startswith("835:") and unit.message_count == 5
    assert [(p.first, p.count) for p in unit.pages] == [(1, 2), (3, 2), (5, 1)]
    paged = era_messages(text, 2)
    whole = era_messages(text, 200)
    assert [m.remittance_id for m in paged] == [m.remittance_id for m in whole]
    assert [m.model_dump() for m in paged] == [m.model_dump() for m in whole]
    assert all(m.payment is not None and m.payment.trace_number == "0012345678" for m in paged)
    # Message ids are bounded whatever the trace number holds.
    assert all(len(m.remittance_id) <= 40 for m in paged)


def test_unbalanced_835_carries_its_problems() -> None:
    text = sample("era_mixed_outcomes.835")
    d = read_delimiters(text)
    bpr = next(s for s in text.split(d.segment) if s.strip().startswith("BPR"))
    elements = bpr.split(d.element)
    elements[2] = "1.00"
    broken = text.replace(bpr, d.element.join(elements))
    [unit] = read_inbound(broken, sent=nothing_sent)
    assert unit.problems and "BPR02" in " ".join(unit.problems)


def test_deviations_are_collected_not_refused() -> None:
    text = sample("era_mixed_outcomes.835").replace("IEA*1*000004711", "IEA*1*000004712")
    findings: list[X12Finding] = []
    [unit] = read_inbound(text, sent=nothing_sent, findings=findings)
    assert not unit.problems
    assert [f.segment_id for f in findings] == ["IEA"]


def test_277ca_statuses() -> None:
    text = sample("status_mixed.277")
    units = read_inbound(text, sent=nothing_sent)
    reports = [
        m
        for u in units
        for p in u.pages
        for m in page_messages(text, kind=u.kind, unit=u.n, page=p, sent=nothing_sent)
    ]
    assert reports and all(isinstance(m, ClaimStatusReport) for m in reports)
    assert {r.category for r in reports if isinstance(r, ClaimStatusReport)} >= {"A2", "A3"}


def test_999_needs_what_was_sent() -> None:
    [unit] = read_inbound(sample("ack_partial.999"), sent=nothing_sent)
    assert unit.message_count == 0 and unit.unknown


def test_999_maps_transactions_back_to_claims() -> None:
    text = sample("ack_partial.999")

    def sent(group: str) -> dict[str, list[str]]:
        return {"0001": ["01ARZ3NDEKTSV4RRFFQ69G5FAV"], "0002": ["01ARZ3NDEKTSV4RRFFQ69G5FAW"]}

    [unit] = read_inbound(text, sent=sent)
    [page] = unit.pages
    acks = page_messages(text, kind="999", unit=1, page=page, sent=sent)
    assert {a.claim_id for a in acks if isinstance(a, Acknowledgment)} == {
        "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "01ARZ3NDEKTSV4RRFFQ69G5FAW",
    }


def test_not_x12_is_an_x12_error() -> None:
    with pytest.raises(X12Error):
        read_inbound("hello", sent=nothing_sent)


def test_a_271_is_a_unit_of_answers_addressed_by_trace_number() -> None:
    """Eligibility answers that come back as a file: one message per patient, addressed by
    the 270's trace number (TRN*2), with the payer's result; the same file twice is one
    unit identity (a duplicate)."""
    text = sample("eligibility_inactive.271")
    assert file_kind(text) == "271"
    [unit] = read_inbound(text, sent=nothing_sent)
    assert (unit.kind, unit.message_count, unit.problems) == ("271", 1, [])
    assert unit.key.startswith("271:")
    [message] = page_messages(text, kind="271", unit=1, page=unit.pages[0], sent=nothing_sent)
    assert isinstance(message, EligibilityAnswer)
    [result] = results_of(text)
    assert message.claim_id == message.trace_number == result.trace_number
    assert message.result == result and result.status is EligibilityStatus.INACTIVE
    assert read_inbound(text, sent=nothing_sent)[0].key == unit.key


def test_a_271_answer_without_a_trace_is_addressed_by_the_270s_reference() -> None:
    """A payer-level rejection names no patient: it cannot find a claim by trace, so it is
    addressed by the BHT03 it echoes (no claim has that: the unmatched queue)."""
    text = sample("eligibility_inactive.271")
    d = read_delimiters(text)
    kept = [s for s in text.split(d.segment) if not s.strip().startswith("TRN")]
    untraced = d.segment.join(kept).replace("SE|26|", "SE|25|")
    [unit] = read_inbound(untraced, sent=nothing_sent)
    [message] = page_messages(untraced, kind="271", unit=1, page=unit.pages[0],
                              sent=nothing_sent)  # fmt: skip
    assert isinstance(message, EligibilityAnswer) and message.claim_id.startswith("BHT03 ")
