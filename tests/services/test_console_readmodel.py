"""The console's read model on SQLite and PostgreSQL: rollups, queues, filters, alerts.

Events are applied as the projector applies them; every figure is checked against a
hand-computed answer for a known batch of claims.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Engine

from claims.status import ClaimStatus as S
from events.contract import (
    Actor,
    AdjustmentData,
    AlertKind,
    ClaimAlertData,
    ClaimEventData,
    make_alert,
    make_event,
)
from services import analytics, approvals, claim_queries, readmodel
from services.alerts_store import SqlAlertStore, acknowledge, list_alerts
from services.claim_queries import ClaimFilter, Queue, Sort, queue_filter
from services.readmodel import SqlReadModel

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
TODAY = NOW.date()
D = Decimal


class Claim:
    """Drives one claim's events through the store, numbering them."""

    def __init__(self, store: SqlReadModel, claim_id: str, charge: str, payer: str = "P1"):
        self.store, self.claim_id, self.charge, self.payer = store, claim_id, D(charge), payer
        self.seq = 0  # C in the batch ends at seq 6

    def go(self, status: S, days_ago: float = 0, **data: object) -> Claim:
        self.seq += 1
        self.store.apply(
            make_event(
                time=NOW - dt.timedelta(days=days_ago),
                data=ClaimEventData(
                    claim_id=self.claim_id,
                    seq=self.seq,
                    status=status,
                    payer_id=self.payer,
                    total_charge=self.charge,
                    **data,  # type: ignore[arg-type]
                ),
            )
        )
        return self

    def billed(self, days_ago: float) -> Claim:
        for status in (S.RECEIVED, S.CODED, S.SCRUBBED, S.SUBMITTED):
            self.go(status, days_ago, outstanding_amount=self.charge)
        return self

    def denied(
        self, days_ago: float, carc: str, amount: str | None = None, **extra: object
    ) -> Claim:
        amount = amount or str(self.charge)
        status = S.DENIED if D(amount) == self.charge else S.PARTIALLY_PAID
        self.go(S.ADJUDICATED, days_ago, outstanding_amount=self.charge)
        return self.go(
            status,
            days_ago,
            paid_amount=self.charge - D(amount),
            outstanding_amount=D(amount),
            adjustments=(AdjustmentData(group="CO", carc=carc, amount=D(amount), rarcs=("N54",)),),
            appeal_deadline=NOW + dt.timedelta(days=120 - days_ago),
            **extra,
        )

    def paid(self, days_ago: float) -> Claim:
        self.go(S.ADJUDICATED, days_ago, outstanding_amount=self.charge)
        return self.go(
            S.PAID,
            days_ago,
            paid_amount=self.charge,
            outstanding_amount=D(0),
            adjustments=(AdjustmentData(group="CO", carc="45", amount=D("1.00")),),
        )


def batch(engine: Engine) -> SqlReadModel:
    """A known batch (amounts owed in brackets):
    A  P1 billed 10 d ago, paid first time                      [0]
    B  P1 billed 45 d ago, denied CO-197 (1450.00)              [1450.00, 31-60]
    C  P1 billed 75 d ago, partially paid, CO-97 25.00          [25.00, 61-90]
    D  P2 billed 100 d ago, rejected, corrected, then paid      [0]
    E  P2 billed 150 d ago, waiting on the payer (300.00)       [300.00, 120+]
    F  P2 billed 5 d ago, denied CO-197, appealed, then paid    [0]
    G  P2 received, in coding review (never billed)             [not A/R]
    H  P1 billed 20 d ago, denied CO-96 then written off        [0]
    """
    store = SqlReadModel(engine)
    Claim(store, "A", "185.00").billed(10).paid(9)
    Claim(store, "B", "1450.00").billed(45).denied(40, "197")
    Claim(store, "C", "235.00").billed(75).denied(70, "97", "25.00")
    d = Claim(store, "D", "90.00", "P2").billed(100)
    d.go(S.REJECTED, 99, outstanding_amount=D("90.00"), reason="277CA A3 A3:33")
    d.go(S.CODED, 98).go(S.SCRUBBED, 98).go(S.SUBMITTED, 98, outstanding_amount=D("90.00"))
    d.paid(90)
    Claim(store, "E", "300.00", "P2").billed(150)
    f = Claim(store, "F", "500.00", "P2").billed(5).denied(4, "197")
    f.go(S.APPEALED, 3, outstanding_amount=D("500.00"), appeal_level=1)
    f.paid(1)
    Claim(store, "G", "60.00", "P2").go(S.RECEIVED, 2).go(S.CODING_REVIEW, 2)
    h = Claim(store, "H", "95.00").billed(20).denied(18, "96")
    h.go(S.WRITTEN_OFF, 17, outstanding_amount=D(0), reason="not covered")
    return store


