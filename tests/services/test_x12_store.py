"""Control numbers: unique under concurrency, on both databases; patient control numbers
(CLM01) recorded once per claim and every payer answer matched back through them."""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from claims.x12.control import patient_control_number
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


# ------------------------------------------------------- patient control numbers (issue 15)

CLAIM_A = "01JX0000000000000000000001"
CLAIM_B = "01JX0000000000000000000002"


def test_each_claim_gets_one_20_character_number_for_all_its_submissions(engine: Engine) -> None:
    first = x12_store.assign_patient_control_numbers(engine, [CLAIM_A, CLAIM_B])
    again = x12_store.assign_patient_control_numbers(engine, [CLAIM_B, CLAIM_A])
    assert first == again and first[CLAIM_A] == patient_control_number(CLAIM_A)
    assert all(len(pcn) == 20 for pcn in first.values()) and len(set(first.values())) == 2
    assert x12_store.patient_control_number_of(engine, CLAIM_A) == first[CLAIM_A]
    assert x12_store.patient_control_number_of(engine, "01JX9999999999999999999999") is None


def test_a_clash_takes_the_next_number(engine: Engine) -> None:
    """Another claim already holds the derived number: the mapping stays unique."""
    with Session(engine) as session:
        session.add(
            x12_store.PatientControlNumber(
                patient_control_number=patient_control_number(CLAIM_A), claim_id="OTHER"
            )
        )
        session.commit()
    assigned = x12_store.assign_patient_control_numbers(engine, [CLAIM_A])[CLAIM_A]
    assert assigned == patient_control_number(CLAIM_A, 1)
    assert x12_store.claim_for_patient_control_number(engine, assigned) == CLAIM_A


def test_concurrent_submissions_of_one_claim_agree(engine: Engine) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(
            pool.map(
                lambda _: x12_store.assign_patient_control_numbers(engine, [CLAIM_A])[CLAIM_A],
                range(16),
            )
        )
    assert set(found) == {patient_control_number(CLAIM_A)}


def test_payer_answers_find_their_claim(engine: Engine) -> None:
    pcn = x12_store.assign_patient_control_numbers(engine, [CLAIM_A, CLAIM_B])[CLAIM_A]
    legacy = "01JY7ZZZZZZZZZZZZZZZZZZZZZ"  # sent before control numbers: CLM01 was its id
    x12_store.record_sent(engine, 5, {"0001": [legacy]})
    match = functools.partial(x12_store.claim_for_patient_control_number, engine)
    assert match(pcn) == CLAIM_A  # the 20-character number, as a payer keeps it
    assert match(f" {pcn} ") == CLAIM_A
    assert match(pcn[:14]) == CLAIM_A  # a payer that keeps fewer characters
    assert match(legacy) == legacy  # a whole claim id still matches (and every 999 answer)
    assert match(legacy[:20]) == legacy  # ... and its 20-character truncation
    assert match(pcn[:9]) is None  # too short to name one claim
    assert match("NOT-OURS-1") is None and match("") is None
    assert match("ZZZZZZZZZZZZZZZZZZZZ") is None


def test_an_ambiguous_truncation_is_not_guessed(engine: Engine) -> None:
    x12_store.record_sent(
        engine, 6, {"0001": ["01JY7AAAAAAAAAAAAAAAAAAAAA", "01JY7AAAAAAAAAAAAAAAAAAAAB"]}
    )
    with pytest.raises(x12_store.AmbiguousControlNumber, match="several claims"):
        x12_store.claim_for_patient_control_number(engine, "01JY7AAAAAAAAAAAAAAAAA")
