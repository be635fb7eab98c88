"""Property tests (issue 15): over generated claims, every 837P claimflow renders passes pyx12
with a CLM01 of at most 20 characters, and a payer's answer that returns the patient control
number (whole, or cut short as payers do) finds its claim through the recorded mapping.

Generated claims vary what the guide cares about: self or dependent patients (a dependent's
subscriber without a birth date), billing and rendering providers as persons or
organisations, lines with their own rendering provider, a medical record number, accented
names. Only claims that pass the scrub's X12 value checks are rendered (the others are the
scrub's business, tested in ``test_x12_properties``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from claims.model import Claim
from claims.npi import make_npi
from claims.remittance import Adjustment, Decision, GroupCode, Remittance
from claims.x12.read_837p import SubmittedClaim, parse_837p
from claims.x12.remit_835 import parse_835
from claims.x12.render_837p import render_837p
from claims.x12.render_remits import ClaimStatusEntry, render_277ca, render_835
from claims.x12.status_277ca import StatusCode, parse_277ca
from claims.x12.validate import validate
from claims.x12_values import x12_value_findings
from services import x12_store
from services.db import init_db, make_engine
from tests.claims.claims_testkit import address, claim_data, line
from tests.claims.x12.x12_testkit import PAYEE, PAYER, envelope

NAMES = st.text(
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzéèüöñçßØÅ' -."),
    min_size=1,
    max_size=30,
).filter(lambda s: any(c.isalpha() for c in s))
MONEY = st.decimals(Decimal("1.00"), Decimal("9999.99"), places=2)
IDS = st.from_regex(r"\A[A-Z0-9][A-Z0-9-]{1,18}[A-Z0-9]\Z")


@st.composite
def providers(draw: st.DrawFn, *, person: bool | None = None) -> dict[str, Any]:
    npi = make_npi(draw(st.from_regex(r"\A[12][0-9]{8}\Z")))
    if person if person is not None else draw(st.booleans()):
        return {"npi": npi, "last_name": draw(NAMES), "first_name": draw(NAMES)}
    return {"npi": npi, "name": draw(NAMES)}


@st.composite
def claims(draw: st.DrawFn) -> Claim:
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        extra: dict[str, Any] = {}
        if draw(st.booleans()):
            extra["rendering_provider"] = draw(providers())
        lines.append(line(draw(st.sampled_from(["99213", "99214", "85025", "J3301"])),
                          charge=str(draw(MONEY)), **extra))  # fmt: skip
    data = claim_data(*lines)
    billing = {**data["billing_provider"], "name": None, **draw(providers())}
    data["billing_provider"] = {k: v for k, v in billing.items() if v is not None}
    if draw(st.booleans()):
        data["rendering_provider"] = draw(providers())
    data["subscriber"].update(last_name=draw(NAMES), first_name=draw(NAMES),
                              member_id=draw(IDS))  # fmt: skip
    if draw(st.booleans()):
        data["patient"] = {
            "member_id": draw(IDS), "first_name": draw(NAMES), "last_name": draw(NAMES),
            "date_of_birth": "2012-08-01", "sex": "M", "relationship": "19",
            "address": address(line1="5 Elm Street", postal_code="62702"),
        }  # fmt: skip
        if draw(st.booleans()):
            data["subscriber"].pop("date_of_birth")
            data["subscriber"].pop("address")
    if draw(st.booleans()):
        data["medical_record_number"] = draw(IDS)
    claim_id = "01JZ" + draw(st.from_regex(r"\A[0-9A-HJKMNP-TV-Z]{22}\Z"))
    return Claim.model_validate(data).with_id(claim_id)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("pcn") / "x12.db"
    eng = make_engine(f"sqlite:///{path}")
    init_db(eng)
    yield eng
    eng.dispose()


def answers(submitted: list[SubmittedClaim], keep: int) -> tuple[str, str]:
    """A 277CA and an 835 from a payer that keeps ``keep`` characters of CLM01."""
    statuses = [
        ClaimStatusEntry(dataclasses.replace(s, claim_id=s.claim_id[:keep]),
                         StatusCode("A2", "20", "PR"), f"ICN{n}")
        for n, s in enumerate(submitted)
    ]  # fmt: skip
    status_file = render_277ca(
        statuses, envelope=envelope(), payer_name="TEST PLAN", payer_id="TESTPLAN",
        batch_reference="B1", trace_number="T1",
    )  # fmt: skip
    remittances = [
        Remittance(
            remittance_id=f"R{n}", claim_id=s.claim_id[:keep], payer_claim_control_number=f"ICN{n}",
            decision=Decision.PAID, total_charge=s.total_charge,
            paid_amount=s.total_charge - Decimal("1.00"),
            adjustments=(Adjustment(group=GroupCode.CO, carc="45", amount=Decimal("1.00")),),
        )
        for n, s in enumerate(submitted)
    ]  # fmt: skip
    era = render_835(remittances, envelope=envelope(), trace_number="TRACE-1", payer=PAYER,
                     payee=PAYEE, payment_date=dt.date(2026, 3, 20))  # fmt: skip
    return status_file, era


SLOW = [HealthCheck.too_slow]


@settings(max_examples=15, deadline=None, suppress_health_check=SLOW)
@given(st.lists(claims(), min_size=1, max_size=4, unique_by=lambda c: c.claim_id),
       st.integers(x12_store.MIN_PREFIX + 2, 20))  # fmt: skip
def test_rendered_837ps_pass_pyx12_and_payer_answers_find_their_claims(
    engine: Engine, batch: list[Claim], keep: int
) -> None:
    assume(not any(x12_value_findings(c) for c in batch))
    pcns = x12_store.assign_patient_control_numbers(engine, [c.claim_id or "" for c in batch])
    text = render_837p(batch, envelope=envelope(), claims_per_transaction=2,
                       control_numbers=pcns.__getitem__)  # fmt: skip
    assert validate(text) == []
    submitted = parse_837p(text)
    assert sorted(s.claim_id for s in submitted) == sorted(pcns.values())
    assert all(len(s.claim_id) <= 20 for s in submitted)

    by_pcn = {pcn: claim_id for claim_id, pcn in pcns.items()}
    status_file, era = answers(submitted, 20)
    _, short_era = answers(submitted, keep)
    returned = [c.claim_id for f in parse_277ca(status_file) for c in f.claims]
    returned += [c.claim_id for e in parse_835(era) for c in e.claims]
    for value in returned:
        assert len(value) == 20
        assert x12_store.claim_for_patient_control_number(engine, value) == by_pcn[value]
    for payment in (c for e in parse_835(short_era) for c in e.claims):
        assert len(payment.claim_id) == keep
        claim_id = x12_store.claim_for_patient_control_number(engine, payment.claim_id)
        assert claim_id is not None and pcns[claim_id].startswith(payment.claim_id)
