"""``claim_view``: the one fold that the workflow query and the read model both use."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from claims.status import ClaimStatus as S
from events.contract import AdjustmentData, ClaimEvent, ClaimEventData, FindingData, make_event
from events.view import claim_view

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
CO97 = (AdjustmentData(group="CO", carc="97", amount=Decimal(35)),)


def event(seq: int, status: S, **data: object) -> ClaimEvent:
    return make_event(
        time=T0 + dt.timedelta(minutes=seq),
        data=ClaimEventData(claim_id="C1", seq=seq, status=status, payer_id="P",
                            total_charge=Decimal(185), **data),  # type: ignore[arg-type]
    )  # fmt: skip


def test_denial_reasons_are_kept_through_an_appeal_and_cleared_by_a_reversal() -> None:
    events = [event(1, S.RECEIVED), event(2, S.ADJUDICATED),
              event(3, S.PARTIALLY_PAID, adjustments=CO97)]  # fmt: skip
    assert claim_view(events).denial_reasons == ("CO-97",)
    appealed = [*events, event(4, S.APPEALED, reason="not bundled")]
    assert claim_view(appealed).denial_reasons == ("CO-97",)
    reversed_ = [*events, event(4, S.ADJUDICATED, reason="reversal", adjustments=CO97)]
    assert claim_view(reversed_).denial_reasons == ()


def test_order_and_duplicates_do_not_matter() -> None:
    events = [event(1, S.RECEIVED), event(2, S.CODED), event(3, S.SCRUBBED)]
    shuffled = [events[2], events[0], events[1], events[2]]
    assert claim_view(shuffled) == claim_view(events)
    assert [h.seq for h in claim_view(shuffled).history] == [1, 2, 3]


def test_reports_come_from_the_stages_each_event_carries() -> None:
    finding = FindingData(code="CODE_X", severity="warning", field="f", message="m",
                          stage="coding")  # fmt: skip
    events = [event(1, S.RECEIVED), event(2, S.CODED, findings=(finding,), stages=("coding",)),
              event(3, S.SCRUBBED, stages=("scrub",))]  # fmt: skip
    view = claim_view(events)
    assert [f.code for f in view.reports["coding"].findings] == ["CODE_X"]
    assert view.reports["scrub"].findings == ()
    # Events from before ``stages`` existed: the status says which report they carry.
    legacy = [event(1, S.RECEIVED), event(2, S.CODING_REVIEW, findings=(finding,))]
    assert [f.code for f in claim_view(legacy).reports["coding"].findings] == ["CODE_X"]