def test_aging_matches_the_hand_computed_answer(engine: Engine) -> None:
    batch(engine)
    report = analytics.aging_report(engine, today=TODAY)
    cells = {
        (r.payer_id, b): (c.claims, c.amount) for r in report.payers for b, c in r.buckets.items()
    }
    assert cells[("P1", "31-60")] == (1, D("1450.00"))
    assert cells[("P1", "61-90")] == (1, D("25.00"))
    assert cells[("P2", "120+")] == (1, D("300.00"))
    assert cells[("P1", "0-30")] == (0, D(0))  # A paid, H written off
    totals = {b: c.amount for b, c in report.totals.buckets.items()}
    assert totals == {
        "0-30": D(0), "31-60": D("1450.00"), "61-90": D("25.00"), "91-120": D(0),
        "120+": D("300.00"),
    }  # fmt: skip
    assert report.totals.total.amount == D("1775.00") and report.totals.total.claims == 3


def test_first_pass_denial_and_overturn_rates(engine: Engine) -> None:
    batch(engine)
    report = analytics.denial_report(engine)
    by_payer = {p.payer_id: p for p in report.payers}
    # P1: A paid first time; B, C, H denied (C partially) -> 4 decided, 3 denied, 1 first pass.
    assert (by_payer["P1"].decided, by_payer["P1"].denied, by_payer["P1"].first_pass_paid) == (
        4,
        3,
        1,
    )
    # P2: D paid after a rejection (not first pass); F denied, appealed, overturned.
    p2 = by_payer["P2"]
    assert (p2.decided, p2.denied, p2.first_pass_paid) == (2, 1, 0)
    assert (p2.appeals_decided, p2.appeals_overturned, p2.overturn_rate) == (1, 1, 1.0)
    assert report.totals.first_pass_rate == 1 / 6
    reasons = {r.reason: r for r in report.reasons}
    assert reasons["CO-197"].denials == 2  # B and F
    assert (reasons["CO-197"].at_risk_claims, reasons["CO-197"].at_risk_amount) == (1, D("1450.00"))
    assert reasons["CO-97"].at_risk_amount == D("25.00")
    assert reasons["CO-96"].at_risk_amount == D(0)  # written off: no longer at risk
    assert reasons["CO-197"].description and "authorization" in reasons["CO-197"].description
    assert "CO-45" not in reasons  # a contractual write-down is not a denial


def test_overview_days_in_ar_and_status_counts(engine: Engine) -> None:
    batch(engine)
    figures = analytics.overview(engine, today=TODAY)
    assert figures.claims == 8
    assert figures.by_status == {
        "PAID": 3, "DENIED": 1, "PARTIALLY_PAID": 1, "SUBMITTED": 1, "CODING_REVIEW": 1,
        "WRITTEN_OFF": 1,
    }  # fmt: skip
    assert figures.outstanding == D("1775.00")
    # Billed in the last 90 days: A 185 + B 1450 + C 235 + F 500 + H 95 = 2465.
    assert figures.billed_last_90_days == D("2465.00")
    assert figures.days_in_ar == (D("1775.00") / (D("2465.00") / 90)).quantize(D("0.1"))
    h = readmodel.get_claim(engine, "H")
    assert h is not None and h.written_off_amount == D("95.00")


def test_queues_and_filters(engine: Engine) -> None:
    batch(engine)
    denials = claim_queries.find(engine, queue_filter(Queue.DENIALS))
    assert [c.claim_id for c in denials] == ["C", "B"]  # C's deadline (70 d ago + 120) is sooner
    assert claim_queries.count(engine, queue_filter(Queue.DENIALS)).value == 2
    assert [
        c.claim_id for c in claim_queries.find(engine, queue_filter(Queue.DENIALS, carc="CO-197"))
    ] == ["B"]
    # Narrowed by payer too, the page comes from the denials' own copy of the payer.
    for payer, expected in (("P1", ["B"]), ("P2", [])):
        narrowed = queue_filter(Queue.DENIALS, carc="CO-197", payer_id=payer)
        assert [c.claim_id for c in claim_queries.find(engine, narrowed)] == expected
    only_big = queue_filter(Queue.DENIALS, outstanding_above=D("100"))
    assert [c.claim_id for c in claim_queries.find(engine, only_big)] == ["B"]
    assert [c.claim_id for c in claim_queries.find(engine, queue_filter(Queue.CODING_REVIEW))] == [
        "G"
    ]
    in_61_90 = ClaimFilter(aging_bucket="61-90")
    assert [c.claim_id for c in claim_queries.find(engine, in_61_90, today=TODAY)] == ["C"]
    p2 = ClaimFilter(payer_id="P2", sort=Sort.OUTSTANDING)
    assert [c.claim_id for c in claim_queries.find(engine, p2)][0] == "E"
    before = ClaimFilter(appeal_deadline_before=NOW + dt.timedelta(days=60))
    assert [c.claim_id for c in claim_queries.find(engine, before)] == ["C"]
    sizes = claim_queries.queue_counts(engine)
    assert sizes[Queue.DENIALS].value == 2 and sizes[Queue.CODING_REVIEW].value == 1
    rows = claim_queries.find(engine, ClaimFilter(), limit=3)
    rest = claim_queries.find(engine, ClaimFilter(), limit=10, offset=3)
    assert len(rows) == 3 and not {r.claim_id for r in rows} & {r.claim_id for r in rest}


