"""The scrub stage (claims.scrub): claim arithmetic, dates, parties, filing, duplicates."""

from __future__ import annotations

import datetime as dt

import pytest
from claims_testkit import (
    BILLING_NPI,
    DOS,
    OTHER_NPI,
    RENDERING_NPI,
    TODAY,
    address,
    claim_data,
    clean_claim,
    codes,
    line,
)

from claims.duplicates import DuplicateKey, duplicate_key
from claims.findings import Severity
from claims.scrub import scrub

BAD_NPI = "1234567890"


def dr(npi: str = RENDERING_NPI) -> dict[str, str]:
    """A rendering provider who is a person."""
    return {"npi": npi, "last_name": "Whitfield", "first_name": "Dana"}


def run(**overrides: object) -> list[str]:
    return codes(scrub(clean_claim(**overrides), today=TODAY))


def test_clean_claim_scrubs_clean() -> None:
    report = scrub(clean_claim(), today=TODAY)
    assert report.stage == "scrub"
    assert report.findings == ()


# --- arithmetic, frequency, dates --------------------------------------------------------


def test_total_mismatch() -> None:
    (f,) = scrub(clean_claim(total_charge="100.01"), today=TODAY).findings
    assert (f.code, f.field) == ("SCRUB_TOTAL_MISMATCH", "total_charge")


@pytest.mark.parametrize("frequency", ["7", "8"])
def test_replacement_or_void_needs_f8(frequency: str) -> None:
    assert run(frequency_code=frequency) == ["SCRUB_MISSING_F8"]
    assert run(frequency_code=frequency, payer_claim_control_number="PCN9") == []


def test_date_order() -> None:
    claim = clean_claim(line(service_date_to=(DOS - dt.timedelta(days=1)).isoformat()))
    (f,) = scrub(claim, today=TODAY).findings
    assert (f.code, f.field) == ("SCRUB_DATE_ORDER", "lines[0].service_date_to")


def test_date_of_service_today_is_fine_tomorrow_is_future() -> None:
    assert codes(scrub(clean_claim(line(service_date_from=TODAY.isoformat())), today=TODAY)) == []
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    (f,) = scrub(clean_claim(line(service_date_from=tomorrow)), today=TODAY).findings
    assert (f.code, f.field) == ("SCRUB_DATE_FUTURE", "lines[0].service_date_from")


def test_future_service_date_to() -> None:
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    (f,) = scrub(clean_claim(line(service_date_to=tomorrow)), today=TODAY).findings
    assert (f.code, f.field) == ("SCRUB_DATE_FUTURE", "lines[0].service_date_to")


# --- NPIs and required 837P fields -------------------------------------------------------


def test_billing_npi_check_digit() -> None:
    data = claim_data()
    data["billing_provider"]["npi"] = BAD_NPI
    (f,) = scrub(
        clean_claim(**{"billing_provider": data["billing_provider"]}), today=TODAY
    ).findings
    assert (f.code, f.field) == ("SCRUB_NPI_INVALID", "billing_provider.npi")
    assert BAD_NPI in f.message


def test_rendering_npi_check_digit() -> None:
    rendering = {"npi": BAD_NPI, "last_name": "Who", "first_name": "Ada"}
    assert run(rendering_provider=rendering) == ["SCRUB_NPI_INVALID"]


def test_line_rendering_npi_check_digit() -> None:
    claim = clean_claim(line(rendering_provider=dr(BAD_NPI)))
    (f,) = scrub(claim, today=TODAY).findings
    assert (f.code, f.field) == ("SCRUB_NPI_INVALID", "lines[0].rendering_npi")


def test_valid_rendering_npis_pass() -> None:
    claim = clean_claim(line(rendering_provider=dr(OTHER_NPI)), rendering_provider=dr())
    assert codes(scrub(claim, today=TODAY)) == []


def test_a_line_rendering_npi_needs_a_name_unless_the_claim_names_it() -> None:
    """Issue 15 #4: 2420A carries the line's rendering provider's real name, never a made-up
    one, so an NPI the claim names nowhere is a finding at scrub."""
    report = scrub(clean_claim(line(rendering_npi=OTHER_NPI), rendering_provider=dr()), today=TODAY)
    (f,) = report.errors
    assert (f.code, f.field) == ("SCRUB_LINE_RENDERING_NAME_MISSING", "lines[0].rendering_provider")
    named = clean_claim(
        line(rendering_npi=OTHER_NPI),
        line("85025", rendering_provider=dr(OTHER_NPI)),
        rendering_provider=dr(),
    )  # fmt: skip
    assert scrub(named, today=TODAY).ok


def test_a_rendering_provider_named_as_an_organisation_is_a_warning() -> None:
    report = scrub(clean_claim(rendering_provider={"npi": RENDERING_NPI, "name": "Dr A"}),
                   today=TODAY)  # fmt: skip
    (f,) = report.findings
    assert (f.code, f.severity) == ("SCRUB_RENDERING_NOT_A_PERSON", Severity.WARNING)


def _billing(**changes: object) -> dict[str, object]:
    provider = dict(claim_data()["billing_provider"])
    provider.update(changes)
    return provider


def test_billing_address_required() -> None:
    assert run(billing_provider=_billing(address=None)) == ["SCRUB_BILLING_ADDRESS_MISSING"]


@pytest.mark.parametrize("street", ["PO Box 12", "P.O. BOX 9", "Post Office Box 1", "Lockbox 4"])
def test_billing_address_not_a_po_box(street: str) -> None:
    assert run(billing_provider=_billing(address=address(line1=street))) == [
        "SCRUB_BILLING_ADDRESS_PO_BOX"
    ]


