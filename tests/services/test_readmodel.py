"""The read model on both databases it runs on: SQLite (default) and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Engine

from claims.status import ClaimStatus as S
from events.contract import AdjustmentData, ClaimEvent, ClaimEventData, make_event
from services import claim_queries, readmodel
from services.claim_queries import ClaimFilter
from services.readmodel import SqlReadModel

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def event(claim_id: str, seq: int, status: S, **data: object) -> ClaimEvent:
    return make_event(
        time=T0 + dt.timedelta(minutes=seq),
        data=ClaimEventData(
            claim_id=claim_id,
            seq=seq,
            status=status,
            payer_id="SIMPAYER1",
            total_charge=Decimal("185.00"),
            **data,  # type: ignore[arg-type]
        ),
    )


def test_projects_each_event_once(engine: Engine) -> None:
    store = SqlReadModel(engine)
    first = event("C1", 1, S.RECEIVED)
    assert store.apply(first) is True
    assert store.apply(first) is False  # redelivered copy
    assert store.apply(event("C1", 2, S.CODED)) is True
    row = readmodel.get_claim(engine, "C1")
    assert row is not None
    assert (row.status, row.last_seq, row.total_charge) == ("CODED", 2, Decimal("185.00"))
    assert [e.seq for e in readmodel.claim_events(engine, "C1")] == [1, 2]
    stored = readmodel.claim_events(engine, "C1")[0]
    assert ClaimEvent.model_validate_json(stored.payload) == first


def test_an_older_copy_never_moves_the_claim_backwards(engine: Engine) -> None:
    store = SqlReadModel(engine)
    store.apply(event("C2", 1, S.RECEIVED))
    store.apply(event("C2", 3, S.SCRUBBED))
    store.apply(event("C2", 2, S.CODED))  # late, but new to the store
    row = readmodel.get_claim(engine, "C2")
    assert row is not None and (row.status, row.last_seq) == ("SCRUBBED", 3)
    assert [e.seq for e in readmodel.claim_events(engine, "C2")] == [1, 2, 3]


def test_amounts_and_denial_reasons(engine: Engine) -> None:
    store = SqlReadModel(engine)
    denial = (AdjustmentData(group="CO", carc="197", amount=Decimal("185.00"), rarcs=("N54",)),)
    store.apply(event("C3", 1, S.DENIED, paid_amount=Decimal("0.00"), adjustments=denial))
    row = readmodel.get_claim(engine, "C3")
    assert row is not None and row.denial_reasons == "CO-197"
    paid = (
        AdjustmentData(group="CO", carc="45", amount=Decimal("82.50")),
        AdjustmentData(group="PR", carc="2", amount=Decimal("20.50")),
    )
    store.apply(event("C3", 2, S.PAID, paid_amount=Decimal("82.00"), adjustments=paid))
    row = readmodel.get_claim(engine, "C3")
    assert row is not None
    assert row.paid_amount == Decimal("82.00")
    assert row.denial_reasons == ""  # a contractual write-down is not a denial


def test_list_filters_by_status_newest_first(engine: Engine) -> None:
    store = SqlReadModel(engine)
    store.apply(event("A", 1, S.RECEIVED))
    store.apply(event("B", 2, S.RECEIVED))
    store.apply(event("C", 3, S.RECEIVED))
    store.apply(event("C", 4, S.CODED))
    received = claim_queries.find(engine, ClaimFilter(statuses=(S.RECEIVED,)))
    assert [r.claim_id for r in received] == ["B", "A"]
    assert [r.claim_id for r in claim_queries.find(engine, ClaimFilter(), limit=1)] == ["C"]
    assert claim_queries.find(engine, ClaimFilter(statuses=(S.PAID,))) == []
