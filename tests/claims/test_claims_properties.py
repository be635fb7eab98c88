"""Property tests: for any structurally valid claim, coding and scrubbing return a Report.

The strategy draws claims the model accepts, mixing real codes (so the ICD-10, HCPCS, PTP
and MUE edits fire) with arbitrary well-formed ones, valid and invalid NPIs, optional
parties and dates across decades, then checks that the stages answer and never raise.
"""

from __future__ import annotations

import datetime as dt
import string
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.coding import check_coding
from claims.duplicates import DuplicateKey, duplicate_key
from claims.findings import Report, Severity
from claims.model import Claim
from claims.npi import make_npi
from claims.scrub import scrub

REAL_DX = ["E119", "E11", "I10", "M545", "S72001A", "S72001", "U071", "Z23", "K359"]
REAL_PROCS = ["93000", "93005", "93010", "20610", "76942", "45380", "45378", "97530",
              "97140", "11042", "11720", "J3420", "G0438", "G0444", "99213", "3008F"]  # fmt: skip
REAL_MODS = ["59", "XU", "XE", "25", "RT", "LT", "76", "26", "GA"]

DIGITS = string.digits
UPPER = string.ascii_uppercase


def chars(alphabet: str, size: int, max_size: int | None = None) -> st.SearchStrategy[str]:
    """Strings of ``size`` (to ``max_size``) characters of ``alphabet``: what a regex of one
    character class draws, without hypothesis's regex machinery, which took most of these
    tests' time (drawing the claims, not scrubbing them)."""
    return st.text(alphabet, min_size=size, max_size=size if max_size is None else max_size)


def joined(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map("".join)


dates = st.dates(dt.date(1995, 1, 1), dt.date(2035, 12, 31))
npis = st.one_of(
    joined(st.sampled_from("12"), chars(DIGITS, 8)).map(make_npi),
    chars(DIGITS, 10),
)
text = st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=20)
money = st.decimals(Decimal(0), Decimal("99999.99"), places=2)
dx_codes = st.one_of(
    st.sampled_from(REAL_DX), joined(st.sampled_from(UPPER), chars(DIGITS + UPPER, 2, 6))
)
proc_codes = st.one_of(st.sampled_from(REAL_PROCS), chars(UPPER + DIGITS, 5))
modifiers = st.one_of(st.sampled_from(REAL_MODS), chars(UPPER + DIGITS, 2))


@st.composite
def addresses(draw: st.DrawFn) -> dict[str, Any] | None:
    return draw(
        st.none()
        | st.fixed_dictionaries(
            {
                "line1": st.sampled_from(["1 Main St", "PO Box 4", "12 Boxwood Rd"]),
                "city": text,
                "state": chars(UPPER, 2),
                "postal_code": joined(chars(DIGITS, 5), st.just("") | chars(DIGITS, 4)),
            }
        )
    )


@st.composite
def people(draw: st.DrawFn, patient: bool = False) -> dict[str, Any]:
    person = {
        "member_id": draw(text),
        "first_name": draw(text),
        "last_name": draw(text),
        "date_of_birth": draw(dates),
        "sex": draw(st.sampled_from(["F", "M", "U"])),
        "address": draw(addresses()),
    }
    if patient:
        person["relationship"] = draw(st.sampled_from(["01", "19", "20", "G8"]))
    return person


@st.composite
def providers(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "npi": draw(npis),
        "name": draw(text),
        "tax_id": draw(st.none() | chars(DIGITS, 9)),
        "address": draw(addresses()),
    }


@st.composite
def claims(draw: st.DrawFn) -> Claim:
    diagnoses = draw(st.lists(dx_codes, min_size=1, max_size=12))
    n_dx = len(diagnoses)
    lines = []
    for _ in range(draw(st.integers(1, 12))):
        start = draw(dates)
        lines.append(
            {
                "procedure_code": draw(proc_codes),
                "modifiers": draw(st.lists(modifiers, max_size=4)),
                "units": draw(st.decimals(Decimal("0.001"), Decimal("99999.999"), places=3)),
                "charge": draw(money),
                "diagnosis_pointers": draw(st.lists(st.integers(1, n_dx), min_size=1, max_size=4)),
                "service_date_from": start,
                "service_date_to": draw(st.none() | st.just(start) | dates),
                "place_of_service": draw(st.none() | st.sampled_from(["11", "22"])),
                "rendering_npi": draw(st.none() | npis),
            }
        )
    total = sum((ln["charge"] for ln in lines), Decimal(0))
    data = {
        "claim_id": draw(st.none() | st.just("01HZZZZZZZZZZZZZZZZZZZZZZZ")),
        "account_number": draw(text),
        "billing_provider": draw(providers()),
        "rendering_provider": draw(st.none() | providers()),
        "subscriber": draw(people()),
        "patient": draw(st.none() | people(patient=True)),
        "payer": {
            "payer_id": draw(chars(string.ascii_letters + DIGITS, 2, 10)),
            "name": draw(text),
            "filing_limit_days": draw(st.integers(1, 3650)),
        },
        "frequency_code": draw(st.sampled_from(["1", "7", "8"])),
        "payer_claim_control_number": draw(st.none() | text),
        "place_of_service": draw(st.sampled_from(["11", "21", "22"])),
        "diagnoses": diagnoses,
        "lines": lines,
        "total_charge": draw(st.just(total) | money),
    }
    return Claim.model_validate(data)


def _lookup(answer: str | None) -> Any:
    def lookup(key: DuplicateKey) -> str | None:
        assert isinstance(key, DuplicateKey)
        return answer

    return lookup


def _well_formed(report: Report, stage: str) -> None:
    assert isinstance(report, Report)
    assert report.stage == stage
    for f in report.findings:
        assert f.code and f.field and f.message
        assert f.severity in (Severity.ERROR, Severity.WARNING)
    # A report survives the trip through Temporal's JSON payloads.
    assert Report.model_validate_json(report.model_dump_json()) == report


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims())
def test_coding_answers_any_valid_claim(claim: Claim) -> None:
    _well_formed(check_coding(claim), "coding")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(claims(), dates, st.none() | st.sampled_from(["01HZZZZZZZZZZZZZZZZZZZZZZZ", "other"]))
def test_scrub_answers_any_valid_claim(claim: Claim, today: dt.date, dup: str | None) -> None:
    report = scrub(claim, today=today, duplicate_of=_lookup(dup))
    _well_formed(report, "scrub")
    # Pure: the same inputs give the same report.
    assert scrub(claim, today=today, duplicate_of=_lookup(dup)) == report
    assert duplicate_key(claim) == duplicate_key(claim.model_copy())