def test_a_street_that_contains_box_is_fine() -> None:
    assert run(billing_provider=_billing(address=address(line1="12 Boxwood Road"))) == []


def test_billing_zip_needs_plus_four() -> None:
    assert run(billing_provider=_billing(address=address(postal_code="62701"))) == [
        "SCRUB_BILLING_ZIP4_MISSING"
    ]


def test_billing_tax_id_required() -> None:
    assert run(billing_provider=_billing(tax_id=None)) == ["SCRUB_BILLING_TAX_ID_MISSING"]


def test_subscriber_address_required_when_subscriber_is_patient() -> None:
    subscriber = dict(claim_data()["subscriber"], address=None)
    assert run(subscriber=subscriber) == ["SCRUB_SUBSCRIBER_ADDRESS_MISSING"]


def test_patient_address_required_when_patient_differs() -> None:
    patient = {
        "member_id": "MEM123-02",
        "first_name": "Sam",
        "last_name": "Jones",
        "date_of_birth": "2010-01-01",
        "sex": "M",
        "relationship": "19",
    }
    assert run(patient=patient) == ["SCRUB_PATIENT_ADDRESS_MISSING"]
    subscriber = dict(claim_data()["subscriber"], address=None)
    assert run(patient=dict(patient, address=address()), subscriber=subscriber) == []


def test_rendering_same_as_billing_warns() -> None:
    report = scrub(clean_claim(rendering_provider=dr(BILLING_NPI)), today=TODAY)
    (f,) = report.findings
    assert (f.code, f.severity, f.field) == (
        "SCRUB_RENDERING_REDUNDANT",
        Severity.WARNING,
        "rendering_provider",
    )
    assert report.ok


def test_line_rendering_repeating_claim_rendering_warns() -> None:
    claim = clean_claim(line(rendering_npi=RENDERING_NPI), rendering_provider=dr())
    (f,) = scrub(claim, today=TODAY).findings
    assert (f.code, f.field) == ("SCRUB_RENDERING_REDUNDANT", "lines[0].rendering_npi")


# --- timely filing ----------------------------------------------------------------------


def _filed(days_after: int, limit: int = 90) -> list[str]:
    payer = {"payer_id": "PAYER1", "name": "Acme Health", "filing_limit_days": limit}
    return codes(scrub(clean_claim(payer=payer), today=DOS + dt.timedelta(days=days_after)))


def test_filing_on_the_last_day_passes() -> None:
    assert _filed(90) == []


def test_filing_a_day_late_fails() -> None:
    assert _filed(91) == ["SCRUB_TIMELY_FILING"]


def test_timely_filing_is_per_line() -> None:
    payer = {"payer_id": "P1", "name": "Acme", "filing_limit_days": 30}
    late = (DOS - dt.timedelta(days=20)).isoformat()
    claim = clean_claim(line(), line(service_date_from=late), payer=payer)
    (f,) = scrub(claim, today=DOS + dt.timedelta(days=15)).findings
    assert (f.code, f.field) == ("SCRUB_TIMELY_FILING", "lines[1].service_date_from")
    assert "Acme" in f.message and "30-day" in f.message


# --- duplicate claim --------------------------------------------------------------------


class Lookup:
    def __init__(self, answer: str | None) -> None:
        self.answer = answer
        self.asked: list[DuplicateKey] = []

    def __call__(self, key: DuplicateKey) -> str | None:
        self.asked.append(key)
        return self.answer


EXISTING = "01HZZZZZZZZZZZZZZZZZZZZZZZ"


def test_duplicate_of_a_known_claim_fails() -> None:
    lookup = Lookup(EXISTING)
    (f,) = scrub(clean_claim(), today=TODAY, duplicate_of=lookup).findings
    assert f.code == "SCRUB_DUPLICATE_CLAIM"
    assert EXISTING in f.message
    assert lookup.asked == [duplicate_key(clean_claim())]


def test_no_known_duplicate_passes() -> None:
    assert codes(scrub(clean_claim(), today=TODAY, duplicate_of=Lookup(None))) == []


def test_the_claim_itself_is_not_its_own_duplicate() -> None:
    claim = clean_claim(claim_id=EXISTING)
    assert codes(scrub(claim, today=TODAY, duplicate_of=Lookup(EXISTING))) == []


def test_replacements_are_not_checked_for_duplicates() -> None:
    lookup = Lookup(EXISTING)
    claim = clean_claim(frequency_code="7", payer_claim_control_number="PCN1")
    assert codes(scrub(claim, today=TODAY, duplicate_of=lookup)) == []
    assert lookup.asked == []


def test_without_a_lookup_the_duplicate_edit_does_not_run() -> None:
    assert codes(scrub(clean_claim(), today=TODAY)) == []


def test_duplicate_key_ignores_line_order_and_charges() -> None:
    a = clean_claim(line("99213"), line("36415", charge="10.00"))
    b = clean_claim(line("36415", charge="12.00"), line("99213"))
    assert duplicate_key(a) == duplicate_key(b)


@pytest.mark.parametrize(
    "change",
    [
        {"lines": [line("99214")]},
        {"lines": [line(service_date_from="2026-03-03")]},
        {"lines": [line(modifiers=["25"])]},
        {"payer": {"payer_id": "OTHER", "name": "Other"}},
        {"rendering_provider": dr()},
    ],
)
def test_duplicate_key_changes_with_what_makes_a_claim_distinct(change: dict[str, object]) -> None:
    assert duplicate_key(clean_claim(**change)) != duplicate_key(clean_claim())


def test_duplicate_key_holds_no_phi() -> None:
    key = duplicate_key(clean_claim())
    assert key.digest.startswith("dup1:")
    assert "MEM123" not in str(key) and "Jones" not in str(key)
