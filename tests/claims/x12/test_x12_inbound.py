"""Inbound files as the payer messages claimflow posts."""

from __future__ import annotations

import pytest

from claims.payer_messages import Acknowledgment, ClaimStatusReport
from claims.remittance import Remittance
from claims.x12.errors import X12Error
from claims.x12.inbound import file_kind, read_inbound
from claims.x12.parse import read_delimiters
from tests.claims.x12.x12_testkit import sample


def nothing_sent(_: str) -> dict[str, list[str]]:
    return {}


@pytest.mark.parametrize(
    ("name", "kind"),
    [("era_mixed_outcomes.835", "835"), ("status_mixed.277", "277CA"), ("ack_partial.999", "999")],
)
def test_kind_from_the_functional_group(name: str, kind: str) -> None:
    assert file_kind(sample(name)) == kind


def test_835_units_are_eras_keyed_by_payer_and_trace() -> None:
    units = read_inbound(sample("era_mixed_outcomes.835"), sent=nothing_sent)
    assert all(u.kind == "835" and u.file_id.startswith("835-") for u in units)
    remittances = [m for u in units for m in u.messages]
    assert remittances and all(isinstance(m, Remittance) for m in remittances)
    # Reading it again gives the same ids: the claims drop the repeats.
    again = read_inbound(sample("era_mixed_outcomes.835"), sent=nothing_sent)
    assert [m.remittance_id for u in again for m in u.messages] == [
        m.remittance_id for m in remittances if isinstance(m, Remittance)
    ]


def test_unbalanced_835_carries_its_problems() -> None:
    text = sample("era_mixed_outcomes.835")
    d = read_delimiters(text)
    bpr = next(s for s in text.split(d.segment) if s.strip().startswith("BPR"))
    elements = bpr.split(d.element)
    elements[2] = "1.00"
    broken = text.replace(bpr, d.element.join(elements))
    [unit] = read_inbound(broken, sent=nothing_sent)
    assert unit.problems and "BPR02" in " ".join(unit.problems)


def test_277ca_statuses() -> None:
    units = read_inbound(sample("status_mixed.277"), sent=nothing_sent)
    reports = [m for u in units for m in u.messages]
    assert reports and all(isinstance(m, ClaimStatusReport) for m in reports)
    assert {r.category for r in reports if isinstance(r, ClaimStatusReport)} >= {"A2", "A3"}


def test_999_needs_what_was_sent() -> None:
    [unit] = read_inbound(sample("ack_partial.999"), sent=nothing_sent)
    assert unit.messages == [] and unit.unknown


def test_999_maps_transactions_back_to_claims() -> None:
    text = sample("ack_partial.999")

    def sent(group: str) -> dict[str, list[str]]:
        return {"0001": ["01ARZ3NDEKTSV4RRFFQ69G5FAV"], "0002": ["01ARZ3NDEKTSV4RRFFQ69G5FAW"]}

    [unit] = read_inbound(text, sent=sent)
    acks = [m for m in unit.messages if isinstance(m, Acknowledgment)]
    assert {a.claim_id for a in acks} == {
        "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "01ARZ3NDEKTSV4RRFFQ69G5FAW",
    }


def test_not_x12_is_an_x12_error() -> None:
    with pytest.raises(X12Error):
        read_inbound("hello", sent=nothing_sent)
