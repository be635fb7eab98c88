"""Control numbers: unique under concurrency, on both databases."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from services import x12_store


def test_control_numbers_are_unique_under_concurrency(engine: Engine) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(lambda _: x12_store.next_number(engine, "isa"), range(200)))
    assert sorted(numbers) == list(range(1, 201))
    assert x12_store.next_number(engine, "gs") == 1  # counters are independent


def test_sent_transactions_map_a_999_back(engine: Engine) -> None:
    x12_store.record_sent(engine, 42, {"0001": ["A", "B"], "0002": ["C"]})
    x12_store.record_sent(engine, 42, {"0001": ["A"]})  # recorded again: no duplicate
    assert x12_store.sent_transactions(engine, "000000042") == {"0001": ["A", "B"], "0002": ["C"]}
    assert x12_store.sent_transactions(engine, "7") == {}