def test_a_replayed_event_changes_no_figure(engine: Engine) -> None:
    store = batch(engine)
    before = analytics.denial_report(engine), analytics.aging_report(engine, today=TODAY)
    event = readmodel.claim_events(engine, "B")[-1]
    from events.contract import ClaimEvent

    assert store.apply(ClaimEvent.model_validate_json(event.payload)) is False
    after = analytics.denial_report(engine), analytics.aging_report(engine, today=TODAY)
    assert before == after


def alert(claim_id: str, seq: int, kind: AlertKind, status: S, **data: object):  # type: ignore[no-untyped-def]
    return make_alert(
        time=NOW,
        data=ClaimAlertData(
            claim_id=claim_id, alert_seq=seq, kind=kind, status=status, payer_id="P2",
            message=str(data.pop("message", kind.value)), **data,  # type: ignore[arg-type]
        ),
    )  # fmt: skip


def test_alerts_follow_ups_and_write_off_requests(engine: Engine) -> None:
    batch(engine)
    alerts = SqlAlertStore(engine)
    due = alert("E", 1, AlertKind.FOLLOW_UP_DUE, S.SUBMITTED, due=NOW - dt.timedelta(days=1))
    assert alerts.apply(due) is True
    assert alerts.apply(due) is False  # redelivered
    overdue = claim_queries.find(engine, queue_filter(Queue.FOLLOW_UP))
    assert [c.claim_id for c in overdue] == ["E"]
    # An alert about a status the claim has left does not put it in the queue.
    alerts.apply(alert("D", 1, AlertKind.FOLLOW_UP_DUE, S.SUBMITTED))
    assert [c.claim_id for c in claim_queries.find(engine, queue_filter(Queue.FOLLOW_UP))] == ["E"]

    rows, total = list_alerts(engine)
    assert total == 2 and {r.claim_id for r in rows} == {"D", "E"}
    acknowledge(engine, due.id, by=None, note="called the payer")
    _, total = list_alerts(engine)
    assert total == 1
    _, total = list_alerts(engine, include_acknowledged=True)
    assert total == 2

    def seq_of(claim_id: str) -> int:
        row = readmodel.get_claim(engine, claim_id)
        assert row is not None
        return row.last_seq

    dana = Actor(name="dana", kind="user", roles=("biller",), channel="console")
    ask = alert(
        "B", 1, AlertKind.WRITE_OFF_APPROVAL_REQUESTED, S.DENIED,
        amount=D("1450.00"), actor=dana, message="not worth appealing", claim_seq=seq_of("B"),
    )  # fmt: skip
    alerts.apply(ask)
    pending, n = approvals.pending(engine)
    assert n == 1 and (pending[0].amount, pending[0].requested_by) == (D("1450.00"), "dana")
    alerts.apply(alert("B", 2, AlertKind.WRITE_OFF_REJECTED, S.DENIED, message="declined"))
    assert approvals.pending(engine)[1] == 0
    # Read after the claim had moved on (the topics are not ordered together): opens closed.
    late = alert("B", 3, AlertKind.WRITE_OFF_APPROVAL_REQUESTED, S.DENIED, claim_seq=1)
    alerts.apply(late)
    assert approvals.pending(engine)[1] == 0

    alerts.apply(
        alert("C", 1, AlertKind.WRITE_OFF_APPROVAL_REQUESTED, S.PARTIALLY_PAID,
              claim_seq=seq_of("C"))
    )  # fmt: skip
    assert approvals.pending(engine)[1] == 1
    c = Claim(SqlReadModel(engine), "C", "235.00")
    c.seq = 6
    c.go(S.WRITTEN_OFF, 0, outstanding_amount=D(0), reason="small balance")
    assert approvals.pending(engine)[1] == 0  # the claim ended: nothing left to approve
